//! The "done when", in headless Chromium: alice requests `team-a-shop` (hydrated, with
//! the name checked as she types and the form before it is sent), root approves it without JavaScript, the Namespace, its
//! RoleBinding and NetworkPolicies exist in the real API server, alice's open page turns to
//! "ready" without a reload, and the audit page tells the whole story. Then every page each of
//! them sees, with JavaScript on and off and in both colour schemes: no axe-core violation, and
//! nothing scrolls sideways on a phone.

use k8s_openapi::api::{
    core::v1::{Namespace, Pod},
    networking::v1::NetworkPolicy,
    rbac::v1::RoleBinding,
};
use kube::api::{Api, ListParams, PostParams};
use portal_tests::{Browser, JavaScript, Scheme, TestApp, TestCluster, TestIdp};

#[tokio::test]
async fn alice_requests_root_approves_and_alice_sees_it_ready() -> anyhow::Result<()> {
    let cluster = TestCluster::shared();
    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let app = TestApp::spawn_with_login_and(move |config| {
        config.kubeconfig = Some(kubeconfig);
        config.reconcile_interval_seconds = 1;
    })
    .await;
    let alice = Browser::start(&app.url(""), JavaScript::On).await?;
    let root = Browser::start(&app.url(""), JavaScript::Off).await?;

    let id = alice
        .check("namespace_request_alice", async |b| {
            b.goto("/namespaces/new").await?;
            b.sign_in("alice").await?;
            anyhow::ensure!(
                b.client.current_url().await?.path() == "/namespaces/new",
                "login returns to the form"
            );
            b.wait_for_hydration().await?;
            b.fill("#ns-name", "Team-A").await?;
            b.wait_for_text("#ns-name-problem", "lowercase").await?;
            b.fill("#ns-name", "kube-shop").await?;
            b.wait_for_text("#ns-name-problem", "reserved for Kubernetes")
                .await?;
            b.fill("#ns-name", "team-a-shop").await?;
            anyhow::ensure!(b.text("#ns-name-problem").await?.is_empty(), "a good name");
            b.fill("#ns-purpose", "The web shop, for team A.").await?;
            // The whole form is checked in the browser before it is sent, by the server's rules:
            // without a group nothing is posted, and what was typed stays.
            b.find("#group-team-a").await?.click().await?;
            // A mark on this page's window: a post (and the server's redirect back) would
            // load a new page without it.
            b.client.execute("window.notPosted = true;", vec![]).await?;
            b.find("#submit-request").await?.click().await?;
            b.wait_for_text("#form-problem", "Choose at least one group")
                .await?;
            anyhow::ensure!(
                b.client
                    .execute("return window.notPosted === true;", vec![])
                    .await?
                    == serde_json::Value::Bool(true),
                "a refused form is not posted"
            );
            anyhow::ensure!(
                b.find("#ns-name").await?.prop("value").await?.as_deref() == Some("team-a-shop"),
                "the name typed stays"
            );
            b.find("#group-team-a").await?.click().await?;
            b.find("#submit-request").await?.click().await?;
            b.wait_for_text("#outcome", "Your request was sent").await?;
            b.wait_for_text("#request-summary", "pending").await?;
            let url = b.client.current_url().await?;
            let id = url
                .path()
                .trim_start_matches("/namespaces/")
                .parse::<i64>()?;
            Ok(id)
        })
        .await?;

    root.check("namespace_request_root", async |b| {
        b.goto("/admin/requests").await?;
        b.sign_in("root").await?;
        b.wait_for_text("#queue", "team-a-shop").await?;
        b.find(&format!("#queue tr[data-request='{id}'] a"))
            .await?
            .click()
            .await?;
        b.wait_for_text("#manifests-title", "What approval creates")
            .await?;
        b.find("#approve-request").await?.click().await?;
        b.wait_for_text("#timeline", "approved by root@example.com")
            .await?;
        Ok(())
    })
    .await?;

    alice
        .check("namespace_request_alice_ready", async |b| {
            // The page alice left open follows the request: no reload.
            b.wait_for_text("#request-summary", "ready").await?;
            b.wait_for_text("#request-summary", "kubectl config set-context")
                .await?;
            // The page says what happened now, not what was true when it was sent.
            anyhow::ensure!(
                !b.exists("#outcome").await?,
                "the 'will look at it' banner stayed"
            );
            b.wait_for_text("#manifests-title", "What was created")
                .await?;
            let policy = b.find("#ready-policy").await?.attr("href").await?;
            anyhow::ensure!(
                policy.as_deref() == Some("/networkpolicies?ns=team-a-shop"),
                "{policy:?}"
            );
            let timeline = b.text("#timeline").await?;
            anyhow::ensure!(
                timeline.contains("by the portal") && !timeline.contains("/"),
                "the timeline names people and the portal, not a process: {timeline}"
            );
            let issuer = &TestIdp::shared().issuer;
            let errors: Vec<_> = b
                .console_errors()
                .await?
                .into_iter()
                .filter(|e| !e.contains(issuer.as_str()))
                .collect();
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;

    let admin = cluster.admin_client().await;
    let namespace = Api::<Namespace>::all(admin.clone())
        .get("team-a-shop")
        .await?;
    let labels = namespace.metadata.labels.unwrap_or_default();
    anyhow::ensure!(
        labels
            .get("portal.welkin.dev/requester")
            .map(String::as_str)
            == Some("alice-example.com")
    );
    let binding = Api::<RoleBinding>::namespaced(admin.clone(), "team-a-shop")
        .get("workload-admin")
        .await?;
    anyhow::ensure!(
        binding
            .subjects
            .unwrap_or_default()
            .iter()
            .any(|s| s.kind == "Group" && s.name == "team-a")
    );
    let policies = Api::<NetworkPolicy>::namespaced(admin.clone(), "team-a-shop")
        .list(&ListParams::default())
        .await?;
    anyhow::ensure!(
        policies.items.len() == 3,
        "{} policies",
        policies.items.len()
    );
    // Two Pods, so that the policy map has boxes and lines for axe and the phone width.
    let pods = Api::<Pod>::namespaced(admin.clone(), "team-a-shop");
    for name in ["web", "api"] {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": name, "labels": { "app": name } },
            "spec": { "containers": [{
                "name": name,
                "image": format!("harbor.example.com/shop/{name}:1.0"),
                "ports": [{ "name": "http", "containerPort": 8080 }],
                "resources": { "requests": { "cpu": "10m", "memory": "16Mi" },
                               "limits": { "cpu": "100m", "memory": "64Mi" } },
                "securityContext": {
                    "allowPrivilegeEscalation": false, "runAsNonRoot": true,
                    "capabilities": { "drop": ["ALL"] },
                    "seccompProfile": { "type": "RuntimeDefault" }
                }
            }] }
        }))?;
        pods.create(&PostParams::default(), &pod).await?;
    }
    // Hydrated, the check form asks through its server function (no page load) and answers.
    alice
        .check("traffic_check_hydrated", async |b| {
            b.goto("/networkpolicies/check?ns=team-a-shop").await?;
            b.wait_for_hydration().await?;
            b.find("#from").await?.select_by_value("pod:web").await?;
            b.find("#to").await?.select_by_value("pod:api").await?;
            b.fill("#port", "http").await?;
            b.find("#check").await?.click().await?;
            let answer = b.wait_for_text("#traffic-answer", "Now: denied").await?;
            anyhow::ensure!(answer.contains("default-deny-all"), "{answer}");
            Ok(())
        })
        .await?;
    // The hydrated map redraws when the cluster changes, with no reload: a policy applied
    // while it is open splits the Pods into two groups.
    alice
        .check("policy_map_follows_the_cluster", async |b| {
            b.goto("/networkpolicies/map?ns=team-a-shop").await?;
            b.wait_for_hydration().await?;
            b.wait_for_text("#map-summary", "2 Pods in 1 group, 3 policies")
                .await?;
            let policy: NetworkPolicy = serde_json::from_value(serde_json::json!({
                "metadata": { "name": "web-from-api", "namespace": "team-a-shop" },
                "spec": {
                    "podSelector": { "matchLabels": { "app": "web" } },
                    "ingress": [{ "from": [{ "podSelector": { "matchLabels": { "app": "api" } } }],
                                  "ports": [{ "port": "http" }] }]
                }
            }))?;
            Api::<NetworkPolicy>::namespaced(admin.clone(), "team-a-shop")
                .create(&PostParams::default(), &policy)
                .await?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let summary = b.text("#map-summary").await?;
                if summary.contains("2 Pods in 2 groups, 4 policies") {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    let errors = b.console_errors().await?;
                    anyhow::bail!("the map never redrew: {summary}; console: {errors:#?}");
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            let groups = b.text("#groups").await?;
            anyhow::ensure!(
                groups.contains("app=web") && groups.contains("web-from-api"),
                "{groups}"
            );
            Ok(())
        })
        .await?;

    root.check("namespace_request_audit", async |b| {
        b.goto(&format!("/admin/audit?subject=namespace_request/{id}"))
            .await?;
        let trail = b.text("#audit").await?;
        for action in [
            "namespace_request.created",
            "namespace_request.approved",
            "namespace_request.provisioning_started",
            "namespace_request.provisioning_succeeded",
        ] {
            anyhow::ensure!(trail.contains(action), "the trail lacks {action}:\n{trail}");
        }
        Ok(())
    })
    .await?;

    alice.close().await?;
    root.close().await?;

    // Every page, as each user sees it, with JavaScript on and off, in the light and the dark
    // scheme: axe-core finds no violation at desktop width, and on a phone (390 px wide) no
    // page scrolls sideways (tables and command blocks fit or scroll inside their own box).
    for javascript in [JavaScript::On, JavaScript::Off] {
        for scheme in [Scheme::Light, Scheme::Dark] {
            for who in ["alice", "root"] {
                let b = Browser::start_in(&app.url(""), javascript, scheme).await?;
                let name = format!("every_page_{who}_{javascript:?}_{scheme:?}");
                b.check(&name, async |b| {
                    b.goto("/namespaces").await?;
                    b.sign_in(who).await?;
                    let mut found = Vec::new();
                    for path in pages_for(who, id) {
                        b.goto(&path).await?;
                        if javascript == JavaScript::On {
                            b.wait_for_hydration().await?;
                        }
                        for violation in b.axe().await? {
                            found.push(format!("{path}: {violation}"));
                        }
                    }
                    b.client.set_window_size(390, 844).await?;
                    for path in pages_for(who, id) {
                        b.goto(&path).await?;
                        let width = b
                            .client
                            .execute(
                                "return [document.documentElement.scrollWidth, window.innerWidth]",
                                vec![],
                            )
                            .await?;
                        let (page, viewport) = (width[0].as_i64(), width[1].as_i64());
                        if page > viewport {
                            found.push(format!(
                                "{path}: scrolls sideways at 390 px ({page:?} px in {viewport:?})"
                            ));
                        }
                    }
                    anyhow::ensure!(found.is_empty(), "{name}:\n{}", found.join("\n"));
                    Ok(())
                })
                .await?;
                b.close().await?;
            }
        }
    }
    Ok(())
}

/// The pages `who` can open once `team-a-shop` (request `id`) is ready.
fn pages_for(who: &str, id: i64) -> Vec<String> {
    match who {
        "alice" => vec![
            "/".into(),
            "/namespaces".into(),
            "/namespaces/new".into(),
            format!("/namespaces/{id}"),
            "/access".into(),
            "/access/team-a-shop".into(),
            "/faq".into(),
            "/faq?q=kubectl+run".into(),
            "/faq/kubectl-run-refused".into(),
            "/networkpolicies".into(),
            "/networkpolicies?preset=default-deny&ns=team-a-shop".into(),
            "/networkpolicies/run".into(),
            "/preflight".into(),
            "/networkpolicies/check".into(),
            "/networkpolicies/check?ns=team-a-shop&from=labels&from_labels=app%3Dweb&to=internet&port=443"
                .into(),
            "/networkpolicies/check?ns=team-a-shop&from=internet&to=internet&port=0".into(),
            "/networkpolicies/map".into(),
            "/networkpolicies/map?ns=team-a-shop".into(),
            "/kubeconfig".into(),
            "/no-such-page".into(),
        ],
        _ => vec![
            "/".into(),
            "/admin".into(),
            "/admin/requests".into(),
            format!("/namespaces/{id}"),
            "/admin/audit".into(),
            "/admin/access".into(),
            "/admin/faq".into(),
        ],
    }
}
