//! The JSON API for automation: `POST /api/v1/networkpolicies/generate` and
//! `POST /api/v1/run-recipes/generate` and `POST /api/v1/networkpolicies/check`, including every
//! kind of bad input they refuse.

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

/// The Pods and namespaces of a small team namespace, for `POST /api/v1/networkpolicies/check`.
fn objects_with(policies: Value) -> Value {
    json!({
        "networkPolicies": policies,
        "namespaces": [
            { "name": "team-a-shop" },
            { "name": "kube-system" }
        ],
        "pods": [
            { "namespace": "team-a-shop", "name": "web", "labels": { "app": "web" },
              "ports": [{ "name": "http", "number": 8080 }] },
            { "namespace": "team-a-shop", "name": "api", "labels": { "app": "api" },
              "ports": [{ "name": "http", "number": 8080 }] },
            { "namespace": "kube-system", "name": "coredns", "labels": { "k8s-app": "kube-dns" },
              "ports": [{ "name": "dns", "number": 53, "protocol": "UDP" },
                        { "name": "dns-tcp", "number": 53 }] }
        ]
    })
}

fn connection(from: &str, to: (&str, &str), protocol: &str, port: Value) -> Value {
    json!({
        "source": { "kind": "pod", "namespace": "team-a-shop", "name": from },
        "destination": { "kind": "pod", "namespace": to.0, "name": to.1 },
        "protocol": protocol,
        "port": port
    })
}

async fn check(app: &TestApp, policies: &Value, connection: Value) -> (u16, Value) {
    let mut body = objects_with(policies.clone());
    body["connection"] = connection;
    post(app, "/api/v1/networkpolicies/check", &body).await
}

/// The generator's own deny-all-but-DNS policy, checked by the traffic API: DNS gets out, the
/// rest does not, and the answer names the rule that decides.
#[tokio::test]
async fn a_connection_is_checked_against_the_policies_sent_with_it() {
    let app = app().await;
    let (status, generated) = post(
        &app,
        "/api/v1/networkpolicies/generate",
        &deny_all_but_dns(),
    )
    .await;
    assert_eq!(status, 200, "{generated}");
    let policies = json!([generated["manifestJson"]]);

    let (status, body) = check(
        &app,
        &policies,
        connection("web", ("kube-system", "coredns"), "UDP", json!(53)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["answer"]["allowed"], true, "{body}");
    let egress = &body["answer"]["egress"];
    assert_eq!(egress["decision"]["kind"], "allowed", "{egress}");
    assert_eq!(egress["decision"]["by"]["policy"]["name"], "default-deny");
    assert_eq!(egress["decision"]["by"]["direction"], "egress");
    assert!(
        body["explanation"]["verdict"]
            .as_str()
            .is_some_and(|verdict| verdict.starts_with("Allowed")),
        "{body}"
    );

    // To a teammate's Pod, by its port's name: egress is denied, and so is ingress at api.
    let (status, body) = check(
        &app,
        &policies,
        connection("web", ("team-a-shop", "api"), "TCP", json!("http")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["answer"]["allowed"], false, "{body}");
    assert_eq!(body["answer"]["port"]["number"], 8080, "the name resolved");
    for side in ["egress", "ingress"] {
        let answer = &body["answer"][side];
        assert_eq!(answer["decision"]["kind"], "denied", "{side}: {answer}");
        assert_eq!(answer["isolatedBy"][0]["name"], "default-deny", "{side}");
    }
    assert!(
        body["explanation"]["verdict"]
            .as_str()
            .is_some_and(|verdict| verdict.starts_with("Denied")),
        "{body}"
    );
}

#[tokio::test]
async fn a_connection_the_objects_cannot_answer_is_refused_with_its_field() {
    let app = app().await;
    let none = json!([]);
    for (connection, path) in [
        (
            connection("nobody", ("team-a-shop", "api"), "TCP", json!(80)),
            "connection",
        ),
        (
            connection("web", ("team-a-shop", "api"), "TCP", json!(0)),
            "connection.port",
        ),
        (
            connection("web", ("team-a-shop", "api"), "TCP", json!("")),
            "connection.port",
        ),
    ] {
        let (status, body) = check(&app, &none, connection.clone()).await;
        assert_eq!(status, 422, "{connection}: {body}");
        assert_eq!(body["errors"][0]["path"], path, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }

    // Not the schema: an unknown field, a protocol that is none, no connection at all.
    let mut unknown = objects_with(none.clone());
    unknown["connection"] = connection("web", ("team-a-shop", "api"), "TCP", json!(80));
    unknown["namespaceName"] = json!("team-a-shop");
    let mut bad_protocol = objects_with(none.clone());
    bad_protocol["connection"] = connection("web", ("team-a-shop", "api"), "ICMP", json!(80));
    for body in [unknown, bad_protocol, objects_with(none.clone())] {
        let (status, answer) = post(&app, "/api/v1/networkpolicies/check", &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("the JSON does not match the schema")),
            "{answer}"
        );
    }
}

/// Live checks need a cluster: without one the answer says so and how to check offline; a
/// namespace given with objects is refused, naming the field.
#[tokio::test]
async fn a_live_check_without_a_cluster_says_to_send_the_objects() {
    let app = app().await;
    let live = json!({
        "namespace": "team-a-shop",
        "connection": connection("web", ("team-a-shop", "api"), "TCP", json!(80)),
    });
    let (status, answer) = post(&app, "/api/v1/networkpolicies/check", &live).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(
        answer["error"],
        "the portal is not connected to a cluster, so it holds no live objects: send the NetworkPolicies, namespaces and Pods to check over"
    );
    let mut both = objects_with(json!([]));
    both["connection"] = live["connection"].clone();
    both["namespace"] = json!("team-a-shop");
    let (status, answer) = post(&app, "/api/v1/networkpolicies/check", &both).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["errors"][0]["path"], "namespace", "{answer}");
}

/// A broken policy does not break the check: its bad part matches nothing and is reported.
#[tokio::test]
async fn a_policy_with_a_bad_cidr_is_reported_and_matches_nothing() {
    let app = app().await;
    let policies = json!([{
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": { "name": "odd", "namespace": "team-a-shop" },
        "spec": {
            "podSelector": { "matchLabels": { "app": "web" } },
            "policyTypes": ["Egress"],
            "egress": [{ "to": [{ "ipBlock": { "cidr": "10.0.0.0/99" } }] }]
        }
    }]);
    let mut body = objects_with(policies);
    body["connection"] = json!({
        "source": { "kind": "pod", "namespace": "team-a-shop", "name": "web" },
        "destination": { "kind": "ip", "address": "10.0.0.7" },
        "port": 443
    });
    let (status, answer) = post(&app, "/api/v1/networkpolicies/check", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["answer"]["allowed"], false, "{answer}");
    let problems = answer["answer"]["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().contains("10.0.0.0/99")),
        "{answer}"
    );
}
