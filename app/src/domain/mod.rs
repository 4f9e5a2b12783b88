//! Pure domain rules shared by the server and the browser.
//!
//! Nothing here performs I/O or depends on Leptos, so each rule is tested where it is written
//! and the browser can run the same checks the server enforces.

/// Who may use which namespace: RoleBinding subjects matched against users and IdP groups.
pub mod access;
/// The audit trail's lines, as every reader sees them.
pub mod audit;
/// CSV cells and records that a spreadsheet opens safely.
pub mod csv;
/// The JSON a request body must be: every problem of a body at once, with its field path.
pub mod json_shape;
/// A kubeconfig set up for the platform's OIDC login.
pub mod kubeconfig;
/// Kubernetes label keys and values.
pub mod labels;
/// Kubernetes namespace names: syntax, reserved names and team prefixes.
pub mod namespace_name;
/// The life of a namespace request: its statuses and the transitions between them.
pub mod namespace_request;
/// NetworkPolicies: the model behind the generator, its manifest, explanation, lints, presets
/// and the safe `kubectl run` recipe.
pub mod networkpolicy;
/// "Will it run here?": manifests checked against the cluster's admission rules (Pod Security).
pub mod preflight;
/// What approving a namespace request creates in the cluster.
pub mod provisioning;
/// A point in time: stored, sent and shown in UTC, without a date library in the browser.
pub mod time;
/// "Would this traffic be allowed?": a connection checked against NetworkPolicies, explained.
pub mod traffic;

pub use namespace_name::{NamespaceName, NamespaceNameError, NamingPolicy};
pub use namespace_request::{IllegalTransition, NamespaceRequest, RequestEvent, RequestStatus};
pub use time::Timestamp;
