//! The login itself: `GET /auth/login` sends the browser to the identity provider, `GET
//! /auth/callback` checks its answer and starts the session, `POST /auth/logout` ends it here and
//! at the provider. Every failure is a small page that says what to do (see [`PageError`]).

use super::oidc::{self, LoginError, PendingLogin};
use super::{SessionUser, USER, safe_next};
use crate::page_error::PageError;
use crate::state::AppState;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use std::collections::HashMap;
use tower_sessions::Session;

#[derive(Debug, Deserialize)]
pub struct LoginParams {
    next: Option<String>,
}

/// `GET /auth/login?next=/path`: sends the browser to the provider. The login in progress is
/// kept in an encrypted cookie of its own (see [`pending`]), not in the session: an anonymous
/// visitor stores nothing.
pub async fn login(State(state): State<AppState>, Query(params): Query<LoginParams>) -> Response {
    let Some(oidc) = state.oidc.as_deref() else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Login is not set up",
            "This portal has no identity provider configured, so only the public pages are available. Ask a platform administrator.",
            false,
        );
    };
    let next = safe_next(params.next.as_deref());
    match oidc.start(next).await {
        Ok((url, pending)) => match state.pending_logins.remember(pending) {
            Some(cookie) => {
                let mut response = Redirect::to(&url).into_response();
                response
                    .headers_mut()
                    .append(axum::http::header::SET_COOKIE, cookie);
                response
            }
            None => {
                tracing::error!("could not write the pending login cookie");
                page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Login is unavailable",
                    "The portal could not start a login just now. Try again in a moment.",
                    true,
                )
            }
        },
        Err(error) => login_failed(error),
    }
}

/// `GET /auth/callback`: the provider sends the browser back here.
pub async fn callback(
    state: State<AppState>,
    session: Session,
    headers: axum::http::HeaderMap,
    params: Query<HashMap<String, String>>,
) -> Response {
    // Whatever happens next, this login attempt is used up: its cookie goes.
    let (pending, removal) = match params.get("state") {
        Some(returned) => state.pending_logins.take(&headers, returned),
        None => (None, axum::http::HeaderValue::from_static("")),
    };
    let mut response = finish_login(state, session, pending, params).await;
    if !removal.is_empty() {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, removal);
    }
    // Every way through ends in a redirect (logged in), a 4xx page (refused, or an answer that
    // did not verify) or a 5xx page (the provider or the session store failed).
    crate::metrics::login(match response.status() {
        status if status.is_redirection() => "success",
        status if status.is_server_error() => "error",
        _ => "refused",
    });
    response
}

async fn finish_login(
    State(state): State<AppState>,
    session: Session,
    pending: Option<PendingLogin>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let started = std::time::Instant::now();
    let Some(oidc) = state.oidc.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(error) = params.get("error") {
        let description = params
            .get("error_description")
            .map(String::as_str)
            .unwrap_or_default();
        return login_failed(LoginError::Denied(
            format!("{error} {description}").trim().to_owned(),
        ));
    }
    let (Some(code), Some(returned_state)) = (params.get("code"), params.get("state")) else {
        return page(
            StatusCode::BAD_REQUEST,
            "The login response is incomplete",
            "The identity provider's answer lacked the code or the state. Start the login again.",
            true,
        );
    };
    let Some(pending) = pending else {
        return page(
            StatusCode::BAD_REQUEST,
            "No login in progress",
            "This login link was already used, has expired, or was started in another browser. Start the login again.",
            true,
        );
    };
    if !constant_time_eq(pending.state.as_bytes(), returned_state.as_bytes()) {
        tracing::warn!("login callback with a state that does not match the session");
        return page(
            StatusCode::BAD_REQUEST,
            "The login could not be verified",
            "The answer from the identity provider does not belong to the login this browser started. Start the login again.",
            true,
        );
    }
    let next = pending.next.clone();
    match oidc.finish(code.clone(), pending).await {
        Ok(tokens) => {
            let oidc::Tokens {
                user,
                id_token,
                refresh_token,
                exchange_time,
            } = tokens;
            // A new session id at login: a session id planted before login is worth nothing.
            if let Err(error) = session.cycle_id().await {
                tracing::error!(%error, "could not renew the session id");
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Login is unavailable",
                    "The portal could not store the login. Try again in a moment.",
                    true,
                );
            }
            // For the access view's "groups nobody carries"; a failure here must not stop a login.
            if let Err(error) = state
                .stores
                .seen_groups
                .record_seen_groups(&user.groups)
                .await
            {
                tracing::warn!(%error, "could not record the groups seen at login");
            }
            let now = chrono::Utc::now().timestamp();
            let stored = SessionUser {
                user,
                id_token,
                logged_in_at: now,
                refresh_token,
                groups_read_at: now,
            };
            let username = stored.user.username.clone();
            let is_admin = stored.user.is_admin;
            let groups = stored.user.groups.clone();
            match session.insert(USER, stored).await {
                Ok(()) => {
                    crate::audit::record(
                        state.stores.audit.as_ref(),
                        &username,
                        crate::audit::LOGIN,
                        &crate::audit::user_subject(&username),
                        &crate::audit::describe_groups(&groups, is_admin),
                    )
                    .await;
                    // The session itself is written after this handler returns, by the session
                    // layer; `callback_us` is everything before that.
                    tracing::info!(
                        user = %username,
                        admin = is_admin,
                        callback_us = started.elapsed().as_micros(),
                        token_exchange_us = exchange_time.as_micros(),
                        "login"
                    );
                    Redirect::to(&next).into_response()
                }
                Err(error) => {
                    tracing::error!(%error, "could not store the session");
                    page(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Login is unavailable",
                        "The portal could not store the login. Try again in a moment.",
                        true,
                    )
                }
            }
        }
        Err(error) => login_failed(error),
    }
}

/// `POST /auth/logout`: ends the session here, then at the provider when it supports that.
pub async fn logout(State(state): State<AppState>, session: Session) -> Response {
    let stored: Option<SessionUser> = session.get(USER).await.ok().flatten();
    if let Err(error) = session.flush().await {
        tracing::error!(%error, "could not end the session");
    }
    let after = format!("{}/", state.public_url.trim_end_matches('/'));
    if let (Some(oidc), Some(stored)) = (state.oidc.as_deref(), stored) {
        tracing::info!(user = %stored.user.username, "logout");
        crate::audit::record(
            state.stores.audit.as_ref(),
            &stored.user.username,
            crate::audit::LOGOUT,
            &crate::audit::user_subject(&stored.user.username),
            "logged out",
        )
        .await;
        if let Some(url) = oidc.logout_url(&stored.id_token, &after).await {
            return Redirect::to(&url).into_response();
        }
    }
    Redirect::to("/").into_response()
}

fn login_failed(error: LoginError) -> Response {
    tracing::warn!(error = %cause_chain(&error), "login failed");
    match error {
        LoginError::ProviderUnreachable(_) => page(
            StatusCode::BAD_GATEWAY,
            "Identity provider unreachable",
            "The portal cannot reach the identity provider right now. The public pages still work; try logging in again in a moment.",
            true,
        ),
        LoginError::Denied(_) => page(
            StatusCode::FORBIDDEN,
            "Login was not completed",
            "The identity provider did not let the login through (it was cancelled or refused).",
            true,
        ),
        LoginError::Invalid(_) => page(
            StatusCode::BAD_REQUEST,
            "The login could not be verified",
            "The identity provider's answer did not pass the portal's checks. Start the login again; if it keeps happening, tell a platform administrator.",
            true,
        ),
    }
}

/// The error with its whole cause chain, for the log line.
pub(super) fn cause_chain(error: &LoginError) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// A login outcome page (see [`PageError::Page`]).
fn page(status: StatusCode, title: &'static str, text: &'static str, retry: bool) -> Response {
    PageError::page(status, title, text, retry).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
