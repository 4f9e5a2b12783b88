//! The running portal's preflight with the cluster's live rules: the portal watches Gatekeeper's
//! templates and constraints as its own ServiceAccount (with the chart's RBAC), answers the issue's
//! case (a Deployment that runs as root, as nginx does when nothing says otherwise, from Docker
//! Hub, tagged `latest`, without requests) with each refusal and a fixed manifest, and follows a
//! constraint that changes without a restart.

use portal_tests::{Browser, JavaScript, TestApp, TestCluster, TestGatekeeper, helm, login};
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
    let body = json!({ "manifests": manifests });
    ask_until(app, &app.http, &body, what, gatekeeper, done).await
}

/// Asks as `client` (with its session) until `done` holds for the answer, for at most 60 s.
async fn ask_until(
    app: &TestApp,
    client: &reqwest::Client,
    body: &Value,
    what: &str,
    gatekeeper: &TestGatekeeper,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let response = client
            .post(app.url("/api/v1/preflight"))
            .json(body)
            .send()
            .await
            .expect("the portal answers");
        assert_eq!(response.status().as_u16(), 200);
        let answer: Value = response.json().await.expect("a JSON answer");
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

    // The portal reads the rules as its ServiceAccount: eight constraints of seven templates.
    let answer = answer_until(
        &app,
        ROOT_LATEST_NO_REQUESTS,
        "the portal reads the cluster's rules",
        gatekeeper,
        |answer| answer["rules"]["state"] == "current" && answer["rules"]["constraints"] == 8,
    )
    .await;
    assert_eq!(answer["rules"]["templates"], 7, "{answer:#}");
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

    // The NetworkPolicy the fix offers, from the generator: it selects the Pods by their
    // labels, and the real API server takes it as it is.
    let policy = &fix["networkPolicy"];
    assert_eq!(policy["name"], "web-traffic", "{fix:#}");
    let yaml = policy["yaml"].as_str().expect("its YAML");
    assert!(
        yaml.contains("app: web") && yaml.contains(&format!("namespace: {NAMESPACE}")),
        "{yaml}"
    );
    let request = http::Request::post(format!(
        "/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/networkpolicies?dryRun=All"
    ))
    .header("content-type", "application/json")
    .body(serde_json::to_vec(&value_of(yaml)).expect("JSON"))
    .expect("request");
    let (status, _, body) = super::send(admin, request).await;
    assert_eq!(status, 201, "the offered policy is admitted: {body}");

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
    apply_constraint(admin, "K8sDisallowedTags", "no-edge", &live).await;
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
    apply_constraint(admin, "K8sDisallowedTags", "no-edge", &warn).await;
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

    checks_for_a_namespace_of_the_developers_own(&app, admin, gatekeeper).await;
    applies_the_mutators_before_pod_security(&app, admin, gatekeeper).await;
    follows_the_networkpolicies_gatekeeper_syncs(&app, admin, gatekeeper).await;
    reads_every_kind_gatekeeper_syncs(&app, admin, gatekeeper).await;
    app.stop().await;
}

/// The Namespaces Gatekeeper syncs (found in discovery and watched once its Config names them)
/// are in the portal's inventory, where `namespace-names-owner` reads them; a kind it syncs that
/// the portal's ServiceAccount may not read (Secrets) makes such rules not checked, naming the
/// kind, until Gatekeeper no longer syncs it.
async fn reads_every_kind_gatekeeper_syncs(
    app: &TestApp,
    admin: &kube::Client,
    gatekeeper: &TestGatekeeper,
) {
    let in_demo = serde_json::to_string(&super::corpus::config_map("settings", "preflight-demo"))
        .expect("JSON");
    let in_np = serde_json::to_string(&super::corpus::config_map("settings", "preflight-np"))
        .expect("JSON");
    let owner_rule = |answer: &Value| -> Vec<String> {
        answer["objects"][0]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|finding| finding["name"] == "namespace-names-owner")
            .map(|finding| finding["outcome"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let answer = answer_until(app, &in_demo, "the Namespaces are read", gatekeeper, |a| {
        owner_rule(a) == ["violated"]
    })
    .await;
    assert!(
        answer["objects"][0]["rules"]
            .to_string()
            .contains("goes into namespace <preflight-demo>, which names no owner"),
        "{answer:#}"
    );
    assert_eq!(answer["objects"][0]["verdict"], "warned", "{answer:#}");
    let answer = preflight(app, &in_np).await;
    assert_eq!(owner_rule(&answer), ["passes"], "{answer:#}");

    // Gatekeeper now syncs Secrets too, which the chart's ClusterRole does not let the portal read.
    let syncset = "/apis/syncset.gatekeeper.sh/v1alpha1/syncsets/secrets";
    let yaml = "apiVersion: syncset.gatekeeper.sh/v1alpha1\nkind: SyncSet\nmetadata:\n  name: secrets\n\
                spec:\n  gvks:\n  - group: \"\"\n    version: v1\n    kind: Secret\n";
    super::apply_at(admin, syncset, yaml)
        .await
        .expect("apply the SyncSet");
    let answer = answer_until(
        app,
        &in_demo,
        "Secrets named as not readable",
        gatekeeper,
        |a| owner_rule(a) == ["not-checked"],
    )
    .await;
    let not_checked = answer["notChecked"].to_string();
    assert!(
        not_checked.contains("Secret (v1): the portal may not read them"),
        "{not_checked}"
    );
    // Not checked is not passed.
    assert_eq!(answer["objects"][0]["verdict"], "not-checked", "{answer:#}");

    let request = http::Request::delete(syncset)
        .body(Vec::new())
        .expect("request");
    admin
        .request_text(request)
        .await
        .expect("delete the SyncSet");
    answer_until(
        app,
        &in_demo,
        "checked again without Secrets",
        gatekeeper,
        |a| owner_rule(a) == ["violated"],
    )
    .await;
}

/// The mutators of `tests/gatekeeper/preflight/mutators.yaml` fill in a bare Pod's
/// securityContext in a `restricted` namespace: Pod Security refuses the Pod as pasted and admits
/// it as mutated, and the answer says so; a Deployment with the same template is warned (its
/// template is not mutated) while the Pods it makes are admitted. The real API server agrees.
async fn applies_the_mutators_before_pod_security(
    app: &TestApp,
    admin: &kube::Client,
    gatekeeper: &TestGatekeeper,
) {
    let container = json!({
        "name": "web", "image": "harbor.example.com/library/nginx:1.27",
        "resources": { "requests": { "cpu": "100m", "memory": "64Mi" } }
    });
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "bare", "namespace": NAMESPACE },
        "spec": { "containers": [container.clone()] }
    });
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "bare", "namespace": NAMESPACE },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": "bare" } },
            "template": {
                "metadata": { "labels": { "app": "bare" } },
                "spec": { "containers": [container] }
            }
        }
    });
    let text = format!(
        "{}\n---\n{}",
        serde_json::to_string(&pod).expect("JSON"),
        serde_json::to_string(&deployment).expect("JSON")
    );
    let mutated = |answer: &Value| {
        answer["objects"][0]["mutations"]
            .as_array()
            .map_or(0, Vec::len)
    };
    // For the namespace itself (an administrator may check any): its labels decide where the
    // mutators apply.
    let root = login::logged_in(app, "root").await;
    let body = json!({ "manifests": text, "namespace": NAMESPACE });
    let answer = ask_until(
        app,
        &root,
        &body,
        "the mutators are read",
        gatekeeper,
        |answer| mutated(answer) == 5,
    )
    .await;
    let ids = |list: &Value| -> Vec<String> {
        let mut ids: Vec<String> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|mutation| mutation["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    let all = [
        "gatekeeper/Assign/container-no-privilege-escalation",
        "gatekeeper/Assign/container-run-as-non-root",
        "gatekeeper/Assign/pod-seccomp-runtime-default",
        "gatekeeper/AssignMetadata/pod-hardened-by",
        "gatekeeper/ModifySet/container-drop-all",
    ];
    let bare = &answer["objects"][0];
    assert_eq!(ids(&bare["mutations"]), all, "{bare:#}");
    assert_eq!(bare["verdict"], "accepted", "{bare:#}");
    let summary = bare["summary"].as_str().unwrap_or_default();
    assert!(
        summary
            .contains("Pod Security admits it only because the cluster's mutators change it first"),
        "{summary}"
    );
    assert!(
        !answer["notChecked"].to_string().contains("mutations"),
        "the mutations are part of the answer: {answer:#}"
    );
    // The page (without JavaScript) lists them too, each with the field it sets.
    let response = root
        .post(app.url("/preflight"))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(&[("manifests", text.as_str()), ("namespace", NAMESPACE)])
        .send()
        .await
        .expect("the page answers");
    let html = visible(&response.text().await.expect("HTML").replace("<!>", ""));
    for words in [
        "Changed on its way in by the cluster's mutators",
        "Assign/container-run-as-non-root sets spec.containers[name: *].securityContext.runAsNonRoot",
        "Changed in each Pod it creates by the cluster's mutators",
    ] {
        assert!(html.contains(words), "{words:?} in the page");
    }
    // The real API server: admitted without a word, and mutated as the answer says.
    let request = http::Request::post(format!("/api/v1/namespaces/{NAMESPACE}/pods?dryRun=All"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&pod).expect("JSON"))
        .expect("request");
    let (status, warnings, body) = super::send(admin, request).await;
    assert_eq!(status, 201, "{body}");
    assert!(warnings.is_empty(), "{warnings:?}");
    let created: Value = serde_json::from_str(&body).expect("the Pod");
    let context = &created["spec"]["containers"][0]["securityContext"];
    assert_eq!(context["runAsNonRoot"], true, "{created:#}");
    assert_eq!(context["allowPrivilegeEscalation"], false);
    assert_eq!(context["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(
        created["spec"]["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(
        created["metadata"]["annotations"]["preflight.example/hardened-by"],
        "gatekeeper"
    );

    // The Deployment: not mutated itself, so Pod Security's warn level speaks; its Pods are.
    let workload = &answer["objects"][1];
    assert!(ids(&workload["mutations"]).is_empty(), "{workload:#}");
    assert_eq!(ids(&workload["podMutations"]), all, "{workload:#}");
    assert_eq!(workload["verdict"], "warned", "{workload:#}");
    assert!(workload["pods"]["denial"].is_null(), "{workload:#}");
    let summary = workload["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(
            "Its Pods are admitted only because the cluster's mutators change each one first"
        ),
        "{summary}"
    );
    let request = http::Request::post(format!(
        "/apis/apps/v1/namespaces/{NAMESPACE}/deployments?dryRun=All"
    ))
    .header("content-type", "application/json")
    .body(serde_json::to_vec(&deployment).expect("JSON"))
    .expect("request");
    let (status, warnings, body) = super::send(admin, request).await;
    assert_eq!(status, 201, "{body}");
    let mut real: Vec<String> = warnings.iter().map(|w| super::warning_text(w)).collect();
    real.sort();
    let mut portal: Vec<String> = serde_json::from_value(workload["object"]["warnings"].clone())
        .expect("Pod Security's warnings");
    portal.sort();
    assert_eq!(portal, real, "Pod Security's warnings are the API server's");
    // A Pod as the Deployment's controller makes it: admitted, as the answer says.
    let made = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "generateName": "bare-", "namespace": NAMESPACE, "labels": { "app": "bare" } },
        "spec": deployment["spec"]["template"]["spec"]
    });
    let request = http::Request::post(format!("/api/v1/namespaces/{NAMESPACE}/pods?dryRun=All"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&made).expect("JSON"))
        .expect("request");
    let (status, _, body) = super::send(admin, request).await;
    assert_eq!(status, 201, "the Pods it makes are admitted: {body}");
}

/// Gatekeeper's inventory as the portal keeps it: a Pod no NetworkPolicy selects is warned by
/// `networkpolicy-selects`; once a policy that selects it is created, it is not, without a
/// restart; and the real API server says the same each time.
async fn follows_the_networkpolicies_gatekeeper_syncs(
    app: &TestApp,
    admin: &kube::Client,
    gatekeeper: &TestGatekeeper,
) {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "late", "namespace": "preflight-np", "labels": { "app": "late" } },
        "spec": { "containers": [{
            "name": "late", "image": "harbor.example.com/library/nginx:1.27",
            "resources": { "requests": { "cpu": "100m", "memory": "64Mi" } }
        }] }
    });
    let text = serde_json::to_string(&pod).expect("JSON");
    let warned_by = |answer: &Value| -> Vec<String> {
        answer["objects"][0]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|finding| finding["name"] == "networkpolicy-selects")
            .map(|finding| finding["outcome"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let answer = answer_until(app, &text, "the inventory is read", gatekeeper, |answer| {
        warned_by(answer) == ["violated"]
    })
    .await;
    let messages = answer["objects"][0]["rules"].to_string();
    assert!(
        messages.contains(
            "Pod <late> is not selected by any NetworkPolicy in namespace <preflight-np>"
        ),
        "{messages}"
    );
    let advice = |answer: &Value| answer["objects"][0]["advice"].to_string();
    assert!(
        advice(&answer).contains("No NetworkPolicy of preflight-np selects its Pods"),
        "{}",
        advice(&answer)
    );
    let body = serde_json::to_vec(&pod).expect("JSON");
    let real = |admin: kube::Client| {
        let body = body.clone();
        async move {
            let request = http::Request::post("/api/v1/namespaces/preflight-np/pods?dryRun=All")
                .header("content-type", "application/json")
                .body(body)
                .expect("request");
            let (status, warnings, body) = super::send(&admin, request).await;
            assert_eq!(status, 201, "{body}");
            warnings
                .iter()
                .map(|w| super::warning_text(w))
                .collect::<Vec<_>>()
        }
    };
    let before = real(admin.clone()).await;
    assert!(
        before
            .iter()
            .any(|w| w.starts_with("[networkpolicy-selects]")),
        "{before:?}"
    );
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: late\n  \
         namespace: preflight-np\nspec:\n  podSelector:\n    matchLabels:\n      app: late\n  \
         policyTypes: [Ingress]\n";
    helm::apply(admin, &helm::documents(policy)[0], false)
        .await
        .expect("create the NetworkPolicy");
    let answer = answer_until(
        app,
        &text,
        "the new NetworkPolicy is read",
        gatekeeper,
        |answer| warned_by(answer) == ["passes"],
    )
    .await;
    // The rule is satisfied now, and the Pod still gets no connection in: the policy that
    // selects it has no ingress rule. Only the portal's advice says so.
    assert!(
        advice(&answer)
            .contains("selected, yet blocked: only \\\"late\\\" selects them for ingress"),
        "{}",
        advice(&answer)
    );
    let start = Instant::now();
    loop {
        let after = real(admin.clone()).await;
        if !after
            .iter()
            .any(|w| w.starts_with("[networkpolicy-selects]"))
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "Gatekeeper syncs the new policy within 90 s: {after:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Server-side apply of a constraint of `kind` named `name`.
async fn apply_constraint(admin: &kube::Client, kind: &str, name: &str, yaml: &str) {
    let request = http::Request::patch(format!(
        "/apis/constraints.gatekeeper.sh/v1beta1/{}/{name}?fieldManager=portal-tests&force=true",
        kind.to_ascii_lowercase()
    ))
    .header("content-type", "application/apply-patch+yaml")
    .body(yaml.as_bytes().to_vec())
    .expect("request");
    admin
        .request_text(request)
        .await
        .unwrap_or_else(|error| panic!("apply the constraint {name}: {error}"));
}

/// A developer checks for one of their own namespaces: its Pod Security labels and a rule's
/// `namespaceSelector` count as the cluster has them, and the answer is the API server's for a
/// create there. A namespace of another team's, one that does not exist, and any namespace
/// without a login are refused in the same words, and nothing of theirs is shown.
async fn checks_for_a_namespace_of_the_developers_own(
    app: &TestApp,
    admin: &kube::Client,
    gatekeeper: &TestGatekeeper,
) {
    const TEAM: &str = "preflight-team";
    let namespace = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {TEAM}\n  labels:\n    \
         pod-security.kubernetes.io/enforce: baseline\n    \
         pod-security.kubernetes.io/warn: baseline\n    \
         preflight.example/team: payments\n"
    );
    helm::apply(admin, &helm::documents(&namespace)[0], false)
        .await
        .expect("create the namespace");
    let binding = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  \
         name: workload-admin\n  namespace: {TEAM}\nroleRef:\n  \
         apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: edit\nsubjects:\n\
         - apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: team-a\n"
    );
    helm::apply(admin, &helm::documents(&binding)[0], false)
        .await
        .expect("bind team-a");
    // Only for namespaces labelled for the payments team: three replicas, or refused.
    let payments = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sMinimumReplicas\n\
         metadata:\n  name: payments-replicas\nspec:\n  enforcementAction: deny\n  match:\n    \
         kinds:\n    - apiGroups: [apps]\n      kinds: [Deployment]\n    namespaceSelector:\n      \
         matchLabels:\n        preflight.example/team: payments\n  parameters:\n    \
         min_replicas: 3\n";
    apply_constraint(admin, "K8sMinimumReplicas", "payments-replicas", payments).await;

    // Root, from the allowed registry, tagged, with requests: baseline lets it run as root,
    // restricted (the portal's default) would not; two replicas break only the payments rule.
    let manifest = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: pay\n  namespace: {TEAM}\n\
         spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: pay\n  template:\n    \
         metadata:\n      labels:\n        app: pay\n    spec:\n      containers:\n      \
         - name: pay\n        image: harbor.example.com/library/nginx:1.27\n        \
         resources:\n          requests:\n            cpu: 100m\n            memory: 64Mi\n"
    );
    let alice = login::logged_in(app, "alice").await;
    let ask = |client: reqwest::Client, body: Value| {
        let url = app.url("/api/v1/preflight");
        async move {
            let response = client
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("the portal answers");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON"))
        }
    };
    let start = Instant::now();
    let answer = loop {
        let (status, answer) = ask(
            alice.clone(),
            json!({ "manifests": manifest, "namespace": TEAM }),
        )
        .await;
        // The access view and the new constraint are each read in their own time.
        if status == 200
            && violated(&answer["objects"][0]["rules"])
                .iter()
                .any(|(id, _)| id.ends_with("/payments-replicas"))
        {
            break answer;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the namespace and its rule are read within 90 s: {status} {answer:#}\n{}",
            gatekeeper.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(answer["namespace"], TEAM, "{answer:#}");
    assert_eq!(
        answer["podSecurity"]["enforce"]["level"], "baseline",
        "{answer:#}"
    );
    let deployment = &answer["objects"][0];
    assert_eq!(deployment["verdict"], "refused", "{deployment:#}");
    assert!(
        deployment["pods"]["denial"].is_null(),
        "baseline admits a Pod that runs as root: {deployment:#}"
    );
    // Word for word what the API server says to a create there.
    let request = http::Request::post(format!(
        "/apis/apps/v1/namespaces/{TEAM}/deployments?dryRun=All"
    ))
    .header("content-type", "application/json")
    .body(serde_json::to_vec(&value_of(&manifest)).expect("JSON"))
    .expect("request");
    let (status, _, body) = super::send(admin, request).await;
    assert_eq!(status, 403, "{body}");
    let mut real = refusal_lines(&body);
    real.sort();
    let mut portal: Vec<String> = deployment["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|finding| finding["action"] == "deny")
        .flat_map(|finding| finding["messages"].as_array().cloned().unwrap_or_default())
        .filter_map(|message| message.as_str().map(str::to_owned))
        .collect();
    portal.sort();
    assert_eq!(portal, real, "the portal's refusal is the API server's");

    // For a new namespace the same manifest meets restricted and no payments rule.
    let (status, fresh) = ask(alice.clone(), json!({ "manifests": manifest })).await;
    assert_eq!(status, 200);
    assert!(fresh["namespace"].is_null(), "{fresh:#}");
    assert!(
        !violated(&fresh["objects"][0]["rules"])
            .iter()
            .any(|(id, _)| id.ends_with("/payments-replicas")),
        "without the namespace's labels the payments rule does not apply: {fresh:#}"
    );

    // Another team's namespace, a missing one, and any without a login: the same 404.
    let anonymous = reqwest::Client::new();
    for (client, name) in [
        (alice.clone(), NAMESPACE),
        (alice.clone(), "no-such-namespace"),
        (anonymous.clone(), TEAM),
    ] {
        let (status, refused) =
            ask(client, json!({ "manifests": manifest, "namespace": name })).await;
        assert_eq!(status, 404, "{name}: {refused:#}");
        assert_eq!(
            refused["error"],
            format!(
                "{name:?} is not one of your namespaces: log in and choose one of yours, or check for a new namespace"
            ),
        );
    }
    let (status, both) = ask(
        alice.clone(),
        json!({ "manifests": manifest, "namespace": TEAM, "namespaceLabels": {} }),
    )
    .await;
    assert_eq!(status, 422, "{both:#}");

    // The page offers her namespaces, and the form without JavaScript checks for the one chosen.
    let page = alice
        .get(app.url("/preflight"))
        .send()
        .await
        .expect("the page answers")
        .text()
        .await
        .expect("HTML");
    assert!(
        page.contains(&format!("<option value=\"{TEAM}\"")),
        "her namespace is offered"
    );
    assert!(
        !page.contains(&format!("<option value=\"{NAMESPACE}\"")),
        "another team's is not"
    );
    let response = alice
        .post(app.url("/preflight"))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(&[("manifests", manifest.as_str()), ("namespace", TEAM)])
        .send()
        .await
        .expect("the page answers");
    assert_eq!(response.status().as_u16(), 200);
    let html = visible(&response.text().await.expect("HTML").replace("<!>", ""));
    for words in [
        "Checked for namespace preflight-team, whose Pod Security is: enforce baseline",
        "Refused by payments-replicas",
    ] {
        assert!(html.contains(words), "{words:?} in the page");
    }
    let response = app
        .http
        .post(app.url("/preflight"))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(&[("manifests", manifest.as_str()), ("namespace", TEAM)])
        .send()
        .await
        .expect("the page answers");
    let html = visible(&response.text().await.expect("HTML").replace("<!>", ""));
    assert!(
        html.contains("preflight-team&quot; is not one of your namespaces")
            || html.contains("preflight-team\" is not one of your namespaces"),
        "without a login the namespace is refused on the page too"
    );
    assert!(!html.contains("Refused by payments-replicas"));

    // Hydrated, choosing her namespace checks again for it at once.
    let browser = Browser::start(&app.url(""), JavaScript::On)
        .await
        .expect("a browser");
    browser
        .check("preflight_namespace", async |b| {
            b.goto("/auth/login?next=/preflight").await?;
            b.sign_in("alice").await?;
            anyhow::ensure!(b.client.current_url().await?.path() == "/preflight");
            b.wait_for_hydration().await?;
            b.fill("#manifests", &manifest).await?;
            b.wait_for_text("#preflight-answer", "as this portal creates it")
                .await?;
            b.find(&format!("#namespace option[value=\"{TEAM}\"]"))
                .await?
                .click()
                .await?;
            b.wait_for_text("#preflight-answer", "Checked for namespace preflight-team")
                .await?;
            b.wait_for_text("#preflight-answer", "payments-replicas")
                .await?;
            // Chromium asks for /favicon.ico itself after a visit that starts with a redirect
            // (the portal's icon is favicon.svg): not the page's doing.
            let errors: Vec<String> = b
                .console_errors()
                .await?
                .into_iter()
                .filter(|error| !error.contains("/favicon.ico"))
                .collect();
            anyhow::ensure!(errors.is_empty(), "{errors:#?}");
            Ok(())
        })
        .await
        .expect("the hydrated page follows the namespace chosen");
    browser.close().await.expect("the browser closes");

    let delete = http::Request::delete(
        "/apis/constraints.gatekeeper.sh/v1beta1/k8sminimumreplicas/payments-replicas",
    )
    .body(Vec::new())
    .expect("request");
    admin
        .request_text(delete)
        .await
        .expect("delete the constraint");
}
