//! Who is asking, as handler arguments: [`CurrentUser`] for anyone logged in, [`RequireAdmin`]
//! for platform administrators, [`MaybeUser`] where anyone may ask. [`super::load_user`] has
//! already put the request's user in its extensions; these read it and refuse with a
//! [`PageError`]: anonymous callers are sent to log in (and back), developers calling an
//! administrators' action get 403 and a line in the audit trail.

use crate::page_error::PageError;
use crate::state::AppState;
use axum::{
    extract::FromRequestParts,
    http::{Method, header, request::Parts},
};

/// The logged-in user; anonymous callers are sent to log in.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub app::auth::CurrentUser);

/// A logged-in platform administrator.
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub app::auth::CurrentUser);

/// The logged-in user, if any: for what anyone may do, and a logged-in user may do for their
/// own namespaces.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<app::auth::CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(Self(
            parts
                .extensions
                .get::<Option<app::auth::CurrentUser>>()
                .cloned()
                .flatten(),
        ))
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match parts.extensions.get::<Option<app::auth::CurrentUser>>() {
            Some(Some(user)) => Ok(Self(user.clone())),
            _ => Err(PageError::LogIn {
                next: return_path(parts, &state.public_origin),
            }),
        }
    }
}

impl FromRequestParts<AppState> for RequireAdmin {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_admin {
            return Ok(Self(user));
        }
        crate::audit::record(
            state.stores.audit.as_ref(),
            &user.username,
            crate::audit::ADMIN_REFUSED,
            &format!("{} {}", parts.method, parts.uri.path()),
            "not a platform administrator",
        )
        .await;
        Err(PageError::AdminOnly)
    }
}

/// Where to come back to after logging in: the address itself for a page or a download; for a
/// form post, the page the form was on (its same-origin `Referer`), else the home page.
fn return_path(parts: &Parts, public_origin: &str) -> String {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        return super::safe_next(Some(target));
    }
    let referer = parts
        .headers
        .get(header::REFERER)
        .and_then(|value| value.to_str().ok())
        .and_then(|referer| referer.strip_prefix(public_origin))
        .filter(|path| path.starts_with('/'));
    super::safe_next(referer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(method: Method, uri: &str, referer: Option<&str>) -> Parts {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(referer) = referer {
            request = request.header(header::REFERER, referer);
        }
        request.body(()).expect("a request").into_parts().0
    }

    #[test]
    fn a_login_returns_to_the_page_or_to_the_form_a_post_came_from() {
        let origin = "https://portal.example";
        let cases = [
            (
                Method::GET,
                "/admin/audit.csv?actor=bob",
                None,
                "/admin/audit.csv?actor=bob",
            ),
            (
                Method::POST,
                "/namespaces/4/cancel",
                Some("https://portal.example/namespaces/4"),
                "/namespaces/4",
            ),
            (
                Method::POST,
                "/namespaces/4/cancel",
                Some("https://evil.example/namespaces/4"),
                "/",
            ),
            (
                Method::POST,
                "/namespaces/4/cancel",
                Some("https://portal.example.evil.example/x"),
                "/",
            ),
            (Method::POST, "/namespaces/new", None, "/"),
        ];
        for (method, uri, referer, next) in cases {
            assert_eq!(
                return_path(&parts(method.clone(), uri, referer), origin),
                next,
                "{method} {uri} from {referer:?}"
            );
        }
    }
}
