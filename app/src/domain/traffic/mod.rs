//! "Would this traffic be allowed?" (issue 14): the pure engine that decides whether one
//! connection gets through the NetworkPolicies of a cluster, and says why in plain words.
//!
//! The inputs are the cluster's own objects where they exist (`k8s_openapi`'s `NetworkPolicy`,
//! as a watch delivers them) and small types for the rest ([`PodInfo`], [`NamespaceInfo`]).
//! [`TrafficModel::new`] reads them once; [`TrafficModel::check`] answers one [`Connection`]
//! with an [`Answer`]; [`explain`] turns the answer into sentences. [`check`] does the first two
//! in one call. [`question`] asks in a developer's terms (a Pod by name or labels, the ingress
//! controller, DNS, the internet) over one namespace, with a what-if, and [`suggest`] writes
//! the smallest policy that would allow a denied connection. [`map`] draws a namespace's
//! policy map: its Pods grouped by what the policies tell apart, and the flows allowed between
//! them and the platform's ends.
//!
//! # Semantics
//!
//! Kubernetes' NetworkPolicy semantics, as the API reference and
//! <https://kubernetes.io/docs/concepts/services-networking/network-policies/> state them (and
//! `domain-facts.md`, "NetworkPolicy semantics", lists where people go wrong):
//!
//! - Egress is decided at the source Pod, ingress at the destination Pod; the connection is
//!   allowed only if both sides allow it. A side that is not a Pod (an address, a client
//!   outside the cluster) has no policies, so it is not checked.
//! - A Pod is isolated for a direction when some policy in its namespace selects it
//!   (`podSelector`, `{}` selecting every Pod) and applies to that direction. `policyTypes`
//!   omitted or empty means Ingress, plus Egress when the spec has at least one egress rule. A
//!   Pod that no policy isolates allows everything in that direction.
//! - Policies add up: a connection is allowed when any rule of any policy that isolates the Pod
//!   matches it. A rule matches when one of its peers matches the other side (no `from`/`to`,
//!   or an empty list: every peer) and one of its ports matches (no `ports`: every port of every
//!   protocol).
//! - A peer with `podSelector` alone means Pods of the policy's namespace; with
//!   `namespaceSelector` alone, every Pod of the matching namespaces (`{}`: every namespace);
//!   with both, Pods matching both (AND). Label selectors follow Kubernetes' own: `matchLabels`
//!   and `matchExpressions` all hold, and `NotIn` and `DoesNotExist` also hold when the key is
//!   absent. Every namespace carries `kubernetes.io/metadata.name` with its name, as the API
//!   server guarantees.
//! - A port entry matches the protocol (TCP when omitted) and the port: none means every port;
//!   a number, or a range with `endPort` (only with a numeric port); a name, resolved on the
//!   destination Pod's container ports of the same protocol, so a name the destination does
//!   not declare (or a destination that is an address) never matches. The connection may also
//!   give a port name; it is resolved on the destination Pod the same way, and when it cannot
//!   be, only entries for every port of the protocol can match.
//!
//! # Decisions where Kubernetes leaves it to the network plugin
//!
//! - **`ipBlock` matches addresses, selectors match Pods.** The Kubernetes documentation says
//!   ipBlock is meant for cluster-external IPs, since Pod IPs are ephemeral, and that whether it
//!   matches Pod IPs depends on the plugin (`domain-facts.md`: Calico does, Cilium does not; say
//!   so rather than guess). So a Pod never matches an `ipBlock` peer here and an address never
//!   matches a selector; when that decides a denial, the answer lists the rules concerned in
//!   [`DirectionAnswer::ip_block_caveats`] and the explanation says so.
//! - **"Outside the cluster", address unknown** (a client on the internet, or the internet as a
//!   destination), is in an `ipBlock` only if the block covers a whole address family
//!   (`0.0.0.0/0` or `::/0`) without `except`: for anything narrower the answer depends on the
//!   address, so ask with the address ([`Source::Ip`], [`Destination::Ip`]).
//! - **A Pod can always reach itself** (`domain-facts.md`), whatever its policies say; the
//!   answer still shows what they say.
//! - IPv4 and IPv6 never mix: an IPv4 address is not in an IPv6 block, IPv4-mapped or not.
//!
//! # Malformed input
//!
//! Policies from the API server are valid; others may not be. Nothing here panics: a malformed
//! part is a [`Problem`] in the answer (with its path in the policy) and the part concerned
//! matches nothing: a peer with an invalid CIDR (in `cidr` or any `except`), a selector with an
//! unknown operator or misplaced values, a port entry with an unknown protocol or a bad port.
//! A CIDR with host bits set (`10.0.0.1/8`) is read as the API server reads it (`10.0.0.0/8`),
//! with a problem saying so. A policy without a namespace or name is ignored (and reported).

mod compile;
pub mod evaluate;
pub mod explain;
pub mod map;
pub mod model;
pub mod portset;
pub mod question;
pub mod shape;
pub mod suggest;

use k8s_openapi::api::networking::v1::NetworkPolicy;

pub use self::evaluate::TrafficModel;
pub use self::explain::{Explanation, explain};
pub use self::model::{
    Answer, Connection, ConnectionError, ContainerPort, Decision, Destination, Direction,
    DirectionAnswer, Isolation, NAMESPACE_NAME_LABEL, NamespaceInfo, PodInfo, PodRef, PolicyRef,
    Port, Problem, ProblemKind, Protocol, ResolvedPort, RuleRef, Source,
};

/// Reads the inputs and checks one connection: [`TrafficModel::new`] then
/// [`TrafficModel::check`]. To check many connections, build the model once.
pub fn check(
    policies: &[NetworkPolicy],
    namespaces: &[NamespaceInfo],
    pods: &[PodInfo],
    connection: &Connection,
) -> Result<Answer, ConnectionError> {
    TrafficModel::new(policies, namespaces.to_vec(), pods.to_vec()).check(connection)
}

#[cfg(test)]
mod map_tests;
#[cfg(test)]
mod question_tests;
#[cfg(test)]
mod rule_tests;
#[cfg(test)]
mod scenario_tests;
