//! A real Kubernetes API server for tests: `kube-apiserver` and `etcd`, built from their
//! published Go modules by `tests/kube/build.sh` (or taken from `PORTAL_TEST_KUBE_ASSETS`, the way
//! controller-runtime's envtest takes `KUBEBUILDER_ASSETS`) and started by `tests/kube/start.sh`.
//!
//! One control plane serves all tests of a test binary; each test makes its own client (a client
//! belongs to the runtime it was made on) and its own namespaces. The control plane stops when
//! the test binary exits: its supervisor shell waits on a pipe from this process.
//!
//! Nothing but etcd and kube-apiserver runs: no controller-manager, so the built-in `admin`
//! ClusterRole has no rules and deleted namespaces stay Terminating.

use std::{
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

/// Static tokens the test control plane accepts besides the admin's (`--token-auth-file`).
const PORTAL_TOKEN: &str = "portal-serviceaccount-test-token";
const ALICE_TOKEN: &str = "alice-test-token";
const EXTRA_TOKENS: &str = "portal-serviceaccount-test-token,system:serviceaccount:welkin-portal:welkin-portal,welkin-portal-sa,\"system:serviceaccounts,system:serviceaccounts:welkin-portal,system:authenticated\"
alice-test-token,alice,alice,\"team-a,system:authenticated\"
";

/// A running control plane and an admin kubeconfig for it.
#[derive(Debug)]
pub struct TestCluster {
    /// The folder `start.sh` wrote: `kubeconfig`, `env`, logs, keys.
    pub dir: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    /// A bearer token in group `system:masters`.
    pub admin_token: String,
    _supervisor: Mutex<(Child, ChildStdin)>,
    _tmp: tempfile::TempDir,
}

impl TestCluster {
    /// The control plane shared by this test binary, started on first use.
    pub fn shared() -> &'static TestCluster {
        static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
        CLUSTER.get_or_init(Self::start)
    }

    /// A client with the admin token, on the calling test's runtime.
    pub async fn admin_client(&self) -> kube::Client {
        self.client_with_token(&self.admin_token).await
    }

    /// A client acting as the portal's ServiceAccount (`welkin-portal/welkin-portal`), which has
    /// only what `deploy/rbac.yaml` grants once a test has applied it.
    pub async fn portal_client(&self) -> kube::Client {
        self.client_with_token(PORTAL_TOKEN).await
    }

    /// A client acting as the developer `alice`, in the IdP group `team-a`.
    pub async fn alice_client(&self) -> kube::Client {
        self.client_with_token(ALICE_TOKEN).await
    }

    /// Writes into `dir` a kubeconfig that acts as the portal's ServiceAccount (see
    /// [`TestCluster::portal_client`]), for the portal's `kubeconfig` setting; with `server`,
    /// pointing at that address instead (an API server that does not answer).
    pub fn portal_kubeconfig(&self, dir: &Path, server: Option<&str>) -> PathBuf {
        let admin = std::fs::read_to_string(self.dir.join("kubeconfig"))
            .expect("start.sh wrote a kubeconfig");
        let mut text = admin.replace(&self.admin_token, PORTAL_TOKEN);
        assert_ne!(text, admin, "the admin token is in the kubeconfig");
        if let Some(server) = server {
            text = text.replace(&self.server, server);
        }
        let path = dir.join("portal-kubeconfig");
        std::fs::write(&path, text).expect("write the portal's kubeconfig");
        path
    }

    async fn client_with_token(&self, token: &str) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::read_from(self.dir.join("kubeconfig"))
            .expect("start.sh wrote a kubeconfig");
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("a usable kubeconfig");
        config.auth_info.token = Some(token.to_owned().into());
        kube::Client::try_from(config).expect("a Kubernetes client")
    }

    fn start() -> Self {
        let kube_dir = super::repo_root().join("tests/kube");
        let assets = assets(&kube_dir);
        let tmp = tempfile::Builder::new()
            .prefix("portal-kube-")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().join("cluster");
        std::fs::create_dir_all(&dir).expect("cluster folder");
        let extra_tokens = tmp.path().join("extra-tokens.csv");
        std::fs::write(&extra_tokens, EXTRA_TOKENS).expect("write the extra tokens");
        let mut supervisor = Command::new("/bin/sh")
            .args([
                "-c",
                "\"$0\" --foreground \"$1\" >/dev/null 2>\"$1/start.log\" & pid=$!; \
                 cat >/dev/null; kill -TERM $pid; wait $pid",
            ])
            .arg(kube_dir.join("start.sh"))
            .arg(&dir)
            .env("PORTAL_TEST_KUBE_ASSETS", &assets)
            .env("PORTAL_KUBE_EXTRA_TOKENS", &extra_tokens)
            .stdin(Stdio::piped())
            .spawn()
            .expect("start the test control plane");
        let stdin = supervisor.stdin.take().expect("the supervisor's stdin");
        let env = wait_for_env(&dir);
        let value = |key: &str| {
            env.lines()
                .find_map(|line| line.strip_prefix(&format!("{key}=")).map(str::to_owned))
                .unwrap_or_else(|| panic!("{key} missing from {}/env", dir.display()))
        };
        Self {
            server: value("KUBE_SERVER"),
            admin_token: value("KUBE_TOKEN"),
            dir,
            _supervisor: Mutex::new((supervisor, stdin)),
            _tmp: tmp,
        }
    }
}

/// The folder with `kube-apiserver` and `etcd`: `PORTAL_TEST_KUBE_ASSETS`, or what `build.sh`
/// prints (building them on first use; `.ci/setup.sh` builds them ahead of the tests).
fn assets(kube_dir: &Path) -> PathBuf {
    if let Ok(dir) = std::env::var("PORTAL_TEST_KUBE_ASSETS") {
        return PathBuf::from(dir);
    }
    let output = Command::new(kube_dir.join("build.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run tests/kube/build.sh");
    assert!(output.status.success(), "tests/kube/build.sh failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    PathBuf::from(
        stdout
            .lines()
            .last()
            .expect("build.sh prints the folder")
            .trim(),
    )
}

/// `start.sh` writes `env` once kube-apiserver answers `/readyz`.
fn wait_for_env(dir: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(env) = std::fs::read_to_string(dir.join("env"))
            && env.contains("APISERVER_PID=")
        {
            return env;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("start.log")).unwrap_or_default();
            panic!("the test control plane did not become ready in 180 s:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
