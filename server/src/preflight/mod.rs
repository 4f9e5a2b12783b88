//! The preflight check ("Will it run here?"): what the cluster's admission rules would say about
//! a manifest before it is applied. Today: reading manifests as kubectl does, and the cluster's
//! Gatekeeper constraints, evaluated in the portal's own process. Pod Security's answer is pure
//! domain code (`app::domain::preflight`).

/// Gatekeeper's ConstraintTemplates and constraints: read from the cluster, matched against an
/// object and evaluated with an embedded Rego interpreter.
pub mod gatekeeper;

/// Those rules kept current by watching the cluster.
pub mod cluster;

/// Gatekeeper's inventory (`data.inventory`), rebuilt from what the portal watches.
pub mod inventory;

/// Manifests as `kubectl apply -f` reads them, each document with its line.
pub mod manifests;

/// The preflight port's implementation.
pub mod service;

/// The form post of the preflight page without JavaScript.
pub mod http;
