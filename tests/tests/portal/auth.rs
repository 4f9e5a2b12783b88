//! Login through the real identity provider, and the attacks on it: each case drives the real
//! provider over HTTP (no browser), stopping at the redirect back to the portal so the test can
//! tamper with it.

use portal_tests::{
    TestApp, TestIdp,
    login::{http_browser as browser, location, sign_in_at, sign_in_at_provider},
};
use reqwest::{Client, StatusCode, header};
use serde_json::Value;
use server::config::{Config, SessionLimits};
use std::time::Duration;

async fn who_am_i(app: &TestApp, client: &Client) -> Value {
    let response = client
        .post(app.url("/api/who-am-i"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portal_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn alice_logs_in_and_logout_really_ends_the_session() {
    let app = TestApp::spawn_with_login().await;
    let client = browser();
    assert_eq!(who_am_i(&app, &client).await, Value::Null);

    let callback = sign_in_at_provider(&app, &client, "alice", "/networkpolicies").await;
    let response = client.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/networkpolicies",
        "back to the page login started from"
    );
    let cookie = session_cookie(&response).expect("a session cookie");

    let me = who_am_i(&app, &client).await;
    assert_eq!(me["username"], "alice@example.com");
    assert_eq!(me["groups"], serde_json::json!(["team-a"]));
    assert_eq!(me["is_admin"], false);

    let response = client
        .post(app.url("/auth/logout"))
        .header(header::ORIGIN, app.url(""))
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response).contains("/session/end"),
        "logout continues at the provider"
    );
    // The old cookie, replayed by anyone who kept it, is worth nothing now.
    let replay = Client::new()
        .post(app.url("/api/who-am-i"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("answers");
    assert_eq!(replay.json::<Value>().await.expect("JSON"), Value::Null);
}

#[tokio::test]
async fn a_tampered_or_missing_state_is_refused() {
    let app = TestApp::spawn_with_login().await;
    let client = browser();
    let callback = sign_in_at_provider(&app, &client, "alice", "/").await;
    let tampered = callback.replace("state=", "state=x");
    let response = client.get(&tampered).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.expect("body").contains("Try again"));
    assert_eq!(who_am_i(&app, &client).await, Value::Null);

    let client = browser();
    let callback = sign_in_at_provider(&app, &client, "alice", "/").await;
    let without_state: String = callback
        .split(['?', '&'])
        .filter(|part| !part.starts_with("state="))
        .enumerate()
        .map(|(i, part)| match i {
            0 => part.to_owned(),
            1 => format!("?{part}"),
            _ => format!("&{part}"),
        })
        .collect();
    let response = client.get(&without_state).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(who_am_i(&app, &client).await, Value::Null);
}

#[tokio::test]
async fn a_replayed_authorization_code_is_refused() {
    let app = TestApp::spawn_with_login().await;
    let client = browser();
    let callback = sign_in_at_provider(&app, &client, "alice", "/").await;
    assert_eq!(
        client
            .get(&callback)
            .send()
            .await
            .expect("first use")
            .status(),
        StatusCode::SEE_OTHER
    );

    // The same callback again: the login it belonged to is used up.
    let attacker = browser();
    let replay = attacker.get(&callback).send().await.expect("replay");
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);

    // The old code under a fresh login's state: the provider refuses the code.
    let fresh = attacker
        .get(app.url("/auth/login"))
        .send()
        .await
        .expect("login");
    let state = location(&fresh)
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("state=").map(str::to_owned))
        .expect("a state");
    let code = callback
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("code="))
        .expect("a code");
    let response = attacker
        .get(app.url(&format!("/auth/callback?code={code}&state={state}")))
        .send()
        .await
        .expect("callback");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(who_am_i(&app, &attacker).await, Value::Null);
}

#[tokio::test]
async fn the_return_page_cannot_leave_the_portal() {
    let app = TestApp::spawn_with_login().await;
    for next in [
        "//evil.example/x",
        "https%3A%2F%2Fevil.example",
        "/%5Cevil.example",
    ] {
        let client = browser();
        let callback = sign_in_at_provider(&app, &client, "alice", next).await;
        let response = client.get(&callback).send().await.expect("callback");
        assert_eq!(location(&response), "/", "next={next}");
    }
}

#[tokio::test]
async fn the_session_id_changes_at_login() {
    let app = TestApp::spawn_with_login().await;
    let client = browser();
    // A session that exists before this login (one an attacker could have planted).
    let callback = sign_in_at_provider(&app, &client, "bob", "/").await;
    let response = client.get(&callback).send().await.expect("callback");
    let planted = session_cookie(&response).expect("a session");
    let callback = sign_in_at_provider(&app, &client, "alice", "/").await;
    let response = client.get(&callback).send().await.expect("callback");
    let after = session_cookie(&response).expect("a new session cookie");
    assert_ne!(planted, after);
    let with_planted = Client::new()
        .post(app.url("/api/who-am-i"))
        .header(header::COOKIE, planted)
        .send()
        .await
        .expect("answers");
    assert_eq!(
        with_planted.json::<Value>().await.expect("JSON"),
        Value::Null
    );
}

/// Starting a login stores nothing on the server (it used to store a session row per
/// `GET /auth/login`, so anyone could fill the database): the login in progress is an
/// encrypted cookie named after its state. That also lets two tabs log in at once.
#[tokio::test]
async fn starting_a_login_stores_nothing_and_two_tabs_can_log_in_at_once() {
    let app = TestApp::spawn_with_login().await;
    let sessions = || async {
        let url = format!("sqlite://{}", app.database_file().display());
        let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .expect("opens");
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tower_sessions")
            .fetch_one(&mut db)
            .await
            .expect("counts")
    };
    for _ in 0..30 {
        let response = browser()
            .get(app.url("/auth/login?next=/faq"))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(
            session_cookie(&response).is_none(),
            "no session for an anonymous visitor"
        );
        let cookies: Vec<&str> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            cookies.len() == 1
                && cookies[0].starts_with("portal_login_")
                && cookies[0].contains("Path=/auth/callback")
                && cookies[0].contains("HttpOnly")
                && !cookies[0].contains("/faq"),
            "one encrypted pending-login cookie: {cookies:?}"
        );
    }
    assert_eq!(sessions().await, 0, "thirty logins started, nothing stored");

    // Two tabs of one browser start a login each; both finish, in the other order.
    let client = browser();
    let first = sign_in_at_provider(&app, &client, "alice", "/namespaces").await;
    let second = sign_in_at_provider(&app, &client, "alice", "/access").await;
    let response = client.get(&second).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/access");
    let response = client.get(&first).send().await.expect("callback");
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the first tab's login still works"
    );
    assert_eq!(location(&response), "/namespaces");
    assert_eq!(
        who_am_i(&app, &client).await["username"],
        "alice@example.com"
    );
    // A used login is gone: its callback again is refused.
    let again = client.get(&first).send().await.expect("callback");
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

/// A logged-in user's pages, server functions and exports are never cached; over https the
/// portal asks browsers never to use plain http.
#[tokio::test]
async fn a_logged_in_users_responses_are_not_stored_and_https_sends_hsts() {
    let app = TestApp::spawn_with_login().await;
    let anonymous = app.get("/faq").await;
    assert_eq!(
        anonymous.headers()[header::CACHE_CONTROL],
        "no-cache",
        "a public page may be stored, and is revalidated on every visit"
    );
    assert!(
        anonymous
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
    let client = portal_tests::login::logged_in(&app, "root").await;
    for path in [
        "/",
        "/faq",
        "/namespaces",
        "/admin/audit",
        "/admin/audit.csv",
        "/kubeconfig",
    ] {
        let response = client.get(app.url(path)).send().await.expect("answers");
        assert_eq!(
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap_or("")),
            Some("no-store"),
            "{path}"
        );
    }
    let response = client
        .post(app.url("/api/who-am-i"))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "no-store",
        "a server function"
    );
    let bundle = client
        .get(app.url(&format!("/pkg/{}.css", portal_tests::bundle_name())))
        .send()
        .await
        .expect("answers");
    assert_ne!(
        bundle
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap_or("")),
        Some("no-store"),
        "the stylesheet is everyone's"
    );

    let https =
        TestApp::spawn_with(|config| config.public_url = "https://portal.example.com".into()).await;
    let response = https.get("/").await;
    assert_eq!(
        response.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let app = TestApp::spawn_with_login().await;
    let client = browser();
    let callback = sign_in_at_provider(&app, &client, "alice", "/").await;
    client.get(&callback).send().await.expect("callback");

    for (name, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let response = client
            .post(app.url("/auth/logout"))
            .header(name, value)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        let response = client
            .post(app.url("/api/who-am-i"))
            .header(name, value)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    assert_eq!(
        who_am_i(&app, &client).await["username"],
        "alice@example.com",
        "still logged in"
    );
}

#[tokio::test]
async fn admin_functions_need_an_administrator() {
    let app = TestApp::spawn_with_login().await;
    let anonymous = browser();
    let response = anonymous
        .post(app.url("/api/admin/recent-audit-events"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let alice = browser();
    let callback = sign_in_at_provider(&app, &alice, "alice", "/").await;
    alice.get(&callback).send().await.expect("callback");
    let response = alice
        .post(app.url("/api/admin/recent-audit-events"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let root = browser();
    let callback = sign_in_at_provider(&app, &root, "root", "/").await;
    root.get(&callback).send().await.expect("callback");
    assert_eq!(who_am_i(&app, &root).await["is_admin"], true);
    let response = root
        .post(app.url("/api/admin/recent-audit-events"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unreachable_provider_does_not_stop_the_portal() {
    let closed = portal_tests::free_port();
    let app = TestApp::spawn_with(|config| {
        config.oidc_issuer = Some(format!("http://127.0.0.1:{closed}"));
    })
    .await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    let response = app.get("/auth/login").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("Identity provider unreachable")
    );
}

#[tokio::test]
async fn malformed_callbacks_get_a_clean_400() {
    let app = TestApp::spawn_with_login().await;
    for query in [
        "",
        "?code=x",
        "?state=y",
        "?code=%FF%FE&state=%00",
        "?error=access_denied&state=x",
    ] {
        let response = app.get(&format!("/auth/callback{query}")).await;
        let status = response.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::FORBIDDEN,
            "{query}: {status}"
        );
        assert!(
            response.text().await.expect("body").contains("Try again"),
            "{query}"
        );
    }
    let garbage = Client::new()
        .get(app.url("/"))
        .header(
            header::COOKIE,
            format!("portal_session={}", "%%garbage".repeat(300)),
        )
        .send()
        .await
        .expect("answers");
    assert_eq!(garbage.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = TestApp::spawn_with_login().await;
    let response = app.get("/").await;
    let headers = response.headers().clone();
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"),
        "{csp}"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    let html = response.text().await.expect("body");
    let nonce = csp
        .split_whitespace()
        .find_map(|part| {
            part.strip_prefix("'nonce-")
                .map(|n| n.trim_end_matches(['\'', ';']).to_owned())
        })
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    let api = app.get("/healthz").await;
    assert!(api.headers().contains_key(header::CONTENT_SECURITY_POLICY));
}

#[tokio::test]
async fn sessions_work_on_postgresql_too() {
    let database = portal_tests::TestDatabase::postgres().await;
    let url = database.url.clone();
    let app = TestApp::spawn_with_login_and(move |config| config.database_url = url.into()).await;
    let client = browser();
    let callback = sign_in_at_provider(&app, &client, "carol", "/").await;
    assert_eq!(
        client
            .get(&callback)
            .send()
            .await
            .expect("callback")
            .status(),
        StatusCode::SEE_OTHER
    );
    let me = who_am_i(&app, &client).await;
    assert_eq!(me["username"], "carol@example.com");
    assert_eq!(me["groups"], serde_json::json!(["team-a", "team-b"]));
}

#[tokio::test]
async fn the_admin_page_is_for_administrators() {
    let app = TestApp::spawn_with_login().await;
    let anonymous = browser();
    let response = anonymous
        .get(app.url("/admin"))
        .send()
        .await
        .expect("answers");
    assert!(response.status().is_redirection(), "{}", response.status());
    assert!(location(&response).starts_with("/auth/login"));

    let alice = portal_tests::login::logged_in(&app, "alice").await;
    let response = alice.get(app.url("/admin")).send().await.expect("answers");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let root = portal_tests::login::logged_in(&app, "root").await;
    let response = root.get(app.url("/admin")).send().await.expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("href=\"/admin/requests?status=pending\"")
    );
    let home = root
        .get(app.url("/admin"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("body");
    for link in ["/admin/audit", "/admin/access", "/admin/faq"] {
        assert!(
            home.contains(&format!("href=\"{link}\"")),
            "the admin home links {link}"
        );
    }
}

/// Logs in through a fake provider that issues `kind`; returns the callback's status and body.
async fn callback_with(kind: portal_tests::FakeToken) -> (StatusCode, String) {
    let op = portal_tests::FakeOp::start(kind).await;
    let issuer = op.issuer.clone();
    let app = TestApp::spawn_with(move |config| {
        config.oidc_issuer = Some(issuer);
        config.oidc_client_secret = Some("portal-secret".to_owned().into());
        config.admin_groups = vec!["platform-admins".into()];
    })
    .await;
    let client = browser();
    let login = client
        .get(app.url("/auth/login"))
        .send()
        .await
        .expect("login");
    let authorize = client
        .get(location(&login))
        .send()
        .await
        .expect("fake authorize");
    let callback = client
        .get(location(&authorize))
        .send()
        .await
        .expect("callback");
    let status = callback.status();
    let body = callback.text().await.expect("body");
    assert_eq!(
        who_am_i(&app, &client).await["username"] == "mallory",
        status == StatusCode::SEE_OTHER,
        "a session exists exactly when the callback succeeded"
    );
    (status, body)
}

#[tokio::test]
async fn id_tokens_a_real_provider_would_not_issue_are_refused() {
    use portal_tests::FakeToken;
    // The control: the fake's honest token is accepted, so the refusals below are real ones.
    assert_eq!(
        callback_with(FakeToken::Valid).await.0,
        StatusCode::SEE_OTHER
    );
    for kind in [
        FakeToken::WrongAudience,
        FakeToken::WrongIssuer,
        FakeToken::Expired,
        FakeToken::Unsigned,
        FakeToken::BadSignature,
        FakeToken::WrongNonce,
    ] {
        let (status, body) = callback_with(kind).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind:?}");
        assert!(
            body.contains("could not be verified") && body.contains("Try again"),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn login_everywhere_closes_the_public_pages() {
    let open = TestApp::spawn_with_login().await;
    assert_eq!(
        open.get("/networkpolicies").await.status(),
        StatusCode::OK,
        "public by default"
    );

    let closed = TestApp::spawn_with_login_and(|config| config.login_everywhere = true).await;
    let response = closed.get("/networkpolicies?preset=allow-dns").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/auth/login?next=/networkpolicies%3Fpreset%3Dallow-dns"
    );
    let api = closed
        .http
        .post(closed.url("/api/v1/run-recipes/generate"))
        .send()
        .await
        .expect("answers");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(closed.get("/healthz").await.status(), StatusCode::OK);
    let stylesheet = format!("/pkg/{}.css", portal_tests::bundle_name());
    assert_eq!(closed.get(&stylesheet).await.status(), StatusCode::OK);

    let alice = portal_tests::login::logged_in(&closed, "alice").await;
    let response = alice
        .get(closed.url("/networkpolicies"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Session limits and restarts. The cookie is replayed by hand, not kept in a cookie jar: a jar
// drops it when its Max-Age passes, which would hide whether the server ended the session.

/// Logs `user` in; returns the session cookie (`name=value`).
async fn login_cookie(app: &TestApp, user: &str) -> String {
    let client = browser();
    let callback = sign_in_at_provider(app, &client, user, "/").await;
    let response = client.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "login completes");
    session_cookie(&response).expect("a session cookie")
}

/// Who the portal says `cookie` belongs to: a username, or `None`.
async fn who_has(app: &TestApp, cookie: &str) -> Option<String> {
    let response = Client::new()
        .post(app.url("/api/who-am-i"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.expect("JSON");
    me["username"].as_str().map(str::to_owned)
}

fn limits(idle_secs: u64, max_secs: u64) -> Option<SessionLimits> {
    Some(SessionLimits {
        idle: Duration::from_secs(idle_secs),
        max: Duration::from_secs(max_secs),
        groups: Duration::from_secs(3600),
    })
}

#[tokio::test]
async fn an_idle_session_ends_and_an_active_one_goes_on() {
    let app = TestApp::spawn_with_login_and(|config| {
        config.session_limits_override = limits(4, 3600);
    })
    .await;
    let cookie = login_cookie(&app, "alice").await;
    // Active: a request every second for twice the idle limit keeps the session.
    for second in 1..=8 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            who_has(&app, &cookie).await.as_deref(),
            Some("alice@example.com"),
            "after {second} s of activity"
        );
    }
    // Idle for longer than the limit: the session is over, and stays over.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(who_has(&app, &cookie).await, None, "idle for 5 s");
    assert_eq!(who_has(&app, &cookie).await, None);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = TestApp::spawn_with_login_and(|config| {
        config.session_limits_override = limits(3600, 4);
    })
    .await;
    let cookie = login_cookie(&app, "alice").await;
    let mut seen = Vec::new();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        seen.push(who_has(&app, &cookie).await.is_some());
    }
    // Login time is kept in whole seconds, so the end falls between 3 and 4 s after login:
    // logged in at 1 and 2 s, out at 5 and 6 s, and never back in once out.
    assert!(seen[0] && seen[1], "{seen:?}");
    assert!(!seen[4] && !seen[5], "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] || !w[1]), "{seen:?}");
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let app = TestApp::spawn_with_login().await;
    let cookie = login_cookie(&app, "alice").await;
    assert_eq!(
        who_has(&app, &cookie).await.as_deref(),
        Some("alice@example.com")
    );
    let data = app.stop().await;

    let restarted = TestApp::spawn_with_login_in(data).await;
    assert_eq!(
        who_has(&restarted, &cookie).await.as_deref(),
        Some("alice@example.com"),
        "the same cookie is still logged in"
    );
}

#[tokio::test]
async fn sessions_survive_a_restart_on_postgresql() {
    let database = portal_tests::TestDatabase::postgres().await;
    let url = database.url.clone();
    let on_postgres = |url: String| move |config: &mut Config| config.database_url = url.into();
    let app = TestApp::spawn_with_login_and(on_postgres(url.clone())).await;
    let cookie = login_cookie(&app, "bob").await;
    drop(app.stop().await);

    let restarted = TestApp::spawn_with_login_and(on_postgres(url)).await;
    assert_eq!(
        who_has(&restarted, &cookie).await.as_deref(),
        Some("bob@example.com")
    );
}

// ---------------------------------------------------------------------------------------------
// Oversized and garbage cookies

/// Sends `cookie` as the Cookie header of a page request and of an API call.
async fn with_cookie_header(app: &TestApp, cookie: &str) -> Vec<(String, StatusCode, String)> {
    let mut answers = Vec::new();
    for (method, path) in [
        (reqwest::Method::GET, "/"),
        (reqwest::Method::GET, "/faq"),
        (reqwest::Method::POST, "/api/who-am-i"),
    ] {
        let response = Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .expect("an HTTP client")
            .request(method, app.url(path))
            .header(header::COOKIE, cookie)
            .send()
            .await
            .expect("the portal answers rather than dropping the connection");
        let status = response.status();
        answers.push((
            path.to_owned(),
            status,
            response.text().await.unwrap_or_default(),
        ));
    }
    answers
}

#[tokio::test]
async fn oversized_cookies_get_a_clear_431_never_a_500() {
    let app = TestApp::spawn_with_login().await;
    let many: Vec<String> = (0..100).map(|n| format!("c{n}=v{n}")).collect();
    for (what, cookie) in [
        (
            "one 16 KB cookie",
            format!("portal_session={}", "a".repeat(16 * 1024)),
        ),
        (
            "one 64 KB cookie",
            format!("other={}", "b".repeat(64 * 1024)),
        ),
        ("100 small cookies", many.join("; ")),
        (
            "16 cookies of 4 KB",
            (0..16)
                .map(|n| format!("c{n}={}", "x".repeat(4000)))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ] {
        for (path, status, body) in with_cookie_header(&app, &cookie).await {
            assert_eq!(
                status,
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "{what} on {path}"
            );
            assert!(body.contains("cookies"), "{what} on {path}: {body}");
        }
    }
    // The portal is still there, and ordinary cookies are fine.
    let ordinary = with_cookie_header(&app, "theme=dark; portal_voter=x").await;
    assert!(
        ordinary
            .iter()
            .all(|(_, status, _)| *status == StatusCode::OK),
        "{ordinary:?}"
    );
}

#[tokio::test]
async fn a_garbage_or_unknown_session_id_is_logged_out() {
    let app = TestApp::spawn_with_login().await;
    let real = login_cookie(&app, "alice").await;
    let real_id = real.split_once('=').map(|(_, id)| id).expect("name=value");
    for cookie in [
        "portal_session=".to_owned(),
        "portal_session=%%garbage".to_owned(),
        format!("portal_session={}", "A".repeat(4000)),
        // Well-formed, but no such session.
        "portal_session=AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        // The real id with a character changed, or extra bytes.
        format!("portal_session={}x", real_id),
        format!("portal_session={}", real_id.replacen(|_| true, "Z", 1)),
        format!("portal_session=\"{real_id}\""),
    ] {
        for (path, status, body) in with_cookie_header(&app, &cookie).await {
            assert_eq!(status, StatusCode::OK, "{cookie:.40} on {path}");
            if path.starts_with("/api/") {
                assert_eq!(body, "null", "{cookie:.40}");
            }
        }
    }
    assert_eq!(
        who_has(&app, &real).await.as_deref(),
        Some("alice@example.com")
    );
}

/// The users file of a provider of the test's own, with `user`'s groups set to `groups`.
fn write_users(path: &std::path::Path, user: &str, groups: &[&str]) {
    let shipped = std::fs::read_to_string(portal_tests::repo_root().join("tests/idp/users.json"))
        .expect("the shipped users");
    let mut users: Value = serde_json::from_str(&shipped).expect("JSON");
    users[user]["groups"] = serde_json::json!(groups);
    // Written whole and renamed, so the provider never reads half a file.
    let partial = path.with_extension("partial");
    std::fs::write(&partial, users.to_string()).expect("write the users");
    std::fs::rename(partial, path).expect("replace the users");
}

#[tokio::test]
async fn a_demoted_administrator_loses_the_role_within_the_groups_age_and_a_refused_refresh_logs_out()
 {
    let folder = tempfile::tempdir().expect("a folder");
    let users = folder.path().join("users.json");
    write_users(&users, "root", &["platform-admins"]);
    let idp = TestIdp::with_users_file(&users);
    let issuer = idp.issuer.clone();
    let app = TestApp::spawn_with(|config| {
        config.oidc_issuer = Some(issuer.clone());
        config.oidc_client_secret = Some("portal-secret".to_owned().into());
        config.admin_groups = vec!["platform-admins".into()];
        config.session_limits_override = Some(SessionLimits {
            idle: Duration::from_secs(3600),
            max: Duration::from_secs(3600),
            groups: Duration::from_secs(2),
        });
    })
    .await;
    let client = browser();
    let callback = sign_in_at(&app, &client, &issuer, "root", "/").await;
    let response = client.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(who_am_i(&app, &client).await["is_admin"], true);

    // Removed from the administrators' group at the provider: within the age, no longer one.
    write_users(&users, "root", &["team-a"]);
    assert_eq!(
        who_am_i(&app, &client).await["is_admin"],
        true,
        "within the age the session's groups stand"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let me = who_am_i(&app, &client).await;
    assert_eq!(me["is_admin"], false, "{me}");
    assert_eq!(me["groups"], serde_json::json!(["team-a"]));
    let response = client
        .post(app.url("/admin/requests/1/approve"))
        .header(header::ORIGIN, app.url(""))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "can no longer approve"
    );

    // The provider gone: the next check cannot confirm the session, which ends.
    drop(idp);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(who_am_i(&app, &client).await, Value::Null, "logged out");
}
