//! The policy in plain words: which Pods it selects, who may connect to them, where they may
//! connect, and what is blocked as a result.
//!
//! Aims to be at least as clear as `kubectl describe networkpolicy`, and clearer where people go
//! wrong: it says "in this namespace" for a bare podSelector, spells out the AND of a namespace
//! and Pod selector, says when a direction is not restricted at all, and reminds that policies
//! add up.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::manifest::{
    DNS_NAMESPACE, DNS_POD_LABEL_KEY, DNS_POD_LABEL_VALUE, DNS_PORT, KUBECTL_RUN_LABEL,
};
use super::model::{Label, NamespaceSelection, Peer, Port, PortSpec, Rule, Target};
use super::validate::ValidSpec;

/// A policy explained in sections of whole sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// In reading order: selected Pods, incoming, outgoing, good to know.
    pub sections: Vec<Section>,
}

/// One part of an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// A short heading, e.g. "Incoming traffic (ingress)".
    pub heading: String,
    /// Whole sentences, each ending with a full stop.
    pub sentences: Vec<String>,
}

impl Explanation {
    /// Plain text: each heading, then its sentences as `- ` items; sections separated by a blank
    /// line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (index, section) in self.sections.iter().enumerate() {
            if index > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", section.heading);
            for sentence in &section.sentences {
                let _ = writeln!(out, "- {sentence}");
            }
        }
        out
    }

    /// Every sentence, in order (handy for searching and tests).
    pub fn sentences(&self) -> impl Iterator<Item = &str> {
        self.sections
            .iter()
            .flat_map(|s| s.sentences.iter().map(String::as_str))
    }
}

/// Explains a validated spec.
pub fn explain(valid: &ValidSpec) -> Explanation {
    let spec = valid.spec();
    let namespace = spec.namespace.as_str();
    let mut sections = vec![Section {
        heading: "Which Pods this policy applies to".into(),
        sentences: target_sentences(&spec.target, namespace),
    }];

    sections.push(Section {
        heading: "Incoming traffic (ingress)".into(),
        sentences: direction_sentences(
            &Direction::INCOMING,
            spec.policy_types.ingress,
            &spec.ingress,
            false,
            namespace,
        ),
    });
    sections.push(Section {
        heading: "Outgoing traffic (egress)".into(),
        sentences: direction_sentences(
            &Direction::OUTGOING,
            spec.policy_types.egress,
            &spec.egress,
            spec.allow_dns,
            namespace,
        ),
    });

    let mut good_to_know = vec![
        format!(
            "Policies add up: if other NetworkPolicies in namespace {namespace} also select these Pods, traffic that any of them allows is allowed. A policy can only allow traffic; none can block what another one allows."
        ),
        "Replies to an allowed connection always get through; the rules above are about who may open a connection.".to_owned(),
    ];
    let rules_in_force = spec
        .ingress
        .iter()
        .filter(|_| spec.policy_types.ingress)
        .chain(spec.egress.iter().filter(|_| spec.policy_types.egress));
    if rules_in_force
        .flat_map(|r| &r.ports)
        .any(|p| matches!(p.port, Port::Named(_)))
    {
        good_to_know.push(
            "A named port is looked up on the Pod at the receiving end: a container port with that name must exist there, or the rule allows nothing.".to_owned(),
        );
    }
    sections.push(Section {
        heading: "Good to know".into(),
        sentences: good_to_know,
    });

    Explanation { sections }
}

/// Words that differ between ingress and egress.
struct Direction {
    adjective: &'static str,
    from_or_to: &'static str,
    of_or_from: &'static str,
    policy_type: &'static str,
    /// Egress is where the DNS rule lives and where blocking breaks name lookups.
    is_egress: bool,
}

impl Direction {
    const INCOMING: Self = Self {
        adjective: "incoming",
        from_or_to: "from",
        of_or_from: "to",
        policy_type: "Ingress",
        is_egress: false,
    };
    const OUTGOING: Self = Self {
        adjective: "outgoing",
        from_or_to: "to",
        of_or_from: "from",
        policy_type: "Egress",
        is_egress: true,
    };
}

fn target_sentences(target: &Target, namespace: &str) -> Vec<String> {
    match target {
        Target::AllPods {} => vec![format!(
            "This policy applies to every Pod in namespace {namespace}, including Pods created later."
        )],
        Target::Labels { labels } => vec![
            format!(
                "This policy applies to Pods labelled {} in namespace {namespace}.",
                describe_labels(labels)
            ),
            "Other Pods are not affected by it.".to_owned(),
        ],
        Target::KubectlRun { name } => vec![
            format!(
                "This policy applies to Pods labelled {KUBECTL_RUN_LABEL}={name} in namespace {namespace}: `kubectl run {name}` gives its Pod exactly this label."
            ),
            "Other Pods are not affected by it.".to_owned(),
        ],
    }
}

fn direction_sentences(
    direction: &Direction,
    restricted: bool,
    rules: &[Rule],
    allow_dns: bool,
    namespace: &str,
) -> Vec<String> {
    let adjective = direction.adjective;
    if !restricted {
        let mut sentences = vec![format!(
            "{} traffic is not restricted by this policy.",
            capitalize(adjective)
        )];
        if !rules.is_empty() {
            sentences.push(format!(
                "The {adjective} rules in this spec are ignored because {} is not among the policy types.",
                direction.policy_type
            ));
        }
        return sentences;
    }

    let mut sentences: Vec<String> = rules
        .iter()
        .map(|rule| {
            format!(
                "Allowed {} {}, {}.",
                direction.from_or_to,
                describe_peers(&rule.peers, namespace),
                describe_ports(&rule.ports)
            )
        })
        .collect();
    if allow_dns && direction.is_egress {
        sentences.push(format!(
            "Allowed to the cluster DNS (Pods labelled {DNS_POD_LABEL_KEY}={DNS_POD_LABEL_VALUE} in namespace {DNS_NAMESPACE}), on UDP port {DNS_PORT} or TCP port {DNS_PORT}, so that name lookups work."
        ));
    }

    let allows_everything = rules
        .iter()
        .any(|r| r.peers == [Peer::Anywhere {}] && r.ports.is_empty());
    let of_or_from = direction.of_or_from;
    if allows_everything {
        sentences.push(format!(
            "Because one rule allows anywhere on any port, no {adjective} traffic is actually blocked. This is rarely a good idea: allow only what the application needs."
        ));
    } else if sentences.is_empty() {
        let mut blocked = format!("All {adjective} traffic {of_or_from} these Pods is blocked.");
        if direction.is_egress {
            blocked.push_str(" That includes DNS lookups, so these Pods cannot resolve any name.");
        }
        sentences.push(blocked);
    } else {
        sentences.push(format!(
            "All other {adjective} traffic {of_or_from} these Pods is blocked."
        ));
    }
    sentences
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_alternatives(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// `app=web and tier=front`; an empty value shows as `key=`, as in `kubectl describe`.
fn describe_labels(labels: &[Label]) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|l| format!("{}={}", l.key, l.value))
        .collect();
    join_alternatives(&parts, "and")
}

fn describe_peers(peers: &[Peer], namespace: &str) -> String {
    let parts: Vec<String> = peers.iter().map(|p| describe_peer(p, namespace)).collect();
    join_alternatives(&parts, "or")
}

fn describe_peer(peer: &Peer, namespace: &str) -> String {
    match peer {
        Peer::Anywhere {} => "anywhere (any Pod in the cluster and any address outside it)".into(),
        Peer::PodsInNamespace { labels } if labels.is_empty() => {
            format!("every Pod in this namespace ({namespace})")
        }
        Peer::PodsInNamespace { labels } => format!(
            "Pods labelled {} in this namespace ({namespace})",
            describe_labels(labels)
        ),
        Peer::NamespaceByName { name } => format!("every Pod in namespace {name}"),
        Peer::NamespacesByLabels { labels } => {
            format!("every Pod in {}", describe_namespaces(labels))
        }
        Peer::PodsInNamespaces {
            namespace: selection,
            pod_labels,
        } => {
            let namespaces = match selection {
                NamespaceSelection::ByName { name } => format!("namespace {name}"),
                NamespaceSelection::ByLabels { labels } => describe_namespaces(labels),
            };
            if pod_labels.is_empty() {
                format!("every Pod in {namespaces}")
            } else {
                format!(
                    "Pods labelled {} in {namespaces}",
                    describe_labels(pod_labels)
                )
            }
        }
        Peer::IpBlock { cidr, except } => {
            if except.is_empty() {
                format!("IP addresses in {cidr}")
            } else {
                format!(
                    "IP addresses in {cidr} except {}",
                    join_alternatives(except, "and")
                )
            }
        }
    }
}

fn describe_namespaces(labels: &[Label]) -> String {
    if labels.is_empty() {
        "every namespace".into()
    } else {
        format!("namespaces labelled {}", describe_labels(labels))
    }
}

fn describe_ports(ports: &[PortSpec]) -> String {
    if ports.is_empty() {
        return "on any port and protocol".into();
    }
    let parts: Vec<String> = ports.iter().map(describe_port).collect();
    format!("on {}", join_alternatives(&parts, "or"))
}

fn describe_port(port: &PortSpec) -> String {
    let protocol = port.protocol.as_str();
    match (&port.port, port.end_port) {
        (Port::Number(n), Some(end)) if end != *n => format!("{protocol} ports {n} to {end}"),
        (Port::Number(n), _) => format!("{protocol} port {n}"),
        (Port::Named(name), _) => format!("the {protocol} port named {name}"),
    }
}

#[cfg(test)]
mod tests;
