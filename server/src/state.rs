//! What every request handler can reach: one [`AppState`], built once by
//! [`crate::startup::Application::build`] and cloned into each handler (one `Arc`: axum clones
//! the state of every handler and middleware on every request). Handlers take the parts they need from it; who is asking comes from the extractors in
//! [`crate::auth::extract`].

use crate::audit::AuditService;
use crate::auth::{oidc::Oidc, pending::PendingLogins};
use crate::config::SessionLimits;
use crate::store::{Database, Stores};
use app::domain::kubeconfig::ClusterAccess;
use app::ports::ServerContext;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// What every request handler can reach. Cheap to clone: one reference count.
///
/// Axum clones each handler's and middleware's state per request. With the parts held inline,
/// those clones (and their drops) of the server context, the options and the stores were about
/// 17 % of the CPU time of serving `/faq` (`perf`, BENCHMARKS.md).
#[derive(Debug, Clone)]
pub struct AppState(Arc<AppStateParts>);

impl AppState {
    pub fn new(parts: AppStateParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateParts;
    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}

/// The parts of an [`AppState`].
#[derive(Debug)]
pub struct AppStateParts {
    pub leptos_options: LeptosOptions,
    /// What the pages' server functions reach (the app's ports).
    pub server_context: ServerContext,
    pub database: Database,
    /// The stores, for what handlers record themselves (logins, refusals, groups seen).
    pub stores: Stores,
    /// The audit trail's readers: its page and exports.
    pub audit: AuditService,
    /// The identity provider; `None` when login is not configured.
    pub oidc: Option<Arc<Oidc>>,
    pub public_url: String,
    /// `scheme://host[:port]` of `public_url`, compared with the `Origin` of unsafe requests.
    pub public_origin: String,
    /// When sessions end (idle and absolute); see `auth::load_user`.
    pub session_limits: SessionLimits,
    /// Every page needs a logged-in user (see `Config::login_everywhere`).
    pub login_everywhere: bool,
    /// What downloaded kubeconfigs point at; `None` when no cluster is configured.
    pub cluster_access: Option<Arc<ClusterAccess>>,
    /// Longest the portal works on one request (see `security::time_limit`).
    pub request_timeout: std::time::Duration,
    /// Logins in progress, in encrypted cookies (see `auth::pending`).
    pub pending_logins: PendingLogins,
    /// Set once the portal is shutting down: `/readyz` then answers 503.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
