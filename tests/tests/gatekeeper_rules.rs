//! The preflight's Gatekeeper evaluation against the real thing: a real OPA Gatekeeper
//! (`tests/gatekeeper/`) enforces the rules of `tests/gatekeeper/preflight/`, and for every object
//! of a corpus the portal's in-process evaluation must give exactly the messages the API server
//! returns on a real create with `dryRun=All`: the refusal lines of the webhook's denial and the
//! `Warning` headers. This binary's control plane is Gatekeeper's alone.

#[path = "gatekeeper_rules/corpus.rs"]
mod corpus;
#[path = "gatekeeper_rules/portal.rs"]
mod portal;

use portal_tests::{TestCluster, TestGatekeeper, helm};
use serde_json::Value;
use server::preflight::gatekeeper::{
    Constraint, ConstraintTemplate, Review, Rules, admission_messages,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TEMPLATES: &str = include_str!("../gatekeeper/preflight/templates.yaml");
const CONSTRAINTS: &str = include_str!("../gatekeeper/preflight/constraints.yaml");
const CONFIG: &str = include_str!("../gatekeeper/preflight/config.yaml");
const MUTATORS: &str = include_str!("../gatekeeper/preflight/mutators.yaml");
const DENIED: &str = "admission webhook \"validation.gatekeeper.sh\" denied the request: ";

/// What admission said: refusal lines and warnings, each sorted.
#[derive(Debug, PartialEq)]
struct Answer {
    denied: Vec<String>,
    warned: Vec<String>,
}

impl Answer {
    fn new(mut denied: Vec<String>, mut warned: Vec<String>) -> Self {
        denied.sort();
        warned.sort();
        Self { denied, warned }
    }
}

async fn send(
    client: &kube::Client,
    request: http::Request<Vec<u8>>,
) -> (u16, Vec<String>, String) {
    let response = client
        .send(request.map(Into::into))
        .await
        .expect("the API server answers");
    let status = response.status().as_u16();
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

/// `299 - "text"` (RFC 7234, as the API server writes it) to `text`.
fn warning_text(header: &str) -> String {
    let quoted = header.strip_prefix("299 - ").unwrap_or(header);
    let inner = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(quoted);
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// A real create of `object` with `dryRun=All`, and what Gatekeeper said about it.
async fn real_answer(client: &kube::Client, object: &Value) -> Answer {
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .expect("a namespace");
    let path = match object["kind"].as_str() {
        Some("Pod") => format!("/api/v1/namespaces/{namespace}/pods"),
        Some("Deployment") => format!("/apis/apps/v1/namespaces/{namespace}/deployments"),
        Some("StatefulSet") => format!("/apis/apps/v1/namespaces/{namespace}/statefulsets"),
        Some("Job") => format!("/apis/batch/v1/namespaces/{namespace}/jobs"),
        Some("ConfigMap") => format!("/api/v1/namespaces/{namespace}/configmaps"),
        Some("PodDisruptionBudget") => {
            format!("/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets")
        }
        other => panic!("no path for {other:?}"),
    };
    let request = http::Request::post(format!("{path}?dryRun=All"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(object).expect("JSON"))
        .expect("request");
    let (status, warnings, body) = send(client, request).await;
    let denied = match status {
        201 => Vec::new(),
        403 => {
            let status: Value = serde_json::from_str(&body).expect("a Status");
            let message = status["message"].as_str().unwrap_or_default();
            let lines = message
                .strip_prefix(DENIED)
                .unwrap_or_else(|| panic!("not Gatekeeper's refusal: {body}"));
            lines.lines().map(str::to_owned).collect()
        }
        _ => panic!("unexpected answer {status}: {body}"),
    };
    Answer::new(
        denied,
        warnings.iter().map(|header| warning_text(header)).collect(),
    )
}

/// The items of a list at `path`.
async fn list(client: &kube::Client, path: &str) -> Vec<Value> {
    let request = http::Request::get(path).body(Vec::new()).expect("request");
    let text = client
        .request_text(request)
        .await
        .unwrap_or_else(|error| panic!("GET {path}: {error}"));
    let list: Value = serde_json::from_str(&text).expect("a list");
    list["items"].as_array().cloned().unwrap_or_default()
}

/// The rules as the portal reads them: every ConstraintTemplate, and the constraints of each,
/// with Gatekeeper's inventory built as the portal builds it.
async fn rules_from_cluster(client: &kube::Client) -> Rules {
    let (templates, constraints) = read_rules(client).await;
    Rules::new(&templates, constraints).with_inventory(Ok(inventory(client).await.value))
}

/// `data.inventory` as the portal builds it from Gatekeeper's Config and the objects of each
/// kind it syncs.
async fn inventory(client: &kube::Client) -> server::preflight::inventory::Inventory {
    use server::preflight::inventory::{Held, SyncedKind};
    let configs = list(client, "/apis/config.gatekeeper.sh/v1alpha1/configs").await;
    let synced = server::preflight::inventory::synced_kinds(&configs, &[]);
    let mut held = BTreeMap::new();
    for kind in &synced {
        let path = match kind.kind.as_str() {
            "NetworkPolicy" => "/apis/networking.k8s.io/v1/networkpolicies",
            "Namespace" => "/api/v1/namespaces",
            other => panic!("the test Config syncs {other}, which this test does not list"),
        };
        held.insert(kind.clone(), list(client, path).await);
    }
    server::preflight::inventory::inventory(&synced, |kind: &SyncedKind| {
        held.get(kind)
            .cloned()
            .map_or_else(|| Held::Unknown("not listed".into()), Held::Objects)
    })
    .expect("every synced kind listed")
}

/// Server-side apply of `yaml` at the object's own `path`.
async fn apply_at(client: &kube::Client, path: &str, yaml: &str) -> Result<(), kube::Error> {
    let request = http::Request::patch(format!("{path}?fieldManager=portal-tests&force=true"))
        .header("content-type", "application/apply-patch+yaml")
        .body(yaml.as_bytes().to_vec())
        .expect("request");
    client.request_text(request).await.map(drop)
}

async fn read_rules(client: &kube::Client) -> (Vec<ConstraintTemplate>, Vec<Constraint>) {
    let mut templates = Vec::new();
    let mut constraints = Vec::new();
    for item in list(
        client,
        "/apis/templates.gatekeeper.sh/v1/constrainttemplates",
    )
    .await
    {
        let template = ConstraintTemplate::from_value(&item).expect("a readable template");
        let path = format!(
            "/apis/constraints.gatekeeper.sh/v1beta1/{}",
            template.kind.to_ascii_lowercase()
        );
        for item in list(client, &path).await {
            constraints.push(Constraint::from_value(&item).expect("a readable constraint"));
        }
        templates.push(template);
    }
    (templates, constraints)
}

/// The Pod a workload's controller makes from its template (a StatefulSet's is named
/// `<name>-0`, which no rule here prints; it is asked with a generated name like the others).
fn made_pod(deployment: &Value) -> Value {
    let template = &deployment["spec"]["template"];
    let mut metadata = template["metadata"].clone();
    if !metadata.is_object() {
        metadata = serde_json::json!({});
    }
    metadata["generateName"] = format!(
        "{}-",
        deployment["metadata"]["name"].as_str().unwrap_or_default()
    )
    .into();
    metadata["namespace"] = deployment["metadata"]["namespace"].clone();
    serde_json::json!({ "apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"] })
}

/// `line` with a name the API server generated from `prefix` (`<web-x7k2p>`) written `<>`.
fn unnamed(line: &str, prefix: &str) -> String {
    let marker = format!("<{prefix}");
    let Some(start) = line.find(&marker) else {
        return line.to_owned();
    };
    let rest = &line[start + marker.len()..];
    match rest.find('>') {
        Some(end) if end == 5 && rest[..end].chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("{}<>{}", &line[..start], &rest[end + 1..])
        }
        _ => line.to_owned(),
    }
}

fn portal_answer(rules: &Rules, object: &Value) -> Answer {
    let reports = rules.evaluate(&Review::create(object.clone(), None));
    for report in &reports {
        if let server::preflight::gatekeeper::Outcome::NotChecked(reason) = &report.outcome {
            panic!("{} was not checked here: {reason}", report.name);
        }
    }
    let (denied, warned) = admission_messages(&reports);
    Answer::new(denied, warned)
}

/// Everything admission says to creating `object`, refusals and warnings, sorted: and for a
/// workload, to the Pod its controller makes, which meets the rules later on its own create.
/// The API server names that Pod before validation (`web-x7k2p`), which the preflight answer
/// cannot know: it says `<>` there.
async fn said_to(client: &kube::Client, object: &Value) -> Vec<String> {
    let real = real_answer(client, object).await;
    let mut said: Vec<String> = real.denied.iter().chain(&real.warned).cloned().collect();
    if object["spec"]["template"].is_object() {
        let made = made_pod(object);
        let prefix = made["metadata"]["generateName"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let pod = real_answer(client, &made).await;
        for line in pod.denied.iter().chain(&pod.warned) {
            let line = unnamed(line, &prefix);
            if !said.contains(&line) {
                said.push(line);
            }
        }
    }
    said.sort();
    said
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
async fn the_portal_evaluates_gatekeeper_rules_exactly_as_gatekeeper_does() {
    let cluster = TestCluster::shared();
    let gatekeeper = TestGatekeeper::start(cluster, 5);
    let admin = cluster.admin_client().await;
    for namespace in [corpus::DEMO, corpus::EXCLUDED, corpus::NP] {
        // Only preflight-np names its owner, which the namespace-owner rule reads.
        let labels = if namespace == corpus::NP {
            "\n  labels:\n    owner: team-np"
        } else {
            ""
        };
        let yaml =
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}{labels}\n");
        helm::apply(&admin, &helm::documents(&yaml)[0], false)
            .await
            .expect("create the namespace");
    }
    // Gatekeeper syncs the NetworkPolicies into its inventory, where one rule reads them.
    apply_at(
        &admin,
        "/apis/config.gatekeeper.sh/v1alpha1/namespaces/gatekeeper-system/configs/config",
        CONFIG,
    )
    .await
    .expect("apply Gatekeeper's Config");
    for policy in helm::documents(&corpus::networkpolicies()) {
        helm::apply(&admin, &policy, false)
            .await
            .unwrap_or_else(|error| panic!("apply {}: {error}", policy.name));
    }
    // The mutators: Gatekeeper makes their CRDs' controllers at start; apply until each takes.
    for mutator in helm::documents(MUTATORS) {
        let plural = mutator.kind.to_ascii_lowercase();
        let path = format!("/apis/mutations.gatekeeper.sh/v1/{plural}/{}", mutator.name);
        let start = Instant::now();
        while let Err(error) = apply_at(&admin, &path, &mutator.yaml).await {
            not_yet(
                start,
                &format!("{} applied ({error})", mutator.name),
                &gatekeeper,
            )
            .await;
        }
    }
    for template in helm::documents(TEMPLATES) {
        helm::apply(&admin, &template, false)
            .await
            .unwrap_or_else(|error| panic!("apply {}: {error}", template.name));
    }
    // Each constraint kind exists only once Gatekeeper has made its CRD: apply until it takes.
    for constraint in helm::documents(CONSTRAINTS) {
        let path = format!(
            "/apis/constraints.gatekeeper.sh/v1beta1/{}/{}?fieldManager=portal-tests&force=true",
            constraint.kind.to_ascii_lowercase(),
            constraint.name
        );
        let start = Instant::now();
        loop {
            let request = http::Request::patch(&path)
                .header("content-type", "application/apply-patch+yaml")
                .body(constraint.yaml.as_bytes().to_vec())
                .expect("request");
            match admin.request_text(request).await {
                Ok(_) => break,
                Err(error) => {
                    let what = format!("{} applied ({error})", constraint.name);
                    not_yet(start, &what, &gatekeeper).await;
                }
            }
        }
    }
    // The inventory is synced: a Pod no NetworkPolicy selects is warned, a selected one is not.
    let start = Instant::now();
    loop {
        let (alone, selected) = (corpus::np_probe(false), corpus::np_probe(true));
        let (alone, selected) = (
            real_answer(&admin, &alone).await,
            real_answer(&admin, &selected).await,
        );
        let warned = |answer: &Answer| {
            answer
                .warned
                .iter()
                .any(|warning| warning.starts_with("[networkpolicy-selects]"))
        };
        if warned(&alone) && !warned(&selected) {
            break;
        }
        not_yet(
            start,
            &format!("the inventory synced ({alone:?}, {selected:?})"),
            &gatekeeper,
        )
        .await;
    }
    // And the Namespaces: a ConfigMap in preflight-demo is warned, one in preflight-np is not.
    let start = Instant::now();
    loop {
        let (demo, np) = (
            real_answer(&admin, &corpus::config_map("probe", corpus::DEMO)).await,
            real_answer(&admin, &corpus::config_map("probe", corpus::NP)).await,
        );
        let warned = |answer: &Answer| {
            answer
                .warned
                .iter()
                .any(|warning| warning.starts_with("[namespace-names-owner]"))
        };
        if warned(&demo) && !warned(&np) {
            break;
        }
        not_yet(
            start,
            &format!("the Namespaces synced ({demo:?}, {np:?})"),
            &gatekeeper,
        )
        .await;
    }
    let rules = rules_from_cluster(&admin).await;

    // In force: the probe, which breaks every rule, gets every constraint's messages.
    let probe = corpus::probe();
    let expected = portal_answer(&rules, &probe);
    assert_eq!(
        expected.denied.len() + expected.warned.len(),
        5,
        "{expected:?}"
    );
    let start = Instant::now();
    loop {
        let answer = real_answer(&admin, &probe).await;
        if answer == expected {
            break;
        }
        not_yet(
            start,
            &format!("every constraint in force ({answer:?})"),
            &gatekeeper,
        )
        .await;
    }

    let mut disagreements = Vec::new();
    let objects = corpus::objects();
    for (what, object) in &objects {
        let portal = portal_answer(&rules, object);
        let real = real_answer(&admin, object).await;
        println!("{what}: denied {:?}, warned {:?}", real.denied, real.warned);
        if portal != real {
            disagreements.push(format!("{what}:\n  portal  {portal:?}\n  cluster {real:?}"));
        }
    }
    assert!(
        objects.len() >= 40,
        "the corpus has {} objects",
        objects.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree:\n{}",
        disagreements.len(),
        objects.len(),
        disagreements.join("\n")
    );

    // Every fix the answer offers leaves exactly what the cluster still says to it: applying
    // the fix to a refused or warned object gives one the API server admits, or the answer names
    // what a person must change (`rulesLeft`), message for message.
    let (templates, constraints) = read_rules(&admin).await;
    let count = constraints.len();
    let snapshot = server::preflight::cluster::RulesSnapshot::current(
        &templates,
        constraints,
        app::domain::preflight::rules::RulesStatus::Current {
            templates: templates.len(),
            constraints: count,
        },
    )
    .with_inventory(inventory(&admin).await);
    let (mut fixed_count, mut admitted, mut resolved, mut wrong) = (0, 0, 0, Vec::new());
    for (what, object) in &objects {
        let documents = [app::domain::preflight::report::Document {
            number: 1,
            line: 1,
            value: object.clone(),
        }];
        // The corpus's namespaces carry no Pod Security labels: privileged.
        let answer = app::domain::preflight::report::answer_with(
            &documents,
            app::domain::preflight::pod_security::NamespacePolicy::from_labels(&Default::default()),
            &snapshot,
            app::domain::preflight::rules::Target::default(),
            &app::domain::preflight::advice::Platform::default(),
        );
        let Some(fix) = &answer.objects[0].fix else {
            continue;
        };
        fixed_count += 1;
        let fixed = server::preflight::manifests::read(&fix.manifest).expect("the fix reads back")
            [0]
        .value
        .clone();
        let mut left = fix.rules_left.clone();
        left.sort();
        // The NetworkPolicy the fix offers goes in first, where it changes what a rule says:
        // wait until Gatekeeper has synced it, then take it away again.
        let offered = fix
            .network_policy
            .as_ref()
            .filter(|policy| !policy.resolves.is_empty());
        let said = match offered {
            None => said_to(&admin, &fixed).await,
            Some(policy) => {
                resolved += 1;
                let document = &helm::documents(&policy.yaml)[0];
                helm::apply(&admin, document, false)
                    .await
                    .unwrap_or_else(|error| panic!("apply {}: {error}", policy.name));
                let start = Instant::now();
                let said = loop {
                    let said = said_to(&admin, &fixed).await;
                    if said == left || start.elapsed() > Duration::from_secs(30) {
                        break said;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                };
                let namespace = fixed["metadata"]["namespace"]
                    .as_str()
                    .expect("a namespace");
                let request = http::Request::delete(format!(
                    "/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{}",
                    policy.name
                ))
                .body(Vec::new())
                .expect("request");
                admin
                    .request_text(request)
                    .await
                    .expect("delete the policy");
                // Gone from Gatekeeper's inventory too before the next object is asked.
                let start = Instant::now();
                while said_to(&admin, &fixed).await == left {
                    not_yet(start, "the offered policy deleted", &gatekeeper).await;
                }
                said
            }
        };
        if said.is_empty() {
            admitted += 1;
        }
        if said != left {
            wrong.push(format!("{what}:\n  left    {left:?}\n  cluster {said:?}"));
        }
    }
    println!(
        "{fixed_count} fixes checked, {admitted} admitted without a word, {resolved} with the NetworkPolicy offered"
    );
    assert!(fixed_count >= 20, "only {fixed_count} objects got a fix");
    assert!(
        resolved >= 2,
        "only {resolved} fixes came with a NetworkPolicy that a rule reads"
    );
    assert!(
        admitted >= 5,
        "only {admitted} fixes were admitted outright"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The same Gatekeeper, through the running portal (one Gatekeeper per control plane, so in
    // this test).
    portal::answers_with_the_live_rules_and_follows_them(cluster, &admin, &gatekeeper).await;
    drop(gatekeeper);
}
