//! The ports: what the UI's server functions need from the outside world, as traits.
//!
//! One file per capability the pages use: namespace requests, the FAQ, who has access, the audit
//! trail, preflight, the traffic check. Each is a trait in the pages' own terms (who asks, what they see, errors that are safe to
//! show); how it is stored or fetched is the server's business (its storage traits live in
//! `server::store`). The server implements them and hands one [`ServerContext`] to
//! [`provide_server_context`], which both the page renderer and the server-function handler call,
//! so the two can never see different things.

mod access;
mod audit;
mod faq;
mod namespaces;
mod preflight;
mod traffic;

pub use access::{AccessContext, AccessView, GroupsSeen};
pub use audit::Audit;
pub use faq::{Faq, FaqContext, VoterId};
pub use namespaces::Namespaces;
pub use preflight::{Preflight, PreflightError, PreflightTarget};
pub use traffic::{Traffic, TrafficError};

use crate::AppConfig;
use leptos::prelude::{provide_context, use_context};
use std::sync::Arc;

/// Everything a server function may reach, handed in by the server at start-up.
#[derive(Clone, Debug)]
pub struct ServerContext {
    /// Shared: every page and server function is handed it (as `Arc<AppConfig>`).
    pub config: Arc<AppConfig>,
    pub audit: Arc<dyn Audit>,
    /// Origins besides the portal's own that forms may submit to (the identity provider, where
    /// logout continues), for the Content-Security-Policy's `form-action`.
    pub form_action_origins: Vec<String>,
    pub faq: FaqContext,
    pub namespaces: Arc<dyn Namespaces>,
    pub access: AccessContext,
    pub preflight: Arc<dyn Preflight>,
    /// "Would this traffic be allowed?" over the cluster's live objects.
    pub traffic: Arc<dyn Traffic>,
}

/// The portal's one Content-Security-Policy, for pages and every other response alike: scripts
/// (and their WebAssembly), styles, images and connections from the portal only; no plugins,
/// frames or `<base>`; forms submit to the portal and to `form_action_origins` (the identity
/// provider, where logout continues). A rendered page names the nonce of its one inline script,
/// Leptos's hydration.
pub fn content_security_policy(
    script_nonce: Option<&str>,
    form_action_origins: &[String],
) -> String {
    let nonce = script_nonce
        .map(|nonce| format!(" 'nonce-{nonce}'"))
        .unwrap_or_default();
    let form_action: String = form_action_origins
        .iter()
        .map(|origin| format!(" {origin}"))
        .collect();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'{form_action}"
    )
}

/// Makes the server context available to the component tree and to server functions, and gives
/// the page a Content-Security-Policy that admits only the portal's own scripts plus the one
/// inline hydration script carrying this response's nonce.
pub fn provide_server_context(context: &ServerContext) {
    provide_context(context.config.clone());
    provide_context(context.audit.clone());
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let policy =
            content_security_policy(Some(&nonce.to_string()), &context.form_action_origins);
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    provide_context(context.faq.clone());
    provide_context(context.namespaces.clone());
    provide_context(context.access.clone());
    provide_context(context.preflight.clone());
    provide_context(context.traffic.clone());
}

/// The namespace requests, from inside a server function.
pub fn use_namespaces() -> Option<Arc<dyn Namespaces>> {
    use_context::<Arc<dyn Namespaces>>()
}

/// The audit trail, from inside a server function. `None` if the server forgot to provide it.
pub fn use_audit() -> Option<Arc<dyn Audit>> {
    use_context::<Arc<dyn Audit>>()
}

/// The FAQ, from inside a server function. `None` if the server forgot to provide it.
pub fn use_faq() -> Option<FaqContext> {
    use_context::<FaqContext>()
}

/// The preflight check, from inside a server function. `None` if the server forgot it.
pub fn use_preflight() -> Option<Arc<dyn Preflight>> {
    use_context::<Arc<dyn Preflight>>()
}

/// The traffic check, from inside a server function. `None` if the server forgot it.
pub fn use_traffic() -> Option<Arc<dyn Traffic>> {
    use_context::<Arc<dyn Traffic>>()
}

/// The access view, from inside a server function. `None` if the server forgot to provide it.
pub fn use_access() -> Option<AccessContext> {
    use_context::<AccessContext>()
}
