//! Login through the company's identity provider (OpenID Connect), sessions in the database, and
//! the middleware that tells every request who is asking.

pub mod extract;
pub mod oidc;
pub mod pending;
pub mod session;

use app::auth::CurrentUser;
use axum::{
    extract::{Query, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use oidc::{LoginError, PendingLogin};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tower_sessions::Session;

use crate::page_error::PageError;
use crate::state::AppState;

const USER: &str = "user";

/// The logged-in user as stored in the session (server-side: the cookie holds only its id).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionUser {
    user: CurrentUser,
    /// Sent back to the provider at logout (`id_token_hint`).
    id_token: String,
    /// Unix seconds; the session ends `session_max_hours` after this, however active.
    logged_in_at: i64,
    /// For reading the user's groups again; `None` when the provider issued none.
    #[serde(default)]
    refresh_token: Option<String>,
    /// Unix seconds when the groups were last read from the provider (at login, then at each
    /// refresh); 0 in sessions stored before refreshes existed, which are therefore due at once.
    #[serde(default)]
    groups_read_at: i64,
}

/// Unix milliseconds of the last time this session's idle deadline was pushed back.
const REFRESHED_AT: &str = "refreshed_at";
/// Pushing the idle deadline back is a database write, so it happens at most this often per
/// session (and at least four times per idle period, so an active session never lapses).
const MAX_REFRESH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Puts the request's user (`Option<CurrentUser>`) into its extensions, for pages, server
/// functions and the API alike. A session past its absolute lifetime is ended here; an active
/// one has its idle deadline pushed back (the store only drops sessions whose deadline passed,
/// and tower-sessions saves, and so moves the deadline, only sessions that changed).
pub async fn load_user(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let user = match session.get::<SessionUser>(USER).await {
        Ok(Some(stored)) => {
            let limits = state.session_limits;
            let now = chrono::Utc::now();
            let age_ms = now.timestamp_millis() - stored.logged_in_at * 1000;
            let groups_age_ms = now.timestamp_millis() - stored.groups_read_at * 1000;
            if u128::try_from(age_ms).unwrap_or(0) > limits.max.as_millis() {
                let _ = session.flush().await;
                None
            } else if u128::try_from(groups_age_ms).unwrap_or(u128::MAX) > limits.groups.as_millis()
            {
                reread_groups(&state, &session, stored).await
            } else {
                keep_alive(&session, limits.idle).await;
                Some(stored.user)
            }
        }
        Ok(None) => None,
        Err(error) => {
            // A session that cannot be read (garbage cookie, database hiccup) is no session.
            tracing::warn!(%error, "could not read the session");
            None
        }
    };
    if state.login_everywhere && user.is_none() && !is_always_public(request.uri().path()) {
        let path = request.uri().path();
        if path.starts_with("/api/") {
            return (StatusCode::UNAUTHORIZED, "log in to continue").into_response();
        }
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        return crate::page_error::login_redirect(target);
    }
    let logged_in = user.is_some();
    let shared_file = is_shared_file(request.uri().path());
    request.extensions_mut().insert(user);
    let mut response = next.run(request).await;
    // What a logged-in user sees is theirs: no shared cache (a proxy, the browser's back
    // button after logout) may keep it. The bundle and stylesheet are the same for everyone.
    if logged_in && !shared_file {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

/// Files that are the same for every visitor (the browser bundle, the stylesheet, the icon).
fn is_shared_file(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

/// Reads the user's groups again from the provider with the refresh token, so roles follow the
/// IdP within `session_groups_max_age_minutes`. Without a refresh token, or when the provider
/// refuses or cannot be reached, the session ends: the user logs in again, and the portal never
/// goes on trusting groups it could not confirm.
async fn reread_groups(
    state: &AppState,
    session: &Session,
    stored: SessionUser,
) -> Option<CurrentUser> {
    let store = state.stores.audit.as_ref();
    let username = stored.user.username.clone();
    let refreshed = match (state.oidc.as_deref(), stored.refresh_token.as_deref()) {
        (Some(oidc), Some(token)) => oidc.refresh(token).await.map_err(|error| {
            format!(
                "the identity provider did not confirm the session ({})",
                cause_chain(&error)
            )
        }),
        _ => Err("the session's groups could not be read again (no refresh token)".to_owned()),
    };
    let tokens = match refreshed {
        Ok(tokens) if tokens.user.username == username => tokens,
        outcome => {
            let reason = match outcome {
                Ok(tokens) => format!(
                    "the identity provider now names the user {:?}",
                    tokens.user.username
                ),
                Err(reason) => reason,
            };
            let _ = session.flush().await;
            crate::audit::record(
                store,
                &username,
                crate::audit::LOGOUT,
                &crate::audit::user_subject(&username),
                &format!("session ended: {reason}"),
            )
            .await;
            return None;
        }
    };
    let before = &stored.user;
    let after = &tokens.user;
    let mut old_groups = before.groups.clone();
    let mut new_groups = after.groups.clone();
    old_groups.sort();
    new_groups.sort();
    if old_groups != new_groups || before.is_admin != after.is_admin {
        crate::audit::record(
            store,
            &username,
            crate::audit::ROLE_CHANGED,
            &crate::audit::user_subject(&username),
            &format!(
                "was: {}; now: {}",
                crate::audit::describe_groups(&old_groups, before.is_admin),
                crate::audit::describe_groups(&new_groups, after.is_admin)
            ),
        )
        .await;
    }
    let updated = SessionUser {
        user: tokens.user,
        id_token: tokens.id_token,
        logged_in_at: stored.logged_in_at,
        refresh_token: tokens.refresh_token,
        groups_read_at: chrono::Utc::now().timestamp(),
    };
    let user = updated.user.clone();
    if let Err(error) = session.insert(USER, updated).await {
        tracing::warn!(%error, "could not store the re-read groups; ending the session");
        let _ = session.flush().await;
        return None;
    }
    Some(user)
}

/// Marks an active session as changed, at most once per refresh interval, so it is saved with
/// a new idle deadline (and its cookie with a new `Max-Age`).
async fn keep_alive(session: &Session, idle: std::time::Duration) {
    let now = chrono::Utc::now().timestamp_millis();
    let every = MAX_REFRESH_INTERVAL.min(idle / 4).as_millis();
    let refreshed_at = session.get::<i64>(REFRESHED_AT).await.ok().flatten();
    let due = refreshed_at.is_none_or(|at| u128::try_from(now - at).unwrap_or(0) >= every);
    if due && let Err(error) = session.insert(REFRESHED_AT, now).await {
        tracing::warn!(%error, "could not keep the session alive");
    }
}

/// What stays reachable without login even when the operator requires it everywhere: the login
/// itself, the probes, and the static files the login pages use.
fn is_always_public(path: &str) -> bool {
    path.starts_with("/auth/")
        || path.starts_with("/pkg/")
        || matches!(path, "/healthz" | "/readyz" | "/favicon.svg")
}

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
fn cause_chain(error: &LoginError) -> String {
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

/// Only a same-origin path may follow a login: `/faq?q=x`, never `//evil.example`,
/// `https://evil.example`, `/\evil.example` or anything with control characters.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.contains(['\\', '\r', '\n', '\t'])
                && !path.chars().any(char::is_control)
                && path.len() <= 2048 =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_origin_paths_survive_as_the_return_page() {
        for good in ["/", "/faq?q=x", "/access/team-a", "/a/b#c"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/a\r\nSet-Cookie: x",
            "javascript:alert(1)",
            "/\t/evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
