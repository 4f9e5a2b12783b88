//! The running portal's preflight with the cluster's live rules: the portal watches Gatekeeper's
//! templates and constraints as its own ServiceAccount (with the chart's RBAC), answers the issue's
//! case (a Deployment that runs as root, as nginx does when nothing says otherwise, from Docker
//! Hub, tagged `latest`, without requests) with each refusal and a fixed manifest, and follows a
//! constraint that changes without a restart.

use portal_tests::{TestApp, TestCluster, TestGatekeeper, helm, login};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A namespace as the portal makes them: Pod Security `restricted` for enforce, audit and warn.
pub const NAMESPACE: &str = "preflight-portal";

/// The Deployment, as a developer pastes it.
const ROOT_LATEST_NO_REQUESTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: preflight-portal
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:latest
";

async fn preflight(app: &TestApp, manifests: &str) -> Value {
    let response = app
        .http
        .post(app.url("/api/v1/preflight"))
        .json(&json!({ "manifests": manifests }))
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("a JSON answer")
}

/// The `(id, action, outcome)` of each rule in `findings` that is violated.
fn violated(findings: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = findings
        .as_array()
        .into_iter()
        .flatten()
        .filter(|finding| finding["outcome"] == "violated")
        .map(|finding| {
            (
                finding["id"].as_str().unwrap_or_default().to_owned(),
                finding["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Asks until `done` holds for the answer, for at most 60 s.
async fn answer_until(
    app: &TestApp,
    manifests: &str,
    what: &str,
    gatekeeper: &TestGatekeeper,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let answer = preflight(app, manifests).await;
        if done(&answer) {
            return answer;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} within 60 s; last answer:\n{answer:#}\nGatekeeper's log:\n{}",
            gatekeeper.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A real create of the Deployment `object`: its status and the warnings.
async fn create(
    client: &kube::Client,
    object: &Value,
    dry_run: bool,
) -> (u16, Vec<String>, String) {
    let path = format!(
        "/apis/apps/v1/namespaces/{NAMESPACE}/deployments{}",
        if dry_run { "?dryRun=All" } else { "" }
    );
    let request = http::Request::post(path)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(object).expect("JSON"))
        .expect("request");
    let (status, warnings, body) = super::send(client, request).await;
    (
        status,
        warnings
            .iter()
            .map(|header| super::warning_text(header))
            .collect(),
        body,
    )
}

/// The text of `html` without its tags, as a reader sees it run together.
fn visible(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Server-side apply of the constraint `no-edge` (Gatekeeper's resource name is the kind in
/// lower case, which helm's path guess does not make).
async fn apply_no_edge(admin: &kube::Client, yaml: &str) {
    let request = http::Request::patch(
        "/apis/constraints.gatekeeper.sh/v1beta1/k8sdisallowedtags/no-edge?fieldManager=portal-tests&force=true",
    )
    .header("content-type", "application/apply-patch+yaml")
    .body(yaml.as_bytes().to_vec())
    .expect("request");
    admin
        .request_text(request)
        .await
        .expect("apply the constraint no-edge");
}

/// The lines of Gatekeeper's refusal in an API server's `Status` body.
fn refusal_lines(body: &str) -> Vec<String> {
    let status: Value = serde_json::from_str(body).expect("a Status");
    let message = status["message"].as_str().unwrap_or_default();
    message
        .strip_prefix(super::DENIED)
        .unwrap_or(message)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The first document of `text`, read as the portal reads manifests.
fn value_of(yaml: &str) -> Value {
    let documents = server::preflight::manifests::read(yaml).expect("a manifest");
    documents[0].value.clone()
}

pub async fn answers_with_the_live_rules_and_follows_them(
    cluster: &TestCluster,
    admin: &kube::Client,
    gatekeeper: &TestGatekeeper,
) {
    let namespace = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n  labels:\n    \
         pod-security.kubernetes.io/enforce: restricted\n    \
         pod-security.kubernetes.io/audit: restricted\n    \
         pod-security.kubernetes.io/warn: restricted\n"
    );
    helm::apply(admin, &helm::documents(&namespace)[0], false)
        .await
        .expect("create the namespace");
    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;

    // The portal reads the rules as its ServiceAccount: five constraints of four templates.
    let answer = answer_until(
        &app,
        ROOT_LATEST_NO_REQUESTS,
        "the portal reads the cluster's rules",
        gatekeeper,
        |answer| answer["rules"]["state"] == "current" && answer["rules"]["constraints"] == 5,
    )
    .await;
    assert_eq!(answer["rules"]["templates"], 4, "{answer:#}");
    assert_eq!(answer["verdict"], "refused");
    let deployment = &answer["objects"][0];
    // The four specific answers: registry (warn), tag and requests (deny) on the Deployment
    // itself, and, for its Pods, Pod Security's refusal of root.
    let on_object = violated(&deployment["rules"]);
    for expected in [
        ("gatekeeper/K8sAllowedRepos/trusted-registries", "warn"),
        ("gatekeeper/K8sDisallowedTags/image-tags", "deny"),
        ("gatekeeper/K8sRequiredRequests/resource-requests", "deny"),
    ] {
        assert!(
            on_object.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {on_object:?}"
        );
    }
    let pods_denial = deployment["pods"]["denial"].as_str().unwrap_or_default();
    assert!(
        pods_denial.contains("runAsNonRoot != true"),
        "{deployment:#}"
    );
    let summary = deployment["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(
            "will be refused by the cluster's rules \"image-tags\" and \"resource-requests\""
        ),
        "{summary}"
    );
    assert!(!summary.contains("will be accepted"), "{summary}");

    // The portal's messages are the API server's, word for word.
    let pasted = value_of(ROOT_LATEST_NO_REQUESTS);
    let (status, warnings, body) = create(admin, &pasted, true).await;
    assert_eq!(status, 403, "{body}");
    let refusal = refusal_lines(&body);
    for finding in deployment["rules"].as_array().into_iter().flatten() {
        let messages = finding["messages"].as_array().cloned().unwrap_or_default();
        for message in messages.iter().filter_map(Value::as_str) {
            match finding["action"].as_str() {
                Some("deny") => assert!(
                    refusal.iter().any(|line| line == message),
                    "{message} in {refusal:?}"
                ),
                Some("warn") => assert!(
                    warnings.iter().any(|warning| warning == message),
                    "{message} in {warnings:?}"
                ),
                _ => {}
            }
        }
    }

    // The fix: Pod Security's hardening and requests made; what is left is exactly what the
    // real API server still says to the fixed manifest.
    let fix = &deployment["fix"];
    let changes = fix["changes"].to_string();
    assert!(
        changes.contains("requests cpu 100m and memory 128Mi"),
        "{fix:#}"
    );
    let left: Vec<String> = serde_json::from_value(fix["rulesLeft"].clone()).expect("a list");
    let fixed = value_of(fix["manifest"].as_str().expect("the fixed manifest"));
    let (status, warnings, body) = create(admin, &fixed, true).await;
    assert_eq!(status, 403, "only the tag is left to refuse: {body}");
    let mut real: Vec<String> = warnings;
    real.extend(refusal_lines(&body));
    let (mut left_sorted, mut real_sorted) = (left.clone(), real.clone());
    left_sorted.sort();
    real_sorted.sort();
    assert_eq!(
        left_sorted, real_sorted,
        "what the fix leaves is what the cluster says"
    );
    assert!(
        left.iter().any(|line| line.contains("image-tags")),
        "{left:?}"
    );

    // What a person does with what is left: an image from the registry, with a fixed tag. The
    // portal then accepts it (with the replicas warning), and so does the real API server.
    let mut adopted = fixed.clone();
    adopted["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("harbor.example.com/library/nginx:1.27");
    adopted["spec"]["replicas"] = json!(2);
    let adopted_yaml = serde_json::to_string(&adopted).expect("JSON");
    let answer = preflight(&app, &adopted_yaml).await;
    assert_eq!(answer["verdict"], "accepted", "{answer:#}");
    let (status, warnings, body) = create(admin, &adopted, false).await;
    assert_eq!(
        status, 201,
        "the real API server admits the fixed manifest: {body}"
    );
    assert!(warnings.is_empty(), "{warnings:?}");

    // An object already running that a warn rule flags (one replica) shows on the namespace's
    // access page once Gatekeeper's audit has found it, in the preflight's words.
    let mut single = adopted.clone();
    single["metadata"]["name"] = json!("single");
    single["spec"]["replicas"] = json!(1);
    let (status, warnings, body) = create(admin, &single, false).await;
    assert_eq!(status, 201, "{body}");
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("[minimum-replicas]")),
        "{warnings:?}"
    );
    let root = login::logged_in(&app, "root").await;
    let start = Instant::now();
    let page = loop {
        let response = root
            .get(app.url(&format!("/access/{NAMESPACE}")))
            .send()
            .await
            .expect("the access page answers");
        let html = visible(&response.text().await.expect("HTML"));
        if html.contains("Deployment single breaks minimum-replicas") {
            break html;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the audit's violation on the access page within 90 s; Gatekeeper's log:\n{}",
            gatekeeper.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        page.contains("(K8sMinimumReplicas, warn)"),
        "the action is named"
    );
    assert!(
        !page.contains("Deployment web breaks"),
        "the Deployment that passes every rule is not listed"
    );

    // A constraint that appears, changes and goes away is followed without a restart.
    let live = format!(
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sDisallowedTags\nmetadata:\n  \
         name: no-edge\nspec:\n  enforcementAction: deny\n  match:\n    namespaces: [{NAMESPACE}]\n    \
         kinds:\n    - apiGroups: [apps]\n      kinds: [Deployment]\n  parameters:\n    tags: [edge]\n"
    );
    let mut edge = adopted.clone();
    edge["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("harbor.example.com/library/nginx:edge");
    let edge_yaml = serde_json::to_string(&edge).expect("JSON");
    let rule = |answer: &Value| {
        answer["objects"][0]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|finding| finding["name"] == "no-edge")
            .cloned()
    };
    apply_no_edge(admin, &live).await;
    let answer = answer_until(
        &app,
        &edge_yaml,
        "the new constraint is read",
        gatekeeper,
        |answer| rule(answer).is_some_and(|finding| finding["outcome"] == "violated"),
    )
    .await;
    assert_eq!(answer["verdict"], "refused", "{answer:#}");
    let warn = live.replace("enforcementAction: deny", "enforcementAction: warn");
    apply_no_edge(admin, &warn).await;
    let answer = answer_until(
        &app,
        &edge_yaml,
        "the change is read",
        gatekeeper,
        |answer| rule(answer).is_some_and(|finding| finding["action"] == "warn"),
    )
    .await;
    assert_eq!(answer["verdict"], "warned", "{answer:#}");
    let delete =
        http::Request::delete("/apis/constraints.gatekeeper.sh/v1beta1/k8sdisallowedtags/no-edge")
            .body(Vec::new())
            .expect("request");
    admin
        .request_text(delete)
        .await
        .expect("delete the constraint");
    answer_until(
        &app,
        &edge_yaml,
        "the deletion is read",
        gatekeeper,
        |answer| rule(answer).is_none(),
    )
    .await;

    // Without JavaScript: the form post renders the same answer, every rule by name.
    let response = app
        .http
        .post(app.url("/preflight"))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(&[("manifests", ROOT_LATEST_NO_REQUESTS)])
        .send()
        .await
        .expect("the page answers");
    assert_eq!(response.status().as_u16(), 200);
    // Without the markers hydration puts between text nodes.
    let html = response.text().await.expect("HTML").replace("<!>", "");
    for words in [
        "Refused by image-tags",
        "Refused by resource-requests",
        "Warned by trusted-registries",
        "Checked against this cluster",
        "still refuse or warn until you change it yourself",
    ] {
        assert!(html.contains(words), "{words:?} in the page");
    }
    app.stop().await;
}
