//! Headless Chromium over WebDriver (Debian's `chromium` and `chromium-driver`).
//!
//! Each [`Browser`] runs its own chromedriver and a Chromium with a fresh profile, so tests never
//! share cookies. [`Browser::console_errors`] reads the page's console through chromedriver's log
//! endpoint, so a test can prove hydration ran without a single error.

use fantoccini::{
    Client, ClientBuilder, Locator, elements::Element, wd::WebDriverCompatibleCommand,
};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Whether the browser runs the page's scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JavaScript {
    On,
    Off,
}

/// The colour scheme the browser asks pages for (`prefers-color-scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Light,
    Dark,
}

/// One rule axe-core found broken on a page, with where.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AxeViolation {
    /// The rule, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    /// CSS selectors of the elements that break it.
    pub targets: Vec<String>,
}

impl std::fmt::Display for AxeViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {} at {}",
            self.id,
            self.impact.as_deref().unwrap_or("?"),
            self.help,
            self.targets.join(", ")
        )
    }
}

/// axe-core's browser build, from `tests/axe` (installed by `.ci/setup.sh`).
fn axe_source() -> anyhow::Result<&'static str> {
    static SOURCE: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = super::repo_root().join("tests/axe/node_modules/axe-core/axe.min.js");
            std::fs::read_to_string(&path).map_err(|error| {
                format!(
                    "could not read {} ({error}); run .ci/setup.sh to install axe-core",
                    path.display()
                )
            })
        })
        .as_deref()
        .map_err(|error| anyhow::anyhow!("{error}"))
}

/// A headless Chromium session. Call [`Browser::close`] at the end of a test; dropping it
/// kills chromedriver (and with it the browser) either way.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    base_url: String,
    javascript: JavaScript,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium pointed at `base_url` (for example a
    /// [`super::TestApp`]'s URL).
    pub async fn start(base_url: &str, javascript: JavaScript) -> anyhow::Result<Self> {
        Self::start_in(base_url, javascript, Scheme::Light).await
    }

    /// [`Browser::start`], with pages asked for the colour `scheme`.
    pub async fn start_in(
        base_url: &str,
        javascript: JavaScript,
        scheme: Scheme,
    ) -> anyhow::Result<Self> {
        let port = super::free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| anyhow::anyhow!("could not start chromedriver: {error}"))?;
        let profile = tempfile::Builder::new()
            .prefix("portal-chromium-")
            .tempdir()?;
        let mut prefs = json!({});
        if javascript == JavaScript::Off {
            prefs = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .map(str::to_owned)
        .into();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        if scheme == Scheme::Dark {
            // Headless Chromium answers `prefers-color-scheme: dark` with this flag.
            args.push("--force-dark-mode".to_owned());
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": args,
                "prefs": prefs,
            }
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => {
                    anyhow::bail!("could not start a Chromium session: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            javascript,
            driver,
            _profile: profile,
        })
    }

    /// Opens `path` on the portal under test.
    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await?;
        Ok(())
    }

    /// Waits until the browser bundle has hydrated the page (`<html data-hydrated="true">`).
    pub async fn wait_for_hydration(&self) -> anyhow::Result<()> {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("html[data-hydrated='true']"))
            .await
            .map_err(|error| anyhow::anyhow!("the page did not hydrate within 30 s: {error}"))?;
        Ok(())
    }

    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        Ok(self.client.find(Locator::Css(css)).await?)
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits until the element matching `css` shows text containing `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(expected) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                anyhow::bail!("{css} shows {text:?}, never {expected:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text` into the field matching `css` (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Signs `user` in at the test identity provider's login form (the page must be on its
    /// way there, or on it), then waits for the portal's account menu.
    pub async fn sign_in(&self, user: &str) -> anyhow::Result<()> {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("input[name=login]"))
            .await?;
        self.fill("input[name=login]", user).await?;
        self.fill("input[name=password]", user).await?;
        self.find("button[type=submit]").await?.click().await?;
        self.wait_for_text(".account .who", "").await?;
        Ok(())
    }

    /// Whether the page has an element matching `css`.
    pub async fn exists(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// Runs axe-core on the page as it is now and returns every violation of its default rules
    /// (WCAG 2 A and AA, and best practices). Works with the page's own JavaScript off too: the
    /// checker is injected by WebDriver, not by the page.
    pub async fn axe(&self) -> anyhow::Result<Vec<AxeViolation>> {
        // With JavaScript off (Chromium's content setting), a script WebDriver injects still
        // runs and its promises settle, but no timer, `queueMicrotask` or message ever fires,
        // and axe schedules its work with them: they become promise callbacks. Only then: with
        // JavaScript on, the page's own timers must keep working.
        const TIMERS_AS_PROMISES: &str = "(() => { let id = 0; \
            window.setTimeout = (fn, ms, ...args) => { \
              Promise.resolve().then(() => typeof fn === 'function' && fn(...args)); return ++id; }; \
            window.clearTimeout = () => {}; \
            window.queueMicrotask = fn => { Promise.resolve().then(fn); }; \
            window.requestAnimationFrame = fn => window.setTimeout(() => fn(performance.now())); \
          })();";
        let script = format!(
            "{}\n{}\nreturn axe.run(document).then(r => r.violations.map(v => ({{ \
               id: v.id, impact: v.impact, help: v.help, \
               targets: v.nodes.map(n => n.target.join(' ')) }})));",
            if self.javascript == JavaScript::Off {
                TIMERS_AS_PROMISES
            } else {
                ""
            },
            axe_source()?
        );
        let found = self.client.execute(&script, vec![]).await?;
        Ok(serde_json::from_value(found)?)
    }

    /// Console messages at level SEVERE since the last call (errors, failed loads, panics).
    pub async fn console_errors(&self) -> anyhow::Result<Vec<String>> {
        let log = self.client.issue_cmd(BrowserLog).await?;
        Ok(log
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect())
    }

    /// Saves a screenshot under `target/test-screenshots/NAME.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = super::repo_root().join("target/test-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// Runs a test body; when it fails, saves a screenshot named after the test and says where.
    pub async fn check<T>(
        &self,
        name: &str,
        body: impl AsyncFnOnce(&Self) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        match body(self).await {
            Ok(value) => Ok(value),
            Err(error) => {
                let shot = self.screenshot(name).await;
                Err(error.context(format!("screenshot: {shot:?}")))
            }
        }
    }

    /// Ends the WebDriver session and stops chromedriver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        let result = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        result.map_err(Into::into)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's (non-W3C) endpoint for the browser console log.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

fn chromium() -> String {
    std::env::var("PORTAL_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn chromedriver() -> String {
    std::env::var("PORTAL_TEST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}
