//! The JSON API for automation: `POST /api/v1/networkpolicies/generate` and
//! `POST /api/v1/run-recipes/generate`, including every kind of bad input it refuses.

use portal_tests::TestApp;
use serde_json::{Value, json};

async fn app() -> TestApp {
    TestApp::spawn_with(|config| {
        config.allowed_registries = vec!["harbor.example.com/".into()];
        config.cluster_pod_cidrs = vec!["10.244.0.0/16".into()];
    })
    .await
}

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn deny_all_but_dns() -> Value {
    json!({
        "name": "default-deny",
        "namespace": "team-a-shop",
        "target": { "kind": "allPods" },
        "policyTypes": { "ingress": true, "egress": true },
        "allowDns": true
    })
}

#[tokio::test]
async fn a_default_deny_policy_with_dns_is_generated() {
    let app = app().await;
    let (status, body) = post(
        &app,
        "/api/v1/networkpolicies/generate",
        &deny_all_but_dns(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let yaml = body["yaml"].as_str().expect("yaml");
    assert!(
        yaml.starts_with("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"),
        "{yaml}"
    );
    assert_eq!(body["manifestJson"]["metadata"]["namespace"], "team-a-shop");
    assert_eq!(
        body["manifestJson"]["spec"]["policyTypes"],
        json!(["Ingress", "Egress"])
    );
    let egress = &body["manifestJson"]["spec"]["egress"][0];
    assert_eq!(egress["ports"][0]["port"], 53, "the DNS rule: {egress}");
    assert!(
        body["applyCommand"]
            .as_str()
            .expect("command")
            .starts_with("kubectl apply -f - <<'EOF'\n")
    );
    assert!(
        !body["explanation"]["sections"]
            .as_array()
            .expect("sections")
            .is_empty()
    );
}

#[tokio::test]
async fn the_faq_kubectl_run_example_is_generated_and_flagged() {
    let app = app().await;
    let spec = json!({
        "name": "blah",
        "namespace": "demo",
        "target": { "kind": "kubectlRun", "name": "blah" },
        "policyTypes": { "ingress": true, "egress": true },
        "ingress": [ { "peers": [ { "kind": "anywhere" } ] } ],
        "egress": [ { "peers": [ { "kind": "anywhere" } ] } ],
        "allowDns": false
    });
    let (status, body) = post(&app, "/api/v1/networkpolicies/generate", &spec).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["manifestJson"]["spec"]["podSelector"]["matchLabels"]["run"],
        "blah"
    );
    let codes: Vec<_> = body["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].clone())
        .collect();
    assert!(
        codes.contains(&json!("allow-all")),
        "allow-all is flagged: {codes:?}"
    );
}

#[tokio::test]
async fn an_invalid_spec_gets_422_with_every_field_path() {
    let app = app().await;
    let spec = json!({
        "name": "Not Valid",
        "namespace": "team-a-shop",
        "target": { "kind": "labels", "labels": [ { "key": "app", "value": "yes please" } ] },
        "policyTypes": { "ingress": true, "egress": false },
        "ingress": [ { "peers": [ { "kind": "ipBlock", "cidr": "10.0.0.0/33" } ],
                       "ports": [ { "port": 0 } ] } ]
    });
    let (status, body) = post(&app, "/api/v1/networkpolicies/generate", &spec).await;
    assert_eq!(status, 422, "{body}");
    let paths: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    for expected in [
        "name",
        "target.labels[0].value",
        "ingress[0].peers[0].cidr",
        "ingress[0].ports[0].port",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    assert!(
        body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| !e["message"].as_str().unwrap_or("").is_empty())
    );
    assert!(body.get("yaml").is_none(), "nothing invalid is emitted");
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_error_and_no_500() {
    let app = app().await;
    let url = app.url("/api/v1/networkpolicies/generate");

    let not_json = app
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_json.status(), 400);
    assert_eq!(
        not_json.json::<Value>().await.expect("JSON")["error"],
        "the body is not valid JSON"
    );

    let no_type = app
        .http
        .post(&url)
        .body("{}")
        .send()
        .await
        .expect("answers");
    assert_eq!(no_type.status(), 415);

    let mut unknown = deny_all_but_dns();
    unknown["extra"] = json!(1);
    let (status, body) = post(&app, "/api/v1/networkpolicies/generate", &unknown).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .expect("message")
            .contains("unknown field `extra`"),
        "{body}"
    );

    let mut wrong_type = deny_all_but_dns();
    wrong_type["policyTypes"] = json!("both");
    let (status, body) = post(&app, "/api/v1/networkpolicies/generate", &wrong_type).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .expect("message")
            .contains("policyTypes"),
        "{body}"
    );

    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let too_big = app
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("answers");
    assert_eq!(too_big.status(), 413);
}

#[tokio::test]
async fn a_safe_run_recipe_is_generated_with_valid_json_overrides() {
    let app = app().await;
    let spec = json!({ "podName": "blah", "image": "harbor.example.com/team/debug:1.4.2", "namespace": "demo" });
    let (status, body) = post(&app, "/api/v1/run-recipes/generate", &spec).await;
    assert_eq!(status, 200, "{body}");
    let command = body["runCommand"].as_str().expect("command");
    assert!(
        command.starts_with(
            "kubectl run blah --rm -ti --image=harbor.example.com/team/debug:1.4.2 --overrides='"
        ),
        "{command}"
    );
    let overrides = command.split('\'').nth(1).expect("quoted overrides");
    let parsed: Value = serde_json::from_str(overrides).expect("the override is valid JSON");
    assert_eq!(parsed, body["overrides"]);
    assert_eq!(parsed["spec"]["securityContext"]["runAsUser"], 1000);
    assert_eq!(
        body["policy"]["manifestJson"]["spec"]["podSelector"]["matchLabels"]["run"],
        "blah"
    );
}

#[tokio::test]
async fn unsafe_run_recipes_are_refused_with_the_field_named() {
    let app = app().await;
    let cases = [
        (
            json!({ "podName": "blah", "image": "nginx:1.27", "namespace": "demo" }),
            "image",
        ),
        (
            json!({ "podName": "blah", "image": "harbor.example.com/team/debug:latest", "namespace": "demo" }),
            "image",
        ),
        (
            json!({ "podName": "blah", "image": "harbor.example.com/team/debug", "namespace": "demo" }),
            "image",
        ),
        (
            json!({ "podName": "blah", "image": "harbor.example.com.evil.io/x:1", "namespace": "demo" }),
            "image",
        ),
        (
            json!({ "podName": "x'; rm -rf /; '", "image": "harbor.example.com/team/debug:1", "namespace": "demo" }),
            "podName",
        ),
        (
            json!({ "podName": "blah", "image": "harbor.example.com/t/d:1", "namespace": "demo", "runAsUser": 0 }),
            "runAsUser",
        ),
    ];
    for (spec, field) in cases {
        let (status, body) = post(&app, "/api/v1/run-recipes/generate", &spec).await;
        assert_eq!(status, 422, "{spec} -> {body}");
        let paths: Vec<&str> = body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["path"].as_str())
            .collect();
        assert!(paths.contains(&field), "{spec}: {field} not in {paths:?}");
        assert!(body.get("runCommand").is_none());
    }
}
