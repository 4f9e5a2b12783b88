//! The preflight check ("Will it run here?"): what the cluster's admission rules would say about
//! a manifest before it is applied. Today: the cluster's Gatekeeper constraints, evaluated in the
//! portal's own process.

/// Gatekeeper's ConstraintTemplates and constraints: read from the cluster, matched against an
/// object and evaluated with an embedded Rego interpreter.
pub mod gatekeeper;
