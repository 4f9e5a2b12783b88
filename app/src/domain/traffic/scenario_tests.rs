//! Whole scenarios: the baseline policies the portal gives every new namespace (from the real
//! provisioning plan), and the FAQ's `kubectl run blah` policy (from the shipped FAQ entry).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::rule_tests::{World, ip, pod, tcp};
use super::*;
use crate::domain::networkpolicy::yaml::yaml11;
use crate::domain::networkpolicy::{presets, to_network_policy};
use crate::domain::provisioning::{ApprovedRequest, ProvisioningConfig, ProvisioningPlan};
use crate::domain::{NamespaceName, NamingPolicy};

const SHOP: &str = "team-a-shop";

/// What approving a request for `team-a-shop` creates, with the default configuration: the
/// Namespace (with its labels) and the three baseline policies.
pub(super) fn provisioned() -> (NamespaceInfo, Vec<NetworkPolicy>) {
    let request = ApprovedRequest {
        id: 7,
        name: NamespaceName::parse(SHOP, &NamingPolicy::default()).expect("valid"),
        requester: "alice@example.com".into(),
        groups: vec!["team-a".into()],
        labels: BTreeMap::new(),
    };
    let plan =
        ProvisioningPlan::for_request(&request, &ProvisioningConfig::default()).expect("a plan");
    let namespace = NamespaceInfo {
        name: SHOP.into(),
        labels: plan.namespace.metadata.labels.clone().unwrap_or_default(),
    };
    (namespace, plan.network_policies)
}

/// The new namespace with a web Pod and a worker, next to the platform's DNS and ingress
/// controller, another team, and a metrics Pod in kube-system that is not DNS.
fn baseline() -> World {
    let (namespace, policies) = provisioned();
    World {
        policies,
        namespaces: vec![
            namespace,
            NamespaceInfo::new("kube-system", []),
            NamespaceInfo::new("ingress-nginx", []),
            NamespaceInfo::new("team-b", []),
        ],
        pods: vec![
            PodInfo::new(SHOP, "web-7f9", [("app", "shop")])
                .with_port(ContainerPort::tcp("http", 8080)),
            PodInfo::new(SHOP, "worker", [("app", "worker")]),
            PodInfo::new("kube-system", "coredns-5d7", [("k8s-app", "kube-dns")])
                .with_port(ContainerPort::named("dns", 53, Protocol::Udp))
                .with_port(ContainerPort::named("dns-tcp", 53, Protocol::Tcp)),
            PodInfo::new(
                "kube-system",
                "metrics-server",
                [("k8s-app", "metrics-server")],
            ),
            PodInfo::new(
                "ingress-nginx",
                "ingress-nginx-controller",
                [("app.kubernetes.io/name", "ingress-nginx")],
            ),
            PodInfo::new("team-b", "api-1", [("app", "api")]),
            // Labelled like DNS, in the wrong namespace.
            PodInfo::new("team-b", "fake-dns", [("k8s-app", "kube-dns")]),
        ],
    }
}

fn web() -> PodRef {
    pod(SHOP, "web-7f9")
}

fn coredns() -> PodRef {
    pod("kube-system", "coredns-5d7")
}

#[test]
fn the_baseline_is_the_three_policies_of_the_plan() {
    let (_, policies) = provisioned();
    let names: Vec<_> = policies
        .iter()
        .filter_map(|p| p.metadata.name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "default-deny-all",
            "allow-dns",
            "allow-from-ingress-controller"
        ]
    );
    assert!(baseline().model().problems().is_empty());
}

#[test]
fn baseline_allows_dns_to_kube_dns_on_udp_and_tcp_53() {
    let world = baseline();
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let answer = world.check(&tcp(web(), coredns(), 53).over(protocol));
        assert!(answer.allowed, "{protocol:?}");
        let egress = answer.egress.expect("web is a Pod");
        assert_eq!(
            egress.decision,
            Decision::Allowed {
                by: RuleRef {
                    policy: PolicyRef {
                        namespace: SHOP.into(),
                        name: "allow-dns".into()
                    },
                    direction: Direction::Egress,
                    index: 0
                }
            }
        );
        let isolating: Vec<_> = egress.isolated_by.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(isolating, ["allow-dns", "default-deny-all"]);
        // kube-system has no policy in this world, so CoreDNS accepts it.
        assert_eq!(
            answer.ingress.map(|i| i.decision),
            Some(Decision::NotIsolated)
        );
    }
}

#[test]
fn baseline_allows_dns_by_port_name() {
    let world = baseline();
    let answer = world
        .model()
        .check(
            &Connection::pod_to_pod(web(), coredns(), Port::Named("dns".into()))
                .over(Protocol::Udp),
        )
        .expect("valid");
    assert!(answer.allowed);
    assert_eq!(answer.port.number, Some(53));
}

#[test]
fn baseline_denies_dns_anywhere_else() {
    let world = baseline();
    // Another port, SCTP, a Pod of kube-system that is not DNS, a DNS-labelled Pod elsewhere,
    // and a resolver on the internet.
    assert!(!world.allows(&tcp(web(), coredns(), 5353).over(Protocol::Udp)));
    assert!(!world.allows(&tcp(web(), coredns(), 53).over(Protocol::Sctp)));
    assert!(
        !world.allows(&tcp(web(), pod("kube-system", "metrics-server"), 53).over(Protocol::Udp))
    );
    assert!(!world.allows(&tcp(web(), pod("team-b", "fake-dns"), 53).over(Protocol::Udp)));
    let public_resolver = Connection {
        source: Source::Pod(web()),
        destination: Destination::Ip {
            address: ip("9.9.9.9"),
        },
        protocol: Protocol::Udp,
        port: Port::Number(53),
    };
    assert!(!world.allows(&public_resolver));
}

#[test]
fn baseline_lets_the_ingress_controller_in_on_any_port() {
    let world = baseline();
    let controller = pod("ingress-nginx", "ingress-nginx-controller");
    for port in [80, 8080, 9999] {
        let answer = world.check(&tcp(controller.clone(), web(), port));
        assert!(answer.allowed, "{port}");
        let ingress = answer.ingress.expect("web is a Pod");
        assert_eq!(
            ingress
                .matching_rules
                .iter()
                .map(RuleRef::to_string)
                .collect::<Vec<_>>(),
            ["team-a-shop/allow-from-ingress-controller spec.ingress[0]"]
        );
    }
}

#[test]
fn baseline_denies_everything_else() {
    let world = baseline();
    let worker = pod(SHOP, "worker");
    let api = pod("team-b", "api-1");
    // Within the namespace: denied at both ends.
    let inside = world.check(&tcp(worker.clone(), web(), 8080));
    assert!(!inside.allowed);
    assert_eq!(inside.egress.map(|e| e.decision), Some(Decision::Denied));
    assert_eq!(inside.ingress.map(|i| i.decision), Some(Decision::Denied));
    // Another team in, and out to it.
    assert!(!world.allows(&tcp(api.clone(), web(), 8080)));
    assert!(!world.allows(&tcp(web(), api, 80)));
    // From outside the cluster and to the internet.
    assert!(!world.allows(&Connection {
        source: Source::Outside,
        destination: Destination::Pod(web()),
        protocol: Protocol::Tcp,
        port: Port::Number(8080),
    }));
    assert!(!world.allows(&Connection {
        source: Source::Pod(worker),
        destination: Destination::Ip {
            address: ip("203.0.113.10"),
        },
        protocol: Protocol::Tcp,
        port: Port::Number(443),
    }));
}

#[test]
fn baseline_denial_is_explained_in_plain_words() {
    let world = baseline();
    let answer = world.check(&tcp(pod("team-b", "api-1"), web(), 8080));
    let explanation = explain(&answer);
    assert_eq!(
        explanation.verdict,
        "Denied: api-1 in team-b cannot connect to web-7f9 in team-a-shop on TCP 8080 (port http)."
    );
    assert_eq!(
        explanation.details,
        [
            "Egress: api-1 in team-b is not isolated for egress (no NetworkPolicy in team-b \
             selects it for egress), so TCP 8080 (port http) to web-7f9 in team-a-shop is allowed.",
            "Ingress: web-7f9 in team-a-shop is isolated for ingress by \
             allow-from-ingress-controller and default-deny-all; no rule of those allows TCP 8080 \
             (port http) from api-1 in team-b.",
        ]
    );
}

/// The policy exactly as the FAQ entry shows it, read from the entry itself.
fn faq_blah(namespace: &str) -> NetworkPolicy {
    let entry = include_str!("../../../../content/faq/networkpolicy-basics.md");
    let section = entry
        .split("## The allow-everything policy")
        .nth(1)
        .expect("the FAQ section");
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the YAML block");
    let mut manifest = yaml11::parse(yaml).expect("YAML");
    manifest["metadata"]["namespace"] = namespace.into();
    serde_json::from_value(manifest).expect("a NetworkPolicy")
}

#[test]
fn the_faq_policy_is_the_preset() {
    let preset = presets::faq_kubectl_run_blah(SHOP)
        .validated()
        .expect("valid");
    assert_eq!(faq_blah(SHOP).spec, to_network_policy(&preset).spec);
}

#[test]
fn faq_kubectl_run_blah_opens_everything_for_the_blah_pod_only() {
    let mut world = baseline();
    world.policies.push(faq_blah(SHOP));
    // `kubectl run blah` labels its Pod run=blah.
    world
        .pods
        .push(PodInfo::new(SHOP, "blah", [("run", "blah")]));
    let blah = pod(SHOP, "blah");

    // Out to anything, over every protocol (`- {}` is not only TCP, whatever the old FAQ said).
    for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
        let answer = world.check(&Connection {
            source: Source::Pod(blah.clone()),
            destination: Destination::Ip {
                address: ip("203.0.113.10"),
            },
            protocol,
            port: Port::Number(4242),
        });
        assert!(answer.allowed, "{protocol:?}");
        assert_eq!(
            answer.egress.expect("a Pod").decision,
            Decision::Allowed {
                by: RuleRef {
                    policy: PolicyRef {
                        namespace: SHOP.into(),
                        name: "blah".into()
                    },
                    direction: Direction::Egress,
                    index: 0
                }
            }
        );
    }
    // In from anyone: another team, outside the cluster.
    assert!(world.allows(&tcp(pod("team-b", "api-1"), blah.clone(), 8080)));
    assert!(world.allows(&Connection {
        source: Source::Outside,
        destination: Destination::Pod(blah.clone()),
        protocol: Protocol::Udp,
        port: Port::Number(9999),
    }));
    // It reaches DNS, but not web: web's own ingress is still the baseline's.
    assert!(world.allows(&tcp(blah.clone(), coredns(), 53).over(Protocol::Udp)));
    let to_web = world.check(&tcp(blah.clone(), web(), 8080));
    assert!(!to_web.allowed);
    assert!(to_web.egress.as_ref().is_some_and(DirectionAnswer::allows));
    // Other Pods gain nothing.
    assert!(!world.allows(&tcp(pod("team-b", "api-1"), web(), 8080)));
}

#[test]
fn faq_kubectl_run_blah_alone_isolates_only_its_pod() {
    // The FAQ's situation: a namespace with no other policy.
    let world = World {
        policies: vec![faq_blah("demo")],
        namespaces: vec![NamespaceInfo::new("demo", [])],
        pods: vec![
            PodInfo::new("demo", "blah", [("run", "blah")]),
            PodInfo::new("demo", "other", [("run", "other")]),
        ],
    };
    let answer = world.check(&tcp(pod("demo", "other"), pod("demo", "blah"), 80));
    assert!(answer.allowed);
    assert_eq!(
        answer.egress.as_ref().map(|e| &e.decision),
        Some(&Decision::NotIsolated)
    );
    assert_eq!(
        answer.ingress.map(|i| i.isolated_by),
        Some(vec![PolicyRef {
            namespace: "demo".into(),
            name: "blah".into()
        }])
    );
}

#[test]
fn the_safer_kubectl_run_recipe_allows_only_dns() {
    let mut world = baseline();
    let recipe = presets::kubectl_run_dns_only(SHOP, "debug")
        .validated()
        .expect("valid");
    world.policies.push(to_network_policy(&recipe));
    world
        .pods
        .push(PodInfo::new(SHOP, "debug", [("run", "debug")]));
    let debug = pod(SHOP, "debug");
    assert!(world.allows(&tcp(debug.clone(), coredns(), 53).over(Protocol::Udp)));
    assert!(!world.allows(&tcp(debug.clone(), web(), 8080)));
    assert!(!world.allows(&tcp(pod("team-b", "api-1"), debug, 8080)));
}

#[test]
fn a_pod_from_the_cluster_is_read_with_its_labels_and_container_ports() {
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "api-1", "namespace": SHOP, "labels": { "app": "api" } },
        "spec": { "containers": [
            { "name": "api", "ports": [
                { "name": "http", "containerPort": 8080 },
                { "containerPort": 9090, "protocol": "UDP" },
                { "name": "", "containerPort": 70000 } ] },
            { "name": "sidecar", "ports": [{ "name": "metrics", "containerPort": 9102, "protocol": "SCTP" }] }
        ] }
    }))
    .expect("a Pod");
    let info = PodInfo::from_pod(&pod).expect("named, in a namespace");
    assert_eq!(
        info.labels,
        BTreeMap::from([("app".to_owned(), "api".to_owned())])
    );
    assert_eq!(
        info.ports,
        [
            ContainerPort::tcp("http", 8080),
            ContainerPort {
                name: None,
                number: 9090,
                protocol: Protocol::Udp
            },
            ContainerPort::named("metrics", 9102, Protocol::Sctp),
        ],
        "a port beyond 65535 is left out"
    );
    let mut nameless = pod;
    nameless.metadata.namespace = None;
    assert_eq!(PodInfo::from_pod(&nameless), None);
}
