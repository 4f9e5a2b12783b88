//! A real OPA Gatekeeper (built from its Go module by `tests/gatekeeper/build.sh`) as the
//! validating admission webhook of the test control plane: what a developer sees when a
//! constraint refuses or warns about their workload. This binary's control plane is Gatekeeper's
//! alone (its webhook, `failurePolicy: Fail`, sees every create).

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use portal_tests::{TestCluster, TestGatekeeper, helm};
use std::time::{Duration, Instant};

const TEMPLATES: &str = include_str!("../gatekeeper/examples/templates.yaml");
const CONSTRAINTS: &str = include_str!("../gatekeeper/examples/constraints.yaml");
const NAMESPACE: &str = "gatekeeper-demo";

fn pod(name: &str, image: &str, requests: bool) -> serde_json::Value {
    let mut container = serde_json::json!({ "name": "app", "image": image });
    if requests {
        container["resources"] =
            serde_json::json!({ "requests": { "cpu": "10m", "memory": "16Mi" } });
    }
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": NAMESPACE },
        "spec": { "containers": [container] }
    })
}

/// Creates `object` (a Pod) as `client` and returns the HTTP status and the `Warning` headers
/// of the answer: kube's typed calls drop the warnings, the raw request keeps them.
async fn create_pod(
    client: &kube::Client,
    object: &serde_json::Value,
    dry_run: bool,
) -> (http::StatusCode, Vec<String>, String) {
    let query = if dry_run { "?dryRun=All" } else { "" };
    let request = http::Request::post(format!("/api/v1/namespaces/{NAMESPACE}/pods{query}"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(object).expect("JSON").into())
        .expect("request");
    let response = client.send(request).await.expect("the API server answers");
    let status = response.status();
    let warnings = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|value| value.to_str().unwrap_or_default().to_owned())
        .collect();
    let body = response
        .into_body()
        .collect_bytes()
        .await
        .unwrap_or_default();
    (
        status,
        warnings,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// Server-side applies one document to `path` (constraint kinds' plurals are their lowercased
/// kind, which the chart helper's pluraliser does not know).
async fn apply_at(client: &kube::Client, path: &str, yaml: &str) -> Result<(), String> {
    let request = http::Request::patch(format!("{path}?fieldManager=portal-tests&force=true"))
        .header("content-type", "application/apply-patch+yaml")
        .body(yaml.as_bytes().to_vec())
        .expect("request");
    client
        .request_text(request)
        .await
        .map(|_| ())
        .map_err(|error| error.to_string())
}

/// Panics once 90 s have passed since `start`, with what was awaited and Gatekeeper's log.
async fn not_yet(start: Instant, what: &str, gatekeeper: &TestGatekeeper) {
    assert!(
        start.elapsed() < Duration::from_secs(90),
        "{what} within 90 s; Gatekeeper's log:\n{}",
        gatekeeper.log()
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
}

#[tokio::test]
async fn gatekeeper_denies_and_warns_on_a_real_create_and_audits_what_was_there() {
    let cluster = TestCluster::shared();
    let gatekeeper = TestGatekeeper::start(cluster, 2);
    let admin = cluster.admin_client().await;

    // A namespace, and a Pod without requests from before any constraint, for the audit.
    let namespace = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n");
    helm::apply(&admin, &helm::documents(&namespace)[0], false)
        .await
        .expect("create the namespace");
    let (status, _, body) = create_pod(&admin, &pod("old", "nginx:1.27", false), false).await;
    assert_eq!(status, http::StatusCode::CREATED, "{body}");

    for template in helm::documents(TEMPLATES) {
        helm::apply(&admin, &template, false)
            .await
            .unwrap_or_else(|error| panic!("apply {}: {error}", template.name));
    }
    // Gatekeeper creates each constraint kind's CRD from its template: apply until it exists.
    for constraint in helm::documents(CONSTRAINTS) {
        let path = format!(
            "/apis/constraints.gatekeeper.sh/v1beta1/{}/{}",
            constraint.kind.to_ascii_lowercase(),
            constraint.name
        );
        let start = Instant::now();
        while let Err(error) = apply_at(&admin, &path, &constraint.yaml).await {
            not_yet(
                start,
                &format!("{} applied ({error})", constraint.name),
                &gatekeeper,
            )
            .await;
        }
    }

    // Deny: a Pod without requests is refused, with Gatekeeper's message, once in force.
    let bad = pod("no-requests", "nginx:1.27", false);
    let start = Instant::now();
    let refusal = loop {
        let (status, _, body) = create_pod(&admin, &bad, true).await;
        if status == http::StatusCode::FORBIDDEN {
            break body;
        }
        not_yet(start, "the deny constraint in force", &gatekeeper).await;
    };
    let pods = Api::<Pod>::namespaced(admin.clone(), NAMESPACE);
    let typed: Pod = serde_json::from_value(bad).expect("a Pod");
    let error = pods
        .create(&PostParams::default(), &typed)
        .await
        .expect_err("a Pod without requests is refused");
    let kube::Error::Api(status) = error else {
        panic!("not a refusal: {error}");
    };
    assert_eq!(status.code, 403, "{status:?}");
    assert_eq!(
        status.message,
        "admission webhook \"validation.gatekeeper.sh\" denied the request: \
         [containers-need-requests] container <app> has no CPU request (resources.requests.cpu)\n\
         [containers-need-requests] container <app> has no memory request (resources.requests.memory)",
        "{refusal}"
    );

    // Admitted: the same Pod with requests and a pinned tag, without a warning.
    let (status, warnings, body) =
        create_pod(&admin, &pod("good", "nginx:1.27", true), false).await;
    assert_eq!(status, http::StatusCode::CREATED, "{body}");
    assert!(warnings.is_empty(), "{warnings:?}");

    // Warn: `:latest` is admitted with Gatekeeper's warning.
    let latest = pod("latest", "nginx:latest", true);
    let start = Instant::now();
    while create_pod(&admin, &latest, true).await.1.is_empty() {
        not_yet(start, "the warn constraint in force", &gatekeeper).await;
    }
    let (status, warnings, body) = create_pod(&admin, &latest, false).await;
    assert_eq!(status, http::StatusCode::CREATED, "{body}");
    assert_eq!(
        warnings,
        [
            "299 - \"[no-latest-tag] container <app> uses the tag latest: <nginx:latest>; pin a version\""
        ],
    );

    // Audit: the Pod from before the constraint is listed in its status.
    let constraint =
        "/apis/constraints.gatekeeper.sh/v1beta1/k8srequiredrequests/containers-need-requests";
    let start = Instant::now();
    let seen: serde_json::Value = loop {
        let request = http::Request::get(constraint)
            .body(Vec::new())
            .expect("request");
        let text = admin.request_text(request).await.unwrap_or_default();
        let object: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        // An audit run may have counted before the constraint was in force: wait for the count.
        if object["status"]["totalViolations"] == 2 {
            break object;
        }
        let what = format!("totalViolations 2 (status {:#})", object["status"]);
        not_yet(start, &what, &gatekeeper).await;
    };
    let status = &seen["status"];
    let violations = status["violations"].as_array().expect("violations listed");
    assert!(
        violations.iter().all(|violation| violation["name"] == "old"
            && violation["namespace"] == NAMESPACE
            && violation["kind"] == "Pod"
            && violation["enforcementAction"] == "deny"),
        "{status:#}"
    );
    drop(gatekeeper);
}
