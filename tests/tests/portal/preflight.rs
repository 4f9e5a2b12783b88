//! `POST /api/v1/preflight`: a developer's manifests checked against Pod Security before they
//! are applied, through the running portal, including every kind of bad input it refuses.

use portal_tests::TestApp;
use serde_json::{Value, json};

async fn post(app: &TestApp, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/api/v1/preflight"))
        .json(body)
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// What a developer pastes: a Service and a Deployment that was never hardened.
const SHOP: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
    spec:
      containers:
      - name: web
        image: harbor.example.com/shop/web:1.0
";

#[tokio::test]
async fn a_deployment_whose_pods_would_be_refused_is_reported_with_its_fix() {
    let app = TestApp::spawn().await;
    let (status, answer) = post(&app, &json!({ "manifests": SHOP })).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["verdict"], "refused", "{answer:#}");
    // Without labels: a namespace as the portal creates it, restricted everywhere.
    assert_eq!(
        answer["podSecurity"]["enforce"]["level"], "restricted",
        "{answer:#}"
    );

    let objects = answer["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 2, "{answer:#}");
    assert_eq!(objects[0]["kind"], "Service");
    assert_eq!(objects[0]["verdict"], "not-checked");
    let deployment = &objects[1];
    assert_eq!(
        (deployment["document"].as_u64(), deployment["line"].as_u64()),
        (Some(2), Some(9)),
        "{deployment:#}"
    );
    assert_eq!(deployment["verdict"], "refused");
    assert_eq!(
        deployment["object"]["denial"],
        Value::Null,
        "the Deployment itself is accepted"
    );
    let denial = deployment["pods"]["denial"].as_str().unwrap_or_default();
    assert!(
        denial.contains("violates PodSecurity \"restricted:latest\""),
        "{denial}"
    );

    // The fixed manifest, sent back, passes.
    let fixed = deployment["fix"]["manifest"]
        .as_str()
        .expect("a fixed manifest");
    assert!(
        deployment["fix"]["needsHuman"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let (status, again) = post(&app, &json!({ "manifests": fixed })).await;
    assert_eq!(status, 200, "{again:#}");
    assert_eq!(again["verdict"], "accepted", "{fixed}\n{again:#}");

    // What is not checked is said, never passed.
    let not_checked = answer["notChecked"][0].as_str().unwrap_or_default();
    assert!(not_checked.contains("Gatekeeper"), "{answer:#}");
}

#[tokio::test]
async fn the_namespaces_own_labels_decide() {
    let app = TestApp::spawn().await;
    let warn_only = json!({
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
    });
    let (status, answer) = post(
        &app,
        &json!({ "manifests": SHOP, "namespaceLabels": warn_only }),
    )
    .await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["verdict"], "warned", "{answer:#}");
    let warnings = answer["objects"][1]["object"]["warnings"][0]
        .as_str()
        .unwrap_or_default();
    assert!(warnings.contains("would violate PodSecurity"), "{answer:#}");

    // No Pod Security labels at all: privileged, nothing to say.
    let (_, answer) = post(&app, &json!({ "manifests": SHOP, "namespaceLabels": {} })).await;
    assert_eq!(answer["verdict"], "accepted", "{answer:#}");
}

#[tokio::test]
async fn json_and_lists_are_read_like_yaml() {
    let app = TestApp::spawn().await;
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [{
            "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "debug" },
            "spec": { "containers": [{ "name": "c", "image": "harbor.example.com/x/y:1",
                       "securityContext": { "privileged": true } }] }
        }]
    });
    let (status, answer) = post(&app, &json!({ "manifests": list.to_string() })).await;
    assert_eq!(status, 200, "{answer:#}");
    let pod = &answer["objects"][0];
    assert_eq!(
        (pod["kind"].as_str(), pod["verdict"].as_str()),
        (Some("Pod"), Some("refused"))
    );
    let humans = pod["fix"]["needsHuman"].as_array().expect("needs a person");
    assert!(
        humans.iter().any(|h| h["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("privileged")),
        "{pod:#}"
    );
}

/// Every kind of bad input gets a 4xx that says what is wrong and where.
#[tokio::test]
async fn bad_input_is_refused_with_the_document_and_line() {
    let app = TestApp::spawn().await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({ "manifests": "kind: Service\n---\nkind: Pod\nmetadata:\n  name: [oops\n" }),
            422,
            "document 2, line",
        ),
        (
            json!({ "manifests": "# nothing\n---\n" }),
            422,
            "no manifest to check",
        ),
        (
            json!({ "manifests": "kind: ConfigMap\n---\n".repeat(201) }),
            422,
            "more than 200 documents",
        ),
        (json!({ "manifests": 7 }), 422, "manifests"),
        (json!({}), 422, "manifests"),
        // A namespace needs a login that may use it; anonymous, it is refused like a missing one.
        (
            json!({ "manifests": "kind: Pod", "namespace": "x" }),
            404,
            "is not one of your namespaces",
        ),
        (
            json!({ "manifests": "kind: Pod", "namespace": 5 }),
            422,
            "namespace",
        ),
        (
            json!({ "manifests": "kind: Pod", "namespace": "x", "namespaceLabels": {} }),
            422,
            "not both",
        ),
        (
            json!({ "manifests": "kind: Pod", "namespaceLabels": { "a": 1 } }),
            422,
            "must be a string (found 1)",
        ),
    ];
    for (body, status, part) in cases {
        let (got, answer) = post(&app, &body).await;
        assert_eq!(got, status, "{body}: {answer:#}");
        assert!(
            answer.to_string().contains(part),
            "{body}: {part:?} not in {answer:#}"
        );
    }

    // A pod spec that does not parse is an answer, not an error: the object is unreadable.
    let bad_spec = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: 5\n";
    let (got, answer) = post(&app, &json!({ "manifests": bad_spec })).await;
    assert_eq!(got, 200, "{answer:#}");
    assert_eq!(answer["objects"][0]["verdict"], "unreadable", "{answer:#}");
    assert!(
        answer["objects"][0]["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("spec.containers")
    );
}

/// Without JavaScript the form posts to the page, which comes back whole with the text kept and
/// the answer in it: each object's verdict, the API server's words and the fixed manifest.
#[tokio::test]
async fn the_page_answers_a_post_without_javascript_and_keeps_the_text() {
    let app = TestApp::spawn().await;
    let page = app.get("/preflight").await.text().await.expect("a body");
    assert!(
        page.contains("<form method=\"post\" action=\"/preflight\""),
        "{page}"
    );
    assert!(page.contains("<textarea id=\"manifests\""), "{page}");
    assert!(
        !page.contains("id=\"preflight-verdict\""),
        "no answer before a post"
    );

    let response = app
        .http
        .post(app.url("/preflight"))
        .header("Origin", app.url("").trim_end_matches('/'))
        .form(&[("manifests", SHOP)])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("a body");
    let main = page.split("<main").nth(1).unwrap_or_default();
    let before_template = main.split("<template").next().unwrap_or_default();
    for part in [
        "id=\"preflight-verdict\"",
        "Refused",
        "Deployment shop",
        "every Pod it creates will be refused",
        "violates PodSecurity",
        "restricted:latest",
        "Document 2, line 9",
        "allowPrivilegeEscalation: false",
        "Download the fixed manifest",
        "Gatekeeper",
    ] {
        assert!(before_template.contains(part), "{part:?} missing:\n{main}");
    }
    // The text is kept in the box, escaped.
    assert!(
        before_template.contains("image: harbor.example.com/shop/web:1.0"),
        "{main}"
    );

    // Text that is not YAML: the document and line, in words, not an error page.
    let response = app
        .http
        .post(app.url("/preflight"))
        .header("Origin", app.url("").trim_end_matches('/'))
        .form(&[("manifests", "kind: Pod\nmetadata:\n  name: [oops\n")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("a body");
    assert!(page.contains("id=\"preflight-error\""), "{page}");
    assert!(page.contains("document 1, line"), "{page}");

    // A post from another site is refused, like every other form's.
    let response = app
        .http
        .post(app.url("/preflight"))
        .header("Origin", "https://evil.example")
        .form(&[("manifests", SHOP)])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 403);

    // More than the portal reads at once: a page that says so, not a half-read answer.
    let huge = format!("{SHOP}# {}\n", "x".repeat(300 * 1024));
    let response = app
        .http
        .post(app.url("/preflight"))
        .header("Origin", app.url("").trim_end_matches('/'))
        .form(&[("manifests", huge.as_str())])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 413);
    let page = response.text().await.expect("a body");
    assert!(page.contains("smaller sets"), "{page}");

    // No field at all: "nothing to check", in words.
    let response = app
        .http
        .post(app.url("/preflight"))
        .header("Origin", app.url("").trim_end_matches('/'))
        .form(&[("other", "x")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("a body");
    assert!(page.contains("no manifest to check"), "{page}");
}

/// Hydrated, the answer follows the text: paste a Deployment and the verdict, its Pods' refusal
/// and the fixed manifest appear without a page load; fix it by hand and the verdict changes.
#[tokio::test]
async fn the_answer_follows_the_text_as_it_is_typed() -> anyhow::Result<()> {
    use portal_tests::{Browser, JavaScript};
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("preflight_live", async |b| {
            b.goto("/preflight").await?;
            b.wait_for_hydration().await?;
            b.fill("#manifests", SHOP).await?;
            b.wait_for_text("#preflight-verdict", "Refused").await?;
            b.wait_for_text("#preflight-answer", "every Pod it creates will be refused")
                .await?;
            b.wait_for_text("#fixed-1", "allowPrivilegeEscalation: false")
                .await?;
            let url = b.client.current_url().await?;
            anyhow::ensure!(url.path() == "/preflight", "no page load: {url}");
            // The answer fits a phone: long field paths wrap, code scrolls in its own box.
            b.client.set_window_size(390, 2000).await?;
            let width = b
                .client
                .execute("return document.documentElement.scrollWidth", vec![])
                .await?;
            let width = width.as_i64().unwrap_or(i64::MAX);
            anyhow::ensure!(
                width <= 390,
                "the answer scrolls sideways at 390 px: {width}"
            );
            b.client.set_window_size(1280, 2000).await?;

            // Only a Service: nothing Pod Security looks at.
            b.fill(
                "#manifests",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n",
            )
            .await?;
            b.wait_for_text("#preflight-verdict", "Accepted").await?;
            let errors = b.console_errors().await?;
            anyhow::ensure!(errors.is_empty(), "{errors:#?}");
            // Broken YAML: the line, in words. (The call answers 422, which the console logs
            // as a failed load; nothing else may appear there.)
            b.fill("#manifests", "kind: Pod\nmetadata:\n  name: [oops\n")
                .await?;
            b.wait_for_text("#preflight-error", "document 1, line")
                .await?;
            let errors = b.console_errors().await?;
            anyhow::ensure!(
                errors
                    .iter()
                    .all(|e| e.contains("preflight/check") && e.contains("422")),
                "{errors:#?}"
            );
            Ok(())
        })
        .await?;
    browser.close().await
}

/// A `kubectl run` line is checked as the Pod it creates: the FAQ's quick `kubectl run nginx`
/// is refused, and the portal's own safe recipe passes its own preflight.
#[tokio::test]
async fn a_kubectl_run_line_is_checked_as_the_pod_it_creates() {
    let app = TestApp::spawn_with(|config| {
        config.allowed_registries = vec!["harbor.example.com/".into()];
    })
    .await;
    let (status, answer) = post(
        &app,
        &json!({ "manifests": "kubectl run nginx --image=nginx -n demo" }),
    )
    .await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["verdict"], "refused", "{answer:#}");
    assert_eq!(
        (
            answer["objects"][0]["kind"].as_str(),
            answer["objects"][0]["name"].as_str()
        ),
        (Some("Pod"), Some("nginx"))
    );

    let response = app
        .http
        .post(app.url("/api/v1/run-recipes/generate"))
        .json(&json!({ "podName": "blah", "image": "harbor.example.com/team/debug-tools:1.4.2", "namespace": "demo" }))
        .send()
        .await
        .expect("answers");
    let recipe: Value = response.json().await.expect("JSON");
    let command = recipe["runCommand"].as_str().expect("a command");
    let (status, answer) = post(&app, &json!({ "manifests": command })).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["verdict"], "accepted", "{command}\n{answer:#}");

    let (status, answer) = post(
        &app,
        &json!({ "manifests": "kubectl run x --image=i --frobnicate" }),
    )
    .await;
    assert_eq!(status, 422, "{answer:#}");
    assert!(
        answer.to_string().contains("--frobnicate is not a flag"),
        "{answer:#}"
    );
}
