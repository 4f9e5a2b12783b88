//! Pure domain rules shared by the server and the browser.
//!
//! Nothing here performs I/O or depends on Leptos, so each rule is tested where it is written
//! and the browser can run the same checks the server enforces.

/// Kubernetes namespace names: syntax, reserved names and team prefixes.
pub mod namespace_name;
/// NetworkPolicies: the model behind the generator, its manifest, explanation, lints, presets
/// and the safe `kubectl run` recipe.
pub mod networkpolicy;

pub use namespace_name::{NamespaceName, NamespaceNameError, NamingPolicy};
