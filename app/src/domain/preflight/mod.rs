//! "Will it run here?": a developer's manifests checked against this cluster's admission rules
//! before they are applied.
//!
//! Each admission rule of the platform gets its own pure module here, so the server and the
//! browser give the same answer. Today that is Pod Security Admission
//! ([`pod_security`](crate::domain::preflight::pod_security)); [`report`] puts its answers for a
//! developer's manifests together.

/// Kubernetes' Pod Security Admission (`baseline` and `restricted`), as the API server runs it.
pub mod pod_security;

/// The answer for a set of manifests: each object's verdict, its Pods', and the fixed manifest.
pub mod report;

/// The cluster's own rules (its Gatekeeper constraints) as the answer asks them, one object at a
/// time; the server evaluates them.
pub mod rules;

/// A `kubectl run` command line as the Pod it would create.
pub mod kubectl_run;

/// The NetworkPolicy a fix offers for a workload's Pods, made by the generator.
pub mod network;

/// The portal's own knowledge of the platform, where the cluster has no rule.
pub mod advice;

/// Whether the API server can decode an object of a built-in kind at all.
pub mod schema;
