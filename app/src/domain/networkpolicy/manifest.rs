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
pub(super) mod tests;
