//! Unit tests of `validate`.

use super::super::model::{PolicyTypes, Protocol};
use super::*;
use proptest::prelude::*;

/// A valid spec to break one field at a time.
fn base_spec() -> PolicySpec {
    PolicySpec {
        name: "web".into(),
        namespace: "demo".into(),
        target: Target::Labels {
            labels: vec![Label::new("app", "web")],
        },
        policy_types: PolicyTypes::BOTH,
        ingress: vec![Rule::new(
            vec![Peer::PodsInNamespace { labels: vec![] }],
            vec![PortSpec::tcp(8080)],
        )],
        egress: vec![],
        allow_dns: true,
    }
}

fn errors_of(edit: impl FnOnce(&mut PolicySpec)) -> Vec<FieldError> {
    let mut spec = base_spec();
    edit(&mut spec);
    spec.errors()
}

fn assert_single_error(edit: impl FnOnce(&mut PolicySpec), path: &str, message_part: &str) {
    let errors = errors_of(edit);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, path, "{errors:#?}");
    assert!(
        errors[0].message.contains(message_part),
        "{:?} should mention {message_part:?}",
        errors[0].message
    );
}

fn assert_valid(edit: impl FnOnce(&mut PolicySpec)) {
    let errors = errors_of(edit);
    assert!(errors.is_empty(), "{errors:#?}");
}

fn peer(peer: Peer) -> impl FnOnce(&mut PolicySpec) {
    move |spec| spec.ingress[0].peers = vec![peer]
}

fn port(port: PortSpec) -> impl FnOnce(&mut PolicySpec) {
    move |spec| spec.ingress[0].ports = vec![port]
}

#[test]
fn base_spec_is_valid() {
    assert!(base_spec().validate().is_ok());
}

#[test]
fn policy_name_is_a_dns_subdomain() {
    assert_valid(|s| s.name = "allow.web-8080".into());
    assert_valid(|s| s.name = "a".repeat(253));
    for bad in ["", "Web", "web_1", "-web", "web.", &"a".repeat(254)] {
        assert_single_error(
            |s| s.name = bad.into(),
            "name",
            "uses only lowercase letters, digits, '-' and '.'",
        );
    }
}

#[test]
fn namespace_is_a_dns_label() {
    assert_valid(|s| s.namespace = "team-a".into());
    for bad in ["", "Team", "team.a", "team_a", &"a".repeat(64)] {
        assert_single_error(
            |s| s.namespace = bad.into(),
            "namespace",
            "A namespace name uses only lowercase letters, digits and '-', starts and ends with a letter or digit, and is at most 63 characters.",
        );
    }
}

#[test]
fn target_labels_and_kubectl_run_name() {
    assert_valid(|s| s.target = Target::AllPods {});
    assert_valid(|s| {
        s.target = Target::KubectlRun {
            name: "blah".into(),
        }
    });
    assert_single_error(
        |s| s.target = Target::Labels { labels: vec![] },
        "target.labels",
        "at least one label",
    );
    assert_single_error(
        |s| {
            s.target = Target::KubectlRun {
                name: "Blah".into(),
            }
        },
        "target.name",
        "uses only lowercase letters, digits and '-'",
    );
    assert_single_error(
        |s| {
            s.target = Target::Labels {
                labels: vec![Label::new("app", "a"), Label::new("app", "b")],
            }
        },
        "target.labels[1].key",
        "appears twice",
    );
}

#[test]
fn label_keys_and_values() {
    let with = |key: &str, value: &str| {
        let label = Label::new(key, value);
        move |s: &mut PolicySpec| {
            s.target = Target::Labels {
                labels: vec![label],
            }
        }
    };
    assert_valid(with("app.kubernetes.io/name", "web"));
    assert_valid(with("tier", ""));
    assert_valid(with("enabled", "true"));
    assert_single_error(
        with("app name", "x"),
        "target.labels[0].key",
        "A label key (the part after any '/')",
    );
    assert_single_error(
        with("Example.com/app", "x"),
        "target.labels[0].key",
        "prefix",
    );
    assert_single_error(
        with("a/b/c", "x"),
        "target.labels[0].key",
        "at most one '/'",
    );
    assert_single_error(
        with("app", "-web"),
        "target.labels[0].value",
        "A label value uses only letters, digits, '-', '_' and '.', starts and ends with a letter or digit",
    );
    assert_single_error(with("app", &"v".repeat(64)), "target.labels[0].value", "63");
}

/// One key with a bad prefix and a bad name gets both rules, and a bad key that appears twice is
/// also told it appears twice: no check of a label stops at its first problem.
#[test]
fn every_problem_of_a_label_key_is_reported() {
    let errors = errors_of(|s| {
        s.target = Target::Labels {
            labels: vec![
                Label::new("Example.com/-app", "x"),
                Label::new("bad key", "-v"),
                Label::new("bad key", "y"),
            ],
        }
    });
    let found: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.path.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("target.labels[0].key", names::LABEL_KEY_PREFIX_RULE),
            ("target.labels[0].key", names::LABEL_KEY_NAME_RULE),
            ("target.labels[1].key", names::LABEL_KEY_NAME_RULE),
            ("target.labels[1].value", names::LABEL_VALUE_RULE),
            ("target.labels[2].key", names::LABEL_KEY_NAME_RULE),
            (
                "target.labels[2].key",
                "this label key appears twice; a selector can require only one value per key"
            ),
        ]
    );
}

#[test]
fn at_least_one_policy_type() {
    assert_valid(|s| s.policy_types = PolicyTypes::INGRESS);
    assert_valid(|s| s.policy_types = PolicyTypes::EGRESS);
    assert_single_error(
        |s| s.policy_types = PolicyTypes::default(),
        "policyTypes",
        "at least one policy type",
    );
}

#[test]
fn rules_need_peers_and_anywhere_stands_alone() {
    assert_valid(peer(Peer::Anywhere {}));
    assert_single_error(
        |s| s.ingress[0].peers.clear(),
        "ingress[0].peers",
        "anywhere",
    );
    assert_single_error(
        |s| s.ingress[0].peers.push(Peer::Anywhere {}),
        "ingress[0].peers",
        "only peer",
    );
}

#[test]
fn peers_are_checked_where_they_are() {
    assert_valid(peer(Peer::NamespaceByName {
        name: "ingress-nginx".into(),
    }));
    assert_valid(peer(Peer::NamespacesByLabels { labels: vec![] }));
    assert_valid(peer(Peer::PodsInNamespaces {
        namespace: NamespaceSelection::ByLabels {
            labels: vec![Label::new("env", "prod")],
        },
        pod_labels: vec![],
    }));
    assert_single_error(
        peer(Peer::NamespaceByName {
            name: "Kube_System".into(),
        }),
        "ingress[0].peers[0].name",
        "uses only lowercase letters, digits and '-'",
    );
    assert_single_error(
        peer(Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByName { name: "".into() },
            pod_labels: vec![],
        }),
        "ingress[0].peers[0].namespace.name",
        "uses only lowercase letters, digits and '-'",
    );
    assert_single_error(
        peer(Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByLabels {
                labels: vec![Label::new("env", "pr od")],
            },
            pod_labels: vec![],
        }),
        "ingress[0].peers[0].namespace.labels[0].value",
        "label value",
    );
    assert_single_error(
        peer(Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByName { name: "a".into() },
            pod_labels: vec![Label::new("", "x")],
        }),
        "ingress[0].peers[0].podLabels[0].key",
        "label key",
    );
    assert_single_error(
        peer(Peer::PodsInNamespace {
            labels: vec![Label::new("app", "a b")],
        }),
        "ingress[0].peers[0].labels[0].value",
        "label value",
    );
}

fn ip_block(cidr: &str, except: &[&str]) -> impl FnOnce(&mut PolicySpec) {
    peer(Peer::IpBlock {
        cidr: cidr.into(),
        except: except.iter().map(|e| (*e).to_owned()).collect(),
    })
}

#[test]
fn ip_blocks() {
    assert_valid(ip_block("203.0.113.10/32", &[]));
    assert_valid(ip_block("0.0.0.0/0", &["10.0.0.0/8", "192.168.0.0/16"]));
    assert_valid(ip_block("2001:db8::/32", &["2001:db8:1::/48"]));
    assert_single_error(
        ip_block("203.0.113.10", &[]),
        "ingress[0].peers[0].cidr",
        "CIDR",
    );
    assert_single_error(
        ip_block("10.0.0.0/33", &[]),
        "ingress[0].peers[0].cidr",
        "at most 32",
    );
    assert_single_error(
        ip_block("10.0.0.1/8", &[]),
        "ingress[0].peers[0].cidr",
        "did you mean 10.0.0.0/8?",
    );
    assert_single_error(
        ip_block("10.0.0.0/8", &["192.168.0.0/16"]),
        "ingress[0].peers[0].except[0]",
        "inside cidr",
    );
    assert_single_error(
        ip_block("10.0.0.0/8", &["10.0.0.0/8"]),
        "ingress[0].peers[0].except[0]",
        "smaller",
    );
    assert_single_error(
        ip_block("0.0.0.0/0", &["::/64"]),
        "ingress[0].peers[0].except[0]",
        "same IP family",
    );
    assert_single_error(
        ip_block("10.0.0.0/8", &["10.1.0.0/8"]),
        "ingress[0].peers[0].except[0]",
        "did you mean",
    );
    // A broken cidr does not hide a broken except entry.
    let errors = errors_of(ip_block("nope", &["also-nope"]));
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn ports() {
    assert_valid(port(PortSpec::tcp(1)));
    assert_valid(port(PortSpec::udp(65535)));
    assert_valid(port(PortSpec {
        protocol: Protocol::Sctp,
        port: Port::Number(30000),
        end_port: Some(30000),
    }));
    assert_valid(port(PortSpec {
        protocol: Protocol::Tcp,
        port: Port::Named("http-alt".into()),
        end_port: None,
    }));
    assert_single_error(
        port(PortSpec::tcp(0)),
        "ingress[0].ports[0].port",
        "between 1 and 65535",
    );
    assert_single_error(
        port(PortSpec {
            protocol: Protocol::Tcp,
            port: Port::Number(8080),
            end_port: Some(8000),
        }),
        "ingress[0].ports[0].endPort",
        "greater than or equal to port",
    );
    assert_single_error(
        port(PortSpec {
            protocol: Protocol::Tcp,
            port: Port::Named("http".into()),
            end_port: Some(90),
        }),
        "ingress[0].ports[0].endPort",
        "numeric port",
    );
    assert_single_error(
        port(PortSpec {
            protocol: Protocol::Tcp,
            port: Port::Named("HTTP".into()),
            end_port: None,
        }),
        "ingress[0].ports[0].port",
        "A port name uses only lowercase letters",
    );
}

#[test]
fn size_caps_refuse_without_descending() {
    let huge_label = vec![Label::new("bad key", "bad value"); MAX_LABELS + 1];
    assert_single_error(
        |s| s.target = Target::Labels { labels: huge_label },
        "target.labels",
        "at most 100 labels",
    );
    let many_rules = vec![Rule::new(vec![], vec![]); MAX_RULES + 1];
    assert_single_error(
        |s| s.egress = many_rules,
        "egress",
        "at most 100 egress rules",
    );
    assert_single_error(
        |s| s.ingress[0].peers = vec![Peer::Anywhere {}; MAX_PEERS_PER_RULE + 1],
        "ingress[0].peers",
        "at most 100 peers",
    );
    assert_single_error(
        |s| s.ingress[0].ports = vec![PortSpec::tcp(0); MAX_PORTS_PER_RULE + 1],
        "ingress[0].ports",
        "at most 100 ports",
    );
    assert_single_error(
        ip_block("10.0.0.0/8", &["x"; MAX_EXCEPT + 1]),
        "ingress[0].peers[0].except",
        "at most 100 except",
    );
}

#[test]
fn error_list_is_capped() {
    let errors = errors_of(|s| {
        s.ingress = vec![Rule::new(vec![], vec![PortSpec::tcp(0); 100]); 100];
    });
    assert_eq!(errors.len(), MAX_REPORTED_ERRORS + 1);
    let last = errors.last().expect("summary");
    assert_eq!(last.path, "");
    assert!(
        last.message.starts_with("10000 more errors"),
        "{}",
        last.message
    );
}

#[test]
fn all_errors_are_reported_together() {
    let errors = errors_of(|s| {
        s.name = "Bad".into();
        s.namespace = "Bad".into();
        s.policy_types = PolicyTypes::default();
        s.ingress[0].ports = vec![PortSpec::tcp(0)];
    });
    let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "name",
            "namespace",
            "policyTypes",
            "ingress[0].ports[0].port"
        ]
    );
}

fn arbitrary_label() -> impl Strategy<Value = Label> {
    (any::<String>(), any::<String>()).prop_map(|(k, v)| Label::new(k, v))
}

fn arbitrary_peer() -> impl Strategy<Value = Peer> {
    let labels = || prop::collection::vec(arbitrary_label(), 0..4);
    prop_oneof![
        Just(Peer::Anywhere {}),
        labels().prop_map(|labels| Peer::PodsInNamespace { labels }),
        any::<String>().prop_map(|name| Peer::NamespaceByName { name }),
        labels().prop_map(|labels| Peer::NamespacesByLabels { labels }),
        (any::<String>(), labels()).prop_map(|(name, pod_labels)| Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByName { name },
            pod_labels
        }),
        (labels(), labels()).prop_map(|(labels, pod_labels)| Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByLabels { labels },
            pod_labels
        }),
        (
            any::<String>(),
            prop::collection::vec(any::<String>(), 0..3)
        )
            .prop_map(|(cidr, except)| Peer::IpBlock { cidr, except }),
        (
            "[0-9a-f:./]{0,20}",
            prop::collection::vec("[0-9a-f:./]{0,20}", 0..3)
        )
            .prop_map(|(cidr, except)| Peer::IpBlock { cidr, except }),
    ]
}

fn arbitrary_port() -> impl Strategy<Value = PortSpec> {
    (
        prop_oneof![
            Just(Protocol::Tcp),
            Just(Protocol::Udp),
            Just(Protocol::Sctp)
        ],
        prop_oneof![
            any::<u16>().prop_map(Port::Number),
            any::<String>().prop_map(Port::Named)
        ],
        any::<Option<u16>>(),
    )
        .prop_map(|(protocol, port, end_port)| PortSpec {
            protocol,
            port,
            end_port,
        })
}

fn arbitrary_rule() -> impl Strategy<Value = Rule> {
    (
        prop::collection::vec(arbitrary_peer(), 0..4),
        prop::collection::vec(arbitrary_port(), 0..4),
    )
        .prop_map(|(peers, ports)| Rule { peers, ports })
}

fn arbitrary_spec() -> impl Strategy<Value = PolicySpec> {
    (
        any::<String>(),
        any::<String>(),
        prop_oneof![
            Just(Target::AllPods {}),
            prop::collection::vec(arbitrary_label(), 0..3)
                .prop_map(|labels| Target::Labels { labels }),
            any::<String>().prop_map(|name| Target::KubectlRun { name }),
        ],
        any::<(bool, bool, bool)>(),
        prop::collection::vec(arbitrary_rule(), 0..3),
        prop::collection::vec(arbitrary_rule(), 0..3),
    )
        .prop_map(
            |(
                name,
                namespace,
                target,
                (ingress, egress, allow_dns),
                ingress_rules,
                egress_rules,
            )| {
                PolicySpec {
                    name,
                    namespace,
                    target,
                    policy_types: PolicyTypes { ingress, egress },
                    ingress: ingress_rules,
                    egress: egress_rules,
                    allow_dns,
                }
            },
        )
}

proptest! {
    /// Validation never panics, and whatever it accepts can be generated.
    #[test]
    fn validation_never_panics(spec in arbitrary_spec()) {
        let config = super::super::lint::LintConfig::default();
        match super::super::generate(&spec, &config) {
            Ok(generated) => prop_assert!(!generated.yaml.is_empty()),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.len() <= MAX_REPORTED_ERRORS + 1);
            }
        }
    }

    /// Nor does deserializing arbitrary JSON text first.
    #[test]
    fn arbitrary_json_text_never_panics(text in any::<String>()) {
        if let Ok(spec) = serde_json::from_str::<PolicySpec>(&text) {
            let _ = spec.validate();
        }
    }
}
