//! What the FAQ's server functions need from the request around them: the port, the guard of
//! the administrators' page, and who is voting (the logged-in user or an anonymous cookie).

use super::model::FaqApiError;
use crate::ports::{FaqContext, VoterId, use_faq};
use http::{HeaderValue, header};
use leptos::prelude::use_context;

/// The cookie that carries a reader's anonymous voter id.
pub const VOTER_COOKIE: &str = "portal_voter";
/// How long the voter cookie lives: a year, so "one vote per reader" holds across visits.
const VOTER_COOKIE_MAX_AGE: u32 = 365 * 24 * 60 * 60;

/// The FAQ port. Missing only if the server forgot to provide it, which reads as "unavailable".
pub fn faq() -> Result<FaqContext, FaqApiError> {
    use_faq().ok_or(FaqApiError::Unavailable)
}

/// The guard of `/admin/faq`: platform administrators only (401 when anonymous, 403 for
/// developers, with the status set by [`crate::auth::require_admin`]).
pub fn require_faq_admin() -> Result<FaqContext, FaqApiError> {
    crate::auth::require_admin()?;
    faq()
}

/// "No such entry", quoting at most 100 characters of what was asked for.
pub fn unknown(slug: &str) -> FaqApiError {
    FaqApiError::UnknownEntry(slug.chars().take(100).collect())
}

/// Who is voting: the logged-in user (one vote per entry across all their sessions), else the
/// anonymous id in the request's cookie, if it carries a valid one.
pub fn voter() -> Option<VoterId> {
    if let Some(user) = crate::auth::current_user() {
        return Some(VoterId::user(&user.username));
    }
    cookie_voter()
}

/// The anonymous voter id in the request's `portal_voter` cookie.
fn cookie_voter() -> Option<VoterId> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == VOTER_COOKIE)
        .and_then(|(_, value)| VoterId::parse(value.trim()))
}

/// Who is voting, as [`voter`] says; for an anonymous reader without a valid cookie, a new id,
/// set as an `HttpOnly`, `SameSite=Lax` cookie. Logged-in users get no cookie.
pub fn voter_or_issue(secure: bool) -> VoterId {
    if let Some(voter) = voter() {
        return voter;
    }
    let voter = VoterId::random();
    let cookie = format!(
        "{VOTER_COOKIE}={}; Path=/; Max-Age={VOTER_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax{}",
        voter.as_str(),
        if secure { "; Secure" } else { "" }
    );
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
    voter
}
