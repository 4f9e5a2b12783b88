//! The portal's Helm chart (`deploy/chart/`) for tests: `helm`, built from its Go module by
//! `tests/helm/build.sh` (or named by `PORTAL_TEST_HELM`), renders it, and the documents it
//! renders are applied to the test API server by server-side apply with strict field validation.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
};

/// The `helm` binary: `PORTAL_TEST_HELM`, or the one `tests/helm/build.sh` builds (once per
/// machine; `.ci/setup.sh` builds it ahead of the tests) and prints the folder of.
pub fn helm_binary() -> &'static Path {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| {
        if let Ok(path) = std::env::var("PORTAL_TEST_HELM") {
            return PathBuf::from(path);
        }
        let folder = last_line_of(&super::repo_root().join("tests/helm/build.sh"));
        PathBuf::from(folder).join("helm")
    })
}

/// The folder of the Prometheus Operator CRDs (ServiceMonitor, PrometheusRule) that
/// `tests/helm/crds.sh` takes from the operator's Go module.
pub fn prometheus_operator_crds() -> &'static Path {
    static CRDS: OnceLock<PathBuf> = OnceLock::new();
    CRDS.get_or_init(|| PathBuf::from(last_line_of(&super::repo_root().join("tests/helm/crds.sh"))))
}

fn last_line_of(script: &Path) -> String {
    let output = Command::new(script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|error| panic!("run {}: {error}", script.display()));
    assert!(
        output.status.success(),
        "{} failed (run .ci/setup.sh once)",
        script.display()
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_else(|| panic!("{} printed nothing", script.display()))
        .trim()
        .to_owned()
}

/// The chart's folder.
pub fn chart_dir() -> PathBuf {
    super::repo_root().join("deploy/chart")
}

/// Runs `helm ARGS` and returns stdout, or stderr when helm fails.
pub fn helm(args: &[&str]) -> Result<String, String> {
    let output = Command::new(helm_binary())
        .args(args)
        // Nothing of the operator's own helm setup (repositories, plugins) leaks in.
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("portal-tests-helm/cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("portal-tests-helm/config"),
        )
        .env(
            "HELM_DATA_HOME",
            std::env::temp_dir().join("portal-tests-helm/data"),
        )
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "run {}: {error} (tests/helm/build.sh builds it)",
                helm_binary().display()
            )
        });
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// `helm template RELEASE deploy/chart --namespace NAMESPACE` with `values` files (paths relative
/// to the chart) and `--set` pairs, plus any `extra` arguments (`--show-only …`).
pub fn render(
    release: &str,
    namespace: &str,
    values: &[&str],
    set: &[&str],
    extra: &[&str],
) -> Result<String, String> {
    let chart = chart_dir();
    let mut args = vec![
        "template".to_owned(),
        release.to_owned(),
        chart.display().to_string(),
        "--namespace".to_owned(),
        namespace.to_owned(),
    ];
    for file in values {
        args.push("--values".to_owned());
        args.push(chart.join(file).display().to_string());
    }
    for pair in set {
        args.push("--set".to_owned());
        args.push((*pair).to_owned());
    }
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    helm(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// One rendered document.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `metadata.namespace`, for namespaced kinds.
    pub namespace: Option<String>,
    /// The document as helm rendered it.
    pub yaml: String,
}

impl Manifest {
    /// The API server's path for this object (its collection, then its name).
    pub fn path(&self) -> String {
        let base = match self.api_version.split_once('/') {
            Some((group, version)) => format!("/apis/{group}/{version}"),
            None => format!("/api/{}", self.api_version),
        };
        let kind = self.kind.to_ascii_lowercase();
        let plural = if let Some(stem) = kind.strip_suffix('y') {
            format!("{stem}ies")
        } else if kind.ends_with('s') {
            format!("{kind}es")
        } else {
            format!("{kind}s")
        };
        match &self.namespace {
            Some(namespace) => format!("{base}/namespaces/{namespace}/{plural}/{}", self.name),
            None => format!("{base}/{plural}/{}", self.name),
        }
    }
}

/// The documents of a `helm template` output (or of any block-style YAML stream of objects):
/// each one's `apiVersion`, `kind` and the `name` and `namespace` directly under `metadata`.
pub fn documents(rendered: &str) -> Vec<Manifest> {
    let mut manifests = Vec::new();
    for document in rendered.split("\n---").map(|d| d.trim_start_matches('\n')) {
        let top = |key: &str| {
            document
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .map(|value| value.trim().trim_matches('"').to_owned())
        };
        let Some(kind) = top("kind:") else { continue };
        let mut in_metadata = false;
        let (mut name, mut namespace) = (None, None);
        for line in document.lines() {
            if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
                in_metadata = line.trim_end() == "metadata:";
                continue;
            }
            if in_metadata {
                if let Some(value) = line.strip_prefix("  name:") {
                    name = Some(value.trim().trim_matches('"').to_owned());
                } else if let Some(value) = line.strip_prefix("  namespace:") {
                    namespace = Some(value.trim().trim_matches('"').to_owned());
                }
            }
        }
        manifests.push(Manifest {
            api_version: top("apiVersion:").expect("every document has an apiVersion"),
            name: name.unwrap_or_else(|| panic!("a {kind} without metadata.name")),
            kind,
            namespace,
            yaml: document.to_owned(),
        });
    }
    manifests
}

/// Applies `manifest` by server-side apply (field manager `portal-tests`, conflicts forced) with
/// strict field validation, for real or as a dry run, and returns the object the API server
/// answers with (defaulted, as stored), or its refusal.
pub async fn apply(
    client: &kube::Client,
    manifest: &Manifest,
    dry_run: bool,
) -> Result<serde_json::Value, String> {
    let dry_run = if dry_run { "&dryRun=All" } else { "" };
    let request = http::Request::patch(format!(
        "{}?fieldManager=portal-tests&force=true&fieldValidation=Strict{dry_run}",
        manifest.path()
    ))
    .header("content-type", "application/apply-patch+yaml")
    .body(manifest.yaml.as_bytes().to_vec())
    .expect("request");
    let text = client
        .request_text(request)
        .await
        .map_err(|error| format!("{} {}: {error}", manifest.kind, manifest.name))?;
    serde_json::from_str(&text).map_err(|error| format!("not JSON ({error}): {text}"))
}
