//! Logging in over plain HTTP through the real test provider, for tests that need a session or
//! want to tamper with the login on its way back to the portal.

use super::{TestApp, TestIdp};
use reqwest::{Client, header};

/// A browser-like client: keeps cookies, follows no redirects (the caller follows them).
pub fn http_browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // A portal or provider that never answers fails the test instead of hanging the run.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// The `Location` of a redirect, or an empty string.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Starts a login at the portal and signs in at the provider's login form as `user` (password =
/// username); returns the callback URL the provider sends the browser to, not yet visited.
pub async fn sign_in_at_provider(app: &TestApp, client: &Client, user: &str, next: &str) -> String {
    sign_in_at(app, client, &TestIdp::shared().issuer, user, next).await
}

/// Like [`sign_in_at_provider`], at the provider with this `issuer` (one a test started).
pub async fn sign_in_at(
    app: &TestApp,
    client: &Client,
    issuer: &str,
    user: &str,
    next: &str,
) -> String {
    let response = client
        .get(app.url(&format!("/auth/login?next={next}")))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 303, "login redirects to the provider");
    let url = location(&response);
    assert!(url.starts_with(issuer), "{url}");
    sign_in_until(client, issuer, &url, user, &app.url("/auth/callback")).await
}

/// Follows the provider's login from `url` (an authorization request) as a browser would,
/// signing in as `user` (password = username) at its form, until the provider redirects to a
/// URL starting with `redirect`; returns that URL, not visited.
pub async fn sign_in_until(
    client: &Client,
    issuer: &str,
    url: &str,
    user: &str,
    redirect: &str,
) -> String {
    let mut url = url.to_owned();
    for _ in 0..20 {
        if url.starts_with(redirect) {
            return url;
        }
        let absolute = if url.starts_with('/') {
            format!("{issuer}{url}")
        } else {
            url.clone()
        };
        let response = client
            .get(&absolute)
            .send()
            .await
            .expect("provider answers");
        if response.status().is_redirection() {
            url = location(&response);
            continue;
        }
        let response = client
            .post(&absolute)
            .form(&[("login", user), ("password", user)])
            .send()
            .await
            .expect("provider answers");
        assert!(
            response.status().is_redirection(),
            "the login form accepted {user}"
        );
        url = location(&response);
    }
    panic!("the provider never redirected to {redirect}");
}

/// A client logged in to `app` as `user`.
pub async fn logged_in(app: &TestApp, user: &str) -> Client {
    let client = http_browser();
    let callback = sign_in_at_provider(app, &client, user, "/").await;
    let response = client.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), 303, "login completes");
    client
}
