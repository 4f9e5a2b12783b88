//! The policy map: the portal's baseline namespace, grouping, named ports, and agreement with
//! the check, flow by flow.

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::map::{FlowSide, MapEnd, PolicyMap, map};
use super::portset::PortSet;
use super::question::{End, NamespaceObjects, Platform, Question, ask};
use super::scenario_tests::provisioned;
use super::*;
use crate::domain::networkpolicy::LintConfig;

fn platform() -> Platform {
    Platform {
        ingress_namespace: "ingress-nginx".into(),
    }
}

fn policy(json: &str) -> NetworkPolicy {
    serde_json::from_str(json).expect("a policy")
}

/// The baseline namespace with two replicas of the shop, a worker, and what else is given.
fn shop(extra: &[&str]) -> NamespaceObjects {
    let (namespace, mut policies) = provisioned();
    policies.extend(extra.iter().map(|json| policy(json)));
    NamespaceObjects {
        pods: vec![
            PodInfo::new(
                &namespace.name,
                "shop-1",
                [("app", "shop"), ("pod-hash", "1")],
            )
            .with_port(ContainerPort::tcp("http", 8080)),
            PodInfo::new(
                &namespace.name,
                "shop-2",
                [("app", "shop"), ("pod-hash", "2")],
            )
            .with_port(ContainerPort::tcp("http", 8080)),
            PodInfo::new(&namespace.name, "worker", [("app", "worker")]),
        ],
        namespace,
        policies,
    }
}

fn group(map: &PolicyMap, pod: &str) -> MapEnd {
    let index = map
        .groups
        .iter()
        .position(|g| g.pods.iter().any(|p| p == pod))
        .expect("every Pod is in a group");
    MapEnd::Group { index }
}

fn ports(map: &PolicyMap, from: MapEnd, to: MapEnd) -> String {
    map.flow(from, to)
        .map_or_else(|| "no port".to_owned(), |flow| flow.ports.to_string())
}

#[test]
fn the_baseline_lets_in_only_the_ingress_controller_and_out_only_dns() {
    let map = map(&shop(&[]), &platform());
    // No policy of the baseline selects by a label: one group.
    assert_eq!(map.groups.len(), 1);
    let everyone = map.groups.first().expect("a group");
    assert_eq!(everyone.title(), "Pods no policy tells apart");
    assert_eq!(everyone.pods, ["shop-1", "shop-2", "worker"]);
    let names = |list: &[PolicyRef]| list.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&everyone.ingress_isolated_by),
        ["allow-from-ingress-controller", "default-deny-all"]
    );
    assert_eq!(
        names(&everyone.egress_isolated_by),
        ["allow-dns", "default-deny-all"]
    );

    let all = group(&map, "worker");
    assert_eq!(ports(&map, MapEnd::IngressController, all), "every port");
    assert_eq!(ports(&map, all, MapEnd::Dns), "TCP 53; UDP 53");
    assert_eq!(ports(&map, all, all), "no port");
    assert_eq!(ports(&map, all, MapEnd::Internet), "no port");
    assert_eq!(ports(&map, MapEnd::Internet, all), "no port");
    assert_eq!(map.flows.len(), 2);

    let dns = map.flow(all, MapEnd::Dns).expect("DNS is allowed");
    assert_eq!(dns.ingress, FlowSide::Platform);
    let FlowSide::Rules { rules } = &dns.egress else {
        panic!("egress is isolated: {:?}", dns.egress);
    };
    assert_eq!(
        rules.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["team-a-shop/allow-dns spec.egress[0]"]
    );
    assert!(map.problems.is_empty());
}

#[test]
fn pods_are_grouped_by_the_labels_policies_select_and_the_named_ports_they_use() {
    let objects = shop(&[
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "shop-from-worker", "namespace": "team-a-shop"},
            "spec": {"podSelector": {"matchLabels": {"app": "shop"}},
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "worker"}}}],
                                  "ports": [{"port": "http"}]}]}}"#,
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "worker-out", "namespace": "team-a-shop"},
            "spec": {"podSelector": {"matchLabels": {"app": "worker"}},
                     "policyTypes": ["Egress"],
                     "egress": [{"to": [{"podSelector": {}}]}]}}"#,
    ]);
    let mut objects = objects;
    // A third shop Pod serving http on another port: a group of its own.
    objects.pods.push(
        PodInfo::new("team-a-shop", "shop-canary", [("app", "shop")])
            .with_port(ContainerPort::tcp("http", 9090)),
    );
    let map = map(&objects, &platform());
    let titles: Vec<(String, Vec<String>)> = map
        .groups
        .iter()
        .map(|g| (g.title(), g.pods.clone()))
        .collect();
    assert_eq!(
        titles,
        [
            ("app=shop".into(), vec!["shop-1".into(), "shop-2".into()]),
            ("app=shop".into(), vec!["shop-canary".into()]),
            ("app=worker".into(), vec!["worker".into()]),
        ]
    );
    let (shop, canary, worker) = (
        group(&map, "shop-1"),
        group(&map, "shop-canary"),
        group(&map, "worker"),
    );
    assert_eq!(ports(&map, worker, shop), "TCP 8080");
    assert_eq!(ports(&map, worker, canary), "TCP 9090");
    assert_eq!(ports(&map, shop, worker), "no port");
    // The worker may go to every Pod of the namespace, but its own ingress stays closed.
    assert_eq!(ports(&map, worker, worker), "no port");
    assert_eq!(ports(&map, worker, MapEnd::Dns), "TCP 53; UDP 53");
}

/// The map says what the check says, for every pair of ends, protocol and a spread of ports.
#[test]
fn every_flow_of_the_map_is_what_the_check_answers() {
    let objects = shop(&[
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "shop-in", "namespace": "team-a-shop"},
            "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["shop"]}]},
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "worker"}}}],
                                  "ports": [{"port": "http"}, {"port": 9000, "endPort": 9100, "protocol": "UDP"}]},
                                 {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}]}}"#,
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "out", "namespace": "team-a-shop"},
            "spec": {"podSelector": {},
                     "policyTypes": ["Egress"],
                     "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "shop"}}}]},
                                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]},
                                {"to": [{"ipBlock": {"cidr": "::/0"}}], "ports": [{"port": 443}]}]}}"#,
    ]);
    let map = map(&objects, &platform());
    let pods: Vec<&str> = objects.pods.iter().map(|p| p.name.as_str()).collect();
    let mut compared = 0;
    let mut allowed = 0;
    let end_of = |end: &End| match end {
        End::Pod { name } => group(&map, name),
        End::IngressController => MapEnd::IngressController,
        End::Dns => MapEnd::Dns,
        _ => MapEnd::Internet,
    };
    let ends_from: Vec<End> = pods
        .iter()
        .map(|name| End::Pod {
            name: (*name).into(),
        })
        .chain([End::IngressController, End::Internet])
        .collect();
    let ends_to: Vec<End> = pods
        .iter()
        .map(|name| End::Pod {
            name: (*name).into(),
        })
        .chain([End::Dns, End::Internet])
        .collect();
    for from in &ends_from {
        for to in &ends_to {
            if from == to || (!from_is_pod(from) && !from_is_pod(to)) {
                continue;
            }
            for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
                for port in [
                    1, 52, 53, 54, 443, 8080, 8999, 9000, 9050, 9100, 9101, 65535,
                ] {
                    let question = Question {
                        namespace: objects.namespace.name.clone(),
                        from: from.clone(),
                        to: to.clone(),
                        protocol,
                        port: Port::Number(port),
                    };
                    let checked = ask(
                        &objects,
                        &[],
                        &question,
                        &platform(),
                        &LintConfig::default(),
                    )
                    .expect("a valid question");
                    let on_map = map
                        .flow(end_of(from), end_of(to))
                        .is_some_and(|flow| flow.ports.contains(protocol, port));
                    assert_eq!(
                        on_map, checked.answer.allowed,
                        "{from:?} to {to:?} {protocol:?} {port}: the check says {}",
                        checked.explanation.verdict
                    );
                    compared += 1;
                    allowed += usize::from(on_map);
                }
            }
        }
    }
    // Both outcomes came up, often.
    assert!(
        compared > 600 && allowed > 20 && compared - allowed > 20,
        "{compared} {allowed}"
    );
}

fn from_is_pod(end: &End) -> bool {
    matches!(end, End::Pod { .. })
}

#[test]
fn a_namespace_without_pods_has_no_groups_and_no_flows() {
    let mut objects = shop(&[]);
    objects.pods.clear();
    let map = map(&objects, &platform());
    assert!(map.groups.is_empty() && map.flows.is_empty());
    assert_eq!(map.policies.len(), 3);
}

#[test]
fn a_namespace_without_policies_is_open_every_way() {
    let mut objects = shop(&[]);
    objects.policies.clear();
    let map = map(&objects, &platform());
    let all = group(&map, "shop-1");
    for (from, to) in [
        (all, all),
        (MapEnd::IngressController, all),
        (MapEnd::Internet, all),
        (all, MapEnd::Dns),
        (all, MapEnd::Internet),
    ] {
        let flow = map.flow(from, to).expect("open");
        assert_eq!(flow.ports, PortSet::every());
    }
    let flow = map.flow(all, all).expect("open");
    assert_eq!(
        (&flow.egress, &flow.ingress),
        (&FlowSide::NotIsolated, &FlowSide::NotIsolated)
    );
}

#[test]
fn a_malformed_policy_is_a_problem_on_the_map_not_a_failure() {
    let objects = shop(&[
        r#"{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "broken", "namespace": "team-a-shop"},
            "spec": {"podSelector": {},
                     "ingress": [{"from": [{"ipBlock": {"cidr": "bogus"}}]}]}}"#,
    ]);
    let map = map(&objects, &platform());
    assert_eq!(map.problems.len(), 1, "{:?}", map.problems);
    assert_eq!(
        map.problems.first().map(ToString::to_string).as_deref(),
        Some(
            "team-a-shop/broken spec.ingress[0].from[0].ipBlock.cidr: 'bogus': must be a CIDR block such as 192.168.1.0/24 or 2001:db8::/64 (an IP address, '/', and a prefix length); this peer never matches"
        )
    );
}
