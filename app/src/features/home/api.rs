//! Server functions of the home page.

use crate::AppConfig;
use leptos::prelude::*;

/// The public part of the configuration, so the browser checks names exactly as the server does.
#[server(endpoint = "public-config")]
pub async fn public_config() -> Result<AppConfig, ServerFnError> {
    use_context::<AppConfig>().ok_or_else(|| ServerFnError::new("configuration is not available"))
}
