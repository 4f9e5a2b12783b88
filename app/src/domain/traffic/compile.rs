//! NetworkPolicies read once into a form that is quick to match: selectors with their operators
//! checked, CIDR blocks parsed, ports with their protocol and range, `policyTypes` defaulted.
//!
//! Live policies come from the API server, which validated them, so nothing here should ever go
//! wrong with cluster data. Policies can also come from elsewhere (a pasted manifest, a test),
//! so every malformed part becomes a [`Problem`] with its path, and the part concerned never
//! matches: an invalid peer, port entry or selector allows nothing, and never panics.
//!
//! Over 400 lines on purpose: each part of a NetworkPolicy (selectors, peers, ports, CIDRs) is
//! compiled and checked here side by side, so the rules for what a malformed part means stay in
//! one place.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::model::{PolicyRef, Problem, ProblemKind, Protocol};
use crate::domain::networkpolicy::cidr::{Cidr, CidrError};

/// A policy ready to match.
#[derive(Debug, Clone)]
pub(super) struct CompiledPolicy {
    pub(super) policy: PolicyRef,
    pub(super) pod_selector: Selector,
    /// The ingress rules when the policy applies to ingress (its `policyTypes`), else `None`.
    pub(super) ingress: Option<Vec<CompiledRule>>,
    /// The egress rules when the policy applies to egress, else `None`.
    pub(super) egress: Option<Vec<CompiledRule>>,
    pub(super) problems: Vec<Problem>,
}

/// One ingress or egress rule.
#[derive(Debug, Clone)]
pub(super) struct CompiledRule {
    /// `from` / `to`; `None` when absent or empty, which matches every peer.
    pub(super) peers: Option<Vec<CompiledPeer>>,
    /// `ports`; `None` when absent or empty, which matches every port and protocol.
    pub(super) ports: Option<Vec<CompiledPort>>,
    /// Some peer is a valid `ipBlock` (for the caveat about Pod IPs).
    pub(super) has_ip_block: bool,
}

/// One entry of `from` / `to`.
#[derive(Debug, Clone)]
pub(super) enum CompiledPeer {
    /// Pods picked by `podSelector` and/or `namespaceSelector` (the two ANDed).
    Pods {
        namespaces: NamespaceScope,
        /// `None` (no `podSelector`): every Pod of those namespaces.
        pods: Option<Selector>,
    },
    /// Addresses in `cidr` but in none of `except`.
    IpBlock { cidr: Cidr, except: Vec<Cidr> },
    /// A malformed peer (reported as a problem); matches nothing.
    Never,
}

/// Which namespaces a selector peer looks in.
#[derive(Debug, Clone)]
pub(super) enum NamespaceScope {
    /// No `namespaceSelector`: the policy's own namespace.
    Own,
    /// Namespaces whose labels match (`{}`: every namespace).
    Matching(Selector),
}

/// One entry of `ports`.
#[derive(Debug, Clone)]
pub(super) enum CompiledPort {
    Match {
        protocol: Protocol,
        port: PortMatch,
    },
    /// A malformed entry (reported as a problem); matches nothing.
    Never,
}

/// The port part of a port entry.
#[derive(Debug, Clone)]
pub(super) enum PortMatch {
    /// No `port`: every port of the protocol.
    Any,
    /// `port`, or `port` to `endPort`, both included.
    Range(u16, u16),
    /// A container port name, resolved on the destination Pod.
    Name(String),
}

/// A label selector with its operators checked.
#[derive(Debug, Clone)]
pub(super) enum Selector {
    /// Every requirement must hold; none at all (`{}`) selects everything.
    All(Vec<Requirement>),
    /// A malformed selector (reported as a problem); selects nothing.
    Nothing,
}

/// One requirement of a selector: `matchLabels` entries become [`Operator::In`] with one value.
#[derive(Debug, Clone)]
pub(super) struct Requirement {
    key: String,
    operator: Operator,
}

#[derive(Debug, Clone)]
enum Operator {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

impl Selector {
    /// The label keys the selector looks at: two label sets that agree on these keys are
    /// selected alike.
    pub(super) fn keys(&self) -> impl Iterator<Item = &str> {
        let requirements = match self {
            Selector::All(requirements) => requirements.as_slice(),
            Selector::Nothing => &[],
        };
        requirements.iter().map(|r| r.key.as_str())
    }

    /// Whether `labels` satisfy the selector, as Kubernetes' `labels.Selector` decides: `NotIn`
    /// and `DoesNotExist` also hold when the key is absent.
    pub(super) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::All(requirements) => requirements.iter().all(|r| {
                let value = labels.get(&r.key);
                match &r.operator {
                    Operator::In(values) => value.is_some_and(|v| values.contains(v)),
                    Operator::NotIn(values) => value.is_none_or(|v| !values.contains(v)),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            }),
        }
    }

    /// Reads a `LabelSelector`, refusing what Kubernetes' `LabelSelectorAsSelector` refuses:
    /// an unknown operator, `In`/`NotIn` without values, `Exists`/`DoesNotExist` with values.
    /// (Label key syntax is left to the API server, which checked it already.)
    fn compile(selector: &LabelSelector, path: &Path<'_>, problems: &mut Problems<'_>) -> Self {
        let mut requirements: Vec<Requirement> = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(key, value)| Requirement {
                key: key.clone(),
                operator: Operator::In(vec![value.clone()]),
            })
            .collect();
        for (index, expression) in selector.match_expressions.iter().flatten().enumerate() {
            let values = expression.values.clone().unwrap_or_default();
            let operator = match (expression.operator.as_str(), values.is_empty()) {
                ("In", false) => Operator::In(values),
                ("NotIn", false) => Operator::NotIn(values),
                ("Exists", true) => Operator::Exists,
                ("DoesNotExist", true) => Operator::DoesNotExist,
                (op @ ("In" | "NotIn"), true) => {
                    problems.push(
                        &path.item("matchExpressions", index).field("values"),
                        ProblemKind::InvalidSelector {
                            reason: format!("operator {op} needs at least one value"),
                        },
                    );
                    return Selector::Nothing;
                }
                (op @ ("Exists" | "DoesNotExist"), false) => {
                    problems.push(
                        &path.item("matchExpressions", index).field("values"),
                        ProblemKind::InvalidSelector {
                            reason: format!("operator {op} takes no values"),
                        },
                    );
                    return Selector::Nothing;
                }
                (other, _) => {
                    problems.push(
                        &path.item("matchExpressions", index).field("operator"),
                        ProblemKind::InvalidSelector {
                            reason: format!(
                                "'{other}' is not an operator (In, NotIn, Exists, DoesNotExist)"
                            ),
                        },
                    );
                    return Selector::Nothing;
                }
            };
            requirements.push(Requirement {
                key: expression.key.clone(),
                operator,
            });
        }
        Selector::All(requirements)
    }
}

/// Where a part is in the policy (`spec.ingress[0].from[1].ipBlock.cidr`), written out only
/// when a problem needs it: most policies have none, and formatting a path for every peer and
/// port was most of the cost of reading 200 policies.
#[derive(Debug, Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    field: &'static str,
    index: Option<usize>,
}

impl<'a> Path<'a> {
    fn root(field: &'static str) -> Self {
        Path {
            parent: None,
            field,
            index: None,
        }
    }

    fn field(&'a self, field: &'static str) -> Path<'a> {
        Path {
            parent: Some(self),
            field,
            index: None,
        }
    }

    fn item(&'a self, field: &'static str, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            field,
            index: Some(index),
        }
    }

    fn render(&self) -> String {
        let mut out = self.parent.map(Path::render).unwrap_or_default();
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(self.field);
        if let Some(index) = self.index {
            let _ = write!(out, "[{index}]");
        }
        out
    }
}

/// Problems of one policy, each with the policy's reference.
struct Problems<'a> {
    policy: &'a PolicyRef,
    found: Vec<Problem>,
}

impl Problems<'_> {
    fn push(&mut self, path: &Path<'_>, kind: ProblemKind) {
        self.found.push(Problem {
            policy: Some(self.policy.clone()),
            path: path.render(),
            kind,
        });
    }
}

/// Reads one policy. `None` only when it has no namespace or name, which the API server never
/// allows: such a policy cannot be placed, so the caller reports and ignores it.
pub(super) fn compile(policy: &NetworkPolicy) -> Option<CompiledPolicy> {
    let namespace = policy
        .metadata
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())?;
    let name = policy.metadata.name.as_deref().filter(|n| !n.is_empty())?;
    let reference = PolicyRef {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
    };
    let mut problems = Problems {
        policy: &reference,
        found: Vec::new(),
    };
    // The API server defaults a missing spec to `{}`: every Pod, isolated for ingress.
    let default_spec = NetworkPolicySpec::default();
    let spec = policy.spec.as_ref().unwrap_or(&default_spec);

    let pod_selector = match &spec.pod_selector {
        Some(selector) => Selector::compile(
            selector,
            &Path::root("spec").field("podSelector"),
            &mut problems,
        ),
        None => Selector::All(Vec::new()),
    };

    // policyTypes omitted (or empty, which the API server treats the same): Ingress always,
    // Egress only when there is at least one egress rule.
    let (mut applies_ingress, mut applies_egress) = (false, false);
    let types = spec.policy_types.as_deref().unwrap_or_default();
    if types.is_empty() {
        applies_ingress = true;
        applies_egress = spec.egress.as_ref().is_some_and(|rules| !rules.is_empty());
    }
    for (index, kind) in types.iter().enumerate() {
        match kind.as_str() {
            "Ingress" => applies_ingress = true,
            "Egress" => applies_egress = true,
            other => problems.push(
                &Path::root("spec").item("policyTypes", index),
                ProblemKind::UnknownPolicyType {
                    value: other.to_owned(),
                },
            ),
        }
    }

    let ingress = applies_ingress.then(|| {
        spec.ingress
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, rule)| {
                compile_rule(
                    rule.from.as_deref(),
                    rule.ports.as_deref(),
                    &Path::root("spec").item("ingress", index),
                    "from",
                    &mut problems,
                )
            })
            .collect()
    });
    let egress = applies_egress.then(|| {
        spec.egress
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, rule)| {
                compile_rule(
                    rule.to.as_deref(),
                    rule.ports.as_deref(),
                    &Path::root("spec").item("egress", index),
                    "to",
                    &mut problems,
                )
            })
            .collect()
    });

    let problems = problems.found;
    Some(CompiledPolicy {
        policy: reference,
        pod_selector,
        ingress,
        egress,
        problems,
    })
}

fn compile_rule(
    peers: Option<&[NetworkPolicyPeer]>,
    ports: Option<&[NetworkPolicyPort]>,
    path: &Path<'_>,
    peers_field: &'static str,
    problems: &mut Problems<'_>,
) -> CompiledRule {
    let peers: Option<Vec<CompiledPeer>> = peers.filter(|p| !p.is_empty()).map(|peers| {
        peers
            .iter()
            .enumerate()
            .map(|(index, peer)| compile_peer(peer, &path.item(peers_field, index), problems))
            .collect()
    });
    let ports = ports.filter(|p| !p.is_empty()).map(|ports| {
        ports
            .iter()
            .enumerate()
            .map(|(index, port)| compile_port(port, &path.item("ports", index), problems))
            .collect()
    });
    let has_ip_block = peers
        .iter()
        .flatten()
        .any(|peer| matches!(peer, CompiledPeer::IpBlock { .. }));
    CompiledRule {
        peers,
        ports,
        has_ip_block,
    }
}

fn compile_peer(
    peer: &NetworkPolicyPeer,
    path: &Path<'_>,
    problems: &mut Problems<'_>,
) -> CompiledPeer {
    match (&peer.ip_block, &peer.namespace_selector, &peer.pod_selector) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            problems.push(path, ProblemKind::IpBlockWithSelector);
            CompiledPeer::Never
        }
        (Some(block), None, None) => compile_ip_block(block, &path.field("ipBlock"), problems),
        (None, None, None) => {
            problems.push(path, ProblemKind::EmptyPeer);
            CompiledPeer::Never
        }
        (None, namespaces, pods) => CompiledPeer::Pods {
            namespaces: match namespaces {
                Some(selector) => NamespaceScope::Matching(Selector::compile(
                    selector,
                    &path.field("namespaceSelector"),
                    problems,
                )),
                None => NamespaceScope::Own,
            },
            pods: pods
                .as_ref()
                .map(|selector| Selector::compile(selector, &path.field("podSelector"), problems)),
        },
    }
}

fn compile_ip_block(block: &IPBlock, path: &Path<'_>, problems: &mut Problems<'_>) -> CompiledPeer {
    let Some(cidr) = parse_cidr(&block.cidr, &path.field("cidr"), problems) else {
        return CompiledPeer::Never;
    };
    let mut except = Vec::new();
    for (index, text) in block.except.iter().flatten().enumerate() {
        match parse_cidr(text, &path.item("except", index), problems) {
            Some(block) => except.push(block),
            // Dropping a bad `except` would allow what its author meant to exclude.
            None => return CompiledPeer::Never,
        }
    }
    CompiledPeer::IpBlock { cidr, except }
}

/// Parses a CIDR block as the API server reads it: host bits are accepted (and dropped, with a
/// problem saying so), anything else malformed is a problem and `None`.
fn parse_cidr(text: &str, path: &Path<'_>, problems: &mut Problems<'_>) -> Option<Cidr> {
    match text.parse::<Cidr>() {
        Ok(cidr) => Some(cidr),
        Err(CidrError::HostBitsSet { suggestion }) => {
            let network = suggestion.parse::<Cidr>().ok()?;
            problems.push(
                path,
                ProblemKind::HostBitsInCidr {
                    value: text.to_owned(),
                    network: suggestion,
                },
            );
            Some(network)
        }
        Err(error) => {
            problems.push(
                path,
                ProblemKind::InvalidCidr {
                    value: text.to_owned(),
                    reason: error.to_string(),
                },
            );
            None
        }
    }
}

fn compile_port(
    port: &NetworkPolicyPort,
    path: &Path<'_>,
    problems: &mut Problems<'_>,
) -> CompiledPort {
    let protocol = match port.protocol.as_deref() {
        None | Some("TCP") => Protocol::Tcp,
        Some("UDP") => Protocol::Udp,
        Some("SCTP") => Protocol::Sctp,
        Some(other) => {
            problems.push(
                &path.field("protocol"),
                ProblemKind::InvalidProtocol {
                    value: other.to_owned(),
                },
            );
            return CompiledPort::Never;
        }
    };
    let mut invalid = |field: &'static str, reason: &str| {
        problems.push(
            &path.field(field),
            ProblemKind::InvalidPort {
                reason: reason.to_owned(),
            },
        );
        CompiledPort::Never
    };
    let number = |n: i32| u16::try_from(n).ok().filter(|n| *n != 0);
    let port = match (&port.port, port.end_port) {
        (None, None) => PortMatch::Any,
        (None, Some(_)) => return invalid("endPort", "endPort needs a numeric port"),
        (Some(IntOrString::Int(start)), end) => {
            let Some(start) = number(*start) else {
                return invalid("port", "a port number must be 1 to 65535");
            };
            match end {
                None => PortMatch::Range(start, start),
                Some(end) => match number(end) {
                    Some(end) if end >= start => PortMatch::Range(start, end),
                    Some(_) => return invalid("endPort", "endPort must not be below port"),
                    None => return invalid("endPort", "a port number must be 1 to 65535"),
                },
            }
        }
        (Some(IntOrString::String(_)), Some(_)) => {
            return invalid("endPort", "endPort cannot be used with a named port");
        }
        (Some(IntOrString::String(name)), None) if name.is_empty() => {
            return invalid("port", "a port name cannot be empty");
        }
        (Some(IntOrString::String(name)), None) => PortMatch::Name(name.clone()),
    };
    CompiledPort::Match { protocol, port }
}
