//! One test per rule of the semantics in the module documentation, each named for its rule,
//! over a small cluster: two teams, the ingress controller and the cluster DNS.

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::{Value, json};

use super::*;

/// Policies, namespaces and Pods to check connections against.
pub(super) struct World {
    pub(super) policies: Vec<NetworkPolicy>,
    pub(super) namespaces: Vec<NamespaceInfo>,
    pub(super) pods: Vec<PodInfo>,
}

/// A NetworkPolicy `name` in `namespace` with `spec` written as the YAML would say it.
pub(super) fn policy(namespace: &str, name: &str, spec: Value) -> NetworkPolicy {
    serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": { "namespace": namespace, "name": name },
        "spec": spec,
    }))
    .expect("a NetworkPolicy")
}

pub(super) fn pod(namespace: &str, name: &str) -> PodRef {
    PodRef::new(namespace, name)
}

pub(super) fn ip(text: &str) -> IpAddr {
    text.parse().expect(text)
}

/// TCP from Pod to Pod on a port number.
pub(super) fn tcp(source: PodRef, destination: PodRef, port: u16) -> Connection {
    Connection::pod_to_pod(source, destination, Port::Number(port))
}

impl World {
    /// team-a (web, db), team-b (api, worker), ingress-nginx (controller), kube-system (coredns).
    pub(super) fn new() -> Self {
        Self {
            policies: Vec::new(),
            namespaces: vec![
                NamespaceInfo::new("team-a", [("team", "a"), ("env", "prod")]),
                NamespaceInfo::new("team-b", [("team", "b")]),
                NamespaceInfo::new("ingress-nginx", []),
                NamespaceInfo::new("kube-system", []),
            ],
            pods: vec![
                PodInfo::new("team-a", "web", [("app", "web"), ("tier", "front")])
                    .with_port(ContainerPort::tcp("http", 8080))
                    .with_port(ContainerPort::named("metrics", 9090, Protocol::Tcp)),
                PodInfo::new("team-a", "db", [("app", "db")])
                    .with_port(ContainerPort::tcp("pg", 5432)),
                PodInfo::new("team-b", "api", [("app", "api")])
                    .with_port(ContainerPort::tcp("http", 9000)),
                PodInfo::new("team-b", "worker", [("app", "worker"), ("tier", "back")]),
                PodInfo::new(
                    "ingress-nginx",
                    "controller",
                    [("app.kubernetes.io/name", "ingress-nginx")],
                ),
                PodInfo::new("kube-system", "coredns", [("k8s-app", "kube-dns")])
                    .with_port(ContainerPort::named("dns", 53, Protocol::Udp))
                    .with_port(ContainerPort::named("dns-tcp", 53, Protocol::Tcp)),
            ],
        }
    }

    pub(super) fn with(mut self, policy: NetworkPolicy) -> Self {
        self.policies.push(policy);
        self
    }

    pub(super) fn model(&self) -> TrafficModel {
        TrafficModel::new(&self.policies, self.namespaces.clone(), self.pods.clone())
    }

    pub(super) fn check(&self, connection: &Connection) -> Answer {
        self.model()
            .check(connection)
            .expect("a connection that can be asked")
    }

    pub(super) fn allows(&self, connection: &Connection) -> bool {
        self.check(connection).allowed
    }
}

fn web() -> PodRef {
    pod("team-a", "web")
}
fn db() -> PodRef {
    pod("team-a", "db")
}
fn api() -> PodRef {
    pod("team-b", "api")
}
fn worker() -> PodRef {
    pod("team-b", "worker")
}

fn deny_all_ingress(namespace: &str) -> NetworkPolicy {
    policy(
        namespace,
        "deny-ingress",
        json!({ "podSelector": {}, "policyTypes": ["Ingress"] }),
    )
}

fn from_ip(address: &str, destination: PodRef, port: u16) -> Connection {
    Connection {
        source: Source::Ip {
            address: ip(address),
        },
        destination: Destination::Pod(destination),
        protocol: Protocol::Tcp,
        port: Port::Number(port),
    }
}

fn to_ip(source: PodRef, address: &str, port: u16) -> Connection {
    Connection {
        source: Source::Pod(source),
        destination: Destination::Ip {
            address: ip(address),
        },
        protocol: Protocol::Tcp,
        port: Port::Number(port),
    }
}

fn from_outside(destination: PodRef, port: u16) -> Connection {
    Connection {
        source: Source::Outside,
        destination: Destination::Pod(destination),
        protocol: Protocol::Tcp,
        port: Port::Number(port),
    }
}

/// An ingress policy on `web` with one rule `rule`.
fn web_ingress(rule: Value) -> NetworkPolicy {
    policy(
        "team-a",
        "web-in",
        json!({ "podSelector": { "matchLabels": { "app": "web" } }, "ingress": [rule] }),
    )
}

#[test]
fn a_pod_no_policy_selects_is_not_isolated() {
    let world = World::new().with(policy(
        "team-a",
        "db-only",
        json!({ "podSelector": { "matchLabels": { "app": "db" } }, "policyTypes": ["Ingress"] }),
    ));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(answer.allowed);
    let ingress = answer.ingress.expect("web is a Pod");
    assert_eq!(ingress.decision, Decision::NotIsolated);
    assert!(ingress.isolated_by.is_empty());
    assert!(!world.allows(&tcp(api(), db(), 5432)));
}

#[test]
fn a_policy_for_one_direction_does_not_isolate_the_other() {
    let world = World::new().with(deny_all_ingress("team-a"));
    let answer = world.check(&tcp(web(), api(), 9000));
    assert!(answer.allowed);
    assert_eq!(
        answer.egress.expect("web is a Pod").decision,
        Decision::NotIsolated
    );
}

#[test]
fn policy_types_default_to_ingress_and_to_egress_only_with_egress_rules() {
    // Ingress rules only, no policyTypes: ingress isolated, egress not.
    let ingress_only = World::new().with(policy(
        "team-a",
        "p",
        json!({ "podSelector": {}, "ingress": [{ "from": [{ "podSelector": {} }] }] }),
    ));
    assert!(!ingress_only.allows(&tcp(api(), web(), 8080)));
    assert!(ingress_only.allows(&tcp(web(), api(), 9000)));
    // An egress rule, no policyTypes: both isolated.
    let both = World::new().with(policy(
        "team-a",
        "p",
        json!({ "podSelector": {}, "egress": [{ "to": [{ "podSelector": {} }] }] }),
    ));
    assert!(!both.allows(&tcp(api(), web(), 8080)));
    assert!(!both.allows(&tcp(web(), api(), 9000)));
    // Within team-a, egress allows it, and ingress (no rules) does not.
    let inside = both.check(&tcp(web(), db(), 5432));
    assert!(inside.egress.as_ref().is_some_and(DirectionAnswer::allows));
    assert_eq!(inside.ingress.map(|i| i.decision), Some(Decision::Denied));
    // `egress: []` is no egress rule: egress stays open.
    let empty_egress = World::new().with(policy(
        "team-a",
        "p",
        json!({ "podSelector": {}, "egress": [] }),
    ));
    assert!(empty_egress.allows(&tcp(web(), api(), 9000)));
    assert!(!empty_egress.allows(&tcp(api(), web(), 8080)));
}

#[test]
fn an_empty_policy_types_list_means_the_default() {
    let world = World::new().with(policy(
        "team-a",
        "p",
        json!({ "podSelector": {}, "policyTypes": [] }),
    ));
    assert!(!world.allows(&tcp(api(), web(), 8080)));
    assert!(world.allows(&tcp(web(), api(), 9000)));
}

#[test]
fn an_egress_only_policy_leaves_ingress_open_even_with_ingress_rules() {
    let world = World::new().with(policy(
        "team-a",
        "p",
        json!({
            "podSelector": {},
            "policyTypes": ["Egress"],
            "ingress": [{ "from": [{ "podSelector": {} }] }],
        }),
    ));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(!world.allows(&tcp(web(), api(), 9000)));
}

#[test]
fn a_policy_type_without_rules_denies_that_direction() {
    let world = World::new().with(policy(
        "team-a",
        "deny-all",
        json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] }),
    ));
    let answer = world.check(&tcp(web(), db(), 5432));
    assert!(!answer.allowed);
    assert_eq!(
        answer.egress.as_ref().map(|e| &e.decision),
        Some(&Decision::Denied)
    );
    assert_eq!(
        answer.ingress.as_ref().map(|e| &e.decision),
        Some(&Decision::Denied)
    );
}

#[test]
fn an_empty_pod_selector_selects_every_pod_of_its_own_namespace_only() {
    let world = World::new().with(deny_all_ingress("team-a"));
    assert!(!world.allows(&tcp(api(), web(), 8080)));
    assert!(!world.allows(&tcp(api(), db(), 5432)));
    assert!(world.allows(&tcp(web(), api(), 9000)));
    assert!(world.allows(&tcp(web(), worker(), 80)));
}

#[test]
fn policies_add_up_and_any_allowing_rule_allows() {
    let world = World::new()
        .with(deny_all_ingress("team-a"))
        .with(web_ingress(
            json!({ "from": [{ "namespaceSelector": {} }] }),
        ));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(answer.allowed);
    let ingress = answer.ingress.expect("web is a Pod");
    assert_eq!(ingress.isolated_by.len(), 2);
    assert_eq!(
        ingress.decision,
        Decision::Allowed {
            by: RuleRef {
                policy: PolicyRef {
                    namespace: "team-a".into(),
                    name: "web-in".into()
                },
                direction: Direction::Ingress,
                index: 0
            }
        }
    );
    // db is selected by deny-ingress only.
    assert!(!world.allows(&tcp(api(), db(), 5432)));
}

#[test]
fn a_rule_without_from_matches_every_peer() {
    let world = World::new().with(web_ingress(json!({ "ports": [{ "port": 8080 }] })));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(world.allows(&tcp(db(), web(), 8080)));
    assert!(world.allows(&from_ip("203.0.113.7", web(), 8080)));
    assert!(world.allows(&from_ip("2001:db8::7", web(), 8080)));
    assert!(world.allows(&from_outside(web(), 8080)));
    assert!(!world.allows(&tcp(api(), web(), 8081)));
}

#[test]
fn a_rule_with_an_empty_from_list_matches_every_peer() {
    let world = World::new().with(web_ingress(
        json!({ "from": [], "ports": [{ "port": 8080 }] }),
    ));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(world.allows(&from_outside(web(), 8080)));
}

#[test]
fn a_rule_without_ports_matches_every_port_and_protocol() {
    let world = World::new().with(web_ingress(json!({ "from": [{ "podSelector": {} }] })));
    for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
        for port in [1, 53, 8080, 65535] {
            assert!(
                world.allows(&tcp(db(), web(), port).over(protocol)),
                "{protocol:?} {port}"
            );
        }
    }
    let empty_list = World::new().with(web_ingress(json!({ "ports": [] })));
    assert!(empty_list.allows(&tcp(api(), web(), 1).over(Protocol::Sctp)));
}

#[test]
fn a_pod_selector_peer_alone_means_the_policys_own_namespace() {
    let world = World::new().with(web_ingress(
        json!({ "from": [{ "podSelector": { "matchLabels": { "app": "api" } } }] }),
    ));
    // api is in team-b, so it does not match, even though its labels do.
    assert!(!world.allows(&tcp(api(), web(), 8080)));
    let mut world = world;
    world
        .pods
        .push(PodInfo::new("team-a", "api-a", [("app", "api")]));
    assert!(world.allows(&tcp(pod("team-a", "api-a"), web(), 8080)));
}

#[test]
fn a_namespace_selector_and_a_pod_selector_in_one_peer_are_anded() {
    let world = World::new().with(web_ingress(json!({ "from": [{
        "namespaceSelector": { "matchLabels": { "team": "b" } },
        "podSelector": { "matchLabels": { "app": "api" } },
    }] })));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(
        !world.allows(&tcp(worker(), web(), 8080)),
        "team-b but not app=api"
    );
    assert!(!world.allows(&tcp(db(), web(), 8080)), "neither");
}

#[test]
fn separate_peers_are_ored() {
    let world = World::new().with(web_ingress(json!({ "from": [
        { "namespaceSelector": { "matchLabels": { "team": "b" } } },
        { "podSelector": { "matchLabels": { "app": "db" } } },
    ] })));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(world.allows(&tcp(worker(), web(), 8080)));
    assert!(world.allows(&tcp(db(), web(), 8080)));
    assert!(!world.allows(&tcp(pod("kube-system", "coredns"), web(), 8080)));
}

#[test]
fn an_empty_namespace_selector_means_every_namespace() {
    let world = World::new().with(web_ingress(json!({ "from": [{
        "namespaceSelector": {},
        "podSelector": { "matchLabels": { "app.kubernetes.io/name": "ingress-nginx" } },
    }] })));
    assert!(world.allows(&tcp(pod("ingress-nginx", "controller"), web(), 8080)));
    assert!(!world.allows(&tcp(api(), web(), 8080)));
}

#[test]
fn a_namespace_selector_alone_selects_every_pod_of_those_namespaces() {
    let world = World::new().with(web_ingress(json!({ "from": [{
        "namespaceSelector": { "matchLabels": { "team": "b" } },
    }] })));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(world.allows(&tcp(worker(), web(), 8080)));
    assert!(
        !world.allows(&tcp(db(), web(), 8080)),
        "team-a is not team=b"
    );
}

#[test]
fn every_namespace_has_its_name_label() {
    let world = World::new().with(web_ingress(json!({ "from": [{
        "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "ingress-nginx" } },
    }] })));
    assert!(world.allows(&tcp(pod("ingress-nginx", "controller"), web(), 8080)));
    assert!(!world.allows(&tcp(api(), web(), 8080)));
}

fn selected_by_expression(expression: Value) -> World {
    World::new().with(web_ingress(json!({ "from": [{
        "namespaceSelector": {},
        "podSelector": { "matchExpressions": [expression] },
    }] })))
}

#[test]
fn match_expression_in_needs_the_key_with_one_of_the_values() {
    let world =
        selected_by_expression(json!({ "key": "app", "operator": "In", "values": ["api", "db"] }));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(world.allows(&tcp(db(), web(), 8080)));
    assert!(!world.allows(&tcp(worker(), web(), 8080)));
}

#[test]
fn match_expression_not_in_also_matches_when_the_key_is_absent() {
    let world =
        selected_by_expression(json!({ "key": "tier", "operator": "NotIn", "values": ["back"] }));
    assert!(
        world.allows(&tcp(api(), web(), 8080)),
        "api has no tier label"
    );
    assert!(
        !world.allows(&tcp(worker(), web(), 8080)),
        "worker is tier=back"
    );
}

#[test]
fn match_expression_exists_needs_the_key_with_any_value() {
    let world = selected_by_expression(json!({ "key": "tier", "operator": "Exists" }));
    assert!(world.allows(&tcp(worker(), web(), 8080)));
    assert!(!world.allows(&tcp(api(), web(), 8080)));
}

#[test]
fn match_expression_does_not_exist_matches_when_the_key_is_absent() {
    let world = selected_by_expression(json!({ "key": "tier", "operator": "DoesNotExist" }));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(!world.allows(&tcp(worker(), web(), 8080)));
}

#[test]
fn match_labels_and_match_expressions_must_all_hold() {
    let world = World::new().with(web_ingress(json!({ "from": [{
        "namespaceSelector": {},
        "podSelector": {
            "matchLabels": { "tier": "back" },
            "matchExpressions": [{ "key": "app", "operator": "In", "values": ["worker"] }],
        },
    }] })));
    assert!(world.allows(&tcp(worker(), web(), 8080)));
    let mut world = world;
    world
        .pods
        .push(PodInfo::new("team-b", "other", [("tier", "back")]));
    assert!(!world.allows(&tcp(pod("team-b", "other"), web(), 8080)));
}

#[test]
fn an_end_port_range_includes_both_ends() {
    let world = World::new().with(web_ingress(
        json!({ "ports": [{ "port": 8000, "endPort": 8080 }] }),
    ));
    assert!(!world.allows(&tcp(api(), web(), 7999)));
    assert!(world.allows(&tcp(api(), web(), 8000)));
    assert!(world.allows(&tcp(api(), web(), 8040)));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(!world.allows(&tcp(api(), web(), 8081)));
    assert!(!world.allows(&tcp(api(), web(), 8040).over(Protocol::Udp)));
}

#[test]
fn end_port_only_works_with_a_numeric_port() {
    for port in [
        json!({ "port": "http", "endPort": 9000 }),
        json!({ "endPort": 9000 }),
    ] {
        let world = World::new().with(web_ingress(json!({ "ports": [port] })));
        let answer = world.check(&tcp(api(), web(), 8080));
        assert!(!answer.allowed, "{port}");
        assert!(
            answer
                .problems
                .iter()
                .any(|p| matches!(p.kind, ProblemKind::InvalidPort { .. })
                    && p.path == "spec.ingress[0].ports[0].endPort"),
            "{:?}",
            answer.problems
        );
    }
}

#[test]
fn an_end_port_below_the_port_never_matches() {
    let world = World::new().with(web_ingress(
        json!({ "ports": [{ "port": 8080, "endPort": 8000 }] }),
    ));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(!answer.allowed);
    assert_eq!(answer.problems.len(), 1);
}

#[test]
fn a_port_entry_without_protocol_means_tcp() {
    let world = World::new().with(web_ingress(json!({ "ports": [{ "port": 8080 }] })));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(!world.allows(&tcp(api(), web(), 8080).over(Protocol::Udp)));
    assert!(!world.allows(&tcp(api(), web(), 8080).over(Protocol::Sctp)));
}

#[test]
fn a_port_entry_with_only_a_protocol_matches_every_port_of_it() {
    let world = World::new().with(web_ingress(json!({ "ports": [{ "protocol": "UDP" }] })));
    assert!(world.allows(&tcp(api(), web(), 1).over(Protocol::Udp)));
    assert!(world.allows(&tcp(api(), web(), 65535).over(Protocol::Udp)));
    assert!(!world.allows(&tcp(api(), web(), 8080)));
}

#[test]
fn sctp_is_a_protocol_of_its_own() {
    let world = World::new().with(web_ingress(
        json!({ "ports": [{ "protocol": "SCTP", "port": 3868 }] }),
    ));
    assert!(world.allows(&tcp(api(), web(), 3868).over(Protocol::Sctp)));
    assert!(!world.allows(&tcp(api(), web(), 3868)));
    assert!(!world.allows(&tcp(api(), web(), 3868).over(Protocol::Udp)));
}

#[test]
fn a_named_port_in_a_rule_is_resolved_on_the_destination_pod() {
    // One rule for two Pods: `http` is 8080 on web and 9000 on api.
    let world = World::new().with(policy(
        "team-a",
        "http-in",
        json!({ "podSelector": {}, "ingress": [{ "ports": [{ "port": "http" }] }] }),
    ));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(answer.allowed);
    assert_eq!(answer.port.name.as_deref(), Some("http"));
    assert!(!world.allows(&tcp(api(), web(), 9000)));
    // db declares no `http`: the rule cannot match any of its ports.
    assert!(!world.allows(&tcp(api(), db(), 5432)));
    assert!(!world.allows(&tcp(api(), db(), 8080)));
}

#[test]
fn a_named_port_must_be_declared_with_the_rules_protocol() {
    let world = World::new().with(policy(
        "kube-system",
        "dns-in",
        json!({ "podSelector": {}, "ingress": [{ "ports": [{ "protocol": "UDP", "port": "dns" }] }] }),
    ));
    let coredns = pod("kube-system", "coredns");
    assert!(world.allows(&tcp(web(), coredns.clone(), 53).over(Protocol::Udp)));
    // `dns` is declared for UDP only; TCP 53 is `dns-tcp`.
    assert!(!world.allows(&tcp(web(), coredns, 53)));
}

#[test]
fn a_named_port_in_egress_is_resolved_on_the_destination() {
    let world = World::new().with(policy(
        "team-b",
        "api-out",
        json!({
            "podSelector": { "matchLabels": { "app": "api" } },
            "policyTypes": ["Egress"],
            "egress": [{ "ports": [{ "port": "http" }] }],
        }),
    ));
    assert!(world.allows(&tcp(api(), web(), 8080)), "web's http is 8080");
    assert!(
        !world.allows(&tcp(api(), web(), 9000)),
        "9000 is api's own http"
    );
    // An address declares no ports, so a named port never matches it.
    assert!(!world.allows(&to_ip(api(), "203.0.113.7", 8080)));
}

#[test]
fn a_connection_may_name_its_port_and_it_is_resolved_on_the_destination() {
    let world = World::new().with(web_ingress(json!({ "ports": [{ "port": 8080 }] })));
    let answer = world
        .model()
        .check(&Connection::pod_to_pod(
            api(),
            web(),
            Port::Named("http".into()),
        ))
        .expect("valid");
    assert!(answer.allowed);
    assert_eq!(answer.port.number, Some(8080));
    assert!(answer.problems.is_empty());
}

#[test]
fn a_port_name_the_destination_does_not_declare_matches_only_rules_for_every_port() {
    let named = Connection::pod_to_pod(api(), web(), Port::Named("grpc".into()));
    let numbered = World::new().with(web_ingress(json!({ "ports": [{ "port": 8080 }] })));
    let answer = numbered.model().check(&named).expect("valid");
    assert!(!answer.allowed);
    assert_eq!(answer.port.number, None);
    assert!(matches!(
        answer.problems.as_slice(),
        [Problem {
            kind: ProblemKind::UnknownPortName { .. },
            ..
        }]
    ));
    let same_name = World::new().with(web_ingress(json!({ "ports": [{ "port": "grpc" }] })));
    assert!(!same_name.model().check(&named).expect("valid").allowed);
    let every_tcp_port =
        World::new().with(web_ingress(json!({ "ports": [{ "protocol": "TCP" }] })));
    assert!(every_tcp_port.model().check(&named).expect("valid").allowed);
    let any_port = World::new().with(web_ingress(
        json!({ "from": [{ "podSelector": {} }, { "namespaceSelector": {} }] }),
    ));
    assert!(any_port.model().check(&named).expect("valid").allowed);
}

#[test]
fn an_ip_block_matches_addresses_in_its_cidr_but_not_in_except() {
    let world = World::new().with(web_ingress(json!({ "from": [{ "ipBlock": {
        "cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"],
    } }] })));
    assert!(world.allows(&from_ip("203.0.113.1", web(), 8080)));
    assert!(world.allows(&from_ip("203.0.113.127", web(), 8080)));
    assert!(!world.allows(&from_ip("203.0.113.128", web(), 8080)));
    assert!(!world.allows(&from_ip("198.51.100.1", web(), 8080)));
    assert!(
        !world.allows(&from_ip("2001:db8::1", web(), 8080)),
        "families never mix"
    );
}

#[test]
fn an_ip_block_works_for_ipv6() {
    let world = World::new().with(web_ingress(json!({ "from": [{ "ipBlock": {
        "cidr": "2001:db8::/32", "except": ["2001:db8:bad::/48"],
    } }] })));
    assert!(world.allows(&from_ip("2001:db8:1::1", web(), 8080)));
    assert!(!world.allows(&from_ip("2001:db8:bad::1", web(), 8080)));
    assert!(!world.allows(&from_ip("2001:db9::1", web(), 8080)));
    assert!(!world.allows(&from_ip("10.0.0.1", web(), 8080)));
}

#[test]
fn an_ip_block_in_egress_matches_the_destination_address() {
    let world = World::new().with(policy(
        "team-a",
        "out",
        json!({
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{ "to": [{ "ipBlock": { "cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"] } }],
                         "ports": [{ "port": 443 }] }],
        }),
    ));
    assert!(world.allows(&to_ip(web(), "203.0.113.7", 443)));
    assert!(!world.allows(&to_ip(web(), "10.1.2.3", 443)));
    assert!(!world.allows(&to_ip(web(), "203.0.113.7", 80)));
}

#[test]
fn an_ip_block_never_matches_a_pod_and_the_answer_says_so() {
    let world = World::new().with(web_ingress(json!({
        "from": [{ "ipBlock": { "cidr": "0.0.0.0/0" } }],
        "ports": [{ "port": 8080 }],
    })));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(!answer.allowed);
    let ingress = answer.ingress.expect("web is a Pod");
    assert_eq!(ingress.ip_block_caveats.len(), 1);
    assert_eq!(
        ingress.ip_block_caveats[0].to_string(),
        "team-a/web-in spec.ingress[0]"
    );
    // The caveat is for matching ports only.
    let other_port = world.check(&tcp(api(), web(), 9999));
    assert!(
        other_port
            .ingress
            .expect("a Pod")
            .ip_block_caveats
            .is_empty()
    );
}

#[test]
fn selectors_never_match_an_address() {
    let world = World::new().with(web_ingress(json!({ "from": [
        { "namespaceSelector": {} },
        { "podSelector": {} },
    ] })));
    assert!(world.allows(&tcp(api(), web(), 8080)));
    assert!(!world.allows(&from_ip("10.244.0.7", web(), 8080)));
    assert!(!world.allows(&from_outside(web(), 8080)));
}

#[test]
fn outside_the_cluster_matches_only_ip_blocks_of_a_whole_address_family() {
    let with_block = |block: Value| {
        World::new()
            .with(web_ingress(json!({ "from": [{ "ipBlock": block }] })))
            .allows(&from_outside(web(), 8080))
    };
    assert!(with_block(json!({ "cidr": "0.0.0.0/0" })));
    assert!(with_block(json!({ "cidr": "::/0" })));
    assert!(!with_block(
        json!({ "cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"] })
    ));
    assert!(!with_block(json!({ "cidr": "203.0.113.0/24" })));
}

#[test]
fn both_sides_must_allow() {
    let world = World::new().with(policy(
        "team-b",
        "api-no-egress",
        json!({ "podSelector": { "matchLabels": { "app": "api" } }, "policyTypes": ["Egress"] }),
    ));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(!answer.allowed);
    assert_eq!(
        answer.ingress.as_ref().map(|i| &i.decision),
        Some(&Decision::NotIsolated)
    );
    assert_eq!(
        answer.egress.as_ref().map(|e| &e.decision),
        Some(&Decision::Denied)
    );
}

#[test]
fn a_side_that_is_not_a_pod_is_not_checked() {
    let world = World::new().with(policy(
        "team-a",
        "deny-all",
        json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] }),
    ));
    let inbound = world.check(&from_ip("203.0.113.7", web(), 8080));
    assert!(inbound.egress.is_none());
    assert!(inbound.ingress.is_some());
    let outbound = world.check(&to_ip(api(), "203.0.113.7", 443));
    assert!(outbound.ingress.is_none());
    assert!(outbound.allowed, "team-b has no policy");
}

#[test]
fn a_pod_can_always_reach_itself() {
    let world = World::new().with(policy(
        "team-a",
        "deny-all",
        json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] }),
    ));
    let answer = world.check(&tcp(web(), web(), 8080));
    assert!(answer.to_itself);
    assert!(answer.allowed);
    // What the policies say is still shown.
    assert_eq!(answer.ingress.map(|i| i.decision), Some(Decision::Denied));
    assert!(!world.allows(&tcp(web(), db(), 5432)));
}

#[test]
fn every_isolating_policy_and_matching_rule_is_listed_and_the_first_by_name_allows() {
    let world = World::new()
        .with(web_ingress(json!({ "ports": [{ "port": 8080 }] })))
        .with(policy(
            "team-a",
            "allow-all",
            json!({ "podSelector": {}, "ingress": [{ "ports": [{ "port": 1 }] }, {}] }),
        ))
        .with(deny_all_ingress("team-a"));
    let ingress = world
        .check(&tcp(api(), web(), 8080))
        .ingress
        .expect("a Pod");
    let names: Vec<_> = ingress
        .isolated_by
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["allow-all", "deny-ingress", "web-in"]);
    let rules: Vec<_> = ingress
        .matching_rules
        .iter()
        .map(RuleRef::to_string)
        .collect();
    assert_eq!(
        rules,
        [
            "team-a/allow-all spec.ingress[1]",
            "team-a/web-in spec.ingress[0]"
        ]
    );
    assert_eq!(
        ingress.decision,
        Decision::Allowed {
            by: ingress.matching_rules[0].clone()
        }
    );
}

#[test]
fn an_invalid_cidr_makes_its_peer_never_match_and_is_reported() {
    for block in [
        json!({ "cidr": "10.0.0/8" }),
        json!({ "cidr": "0.0.0.0/0", "except": ["not-a-cidr"] }),
        json!({ "cidr": "2001:db8::/129" }),
    ] {
        let world = World::new().with(web_ingress(json!({ "from": [
            { "ipBlock": block.clone() },
            { "podSelector": { "matchLabels": { "app": "db" } } },
        ] })));
        let answer = world.check(&from_ip("10.1.2.3", web(), 8080));
        assert!(!answer.allowed, "{block}");
        assert!(
            matches!(
                answer.problems.as_slice(),
                [Problem { kind: ProblemKind::InvalidCidr { .. }, path, .. }]
                    if path.starts_with("spec.ingress[0].from[0].ipBlock.")
            ),
            "{:?}",
            answer.problems
        );
        // The other peer still works.
        assert!(world.allows(&tcp(db(), web(), 8080)));
    }
}

#[test]
fn a_cidr_with_host_bits_is_read_as_its_network() {
    let world = World::new().with(web_ingress(
        json!({ "from": [{ "ipBlock": { "cidr": "10.1.2.3/8" } }] }),
    ));
    let answer = world.check(&from_ip("10.200.0.1", web(), 8080));
    assert!(answer.allowed);
    assert!(matches!(
        &answer.problems[0].kind,
        ProblemKind::HostBitsInCidr { network, .. } if network == "10.0.0.0/8"
    ));
}

#[test]
fn an_unknown_selector_operator_makes_the_selector_match_nothing_and_is_reported() {
    let world =
        selected_by_expression(json!({ "key": "app", "operator": "Inn", "values": ["api"] }));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(!answer.allowed);
    assert_eq!(answer.problems.len(), 1);
    assert_eq!(
        answer.problems[0].path,
        "spec.ingress[0].from[0].podSelector.matchExpressions[0].operator"
    );
    assert!(
        answer.problems[0]
            .to_string()
            .contains("'Inn' is not an operator")
    );
}

#[test]
fn misplaced_selector_values_make_the_selector_match_nothing() {
    for expression in [
        json!({ "key": "app", "operator": "In", "values": [] }),
        json!({ "key": "app", "operator": "NotIn" }),
        json!({ "key": "app", "operator": "Exists", "values": ["api"] }),
        json!({ "key": "app", "operator": "DoesNotExist", "values": ["x"] }),
    ] {
        let world = selected_by_expression(expression.clone());
        let answer = world.check(&tcp(api(), web(), 8080));
        assert!(!answer.allowed, "{expression}");
        assert!(matches!(
            answer.problems[0].kind,
            ProblemKind::InvalidSelector { .. }
        ));
    }
}

#[test]
fn an_invalid_pod_selector_of_the_policy_selects_no_pod() {
    let world = World::new().with(policy(
        "team-a",
        "broken",
        json!({
            "podSelector": { "matchExpressions": [{ "key": "app", "operator": "Equals", "values": ["web"] }] },
            "policyTypes": ["Ingress"],
        }),
    ));
    let answer = world.check(&tcp(api(), web(), 8080));
    assert!(answer.allowed);
    assert_eq!(
        answer.problems[0].path,
        "spec.podSelector.matchExpressions[0].operator"
    );
}

#[test]
fn bad_port_entries_never_match_and_are_reported() {
    for (port, field) in [
        (json!({ "protocol": "tcp", "port": 8080 }), "protocol"),
        (json!({ "protocol": "ICMP" }), "protocol"),
        (json!({ "port": 0 }), "port"),
        (json!({ "port": 70000 }), "port"),
        (json!({ "port": "" }), "port"),
        (json!({ "port": 8000, "endPort": 70000 }), "endPort"),
    ] {
        let world = World::new().with(web_ingress(json!({ "ports": [port.clone()] })));
        let answer = world.check(&tcp(api(), web(), 8080));
        assert!(!answer.allowed, "{port}");
        assert_eq!(
            answer
                .problems
                .iter()
                .map(|p| p.path.as_str())
                .collect::<Vec<_>>(),
            [format!("spec.ingress[0].ports[0].{field}")],
            "{port}"
        );
    }
}

#[test]
fn malformed_peers_never_match_and_are_reported() {
    let world = World::new().with(web_ingress(json!({ "from": [
        {},
        { "ipBlock": { "cidr": "0.0.0.0/0" }, "podSelector": {} },
    ] })));
    let answer = world.check(&from_ip("203.0.113.7", web(), 8080));
    assert!(!answer.allowed);
    let kinds: Vec<_> = answer.problems.iter().map(|p| p.kind.clone()).collect();
    assert_eq!(
        kinds,
        [ProblemKind::EmptyPeer, ProblemKind::IpBlockWithSelector]
    );
}

#[test]
fn an_unknown_policy_type_is_ignored_and_reported() {
    let world = World::new().with(policy(
        "team-a",
        "p",
        json!({ "podSelector": {}, "policyTypes": ["Ingres", "Egress"] }),
    ));
    let answer = world.check(&tcp(web(), db(), 5432));
    assert!(!answer.allowed, "egress is denied");
    assert_eq!(
        answer.ingress.map(|i| i.decision),
        Some(Decision::NotIsolated),
        "the misspelt Ingress does not count"
    );
    assert_eq!(answer.problems[0].path, "spec.policyTypes[0]");
}

#[test]
fn a_policy_without_a_spec_isolates_every_pod_for_ingress() {
    let world = World::new().with(
        serde_json::from_value(json!({ "metadata": { "namespace": "team-a", "name": "bare" } }))
            .expect("a NetworkPolicy"),
    );
    assert!(!world.allows(&tcp(api(), web(), 8080)));
    assert!(world.allows(&tcp(web(), api(), 9000)));
}

#[test]
fn policies_without_metadata_and_duplicates_are_reported() {
    let mut world = World::new().with(deny_all_ingress("team-a")).with(policy(
        "team-a",
        "deny-ingress",
        json!({ "podSelector": {}, "ingress": [{}] }),
    ));
    world
        .policies
        .push(serde_json::from_value(json!({ "spec": { "podSelector": {} } })).expect("a policy"));
    world.pods.push(PodInfo::new("team-a", "web", []));
    let model = world.model();
    let kinds: Vec<_> = model
        .problems()
        .into_iter()
        .map(|p| p.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::MissingMetadata,
            ProblemKind::DuplicatePolicy {
                namespace: "team-a".into(),
                name: "deny-ingress".into()
            },
            ProblemKind::DuplicatePod { pod: web() },
        ]
    );
    // The first of each is kept: deny-ingress denies, web keeps its ports.
    assert!(!world.allows(&tcp(api(), web(), 8080)));
    assert_eq!(model.pod(&web()).map(|p| p.ports.len()), Some(2));
}

#[test]
fn a_namespace_that_was_not_given_still_has_its_name_label() {
    let mut world = World::new().with(web_ingress(json!({ "from": [{
        "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "team-c" } },
    }] })));
    world.pods.push(PodInfo::new("team-c", "client", []));
    let answer = world.check(&tcp(pod("team-c", "client"), web(), 8080));
    assert!(answer.allowed);
    assert_eq!(
        answer
            .problems
            .iter()
            .map(|p| p.kind.clone())
            .collect::<Vec<_>>(),
        [ProblemKind::UnknownNamespace {
            name: "team-c".into()
        }]
    );
}

#[test]
fn an_answer_reports_the_problems_of_the_namespaces_involved_only() {
    let world = World::new()
        .with(policy(
            "kube-system",
            "broken",
            json!({ "podSelector": {}, "ingress": [{ "from": [{ "ipBlock": { "cidr": "x" } }] }] }),
        ))
        .with(deny_all_ingress("team-a"));
    assert!(world.check(&tcp(api(), web(), 8080)).problems.is_empty());
    assert_eq!(
        world
            .check(&tcp(web(), pod("kube-system", "coredns"), 53))
            .problems
            .len(),
        1
    );
}

#[test]
fn questions_that_cannot_be_asked_are_errors() {
    let model = World::new().model();
    assert_eq!(
        model.check(&tcp(api(), pod("team-a", "nope"), 80)),
        Err(ConnectionError::UnknownPod {
            pod: pod("team-a", "nope")
        })
    );
    assert_eq!(
        model.check(&tcp(pod("nowhere", "x"), web(), 80)),
        Err(ConnectionError::UnknownPod {
            pod: pod("nowhere", "x")
        })
    );
    assert_eq!(
        model.check(&tcp(api(), web(), 0)),
        Err(ConnectionError::PortZero)
    );
    assert_eq!(
        model.check(&Connection::pod_to_pod(
            api(),
            web(),
            Port::Named(String::new())
        )),
        Err(ConnectionError::EmptyPortName)
    );
}

#[test]
fn the_answer_round_trips_through_json() {
    let world = World::new().with(deny_all_ingress("team-a"));
    let answer = world.check(&tcp(api(), web(), 8080));
    let text = serde_json::to_string(&answer).expect("serializes");
    let back: Answer = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, answer);
    let connection: Connection = serde_json::from_value(json!({
        "source": { "kind": "outside" },
        "destination": { "kind": "pod", "namespace": "team-a", "name": "web" },
        "port": "http",
    }))
    .expect("a connection in JSON");
    assert_eq!(connection.protocol, Protocol::Tcp);
    assert_eq!(connection.port, Port::Named("http".into()));
}

#[test]
fn a_model_takes_the_arcs_of_a_kube_store_and_check_takes_slices() {
    use std::sync::Arc;
    let world = World::new().with(deny_all_ingress("team-a"));
    let shared: Vec<Arc<NetworkPolicy>> = world.policies.iter().cloned().map(Arc::new).collect();
    let model = TrafficModel::new(shared, world.namespaces.clone(), world.pods.clone());
    let connection = tcp(api(), web(), 8080);
    let answer = model.check(&connection).expect("valid");
    assert!(!answer.allowed);
    assert_eq!(
        super::check(&world.policies, &world.namespaces, &world.pods, &connection),
        Ok(answer)
    );
}
