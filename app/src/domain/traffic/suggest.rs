//! The smallest NetworkPolicy that would let a denied connection through, from the generator.
//!
//! For each side that denies, one policy in that Pod's namespace: it selects Pods labelled as
//! the Pod is (its own labels, without the ones controllers generate per Pod), applies to that
//! direction only, and has one rule that lets the other end in (or out to it) on the
//! connection's protocol and port. A side only denies when the Pod is already isolated for that
//! direction, so adding the policy isolates nothing that was open. Each suggestion is checked:
//! the connection is decided again with the policies added, and none is offered unless it then
//! is allowed.

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::{Deserialize, Serialize};

use super::evaluate::TrafficModel;
use super::model::{
    Answer, Decision, Destination, Direction, NamespaceInfo, PodInfo, PodRef, PolicyRef, Port,
    Source,
};
use crate::domain::networkpolicy::model::{
    Label, NamespaceSelection, Peer, PolicySpec, PolicyTypes, PortSpec, Rule, Target,
};
use crate::domain::networkpolicy::names::is_dns1123_label;
use crate::domain::networkpolicy::{LintCode, LintConfig, generate};

/// Labels that controllers set to a different value on each Pod or each rollout: selecting by
/// them would select one Pod, or only today's.
const PER_POD_LABELS: [&str; 7] = [
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
];

/// One policy that, with the others suggested, lets the connection through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The side it opens.
    pub direction: Direction,
    pub policy: PolicyRef,
    /// Ready to apply.
    pub yaml: String,
    pub apply_command: String,
    /// The generator's explanation of it, sentence by sentence.
    pub explanation: Vec<String>,
    /// The generator's warnings about it.
    pub warnings: Vec<String>,
    /// What to know before applying it (it selects more than the Pod, say).
    pub notes: Vec<String>,
}

/// The labels that select Pods like `pod`: its own, without per-Pod ones.
fn selecting_labels(pod: &PodInfo) -> Vec<Label> {
    pod.labels
        .iter()
        .filter(|(key, _)| {
            !PER_POD_LABELS.contains(&key.as_str()) && !key.starts_with("batch.kubernetes.io/")
        })
        .map(|(key, value)| Label::new(key, value))
        .collect()
}

/// A short name for one end, for the policy's name.
fn end_name(pod: Option<&PodInfo>, outside: &str) -> String {
    let Some(pod) = pod else {
        return outside.to_owned();
    };
    for key in ["app.kubernetes.io/name", "app", "k8s-app", "run"] {
        if let Some(value) = pod.labels.get(key) {
            return value.clone();
        }
    }
    pod.name.clone()
}

/// `allow-frontend-to-api-8080` (ingress into the API) or `allow-frontend-out-to-api-8080`
/// (egress out of the frontend), as a DNS-1123 label, not one of `taken`.
fn policy_name(from: &str, to: &str, port: &str, direction: Direction, taken: &[&str]) -> String {
    let via = match direction {
        Direction::Ingress => "to",
        Direction::Egress => "out-to",
    };
    let raw = format!("allow-{from}-{via}-{to}-{port}").to_ascii_lowercase();
    let mut name = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let mut name: String = name.trim_matches('-').chars().take(57).collect();
    while name.ends_with('-') {
        name.pop();
    }
    if !is_dns1123_label(&name) {
        name = "allow-this-connection".to_owned();
    }
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate.as_str()) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    candidate
}

/// The peer that is `end` (a Pod the model knows, an address, or outside) as seen from a policy
/// in `namespace`; notes say when it is wider than that one end.
fn peer_for(
    pod: Option<&PodInfo>,
    address: Option<std::net::IpAddr>,
    namespace: &str,
    notes: &mut Vec<String>,
) -> Peer {
    match (pod, address) {
        (Some(pod), _) => {
            let labels = selecting_labels(pod);
            if labels.is_empty() {
                notes.push(format!(
                    "{} has no labels to select it by, so the rule lets in every Pod of {}; label the Pod to narrow it.",
                    pod.name, pod.namespace
                ));
            }
            if pod.namespace == namespace {
                Peer::PodsInNamespace { labels }
            } else {
                Peer::PodsInNamespaces {
                    namespace: NamespaceSelection::ByName {
                        name: pod.namespace.clone(),
                    },
                    pod_labels: labels,
                }
            }
        }
        (None, Some(address)) => Peer::IpBlock {
            cidr: match address {
                std::net::IpAddr::V4(_) => format!("{address}/32"),
                std::net::IpAddr::V6(_) => format!("{address}/128"),
            },
            except: Vec::new(),
        },
        (None, None) => {
            notes.push(
                "The address outside the cluster is not known, so the rule allows every address; give the address to narrow it to one."
                    .to_owned(),
            );
            Peer::IpBlock {
                cidr: "0.0.0.0/0".to_owned(),
                except: Vec::new(),
            }
        }
    }
}

/// The smallest policies that let `answer`'s connection through, checked over the same Pods
/// and namespaces with them added to `policies`; empty when none can be found.
pub fn suggest(
    answer: &Answer,
    model: &TrafficModel,
    policies: &[NetworkPolicy],
    namespaces: &[NamespaceInfo],
    pods: &[PodInfo],
    lint: &LintConfig,
) -> Vec<Suggestion> {
    let connection = &answer.connection;
    let pod_of = |reference: &PodRef| model.pod(reference);
    let (source_pod, source_address) = match &connection.source {
        Source::Pod(reference) => (pod_of(reference), None),
        Source::Ip { address } => (None, Some(*address)),
        Source::Outside => (None, None),
    };
    let (destination_pod, destination_address) = match &connection.destination {
        Destination::Pod(reference) => (pod_of(reference), None),
        Destination::Ip { address } => (None, Some(*address)),
        Destination::Outside => (None, None),
    };
    // The port as the rule gives it: the number the destination resolves it to, else as asked.
    let port = match (answer.port.number, &connection.port) {
        (Some(number), _) => Port::Number(number),
        (None, Port::Named(name)) if destination_pod.is_some() => Port::Named(name.clone()),
        // A name on an address (or one the Pod does not declare): no rule can name it.
        (None, _) => return Vec::new(),
    };
    let port_words = match &port {
        Port::Number(number) => number.to_string(),
        Port::Named(name) => name.clone(),
    };
    let from = end_name(
        source_pod,
        &source_address.map_or("internet".to_owned(), |a| a.to_string()),
    );
    let to = end_name(
        destination_pod,
        &destination_address.map_or("internet".to_owned(), |a| a.to_string()),
    );

    let mut suggestions = Vec::new();
    let mut added: Vec<NetworkPolicy> = Vec::new();
    for side in [&answer.egress, &answer.ingress].into_iter().flatten() {
        if side.decision != Decision::Denied {
            continue;
        }
        let (pod, other_pod, other_address) = match side.direction {
            Direction::Egress => (source_pod, destination_pod, destination_address),
            Direction::Ingress => (destination_pod, source_pod, source_address),
        };
        let Some(pod) = pod else { continue };
        let mut notes = Vec::new();
        let labels = selecting_labels(pod);
        let target = if labels.is_empty() {
            notes.push(format!(
                "{} has no labels to select it by, so this policy applies to every Pod of {}; label the Pod to narrow it.",
                pod.name, pod.namespace
            ));
            Target::AllPods {}
        } else {
            Target::Labels { labels }
        };
        let peer = peer_for(other_pod, other_address, &pod.namespace, &mut notes);
        let rule = Rule::new(
            vec![peer],
            vec![PortSpec {
                protocol: connection.protocol,
                port: port.clone(),
                end_port: None,
            }],
        );
        let taken: Vec<&str> = policies
            .iter()
            .chain(&added)
            .filter(|p| p.metadata.namespace.as_deref() == Some(pod.namespace.as_str()))
            .filter_map(|p| p.metadata.name.as_deref())
            .collect();
        let name = policy_name(&from, &to, &port_words, side.direction, &taken);
        let (policy_types, ingress, egress) = match side.direction {
            Direction::Ingress => (PolicyTypes::INGRESS, vec![rule], Vec::new()),
            Direction::Egress => (PolicyTypes::EGRESS, Vec::new(), vec![rule]),
        };
        let spec = PolicySpec {
            name: name.clone(),
            namespace: pod.namespace.clone(),
            target,
            policy_types,
            ingress,
            egress,
            allow_dns: false,
        };
        let Ok(generated) = generate(&spec, lint) else {
            return Vec::new();
        };
        let Ok(policy) = serde_json::from_value::<NetworkPolicy>(generated.manifest_json.clone())
        else {
            return Vec::new();
        };
        added.push(policy);
        suggestions.push(Suggestion {
            direction: side.direction,
            policy: PolicyRef {
                namespace: pod.namespace.clone(),
                name,
            },
            explanation: generated
                .explanation
                .sentences()
                .map(str::to_owned)
                .collect(),
            // The Pod is already isolated for egress, so whether it can look up names is
            // what the policies it has say; this one adds to them and takes nothing away.
            warnings: generated
                .warnings
                .iter()
                .filter(|warning| warning.code != LintCode::EgressWithoutDns)
                .map(|warning| warning.message.clone())
                .collect(),
            yaml: generated.yaml,
            apply_command: generated.apply_command,
            notes,
        });
    }
    // Offered only if, with them, the connection is allowed.
    let all: Vec<&NetworkPolicy> = policies.iter().chain(&added).collect();
    let allowed = TrafficModel::new(all, namespaces.to_vec(), pods.to_vec())
        .check(connection)
        .is_ok_and(|answer| {
            [&answer.egress, &answer.ingress]
                .into_iter()
                .flatten()
                .filter(|side| suggestions.iter().any(|s| s.direction == side.direction))
                .all(|side| side.allows())
        });
    if allowed { suggestions } else { Vec::new() }
}
