//! The inputs and the answer of "would this traffic be allowed?": the Pods and namespaces the
//! engine knows, the connection to check, and what each side's NetworkPolicies decide.
//!
//! Everything here is plain data that serializes, so the server can compute an [`Answer`] and a
//! page (or the browser) can show it. The NetworkPolicies themselves are taken as
//! `k8s_openapi` objects, as the cluster delivers them; see [`super::evaluate`].
//!
//! Slightly over 400 lines: it is the engine's whole vocabulary, plain data with its docs;
//! splitting it would only scatter the types a reader looks up together.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use crate::domain::networkpolicy::model::{Port, Protocol};

/// The label the API server puts on every namespace (since Kubernetes 1.22), with the
/// namespace's name as its value; a `namespaceSelector` can always select a namespace by it.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A Pod as the engine needs it: where it is, its labels and the ports its containers declare
/// (named ports in policies are resolved through these).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Every container's `ports`, in the order the Pod declares them.
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
}

impl PodInfo {
    /// A Pod with labels and no declared ports.
    pub fn new<'a>(
        namespace: &str,
        name: &str,
        labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            labels: labels
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ports: Vec::new(),
        }
    }

    /// The same Pod, also declaring `port`.
    pub fn with_port(mut self, port: ContainerPort) -> Self {
        self.ports.push(port);
        self
    }

    /// Where to find this Pod.
    pub fn reference(&self) -> PodRef {
        PodRef::new(&self.namespace, &self.name)
    }

    /// The Pod as the cluster holds it, as the engine needs it: its labels and the ports its
    /// containers declare (a port number outside 1–65535, which the API server refuses, is left
    /// out). `None` without a name or a namespace.
    pub fn from_pod(pod: &k8s_openapi::api::core::v1::Pod) -> Option<Self> {
        let metadata = &pod.metadata;
        let ports = pod
            .spec
            .iter()
            .flat_map(|spec| &spec.containers)
            .flat_map(|container| container.ports.iter().flatten())
            .filter_map(|port| {
                Some(ContainerPort {
                    name: port.name.clone().filter(|name| !name.is_empty()),
                    number: u16::try_from(port.container_port).ok().filter(|n| *n > 0)?,
                    protocol: match port.protocol.as_deref() {
                        Some("UDP") => Protocol::Udp,
                        Some("SCTP") => Protocol::Sctp,
                        _ => Protocol::Tcp,
                    },
                })
            })
            .collect();
        Some(Self {
            namespace: metadata.namespace.clone()?,
            name: metadata.name.clone()?,
            labels: metadata.labels.clone().unwrap_or_default(),
            ports,
        })
    }
}

/// One entry of a container's `ports`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// The port's `name`, which a policy may use instead of the number.
    #[serde(default)]
    pub name: Option<String>,
    /// `containerPort`.
    pub number: u16,
    /// `protocol`; TCP when the Pod does not say.
    #[serde(default)]
    pub protocol: Protocol,
}

impl ContainerPort {
    /// A named TCP port.
    pub fn tcp(name: &str, number: u16) -> Self {
        Self {
            name: Some(name.to_owned()),
            number,
            protocol: Protocol::Tcp,
        }
    }

    /// A named port of any protocol.
    pub fn named(name: &str, number: u16, protocol: Protocol) -> Self {
        Self {
            name: Some(name.to_owned()),
            number,
            protocol,
        }
    }
}

/// A namespace as the engine needs it: its name and labels.
///
/// The engine always adds [`NAMESPACE_NAME_LABEL`] with the name, as the API server does, so
/// callers (and tests) need not.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceInfo {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl NamespaceInfo {
    /// A namespace with labels.
    pub fn new<'a>(name: &str, labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            name: name.to_owned(),
            labels: labels
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}

/// A Pod by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
}

impl PodRef {
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for PodRef {
    /// "web-7f9 in team-a", as the explanation says it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}", self.name, self.namespace)
    }
}

/// Where a connection comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Source {
    /// A Pod the engine knows.
    Pod(PodRef),
    /// An address that is not a Pod's (a node, a VM, a client on the internet).
    Ip { address: IpAddr },
    /// Somewhere outside the cluster, address unknown.
    Outside,
}

/// Where a connection goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Destination {
    /// A Pod the engine knows.
    Pod(PodRef),
    /// An address that is not a Pod's.
    Ip { address: IpAddr },
    /// Somewhere outside the cluster (the internet), address unknown.
    Outside,
}

/// The connection to check: who opens it, to whom, over which protocol and port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub source: Source,
    pub destination: Destination,
    /// TCP unless given.
    #[serde(default)]
    pub protocol: Protocol,
    /// The destination port: a number, or a name the destination Pod declares.
    pub port: Port,
}

impl Connection {
    /// A TCP connection from Pod to Pod.
    pub fn pod_to_pod(source: PodRef, destination: PodRef, port: Port) -> Self {
        Self {
            source: Source::Pod(source),
            destination: Destination::Pod(destination),
            protocol: Protocol::Tcp,
            port,
        }
    }

    /// The same connection over `protocol`.
    pub fn over(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }
}

/// Ingress (into the destination Pod) or egress (out of the source Pod).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// `ingress` or `egress`: the field of the spec, and the word the explanation uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// A NetworkPolicy by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for PolicyRef {
    /// `team-a/allow-frontend`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// One rule of one policy: a stable reference a page can quote and link to the YAML.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRef {
    pub policy: PolicyRef,
    pub direction: Direction,
    /// The rule's index in `spec.ingress` or `spec.egress`, from 0.
    pub index: usize,
}

impl RuleRef {
    /// `spec.ingress[0]`: where the rule is in the policy's YAML.
    pub fn path(&self) -> String {
        format!("spec.{}[{}]", self.direction.as_str(), self.index)
    }
}

impl fmt::Display for RuleRef {
    /// `team-a/allow-frontend spec.ingress[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.policy, self.path())
    }
}

/// The destination port as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedPort {
    /// The number; `None` when the connection named a port the destination does not declare
    /// (then only rules that allow every port of the protocol can match).
    pub number: Option<u16>,
    /// The destination Pod's name for it, if it declares one (or the name the connection gave).
    pub name: Option<String>,
}

/// What one side decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Decision {
    /// No policy selects the Pod for this direction, so everything is allowed.
    NotIsolated,
    /// The Pod is isolated and this rule (the first that matches) allows the connection.
    Allowed { by: RuleRef },
    /// The Pod is isolated and no rule of the policies that select it allows the connection.
    Denied,
}

/// The decision at one side: ingress at the destination Pod or egress at the source Pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectionAnswer {
    pub direction: Direction,
    /// The Pod whose policies decide: the destination for ingress, the source for egress.
    pub pod: PodRef,
    /// Every policy that selects the Pod for this direction, by name; empty: not isolated.
    pub isolated_by: Vec<PolicyRef>,
    /// Every rule of those policies that matches the connection, in the engine's order
    /// (policies by name, rules by index).
    pub matching_rules: Vec<RuleRef>,
    pub decision: Decision,
    /// Rules of those policies whose ports match and that have an `ipBlock` peer, while the
    /// other side is a Pod. The engine does not match Pod IPs against `ipBlock` (see the module
    /// documentation); on a network plugin that does (Calico), such a rule could also allow the
    /// connection if the Pod's IP lies in the block.
    pub ip_block_caveats: Vec<RuleRef>,
}

impl DirectionAnswer {
    /// Whether this side lets the connection through.
    pub fn allows(&self) -> bool {
        !matches!(self.decision, Decision::Denied)
    }

    /// Whether some policy selects the Pod for this direction.
    pub fn is_isolated(&self) -> bool {
        !self.isolated_by.is_empty()
    }
}

/// The policies that isolate one Pod, per direction, each with its number of rules for that
/// direction ([`super::TrafficModel::isolation`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Isolation {
    pub ingress: Vec<(PolicyRef, usize)>,
    pub egress: Vec<(PolicyRef, usize)>,
}

impl Isolation {
    /// Whether some policy selects the Pod at all.
    pub fn selected(&self) -> bool {
        !self.ingress.is_empty() || !self.egress.is_empty()
    }

    /// The policies that isolate the Pod for `direction` while none of them has a rule:
    /// nothing gets through. Empty when it is not isolated or some rule may allow.
    pub fn blocking(&self, direction: Direction) -> Vec<&PolicyRef> {
        let list = match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        };
        if list.iter().all(|(_, rules)| *rules == 0) {
            list.iter().map(|(policy, _)| policy).collect()
        } else {
            Vec::new()
        }
    }
}

/// The answer to one [`Connection`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub connection: Connection,
    pub port: ResolvedPort,
    /// The destination's ingress; `None` when the destination is not a Pod.
    pub ingress: Option<DirectionAnswer>,
    /// The source's egress; `None` when the source is not a Pod.
    pub egress: Option<DirectionAnswer>,
    /// The source and the destination are the same Pod, which can always reach itself.
    pub to_itself: bool,
    /// The verdict: both sides allow (or the Pod talks to itself).
    pub allowed: bool,
    /// What was wrong in the policies of the namespaces involved, or in the question; each
    /// says what the engine did about it.
    pub problems: Vec<Problem>,
}

/// Something wrong in a policy or the inputs that the engine worked around.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The policy it is in, if any.
    pub policy: Option<PolicyRef>,
    /// Where in the policy, e.g. `spec.ingress[0].from[1].ipBlock.cidr`; empty for the inputs.
    pub path: String,
    pub kind: ProblemKind,
}

impl Problem {
    /// A problem with the inputs as a whole (a Pod given twice, an unknown namespace), found in
    /// no policy.
    pub fn of_inputs(kind: ProblemKind) -> Self {
        Self {
            policy: None,
            path: String::new(),
            kind,
        }
    }
}

/// What a [`Problem`] is, and (in its message) what the engine made of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ProblemKind {
    #[error("'{value}': {reason}; this peer never matches")]
    InvalidCidr { value: String, reason: String },
    #[error(
        "'{value}' has bits set after the prefix length; Kubernetes reads it as {network}, and so does this answer"
    )]
    HostBitsInCidr { value: String, network: String },
    #[error("{reason}; this selector matches nothing")]
    InvalidSelector { reason: String },
    #[error("protocol '{value}' is not TCP, UDP or SCTP; this port entry never matches")]
    InvalidProtocol { value: String },
    #[error("{reason}; this port entry never matches")]
    InvalidPort { reason: String },
    #[error("a peer must set podSelector, namespaceSelector or ipBlock; this peer never matches")]
    EmptyPeer,
    #[error("a peer with ipBlock may not also have a selector; this peer never matches")]
    IpBlockWithSelector,
    #[error("policy type '{value}' is neither Ingress nor Egress; it is ignored")]
    UnknownPolicyType { value: String },
    #[error("the policy has no namespace or no name; it is ignored")]
    MissingMetadata,
    #[error("a second policy {namespace}/{name} was given; only the first is used")]
    DuplicatePolicy { namespace: String, name: String },
    #[error("a second Pod {pod} was given; only the first is used")]
    DuplicatePod { pod: PodRef },
    #[error(
        "namespace {name} was not given; only its name label ({NAMESPACE_NAME_LABEL}) is known"
    )]
    UnknownNamespace { name: String },
    #[error(
        "{pod} declares no {} port named '{name}'; only rules for every port match",
        .protocol.as_str()
    )]
    UnknownPortName {
        pod: PodRef,
        name: String,
        protocol: Protocol,
    },
    #[error(
        "port name '{name}' can only be resolved on a Pod, and the destination is an address; only rules for every port match"
    )]
    PortNameWithoutPod { name: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.policy, self.path.is_empty()) {
            (Some(policy), false) => write!(f, "{policy} {}: {}", self.path, self.kind),
            (Some(policy), true) => write!(f, "{policy}: {}", self.kind),
            (None, _) => write!(f, "{}", self.kind),
        }
    }
}

/// Why a connection cannot be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ConnectionError {
    #[error("there is no Pod {pod}")]
    UnknownPod { pod: PodRef },
    #[error("port 0 is not a port; use 1 to 65535")]
    PortZero,
    #[error("a port name cannot be empty")]
    EmptyPortName,
}
