//! The test harness: starts the real things the portal's tests need and gives tests short
//! handles to them.
//!
//! - [`TestApp::spawn`]: the whole portal on a free port with a fresh SQLite file;
//! - [`TestDatabase`]: a fresh SQLite file or a fresh PostgreSQL database on a throwaway server
//!   that the harness starts itself (or on the server `PORTAL_TEST_POSTGRES_URL` names);
//! - [`TestCluster`]: a real `kube-apiserver` + `etcd` (built from their Go modules by
//!   `tests/kube/build.sh`), shared by the tests of one binary;
//! - [`TestGatekeeper`]: a real OPA Gatekeeper (built from its Go module by
//!   `tests/gatekeeper/build.sh`) as a cluster's validating webhook and audit controller;
//! - [`TestIdp`]: a real OpenID Provider (`tests/idp`, the npm package oidc-provider) with the
//!   users alice (team-a), bob (team-b), carol (both) and root (platform-admins);
//! - [`Browser`]: headless Chromium driven over WebDriver, with JavaScript on or off.

mod app;
mod browser;
mod fake_op;
mod gatekeeper;
/// The Helm chart: rendering it and applying what it renders.
pub mod helm;
mod idp;
mod kube;
/// What kubelogin does with a downloaded kubeconfig, for the whole-loop tests.
pub mod kubelogin;
/// Logging in over HTTP through the test provider.
pub mod login;
mod metrics;
mod postgres;
mod proxy;
mod tls;

pub use app::TestApp;
pub use browser::{AxeViolation, Browser, JavaScript, Scheme};
pub use fake_op::{FakeOp, FakeToken};
pub use gatekeeper::TestGatekeeper;
pub use idp::TestIdp;
pub use kube::{TestCluster, dry_run_deployment};
pub use metrics::Metrics;
pub use postgres::TestDatabase;
pub use proxy::TcpProxy;
pub use tls::TestCa;

use std::path::PathBuf;

/// Declares each listed `async fn CASE(db: TestDatabase)` of the calling file as two tests,
/// `sqlite::CASE` on a fresh SQLite file and `postgres::CASE` on a fresh PostgreSQL database.
#[macro_export]
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $case() {
                super::$case($crate::TestDatabase::sqlite()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $case() {
                super::$case($crate::TestDatabase::postgres().await).await;
            })*
        }
    };
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A free TCP port on loopback (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("the kernel hands out a free loopback port")
}

/// The name of the browser bundle in `target/site` (`portal-<hash>`; its files are
/// `/pkg/NAME.js`, `/pkg/NAME_bg.wasm` and `/pkg/NAME.css`), as `.ci/build.sh` wrote it.
pub fn bundle_name() -> String {
    let file = repo_root().join("target/site/bundle-name.txt");
    std::fs::read_to_string(&file)
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|error| panic!("run .ci/build.sh first: {}: {error}", file.display()))
}

/// The bundle a page loads: the `portal-<hash>` of its `/pkg/portal-<hash>.js`.
pub fn bundle_of(html: &str) -> Option<String> {
    html.match_indices("/pkg/portal-").find_map(|(at, _)| {
        let start = at + "/pkg/".len();
        let name: String = html[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        html[start + name.len()..]
            .starts_with(".js")
            .then_some(name)
    })
}
