//! The UI's server functions, called with plain HTTP as a script or a broken client would:
//! a missing or malformed argument, a body over the limit and an entry that does not exist are
//! the caller's mistakes. Each gets a 4xx with a message that names the problem, and none is
//! logged at ERROR (the request log writes every 5xx there).

use portal_tests::TestApp;
use std::sync::{Arc, Mutex};

/// Collects what the portal logs while a test runs. The test runs on tokio's current-thread
/// runtime, so the portal's tasks run on this thread and log to this thread's subscriber.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
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

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

/// POSTs `body` form-encoded, as the browser calls a server function; the status and the body.
/// An error's body is `{"message": "…", "error": …}`.
async fn call(app: &TestApp, endpoint: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = app
        .http
        .post(app.url(&format!("/api/{endpoint}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// The `message` of an error's body.
fn message(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    value["message"].as_str().expect("a message").to_owned()
}

#[tokio::test(flavor = "current_thread")]
async fn a_callers_mistakes_get_a_4xx_with_a_message_and_no_error_in_the_log() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await;
    // tracing caches each call site's interest across threads: a test on another thread whose
    // subscriber wanted no `info` may have cached "never" for the request log's call site (one
    // full run lost every request line here, while startup's lines came through). Ask every
    // subscriber again, this one included.
    tracing::callsite::rebuild_interest_cache();

    // (endpoint, body, status, a part of the message)
    let cases: &[(&str, &str, u16, &str)] = &[
        // An argument missing.
        ("faq/entry", "", 400, "missing field `slug`"),
        ("faq/my-vote", "", 400, "slug"),
        ("faq/search", "", 400, "input"),
        (
            "faq/vote",
            "input[slug]=kubectl-run-refused",
            400,
            "helpful",
        ),
        ("namespaces/detail", "", 400, "id"),
        ("access/namespace", "", 400, "namespace"),
        ("admin/access", "", 400, "search"),
        // Malformed, or of the wrong type.
        (
            "namespaces/detail",
            "id=seven",
            400,
            "arguments could not be read",
        ),
        (
            "faq/vote",
            "input[slug]=kubectl-run-refused&input[helpful]=maybe",
            400,
            "arguments could not be read",
        ),
        // An entry that does not exist.
        (
            "faq/entry",
            "slug=no-such-entry",
            404,
            "no FAQ entry called",
        ),
        (
            "faq/vote",
            "input[slug]=no-such-entry&input[helpful]=true",
            404,
            "no FAQ entry called",
        ),
        // Also from a reader who has not voted yet (no voter cookie).
        (
            "faq/my-vote",
            "slug=no-such-entry",
            404,
            "no FAQ entry called",
        ),
    ];
    for (endpoint, body, status, part) in cases {
        let (got, text) = call(&app, endpoint, *body).await;
        assert_eq!(got, *status, "{endpoint} {body:?}: {text}");
        assert!(message(&text).contains(part), "{endpoint} {body:?}: {text}");
    }

    // Over the limit, for functions with arguments and without.
    let huge = format!("slug={}", "x".repeat(300 * 1024));
    for endpoint in ["faq/entry", "faq/search", "public-config", "who-am-i"] {
        let (got, text) = call(&app, endpoint, huge.clone()).await;
        assert_eq!(got, 413, "{endpoint}: {text}");
        assert!(message(&text).contains("larger than"), "{endpoint}: {text}");
    }

    // Functions without arguments are not troubled by a body they do not read.
    for endpoint in ["public-config", "who-am-i", "home/summary"] {
        let (got, text) = call(&app, endpoint, "x=%%&[").await;
        assert!(got < 500, "{endpoint}: {got} {text}");
    }

    // The answers of the same functions called correctly, so the cases above test the mistake.
    let (got, text) = call(&app, "faq/entry", "slug=kubectl-run-refused").await;
    assert_eq!(got, 200, "{text}");
    let (got, text) = call(&app, "faq/search", "input[q]=kubectl").await;
    assert_eq!(got, 200, "{text}");
    let (got, text) = call(&app, "faq/my-vote", "slug=kubectl-run-refused").await;
    assert_eq!((got, text.as_str()), (200, "null"));

    let lines = log.text();
    assert!(
        lines.contains("status=404")
            && lines.contains("status=400")
            && lines.contains("status=413"),
        "the request log was captured: {lines}"
    );
    let errors: Vec<&str> = lines
        .lines()
        .filter(|line| line.contains("ERROR"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
