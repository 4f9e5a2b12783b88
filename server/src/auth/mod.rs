//! Login through the company's identity provider (OpenID Connect), sessions in the database, and
//! the middleware that tells every request who is asking.

pub mod extract;
pub mod login;
pub mod oidc;
pub mod pending;
pub mod session;

use app::auth::CurrentUser;
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

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
                login::cause_chain(&error)
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
