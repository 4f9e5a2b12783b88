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

/// A measurement, not a check (issue 19): what a first visit to each public page downloads, as
/// headless Chromium counts it (the Resource Timing entries of the page, a fresh browser profile
/// per page, so nothing comes from its cache). Prints one row per page; BENCHMARKS.md records
/// the figures. Run after `.ci/build.sh --release` for the bundle that ships:
/// `cargo test -p portal-tests --test portal -- --ignored --nocapture first_load`.
#[tokio::test]
#[ignore = "a report for BENCHMARKS.md, not a check"]
async fn first_load_sizes_per_page() -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Entry {
        name: String,
        transfer: f64,
        encoded: f64,
    }
    let app = TestApp::spawn().await;
    println!("| page | HTML | JavaScript + WebAssembly | CSS | all |");
    println!("|---|---|---|---|---|");
    for page in [
        "/",
        "/faq",
        "/faq?q=why+cant+i+kubectl+run",
        "/faq/kubectl-run-refused",
        "/networkpolicies?preset=default-deny-all-except-dns",
        "/networkpolicies/check",
        "/preflight",
    ] {
        let browser = Browser::start(&app.url(""), JavaScript::On).await?;
        let entries: Vec<Entry> = browser
            .check("first_load_sizes", async |b| {
                b.goto(page).await?;
                b.wait_for_hydration().await?;
                let found = b
                    .client
                    .execute(
                        "return performance.getEntriesByType('navigation')
                           .concat(performance.getEntriesByType('resource'))
                           .map(e => ({ name: e.name, transfer: e.transferSize,
                                        encoded: e.encodedBodySize }));",
                        vec![],
                    )
                    .await?;
                Ok(serde_json::from_value(found)?)
            })
            .await?;
        browser.close().await?;
        // Bytes on the wire: the body as sent (compressed) plus the headers.
        let sum = |pick: &dyn Fn(&str) -> bool| -> f64 {
            entries
                .iter()
                .filter(|entry| pick(&entry.name))
                .map(|entry| entry.transfer)
                .sum()
        };
        let path = |name: &str| name.split('?').next().unwrap_or(name).to_owned();
        let code = sum(&|name| {
            let name = path(name);
            name.ends_with(".js") || name.ends_with(".wasm")
        });
        let css = sum(&|name| path(name).ends_with(".css"));
        let html = entries.first().map_or(0.0, |entry| entry.transfer);
        let all = sum(&|_| true);
        let wasm = entries
            .iter()
            .find(|entry| path(&entry.name).ends_with(".wasm"))
            .ok_or_else(|| anyhow::anyhow!("{page} loaded no WebAssembly"))?;
        anyhow::ensure!(
            wasm.transfer > 0.0 && wasm.encoded > 0.0,
            "{page}: the browser reports no size for {}",
            wasm.name
        );
        println!("| `{page}` | {html:.0} B | {code:.0} B | {css:.0} B | {all:.0} B |");
    }
    Ok(())
}
