//! Response headers every page gets, the refusal of cross-site state-changing requests and of
//! requests carrying more cookies than any browser of this portal would send, and the time
//! limit on every request.
//!
//! Pages rendered by Leptos carry their own Content-Security-Policy with a per-response nonce
//! for the hydration script (set in `app::ports::provide_server_context`); every other response
//! gets the strict default below unless it already has one.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::state::AppState;

/// The policy for responses that are not Leptos pages (they run no inline script).
pub fn default_csp(form_action_extra: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'{form_action_extra}"
    )
}

/// Adds the security headers to every response.
pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Served over https, browsers must never fall back to plain http for a year. Not
    // includeSubDomains: other hosts under the same domain are not the portal's to decide.
    if state.public_url.starts_with("https://") {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Pages are revalidated on every visit (a deployment changes them and the bundle they
    // name); a logged-in user's are `no-store` already (see `auth::load_user`).
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if is_html && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(value) = HeaderValue::from_str(&default_csp(&state.csp_form_action_extra))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Refuses state-changing requests that a browser marks as coming from another site: the
/// `Sec-Fetch-Site` header when the browser sends it, else the `Origin` header, which must be the
/// portal's own. Requests with neither (curl, automation) carry no ambient browser credentials
/// worth forging and pass.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let cross_site = match (fetch_site, origin) {
            (Some(site), _) => !matches!(site, "same-origin" | "none"),
            (None, Some(origin)) => origin.trim_end_matches('/') != state.public_origin,
            (None, None) => false,
        };
        if cross_site {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), ?fetch_site, ?origin, "cross-site request refused");
            return (
                StatusCode::FORBIDDEN,
                "cross-site requests are not accepted",
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// The most Cookie bytes (all Cookie headers together) a request may carry. The portal's own
/// cookies (session and FAQ voter) take under 100; the rest leaves room for other applications
/// on the same host, as much as one header line of a default nginx.
pub const MAX_COOKIE_BYTES: usize = 8 * 1024;
/// The most cookies a request may carry.
pub const MAX_COOKIES: usize = 50;

/// Refuses a request whose cookies are larger or more numerous than the limits above with a
/// plain 431 that says what to do, before the session layer parses them: such a request is a
/// broken or hostile client, and nothing behind this should spend work on it.
pub async fn limit_cookies(request: Request, next: Next) -> Response {
    let (bytes, count) =
        request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .fold((0, 0), |(bytes, count), value| {
                let pairs = value
                    .as_bytes()
                    .split(|&b| b == b';')
                    .filter(|pair| pair.iter().any(|b| !b.is_ascii_whitespace()))
                    .count();
                (bytes + value.len(), count + pairs)
            });
    if bytes > MAX_COOKIE_BYTES || count > MAX_COOKIES {
        tracing::warn!(
            path = %request.uri().path(),
            bytes,
            count,
            "request with oversized cookies refused"
        );
        return (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            [(header::CACHE_CONTROL, "no-store")],
            "Your browser sent more cookies than this portal accepts. Delete the cookies for \
             this site in your browser's settings, then reload the page.",
        )
            .into_response();
    }
    next.run(request).await
}

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
pub fn origin_of(url: &str) -> String {
    let url = url.trim_end_matches('/');
    match url.find("://") {
        Some(scheme_end) => match url[scheme_end + 3..].find('/') {
            Some(path) => url[..scheme_end + 3 + path].to_owned(),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Answers 503 when the portal has worked on a request for longer than
/// `request_timeout_seconds`, and logs which request it was: whatever is stuck behind it (the
/// database, the API server, the identity provider) then costs the user a clear message
/// instead of a connection held open for ever. The work itself is dropped; every write behind
/// a request is one transaction, so nothing is left half done.
pub async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(
                %method,
                %path,
                seconds = state.request_timeout.as_secs(),
                "request took too long; answered 503"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::RETRY_AFTER, "5"),
                ],
                "The portal took too long to answer this request, so it stopped working on it. \
                 Please try again in a moment; if it keeps happening, tell the platform \
                 administrators.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://portal.example.com/"),
            "https://portal.example.com"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/x/y"),
            "http://127.0.0.1:3000"
        );
    }
}
