//! A real OPA Gatekeeper for tests: the manager built from its published Go module by
//! `tests/gatekeeper/build.sh` (or taken from `PORTAL_TEST_GATEKEEPER_ASSETS`) and started by
//! `tests/gatekeeper/start.sh` against a [`TestCluster`](super::TestCluster), as that cluster's
//! validating admission webhook (`failurePolicy: Fail`), mutating webhook (`Ignore`) and audit
//! controller.
//!
//! The webhook catches every create and update in the cluster once registered, so a test that
//! starts Gatekeeper should have the control plane to itself: put it in a test binary of its own
//! (a file under `tests/tests/` whose only cluster user it is).

use std::{
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

/// A running Gatekeeper registered as the cluster's validating webhook. Dropping it unregisters
/// the webhook and stops the manager; so does the test binary's exit (its pipe closes).
#[derive(Debug)]
pub struct TestGatekeeper {
    /// The folder `start.sh` wrote: `env`, `webhook.yaml`, certificates, `gatekeeper.log`.
    pub dir: PathBuf,
    /// `https://127.0.0.1:PORT`, the webhook's own address.
    pub url: String,
    /// The supervisor shell and the pipe whose closing stops it (see [`Drop`]).
    supervisor: Child,
    stdin: Option<ChildStdin>,
    _tmp: tempfile::TempDir,
}

impl TestGatekeeper {
    /// Installs Gatekeeper's CRDs into `cluster`, starts the manager (webhook, audit every
    /// `audit_interval_seconds`, status) and registers its webhook; returns once the webhook is
    /// registered. Tries again on a failed start (ports are picked racily).
    pub fn start(cluster: &super::TestCluster, audit_interval_seconds: u32) -> Self {
        let dir = super::repo_root().join("tests/gatekeeper");
        let assets = assets(&dir);
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::start_once(&dir, &assets, cluster, audit_interval_seconds) {
                Ok(gatekeeper) => return gatekeeper,
                Err(log) => failures.push(log),
            }
        }
        panic!(
            "Gatekeeper did not start in three attempts:\n{}",
            failures.join("\n---\n")
        );
    }

    fn start_once(
        gatekeeper_dir: &Path,
        assets: &Path,
        cluster: &super::TestCluster,
        audit_interval_seconds: u32,
    ) -> Result<Self, String> {
        let tmp = tempfile::Builder::new()
            .prefix("portal-gatekeeper-")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().join("gatekeeper");
        std::fs::create_dir_all(&dir).expect("gatekeeper folder");
        // start.sh stays attached (--foreground): closing the pipe makes the supervisor stop it,
        // and its exit trap unregisters the webhook and stops the manager.
        let mut supervisor = Command::new("/bin/sh")
            .args([
                "-c",
                "\"$0\" --foreground --kubeconfig \"$1\" --audit-interval \"$2\" \"$3\" \
                 >/dev/null 2>\"$3/start.log\" & pid=$!; cat >/dev/null; kill -TERM $pid; wait $pid",
            ])
            .arg(gatekeeper_dir.join("start.sh"))
            .arg(cluster.dir.join("kubeconfig"))
            .arg(audit_interval_seconds.to_string())
            .arg(&dir)
            .env("PORTAL_TEST_GATEKEEPER_ASSETS", assets)
            .stdin(Stdio::piped())
            .spawn()
            .expect("start Gatekeeper");
        let stdin = supervisor.stdin.take().expect("the supervisor's stdin");
        let env = match wait_for_env(&dir) {
            Ok(env) => env,
            Err(log) => {
                drop(stdin);
                let _ = supervisor.wait();
                return Err(log);
            }
        };
        let url = env
            .lines()
            .find_map(|line| line.strip_prefix("GATEKEEPER_URL="))
            .unwrap_or_else(|| panic!("GATEKEEPER_URL missing from {}/env", dir.display()))
            .to_owned();
        Ok(Self {
            dir,
            url,
            supervisor,
            stdin: Some(stdin),
            _tmp: tmp,
        })
    }

    /// The manager's log so far, for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("gatekeeper.log")).unwrap_or_default()
    }
}

impl Drop for TestGatekeeper {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.supervisor.wait();
    }
}

/// The folder with `manager` and `crds/`: `PORTAL_TEST_GATEKEEPER_ASSETS`, or what `build.sh`
/// prints (building it on first use: minutes when cold).
fn assets(gatekeeper_dir: &Path) -> PathBuf {
    if let Ok(dir) = std::env::var("PORTAL_TEST_GATEKEEPER_ASSETS") {
        return PathBuf::from(dir);
    }
    let output = Command::new(gatekeeper_dir.join("build.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run tests/gatekeeper/build.sh");
    assert!(output.status.success(), "tests/gatekeeper/build.sh failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    PathBuf::from(
        stdout
            .lines()
            .last()
            .expect("build.sh prints the folder")
            .trim(),
    )
}

/// `start.sh` writes `env` once the webhook is registered; the error is its log.
fn wait_for_env(dir: &Path) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(env) = std::fs::read_to_string(dir.join("env"))
            && env.contains("KUBECONFIG=")
        {
            return Ok(env);
        }
        let log = std::fs::read_to_string(dir.join("start.log")).unwrap_or_default();
        if log.contains("exited during start-up")
            || log.contains("not ready after")
            || log.contains("already in use")
            || log.contains("failed")
        {
            return Err(log);
        }
        if Instant::now() > deadline {
            return Err(format!("not ready in 180 s:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
