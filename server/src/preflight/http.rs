//! `POST /preflight`: the preflight form without JavaScript. The manifests are not put in the
//! address or the session (they can be long, and they are the developer's); the page is rendered
//! in answer to the post itself, whole (as every page is), with the text and its answer in it.

use crate::state::AppState;
use app::features::preflight::Submitted;
use app::ports::provide_server_context;
use app::shell;
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::Method,
    response::{IntoResponse, Response},
};
use leptos::prelude::provide_context;

/// The posted form: `manifests` and `namespace`; anything else is ignored, a missing field is
/// empty (no manifests: the page answers "nothing to check"; no namespace: a new one as the
/// portal creates it).
fn form_of(body: &[u8]) -> Submitted {
    let mut submitted = Submitted::default();
    for (key, value) in url::form_urlencoded::parse(body) {
        match &*key {
            "manifests" => submitted.manifests = value.into_owned(),
            "namespace" => submitted.namespace = value.into_owned(),
            _ => {}
        }
    }
    submitted
}

/// Renders `/preflight` with the posted text and its answer.
pub async fn submit(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, app::status::MAX_CALL_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return crate::page_error::PageError::page(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "Too much to check at once",
                "The manifests are larger than the portal reads in one check; check them in smaller sets.",
                false,
            )
            .into_response();
        }
    };
    let submitted = form_of(&body);
    let context = state.server_context.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_server_context(&context);
            provide_context(submitted.clone());
        },
        move || shell(options.clone()),
    );
    // The page renders as its GET would, with the submission in its context.
    parts.method = Method::GET;
    render(Request::from_parts(parts, Body::empty()))
        .await
        .into_response()
}
