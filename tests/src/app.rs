//! The portal itself, built in-process on a free port, talking over a real socket.

use server::{config::Config, startup::Application};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// A running portal. Dropping it stops the server.
#[derive(Debug)]
pub struct TestApp {
    pub address: SocketAddr,
    /// Where this portal serves `/metrics`.
    pub metrics_address: Option<SocketAddr>,
    pub http: reqwest::Client,
    /// The SQLite database's folder; outlives a [`TestApp::stop`] for a restart.
    data: tempfile::TempDir,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    /// The portal with the default configuration, a fresh SQLite database and the browser
    /// bundle from `target/site` (built by `.ci/build.sh`).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The portal with login through the shared [`super::TestIdp`]; members of
    /// `platform-admins` are administrators.
    pub async fn spawn_with_login() -> Self {
        Self::build(|_| {}, true).await
    }

    /// Like [`TestApp::spawn`], after `configure` has adjusted the configuration.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::build(configure, false).await
    }

    /// Like [`TestApp::spawn_with`], with login through the shared test identity provider.
    pub async fn spawn_with_login_and(configure: impl FnOnce(&mut Config)) -> Self {
        Self::build(configure, true).await
    }

    /// Like [`TestApp::spawn_with_login`], on the data folder (the SQLite database) of a portal
    /// that [`TestApp::stop`] ended: a restart.
    pub async fn spawn_with_login_in(data: tempfile::TempDir) -> Self {
        Self::build_in(data, |_| {}, true).await
    }

    /// Stops the portal as its process would be stopped (in-flight requests finish, the
    /// database is closed) and returns its data folder.
    pub async fn stop(self) -> tempfile::TempDir {
        let _ = self.stop.send(());
        self.server
            .await
            .expect("the server task ends")
            .expect("the portal stops cleanly");
        self.data
    }

    async fn build(configure: impl FnOnce(&mut Config), login: bool) -> Self {
        let data = tempfile::tempdir().expect("temporary folder");
        Self::build_in(data, configure, login).await
    }

    async fn build_in(
        data: tempfile::TempDir,
        configure: impl FnOnce(&mut Config),
        login: bool,
    ) -> Self {
        // The public URL must be the real one: login redirects and the Origin check use it.
        let port = super::free_port();
        let mut config = Config {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], port)),
            public_url: format!("http://127.0.0.1:{port}"),
            database_url: format!("sqlite://{}/portal.db", data.path().display()).into(),
            site_root: super::repo_root().join("target/site"),
            // Tests stop portals all the time; the drain is for load balancers, and tested
            // on its own.
            shutdown_drain_seconds: 0,
            // Many portals run in one process: each picks a free metrics port.
            metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            ..Config::default()
        };
        if login {
            config.oidc_issuer = Some(super::TestIdp::shared().issuer.clone());
            config.oidc_client_secret = Some("portal-secret".to_owned().into());
            config.admin_groups = vec!["platform-admins".into()];
        }
        configure(&mut config);
        let application = Application::build(config).await.expect("the portal starts");
        let address = application.address();
        let metrics_address = application.metrics_address();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(application.run_until_stopped(async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            address,
            metrics_address,
            http,
            data,
            stop,
            server,
        }
    }

    /// The SQLite database file (the default database of a test portal).
    pub fn database_file(&self) -> std::path::PathBuf {
        self.data.path().join("portal.db")
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
