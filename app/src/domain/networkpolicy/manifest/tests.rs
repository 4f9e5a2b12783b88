//! Unit tests of `manifest`.

use super::super::model::{PolicySpec, PolicyTypes, Protocol};
use super::super::yaml::yaml11;
use super::*;
use proptest::prelude::*;

fn faq_blah() -> ValidSpec {
    PolicySpec {
        name: "blah".into(),
        namespace: "demo".into(),
        target: Target::KubectlRun {
            name: "blah".into(),
        },
        policy_types: PolicyTypes::BOTH,
        ingress: vec![Rule::new(vec![Peer::Anywhere {}], vec![])],
        egress: vec![Rule::new(vec![Peer::Anywhere {}], vec![])],
        allow_dns: false,
    }
    .validate()
    .expect("valid")
}

#[test]
fn faq_example_matches_the_faq_yaml() {
    let yaml = to_yaml(&to_network_policy(&faq_blah()));
    assert_eq!(
        yaml,
        "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: blah
  namespace: demo
spec:
  podSelector:
    matchLabels:
      run: blah
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - {}
  egress:
  - {}
"
    );
}

#[test]
fn dns_rule_is_added_only_when_egress_is_restricted() {
    let mut spec = faq_blah().into_inner();
    spec.egress.clear();
    spec.allow_dns = true;
    let policy = to_network_policy(&spec.clone().validate().expect("valid"));
    let egress = policy.spec.and_then(|s| s.egress).expect("egress");
    assert_eq!(egress, vec![dns_egress_rule()]);

    spec.policy_types = PolicyTypes::INGRESS;
    let policy = to_network_policy(&spec.validate().expect("valid"));
    let policy_spec = policy.spec.expect("spec");
    assert_eq!(policy_spec.egress, None);
    assert_eq!(policy_spec.policy_types, Some(vec!["Ingress".to_owned()]));
}

#[test]
fn dns_rule_yaml_selects_kube_dns_in_kube_system_in_one_peer() {
    let rule = serde_json::to_value(dns_egress_rule()).expect("serializes");
    assert_eq!(
        yaml::to_yaml(&rule),
        "\
to:
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: kube-system
  podSelector:
    matchLabels:
      k8s-app: kube-dns
ports:
- protocol: UDP
  port: 53
- protocol: TCP
  port: 53
"
    );
}

#[test]
fn rules_of_a_direction_not_restricted_are_left_out() {
    let mut spec = faq_blah().into_inner();
    spec.policy_types = PolicyTypes::EGRESS;
    let policy = to_network_policy(&spec.validate().expect("valid"));
    let policy_spec = policy.spec.expect("spec");
    assert_eq!(policy_spec.ingress, None);
    assert_eq!(policy_spec.egress.map(|e| e.len()), Some(1));
}

#[test]
fn peers_map_to_the_right_selectors() {
    let mut spec = faq_blah().into_inner();
    spec.ingress = vec![Rule::new(
        vec![
            Peer::PodsInNamespace { labels: vec![] },
            Peer::NamespaceByName {
                name: "monitoring".into(),
            },
            Peer::PodsInNamespaces {
                namespace: NamespaceSelection::ByLabels {
                    labels: vec![Label::new("env", "on")],
                },
                pod_labels: vec![Label::new("app", "yes")],
            },
            Peer::IpBlock {
                cidr: "0.0.0.0/0".into(),
                except: vec!["10.0.0.0/8".into()],
            },
        ],
        vec![PortSpec {
            protocol: Protocol::Tcp,
            port: Port::Number(8000),
            end_port: Some(8080),
        }],
    )];
    spec.egress = vec![];
    spec.allow_dns = false;
    let yaml = to_yaml(&to_network_policy(&spec.validate().expect("valid")));
    let expected_ingress = "  ingress:
  - from:
    - podSelector: {}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
    - namespaceSelector:
        matchLabels:
          env: \"on\"
      podSelector:
        matchLabels:
          app: \"yes\"
    - ipBlock:
        cidr: \"0.0.0.0/0\"
        except:
        - \"10.0.0.0/8\"
    ports:
    - protocol: TCP
      port: 8000
      endPort: 8080
";
    assert!(yaml.contains(expected_ingress), "{yaml}");
    assert!(!yaml.contains("egress:"), "{yaml}");
}

#[test]
fn apply_command_uses_a_quoted_heredoc() {
    let command = kubectl_apply_command("a: b\n");
    assert_eq!(command, "kubectl apply -f - <<'EOF'\na: b\nEOF\n");
    let tricky = kubectl_apply_command("x: $HOME\nEOF\nEOF_");
    assert_eq!(
        tricky,
        "kubectl apply -f - <<'EOF__'\nx: $HOME\nEOF\nEOF_\nEOF__\n"
    );
}

// ---- property tests: any valid spec yields YAML that Kubernetes reads back as the same
// object ----

/// Label values that YAML 1.1 would misread if left plain, mixed with ordinary ones.
const TRICKY_VALUES: &[&str] = &[
    "true", "yes", "Yes", "on", "off", "y", "n", "N", "null", "1.0", "0x1F", "1e3", "08", "0",
    "12", "NO", "", "web", "v1.2", "a_b",
];

fn label_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]([a-zA-Z0-9._-]{0,10}[a-zA-Z0-9])?",
        "[a-z0-9]{1,5}(\\.[a-z0-9]{1,5}){0,2}/[a-zA-Z0-9]{1,8}",
        prop::sample::select(TRICKY_VALUES)
            .prop_filter("keys are not empty", |k| !k.is_empty())
            .prop_map(str::to_owned),
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TRICKY_VALUES).prop_map(str::to_owned),
        "([a-zA-Z0-9]([a-zA-Z0-9._-]{0,10}[a-zA-Z0-9])?)?",
    ]
}

fn labels(max: usize) -> impl Strategy<Value = Vec<Label>> {
    prop::collection::btree_map(label_key(), label_value(), 0..=max)
        .prop_map(|m| m.into_iter().map(|(k, v)| Label::new(k, v)).collect())
}

fn dns_label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]([a-z0-9-]{0,8}[a-z0-9])?",
        prop::sample::select(&["yes", "on", "off", "true", "null", "n", "y", "0", "08"][..])
            .prop_map(str::to_owned),
    ]
}

fn cidr_with_except() -> impl Strategy<Value = (String, Vec<String>)> {
    prop_oneof![
        (any::<u32>(), 0u8..=32, 0u8..=8).prop_map(|(addr, prefix, extra)| {
            let network = if prefix == 0 {
                0
            } else {
                addr & (u32::MAX << (32 - prefix))
            };
            let cidr = format!("{}/{prefix}", std::net::Ipv4Addr::from(network));
            let except_prefix = prefix.saturating_add(extra.max(1)).min(32);
            let except = if except_prefix > prefix {
                vec![format!(
                    "{}/{except_prefix}",
                    std::net::Ipv4Addr::from(network)
                )]
            } else {
                vec![]
            };
            (cidr, except)
        }),
        (any::<u128>(), 0u8..=128).prop_map(|(addr, prefix)| {
            let network = if prefix == 0 {
                0
            } else {
                addr & (u128::MAX << (128 - prefix))
            };
            (
                format!("{}/{prefix}", std::net::Ipv6Addr::from(network)),
                vec![],
            )
        }),
    ]
}

fn valid_peer() -> impl Strategy<Value = Peer> {
    prop_oneof![
        labels(3).prop_map(|labels| Peer::PodsInNamespace { labels }),
        dns_label().prop_map(|name| Peer::NamespaceByName { name }),
        labels(3).prop_map(|labels| Peer::NamespacesByLabels { labels }),
        (dns_label(), labels(2)).prop_map(|(name, pod_labels)| Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByName { name },
            pod_labels,
        }),
        (labels(2), labels(2)).prop_map(|(labels, pod_labels)| Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByLabels { labels },
            pod_labels,
        }),
        cidr_with_except().prop_map(|(cidr, except)| Peer::IpBlock { cidr, except }),
    ]
}

fn valid_port() -> impl Strategy<Value = PortSpec> {
    let protocol = prop_oneof![
        Just(Protocol::Tcp),
        Just(Protocol::Udp),
        Just(Protocol::Sctp)
    ];
    prop_oneof![
        (protocol.clone(), 1u16.., prop::option::of(0u16..1000)).prop_map(
            |(protocol, port, extra)| PortSpec {
                protocol,
                port: Port::Number(port),
                end_port: extra.map(|e| port.saturating_add(e)),
            }
        ),
        (protocol, "[a-z]{1,5}(-[a-z0-9]{1,4})?").prop_map(|(protocol, name)| PortSpec {
            protocol,
            port: Port::Named(name),
            end_port: None,
        }),
    ]
}

fn valid_rule() -> impl Strategy<Value = Rule> {
    (
        prop_oneof![
            1 => Just(vec![Peer::Anywhere {}]),
            4 => prop::collection::vec(valid_peer(), 1..4),
        ],
        prop::collection::vec(valid_port(), 0..3),
    )
        .prop_map(|(peers, ports)| Rule { peers, ports })
}

pub(in super::super) fn valid_spec() -> impl Strategy<Value = ValidSpec> {
    (
        "[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?".prop_filter("subdomain parts", |n| {
            !n.contains("..") && !n.contains(".-") && !n.contains("-.")
        }),
        dns_label(),
        prop_oneof![
            Just(Target::AllPods {}),
            labels(3)
                .prop_filter("at least one label", |l| !l.is_empty())
                .prop_map(|labels| Target::Labels { labels }),
            dns_label().prop_map(|name| Target::KubectlRun { name }),
        ],
        prop_oneof![
            Just(PolicyTypes::INGRESS),
            Just(PolicyTypes::EGRESS),
            Just(PolicyTypes::BOTH)
        ],
        prop::collection::vec(valid_rule(), 0..3),
        prop::collection::vec(valid_rule(), 0..3),
        any::<bool>(),
    )
        .prop_map(
            |(name, namespace, target, policy_types, ingress, egress, allow_dns)| {
                PolicySpec {
                    name,
                    namespace,
                    target,
                    policy_types,
                    ingress,
                    egress,
                    allow_dns,
                }
                .validate()
                .expect("the strategy makes valid specs only")
            },
        )
}

/// Every plain (unquoted) scalar in the text, with its line, for the YAML 1.1 check below.
fn plain_label_values(yaml: &str) -> Vec<&str> {
    yaml.lines()
        .filter_map(|line| line.trim_start().trim_start_matches("- ").split_once(": "))
        .map(|(_, value)| value)
        .filter(|value| !value.starts_with('"') && *value != "{}" && *value != "[]")
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn valid_specs_round_trip_through_yaml(valid in valid_spec()) {
        let policy = to_network_policy(&valid);

        // serde_json round trip of the k8s-openapi object is the identity.
        let json = to_json(&policy);
        let back: NetworkPolicy = serde_json::from_value(json.clone()).expect("deserializes");
        prop_assert_eq!(&back, &policy);

        // The YAML, read with YAML 1.1 rules, is the same JSON and so the same object.
        let yaml = to_yaml(&policy);
        let parsed = yaml11::parse(&yaml);
        prop_assert_eq!(parsed.as_ref(), Ok(&json), "{}", yaml);
        let from_yaml: NetworkPolicy =
            serde_json::from_value(parsed.expect("checked")).expect("deserializes");
        prop_assert_eq!(&from_yaml, &policy);

        // Belt and braces, on the text itself: no value is a plain YAML 1.1 special word.
        for value in plain_label_values(&yaml) {
            prop_assert!(
                value.parse::<i64>().is_ok() || super::super::yaml::is_plain_safe(value),
                "plain value {:?} in\n{}", value, yaml
            );
        }

        // policyTypes is always explicit.
        let spec = policy.spec.expect("spec");
        prop_assert!(spec.policy_types.is_some_and(|t| !t.is_empty()));
        prop_assert!(spec.pod_selector.is_some());

        // And the heredoc carries the YAML unchanged.
        let command = kubectl_apply_command(&yaml);
        prop_assert!(command.starts_with("kubectl apply -f - <<'EOF'\n"));
        let expected_end = format!("{yaml}EOF\n");
        prop_assert!(command.ends_with(&expected_end));
    }
}
