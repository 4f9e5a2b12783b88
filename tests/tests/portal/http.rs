//! The portal over HTTP, without a browser: probes, status codes, server-rendered pages and the
//! static bundle.

use portal_tests::TestApp;

#[tokio::test]
async fn healthz_says_alive() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.expect("body"),
        r#"{"status":"alive"}"#
    );
}

#[tokio::test]
async fn readyz_says_ready_once_the_database_is_migrated() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.expect("body"),
        r#"{"status":"ready"}"#
    );
}

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server_with_navigation_and_version() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    for text in [
        "Welkin Developer Portal",
        "Request a namespace",
        "Namespaces",
        "Access",
        "FAQ",
        "NetworkPolicies",
        "Log in",
        concat!("version ", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(html.contains(text), "the home page lacks {text:?}");
    }
    assert!(
        !html.contains(">Admin<"),
        "the Admin entry is for administrators only"
    );
    assert_eq!(
        portal_tests::bundle_of(&html),
        Some(portal_tests::bundle_name()),
        "the page loads the hydration bundle by its content-hashed name"
    );
    assert!(
        html.contains(&format!("/pkg/{}.css", portal_tests::bundle_name())),
        "and its stylesheet"
    );
}

#[tokio::test]
async fn an_unknown_page_is_a_404_with_the_site_layout() {
    let app = TestApp::spawn().await;
    for path in ["/no-such-page", "/namespaces/x/y/z", "/%E2%9C%93?a=b"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.expect("body");
        assert!(html.contains("Page not found"), "{path}");
        assert!(
            html.contains("Welkin Developer Portal"),
            "{path} keeps the layout"
        );
    }
}

#[tokio::test]
async fn the_name_check_works_without_javascript() {
    let app = TestApp::spawn().await;
    let cases = [
        ("team-a-shop", "'team-a-shop' is a valid namespace name."),
        (
            "kube-stuff",
            "Names starting with 'kube-' are reserved for Kubernetes",
        ),
        (
            "monitoring",
            "'monitoring' is one of the platform's own namespaces",
        ),
        ("My%20Shop", "Use lowercase letters only: 'M' is uppercase."),
    ];
    for (query, expected) in cases {
        let html = app
            .get(&format!("/?name={query}"))
            .await
            .text()
            .await
            .expect("body");
        let expected = expected.replace('\'', "&#x27;");
        assert!(
            html.contains(&expected) || html.contains(&expected.replace("&#x27;", "'")),
            "/?name={query} should say {expected:?}"
        );
    }
}

#[tokio::test]
async fn user_input_is_escaped_in_the_page() {
    let app = TestApp::spawn().await;
    let html = app
        .get("/?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await
        .text()
        .await
        .expect("body");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&lt;script>"));
}

#[tokio::test]
async fn the_configured_naming_rules_reach_the_page() {
    let app = TestApp::spawn_with(|config| {
        config.namespace_prefixes = vec!["team-a-".into()];
    })
    .await;
    let html = app.get("/?name=shop").await.text().await.expect("body");
    assert!(
        html.contains("The name must start with one of: team-a-."),
        "{html}"
    );
}

#[tokio::test]
async fn the_public_config_server_function_answers() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .post(app.url("/api/public-config"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        body["naming"]["reserved"]
            .as_array()
            .is_some_and(|r| r.iter().any(|n| n == "velero"))
    );
}

#[tokio::test]
async fn the_bundle_is_served_precompressed_and_cached_for_a_year_and_pages_are_not() {
    let app = TestApp::spawn().await;
    let bundle = portal_tests::bundle_name();
    let pkg = portal_tests::repo_root().join("target/site/pkg");
    for file in [
        format!("{bundle}.js"),
        format!("{bundle}_bg.wasm"),
        format!("{bundle}.css"),
    ] {
        for (accept, encoding, suffix) in [
            ("br, gzip", Some("br"), ".br"),
            ("gzip", Some("gzip"), ".gz"),
            ("identity", None, ""),
        ] {
            let response = app
                .http
                .get(app.url(&format!("/pkg/{file}")))
                .header("accept-encoding", accept)
                .send()
                .await
                .expect("answers");
            assert_eq!(response.status(), 200, "{file} ({accept})");
            let headers = response.headers().clone();
            assert_eq!(
                headers
                    .get("content-encoding")
                    .map(|v| v.to_str().expect("ASCII")),
                encoding,
                "{file} ({accept})"
            );
            assert_eq!(
                headers["cache-control"], "public, max-age=31536000, immutable",
                "{file}"
            );
            let body = response.bytes().await.expect("a body");
            let on_disk = std::fs::read(pkg.join(format!("{file}{suffix}"))).expect("built");
            assert!(
                body[..] == on_disk[..],
                "{file} ({accept}) is the file .ci/build.sh compressed, not compressed again"
            );
        }
    }

    let missing = app.get("/pkg/portal-0000.js").await;
    assert_eq!(missing.status(), 404);
    assert_ne!(
        missing
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap_or("")),
        Some("public, max-age=31536000, immutable"),
        "a missing file may be there after the next deployment"
    );

    let page = app.get("/faq").await;
    assert_eq!(
        page.headers()["cache-control"],
        "no-cache",
        "pages are revalidated"
    );
}

#[tokio::test]
async fn pasted_text_of_any_size_never_breaks_the_generator_pages() {
    let app = TestApp::spawn().await;
    let huge = "%3Cx%3E%22%27".repeat(400);
    for path in [
        format!(
            "/networkpolicies?name={huge}&ns=a&target=labels&tv={huge}&in=on&i0k=pods&i0v={huge}&i0p={huge}"
        ),
        "/networkpolicies?name=x&i0k=%00%FF&i0p=99999999999999999999".to_owned(),
        format!("/networkpolicies/run?pod={huge}&image={huge}&ns=x&user=-1&group=abc"),
        "/networkpolicies?preset=no-such-preset".to_owned(),
    ] {
        let response = app.get(&path).await;
        let status = response.status().as_u16();
        assert!(
            status == 200 || status == 414 || status == 431,
            "{status} for a {}-byte URL",
            path.len()
        );
        if status == 200 {
            let html = response.text().await.expect("body");
            assert!(!html.contains("<x>"), "user input must be escaped");
        }
    }
}

/// Leptos works out the route list by rendering the app with resource loading switched off by
/// one flag for the whole process; a resource that first polled inside that window used to wait
/// forever (leptos-rs/leptos#4773), so a page of one portal hung now and then while another
/// portal of the same process (another test) started. The portal now works the list out once
/// per process. Pages with resources are loaded here, eight at a time, while other portals
/// start beside it on the other worker thread; every one must answer in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_while_another_portal_starts_in_the_same_process() {
    use std::time::Duration;
    let app = TestApp::spawn().await;
    let starting = tokio::spawn(async {
        for _ in 0..15 {
            drop(TestApp::spawn().await);
        }
    });
    let mut answered = 0;
    while !starting.is_finished() {
        let mut batch = tokio::task::JoinSet::new();
        for i in 0..8 {
            let request = app.http.get(app.url(if i % 2 == 0 {
                "/faq"
            } else {
                "/faq?q=forbidden"
            }));
            batch.spawn(async move {
                let response = request.send().await?;
                let status = response.status();
                response.text().await.map(|body| (status, body))
            });
        }
        let answers = tokio::time::timeout(Duration::from_secs(10), batch.join_all())
            .await
            .expect("no page hangs while another portal starts");
        for answer in answers {
            let (status, body) = answer.expect("the page is read in full");
            assert_eq!(status, 200);
            assert!(body.contains("</html>"), "a whole page: {body}");
            answered += 1;
        }
    }
    starting.await.expect("the other portals start");
    assert!(
        answered > 0,
        "pages were loaded while the other portals started"
    );
}

/// What a browser without JavaScript shows of `body`: everything before the first `<template>`
/// (out-of-order streaming puts late content in templates that only a script moves into place).
fn shown_without_javascript(body: &str) -> &str {
    body.find("<template").map_or(body, |at| &body[..at])
}

/// Loads every page `LOADS` times at once, as browsers without JavaScript do, and checks that
/// each load shows the page's own content and the header's account links. A page that streams
/// its content out of order passes now and then, so one load proves nothing.
// Threads of its own for the portal, as in production: on the test's single thread, a page's
// data is always ready before its first bytes leave, and the race never shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_its_content_without_javascript_on_every_load() {
    use portal_tests::login::{http_browser, location, logged_in};
    const LOADS: usize = 20;
    let app = TestApp::spawn_with_login().await;
    let anonymous = http_browser();
    let alice = logged_in(&app, "alice").await;
    let root = logged_in(&app, "root").await;

    let response = alice
        .post(app.url("/namespaces/new"))
        .header(reqwest::header::ORIGIN, app.url(""))
        .form(&[
            ("name", "team-a-shop"),
            ("purpose", "The web shop's staging environment."),
            ("groups", "team-a"),
        ])
        .send()
        .await
        .expect("the portal answers");
    let request = location(&response);
    let request = request
        .split('?')
        .next()
        .filter(|path| path.starts_with("/namespaces/"))
        .unwrap_or_else(|| panic!("the request was refused: {request}"))
        .to_owned();

    // (who, path, what the page itself must show, the header's account link)
    #[rustfmt::skip]
    let pages: Vec<(&str, &reqwest::Client, String, &str, &str)> = vec![
        ("anonymous", &anonymous, "/".into(), "id=\"name-verdict\"", "Log in"),
        ("anonymous", &anonymous, "/?name=kube-x".into(), "kube-x", "Log in"),
        ("anonymous", &anonymous, "/faq".into(), "id=\"faq-browse\"", "Log in"),
        ("anonymous", &anonymous, "/faq?q=kubectl+run".into(), "id=\"faq-results\"", "Log in"),
        ("anonymous", &anonymous, "/faq/kubectl-run-refused".into(), "id=\"faq-entry\"", "Log in"),
        ("anonymous", &anonymous, "/networkpolicies".into(), "id=\"policy-form\"", "Log in"),
        ("anonymous", &anonymous, "/networkpolicies/run".into(), "id=\"run-form\"", "Log in"),
        ("anonymous", &anonymous, "/kubeconfig".into(), "to download your kubeconfig", "Log in"),
        ("anonymous", &anonymous, "/preflight".into(), "id=\"preflight-form\"", "Log in"),
        ("anonymous", &anonymous, "/no-such-page".into(), "<h1", "Log in"),
        ("alice", &alice, "/".into(), "id=\"name-verdict\"", "Log out"),
        ("alice", &alice, "/namespaces".into(), "id=\"my-requests\"", "Log out"),
        ("alice", &alice, "/namespaces/new".into(), "id=\"request-form\"", "Log out"),
        ("alice", &alice, request.clone(), "id=\"request-name\"", "Log out"),
        ("alice", &alice, "/access".into(), "<h1", "Log out"),
        ("alice", &alice, "/kubeconfig".into(), "id=\"kubeconfig-download\"", "Log out"),
        ("alice", &alice, "/networkpolicies".into(), "id=\"policy-form\"", "Log out"),
        ("alice", &alice, "/preflight".into(), "id=\"preflight-form\"", "Log out"),
        ("alice", &alice, "/admin".into(), "For platform administrators", "Log out"),
        ("root", &root, "/".into(), "id=\"name-verdict\"", ">Admin<"),
        ("root", &root, "/admin".into(), "id=\"admin-links\"", ">Admin<"),
        ("root", &root, "/admin/requests".into(), "id=\"queue\"", ">Admin<"),
        ("root", &root, "/admin/audit".into(), "id=\"audit\"", ">Admin<"),
        ("root", &root, "/admin/faq".into(), "id=\"unanswered-title\"", ">Admin<"),
        ("root", &root, "/admin/access".into(), "<h1", ">Admin<"),
        ("root", &root, "/networkpolicies/run".into(), "id=\"run-form\"", "Log out"),
    ];
    // A logged-in user's home starts with their own things.
    let home = alice.get(app.url("/")).send().await.expect("answers");
    let home = home.text().await.expect("a body");
    assert!(home.contains("id=\"your-open-requests\""), "{home}");
    assert!(
        home.contains("team-a-shop") && home.contains("(pending)"),
        "{home}"
    );
    assert!(
        !home.contains("pending-for-admin"),
        "the queue count is for administrators"
    );
    assert!(
        home.contains("href=\"/namespaces/new\""),
        "Request a namespace goes to the form"
    );
    let home = root.get(app.url("/")).send().await.expect("answers");
    let home = home.text().await.expect("a body");
    assert!(
        home.contains("1 namespace request waits for a decision"),
        "{home}"
    );
    let home = anonymous.get(app.url("/")).send().await.expect("answers");
    assert!(!home.text().await.expect("a body").contains("your-corner"));

    let mut failures = Vec::new();
    for (who, client, path, content, account) in &pages {
        // All loads at once: a page that waits for nothing before streaming shows its fallback
        // whenever the server is busy, and a busy server is what concurrent loads make.
        let mut loads = tokio::task::JoinSet::new();
        for _ in 0..LOADS {
            let (client, url) = ((*client).clone(), app.url(path));
            loads.spawn(async move {
                let response = client.get(url).send().await.expect("the portal answers");
                response.text().await.expect("a body")
            });
        }
        let mut missing = 0;
        for body in loads.join_all().await {
            let shown = shown_without_javascript(&body);
            let main = shown.find("<main").map_or("", |at| &shown[at..]);
            if !main.contains(content) || !shown.contains(account) || main.contains("Loading") {
                missing += 1;
            }
        }
        if missing > 0 {
            failures.push(format!(
                "{who} {path}: {missing} of {LOADS} loads lacked {content:?} or {account:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `/metrics` as Prometheus reads it: on its own listener (not the public port), in the text
/// exposition format, with requests by route template, logins, namespace requests by status,
/// FAQ searches that found nothing, and the database pool.
#[tokio::test]
async fn metrics_are_scraped_from_their_own_listener_in_the_exposition_format() {
    use portal_tests::login::{http_browser, logged_in};
    let app = TestApp::spawn_with_login().await;
    assert_ne!(app.metrics_address, Some(app.address));
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "not on the public port"
    );

    app.get("/faq/kubectl-run-refused").await;
    app.get("/faq?q=quantum+blockchain").await;
    app.get("/no-such-page").await;
    let alice = logged_in(&app, "alice").await;
    let response = alice
        .post(app.url("/namespaces/new"))
        .header(reqwest::header::ORIGIN, app.url(""))
        .form(&[
            ("name", "team-a-metrics"),
            ("purpose", "Counting things."),
            ("groups", "team-a"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 303);
    let refused = http_browser()
        .get(app.url("/auth/callback?error=access_denied&state=x"))
        .send()
        .await
        .expect("answers");
    assert!(refused.status().is_client_error());

    let scrape = portal_tests::Metrics::scrape(&app).await;
    let (text, value) = (&scrape.text, |family: &str, labels: &[(&str, &str)]| {
        scrape.value(family, labels)
    });
    let entry = [
        ("route", "/faq/{slug}"),
        ("method", "GET"),
        ("status", "200"),
    ];
    assert!(value("portal_http_requests_total", &entry) >= 1.0, "{text}");
    assert!(
        value(
            "portal_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        value(
            "portal_http_request_duration_seconds",
            &[("route", "/faq/{slug}")]
        ) >= 1.0,
        "a latency histogram:\n{text}"
    );
    assert!(
        !text.contains("kubectl-run-refused"),
        "paths never become labels:\n{text}"
    );
    assert!(
        value("portal_logins_total", &[("outcome", "success")]) >= 1.0,
        "{text}"
    );
    assert!(
        value("portal_logins_total", &[("outcome", "refused")]) >= 1.0,
        "{text}"
    );
    assert!(
        value("portal_faq_searches_total", &[("result", "none")]) >= 1.0,
        "{text}"
    );
    assert_eq!(
        value("portal_namespace_requests", &[("status", "pending")]),
        1.0,
        "this portal's database holds one pending request:\n{text}"
    );
    assert!(
        value("portal_database_connections", &[("state", "max")]) >= 1.0,
        "{text}"
    );
    assert!(
        value("portal_database_acquire_duration_seconds", &[]) >= 1.0,
        "store queries are timed:\n{text}"
    );
    assert!(
        text.contains("portal_database_connections_pending"),
        "{text}"
    );
    assert!(text.contains("portal_reconcile_lag_seconds"), "{text}");
}
