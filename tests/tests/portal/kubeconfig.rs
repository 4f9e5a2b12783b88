//! The kubeconfig download: only for logged-in users, and a file kubectl itself accepts whose
//! exec user runs exactly what Welkin's own user kubeconfig runs: `kubectl oidc-login get-token`
//! with the issuer, the client `kubelogin` and its shared secret, and the scopes `email` and
//! `groups`.

use portal_tests::{TestApp, TestIdp, login::logged_in};
use serde_json::Value;

fn kubectl() -> String {
    std::env::var("PORTAL_TEST_KUBECTL").unwrap_or_else(|_| "kubectl".to_owned())
}

#[tokio::test]
async fn kubectl_accepts_the_downloaded_kubeconfig() {
    let ca = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        ca.path(),
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let ca_path = ca.path().to_owned();
    let app = TestApp::spawn_with_login_and(move |config| {
        config.cluster_name = "welkin-test".into();
        config.cluster_server = Some("https://api.welkin.example:6443".into());
        config.cluster_ca_file = Some(ca_path);
        config.kubectl_client_secret = Some("kubelogin-secret".to_owned().into());
    })
    .await;

    let anonymous = portal_tests::login::http_browser();
    let response = anonymous
        .get(app.url("/kubeconfig/download"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 303, "anonymous users are sent to log in");

    let alice = logged_in(&app, "alice").await;
    let response = alice
        .get(app.url("/kubeconfig/download"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("welkin-test-kubeconfig.yaml")
    );
    let yaml = response.text().await.expect("body");
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &yaml).expect("write");

    let output = std::process::Command::new(kubectl())
        .args(["config", "view", "--raw", "-o", "json", "--kubeconfig"])
        .arg(file.path())
        .output()
        .expect("kubectl runs (PORTAL_TEST_KUBECTL names another one)");
    assert!(
        output.status.success(),
        "kubectl refused it: {}\n{yaml}",
        String::from_utf8_lossy(&output.stderr)
    );
    let config: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(config["current-context"], "welkin-test");
    assert_eq!(
        config["clusters"][0]["cluster"]["server"],
        "https://api.welkin.example:6443"
    );
    assert!(
        config["clusters"][0]["cluster"]["certificate-authority-data"]
            .as_str()
            .is_some_and(|ca| !ca.is_empty())
    );
    let exec = &config["users"][0]["user"]["exec"];
    assert_eq!(exec["command"], "kubectl");
    let args: Vec<&str> = exec["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let issuer = format!("--oidc-issuer-url={}", TestIdp::shared().issuer);
    // As Welkin's `kubectl config set-credentials … --exec-arg=…` writes them, in order.
    assert_eq!(
        args,
        [
            "oidc-login",
            "get-token",
            issuer.as_str(),
            "--oidc-client-id=kubelogin",
            "--oidc-client-secret=kubelogin-secret",
            "--oidc-extra-scope=email",
            "--oidc-extra-scope=groups",
        ]
    );
}

#[tokio::test]
async fn without_a_cluster_there_is_no_download() {
    let app = TestApp::spawn_with_login().await;
    let alice = logged_in(&app, "alice").await;
    let response = alice
        .get(app.url("/kubeconfig/download"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 503);
}
