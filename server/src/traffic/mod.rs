//! "Would this traffic be allowed?" over the cluster's live objects: the Pods and NetworkPolicies
//! kept in memory by watches ([`cache`]), and the port the API calls ([`service`]), which
//! decides with the domain's engine (`app::domain::traffic`) over the namespaces the caller may
//! use.

/// The watches of the cluster's Pods (trimmed to what the engine reads) and NetworkPolicies.
pub mod cache;
/// The [`app::ports::Traffic`] port: who may ask about which namespaces, and the answer.
pub mod service;
