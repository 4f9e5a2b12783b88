//! Logging: human-readable lines by default, JSON lines for log collectors; and the request
//! log, one line per request carrying its request id.

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Instrument;
use tracing_subscriber::{EnvFilter, field::MakeExt, fmt};

static JSON: AtomicBool = AtomicBool::new(false);

/// Whether [`init`] installed JSON logging (so a last error must be JSON too).
pub fn writes_json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Installs the global subscriber. `RUST_LOG`, when set, wins over the configured filter.
pub fn init(json: bool, filter: &str) -> anyhow::Result<()> {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(_) => EnvFilter::try_new(filter)
            .map_err(|error| anyhow::anyhow!("invalid log_filter {filter:?}: {error}"))?,
    };
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if json {
        JSON.store(true, Ordering::Relaxed);
        builder.json().try_init()
    } else {
        builder.fmt_fields(text_fields()).try_init()
    };
    // A second init (tests building several apps) keeps the first subscriber; that is fine.
    let _ = result;
    Ok(())
}

/// How text lines write fields: a newline in logged user input (a provider's
/// `error_description=x%0A…`) would start a forged line, so control characters are escaped.
fn text_fields() -> impl for<'writer> fmt::FormatFields<'writer> + Send + Sync + 'static {
    fmt::format::debug_fn(|writer, field, value| {
        let raw = format!("{value:?}");
        let text = escape_controls(&raw);
        if field.name() == "message" {
            write!(writer, "{text}")
        } else {
            write!(writer, "{field}={text}")
        }
    })
    .delimited(" ")
}

/// `text` with every control character (newlines, escape sequences) written as an escape.
fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// The header that carries a request's id, from the caller (a load balancer, a script) or made
/// here, and echoed in the response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id, in the request's extensions for handlers that want to show it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A caller's id is kept when it is short and plain (so it cannot forge a log line or bloat
/// one); otherwise the portal makes its own.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

/// The route a request matched, as a template (`/faq/{slug}`): what logs and metrics group by.
/// Static files and unknown paths share two names, so a scan cannot grow the metrics.
fn route_of(request: &Request) -> String {
    match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None if request.uri().path().starts_with("/pkg/") => "/pkg/{file}".to_owned(),
        None => "unmatched".to_owned(),
    }
}

/// One line per request at `info` (method, route, status, latency, id), the id in a span around
/// everything logged while serving it, the id echoed in `X-Request-Id`, and the request counted
/// in the metrics. A 5xx is logged at `error` with the path (never the query: it may hold a
/// login code).
pub async fn request_log(mut request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let id = request_id(&request);
    let route = route_of(&request);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    crate::metrics::http_request(&route, method.as_str(), status.as_u16(), elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(
            %method, %path, %route, status = status.as_u16(), latency_ms, request_id = %id,
            "request failed"
        );
    } else {
        tracing::info!(
            %method, %route, status = status.as_u16(), latency_ms, request_id = %id,
            "request"
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

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

    /// What a provider sends back can hold newlines and terminal escapes; logged, it must stay
    /// on its one line, whichever way the field is recorded.
    #[test]
    fn user_input_cannot_forge_a_log_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = fmt()
            .fmt_fields(text_fields())
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let forged = "access_denied x\n2026-12-01T00:00:00Z  INFO login ok user=root\u{1b}[2J";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(error = %forged, "login failed");
            tracing::warn!(error = ?forged, "login failed");
            tracing::warn!("login failed: {forged}");
        });
        let output =
            String::from_utf8(buffer.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        assert_eq!(output.lines().count(), 3, "{output}");
        assert!(!output.contains('\u{1b}'), "{output}");
        assert!(output.contains("x\\n2026-12-01"), "{output}");
    }

    #[test]
    fn a_plain_caller_request_id_is_kept_and_anything_else_replaced() {
        let with = |id: &str| {
            let request = Request::builder()
                .header(&REQUEST_ID, id)
                .body(axum::body::Body::empty())
                .expect("a request");
            request_id(&request)
        };
        assert_eq!(with("lb-7f3a.2:1"), "lb-7f3a.2:1");
        for bad in ["", "has space", "x;rm", "../a", &"a".repeat(129)] {
            let id = with(bad);
            assert_eq!(id.len(), 32, "{bad:?} became {id:?}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
    }
}
