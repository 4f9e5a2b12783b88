//! The differential test of the Pod Security domain code (`app::domain::preflight::pod_security`)
//! against a real kube-apiserver v1.34, whose built-in PodSecurity admission plugin is on by
//! default: every manifest of the corpus is created with `dryRun=All` in namespaces with
//! different Pod Security labels, and the domain's answer must equal the API server's: refused
//! with exactly the same message, or admitted with exactly the same Pod Security warnings.
//! The Pods that `fix_for_restricted` repairs are created too, and must be admitted unless the
//! fix reported something for a human.

#[path = "pod_security/corpus.rs"]
mod corpus;

use app::domain::preflight::pod_security::{
    CheckId, Decision, GENERATED_SUFFIX, Level, NamespacePolicy, WorkloadKind, admit_create,
    checks_for, fix_for_restricted, pod_object,
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use portal_tests::TestCluster;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The namespaces and their Pod Security labels.
const NAMESPACES: [(&str, &[(&str, &str)]); 4] = [
    ("psa-restricted", &[("enforce", "restricted")]),
    (
        "psa-warn",
        &[("enforce", "baseline"), ("warn", "restricted")],
    ),
    ("psa-baseline", &[("enforce", "baseline")]),
    (
        "psa-pinned",
        &[
            ("enforce", "baseline"),
            ("enforce-version", "v1.30"),
            ("warn", "restricted"),
            ("warn-version", "v1.24"),
        ],
    ),
];

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), (*v).to_owned()))
        .collect()
}

/// What the API server answered: the status, the Pod Security warnings, the other warnings, and
/// the error message (for a refusal) or the body.
#[derive(Debug)]
struct ServerAnswer {
    status: u16,
    warnings: Vec<String>,
    other_warnings: Vec<String>,
    message: String,
}

/// The text of a `Warning` header: `299 - "text"`, with `\"` and `\\` unescaped.
fn warning_text(header: &str) -> String {
    let quoted = header
        .strip_prefix("299 - \"")
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(header);
    let mut text = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            text.extend(chars.next());
        } else {
            text.push(c);
        }
    }
    text
}

fn collection_path(kind: WorkloadKind, namespace: &str) -> String {
    let (prefix, plural) = match kind {
        WorkloadKind::Pod => ("api/v1", "pods"),
        WorkloadKind::PodTemplate => ("api/v1", "podtemplates"),
        WorkloadKind::ReplicationController => ("api/v1", "replicationcontrollers"),
        WorkloadKind::ReplicaSet => ("apis/apps/v1", "replicasets"),
        WorkloadKind::Deployment => ("apis/apps/v1", "deployments"),
        WorkloadKind::StatefulSet => ("apis/apps/v1", "statefulsets"),
        WorkloadKind::DaemonSet => ("apis/apps/v1", "daemonsets"),
        WorkloadKind::Job => ("apis/batch/v1", "jobs"),
        WorkloadKind::CronJob => ("apis/batch/v1", "cronjobs"),
    };
    format!("/{prefix}/namespaces/{namespace}/{plural}?dryRun=All")
}

/// Creates `manifest` with a server-side dry run, keeping the warnings (kube's typed calls drop
/// them).
async fn create(
    client: &kube::Client,
    kind: WorkloadKind,
    namespace: &str,
    manifest: &Value,
) -> ServerAnswer {
    let request = http::Request::post(collection_path(kind, namespace))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(manifest).expect("JSON").into())
        .expect("request");
    let response = client.send(request).await.expect("the API server answers");
    let status = response.status().as_u16();
    let (warnings, other_warnings): (Vec<String>, Vec<String>) = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|value| warning_text(value.to_str().unwrap_or_default()))
        .partition(|text| text.contains("PodSecurity"));
    let body = response
        .into_body()
        .collect_bytes()
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let message = body["message"]
        .as_str()
        .map_or_else(|| body.to_string(), str::to_owned);
    ServerAnswer {
        status,
        warnings,
        other_warnings,
        message,
    }
}

/// The server's message with the random end of a generated Pod name written as the domain
/// writes it.
fn without_random_name(message: &str, generate_name: Option<&str>) -> String {
    let Some(prefix) = generate_name else {
        return message.to_owned();
    };
    let start = format!("pods \"{prefix}");
    match message.strip_prefix(&start) {
        Some(rest) if rest.len() > GENERATED_SUFFIX.len() => {
            format!(
                "{start}{GENERATED_SUFFIX}{}",
                &rest[GENERATED_SUFFIX.len()..]
            )
        }
        _ => message.to_owned(),
    }
}

/// Where the domain's decision and the server's answer differ, in words; `None` if they agree.
fn difference(decision: &Decision, answer: &ServerAnswer) -> Option<String> {
    match (&decision.denial, answer.status) {
        (Some(denial), 403) if *denial == answer.message => None,
        (Some(denial), _) => Some(format!(
            "the domain refuses with\n      {denial}\n    the server answered {} {}",
            answer.status, answer.message
        )),
        (None, 200 | 201) if decision.warnings == answer.warnings => None,
        (None, 200 | 201) => Some(format!(
            "warnings differ:\n      domain: {:?}\n      server: {:?}",
            decision.warnings, answer.warnings
        )),
        (None, status) => Some(format!(
            "the domain admits, the server answered {status} {}",
            answer.message
        )),
    }
}

async fn make_namespaces(client: &kube::Client) {
    let api: Api<Namespace> = Api::all(client.clone());
    for (name, pairs) in NAMESPACES {
        let namespace: Namespace = serde_json::from_value(json!({
            "metadata": { "name": name, "labels": labels(pairs) }
        }))
        .expect("a Namespace");
        api.create(&PostParams::default(), &namespace)
            .await
            .expect("create the namespace");
    }
}

#[tokio::test]
async fn the_domain_answers_as_the_api_server_does() {
    let client = TestCluster::shared().admin_client().await;
    make_namespaces(&client).await;
    let cases = corpus::cases();
    assert!(cases.len() >= 30, "a corpus of at least 30 manifests");

    let mut failures = Vec::new();
    let mut exercised: BTreeSet<CheckId> = BTreeSet::new();
    let mut other_warnings = BTreeMap::new();
    let (mut compared, mut refused, mut warned) = (0, 0, 0);
    for (name, manifest) in &cases {
        let object = pod_object(manifest)
            .expect("a readable manifest")
            .expect("a pod spec");
        for (namespace, pairs) in NAMESPACES {
            let decision = admit_create(&NamespacePolicy::from_labels(&labels(pairs)), &object);
            exercised.extend(decision.violations.iter().map(|v| v.check));
            let mut answer = create(&client, object.kind, namespace, manifest).await;
            answer.message = without_random_name(&answer.message, object.generate_name.as_deref());
            compared += 1;
            refused += usize::from(answer.status == 403);
            warned += usize::from(!answer.warnings.is_empty());
            if !answer.other_warnings.is_empty() {
                other_warnings.insert(*name, answer.other_warnings.clone());
            }
            if let Some(difference) = difference(&decision, &answer) {
                failures.push(format!("{name} in {namespace}: {difference}"));
            }
        }
    }

    // Every Pod of the corpus, repaired for `restricted`, in the namespace that enforces it.
    let (restricted, pairs) = NAMESPACES[0];
    let policy = NamespacePolicy::from_labels(&labels(pairs));
    let mut fixed_admitted = 0;
    let mut fixed_for_a_human = 0;
    for (name, manifest) in &cases {
        let object = pod_object(manifest).expect("readable").expect("a pod spec");
        if object.kind != WorkloadKind::Pod {
            continue;
        }
        let out = fix_for_restricted(&object.pod);
        let mut fixed = manifest.clone();
        fixed["metadata"] = serde_json::to_value(&out.pod.metadata).expect("JSON");
        fixed["spec"] = serde_json::to_value(&out.pod.spec).expect("JSON");
        if fixed["metadata"]["name"].is_string() {
            fixed["metadata"]["name"] = json!(format!("fixed-{name}"));
        }
        let fixed_object = pod_object(&fixed).expect("readable").expect("a pod spec");
        let decision = admit_create(&policy, &fixed_object);
        let mut answer = create(&client, WorkloadKind::Pod, restricted, &fixed).await;
        answer.message =
            without_random_name(&answer.message, fixed_object.generate_name.as_deref());
        compared += 1;
        if let Some(difference) = difference(&decision, &answer) {
            failures.push(format!("fixed {name}: {difference}"));
        }
        if out.needs_human.is_empty() {
            if answer.status == 201 {
                fixed_admitted += 1;
            } else {
                failures.push(format!(
                    "fixed {name} needs no human, yet the server answered {} {}",
                    answer.status, answer.message
                ));
            }
        } else {
            fixed_for_a_human += 1;
        }
    }

    println!(
        "{} manifests, {compared} creates compared: {refused} refused, {warned} with Pod Security warnings; \
         fixed Pods: {fixed_admitted} admitted, {fixed_for_a_human} left for a human",
        cases.len()
    );
    for (name, warnings) in &other_warnings {
        println!("warnings from elsewhere in the API server for {name}: {warnings:?}");
    }
    let every_check: BTreeSet<CheckId> = checks_for(Level::Baseline, 34)
        .into_iter()
        .chain(checks_for(Level::Restricted, 34))
        .collect();
    let missed: Vec<&CheckId> = every_check.difference(&exercised).collect();
    assert!(missed.is_empty(), "no case fails these checks: {missed:?}");
    assert!(
        failures.is_empty(),
        "{} of {compared} answers differ:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Where the API server creates objects of `manifest`'s kind in `namespace`, as a dry run.
fn path_of(manifest: &Value, namespace: &str) -> String {
    let api_version = manifest["apiVersion"].as_str().expect("apiVersion");
    let kind = manifest["kind"].as_str().expect("kind");
    let plural = format!("{}s", kind.to_ascii_lowercase())
        .replace("policys", "policies")
        .replace("classs", "classes");
    let prefix = if api_version.contains('/') {
        format!("apis/{api_version}")
    } else {
        format!("api/{api_version}")
    };
    format!("/{prefix}/namespaces/{namespace}/{plural}?dryRun=All")
}

/// The decoding the domain does before any rule (`app::domain::preflight::schema`) against the
/// API server's: an object the domain cannot decode is one the API server refuses with 400 Bad
/// Request, and one it decodes the API server takes (these are also valid, so admitted).
#[tokio::test]
async fn objects_the_domain_cannot_decode_are_those_the_api_server_refuses_to_decode() {
    let client = TestCluster::shared().admin_client().await;
    let namespace = "decode";
    let api: Api<Namespace> = Api::all(client.clone());
    let made: Namespace =
        serde_json::from_value(json!({ "metadata": { "name": namespace } })).expect("Namespace");
    api.create(&PostParams::default(), &made)
        .await
        .expect("create the namespace");

    let budget = |spec: Value| {
        json!({ "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": { "name": "web" }, "spec": spec })
    };
    let service = |port: Value| {
        json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "web" },
                "spec": { "selector": { "app": "web" }, "ports": [{ "port": port }] } })
    };
    let config = |data: Value| json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c" }, "data": data });
    let deployment = |replicas: Value| {
        json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "web" },
                "spec": { "replicas": replicas,
                          "selector": { "matchLabels": { "app": "web" } },
                          "template": { "metadata": { "labels": { "app": "web" } },
                                        "spec": { "containers": [{ "name": "app", "image": "nginx:1.27" }] } } } })
    };
    let policy = |ports: Value| {
        json!({ "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": { "name": "p" },
                "spec": { "podSelector": {}, "ingress": [{ "ports": ports }] } })
    };
    let cases = [
        (
            "budget, maxUnavailable a list",
            budget(json!({ "maxUnavailable": [] })),
        ),
        (
            "budget, minAvailable an object",
            budget(json!({ "minAvailable": { "n": 1 } })),
        ),
        (
            "budget, maxUnavailable 1",
            budget(json!({ "maxUnavailable": 1 })),
        ),
        (
            "budget, minAvailable 50%",
            budget(json!({ "minAvailable": "50%" })),
        ),
        ("service, port a name", service(json!("http"))),
        ("service, port 1.5", service(json!(1.5))),
        ("service, port 80", service(json!(80))),
        ("config map, a number", config(json!({ "A": 3 }))),
        ("config map, a list", config(json!(["A"]))),
        ("config map, strings", config(json!({ "A": "3" }))),
        ("deployment, replicas a word", deployment(json!("two"))),
        ("deployment, replicas true", deployment(json!(true))),
        ("deployment, replicas 2", deployment(json!(2))),
        ("policy, ports an object", policy(json!({ "port": 80 }))),
        ("policy, port a list", policy(json!([{ "port": [80] }]))),
        ("policy, port a name", policy(json!([{ "port": "http" }]))),
        (
            "labels a list",
            json!({ "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": "l", "labels": ["app"] } }),
        ),
    ];
    let mut differences = Vec::new();
    let (mut refused, mut admitted) = (0, 0);
    for (name, manifest) in &cases {
        let domain = app::domain::preflight::schema::read(manifest);
        let request = http::Request::post(path_of(manifest, namespace))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(manifest).expect("JSON").into())
            .expect("request");
        let response = client.send(request).await.expect("the API server answers");
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect_bytes()
            .await
            .unwrap_or_default();
        let message = serde_json::from_slice::<Value>(&body).unwrap_or_default()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        refused += usize::from(status == 400);
        admitted += usize::from(status == 201);
        match (&domain, status) {
            (Err(_), 400) | (Ok(()), 201) => {}
            _ => differences.push(format!(
                "{name}: the domain says {domain:?}, the API server {status} {message}"
            )),
        }
    }
    println!(
        "{} objects: {refused} not decoded, {admitted} admitted",
        cases.len()
    );
    assert!(
        refused >= 8 && admitted >= 5,
        "{refused} refused, {admitted} admitted"
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
