//! What every page knows before it renders: who is asking and the portal's settings.
//!
//! The server knows both from the request before it renders anything. [`provide`] (called once
//! by the app) puts them in a `SharedValue`, which is serialized into the page and read back
//! when the browser hydrates, so every component reads them synchronously ([`user`],
//! [`config`]): no page waits on a resource, or suspends, for them. Logging in and out are full
//! page loads, so the browser's copy never outlives the session it describes by more than a
//! client-side navigation (and every server function checks the session again).
//!
//! Reading them through resources under `<Suspense>` cost a render pass per page, and under
//! load Leptos' re-checking of suspended children raced with the resource and read a disposed
//! signal (a panic, and a failed page, in one view in a few hundred; see BENCHMARKS.md).

use crate::AppConfig;
use crate::auth::CurrentUser;
use leptos::prelude::*;
use leptos::server::SharedValue;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PageContext {
    user: Option<CurrentUser>,
    /// `None` only where the server has no configuration to give (listing the routes at
    /// start-up renders the app without one).
    config: Option<Arc<AppConfig>>,
}

/// Reads who is asking and the settings (on the server, from the request; while hydrating, from
/// the page) and provides them to every component below.
pub fn provide() {
    let context = SharedValue::new(|| PageContext {
        user: server_user(),
        config: use_context::<Arc<AppConfig>>(),
    });
    provide_context(context.into_inner());
}

#[cfg(feature = "ssr")]
fn server_user() -> Option<CurrentUser> {
    crate::auth::current_user()
}

/// In the browser outside hydration (never, since the app is created once, by hydrating).
#[cfg(not(feature = "ssr"))]
fn server_user() -> Option<CurrentUser> {
    None
}

/// The logged-in user, if any.
pub fn user() -> Option<CurrentUser> {
    use_context::<PageContext>().and_then(|context| context.user)
}

/// The portal's settings; `None` if the server had none to give.
pub fn config() -> Option<Arc<AppConfig>> {
    use_context::<PageContext>().and_then(|context| context.config)
}
