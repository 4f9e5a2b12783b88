//! Every NetworkPolicy the generator emits is accepted by a real kube-apiserver: the YAML, exactly
//! as a developer pastes it into `kubectl apply`, is sent with a server-side dry run, and what the
//! API server parsed equals the manifest the portal showed.

use app::domain::networkpolicy::{
    LintConfig, Preset, PresetOptions, RunRecipeConfig, RunRecipeSpec, build_run_recipe, generate,
    model::{Label, Peer, PolicySpec, PolicyTypes, PortSpec, Rule, Target},
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use portal_tests::TestCluster;
use serde_json::Value;

/// Sends `yaml` as a server-side dry-run create and returns what the API server made of it.
async fn dry_run_create(
    client: &kube::Client,
    namespace: &str,
    yaml: &str,
) -> Result<Value, String> {
    let request = http::Request::post(format!(
        "/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies?dryRun=All&fieldValidation=Strict"
    ))
    .header("content-type", "application/yaml")
    .body(yaml.as_bytes().to_vec())
    .expect("a request");
    let text = client
        .request_text(request)
        .await
        .map_err(|error| error.to_string())?;
    serde_json::from_str(&text).map_err(|error| format!("{error}: {text}"))
}

async fn namespace(client: &kube::Client, name: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut namespace = Namespace::default();
    namespace.metadata.name = Some(name.to_owned());
    match namespaces.create(&PostParams::default(), &namespace).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => panic!("create namespace {name}: {error}"),
    }
}

fn tricky_labels() -> PolicySpec {
    // Label values that YAML 1.1 would read as booleans, null or numbers unless quoted.
    let values = [
        "true", "yes", "on", "off", "null", "1.0", "0x1F", "1e3", "08", "y", "n", "NO", "True", "",
    ];
    PolicySpec {
        name: "tricky-labels".into(),
        namespace: "np-dry-run".into(),
        target: Target::Labels {
            labels: values
                .iter()
                .enumerate()
                .map(|(i, v)| Label::new(format!("k{i}"), *v))
                .collect(),
        },
        policy_types: PolicyTypes {
            ingress: true,
            egress: true,
        },
        ingress: vec![Rule::new(
            vec![Peer::PodsInNamespace {
                labels: vec![Label::new("on", "yes")],
            }],
            vec![PortSpec::tcp(8080)],
        )],
        egress: vec![],
        allow_dns: true,
    }
}

#[tokio::test]
async fn the_api_server_accepts_every_generated_policy_exactly_as_shown() {
    let cluster = TestCluster::shared();
    let client = cluster.admin_client().await;
    namespace(&client, "np-dry-run").await;

    let mut specs: Vec<(String, PolicySpec)> = Preset::ALL
        .into_iter()
        .map(|preset| {
            (
                preset.id().to_owned(),
                preset.build("np-dry-run", &PresetOptions::default()),
            )
        })
        .collect();
    specs.push(("tricky-labels".into(), tricky_labels()));

    for (what, spec) in specs {
        let generated = generate(&spec, &LintConfig::default()).expect("a valid preset");
        let accepted = dry_run_create(&client, "np-dry-run", &generated.yaml)
            .await
            .unwrap_or_else(|error| panic!("{what} refused: {error}\n{}", generated.yaml));
        assert_eq!(
            accepted["spec"], generated.manifest_json["spec"],
            "{what}: the API server read\n{}",
            generated.yaml
        );
        assert_eq!(
            accepted["metadata"]["name"], generated.manifest_json["metadata"]["name"],
            "{what}"
        );
    }
}

#[tokio::test]
async fn the_api_server_accepts_the_run_recipe_policy() {
    let cluster = TestCluster::shared();
    let client = cluster.admin_client().await;
    namespace(&client, "np-run-recipe").await;
    let spec = RunRecipeSpec {
        image: "harbor.example.com/team/debug-tools:1.4.2".into(),
        namespace: "np-run-recipe".into(),
        ..RunRecipeSpec::example()
    };
    let registries = RunRecipeConfig {
        allowed_registry_prefixes: vec!["harbor.example.com/".into()],
    };
    let recipe = build_run_recipe(&spec, &registries, &LintConfig::default()).expect("valid");
    let accepted = dry_run_create(&client, "np-run-recipe", &recipe.policy.yaml)
        .await
        .expect("accepted");
    assert_eq!(
        accepted["spec"]["podSelector"]["matchLabels"]["run"],
        "blah"
    );
}

/// `POST /api/v1/networkpolicies/check` for a `namespace`: the connection is decided over the
/// cluster's live Pods and NetworkPolicies, read by the running portal as its ServiceAccount
/// (the chart's RBAC); a policy created afterwards changes the answer without a restart; a
/// namespace the caller may not use is refused in the same words as one that does not exist.
#[tokio::test]
async fn the_traffic_check_reads_the_live_pods_and_policies_and_follows_them() {
    use portal_tests::{TestApp, helm, login};
    use serde_json::json;
    use std::time::{Duration, Instant};

    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let mut yaml = String::new();
    for (namespace, group) in [("traffic-a", "team-a"), ("traffic-b", "team-b")] {
        yaml.push_str(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  \
             name: workload-admin\n  namespace: {namespace}\nroleRef:\n  \
             apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: edit\nsubjects:\n\
             - apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: {group}\n---\n"
        ));
    }
    // Pods as objects: no kubelet runs them, and the engine needs no more.
    for (namespace, name, app, port) in [
        ("traffic-a", "web", "web", None),
        ("traffic-a", "api", "api", Some(("http", 8080))),
        ("traffic-b", "db", "db", Some(("postgres", 5432))),
    ] {
        let ports = port.map_or_else(String::new, |(port, number)| {
            format!("\n    ports:\n    - name: {port}\n      containerPort: {number}")
        });
        yaml.push_str(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  \
             labels:\n    app: {app}\nspec:\n  containers:\n  - name: {name}\n    \
             image: harbor.example.com/shop/{name}:1.0{ports}\n---\n"
        ));
    }
    yaml.push_str(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  \
         namespace: traffic-a\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
    );
    for manifest in helm::documents(&yaml) {
        helm::apply(&admin, &manifest, false)
            .await
            .unwrap_or_else(|error| panic!("apply {} {}: {error}", manifest.kind, manifest.name));
    }

    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;
    let alice = login::logged_in(&app, "alice").await;
    let ask = |client: reqwest::Client, body: serde_json::Value| {
        let url = app.url("/api/v1/networkpolicies/check");
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
    let pod = |namespace: &str, name: &str| json!({ "kind": "pod", "namespace": namespace, "name": name });
    let web_to_api = json!({
        "namespace": "traffic-a",
        "connection": { "source": pod("traffic-a", "web"), "destination": pod("traffic-a", "api"),
                        "port": "http" }
    });
    let until = |what: &'static str, done: fn(u16, &Value) -> bool| {
        let (alice, body) = (alice.clone(), web_to_api.clone());
        let ask = &ask;
        async move {
            let start = Instant::now();
            loop {
                let (status, answer) = ask(alice.clone(), body.clone()).await;
                if done(status, &answer) {
                    return answer;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "{what} within 60 s; last answer {status}: {answer:#}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };

    // The deny-all isolates the API Pod: denied, and the policy is named.
    let answer = until("the deny-all read", |status, answer| {
        status == 200 && answer["answer"]["allowed"] == false
    })
    .await;
    let ingress = &answer["answer"]["ingress"];
    assert_eq!(ingress["decision"]["kind"], "denied", "{answer:#}");
    assert_eq!(
        ingress["isolatedBy"],
        json!([{ "namespace": "traffic-a", "name": "default-deny" }])
    );
    // The named port was resolved through the live Pod's container ports.
    assert_eq!(answer["answer"]["port"]["number"], 8080, "{answer:#}");

    // A policy that lets web reach the API, created now: the answer follows without a restart.
    let allow = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  \
                 name: api-from-web\n  namespace: traffic-a\nspec:\n  podSelector:\n    \
                 matchLabels:\n      app: api\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    \
                 - podSelector:\n        matchLabels:\n          app: web\n    ports:\n    \
                 - port: 8080\n";
    helm::apply(&admin, &helm::documents(allow)[0], false)
        .await
        .expect("apply the allowing policy");
    let answer = until("the new policy read", |status, answer| {
        status == 200 && answer["answer"]["allowed"] == true
    })
    .await;
    assert_eq!(
        answer["answer"]["ingress"]["decision"]["by"]["policy"]["name"], "api-from-web",
        "{answer:#}"
    );

    // Another team's namespace, as an end of the connection or as the namespace asked in, and
    // one that does not exist: the same refusal.
    let to_db = |namespace: &str| {
        json!({ "namespace": namespace,
                "connection": { "source": pod("traffic-a", "web"), "destination": pod("traffic-b", "db"),
                                "port": 5432 } })
    };
    for (body, named) in [
        (to_db("traffic-a"), "traffic-b"),
        (to_db("traffic-b"), "traffic-b"),
        (to_db("traffic-nowhere"), "traffic-nowhere"),
    ] {
        let (status, answer) = ask(alice.clone(), body).await;
        assert_eq!(status, 404, "{answer:#}");
        assert_eq!(
            answer["error"],
            format!(
                "\"{named}\" is not one of your namespaces: log in, and check connections of Pods in namespaces you may use"
            )
        );
    }
    let (status, _) = ask(reqwest::Client::new(), web_to_api.clone()).await;
    assert_eq!(status, 404, "nobody logged in");
    // An administrator may check any namespace: nothing isolates db.
    let root = login::logged_in(&app, "root").await;
    let (status, answer) = ask(root, to_db("traffic-a")).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["answer"]["allowed"], true, "{answer:#}");

    // A Pod the namespace does not hold, and objects sent with a namespace: 422, saying which.
    let mut missing = web_to_api.clone();
    missing["connection"]["destination"] = pod("traffic-a", "nope");
    let (status, answer) = ask(alice.clone(), missing).await;
    assert_eq!(status, 422, "{answer:#}");
    assert!(
        answer
            .to_string()
            .contains("there is no Pod nope in traffic-a"),
        "{answer:#}"
    );
    let mut both = web_to_api.clone();
    both["pods"] = json!([{ "namespace": "traffic-a", "name": "web" }]);
    let (status, answer) = ask(alice.clone(), both).await;
    assert_eq!(status, 422, "{answer:#}");
    assert!(answer.to_string().contains("not both"), "{answer:#}");
    app.stop().await;
}

/// The portal's own baseline (what approving a request creates) and the FAQ's `kubectl run blah`
/// policy, live: applied to a real namespace beside DNS, an ingress controller and another team,
/// then asked through the running portal as an administrator. DNS and the ingress controller
/// get in or out as the baseline says, the rest is denied by `default-deny-all`; `blah` may only
/// look up names.
#[tokio::test]
async fn the_baseline_and_the_kubectl_run_policy_answer_live_as_they_say() {
    use app::domain::networkpolicy::{presets, to_network_policy};
    use app::domain::provisioning::{ApprovedRequest, ProvisioningConfig, ProvisioningPlan};
    use app::domain::{NamespaceName, NamingPolicy};
    use portal_tests::{TestApp, helm, login};
    use serde_json::json;
    use std::time::{Duration, Instant};

    const SHOP: &str = "traffic-shop";
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let request = ApprovedRequest {
        id: 1,
        name: NamespaceName::parse(SHOP, &NamingPolicy::default()).expect("a valid name"),
        requester: "alice@example.com".into(),
        groups: vec!["team-a".into()],
        labels: Default::default(),
    };
    let plan =
        ProvisioningPlan::for_request(&request, &ProvisioningConfig::default()).expect("a plan");
    let mut objects: Vec<Value> = vec![serde_json::to_value(&plan.namespace).expect("JSON")];
    for namespace in ["ingress-nginx", "traffic-other"] {
        objects.push(
            json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": namespace } }),
        );
    }
    objects.extend(
        plan.network_policies
            .iter()
            .map(|policy| serde_json::to_value(policy).expect("JSON")),
    );
    let recipe = presets::kubectl_run_dns_only(SHOP, "blah")
        .validated()
        .expect("the FAQ's recipe policy");
    objects.push(serde_json::to_value(to_network_policy(&recipe)).expect("JSON"));
    let pod = |namespace: &str, name: &str, labels: Value, ports: Value| {
        json!({ "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": name, "namespace": namespace, "labels": labels },
                // Restricted, as the portal's namespaces enforce.
                "spec": { "containers": [{ "name": "c", "image": "harbor.example.com/x/y:1.0", "ports": ports,
                    "securityContext": { "allowPrivilegeEscalation": false, "runAsNonRoot": true,
                        "capabilities": { "drop": ["ALL"] }, "seccompProfile": { "type": "RuntimeDefault" } } }] } })
    };
    objects.extend([
        pod(
            SHOP,
            "web",
            json!({ "app": "web" }),
            json!([{ "name": "http", "containerPort": 8080 }]),
        ),
        pod(SHOP, "blah", json!({ "run": "blah" }), json!([])),
        pod(
            "kube-system",
            "coredns",
            json!({ "k8s-app": "kube-dns" }),
            json!([{ "name": "dns", "containerPort": 53, "protocol": "UDP" }]),
        ),
        pod(
            "ingress-nginx",
            "controller",
            json!({ "app.kubernetes.io/name": "ingress-nginx" }),
            json!([]),
        ),
        pod(
            "traffic-other",
            "api",
            json!({ "app": "api" }),
            json!([{ "containerPort": 8080 }]),
        ),
    ]);
    for object in &objects {
        let yaml = app::domain::networkpolicy::yaml::to_yaml(object);
        let documents = helm::documents(&yaml);
        assert_eq!(documents.len(), 1, "{yaml}");
        for manifest in documents {
            helm::apply(&admin, &manifest, false)
                .await
                .unwrap_or_else(|error| {
                    panic!("apply {} {}: {error}", manifest.kind, manifest.name)
                });
        }
    }

    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;
    let root = login::logged_in(&app, "root").await;
    let end = |namespace: &str, name: &str| json!({ "kind": "pod", "namespace": namespace, "name": name });
    let ask = |from: Value, to: Value, protocol: &str, port: Value| {
        let (root, url) = (root.clone(), app.url("/api/v1/networkpolicies/check"));
        let body = json!({ "namespace": SHOP,
                           "connection": { "source": from, "destination": to,
                                           "protocol": protocol, "port": port } });
        async move {
            let start = Instant::now();
            loop {
                let response = root.post(&url).json(&body).send().await.expect("an answer");
                let status = response.status().as_u16();
                let answer: Value = response.json().await.expect("JSON");
                if status == 200 {
                    return answer["answer"].clone();
                }
                // Just after start-up the watches are still listing: 503, then the answer.
                assert!(
                    status == 503 && start.elapsed() < Duration::from_secs(60),
                    "{body}: {status} {answer:#}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    let decided_by = |side: &Value| side["decision"]["by"]["policy"]["name"].clone();

    // DNS out, over the baseline's allow-dns; kube-system's DNS is not isolated.
    let dns = ask(
        end(SHOP, "web"),
        end("kube-system", "coredns"),
        "UDP",
        json!("dns"),
    )
    .await;
    assert_eq!(dns["allowed"], true, "{dns:#}");
    assert_eq!(decided_by(&dns["egress"]), "allow-dns", "{dns:#}");
    // The ingress controller in, over allow-from-ingress-controller.
    let ingress = ask(
        end("ingress-nginx", "controller"),
        end(SHOP, "web"),
        "TCP",
        json!("http"),
    )
    .await;
    assert_eq!(ingress["allowed"], true, "{ingress:#}");
    assert_eq!(
        decided_by(&ingress["ingress"]),
        "allow-from-ingress-controller",
        "{ingress:#}"
    );
    // Another team in, and web out to it: denied, default-deny-all among those isolating.
    let other_in = ask(
        end("traffic-other", "api"),
        end(SHOP, "web"),
        "TCP",
        json!(8080),
    )
    .await;
    assert_eq!(other_in["allowed"], false, "{other_in:#}");
    assert_eq!(
        other_in["ingress"]["decision"]["kind"], "denied",
        "{other_in:#}"
    );
    assert!(
        other_in["ingress"]["isolatedBy"]
            .to_string()
            .contains("default-deny-all"),
        "{other_in:#}"
    );
    let out = ask(
        end(SHOP, "web"),
        end("traffic-other", "api"),
        "TCP",
        json!(8080),
    )
    .await;
    assert_eq!(out["egress"]["decision"]["kind"], "denied", "{out:#}");
    // blah: names only.
    let blah_dns = ask(
        end(SHOP, "blah"),
        end("kube-system", "coredns"),
        "UDP",
        json!(53),
    )
    .await;
    assert_eq!(blah_dns["allowed"], true, "{blah_dns:#}");
    let blah_web = ask(end(SHOP, "blah"), end(SHOP, "web"), "TCP", json!(8080)).await;
    assert_eq!(blah_web["allowed"], false, "{blah_web:#}");
    app.stop().await;
}

/// The text of every `<pre class="yaml"><code>` block of a rendered page, unescaped.
fn yaml_blocks(html: &str) -> Vec<String> {
    html.split(r#"<pre class="yaml"><code>"#)
        .skip(1)
        .filter_map(|rest| rest.split("</code></pre>").next())
        .map(|block| {
            block
                .replace("<!---->", "")
                .replace("<!>", "")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

/// `/networkpolicies/check`, the issue's "done when": in a namespace with the portal's baseline,
/// a developer learns that the frontend cannot reach the API, which policy isolates it, and
/// the smallest policies that would allow it; the what-if link shows them allowing it; once
/// they are applied to the cluster the page says allowed, quoting the rule, without a restart.
/// Bad input is named at its field; another team's namespace and no login are refused.
/// What approving request `id` for `namespace` creates with the default settings (the Namespace
/// and its baseline policies), and team-a's `edit` binding there, as YAML to apply.
fn baseline_namespace(namespace: &str, id: i64) -> String {
    use app::domain::provisioning::{ApprovedRequest, ProvisioningConfig, ProvisioningPlan};
    use app::domain::{NamespaceName, NamingPolicy};
    let request = ApprovedRequest {
        id,
        name: NamespaceName::parse(namespace, &NamingPolicy::default()).expect("a valid name"),
        requester: "alice@example.com".into(),
        groups: vec!["team-a".into()],
        labels: Default::default(),
    };
    let plan =
        ProvisioningPlan::for_request(&request, &ProvisioningConfig::default()).expect("a plan");
    let mut yaml = app::domain::networkpolicy::yaml::to_yaml(
        &serde_json::to_value(&plan.namespace).expect("JSON"),
    );
    yaml.push_str(&format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  \
         name: workload-admin\n  namespace: {namespace}\nroleRef:\n  \
         apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: edit\nsubjects:\n\
         - apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: team-a\n"
    ));
    for policy in &plan.network_policies {
        yaml.push_str("---\n");
        yaml.push_str(&app::domain::networkpolicy::to_yaml(policy));
    }
    yaml
}

#[tokio::test]
async fn the_check_page_finds_the_blocking_policy_and_the_suggestion_unblocks_it() {
    use portal_tests::{TestApp, helm, login};
    use std::time::{Duration, Instant};

    const NS: &str = "traffic-page";
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let mut yaml = baseline_namespace(NS, 2);
    for (name, ports) in [
        ("frontend", String::new()),
        (
            "api",
            "\n    ports:\n    - name: http\n      containerPort: 8080".to_owned(),
        ),
    ] {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {NS}\n  \
             labels:\n    app: {name}\nspec:\n  containers:\n  - name: {name}\n    \
             image: harbor.example.com/shop/{name}:1.0{ports}\n    \
             securityContext:\n      allowPrivilegeEscalation: false\n      \
             runAsNonRoot: true\n      capabilities:\n        drop: [ALL]\n      \
             seccompProfile:\n        type: RuntimeDefault\n"
        ));
    }
    for manifest in helm::documents(&yaml) {
        helm::apply(&admin, &manifest, false)
            .await
            .unwrap_or_else(|error| panic!("apply {} {}: {error}", manifest.kind, manifest.name));
    }

    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;
    let alice = login::logged_in(&app, "alice").await;
    let page = |client: reqwest::Client, query: String| {
        let url = app.url(&format!("/networkpolicies/check?{query}"));
        async move {
            let start = Instant::now();
            loop {
                let response = client.get(&url).send().await.expect("the portal answers");
                let status = response.status().as_u16();
                // Without the hydration markers between text nodes.
                let html = response
                    .text()
                    .await
                    .expect("a page")
                    .replace("<!>", "")
                    .replace("<!---->", "");
                // Just after start-up the watches are still listing.
                if status == 503 && start.elapsed() < Duration::from_secs(60) {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
                return (status, html);
            }
        }
    };
    let question = format!("ns={NS}&from=pod:frontend&to=pod:api&port=http");

    let (status, html) = page(alice.clone(), question.clone()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Now: denied"), "{html}");
    assert!(
        html.contains(&format!("Isolated by: <strong>{NS}/allow-dns, {NS}/allow-from-ingress-controller, {NS}/default-deny-all</strong>")),
        "the policy that isolates the Pods is named: {html}"
    );
    assert!(
        html.contains(r#"<a href="/faq/traffic-check" id="traffic-faq">"#),
        "no link to the FAQ entry: {html}"
    );
    let suggested = yaml_blocks(&html);
    assert_eq!(
        suggested.len(),
        2,
        "egress out of frontend, ingress into api: {suggested:?}"
    );
    assert!(
        suggested[1].contains("name: allow-frontend-to-api-8080"),
        "{suggested:?}"
    );

    // The what-if link: the same question with the suggestions pasted.
    let href = html
        .split(r#"id="try-suggestion""#)
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("a what-if link")
        .replace("&amp;", "&");
    let query = href.split_once('?').expect("a query").1.to_owned();
    let (status, html) = page(alice.clone(), query).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Now: denied"), "{html}");
    assert!(html.contains("With your policies: allowed"), "{html}");

    // Applied to the cluster, the page says allowed and quotes the rule, without a restart.
    for manifest in suggested.iter().flat_map(|yaml| helm::documents(yaml)) {
        helm::apply(&admin, &manifest, false)
            .await
            .unwrap_or_else(|error| panic!("apply {}: {error}", manifest.name));
    }
    let start = Instant::now();
    let html = loop {
        let (_, html) = page(alice.clone(), question.clone()).await;
        if html.contains("Now: allowed") || start.elapsed() > Duration::from_secs(30) {
            break html;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(html.contains("Now: allowed"), "{html}");
    assert!(
        html.contains(&format!("{NS}/allow-frontend-to-api-8080 spec.ingress[0]")),
        "the deciding rule is named: {html}"
    );
    let quoted = yaml_blocks(&html);
    assert!(
        quoted.iter().any(|q| q.starts_with("ingress:\n  - from:")),
        "{quoted:?}"
    );

    // A long what-if (ten policies with comments, a 12 KB link) is a page like any other.
    let long: Vec<String> = (0..10)
        .map(|i| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: try-{i}\n\
                 spec:\n  podSelector:\n    matchLabels:\n      app: api\n  ingress:\n  - from:\n    \
                 - podSelector:\n        matchLabels:\n          app: frontend\n{}",
                "# a comment, as pasted policies carry them, to make the link long\n".repeat(12)
            )
        })
        .collect();
    let long_query = format!(
        "{question}&whatif={}",
        app::links::query_value(&long.join("---\n"))
    );
    assert!(long_query.len() > 12_000, "{}", long_query.len());
    let (status, html) = page(alice.clone(), long_query).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("With your policies: allowed"), "{html}");

    // Bad input, named at its field; the page still answers 200 with the form kept.
    for (query, message) in [
        (
            format!("ns={NS}&from=pod:frontend&to=pod:api&port=0"),
            "0 is not a port",
        ),
        (
            format!("ns={NS}&from=pod:gone&to=pod:api&port=80"),
            "there is no Pod",
        ),
        (
            format!("ns={NS}&from=pod:frontend&to=ip&to_ip=10.0.0.0/8&port=80"),
            "without a prefix length",
        ),
        (
            format!("ns={NS}&from=internet&to=internet&port=80"),
            "one end must be a Pod",
        ),
        (
            format!("ns={NS}&from=labels&from_labels=app:web&to=pod:api&port=80"),
            "key=value",
        ),
        (
            format!("ns={NS}&from=pod:frontend&to=pod:api&port=80&whatif=kind:%20Deployment"),
            "cannot be used",
        ),
    ] {
        let (status, html) = page(alice.clone(), query.clone()).await;
        assert_eq!(status, 200, "{query}: {html}");
        assert!(html.contains(message), "{query}: {message}: {html}");
    }
    // Another team's namespace and no login: refused, in words.
    let (status, html) = page(
        alice.clone(),
        "ns=kube-system&from=internet&to=pod:x&port=1".into(),
    )
    .await;
    assert_eq!(status, 404, "{html}");
    assert!(html.contains("is not one of your namespaces"), "{html}");
    let (status, html) = page(reqwest::Client::new(), question.clone()).await;
    assert_eq!(status, 401, "{html}");
    assert!(html.contains("log in to see the connections"), "{html}");
    app.stop().await;
}

/// The policy map of a live namespace: the baseline groups every Pod together, lets in only
/// the ingress controller and out only DNS; two policies applied split the Pods by the label
/// they select, and the flow between them appears, without a restart. The picture is SVG in
/// the page itself, and the same flows are a table.
#[tokio::test]
async fn the_policy_map_draws_the_live_flows_and_follows_a_change() {
    use portal_tests::{TestApp, helm, login};
    use std::time::{Duration, Instant};

    const NS: &str = "traffic-map";
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let mut yaml = baseline_namespace(NS, 3);
    for (name, app_label) in [("frontend", "frontend"), ("api", "api"), ("api-2", "api")] {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {NS}\n  \
             labels:\n    app: {app_label}\nspec:\n  containers:\n  - name: {name}\n    \
             image: harbor.example.com/shop/{app_label}:1.0\n    \
             ports:\n    - name: http\n      containerPort: 8080\n    \
             securityContext:\n      allowPrivilegeEscalation: false\n      \
             runAsNonRoot: true\n      capabilities:\n        drop: [ALL]\n      \
             seccompProfile:\n        type: RuntimeDefault\n"
        ));
    }
    for manifest in helm::documents(&yaml) {
        helm::apply(&admin, &manifest, false)
            .await
            .unwrap_or_else(|error| panic!("apply {} {}: {error}", manifest.kind, manifest.name));
    }

    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;
    let alice = login::logged_in(&app, "alice").await;
    let page = |client: reqwest::Client, query: String| {
        let url = app.url(&format!("/networkpolicies/map?{query}"));
        async move {
            let start = Instant::now();
            loop {
                let response = client.get(&url).send().await.expect("the portal answers");
                let status = response.status().as_u16();
                let html = response
                    .text()
                    .await
                    .expect("a page")
                    .replace("<!>", "")
                    .replace("<!---->", "");
                if status == 503 && start.elapsed() < Duration::from_secs(60) {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
                return (status, html);
            }
        }
    };
    // Waits until the Pods are all listed (the watches start with the portal).
    let until = |query: String, wanted: &'static str| {
        let page = &page;
        let alice = alice.clone();
        async move {
            let start = Instant::now();
            loop {
                let (status, html) = page(alice.clone(), query.clone()).await;
                if html.contains(wanted) || start.elapsed() > Duration::from_secs(30) {
                    return (status, html);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    let row = |from: &str, to: &str, ports: &str| {
        format!("<tr><td>{from}</td><td>{to}</td><td>{ports}</td>")
    };
    // Any flow from `from` to `to`, whatever its ports.
    let pair = |from: &str, to: &str| format!("<tr><td>{from}</td><td>{to}</td><td>");

    let (status, html) = until(format!("ns={NS}"), "api, api-2, frontend").await;
    assert_eq!(status, 200, "{html}");
    // One group: the baseline selects no Pod by a label.
    assert!(
        html.contains("<td>Pods no policy tells apart</td><td>api, api-2, frontend</td>"),
        "{html}"
    );
    assert!(
        html.contains("3 Pods in 1 group, 3 policies, 2 allowed flows."),
        "{html}"
    );
    let everyone = "Pods no policy tells apart";
    assert!(
        html.contains(&row("the ingress controller", everyone, "every port")),
        "{html}"
    );
    assert!(
        html.contains(&row(everyone, "the cluster DNS", "TCP 53; UDP 53")),
        "{html}"
    );
    assert!(!html.contains(&pair(everyone, everyone)), "{html}");
    // The picture, in the page as served: no script draws it.
    let svg = html
        .split("<svg")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .expect("an SVG picture");
    assert!(
        svg.contains(r#"role="img""#) && svg.contains("<desc id=\"map-desc\">"),
        "{svg}"
    );
    assert_eq!(svg.matches("<path").count(), 2, "one line per flow: {svg}");
    assert!(
        svg.contains(
            "<title>From the ingress controller to Pods no policy tells apart: every port</title>"
        ),
        "{svg}"
    );

    // The page points at the FAQ entry that explains it.
    assert!(
        html.contains(r#"<a href="/faq/traffic-check" id="traffic-faq">"#),
        "no link to the FAQ entry: {html}"
    );
    // The drawn map is in the page once: the hydration data does not carry it again.
    assert!(
        !html.contains("ingressIsolatedBy") && !html.contains("namedPorts"),
        "the map's data is in the page's hydration data: {html}"
    );
    // What the hydrated page polls: a number that stays while the map does.
    let version = |client: reqwest::Client, namespace: String| {
        let url = app.url("/api/traffic/map-version");
        let origin = app.url("");
        async move {
            let response = client
                .post(url)
                .header(reqwest::header::ORIGIN, origin)
                .form(&[("namespace", namespace)])
                .send()
                .await
                .expect("the portal answers");
            let status = response.status().as_u16();
            (status, response.text().await.expect("a body"))
        }
    };
    let (status, before) = version(alice.clone(), NS.to_owned()).await;
    assert_eq!(status, 200, "{before}");
    assert!(before.parse::<u64>().is_ok(), "{before}");
    assert_eq!(
        version(alice.clone(), NS.to_owned()).await,
        (200, before.clone())
    );
    let (status, body) = version(alice.clone(), "kube-system".to_owned()).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("is not one of your namespaces"), "{body}");
    let (status, body) = version(reqwest::Client::new(), NS.to_owned()).await;
    assert_eq!(status, 401, "{body}");

    // Let the frontend reach the API on its http port: both sides, as the check page suggests.
    let allow = format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-from-frontend\n  \
         namespace: {NS}\nspec:\n  podSelector:\n    matchLabels:\n      app: api\n  \
         ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: frontend\n    \
         ports:\n    - port: http\n\
         ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: frontend-to-api\n  \
         namespace: {NS}\nspec:\n  podSelector:\n    matchLabels:\n      app: frontend\n  \
         policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector:\n        matchLabels:\n          \
         app: api\n    ports:\n    - port: 8080\n"
    );
    for manifest in helm::documents(&allow) {
        helm::apply(&admin, &manifest, false)
            .await
            .unwrap_or_else(|error| panic!("apply {}: {error}", manifest.name));
    }
    let (status, html) = until(format!("ns={NS}"), "5 policies").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("<td>app=api</td><td>api, api-2</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>app=frontend</td><td>frontend</td>"),
        "{html}"
    );
    assert!(
        html.contains(&row("app=frontend", "app=api", "TCP 8080")),
        "{html}"
    );
    assert!(
        html.contains(&format!("ingress: {NS}/api-from-frontend spec.ingress[0]")),
        "the rule that allows it is named: {html}"
    );
    assert!(!html.contains(&pair("app=api", "app=frontend")), "{html}");
    // One group's flows: those from and to the frontend's.
    let (status, html) = page(alice.clone(), format!("ns={NS}&pod=frontend")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Only the flows from and to the group of Pod frontend (app=frontend)."),
        "{html}"
    );
    assert!(
        html.contains(&row("app=frontend", "app=api", "TCP 8080")),
        "{html}"
    );
    assert!(
        html.contains(&pair("the ingress controller", "app=frontend")),
        "{html}"
    );
    assert!(
        !html.contains(&pair("the ingress controller", "app=api")),
        "{html}"
    );
    // A Pod that is not there, or a name that is not one: the whole map, and a note saying so.
    let (status, html) = page(alice.clone(), format!("ns={NS}&pod=%3Cb%3Eghost")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("No Pod &lt;b&gt;ghost is in this namespace now; this is the whole map."),
        "{html}"
    );
    assert!(
        html.contains(&pair("the ingress controller", "app=api")),
        "{html}"
    );
    let (status, after) = version(alice.clone(), NS.to_owned()).await;
    assert_eq!(status, 200, "{after}");
    assert_ne!(
        after, before,
        "the new policies changed the map, and its version"
    );
    assert!(html.contains(&format!(
        "/networkpolicies/check?ns={NS}&amp;from=pod%3Afrontend&amp;to=pod%3Aapi&amp;protocol=TCP&amp;port=8080"
    )), "each flow links to the check: {html}");

    // Another team's namespace, a name that is not one, a very long one, and no login.
    for query in [
        "ns=kube-system".to_owned(),
        "ns=..%2F..%2Fetc".to_owned(),
        format!("ns={}", "a".repeat(1000)),
    ] {
        let (status, html) = page(alice.clone(), query.clone()).await;
        assert_eq!(status, 404, "{query}: {html}");
        assert!(
            html.contains("is not one of your namespaces"),
            "{query}: {html}"
        );
    }
    let (status, html) = page(reqwest::Client::new(), format!("ns={NS}")).await;
    assert_eq!(status, 401, "{html}");
    assert!(html.contains("log in to see the connections"), "{html}");
    app.stop().await;
}

/// When the portal's RBAC lacks get/list/watch on Pods, the check and the map say which
/// permission is missing (503) instead of "still reading" for ever. The portal runs as a user
/// bound to the chart's ClusterRole with its rule on Pods taken out.
#[tokio::test]
async fn without_the_pods_rule_the_traffic_pages_name_the_missing_permission() {
    use portal_tests::{TestApp, helm, login};
    use std::time::{Duration, Instant};

    const USER: &str = "portal-without-pods";
    let cluster = TestCluster::shared();
    cluster.install_portal_rbac().await;
    let admin = cluster.admin_client().await;
    let rendered = helm::render(
        "welkin-portal",
        "welkin-portal",
        &["ci/minimal-values.yaml"],
        &[],
        &["--show-only", "templates/rbac.yaml"],
    )
    .unwrap_or_else(|error| panic!("helm template deploy/chart: {error}"));
    let role = helm::documents(&rendered)
        .into_iter()
        .find(|m| m.kind == "ClusterRole" && m.name == "welkin-portal")
        .expect("the chart's ClusterRole");
    let lines: Vec<&str> = role.yaml.lines().collect();
    let pods = lines
        .iter()
        .position(|line| line.trim() == r#"resources: ["pods"]"#)
        .expect("the chart grants the portal Pods");
    let without: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !(pods - 1..=pods + 1).contains(i))
        .map(|(_, line)| *line)
        .collect();
    let without = without
        .join("\n")
        .replacen("name: welkin-portal", &format!("name: {USER}"), 1);
    assert!(!without.contains(r#"["pods"]"#), "{without}");
    let binding = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {USER}\n\
         roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {USER}\n\
         subjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: {USER}\n"
    );
    for manifest in helm::documents(&without)
        .into_iter()
        .chain(helm::documents(&binding))
    {
        helm::apply(&admin, &manifest, false)
            .await
            .unwrap_or_else(|error| panic!("apply {} {}: {error}", manifest.kind, manifest.name));
    }
    // The admin's kubeconfig, acting as that user (kubectl's `as`).
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let text = std::fs::read_to_string(&kubeconfig).expect("the kubeconfig");
    let admin_text = std::fs::read_to_string(cluster.dir.join("kubeconfig")).expect("admin");
    let token_line = admin_text
        .lines()
        .find(|line| line.trim_start().starts_with("token:"))
        .expect("a token line");
    let indent = &token_line[..token_line.len() - token_line.trim_start().len()];
    let acting = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("token:") {
                format!("{token_line}\n{indent}as: {USER}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&kubeconfig, acting).expect("write the kubeconfig");

    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;
    let alice = login::logged_in(&app, "alice").await;
    for path in [
        "/networkpolicies/check?ns=team-a-shop&from=internet&to=pod:api&port=80",
        "/networkpolicies/map?ns=team-a-shop",
    ] {
        let start = Instant::now();
        let (status, html) = loop {
            let response = alice.get(app.url(path)).send().await.expect("an answer");
            let status = response.status().as_u16();
            let html = response.text().await.expect("a page");
            if html.contains("may not read") || start.elapsed() > Duration::from_secs(30) {
                break (status, html);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        assert_eq!(status, 503, "{path}: {html}");
        assert!(
            html.contains("the portal may not read the cluster's pods: its ServiceAccount needs get, list and watch on them"),
            "{path}: {html}"
        );
    }
    // The API says the same, as JSON.
    let response = alice
        .post(app.url("/api/v1/networkpolicies/check"))
        .json(&serde_json::json!({
            "namespace": "team-a-shop",
            "connection": {"source": {"kind": "outside"}, "destination": {"kind": "outside"}, "port": 80}
        }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body.to_string().contains("may not read the cluster's pods"),
        "{body}"
    );
    app.stop().await;
}
