//! The preflight server function.

use super::PreflightError;
use crate::domain::preflight::report::Answer;
use leptos::prelude::*;

/// The manifests checked for a namespace as the portal creates it.
#[server(endpoint = "preflight/check")]
pub async fn check_manifests(manifests: String) -> Result<Answer, PreflightError> {
    let preflight = crate::ports::use_preflight().ok_or(PreflightError::Unavailable)?;
    preflight.check(&manifests, None)
}

/// What was posted without JavaScript and its answer, for the page the server renders in
/// answer to the post; `None` for a plain visit.
pub async fn submitted() -> Option<(String, Result<Answer, PreflightError>)> {
    #[cfg(feature = "ssr")]
    {
        let super::Submitted(text) = use_context::<super::Submitted>()?;
        let answer = match crate::ports::use_preflight() {
            Some(preflight) => preflight.check(&text, None),
            None => Err(PreflightError::Unavailable),
        };
        Some((text, answer))
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}
