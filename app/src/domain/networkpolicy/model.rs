//! The policy as a person describes it: the one input type shared by the UI form and the JSON API.
//!
//! The model is shaped so that every spec has exactly one meaning, which raw NetworkPolicy YAML
//! does not guarantee:
//!
//! - `policyTypes` is always explicit (Kubernetes guesses it when omitted).
//! - "From/to anywhere" is an explicit [`Peer::Anywhere`], never an empty list: a rule with no
//!   peers is refused by validation, so a forgotten field can never mean "everyone".
//! - A peer that selects Pods in other namespaces is one [`Peer::PodsInNamespaces`] value, so the
//!   AND of namespaceSelector and podSelector cannot be split into an OR by a stray `-`.
//! - An empty `ports` list means "every port and protocol"; this is stated in the explanation.
//!
//! # JSON
//!
//! Enums are internally tagged with a `kind` field; names are camelCase; unknown fields are
//! refused. The FAQ's `kubectl run blah` policy, restricted to a web port and DNS:
//!
//! ```json
//! {
//!   "name": "blah",
//!   "namespace": "demo",
//!   "target": { "kind": "kubectlRun", "name": "blah" },
//!   "policyTypes": { "ingress": true, "egress": true },
//!   "ingress": [
//!     {
//!       "peers": [
//!         { "kind": "podsInNamespaces",
//!           "namespace": { "kind": "byName", "name": "ingress-nginx" },
//!           "podLabels": [ { "key": "app.kubernetes.io/name", "value": "ingress-nginx" } ] },
//!         { "kind": "podsInNamespace", "labels": [ { "key": "app", "value": "web" } ] }
//!       ],
//!       "ports": [ { "protocol": "TCP", "port": 8080 } ]
//!     }
//!   ],
//!   "egress": [
//!     { "peers": [ { "kind": "ipBlock", "cidr": "203.0.113.0/24", "except": ["203.0.113.5/32"] } ],
//!       "ports": [ { "protocol": "TCP", "port": 443 }, { "port": "https" },
//!                  { "protocol": "UDP", "port": 30000, "endPort": 30100 } ] }
//!   ],
//!   "allowDns": true
//! }
//! ```
//!
//! Other shapes: `target` is `{"kind":"allPods"}`, `{"kind":"labels","labels":[…]}` or
//! `{"kind":"kubectlRun","name":"…"}`; a peer is one of `{"kind":"anywhere"}`,
//! `{"kind":"podsInNamespace","labels":[…]}`, `{"kind":"namespaceByName","name":"…"}`,
//! `{"kind":"namespacesByLabels","labels":[…]}`, `{"kind":"podsInNamespaces","namespace":…,
//! "podLabels":[…]}` (namespace `{"kind":"byName","name":…}` or `{"kind":"byLabels","labels":[…]}`)
//! and `{"kind":"ipBlock","cidr":"…","except":[…]}`. `ingress`, `egress`, `ports`, `except` and
//! `allowDns` may be omitted (empty, empty, every port, none, `true`); `protocol` defaults to TCP.

use serde::{Deserialize, Serialize};

/// A NetworkPolicy as the form and the API describe it. Validate it with
/// [`PolicySpec::validate`](super::validate) before generating anything from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySpec {
    /// `metadata.name`: a DNS subdomain of at most 253 characters.
    pub name: String,
    /// `metadata.namespace`: the namespace the policy lives in and whose Pods it selects.
    pub namespace: String,
    /// Which Pods of the namespace the policy applies to (`spec.podSelector`).
    pub target: Target,
    /// Which directions the policy restricts (`spec.policyTypes`, always written out).
    pub policy_types: PolicyTypes,
    /// Allowed incoming connections. With `policy_types.ingress` and no rules, all incoming
    /// traffic to the selected Pods is blocked. Ignored (and linted) without `policy_types.ingress`.
    #[serde(default)]
    pub ingress: Vec<Rule>,
    /// Allowed outgoing connections; the same rules as `ingress`, with `policy_types.egress`.
    #[serde(default)]
    pub egress: Vec<Rule>,
    /// Add an egress rule to the cluster DNS (UDP and TCP 53 to `k8s-app: kube-dns` Pods in
    /// `kube-system`) when egress is restricted.
    ///
    /// Defaults to `true`: restricting egress without it silently breaks every name lookup, the
    /// most common NetworkPolicy mistake. Set it to `false` only to opt out deliberately (the lint
    /// then warns unless another rule reaches port 53). It has no effect without
    /// `policy_types.egress`.
    #[serde(default = "allow_dns_default")]
    pub allow_dns: bool,
}

fn allow_dns_default() -> bool {
    true
}

/// `spec.policyTypes` as two switches. At least one must be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyTypes {
    /// Restrict incoming traffic to the selected Pods to what the `ingress` rules allow.
    #[serde(default)]
    pub ingress: bool,
    /// Restrict outgoing traffic from the selected Pods to what the `egress` rules allow.
    #[serde(default)]
    pub egress: bool,
}

impl PolicyTypes {
    /// Ingress only.
    pub const INGRESS: Self = Self {
        ingress: true,
        egress: false,
    };
    /// Egress only.
    pub const EGRESS: Self = Self {
        ingress: false,
        egress: true,
    };
    /// Both directions.
    pub const BOTH: Self = Self {
        ingress: true,
        egress: true,
    };
}

/// One `key: value` label, as used in selectors. A list of these is ANDed: a Pod or namespace
/// must carry every one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Label {
    /// `[prefix/]name`, e.g. `app` or `app.kubernetes.io/name`.
    pub key: String,
    /// At most 63 characters; may be empty.
    pub value: String,
}

impl Label {
    /// A label from its key and value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Which Pods of the policy's namespace the policy selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Target {
    /// Every Pod in the namespace (`podSelector: {}`). An empty struct variant rather than a unit
    /// variant, so that `deny_unknown_fields` refuses stray fields next to the `kind`.
    AllPods {},
    /// Pods carrying all these labels (at least one label; use `AllPods` for every Pod).
    Labels {
        /// ANDed labels.
        labels: Vec<Label>,
    },
    /// The Pod that `kubectl run NAME` starts: it is labelled `run: NAME`.
    KubectlRun {
        /// The Pod name given to `kubectl run`.
        name: String,
    },
}

/// An allow rule: connections between any one of `peers` and the selected Pods, on any one of
/// `ports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Who may connect (ingress) or be connected to (egress); ORed. Must not be empty: use
    /// [`Peer::Anywhere`] (alone) to mean everyone.
    #[serde(default)]
    pub peers: Vec<Peer>,
    /// Which ports; ORed. Empty means every port and protocol.
    #[serde(default)]
    pub ports: Vec<PortSpec>,
}

impl Rule {
    /// A rule from its peers and ports.
    pub fn new(peers: Vec<Peer>, ports: Vec<PortSpec>) -> Self {
        Self { peers, ports }
    }
}

/// The other end of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Peer {
    /// Pods in the policy's own namespace carrying all these labels; every Pod of the namespace
    /// when empty (`podSelector` alone — it never reaches other namespaces).
    PodsInNamespace {
        /// ANDed labels; empty = every Pod in this namespace.
        labels: Vec<Label>,
    },
    /// Every Pod in one namespace, selected by name through its `kubernetes.io/metadata.name`
    /// label (`namespaceSelector` alone).
    NamespaceByName {
        /// The namespace name.
        name: String,
    },
    /// Every Pod in the namespaces carrying all these labels; every namespace when empty
    /// (`namespaceSelector` alone).
    NamespacesByLabels {
        /// ANDed namespace labels; empty = every namespace.
        labels: Vec<Label>,
    },
    /// Pods carrying `pod_labels` AND living in the selected namespaces: `namespaceSelector` and
    /// `podSelector` in the same peer.
    PodsInNamespaces {
        /// Which namespaces.
        namespace: NamespaceSelection,
        /// ANDed Pod labels; empty = every Pod of those namespaces.
        pod_labels: Vec<Label>,
    },
    /// Addresses outside the cluster (`ipBlock`). Pod and Service IPs do not belong here.
    IpBlock {
        /// An IPv4 or IPv6 network, e.g. `203.0.113.0/24`, without host bits.
        cidr: String,
        /// Networks inside `cidr` to leave out.
        #[serde(default)]
        except: Vec<String>,
    },
    /// Any Pod in the cluster and any address outside it (the rule has no `from`/`to`). Must be
    /// the rule's only peer. (An empty struct variant, like [`Target::AllPods`], so stray fields
    /// are refused.)
    Anywhere {},
}

/// The namespace part of [`Peer::PodsInNamespaces`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum NamespaceSelection {
    /// One namespace, by name.
    ByName {
        /// The namespace name.
        name: String,
    },
    /// Namespaces carrying all these labels; every namespace when empty.
    ByLabels {
        /// ANDed namespace labels.
        labels: Vec<Label>,
    },
}

/// A port, a port range or a named container port, on one protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortSpec {
    /// Defaults to TCP, as in Kubernetes.
    #[serde(default)]
    pub protocol: Protocol,
    /// A number (1–65535) or the name of a container port.
    pub port: Port,
    /// Last port of a range starting at `port`; only with a numeric `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<u16>,
}

impl PortSpec {
    /// One TCP port.
    pub fn tcp(port: u16) -> Self {
        Self {
            protocol: Protocol::Tcp,
            port: Port::Number(port),
            end_port: None,
        }
    }

    /// One UDP port.
    pub fn udp(port: u16) -> Self {
        Self {
            protocol: Protocol::Udp,
            port: Port::Number(port),
            end_port: None,
        }
    }
}

/// Transport protocol, spelled as Kubernetes spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Protocol {
    /// `TCP`.
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    /// `UDP`.
    #[serde(rename = "UDP")]
    Udp,
    /// `SCTP`.
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// The Kubernetes spelling: `TCP`, `UDP` or `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// A port number or a named container port. In JSON, a number or a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Port {
    /// A port number; 0 is refused by validation.
    Number(u16),
    /// The name of a container port (IANA service name syntax), resolved on each selected Pod.
    Named(String),
}

#[cfg(test)]
mod tests;
