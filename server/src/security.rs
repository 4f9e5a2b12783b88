//! Response headers every page gets, the refusal of cross-site state-changing requests and of
//! requests carrying more cookies than any browser of this portal would send, the time limit
//! on every request, and work that finishes when its client has gone.
//!
//! Pages rendered by Leptos carry their own Content-Security-Policy with a per-response nonce
//! for the hydration script (set in `app::ports::provide_server_context`); every other response
//! gets the same policy without a nonce unless it already has one. Both come from
//! [`content_security_policy`].

use app::ports::content_security_policy;
use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower::{
    ServiceBuilder,
    layer::util::{Identity, Stack},
};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// A header with a value fixed at start-up (`None`: not set at all).
type Fixed = SetResponseHeaderLayer<Option<HeaderValue>>;
/// A header whose value depends on the response.
type ByResponse = SetResponseHeaderLayer<fn(&Response) -> Option<HeaderValue>>;
/// What [`response_headers`] returns: its layers, innermost (the last added) first.
pub type ResponseHeaders = Stack<
    Fixed,
    Stack<ByResponse, Stack<Fixed, Stack<Fixed, Stack<Fixed, Stack<Fixed, Identity>>>>>,
>;

/// The security headers of every response: set over whatever a handler set, except the
/// Content-Security-Policy and Cache-Control, which a handler may choose itself.
pub fn response_headers(public_url: &str, form_action_origins: &[String]) -> ResponseHeaders {
    let always = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, Some(HeaderValue::from_static(value)))
    };
    // Served over https, browsers must never fall back to plain http for a year. Not
    // includeSubDomains: other hosts under the same domain are not the portal's to decide.
    let hsts = public_url
        .starts_with("https://")
        .then(|| HeaderValue::from_static("max-age=31536000"));
    let csp = HeaderValue::from_str(&content_security_policy(None, form_action_origins)).ok();
    ServiceBuilder::new()
        .layer(always(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(always(header::REFERRER_POLICY, "same-origin"))
        .layer(always(header::X_FRAME_OPTIONS, "DENY"))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            revalidate_pages as fn(&Response) -> Option<HeaderValue>,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .into_inner()
}

/// Pages are revalidated on every visit (a deployment changes them and the bundle they name);
/// a logged-in user's are `no-store` already (see `auth::load_user`).
fn revalidate_pages(response: &Response) -> Option<HeaderValue> {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"))
        .then(|| HeaderValue::from_static("no-cache"))
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

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`: host in lower case, the
/// scheme's default port left out. Text that is not a URL (the configuration refuses such a
/// `public_url` or `oidc_issuer`) is returned as it is, without a trailing `/`.
pub fn origin_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => url.trim_end_matches('/').to_owned(),
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

/// Works a request through to its answer even when the client hangs up half-way.
///
/// Hyper drops a request's future when its connection closes, and for a page that future owns
/// the page's whole reactive tree. Leptos re-walks a `<Suspense>`'s children from an effect on
/// another worker while their data resolves; dropping the tree then disposes every signal and
/// resource under that walk, which panics on its next read ("you tried to access a reactive
/// value … but it has already been disposed"; 1–3 panics per 10 000–20 000 pages cut off while
/// rendering, in any page with a `<Suspense>`). Run on its own task, the work finishes (or meets
/// [`time_limit`], inside this layer) and is dropped in one piece; only the wait for it is
/// cancelled. A panic in the work answers a plain 500 instead of a closed connection.
pub async fn finish_when_client_leaves(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // In the request's span, so that what the work logs still carries the request's id.
    match tokio::spawn(tracing::Instrument::in_current_span(next.run(request))).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%method, %path, %error, "request failed; answered 500");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CACHE_CONTROL, "no-store")],
                "The portal failed while answering this request. Please try again; if it keeps \
                 happening, tell the platform administrators.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // As a browser sends it: no default port, no user, the host in lower case.
        assert_eq!(
            origin_of("https://user@Portal.Example.com:443/x?y#z"),
            "https://portal.example.com"
        );
        assert_eq!(origin_of("not a url/"), "not a url");
    }

    #[test]
    fn one_policy_for_pages_and_every_other_response() {
        assert_eq!(
            content_security_policy(None, &["https://dex.example.com".to_owned()]),
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self' https://dex.example.com"
        );
        assert_eq!(
            content_security_policy(Some("abc"), &[]),
            "default-src 'self'; script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        );
    }

    /// The headers a response ends up with, behind [`response_headers`], when the handler set
    /// `set` itself.
    async fn headers_of(
        public_url: &str,
        set: &[(HeaderName, &'static str)],
    ) -> axum::http::HeaderMap {
        use tower::{Layer, ServiceExt};
        let mut response = Response::new(axum::body::Body::empty());
        for (name, value) in set {
            response
                .headers_mut()
                .insert(name.clone(), HeaderValue::from_static(value));
        }
        let mut response = Some(response);
        let handler = tower::service_fn(move |_: Request| {
            let response = response.take().unwrap_or_default();
            async move { Ok::<_, std::convert::Infallible>(response) }
        });
        response_headers(public_url, &["https://idp".to_owned()])
            .layer(handler)
            .oneshot(Request::new(axum::body::Body::empty()))
            .await
            .expect("answers")
            .headers()
            .clone()
    }

    #[tokio::test]
    async fn every_response_gets_the_headers_and_a_handler_keeps_its_policy_and_caching() {
        let plain = headers_of("http://portal", &[]).await;
        assert_eq!(plain[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(plain[header::REFERRER_POLICY], "same-origin");
        assert_eq!(plain[header::X_FRAME_OPTIONS], "DENY");
        assert!(!plain.contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert!(!plain.contains_key(header::CACHE_CONTROL), "not a page");
        assert_eq!(
            plain[header::CONTENT_SECURITY_POLICY],
            content_security_policy(None, &["https://idp".to_owned()]).as_str()
        );

        let https = headers_of("https://portal", &[]).await;
        assert_eq!(https[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");

        let html = "text/html; charset=utf-8";
        let page = headers_of("http://portal", &[(header::CONTENT_TYPE, html)]).await;
        assert_eq!(page[header::CACHE_CONTROL], "no-cache");

        let own = headers_of(
            "http://portal",
            &[
                (header::CONTENT_TYPE, html),
                (header::CACHE_CONTROL, "no-store"),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
                (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            ],
        )
        .await;
        assert_eq!(own[header::CACHE_CONTROL], "no-store");
        assert_eq!(own[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
        assert_eq!(own[header::X_FRAME_OPTIONS], "DENY", "never framed");
    }

    /// A request whose client hung up (its future dropped) still runs to the end: the page's
    /// reactive tree is never torn down in the middle of rendering.
    #[tokio::test]
    async fn work_goes_on_when_the_client_hangs_up() {
        use std::sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        };
        use tower::ServiceExt;
        let finished = Arc::new(AtomicBool::new(false));
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let started_tx = Arc::new(std::sync::Mutex::new(Some(started_tx)));
        let router = axum::Router::new()
            .route(
                "/slow",
                axum::routing::get({
                    let finished = finished.clone();
                    move || async move {
                        if let Some(tx) = started_tx.lock().expect("not poisoned").take() {
                            let _ = tx.send(());
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        finished.store(true, Ordering::SeqCst);
                        "done"
                    }
                }),
            )
            .layer(axum::middleware::from_fn(finish_when_client_leaves));
        let request = Request::get("/slow")
            .body(axum::body::Body::empty())
            .expect("a request");
        let call = tokio::spawn(router.oneshot(request));
        started.await.expect("the handler started");
        call.abort();
        assert!(call.await.expect_err("cancelled").is_cancelled());
        assert!(
            !finished.load(Ordering::SeqCst),
            "the handler is still at work"
        );
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert!(
            finished.load(Ordering::SeqCst),
            "the work was dropped with its client"
        );
    }

    /// A handler that panics answers a 500 page instead of closing the connection.
    #[tokio::test]
    async fn a_panic_in_the_work_answers_500() {
        use tower::ServiceExt;
        let router = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    if std::hint::black_box(true) {
                        panic!("a deliberate panic in a test handler");
                    }
                    "never"
                }),
            )
            .layer(axum::middleware::from_fn(finish_when_client_leaves));
        let response = router
            .oneshot(
                Request::get("/boom")
                    .body(axum::body::Body::empty())
                    .expect("a request"),
            )
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }

    /// What the work logs on its own task still carries the request's span (and so its id).
    #[tokio::test]
    async fn the_work_logs_in_the_request_span() {
        use std::sync::{Arc, Mutex};
        use tower::ServiceExt;
        use tracing::Instrument;
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .expect("not poisoned")
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let router = axum::Router::new()
            .route(
                "/logs",
                axum::routing::get(|| async {
                    tracing::warn!("from the handler");
                    "logged"
                }),
            )
            .layer(axum::middleware::from_fn(finish_when_client_leaves));
        let request = Request::get("/logs")
            .body(axum::body::Body::empty())
            .expect("a request");
        let response = router
            .oneshot(request)
            .instrument(tracing::info_span!("request", id = "req-42"))
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::OK);
        let output =
            String::from_utf8(buffer.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        let line = output
            .lines()
            .find(|line| line.contains("from the handler"))
            .unwrap_or_else(|| panic!("not logged: {output}"));
        assert!(line.contains("req-42"), "{line}");
    }
}
