//! Warnings about valid policies that probably do not do what their author meant.
//!
//! Validation refuses what Kubernetes (or the model) cannot accept; lints point at what is
//! accepted but likely wrong: broken DNS, rules that are ignored, OR where AND was meant, IP
//! ranges aimed at Pods, and allow-everything rules.
//!
//! Not linted, because it cannot be detected from the policy alone: a `podsInNamespace` peer whose
//! author believed a bare podSelector also matches Pods of other namespaces.

use serde::{Deserialize, Serialize};

use super::cidr::Cidr;
use super::manifest::DNS_PORT;
use super::model::{NamespaceSelection, Peer, Port, PortSpec, Protocol, Rule, Target};
use super::validate::ValidSpec;

/// What the lint needs to know about the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LintConfig {
    /// The cluster's Pod networks (e.g. `10.244.0.0/16`, or Calico's `192.168.0.0/16`).
    #[serde(default)]
    pub pod_cidrs: Vec<Cidr>,
    /// The cluster's Service networks (e.g. `10.96.0.0/12`).
    #[serde(default)]
    pub service_cidrs: Vec<Cidr>,
}

/// How much a lint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Worth knowing; often intended.
    Info,
    /// Probably a mistake, or a risk.
    Warning,
}

/// Which lint fired; stable identifiers for the UI and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LintCode {
    /// Egress is restricted and nothing lets DNS lookups out.
    EgressWithoutDns,
    /// Ingress rules exist but Ingress is not a policy type.
    IngressRulesIgnored,
    /// Egress rules exist but Egress is not a policy type.
    EgressRulesIgnored,
    /// A namespace-only peer and a Pod-only peer side by side: OR, where AND was likely meant.
    SeparateNamespaceAndPodPeers,
    /// A Pods-in-namespaces peer without Pod labels: every Pod of those namespaces.
    AllPodsOfNamespaces,
    /// The policy selects every Pod of its namespace.
    WholeNamespaceTarget,
    /// An ipBlock covers Pod or Service addresses of the cluster.
    IpBlockCoversClusterNetwork,
    /// A rule allows anywhere on any port.
    AllowAll,
}

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lint {
    /// Which lint.
    pub code: LintCode,
    /// How much it matters.
    pub severity: Severity,
    /// What is wrong, why, and what to do, in words.
    pub message: String,
    /// The field concerned, in the same notation as validation errors, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Lint {
    fn new(code: LintCode, severity: Severity, path: Option<String>, message: String) -> Self {
        Self {
            code,
            severity,
            message,
            path,
        }
    }
}

/// Lints a validated spec against the cluster facts in `config`.
pub fn lint(valid: &ValidSpec, config: &LintConfig) -> Vec<Lint> {
    let spec = valid.spec();
    let mut lints = Vec::new();

    if matches!(spec.target, Target::AllPods {}) {
        lints.push(Lint::new(
            LintCode::WholeNamespaceTarget,
            Severity::Info,
            Some("target".into()),
            format!(
                "This policy selects every Pod in namespace {}, including Pods created later (podSelector: {{}}).",
                spec.namespace
            ),
        ));
    }

    if spec.policy_types.egress && !spec.allow_dns && !spec.egress.iter().any(rule_reaches_dns) {
        lints.push(Lint::new(
            LintCode::EgressWithoutDns,
            Severity::Warning,
            Some("allowDns".into()),
            "Egress is restricted and no rule allows UDP port 53, so DNS lookups from these Pods will fail and every connection by name breaks. Turn on \"allow DNS\" unless that is intended.".into(),
        ));
    }

    for (direction, rules, restricted, code, policy_type) in [
        (
            "ingress",
            &spec.ingress,
            spec.policy_types.ingress,
            LintCode::IngressRulesIgnored,
            "Ingress",
        ),
        (
            "egress",
            &spec.egress,
            spec.policy_types.egress,
            LintCode::EgressRulesIgnored,
            "Egress",
        ),
    ] {
        if !restricted && !rules.is_empty() {
            lints.push(Lint::new(
                code,
                Severity::Warning,
                Some(direction.into()),
                format!(
                    "There are {direction} rules, but {policy_type} is not among the policy types, so Kubernetes would ignore them; they are left out of the generated policy. Add {policy_type} to the policy types to enforce them."
                ),
            ));
        }
        if restricted {
            for (index, rule) in rules.iter().enumerate() {
                lint_rule(
                    rule,
                    &format!("{direction}[{index}]"),
                    direction,
                    config,
                    &mut lints,
                );
            }
        }
    }

    lints
}

/// Whether a rule lets UDP 53 through to some peer. Conservative: any rule with a matching port
/// counts, whatever its peers; the named port `dns` is CoreDNS' own name for UDP 53.
fn rule_reaches_dns(rule: &Rule) -> bool {
    rule.ports.is_empty() || rule.ports.iter().any(port_covers_dns)
}

fn port_covers_dns(port: &PortSpec) -> bool {
    if port.protocol != Protocol::Udp {
        return false;
    }
    match &port.port {
        Port::Number(start) => (*start..=port.end_port.unwrap_or(*start)).contains(&DNS_PORT),
        Port::Named(name) => name == "dns",
    }
}

fn lint_rule(rule: &Rule, path: &str, direction: &str, config: &LintConfig, lints: &mut Vec<Lint>) {
    if rule.peers == [Peer::Anywhere {}] && rule.ports.is_empty() {
        let what = if direction == "ingress" {
            "any source may connect to these Pods"
        } else {
            "these Pods may connect anywhere"
        };
        lints.push(Lint::new(
            LintCode::AllowAll,
            Severity::Warning,
            Some(path.into()),
            format!(
                "This rule allows all {direction} traffic: {what}, on every port and protocol. Not a good idea outside a quick experiment; allow only the peers and ports the application needs."
            ),
        ));
    }

    let namespace_only = rule.peers.iter().position(|p| {
        matches!(
            p,
            Peer::NamespaceByName { .. } | Peer::NamespacesByLabels { .. }
        )
    });
    let pods_only = rule
        .peers
        .iter()
        .position(|p| matches!(p, Peer::PodsInNamespace { labels } if !labels.is_empty()));
    if let (Some(ns_index), Some(pod_index)) = (namespace_only, pods_only) {
        lints.push(Lint::new(
            LintCode::SeparateNamespaceAndPodPeers,
            Severity::Warning,
            Some(format!("{path}.peers")),
            format!(
                "The namespace peer (peers[{ns_index}]) and the Pod peer (peers[{pod_index}]) of this rule are separate, so they are ORed: they allow every Pod in the selected namespaces, OR the labelled Pods of this policy's own namespace. If you meant only the labelled Pods in those namespaces (AND), use one \"Pods in namespaces\" peer, which puts namespaceSelector and podSelector in the same item."
            ),
        ));
    }

    for (index, peer) in rule.peers.iter().enumerate() {
        let peer_path = format!("{path}.peers[{index}]");
        match peer {
            Peer::PodsInNamespaces {
                namespace,
                pod_labels,
            } if pod_labels.is_empty() => {
                let namespaces = match namespace {
                    NamespaceSelection::ByName { name } => format!("namespace {name}"),
                    NamespaceSelection::ByLabels { labels } if labels.is_empty() => {
                        "every namespace".to_owned()
                    }
                    NamespaceSelection::ByLabels { .. } => "the selected namespaces".to_owned(),
                };
                lints.push(Lint::new(
                    LintCode::AllPodsOfNamespaces,
                    Severity::Info,
                    Some(format!("{peer_path}.podLabels")),
                    format!(
                        "This peer has no Pod labels, so it allows every Pod of {namespaces}. Add Pod labels to narrow it to the Pods that need access."
                    ),
                ));
            }
            Peer::IpBlock { cidr, except } => {
                lint_ip_block(cidr, except, &peer_path, config, lints);
            }
            _ => {}
        }
    }
}

fn lint_ip_block(
    cidr: &str,
    except: &[String],
    path: &str,
    config: &LintConfig,
    lints: &mut Vec<Lint>,
) {
    // Validated already; a parse failure here would only mean nothing to lint.
    let Ok(block) = cidr.parse::<Cidr>() else {
        return;
    };
    let excluded: Vec<Cidr> = except.iter().filter_map(|e| e.parse().ok()).collect();
    let covers =
        |network: &Cidr| block.overlaps(network) && !excluded.iter().any(|e| e.contains(network));
    let pod = config.pod_cidrs.iter().find(|n| covers(n));
    let service = config.service_cidrs.iter().find(|n| covers(n));
    let found: Vec<String> = pod
        .map(|n| format!("the cluster's Pod network {n}"))
        .into_iter()
        .chain(service.map(|n| format!("the cluster's Service network {n}")))
        .collect();
    if found.is_empty() {
        return;
    }
    lints.push(Lint::new(
        LintCode::IpBlockCoversClusterNetwork,
        Severity::Warning,
        Some(format!("{path}.cidr")),
        format!(
            "This IP range covers {}. An ipBlock is meant for addresses outside the cluster: Pod IPs change whenever Pods restart, and Service IPs are translated to Pod IPs before policies apply, so such a rule rarely works as expected. Select Pods and namespaces by label instead{}.",
            found.join(" and "),
            if block.prefix_len() == 0 {
                ", or add the cluster networks to except"
            } else {
                ""
            }
        ),
    ));
}

#[cfg(test)]
mod tests;
