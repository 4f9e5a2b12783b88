//! End-to-end tests in headless Chromium: every page must work with JavaScript off, and with it
//! on the app must hydrate without a console error.

use portal_tests::{Browser, JavaScript, TestApp};

#[tokio::test]
async fn the_home_page_works_without_javascript() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("home_without_javascript", async |b| {
            b.goto("/").await?;
            anyhow::ensure!(b.text("h1").await?.contains("self-service"));
            // The check form submits to the server, which renders the verdict.
            b.fill("#ns-name", "kube-things").await?;
            b.find("form button[type=submit]").await?.click().await?;
            b.wait_for_text("#name-verdict", "reserved for Kubernetes")
                .await?;
            // Nothing ran in the page: it was never hydrated.
            anyhow::ensure!(!b.exists("html[data-hydrated]").await?, "JavaScript ran");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn the_home_page_hydrates_and_checks_names_as_you_type() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("home_hydrated", async |b| {
            b.goto("/").await?;
            b.wait_for_hydration().await?;
            // Only client code can update the verdict without a submit.
            b.fill("#ns-name", "Team-A").await?;
            b.wait_for_text("#name-verdict", "'T' is uppercase").await?;
            b.fill("#ns-name", "team-a-shop").await?;
            b.wait_for_text("#name-verdict", "'team-a-shop' is a valid namespace name.")
                .await?;
            anyhow::ensure!(
                b.client.current_url().await?.query().is_none(),
                "the form was submitted"
            );
            let errors = b.console_errors().await?;
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn navigation_reaches_every_section_and_unknown_pages_say_not_found() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("navigation", async |b| {
            b.goto("/").await?;
            b.wait_for_hydration().await?;
            for (link, heading) in [
                ("FAQ", "FAQ"),
                ("Access", "Access"),
                ("Home", "self-service"),
            ] {
                b.client
                    .find(fantoccini::Locator::LinkText(link))
                    .await?
                    .click()
                    .await?;
                b.wait_for_text("main h1", heading).await?;
            }
            b.goto("/nowhere").await?;
            b.wait_for_text("main h1", "Page not found").await?;
            let errors = b.console_errors().await?;
            anyhow::ensure!(
                errors.iter().all(|e| e.contains("404")),
                "console errors: {errors:#?}"
            );
            Ok(())
        })
        .await?;
    browser.close().await
}

/// The skip link moves the keyboard past the header, also once the page has hydrated (the
/// router used to take the click, and keyboard focus stayed in the header).
#[tokio::test]
async fn the_skip_link_skips_the_header_once_hydrated() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("skip_link_hydrated", async |b| {
            b.goto("/faq").await?;
            b.wait_for_hydration().await?;
            // As a keyboard user: focus it (it shows itself), then Enter.
            let link = b.find("a.skip-link").await?;
            b.client
                .execute("document.querySelector('a.skip-link').focus()", vec![])
                .await?;
            link.send_keys(&fantoccini::key::Key::Enter.to_string())
                .await?;
            // The browser's own fragment navigation makes <main> the :target (and the start of
            // sequential focus); the router's pushState changes the address and nothing else.
            let inside_main = b
                .client
                .execute(
                    "return location.hash === '#main' \
                       && document.querySelector('main').matches(':target')",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                inside_main == serde_json::Value::Bool(true),
                "the browser did not move to #main (the router took the click)"
            );
            Ok(())
        })
        .await?;
    browser.close().await
}
