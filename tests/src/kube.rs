//! A real Kubernetes API server for tests: `kube-apiserver` and `etcd`, built from their
//! published Go modules by `tests/kube/build.sh` (or taken from `PORTAL_TEST_KUBE_ASSETS`, the way
//! controller-runtime's envtest takes `KUBEBUILDER_ASSETS`) and started by `tests/kube/start.sh`.
//!
//! One control plane serves all tests of a test binary; each test makes its own client (a client
//! belongs to the runtime it was made on) and its own namespaces. The control plane stops when
//! the test binary exits: its supervisor shell waits on a pipe from this process, then removes
//! the cluster's folder.
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
///
/// The shared one stops when the test binary exits (its pipe closes with the process); one a
/// test started for itself stops when dropped, before its folder goes (the supervisor needs the
/// pid files in it).
#[derive(Debug)]
pub struct TestCluster {
    /// The folder `start.sh` wrote: `kubeconfig`, `env`, logs, keys.
    pub dir: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    /// A bearer token in group `system:masters`.
    pub admin_token: String,
    /// The supervisor shell and the pipe whose closing stops it (see [`Drop`]).
    supervisor: Mutex<(Child, Option<ChildStdin>)>,
    _tmp: tempfile::TempDir,
}

impl TestCluster {
    /// The control plane shared by this test binary, started on first use.
    pub fn shared() -> &'static TestCluster {
        static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
        CLUSTER.get_or_init(|| Self::start(&[]))
    }

    /// A control plane of the calling test's own that also trusts ID tokens of `issuer` for
    /// the client `kubelogin`, exactly as a Welkin cluster is configured: username from the
    /// `email` claim, groups from `groups`, both with `prefix` (empty: none). It stops when
    /// dropped.
    pub fn with_oidc(issuer: &str, ca: &super::TestCa, prefix: &str) -> Self {
        let ca_file = ca.ca_cert.display().to_string();
        Self::start(&[
            ("PORTAL_TEST_KUBE_OIDC_ISSUER", issuer),
            ("PORTAL_TEST_KUBE_OIDC_CA_FILE", &ca_file),
            ("PORTAL_TEST_KUBE_OIDC_CLIENT_ID", "kubelogin"),
            ("PORTAL_TEST_KUBE_OIDC_PREFIX", prefix),
        ])
    }

    /// A control plane kept in `dir`, as the local run command keeps its own in `data/cluster`:
    /// `start.sh --durable DIR`, so a second start on the same folder brings back the same
    /// cluster (its objects, keys and ports). It stops when dropped and leaves the folder.
    pub fn kept_in(dir: &Path) -> Self {
        Self::start_in(&[], Some(dir))
    }

    /// A client with the admin token, on the calling test's runtime.
    pub async fn admin_client(&self) -> kube::Client {
        self.client_with_token(&self.admin_token).await
    }

    /// A client acting as the portal's ServiceAccount (`welkin-portal/welkin-portal`), which has
    /// only what the chart's RBAC grants once a test has installed it (`install_portal_rbac`).
    pub async fn portal_client(&self) -> kube::Client {
        self.client_with_token(PORTAL_TOKEN).await
    }

    /// A client acting as the developer `alice`, in the IdP group `team-a`.
    pub async fn alice_client(&self) -> kube::Client {
        self.client_with_token(ALICE_TOKEN).await
    }

    /// A client acting as `user` in `groups`, through the admin's impersonation (as
    /// `kubectl --as … --as-group …`): how the API server treats a developer whose ID token
    /// names them so, with whatever prefix the cluster adds.
    pub async fn impersonating(&self, user: &str, groups: &[&str]) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::read_from(self.dir.join("kubeconfig"))
            .expect("start.sh wrote a kubeconfig");
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("a usable kubeconfig");
        config.auth_info.token = Some(self.admin_token.clone().into());
        config.auth_info.impersonate = Some(user.to_owned());
        config.auth_info.impersonate_groups =
            Some(groups.iter().map(|group| (*group).to_owned()).collect());
        kube::Client::try_from(config).expect("a Kubernetes client")
    }

    /// Installs what the chart (`deploy/chart/`) ships for the portal's own access, as the
    /// cluster admin: the release's namespace (`welkin-portal`, Pod Security `restricted`, as the
    /// chart's README has the operator make it), and the ServiceAccount, ClusterRoles,
    /// ClusterRoleBinding and admission policy that `helm template` renders for a release
    /// `welkin-portal` there. Safe to call from every test.
    pub async fn install_portal_rbac(&self) {
        let admin = self.admin_client().await;
        let cluster_admin =
            std::fs::read_to_string(super::repo_root().join("tests/kube/admin-clusterrole.yaml"))
                .expect("read tests/kube/admin-clusterrole.yaml");
        let rendered = super::helm::render(
            "welkin-portal",
            "welkin-portal",
            &["ci/minimal-values.yaml"],
            &[],
            &[
                "--show-only",
                "templates/rbac.yaml",
                "--show-only",
                "templates/admission-policy.yaml",
            ],
        )
        .unwrap_or_else(|error| panic!("helm template deploy/chart: {error}"));
        let namespace = r"apiVersion: v1
kind: Namespace
metadata:
  name: welkin-portal
  labels:
    pod-security.kubernetes.io/enforce: restricted
";
        let mut manifests = super::helm::documents(&cluster_admin);
        manifests.extend(super::helm::documents(namespace));
        let rbac = super::helm::documents(&rendered);
        for kind in [
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
        ] {
            assert!(
                rbac.iter().any(|manifest| manifest.kind == kind),
                "the chart renders no {kind}"
            );
        }
        manifests.extend(rbac);
        for manifest in &manifests {
            super::helm::apply(&admin, manifest, false)
                .await
                .unwrap_or_else(|error| {
                    panic!("apply {} {}: {error}", manifest.kind, manifest.name)
                });
        }
        self.wait_for_the_admission_policy().await;
    }

    /// The API server enforces a new ValidatingAdmissionPolicy only once it has compiled it, a
    /// moment after it is stored: waits (up to 20 s) until a dry-run write that breaks the policy
    /// is refused.
    async fn wait_for_the_admission_policy(&self) {
        let portal = self.portal_client().await;
        let bare: k8s_openapi::api::core::v1::Namespace =
            serde_json::from_value(serde_json::json!({ "metadata": { "name": "policy-probe" } }))
                .expect("a namespace");
        let dry_run = kube::api::PostParams {
            dry_run: true,
            ..Default::default()
        };
        let namespaces = kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(portal);
        for _ in 0..200 {
            match namespaces.create(&dry_run, &bare).await {
                Err(kube::Error::Api(status))
                    if status.message.contains("welkin-portal-bounds") =>
                {
                    return;
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        panic!("the admission policy welkin-portal-bounds never came into force");
    }

    /// A kubeconfig file that acts as the portal's ServiceAccount (only the RBAC the chart
    /// ships), pointing at `server` (the API server itself, or a proxy in front of it).
    pub fn portal_kubeconfig(&self, server: &str) -> PathBuf {
        let admin =
            std::fs::read_to_string(self.dir.join("kubeconfig")).expect("start.sh wrote it");
        let text = admin
            .lines()
            .map(|line| {
                let trimmed = line.trim_start();
                let indent = &line[..line.len() - trimmed.len()];
                if trimmed.starts_with("server:") {
                    format!("{indent}server: {server}")
                } else if trimmed.starts_with("token:") {
                    format!("{indent}token: {PORTAL_TOKEN}")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains(PORTAL_TOKEN),
            "the admin kubeconfig has a token line"
        );
        let path = self.dir.join(format!(
            "portal-kubeconfig-{}",
            uuid::Uuid::new_v4().simple()
        ));
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

    /// Starts the control plane, trying again (new ports, new folder) when a start fails: picking
    /// a free port and binding it later is racy while other tests open ports alongside.
    fn start(env: &[(&str, &str)]) -> Self {
        Self::start_in(env, None)
    }

    /// [`Self::start`] in a new temporary folder, or in `kept` (which outlives the cluster).
    fn start_in(env: &[(&str, &str)], kept: Option<&Path>) -> Self {
        let kube_dir = super::repo_root().join("tests/kube");
        let assets = assets(&kube_dir);
        // A folder started before keeps its ports; only a first start may pick new ones.
        let first_start = kept.is_none_or(|dir| !dir.join("ports").exists());
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::start_once(&kube_dir, &assets, env, kept) {
                Ok(cluster) => return cluster,
                Err(log) => failures.push(log),
            }
            if let Some(dir) = kept {
                if !first_start {
                    break;
                }
                let _ = std::fs::remove_file(dir.join("ports"));
            }
        }
        panic!(
            "the test control plane did not start in three attempts:\n{}",
            failures.join("\n---\n")
        );
    }

    fn start_once(
        kube_dir: &Path,
        assets: &Path,
        env: &[(&str, &str)],
        kept: Option<&Path>,
    ) -> Result<Self, String> {
        let tmp = tempfile::Builder::new()
            .prefix("portal-kube-")
            .tempdir()
            .expect("temp dir");
        let dir = kept.map_or_else(|| tmp.path().join("cluster"), Path::to_path_buf);
        std::fs::create_dir_all(&dir).expect("cluster folder");
        // `env` is the sign of readiness; a kept folder has one from its previous start.
        let _ = std::fs::remove_file(dir.join("env"));
        let extra_tokens = tmp.path().join("extra-tokens.csv");
        std::fs::write(&extra_tokens, EXTRA_TOKENS).expect("write the extra tokens");
        let mut supervisor = Command::new("/bin/sh")
            .args([
                "-c",
                "\"$0\" --foreground $3 \"$1\" >/dev/null 2>\"$1/start.log\" & pid=$!; \
                 cat >/dev/null; kill -TERM $pid; wait $pid; rm -rf \"$2\"",
            ])
            .arg(kube_dir.join("start.sh"))
            .arg(&dir)
            // The folder lives in a static, which is never dropped: the supervisor removes it
            // (a kept cluster's folder is not in it).
            .arg(tmp.path())
            .arg(if kept.is_some() { "--durable" } else { "" })
            .env("PORTAL_TEST_KUBE_ASSETS", assets)
            .env("PORTAL_TEST_KUBE_EXTRA_TOKENS", &extra_tokens)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .spawn()
            .expect("start the test control plane");
        let stdin = supervisor.stdin.take().expect("the supervisor's stdin");
        let env = match wait_for_env(&dir) {
            Ok(env) => env,
            Err(log) => {
                // Closing its stdin stops the supervisor and whatever start.sh left running.
                drop(stdin);
                let _ = supervisor.wait();
                return Err(log);
            }
        };
        let value = |key: &str| {
            env.lines()
                .find_map(|line| line.strip_prefix(&format!("{key}=")).map(str::to_owned))
                .unwrap_or_else(|| panic!("{key} missing from {}/env", dir.display()))
        };
        Ok(Self {
            server: value("KUBE_SERVER"),
            admin_token: value("KUBE_TOKEN"),
            dir,
            supervisor: Mutex::new((supervisor, Some(stdin))),
            _tmp: tmp,
        })
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

/// `start.sh` writes `env` once kube-apiserver answers `/readyz`; the error is its log.
fn wait_for_env(dir: &Path) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(env) = std::fs::read_to_string(dir.join("env"))
            && env.contains("APISERVER_PID=")
        {
            return Ok(env);
        }
        let log = std::fs::read_to_string(dir.join("start.log")).unwrap_or_default();
        // start.sh gave up (a process exited, a port was taken): no point waiting any longer.
        if log.contains("exited during start-up") || log.contains("not ready after") {
            return Err(log);
        }
        if Instant::now() > deadline {
            return Err(format!("not ready in 180 s:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let (supervisor, stdin) = self
            .supervisor
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Closing the pipe tells the supervisor to stop etcd and kube-apiserver; waiting for it
        // keeps the folder with their pid files until they are stopped.
        drop(stdin.take());
        let _ = supervisor.wait();
    }
}

/// A Deployment that passes Pod Security `restricted`, created in `namespace` with a server-side
/// dry run as `client`: whether that user may deploy there (no kubelet runs).
pub async fn dry_run_deployment(client: &kube::Client, namespace: &str) -> Result<(), kube::Error> {
    let deployment: k8s_openapi::api::apps::v1::Deployment =
        serde_json::from_value(serde_json::json!({
            "metadata": { "name": "shop" },
            "spec": {
                "selector": { "matchLabels": { "app": "shop" } },
                "template": {
                    "metadata": { "labels": { "app": "shop" } },
                    "spec": {
                        "securityContext": { "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" } },
                        "containers": [{
                            "name": "shop",
                            "image": "harbor.example.com/shop/web:1.0",
                            "securityContext": {
                                "allowPrivilegeEscalation": false,
                                "capabilities": { "drop": ["ALL"] }
                            }
                        }]
                    }
                }
            }
        }))
        .expect("a Deployment");
    kube::Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(client.clone(), namespace)
        .create(
            &kube::api::PostParams {
                dry_run: true,
                ..Default::default()
            },
            &deployment,
        )
        .await
        .map(|_| ())
}
