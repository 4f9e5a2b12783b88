//! The portal itself, built in-process on a free port, talking over a real socket.

use server::{config::Config, startup::Application};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// A running portal. Dropping it stops the server.
#[derive(Debug)]
pub struct TestApp {
    pub address: SocketAddr,
    pub http: reqwest::Client,
    _data: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    /// The portal with the default configuration, a fresh SQLite database and the browser
    /// bundle from `target/site` (built by `.ci/build.sh`).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], after `configure` has adjusted the configuration.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().expect("temporary folder");
        let mut config = Config {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}/portal.db", data.path().display()).into(),
            site_root: super::repo_root().join("target/site"),
            ..Config::default()
        };
        configure(&mut config);
        let application = Application::build(config).await.expect("the portal starts");
        let address = application.address();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(application.run_until_stopped(async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            address,
            http,
            _data: data,
            _stop: stop,
        }
    }

    /// The absolute URL of `path` on this portal.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("the portal answers")
    }
}
