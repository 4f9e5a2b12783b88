//! The busy namespace the traffic benchmarks check in: 200 NetworkPolicies and 1 000 Pods,
//! plus ten more namespaces of 100 Pods, and 1 000 different connections. Shared by the
//! engine's benchmark (`app/benches/traffic.rs`) and the live check's
//! (`server/benches/traffic.rs`), so both measure the same cluster.

// Each benchmark uses the part it needs.
#![allow(dead_code)]

use app::domain::traffic::{
    Connection, ContainerPort, Destination, NamespaceInfo, PodInfo, PodRef, Port, Protocol, Source,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::json;

pub const NAMESPACE: &str = "team-a-shop";
const APPS: usize = 50;

pub fn namespaces() -> Vec<NamespaceInfo> {
    let mut namespaces = vec![NamespaceInfo::new(NAMESPACE, [("team", "a")])];
    for i in 0..10 {
        namespaces.push(NamespaceInfo {
            name: format!("team-{i}"),
            labels: [("team".to_owned(), format!("t{i}"))].into(),
        });
    }
    namespaces
}

pub fn pod(namespace: &str, index: usize) -> PodInfo {
    let app = format!("app-{}", index % APPS);
    let tier = ["front", "back", "batch"][index % 3];
    PodInfo {
        namespace: namespace.to_owned(),
        name: format!("{app}-{index:04}"),
        labels: [
            ("app".to_owned(), app),
            ("tier".to_owned(), tier.to_owned()),
            ("pod-template-hash".to_owned(), format!("h{index}")),
        ]
        .into(),
        ports: vec![
            ContainerPort::tcp("http", 8080),
            ContainerPort::tcp("metrics", 9090),
            ContainerPort::named("dns", 5353, Protocol::Udp),
        ],
    }
}

pub fn pods() -> Vec<PodInfo> {
    let mut pods: Vec<PodInfo> = (0..1000).map(|i| pod(NAMESPACE, i)).collect();
    for n in 0..10 {
        pods.extend((0..100).map(|i| pod(&format!("team-{n}"), i)));
    }
    pods
}

/// Policy `k` of 200: a tenth select every Pod, the rest one app or a tier; each has three
/// ingress rules of three peers and four ports, and half also two egress rules.
pub fn policy(k: usize) -> NetworkPolicy {
    let pod_selector = match k % 10 {
        0 => json!({}),
        1 => {
            json!({ "matchExpressions": [{ "key": "tier", "operator": "In", "values": ["front", "back"] }] })
        }
        _ => json!({ "matchLabels": { "app": format!("app-{}", k % APPS) } }),
    };
    let rule = |j: usize| {
        json!({
            "from": [
                { "podSelector": { "matchLabels": { "app": format!("app-{}", (k + j + 1) % APPS) } } },
                {
                    "namespaceSelector": { "matchLabels": { "team": format!("t{}", (k + j) % 10) } },
                    "podSelector": { "matchExpressions": [{ "key": "tier", "operator": "NotIn", "values": ["batch"] }] },
                },
                { "ipBlock": { "cidr": format!("203.0.{}.0/24", k % 256), "except": [format!("203.0.{}.7/32", k % 256)] } },
            ],
            "ports": [
                { "port": 80 },
                { "port": 443 },
                { "port": "http" },
                { "protocol": "UDP", "port": 30000, "endPort": 30100 },
            ],
        })
    };
    let mut spec = json!({
        "podSelector": pod_selector,
        "ingress": [rule(0), rule(1), rule(2)],
    });
    if k.is_multiple_of(2) {
        spec["policyTypes"] = json!(["Ingress", "Egress"]);
        spec["egress"] = json!([
            {
                "to": [{ "namespaceSelector": { "matchLabels": { "team": format!("t{}", k % 10) } } }],
                "ports": [{ "port": "http" }, { "port": 443 }],
            },
            { "to": [{ "ipBlock": { "cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"] } }], "ports": [{ "port": 443 }] },
        ]);
    }
    serde_json::from_value(json!({
        "metadata": { "namespace": NAMESPACE, "name": format!("policy-{k:03}") },
        "spec": spec,
    }))
    .expect("a NetworkPolicy")
}

pub fn policies() -> Vec<NetworkPolicy> {
    (0..200).map(policy).collect()
}

/// Connection `i` of a varied set: within the namespace, in from another team or the internet,
/// out to another team or an address; by number and by name.
pub fn connection(i: usize) -> Connection {
    let here = |n: usize| PodRef::new(NAMESPACE, &format!("app-{}-{:04}", n % APPS, n));
    let there = |n: usize| {
        let index = n % 100;
        PodRef::new(
            &format!("team-{}", n % 10),
            &format!("app-{}-{index:04}", index % APPS),
        )
    };
    let a = (i * 7919) % 1000;
    let b = (i * 104_729 + 13) % 1000;
    let port = if i.is_multiple_of(3) {
        Port::Named("http".into())
    } else {
        Port::Number([80, 443, 8080, 9090][i % 4])
    };
    let (source, destination) = match i % 4 {
        0 => (Source::Pod(here(a)), Destination::Pod(here(b))),
        1 => (Source::Pod(there(a)), Destination::Pod(here(b))),
        2 => (
            Source::Ip {
                address: format!("203.0.{}.9", i % 256).parse().expect("an address"),
            },
            Destination::Pod(here(b)),
        ),
        _ => (Source::Pod(here(a)), Destination::Pod(there(b))),
    };
    Connection {
        source,
        destination,
        protocol: Protocol::Tcp,
        port,
    }
}
