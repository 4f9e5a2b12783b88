//! The portal's server: configuration, start-up, HTTP routes and the adapters that implement the
//! app's ports (databases today; the cluster and the identity provider as they arrive).
//!
//! It is a library so that integration tests can build the real application on a free port
//! ([`startup::Application::build`]) and talk to it over a real socket.

/// Who has access: the cluster's access RoleBindings, watched and kept in memory.
pub mod access;
/// The JSON API for automation (`/api/v1/...`).
pub mod api;
/// The browser bundle and stylesheet: content-hashed, precompressed, cached as immutable.
pub mod assets;
/// Security events in the audit trail, and the log line of every audit event.
pub mod audit;
/// OpenID Connect login, sessions and who is asking.
pub mod auth;
/// Typed configuration: defaults, then an optional TOML file, then `PORTAL_*` variables.
pub mod config;
/// The FAQ knowledge base: entries, search index, feedback.
pub mod faq;
/// `/healthz` and `/readyz`.
mod health;
/// `GET /kubeconfig/download`.
pub mod kubeconfig;
/// Prometheus metrics: their names, the recording functions and the `/metrics` listener.
pub mod metrics;
/// Namespace requests: the service, the provisioning loop, the cluster connection.
pub mod namespaces;
/// The one error type of handlers outside the pages, and the page it becomes.
pub mod page_error;
/// The preflight check ("Will it run here?"): the cluster's admission rules applied to a
/// manifest before it is applied; today the Gatekeeper constraints, evaluated in-process.
pub mod preflight;
/// Security headers and the refusal of cross-site writes.
pub mod security;
/// The HTTP server loop: header read timeout, drain and bounded shutdown.
mod serve;
/// Building the router and the running application.
pub mod startup;
/// What every request handler can reach.
pub mod state;
/// Storage: one trait per stored concept, each implemented for SQLite and PostgreSQL.
pub mod store;
/// Logging set-up.
pub mod telemetry;
/// "Would this traffic be allowed?" over the cluster's live Pods and NetworkPolicies.
pub mod traffic;
