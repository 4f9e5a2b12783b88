//! Namespace requests through the portal over HTTP, with the real identity provider, a real
//! kube-apiserver (the portal acting with only the RBAC the chart ships) and both database
//! backends: the whole story, every kind of refused input, the guards, and the faults (the
//! portal stopped between approval and provisioning, the API server gone during provisioning).

use k8s_openapi::api::{core::v1::Namespace, networking::v1::NetworkPolicy, rbac::v1::RoleBinding};
use kube::api::{Api, ListParams};
use portal_tests::{
    TcpProxy, TestApp, TestCluster, TestDatabase,
    login::{location, logged_in},
    on_every_backend,
};
use reqwest::{Client, StatusCode, header};
use server::config::Config;
use std::{path::PathBuf, time::Duration};

on_every_backend!(
    alice_requests_root_approves_and_the_namespace_is_ready,
    a_portal_stopped_between_approval_and_provisioning_finishes_after_restart,
    the_api_server_gone_during_provisioning_fails_clearly_and_a_retry_succeeds,
    every_kind_of_bad_request_is_refused_with_its_reason_and_nothing_is_stored,
    a_name_in_the_cluster_or_held_by_an_open_request_is_refused,
    the_open_request_limit_is_enforced,
    only_administrators_decide_rejection_needs_a_comment_and_requests_are_private,
    the_requester_cancels_a_pending_request_once,
    with_welkins_settings_a_second_administrator_approves_and_the_team_can_work,
    a_failed_request_can_be_cancelled_or_rejected_and_frees_the_requesters_slot,
    kubernetes_own_groups_are_never_granted_not_even_by_an_administrator,
    a_refused_form_comes_back_once_from_the_session_and_never_in_the_address,
    logins_logouts_and_refused_administrator_actions_are_audited,
);

/// A namespace name of this test's own on this backend (both backends share one API server).
fn unique(db: &TestDatabase, name: &str) -> String {
    if db.url.starts_with("sqlite") {
        name.to_owned()
    } else {
        format!("{name}-pg")
    }
}

/// The portal with login, on `database_url`, provisioning into `kubeconfig` when given.
async fn portal(database_url: Option<String>, kubeconfig: Option<PathBuf>) -> TestApp {
    portal_with(database_url, kubeconfig, |_| {}).await
}

async fn portal_with(
    database_url: Option<String>,
    kubeconfig: Option<PathBuf>,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    TestApp::spawn_with_login_and(move |config| {
        if let Some(url) = database_url {
            config.database_url = url.into();
        }
        config.kubeconfig = kubeconfig;
        config.reconcile_interval_seconds = 1;
        config.namespace_label_keys = vec!["cost-center".into()];
        configure(config);
    })
    .await
}

/// A cluster with the portal's RBAC installed, and a kubeconfig acting as the portal.
async fn cluster() -> (&'static TestCluster, PathBuf) {
    let cluster = TestCluster::shared();
    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    (cluster, kubeconfig)
}

/// A form post the way a browser makes it (with its Origin), not following the redirect.
async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header(header::ORIGIN, app.url(""))
        .form(form)
        .send()
        .await
        .expect("the portal answers")
}

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = client.get(app.url(path)).send().await.expect("answers");
    let status = response.status();
    (status, response.text().await.expect("a body"))
}

/// Sends the request form; returns the new request's id.
async fn request(app: &TestApp, client: &Client, name: &str, groups: &[&str]) -> i64 {
    let mut form = vec![
        ("name", name),
        ("purpose", "The web shop's staging environment."),
    ];
    form.extend(groups.iter().map(|group| ("groups", *group)));
    let response = post(app, client, "/namespaces/new", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response);
    let id = target
        .strip_prefix("/namespaces/")
        .and_then(|rest| rest.strip_suffix("?outcome=created"))
        .unwrap_or_else(|| panic!("the request was refused: {target}"));
    id.parse().expect("an id")
}

/// The status the request's page shows.
async fn status_of(app: &TestApp, client: &Client, id: i64) -> String {
    let (status, body) = page(app, client, &format!("/namespaces/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let marker = "id=\"request-summary\" data-status=\"";
    let start = body.find(marker).expect("the summary") + marker.len();
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_for_status(app: &TestApp, client: &Client, id: i64, wanted: &str) {
    let mut seen = String::new();
    for _ in 0..150 {
        seen = status_of(app, client, id).await;
        if seen == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("request {id} is {seen}, not {wanted}, after 15 s");
}

/// Where a refused form sends the browser, and the page it shows there.
async fn refusal(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> String {
    let response = post(app, client, "/namespaces/new", form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response);
    // The refused form waits in the session; the address carries none of it.
    assert_eq!(target, "/namespaces/new");
    let (status, body) = page(app, client, &target).await;
    assert_eq!(status, StatusCode::OK);
    body
}

async fn alice_requests_root_approves_and_the_namespace_is_ready(db: TestDatabase) {
    let (cluster, kubeconfig) = cluster().await;
    let name = if db.url.starts_with("sqlite") {
        "team-a-shop"
    } else {
        "team-a-shop-pg"
    };
    let app = portal(Some(db.url.clone()), Some(kubeconfig)).await;
    let alice = logged_in(&app, "alice").await;
    let root = logged_in(&app, "root").await;

    let (status, form) = page(&app, &alice, "/namespaces/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("id=\"request-form\""), "{form}");
    assert!(
        form.contains("value=\"team-a\""),
        "alice may choose her group"
    );
    assert!(
        !form.contains("other_groups"),
        "developers choose only their own groups"
    );

    let response = post(
        &app,
        &alice,
        "/namespaces/new",
        &[
            ("name", name),
            ("purpose", "The web shop's staging environment."),
            ("groups", "team-a"),
            ("label.cost-center", "cc-4711"),
        ],
    )
    .await;
    let target = location(&response);
    let id: i64 = target
        .trim_start_matches("/namespaces/")
        .trim_end_matches("?outcome=created")
        .parse()
        .unwrap_or_else(|_| panic!("created: {target}"));
    assert_eq!(status_of(&app, &alice, id).await, "pending");
    let (_, mine) = page(&app, &alice, "/namespaces").await;
    assert!(mine.contains(name), "alice's list shows the request");

    // The queue shows it to root, with the manifests approval will apply.
    let (status, queue) = page(&app, &root, "/admin/requests?status=pending").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(name), "{queue}");
    let (_, detail) = page(&app, &root, &format!("/namespaces/{id}")).await;
    for expected in [
        "kind: Namespace",
        "kind: RoleBinding",
        "name: workload-admin",
        "kind: NetworkPolicy",
        "cost-center: cc-4711",
    ] {
        assert!(detail.contains(expected), "the plan shows {expected:?}");
    }
    assert!(detail.contains("id=\"approve-request\""));

    let response = post(&app, &root, &format!("/admin/requests/{id}/approve"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=approved")
    );
    wait_for_status(&app, &alice, id, "ready").await;

    // It exists in the API server exactly as planned.
    let admin = cluster.admin_client().await;
    let namespace = Api::<Namespace>::all(admin.clone())
        .get(name)
        .await
        .expect("exists");
    let labels = namespace.metadata.labels.expect("labels");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "welkin-portal");
    assert_eq!(labels["portal.welkin.dev/request-id"], id.to_string());
    assert_eq!(labels["portal.welkin.dev/requester"], "alice-example.com");
    assert_eq!(labels["cost-center"], "cc-4711");
    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "restricted");
    let binding = Api::<RoleBinding>::namespaced(admin.clone(), name)
        .get("workload-admin")
        .await
        .expect("exists");
    assert_eq!(binding.role_ref.name, "admin");
    let subjects: Vec<(String, String)> = binding
        .subjects
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.kind, s.name))
        .collect();
    assert_eq!(subjects, [("Group".to_owned(), "team-a".to_owned())]);
    let policies = Api::<NetworkPolicy>::namespaced(admin, name)
        .list(&ListParams::default())
        .await
        .expect("list");
    assert_eq!(policies.items.len(), 3);

    // The audit trail tells the whole story, on the page and in both exports.
    let (status, audit) = page(
        &app,
        &root,
        &format!("/admin/audit?subject=namespace_request/{id}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        audit.contains(&format!(
            r#"<a href="/namespaces/{id}" title="namespace_request/{id}">{name}"#
        )) && audit.contains(&format!("(request {id})")),
        "the trail names the namespace, linked to its request:\n{}",
        audit
            .find("<table id=\"audit\"")
            .map_or(audit.as_str(), |at| &audit[at..])
    );
    for action in [
        "created",
        "approved",
        "provisioning_started",
        "provisioning_succeeded",
    ] {
        assert!(
            audit.contains(&format!("namespace_request.{action}")),
            "{action}"
        );
    }
    let csv = root
        .get(app.url(&format!("/admin/audit.csv?subject=namespace_request/{id}")))
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.expect("csv");
    assert_eq!(csv.lines().count(), 5, "a header and four events:\n{csv}");
    let json: Vec<serde_json::Value> = root
        .get(app.url(&format!("/admin/audit.json?subject=namespace_request/{id}")))
        .send()
        .await
        .expect("export")
        .json()
        .await
        .expect("JSON");
    assert_eq!(json.len(), 4);
    // Newest first: provisioning finished, started, root approved, alice asked.
    assert_eq!(
        json[0]["action"],
        "namespace_request.provisioning_succeeded"
    );
    assert_eq!(json[2]["actor"], "root@example.com");
    assert_eq!(json[3]["actor"], "alice@example.com");
}

async fn a_portal_stopped_between_approval_and_provisioning_finishes_after_restart(
    db: TestDatabase,
) {
    let (cluster, kubeconfig) = cluster().await;
    let name = if db.url.starts_with("sqlite") {
        "team-a-restarted"
    } else {
        "team-a-restarted-pg"
    };
    // First without a cluster: the approval is recorded, provisioning cannot start.
    let first = portal(Some(db.url.clone()), None).await;
    let alice = logged_in(&first, "alice").await;
    let root = logged_in(&first, "root").await;
    let id = request(&first, &alice, name, &["team-a"]).await;
    post(&first, &root, &format!("/admin/requests/{id}/approve"), &[]).await;
    assert_eq!(status_of(&first, &alice, id).await, "approved");
    let (_, detail) = page(&first, &alice, &format!("/namespaces/{id}")).await;
    assert!(detail.contains("not connected to a cluster"), "{detail}");
    drop(first);

    // The next start, now with the cluster, resumes it. Sessions live in the database too.
    let second = portal(Some(db.url.clone()), Some(kubeconfig)).await;
    wait_for_status(&second, &alice, id, "ready").await;
    Api::<Namespace>::all(cluster.admin_client().await)
        .get(name)
        .await
        .expect("created after the restart");
}

async fn the_api_server_gone_during_provisioning_fails_clearly_and_a_retry_succeeds(
    db: TestDatabase,
) {
    let (cluster, _) = cluster().await;
    let target = cluster
        .server
        .trim_start_matches("https://")
        .parse()
        .expect("host:port");
    let mut proxy = TcpProxy::start(target).await;
    let kubeconfig = cluster.portal_kubeconfig(&format!("https://127.0.0.1:{}", proxy.port));
    let app = portal(Some(db.url.clone()), Some(kubeconfig)).await;
    let alice = logged_in(&app, "alice").await;
    let root = logged_in(&app, "root").await;
    let id = request(&app, &alice, &unique(&db, "team-a-flaky"), &["team-a"]).await;

    proxy.stop().await;
    post(&app, &root, &format!("/admin/requests/{id}/approve"), &[]).await;
    wait_for_status(&app, &alice, id, "failed").await;
    let (_, detail) = page(&app, &alice, &format!("/namespaces/{id}")).await;
    assert!(
        detail.contains("could not be reached"),
        "the requester sees why"
    );
    assert!(
        !detail.contains("id=\"retry-request\""),
        "only administrators retry"
    );
    let (_, detail) = page(&app, &root, &format!("/namespaces/{id}")).await;
    assert!(detail.contains("id=\"retry-request\""), "{detail}");

    proxy.resume().await;
    let response = post(&app, &root, &format!("/admin/requests/{id}/retry"), &[]).await;
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=retried")
    );
    wait_for_status(&app, &alice, id, "ready").await;
    let (_, audit) = page(
        &app,
        &root,
        &format!("/admin/audit?subject=namespace_request/{id}"),
    )
    .await;
    for action in ["provisioning_failed", "retried", "provisioning_succeeded"] {
        assert!(
            audit.contains(&format!("namespace_request.{action}")),
            "{action}"
        );
    }
    // What Prometheus sees of it (the counters are the process's, shared by the tests in it).
    let metrics = portal_tests::Metrics::scrape(&app).await;
    assert!(
        metrics.value("portal_provisioning_failures_total", &[]) >= 1.0,
        "{}",
        metrics.text
    );
    assert!(
        metrics.value(
            "portal_provisioning_duration_seconds",
            &[("outcome", "success")]
        ) >= 1.0,
        "{}",
        metrics.text
    );
    assert!(
        metrics.value("portal_reconcile_last_run_timestamp_seconds", &[]) > 0.0,
        "{}",
        metrics.text
    );
    assert_eq!(
        metrics.value("portal_namespace_requests", &[("status", "ready")]),
        1.0
    );
    assert_eq!(metrics.value("portal_reconcile_lag_seconds", &[]), 0.0);
}

async fn every_kind_of_bad_request_is_refused_with_its_reason_and_nothing_is_stored(
    db: TestDatabase,
) {
    let app = portal_with(Some(db.url.clone()), None, |config| {
        config.namespace_prefixes = vec!["team-a-".into(), "team-b-".into()];
    })
    .await;
    let alice = logged_in(&app, "alice").await;
    let long = format!("team-a-{}", "x".repeat(60));
    let long_purpose = "p".repeat(2001);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("name", ""), ("purpose", "x"), ("groups", "team-a")],
            "Enter a name",
        ),
        (
            vec![
                ("name", "Team-A-Shop"),
                ("purpose", "x"),
                ("groups", "team-a"),
            ],
            "lowercase",
        ),
        (
            vec![("name", &long), ("purpose", "x"), ("groups", "team-a")],
            "at most 63",
        ),
        (
            vec![
                ("name", "team-a_shop"),
                ("purpose", "x"),
                ("groups", "team-a"),
            ],
            "is not allowed",
        ),
        (
            vec![("name", "-team-a"), ("purpose", "x"), ("groups", "team-a")],
            "start with a lowercase letter",
        ),
        (
            vec![("name", "team-a-"), ("purpose", "x"), ("groups", "team-a")],
            "end with a lowercase letter",
        ),
        (
            vec![("name", "default"), ("purpose", "x"), ("groups", "team-a")],
            "belongs to Kubernetes",
        ),
        (
            vec![
                ("name", "kube-team-a"),
                ("purpose", "x"),
                ("groups", "team-a"),
            ],
            "reserved for Kubernetes",
        ),
        (
            vec![
                ("name", "monitoring"),
                ("purpose", "x"),
                ("groups", "team-a"),
            ],
            "one of the platform",
        ),
        (
            vec![("name", "shop"), ("purpose", "x"), ("groups", "team-a")],
            "must start with one of",
        ),
        (
            vec![
                ("name", "team-a-ok"),
                ("purpose", "  "),
                ("groups", "team-a"),
            ],
            "Say what the namespace is for",
        ),
        (
            vec![
                ("name", "team-a-ok"),
                ("purpose", &long_purpose),
                ("groups", "team-a"),
            ],
            "at most 2000",
        ),
        (
            vec![("name", "team-a-ok"), ("purpose", "x")],
            "at least one group",
        ),
        (
            vec![
                ("name", "team-a-ok"),
                ("purpose", "x"),
                ("groups", "team-b"),
            ],
            "not a member of the group",
        ),
        (
            vec![
                ("name", "team-a-ok"),
                ("purpose", "x"),
                ("groups", "team-a"),
                ("label.owner", "me"),
            ],
            "not one the platform allows",
        ),
        (
            vec![
                ("name", "team-a-ok"),
                ("purpose", "x"),
                ("groups", "team-a"),
                ("label.cost-center", "-bad-"),
            ],
            "is invalid",
        ),
        // A developer may not name other groups through the administrators' field either.
        (
            vec![
                ("name", "team-a-ok"),
                ("purpose", "x"),
                ("groups", "team-a"),
                ("other_groups", "platform-admins"),
            ],
            "not a member of the group",
        ),
    ];
    for (form, expected) in cases {
        let body = refusal(&app, &alice, &form).await;
        assert!(
            body.contains("id=\"form-problem\"") && body.contains(expected),
            "{form:?} should be refused with {expected:?}"
        );
        // What was typed comes back.
        let typed = form
            .iter()
            .find(|(k, _)| *k == "name")
            .map(|(_, v)| *v)
            .unwrap_or_default();
        if !typed.is_empty() && typed.len() < 40 {
            assert!(
                body.contains(&format!("value=\"{typed}\"")),
                "{typed} is kept"
            );
        }
    }
    let (_, mine) = page(&app, &alice, "/namespaces").await;
    assert!(mine.contains("id=\"no-requests\""), "nothing was stored");
}

async fn a_name_in_the_cluster_or_held_by_an_open_request_is_refused(db: TestDatabase) {
    let (cluster, kubeconfig) = cluster().await;
    let existing: Namespace = serde_json::from_value(serde_json::json!({
        "metadata": { "name": unique(&db, "team-a-taken") }
    }))
    .expect("a namespace");
    if let Err(error) = Api::<Namespace>::all(cluster.admin_client().await)
        .create(&Default::default(), &existing)
        .await
    {
        assert!(
            matches!(&error, kube::Error::Api(status) if status.code == 409),
            "{error}"
        );
    }
    let app = portal(Some(db.url.clone()), Some(kubeconfig)).await;
    let alice = logged_in(&app, "alice").await;
    let carol = logged_in(&app, "carol").await;
    let body = refusal(
        &app,
        &alice,
        &[
            ("name", &unique(&db, "team-a-taken")),
            ("purpose", "x"),
            ("groups", "team-a"),
        ],
    )
    .await;
    assert!(body.contains("already exists in the cluster"), "{body}");

    request(&app, &alice, "team-a-wanted", &["team-a"]).await;
    let body = refusal(
        &app,
        &carol,
        &[
            ("name", "team-a-wanted"),
            ("purpose", "x"),
            ("groups", "team-a"),
        ],
    )
    .await;
    assert!(
        body.contains("Another open request already asks for"),
        "{body}"
    );
}

async fn the_open_request_limit_is_enforced(db: TestDatabase) {
    let app = portal_with(Some(db.url.clone()), None, |config| {
        config.max_open_requests = 2
    })
    .await;
    let bob = logged_in(&app, "bob").await;
    request(&app, &bob, "team-b-one", &["team-b"]).await;
    request(&app, &bob, "team-b-two", &["team-b"]).await;
    let body = refusal(
        &app,
        &bob,
        &[
            ("name", "team-b-three"),
            ("purpose", "x"),
            ("groups", "team-b"),
        ],
    )
    .await;
    assert!(body.contains("You already have 2 open requests"), "{body}");
    let (_, form) = page(&app, &bob, "/namespaces/new").await;
    assert!(
        form.contains("id=\"at-limit\""),
        "the form says so before typing"
    );
}

async fn only_administrators_decide_rejection_needs_a_comment_and_requests_are_private(
    db: TestDatabase,
) {
    let app = portal(Some(db.url.clone()), None).await;
    let alice = logged_in(&app, "alice").await;
    let bob = logged_in(&app, "bob").await;
    let root = logged_in(&app, "root").await;
    let id = request(&app, &alice, "team-a-private", &["team-a"]).await;

    // A developer calling the administrators' actions directly: 403, nothing changes.
    for action in ["approve", "reject", "retry"] {
        let response = post(
            &app,
            &alice,
            &format!("/admin/requests/{id}/{action}"),
            &[("comment", "mine")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
    }
    // … and the administrators' server functions.
    for (path, body) in [
        ("/api/admin/requests", "filter[name]=team"),
        ("/api/admin/audit", "filter[actor]=alice"),
    ] {
        let response = alice
            .post(app.url(path))
            .header(header::ORIGIN, app.url(""))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/admin/requests",
        "/admin/audit",
        "/admin/audit.csv",
        "/admin/audit.json",
    ] {
        let (status, body) = page(&app, &alice, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        if !path.contains('.') {
            // The 403 page, not the administrators' page with an error inside.
            assert!(
                body.contains("For platform administrators"),
                "{path}: {body}"
            );
            for part in [
                "id=\"queue-filters\"",
                "id=\"audit-filters\"",
                ">Audit trail<",
            ] {
                assert!(!body.contains(part), "{path} shows {part} to a developer");
            }
        }
    }
    // Anonymous users are sent to log in.
    let anonymous = portal_tests::login::http_browser();
    for path in [
        "/namespaces",
        "/namespaces/new",
        "/admin/requests",
        "/admin/audit.csv",
    ] {
        let response = anonymous.get(app.url(path)).send().await.expect("answers");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            location(&response).starts_with("/auth/login?next="),
            "{path}"
        );
    }
    assert_eq!(status_of(&app, &alice, id).await, "pending");

    // Someone else's request does not exist for bob, the same as one that does not exist.
    let (status, _) = page(&app, &bob, &format!("/namespaces/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&app, &bob, "/namespaces/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&app, &bob, "/namespaces/not-a-number").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = post(&app, &bob, &format!("/namespaces/{id}/cancel"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A rejection without a comment is refused; with one, the requester sees it.
    let response = post(
        &app,
        &root,
        &format!("/admin/requests/{id}/reject"),
        &[("comment", "   ")],
    )
    .await;
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=comment_missing")
    );
    assert_eq!(status_of(&app, &alice, id).await, "pending");
    post(
        &app,
        &root,
        &format!("/admin/requests/{id}/reject"),
        &[("comment", "Use team-a-shop <b>instead</b>.")],
    )
    .await;
    assert_eq!(status_of(&app, &alice, id).await, "rejected");
    let (_, detail) = page(&app, &alice, &format!("/namespaces/{id}")).await;
    assert!(
        detail.contains("Use team-a-shop &lt;b&gt;instead&lt;/b&gt;."),
        "shown, escaped"
    );

    // Acting on a decided request says someone acted first.
    let response = post(&app, &root, &format!("/admin/requests/{id}/approve"), &[]).await;
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=conflict")
    );
    // A bad cursor in the queue's address is a clear 400.
    let (status, body) = page(&app, &root, "/admin/requests?after=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("The page link is not valid"));
    // Outcome codes show only their fixed messages.
    let (_, detail) = page(
        &app,
        &alice,
        &format!("/namespaces/{id}?outcome=%3Cscript%3E"),
    )
    .await;
    assert!(!detail.contains("id=\"outcome\""));
}

async fn the_requester_cancels_a_pending_request_once(db: TestDatabase) {
    let app = portal(Some(db.url.clone()), None).await;
    let alice = logged_in(&app, "alice").await;
    let id = request(&app, &alice, "team-a-withdrawn", &["team-a"]).await;
    let response = post(&app, &alice, &format!("/namespaces/{id}/cancel"), &[]).await;
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=cancelled")
    );
    assert_eq!(status_of(&app, &alice, id).await, "cancelled");
    let response = post(&app, &alice, &format!("/namespaces/{id}/cancel"), &[]).await;
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=conflict")
    );
    // The name is free again.
    request(&app, &alice, "team-a-withdrawn", &["team-a"]).await;
}

/// A kubeconfig acting as the portal whose API server accepts connections and then never says
/// a word (a hung API server, or a firewall that drops replies), and the socket that does it.
fn silent_api_server() -> (std::net::TcpListener, PathBuf) {
    // Never accepted: the kernel completes the handshake from the backlog, and nothing answers.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback socket");
    let port = hole.local_addr().expect("its address").port();
    let kubeconfig = TestCluster::shared().portal_kubeconfig(&format!("https://127.0.0.1:{port}"));
    (hole, kubeconfig)
}

#[tokio::test]
async fn an_api_server_that_never_answers_does_not_hold_up_the_request_form() {
    let (_hole, kubeconfig) = silent_api_server();
    let app = portal(None, Some(kubeconfig)).await;
    let alice = logged_in(&app, "alice").await;
    // The name check gives up on the API server after a few seconds and takes the request;
    // provisioning checks the name again before it creates anything.
    let id = request(&app, &alice, "team-a-silent", &["team-a"]).await;
    assert_eq!(status_of(&app, &alice, id).await, "pending");
}

#[tokio::test]
async fn a_request_the_portal_cannot_finish_in_time_gets_a_503_that_says_so() {
    let (_hole, kubeconfig) = silent_api_server();
    // 2 s: short of the form's 3 s name check, and long enough that the login before it (a
    // token exchange with the test provider) is not given up on when the machine is busy.
    let app = portal_with(None, Some(kubeconfig), |config| {
        config.request_timeout_seconds = 2;
    })
    .await;
    let alice = logged_in(&app, "alice").await;
    // The form's name check asks the silent API server for up to 3 s: past the 2 s limit.
    let response = post(
        &app,
        &alice,
        "/namespaces/new",
        &[
            ("name", "team-a-slow"),
            ("purpose", "x"),
            ("groups", "team-a"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let body = response.text().await.expect("a body");
    assert!(body.contains("took too long"), "{body}");
    assert!(body.contains("try again"), "{body}");
    // Only that request was given up on: the next one is served as usual.
    let (status, mine) = page(&app, &alice, "/namespaces").await;
    assert_eq!(status, StatusCode::OK);
    assert!(mine.contains("id=\"no-requests\""), "nothing was stored");
}

async fn with_welkins_settings_a_second_administrator_approves_and_the_team_can_work(
    db: TestDatabase,
) {
    let (cluster, kubeconfig) = cluster().await;
    let name = unique(&db, "team-a-welkin");
    // Welkin: the API server prefixes users and groups with `oidc:`; the username claim is
    // `email` and kubectl's client is `kubelogin` (both the defaults).
    let app = portal_with(Some(db.url.clone()), Some(kubeconfig), |config| {
        config.kube_oidc_username_prefix = "oidc:".into();
        config.kube_oidc_groups_prefix = "oidc:".into();
    })
    .await;
    let root = logged_in(&app, "root").await;
    let erin = logged_in(&app, "erin").await;
    let form = [
        ("name", name.as_str()),
        (
            "purpose",
            "The shop, requested for team-a by an administrator.",
        ),
        ("other_groups", "team-a"),
    ];
    let response = post(&app, &root, "/namespaces/new", &form).await;
    let target = location(&response);
    let id: i64 = target
        .trim_start_matches("/namespaces/")
        .trim_end_matches("?outcome=created")
        .parse()
        .unwrap_or_else(|_| panic!("created: {target}"));

    // Four eyes: root may not approve root's own request.
    let (_, detail) = page(&app, &root, &format!("/namespaces/{id}")).await;
    assert!(
        !detail.contains("id=\"approve-request\""),
        "no Approve for the requester"
    );
    assert!(detail.contains("id=\"four-eyes\""), "{detail}");
    let response = post(&app, &root, &format!("/admin/requests/{id}/approve"), &[]).await;
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=own_request")
    );
    let (_, detail) = page(
        &app,
        &root,
        &format!("/namespaces/{id}?outcome=own_request"),
    )
    .await;
    assert!(detail.contains("another platform administrator must approve it"));
    assert_eq!(status_of(&app, &root, id).await, "pending");

    let response = post(&app, &erin, &format!("/admin/requests/{id}/approve"), &[]).await;
    assert_eq!(
        location(&response),
        format!("/namespaces/{id}?outcome=approved")
    );
    wait_for_status(&app, &root, id, "ready").await;

    let admin = cluster.admin_client().await;
    let binding = Api::<RoleBinding>::namespaced(admin.clone(), &name)
        .get("workload-admin")
        .await
        .expect("exists");
    let subjects: Vec<String> = binding
        .subjects
        .unwrap_or_default()
        .into_iter()
        .map(|subject| subject.name)
        .collect();
    assert_eq!(subjects, ["oidc:team-a"]);
    // As the API server names alice from her token (email claim, `oidc:` prefixes).
    let alice = cluster
        .impersonating(
            "oidc:alice@example.com",
            &["oidc:team-a", "system:authenticated"],
        )
        .await;
    portal_tests::dry_run_deployment(&alice, &name)
        .await
        .expect("the team creates a Deployment in its namespace");
    let bob = cluster
        .impersonating(
            "oidc:bob@example.com",
            &["oidc:team-b", "system:authenticated"],
        )
        .await;
    let refused = portal_tests::dry_run_deployment(&bob, &name).await;
    assert!(
        matches!(&refused, Err(kube::Error::Api(status)) if status.code == 403),
        "{refused:?}"
    );

    // The trail: the refusal, and who approved.
    let (_, audit) = page(
        &app,
        &erin,
        &format!("/admin/audit.json?subject=namespace_request/{id}"),
    )
    .await;
    let events: serde_json::Value = serde_json::from_str(&audit).expect("JSON");
    let actions: Vec<(&str, &str)> = events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default(),
                e["action"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(actions.contains(&("root@example.com", "namespace_request.approval_refused")));
    assert!(actions.contains(&("erin@example.com", "namespace_request.approved")));
}

async fn a_failed_request_can_be_cancelled_or_rejected_and_frees_the_requesters_slot(
    db: TestDatabase,
) {
    let (cluster, kubeconfig) = cluster().await;
    let app = portal_with(Some(db.url.clone()), Some(kubeconfig), |config| {
        config.max_open_requests = 1;
    })
    .await;
    let alice = logged_in(&app, "alice").await;
    let root = logged_in(&app, "root").await;
    let admin = cluster.admin_client().await;

    for (round, how) in ["cancel", "reject"].into_iter().enumerate() {
        let name = unique(&db, &format!("team-a-taken-{round}"));
        let id = request(&app, &alice, &name, &["team-a"]).await;
        // Someone makes the namespace by hand before it is approved: provisioning fails.
        let handmade: Namespace =
            serde_json::from_value(serde_json::json!({ "metadata": { "name": name } }))
                .expect("a namespace");
        Api::<Namespace>::all(admin.clone())
            .create(&Default::default(), &handmade)
            .await
            .expect("created by hand");
        post(&app, &root, &format!("/admin/requests/{id}/approve"), &[]).await;
        wait_for_status(&app, &alice, id, "failed").await;
        // The failed request holds alice's one slot.
        let form = [
            ("name", "team-a-next"),
            ("purpose", "Next."),
            ("groups", "team-a"),
        ];
        let body = refusal(&app, &alice, &form).await;
        assert!(body.contains("open requests, the most allowed"), "{how}");

        let (_, detail) = page(&app, &alice, &format!("/namespaces/{id}")).await;
        assert!(
            detail.contains("id=\"cancel-request\""),
            "{how}: alice may cancel"
        );
        let (_, detail) = page(&app, &root, &format!("/namespaces/{id}")).await;
        assert!(
            detail.contains("id=\"reject-request\""),
            "{how}: root may reject"
        );
        let response = match how {
            "cancel" => post(&app, &alice, &format!("/namespaces/{id}/cancel"), &[]).await,
            _ => {
                let refused = post(&app, &root, &format!("/admin/requests/{id}/reject"), &[]).await;
                assert_eq!(
                    location(&refused),
                    format!("/namespaces/{id}?outcome=comment_missing")
                );
                post(
                    &app,
                    &root,
                    &format!("/admin/requests/{id}/reject"),
                    &[("comment", "The name is taken; ask for another.")],
                )
                .await
            }
        };
        let expected = if how == "cancel" {
            "cancelled"
        } else {
            "rejected"
        };
        assert_eq!(
            location(&response),
            format!("/namespaces/{id}?outcome={expected}")
        );
        assert_eq!(status_of(&app, &alice, id).await, expected);
        // The slot is free again.
        let next = request(
            &app,
            &alice,
            &unique(&db, &format!("team-a-next-{round}")),
            &["team-a"],
        )
        .await;
        post(&app, &alice, &format!("/namespaces/{next}/cancel"), &[]).await;
        let (_, audit) = page(
            &app,
            &root,
            &format!("/admin/audit.json?subject=namespace_request/{id}"),
        )
        .await;
        assert!(
            audit.contains(&format!("namespace_request.{expected}")),
            "{audit}"
        );
    }
}

async fn kubernetes_own_groups_are_never_granted_not_even_by_an_administrator(db: TestDatabase) {
    let app = portal(Some(db.url.clone()), None).await;
    let root = logged_in(&app, "root").await;
    let alice = logged_in(&app, "alice").await;
    for group in [
        "system:authenticated",
        "system:serviceaccounts",
        "system:masters",
        "System:Authenticated",
    ] {
        let body = refusal(
            &app,
            &root,
            &[
                ("name", "team-everyone"),
                ("purpose", "For everyone."),
                ("other_groups", group),
            ],
        )
        .await;
        assert!(
            body.contains("one of Kubernetes&#x27; own groups")
                || body.contains("one of Kubernetes' own groups"),
            "{group}: {body}"
        );
        let body = refusal(
            &app,
            &alice,
            &[
                ("name", "team-everyone"),
                ("purpose", "For everyone."),
                ("groups", group),
            ],
        )
        .await;
        assert!(body.contains("own groups (system:"), "{group}");
    }
    let (_, mine) = page(&app, &root, "/namespaces").await;
    assert!(!mine.contains("team-everyone"), "nothing was stored");
}

async fn a_refused_form_comes_back_once_from_the_session_and_never_in_the_address(
    db: TestDatabase,
) {
    let app = portal(Some(db.url.clone()), None).await;
    let alice = logged_in(&app, "alice").await;
    // 100 KB of purpose: far past the limit, and far past what a redirect could carry.
    let purpose = format!("marker-{}", "x".repeat(100_000));
    let response = post(
        &app,
        &alice,
        "/namespaces/new",
        &[
            ("name", "team-a-long-story"),
            ("purpose", &purpose),
            ("groups", "team-a"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/namespaces/new");
    let (status, body) = page(&app, &alice, "/namespaces/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("id=\"form-problem\""), "the reason is shown");
    assert!(
        body.contains("at most 2000 are allowed"),
        "{}",
        &body[..2000.min(body.len())]
    );
    assert!(
        body.contains("value=\"team-a-long-story\""),
        "the name is kept"
    );
    assert!(body.contains(&purpose), "the purpose is kept, all of it");
    // Once: a reload shows the empty form.
    let (_, again) = page(&app, &alice, "/namespaces/new").await;
    assert!(!again.contains("id=\"form-problem\""));
    assert!(!again.contains("marker-"));
    let (_, mine) = page(&app, &alice, "/namespaces").await;
    assert!(!mine.contains("team-a-long-story"), "nothing was stored");
}

async fn logins_logouts_and_refused_administrator_actions_are_audited(db: TestDatabase) {
    let app = portal(Some(db.url.clone()), None).await;
    let alice = logged_in(&app, "alice").await;
    let response = post(&app, &alice, "/admin/requests/1/approve", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = alice
        .get(app.url("/admin/audit.csv"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = post(&app, &alice, "/auth/logout", &[]).await;
    assert!(response.status().is_redirection());
    let root = logged_in(&app, "root").await;
    let (_, audit) = page(&app, &root, "/admin/audit.json?action=auth.").await;
    let events: serde_json::Value = serde_json::from_str(&audit).expect("JSON");
    let seen: Vec<(String, String, String)> = events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let has = |actor: &str, action: &str, detail: &str| {
        seen.iter()
            .any(|(a, x, d)| a == actor && x == action && d.contains(detail))
    };
    assert!(
        has(
            "alice@example.com",
            "auth.login",
            "groups team-a; not an administrator"
        ),
        "{seen:?}"
    );
    assert!(
        has("alice@example.com", "auth.admin_action_refused", ""),
        "{seen:?}"
    );
    assert!(
        has("alice@example.com", "auth.logout", "logged out"),
        "{seen:?}"
    );
    assert!(
        has(
            "root@example.com",
            "auth.login",
            "groups platform-admins; administrator"
        ),
        "{seen:?}"
    );
}

/// Logs `user` in to `app` at the https provider `idp`, with a client that trusts `ca`.
async fn logged_in_over_tls(
    app: &TestApp,
    idp: &portal_tests::TestIdp,
    ca: &portal_tests::TestCa,
    user: &str,
) -> Client {
    let client = ca.browser();
    let callback = portal_tests::login::sign_in_at(app, &client, &idp.issuer, user, "/").await;
    let response = client.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "login completes");
    client
}

/// Runs kubectl with `kubeconfig`; its exit status and output.
fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> (bool, String) {
    let program = std::env::var("PORTAL_TEST_KUBECTL").unwrap_or_else(|_| "kubectl".to_owned());
    let output = std::process::Command::new(program)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .expect("kubectl runs (see .ci/setup.sh)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The whole loop as a developer lives it, against an API server that trusts the identity
/// provider exactly as a Welkin cluster does (`--oidc-username-claim=email`,
/// `--oidc-groups-claim=groups`, the `kubelogin` client, `prefix` on users and groups): alice
/// requests a namespace, root approves, alice downloads her kubeconfig, gets the ID token
/// kubelogin would get with that file's own arguments, and works in the namespace with kubectl,
/// and only there. Removed from her team at the provider, her next token is refused.
async fn the_whole_loop_works_with_the_downloaded_kubeconfig(prefix: &str) {
    let ca = portal_tests::TestCa::new();
    let users = tempfile::NamedTempFile::new().expect("a users file");
    std::fs::copy(
        portal_tests::repo_root().join("tests/idp/users.json"),
        users.path(),
    )
    .expect("copy the users");
    let idp = portal_tests::TestIdp::with_tls(&ca, users.path());
    assert!(idp.issuer.starts_with("https://"), "{}", idp.issuer);
    let cluster = TestCluster::with_oidc(&idp.issuer, &ca, prefix);
    cluster.install_portal_rbac().await;
    let portal_kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let (issuer, ca_file, server) = (
        idp.issuer.clone(),
        ca.ca_cert.clone(),
        cluster.server.clone(),
    );
    let cluster_ca = cluster.dir.join("pki/ca.crt");
    let prefix_owned = prefix.to_owned();
    let app = TestApp::spawn_with_login_and(move |config| {
        config.oidc_issuer = Some(issuer);
        config.oidc_ca_file = Some(ca_file);
        config.kubeconfig = Some(portal_kubeconfig);
        config.reconcile_interval_seconds = 1;
        config.cluster_server = Some(server);
        config.cluster_ca_file = Some(cluster_ca);
        config.kubectl_client_secret = Some("kubelogin-secret".to_owned().into());
        config.kube_oidc_username_prefix = prefix_owned.clone();
        config.kube_oidc_groups_prefix = prefix_owned;
    })
    .await;

    let alice = logged_in_over_tls(&app, &idp, &ca, "alice").await;
    let root = logged_in_over_tls(&app, &idp, &ca, "root").await;
    let name = if prefix.is_empty() {
        "team-a-shop"
    } else {
        "team-a-shop-prefixed"
    };
    let id = request(&app, &alice, name, &["team-a"]).await;
    let response = post(&app, &root, &format!("/admin/requests/{id}/approve"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    wait_for_status(&app, &alice, id, "ready").await;

    // Another team's namespace, for the refusal.
    let admin = cluster.admin_client().await;
    let other: Namespace = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "team-b-shop" }
    }))
    .expect("a namespace");
    Api::<Namespace>::all(admin)
        .create(&Default::default(), &other)
        .await
        .expect("created");

    let response = alice
        .get(app.url("/kubeconfig/download"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let downloaded = response.text().await.expect("a kubeconfig");
    let kubelogin = portal_tests::kubelogin::KubeloginArgs::from_kubeconfig(&downloaded);
    assert_eq!(kubelogin.issuer, idp.issuer);
    assert_eq!(kubelogin.client_id, "kubelogin");
    let token = kubelogin.get_token(&ca.browser(), "alice").await;
    let folder = tempfile::tempdir().expect("a folder");
    let kubeconfig = portal_tests::kubelogin::with_token(&downloaded, &token, folder.path());

    let (ok, whoami) = kubectl(&kubeconfig, &["auth", "whoami", "-o", "json"]);
    assert!(ok, "{whoami}");
    let whoami: serde_json::Value = serde_json::from_str(&whoami).expect("JSON");
    assert_eq!(
        whoami["status"]["userInfo"]["username"],
        format!("{prefix}alice@example.com"),
        "the API server names alice by her email claim"
    );
    assert!(
        whoami["status"]["userInfo"]["groups"]
            .as_array()
            .expect("groups")
            .contains(&serde_json::json!(format!("{prefix}team-a"))),
        "{whoami}"
    );
    let (ok, out) = kubectl(
        &kubeconfig,
        &[
            "-n",
            name,
            "create",
            "deployment",
            "web",
            "--image=harbor.example.com/shop/web:1.0",
            "--dry-run=server",
        ],
    );
    assert!(ok, "alice deploys in her namespace: {out}");
    for (namespace, expected) in [(name, "yes"), ("team-b-shop", "no"), ("kube-system", "no")] {
        let (_, answer) = kubectl(
            &kubeconfig,
            &["auth", "can-i", "create", "deployments", "-n", namespace],
        );
        assert_eq!(
            answer.lines().next(),
            Some(expected),
            "{namespace}: {answer}"
        );
    }
    for elsewhere in ["team-b-shop", "kube-system"] {
        let (ok, out) = kubectl(
            &kubeconfig,
            &[
                "-n",
                elsewhere,
                "create",
                "deployment",
                "web",
                "--image=harbor.example.com/shop/web:1.0",
                "--dry-run=server",
            ],
        );
        assert!(
            !ok && out.contains("forbidden"),
            "refused in {elsewhere}: {out}"
        );
    }
    // The access page says the same: team-a has the namespace.
    let (status, access) = page(&app, &alice, &format!("/access/{name}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(access.contains("team-a"), "{access}");
    // The kubeconfig page's commands name her namespace, not a placeholder.
    let (_, kubeconfig_page) = page(&app, &alice, "/kubeconfig").await;
    assert!(
        kubeconfig_page.contains(&format!("kubectl get pods -n {name}")),
        "{kubeconfig_page}"
    );

    // Removed from team-a at the provider: the next token she gets is refused.
    let mut people: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(users.path()).expect("read")).expect("JSON");
    people["alice"]["groups"] = serde_json::json!([]);
    std::fs::write(users.path(), people.to_string()).expect("write");
    let token = kubelogin.get_token(&ca.browser(), "alice").await;
    let kubeconfig = portal_tests::kubelogin::with_token(&downloaded, &token, folder.path());
    let (_, answer) = kubectl(
        &kubeconfig,
        &["auth", "can-i", "create", "deployments", "-n", name],
    );
    assert_eq!(answer.lines().next(), Some("no"), "{answer}");
}

#[tokio::test]
async fn the_whole_loop_works_with_the_downloaded_kubeconfig_without_prefixes() {
    the_whole_loop_works_with_the_downloaded_kubeconfig("").await;
}

#[tokio::test]
async fn the_whole_loop_works_with_the_downloaded_kubeconfig_with_welkins_oidc_prefixes() {
    the_whole_loop_works_with_the_downloaded_kubeconfig("oidc:").await;
}
