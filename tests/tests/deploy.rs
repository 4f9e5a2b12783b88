//! The manifests in `deploy/` are what ships: every document in them is accepted by a real
//! kube-apiserver (a server-side apply, dry run, with strict field validation), so a typo or a
//! wrong field fails here rather than at an operator's `kubectl apply --server-side`.

use portal_tests::{TestCluster, repo_root};

/// Where the API server takes each kind the manifests use, and whether it lives in a namespace.
fn collection(kind: &str, namespace: &str) -> Option<String> {
    Some(match kind {
        "Namespace" => "/api/v1/namespaces".to_owned(),
        "ServiceAccount" => format!("/api/v1/namespaces/{namespace}/serviceaccounts"),
        "Service" => format!("/api/v1/namespaces/{namespace}/services"),
        "Deployment" => format!("/apis/apps/v1/namespaces/{namespace}/deployments"),
        "NetworkPolicy" => {
            format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies")
        }
        "ClusterRole" => "/apis/rbac.authorization.k8s.io/v1/clusterroles".to_owned(),
        "ClusterRoleBinding" => "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings".to_owned(),
        "ValidatingAdmissionPolicy" => {
            "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies".to_owned()
        }
        "ValidatingAdmissionPolicyBinding" => {
            "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings".to_owned()
        }
        _ => return None,
    })
}

/// The value of a top-level `key: value` line (enough for `kind:`) or of `  namespace:`.
fn field(document: &str, prefix: &str) -> Option<String> {
    document
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(|v| v.trim().to_owned())
}

#[tokio::test]
async fn every_shipped_manifest_is_accepted_by_the_api_server() {
    let client = TestCluster::shared().admin_client().await;
    let mut checked = 0;
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("deploy"))
        .expect("deploy/ exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    // The namespace first, for real, so the namespaced documents have somewhere to go.
    let namespace =
        std::fs::read_to_string(repo_root().join("deploy/namespace.yaml")).expect("read");
    let request = http::Request::post("/api/v1/namespaces")
        .header("content-type", "application/yaml")
        .body(namespace.into_bytes())
        .expect("request");
    let _ = client.request_text(request).await; // 409 when an earlier test created it

    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        for document in text.split("\n---\n").filter(|d| d.contains("kind:")) {
            let kind = field(document, "kind:").expect("a kind");
            let namespace = field(document, "  namespace:").unwrap_or_default();
            let name = field(document, "  name:").expect("metadata.name");
            let url = collection(&kind, &namespace).unwrap_or_else(|| {
                panic!("{}: add {kind} to the table in this test", file.display())
            });
            let request = http::Request::patch(format!(
                "{url}/{name}?fieldManager=portal-tests&dryRun=All&fieldValidation=Strict"
            ))
            .header("content-type", "application/apply-patch+yaml")
            .body(document.as_bytes().to_vec())
            .expect("request");
            if let Err(error) = client.request_text(request).await {
                panic!("{} ({kind}) refused: {error}", file.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} documents found in deploy/");
}
