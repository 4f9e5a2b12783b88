//! From a validated spec to the Kubernetes object, its YAML, and a command to apply it.
//!
//! Choices made here, so every generated policy reads the same way:
//!
//! - `policyTypes` is always written out (Kubernetes' guess when it is missing is a classic trap).
//! - `podSelector` is always written, `{}` for every Pod.
//! - An empty rule list is left out rather than written as `[]`; with the policy type listed,
//!   both mean "block everything in this direction".
//! - Rules for a direction that is not in `policyTypes` are left out: Kubernetes would ignore
//!   them, and the lint says so.
//! - The DNS rule, when wanted, comes last among the egress rules.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::model::{Label, NamespaceSelection, Peer, Port, PortSpec, Rule, Target};
use super::validate::ValidSpec;
use super::yaml;

/// The label every namespace carries with its own name (set by Kubernetes since 1.21).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// The label `kubectl run NAME` puts on its Pod, with the value `NAME`.
pub const KUBECTL_RUN_LABEL: &str = "run";
/// Namespace of the cluster DNS.
pub const DNS_NAMESPACE: &str = "kube-system";
/// Label key of the cluster DNS Pods (CoreDNS keeps kube-dns' label).
pub const DNS_POD_LABEL_KEY: &str = "k8s-app";
/// Label value of the cluster DNS Pods.
pub const DNS_POD_LABEL_VALUE: &str = "kube-dns";
/// The DNS port, on UDP and TCP.
pub const DNS_PORT: u16 = 53;

/// Builds the NetworkPolicy object. Only a validated spec gets here.
pub fn to_network_policy(valid: &ValidSpec) -> NetworkPolicy {
    let spec = valid.spec();
    let types = spec.policy_types;

    let mut policy_types = Vec::new();
    if types.ingress {
        policy_types.push("Ingress".to_owned());
    }
    if types.egress {
        policy_types.push("Egress".to_owned());
    }

    let ingress: Vec<NetworkPolicyIngressRule> = if types.ingress {
        spec.ingress
            .iter()
            .map(|rule| NetworkPolicyIngressRule {
                from: peers(rule),
                ports: ports(&rule.ports),
            })
            .collect()
    } else {
        Vec::new()
    };

    let mut egress: Vec<NetworkPolicyEgressRule> = if types.egress {
        spec.egress
            .iter()
            .map(|rule| NetworkPolicyEgressRule {
                to: peers(rule),
                ports: ports(&rule.ports),
            })
            .collect()
    } else {
        Vec::new()
    };
    if types.egress && spec.allow_dns {
        egress.push(dns_egress_rule());
    }

    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(spec.name.clone()),
            namespace: Some(spec.namespace.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(target_selector(&spec.target)),
            policy_types: Some(policy_types),
            ingress: non_empty(ingress),
            egress: non_empty(egress),
        }),
    }
}

/// The rule that keeps name lookups working: UDP and TCP 53 to the cluster DNS Pods, selected by
/// namespace name AND Pod label in one peer.
pub fn dns_egress_rule() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(match_labels([(NAMESPACE_NAME_LABEL, DNS_NAMESPACE)])),
            pod_selector: Some(match_labels([(DNS_POD_LABEL_KEY, DNS_POD_LABEL_VALUE)])),
            ip_block: None,
        }]),
        ports: Some(vec![
            port_number("UDP", DNS_PORT),
            port_number("TCP", DNS_PORT),
        ]),
    }
}

/// The policy as a JSON value, as `kubectl apply` would send it (`apiVersion` and `kind`
/// included).
pub fn to_json(policy: &NetworkPolicy) -> serde_json::Value {
    // Cannot fail: a NetworkPolicy holds only strings, integers and string-keyed maps.
    serde_json::to_value(policy).expect("a NetworkPolicy always serializes to JSON")
}

/// The policy as YAML that Kubernetes (YAML 1.1) reads back exactly; see [`super::yaml`].
pub fn to_yaml(policy: &NetworkPolicy) -> String {
    yaml::to_yaml(&to_json(policy))
}

/// `kubectl apply -f - <<'EOF'` … `EOF`: pastes into any POSIX shell.
///
/// The delimiter is quoted, so the shell expands nothing (`$`, backticks) inside the document.
/// Should the document contain a line that equals the delimiter, a longer one is chosen.
pub fn kubectl_apply_command(yaml: &str) -> String {
    let mut delimiter = String::from("EOF");
    while yaml.lines().any(|line| line == delimiter) {
        delimiter.push('_');
    }
    let newline = if yaml.ends_with('\n') { "" } else { "\n" };
    format!("kubectl apply -f - <<'{delimiter}'\n{yaml}{newline}{delimiter}\n")
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    if items.is_empty() { None } else { Some(items) }
}

fn target_selector(target: &Target) -> LabelSelector {
    match target {
        Target::AllPods {} => LabelSelector::default(),
        Target::Labels { labels } => selector(labels),
        Target::KubectlRun { name } => match_labels([(KUBECTL_RUN_LABEL, name.as_str())]),
    }
}

/// `matchLabels` from the model's labels; `{}` (everything) when there are none.
fn selector(labels: &[Label]) -> LabelSelector {
    match_labels(labels.iter().map(|l| (l.key.as_str(), l.value.as_str())))
}

fn match_labels<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> LabelSelector {
    let map: BTreeMap<String, String> = labels
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    LabelSelector {
        match_labels: if map.is_empty() { None } else { Some(map) },
        match_expressions: None,
    }
}

/// `from`/`to`: `None` for [`Peer::Anywhere`] (validation keeps it alone in its rule).
fn peers(rule: &Rule) -> Option<Vec<NetworkPolicyPeer>> {
    if rule.peers.contains(&Peer::Anywhere {}) {
        return None;
    }
    Some(rule.peers.iter().filter_map(peer).collect())
}

fn peer(peer: &Peer) -> Option<NetworkPolicyPeer> {
    let (namespace_selector, pod_selector, ip_block) = match peer {
        Peer::Anywhere {} => return None,
        Peer::PodsInNamespace { labels } => (None, Some(selector(labels)), None),
        Peer::NamespaceByName { name } => (Some(namespace_by_name(name)), None, None),
        Peer::NamespacesByLabels { labels } => (Some(selector(labels)), None, None),
        Peer::PodsInNamespaces {
            namespace,
            pod_labels,
        } => {
            let namespaces = match namespace {
                NamespaceSelection::ByName { name } => namespace_by_name(name),
                NamespaceSelection::ByLabels { labels } => selector(labels),
            };
            (Some(namespaces), Some(selector(pod_labels)), None)
        }
        Peer::IpBlock { cidr, except } => (
            None,
            None,
            Some(IPBlock {
                cidr: cidr.clone(),
                except: non_empty(except.clone()),
            }),
        ),
    };
    Some(NetworkPolicyPeer {
        namespace_selector,
        pod_selector,
        ip_block,
    })
}

fn namespace_by_name(name: &str) -> LabelSelector {
    match_labels([(NAMESPACE_NAME_LABEL, name)])
}

fn ports(ports: &[PortSpec]) -> Option<Vec<NetworkPolicyPort>> {
    non_empty(
        ports
            .iter()
            .map(|p| NetworkPolicyPort {
                protocol: Some(p.protocol.as_str().to_owned()),
                port: Some(match &p.port {
                    Port::Number(n) => IntOrString::Int(i32::from(*n)),
                    Port::Named(name) => IntOrString::String(name.clone()),
                }),
                end_port: p.end_port.map(i32::from),
            })
            .collect(),
    )
}

fn port_number(protocol: &str, port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some(protocol.to_owned()),
        port: Some(IntOrString::Int(i32::from(port))),
        end_port: None,
    }
}

#[cfg(test)]
pub(super) mod tests {
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
}
