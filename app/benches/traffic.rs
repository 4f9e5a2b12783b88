//! How long "would this traffic be allowed?" takes in a busy namespace: 200 NetworkPolicies and
//! 1 000 Pods (plus ten more namespaces of 100 Pods), target p99 under 5 ms per check. Measures
//! a check on a model built once, building the model, and both together (what a request that
//! builds nothing in advance would pay); then prints p50/p99/max over many different
//! connections, which criterion does not report. Results are recorded in BENCHMARKS.md.
//!
//! `cargo bench -p app --bench traffic`

use std::hint::black_box;
use std::time::{Duration, Instant};

use app::domain::traffic::{
    Connection, ContainerPort, Destination, NamespaceInfo, PodInfo, PodRef, Port, Protocol, Source,
    TrafficModel, explain,
};
use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::json;

const NAMESPACE: &str = "team-a-shop";
const APPS: usize = 50;

fn namespaces() -> Vec<NamespaceInfo> {
    let mut namespaces = vec![NamespaceInfo::new(NAMESPACE, [("team", "a")])];
    for i in 0..10 {
        namespaces.push(NamespaceInfo {
            name: format!("team-{i}"),
            labels: [("team".to_owned(), format!("t{i}"))].into(),
        });
    }
    namespaces
}

fn pod(namespace: &str, index: usize) -> PodInfo {
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

fn pods() -> Vec<PodInfo> {
    let mut pods: Vec<PodInfo> = (0..1000).map(|i| pod(NAMESPACE, i)).collect();
    for n in 0..10 {
        pods.extend((0..100).map(|i| pod(&format!("team-{n}"), i)));
    }
    pods
}

/// Policy `k` of 200: a tenth select every Pod, the rest one app or a tier; each has three
/// ingress rules of three peers and four ports, and half also two egress rules.
fn policy(k: usize) -> NetworkPolicy {
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

fn policies() -> Vec<NetworkPolicy> {
    (0..200).map(policy).collect()
}

/// Connection `i` of a varied set: within the namespace, in from another team or the internet,
/// out to another team or an address; by number and by name.
fn connection(i: usize) -> Connection {
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

/// p50, p99 and max of `run` over `rounds` calls, each on the next of `connections`.
fn percentiles(label: &str, rounds: usize, mut run: impl FnMut(usize)) {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|i| {
            let started = Instant::now();
            run(i);
            started.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    eprintln!(
        "{label}: p50 {:?}, p99 {:?}, max {:?} over {rounds} runs",
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
}

fn traffic(c: &mut Criterion) {
    let (policies, namespaces, pods) = (policies(), namespaces(), pods());
    let model = TrafficModel::new(&policies, namespaces.clone(), pods.clone());
    assert!(model.problems().is_empty(), "{:?}", model.problems());
    let connections: Vec<Connection> = (0..1000).map(connection).collect();
    for connection in &connections {
        model.check(connection).expect("every Pod exists");
    }

    percentiles("traffic/check (model built once)", 20_000, |i| {
        black_box(
            model
                .check(&connections[i % connections.len()])
                .expect("valid"),
        );
    });
    percentiles("traffic/model+check", 300, |i| {
        let model = TrafficModel::new(&policies, namespaces.clone(), pods.clone());
        black_box(
            model
                .check(&connections[i % connections.len()])
                .expect("valid"),
        );
    });

    let mut i = 0;
    c.bench_function("traffic/check/200-policies-1000-pods", |b| {
        b.iter(|| {
            i = (i + 1) % connections.len();
            model.check(black_box(&connections[i])).expect("valid")
        })
    });
    // The worst case among them: the destination isolated by the most policies.
    let worst = connections
        .iter()
        .max_by_key(|c| {
            let answer = model.check(c).expect("valid");
            answer.ingress.map_or(0, |i| i.isolated_by.len())
                + answer.egress.map_or(0, |e| e.isolated_by.len())
        })
        .expect("connections")
        .clone();
    c.bench_function("traffic/check/most-isolated", |b| {
        b.iter(|| model.check(black_box(&worst)).expect("valid"))
    });
    let answer = model.check(&worst).expect("valid");
    eprintln!(
        "traffic/most-isolated: isolated by {} policies for ingress and {} for egress",
        answer.ingress.as_ref().map_or(0, |i| i.isolated_by.len()),
        answer.egress.as_ref().map_or(0, |e| e.isolated_by.len()),
    );
    c.bench_function("traffic/explain/most-isolated", |b| {
        b.iter(|| explain(black_box(&answer)))
    });
    c.bench_function("traffic/model/200-policies-1000-pods", |b| {
        b.iter(|| TrafficModel::new(black_box(&policies), namespaces.clone(), pods.clone()))
    });
}

criterion_group!(benches, traffic);
criterion_main!(benches);
