//! Logging in through the real provider's login screen in headless Chromium.

use fantoccini::Locator;
use portal_tests::{Browser, JavaScript, TestApp, TestIdp};

async fn log_in(b: &Browser, user: &str) -> anyhow::Result<()> {
    b.client
        .find(Locator::LinkText("Log in"))
        .await?
        .click()
        .await?;
    b.client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("input[name=login]"))
        .await?;
    b.fill("input[name=login]", user).await?;
    b.fill("input[name=password]", user).await?;
    b.find("button[type=submit]").await?.click().await?;
    b.wait_for_text(".account .who", "").await?;
    Ok(())
}

#[tokio::test]
async fn alice_logs_in_sees_her_groups_and_logs_out() -> anyhow::Result<()> {
    let app = TestApp::spawn_with_login().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("alice_login", async |b| {
            b.goto("/networkpolicies").await?;
            b.wait_for_hydration().await?;
            log_in(b, "alice").await?;
            b.wait_for_text(".account .who", "Alice Andersson").await?;
            b.wait_for_text(".account .groups", "team-a").await?;
            anyhow::ensure!(
                b.client.current_url().await?.path() == "/networkpolicies",
                "login returns to the page it started from"
            );
            anyhow::ensure!(
                !b.exists("a[href='/admin']").await?,
                "alice is no administrator"
            );
            b.find(".account button[type=submit]")
                .await?
                .click()
                .await?;
            b.wait_for_text("header", "Log in").await?;
            // The provider's own pages are not ours to judge (it serves no favicon).
            let issuer = &TestIdp::shared().issuer;
            let errors: Vec<_> = b
                .console_errors()
                .await?
                .into_iter()
                .filter(|e| !e.contains(issuer.as_str()))
                .collect();
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn root_sees_the_admin_menu() -> anyhow::Result<()> {
    let app = TestApp::spawn_with_login().await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("root_login_without_javascript", async |b| {
            b.goto("/").await?;
            log_in(b, "root").await?;
            b.wait_for_text(".account .groups", "platform-admins")
                .await?;
            anyhow::ensure!(b.exists("a[href='/admin']").await?, "root sees Admin");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn the_faq_report_sends_to_login_and_back_then_hydrates() -> anyhow::Result<()> {
    let app = TestApp::spawn_with_login().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("faq_report_after_login", async |b| {
            b.goto("/admin/faq").await?;
            b.client
                .wait()
                .at_most(std::time::Duration::from_secs(20))
                .for_element(Locator::Css("input[name=login]"))
                .await?;
            b.fill("input[name=login]", "root").await?;
            b.fill("input[name=password]", "root").await?;
            b.find("button[type=submit]").await?.click().await?;
            b.wait_for_text("main h1", "FAQ feedback").await?;
            b.wait_for_hydration().await?;
            anyhow::ensure!(
                b.client.current_url().await?.path() == "/admin/faq",
                "back on the report"
            );
            anyhow::ensure!(b.exists("#faq-helpfulness").await?, "the report is shown");
            // Chromium asks for /favicon.ico itself when a visit starts with a redirect (the
            // portal's icon is favicon.svg); that 404 is not the page's doing.
            let errors: Vec<String> = b
                .console_errors()
                .await?
                .into_iter()
                .filter(|error| !error.contains("/favicon.ico"))
                .collect();
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}
