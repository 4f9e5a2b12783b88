//! Who has access, against a real API server: the portal reads RoleBindings with exactly the
//! RBAC the chart (`deploy/chart/templates/rbac.yaml`) ships, keeps them in memory by watching, and its pages follow
//! bindings the admin creates and deletes, without a restart. Users log in through the real
//! test identity provider (alice: team-a, bob: team-b, root: platform-admins).

use k8s_openapi::api::{
    core::v1::Namespace,
    rbac::v1::{RoleBinding, RoleRef, Subject},
};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use portal_tests::{TestApp, TestCluster, login};
use std::time::{Duration, Instant};

/// The portal on the shared cluster, acting as its own ServiceAccount with the shipped RBAC.
async fn portal(cluster: &TestCluster) -> TestApp {
    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await
}

/// A short name unique to this run, for namespaces the tests of this binary do not share.
fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..10])
}

fn subject(kind: &str, name: &str) -> Subject {
    Subject {
        kind: kind.into(),
        name: name.into(),
        api_group: (kind != "ServiceAccount").then(|| "rbac.authorization.k8s.io".into()),
        namespace: None,
    }
}

async fn create_namespace(admin: &kube::Client, name: &str) {
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(admin.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("create the namespace");
}

async fn create_binding(admin: &kube::Client, namespace: &str, name: &str, subjects: Vec<Subject>) {
    let binding = RoleBinding {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..ObjectMeta::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: "admin".into(),
        },
        subjects: Some(subjects),
    };
    Api::<RoleBinding>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create the RoleBinding");
}

/// GETs `path` until `check` accepts the body (the cache follows the cluster within a moment).
async fn eventually(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    what: &str,
    check: impl Fn(u16, &str) -> bool,
) -> String {
    // Generous: a watcher that backed off while the API server was away retries within 30 s.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = client.get(app.url(path)).send().await.expect("answers");
        let status = response.status().as_u16();
        let body = response.text().await.expect("a body");
        if check(status, &body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{path}: {what} did not happen in 60 s; last answer {status}:\n{}",
            main_of(&body)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `<main>` element of a page: what the user reads, without per-response nonces.
fn main_of(body: &str) -> &str {
    let start = body.find("<main").unwrap_or(0);
    let end = body.find("</main>").unwrap_or(body.len());
    &body[start..end]
}

#[tokio::test]
async fn alice_sees_her_groups_namespaces_and_bindings_changed_in_the_cluster_show_up_and_go() {
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let (hers, bobs) = (unique("acc-alice"), unique("acc-bob"));
    create_namespace(&admin, &hers).await;
    create_namespace(&admin, &bobs).await;
    create_binding(
        &admin,
        &hers,
        "workload-admin",
        vec![subject("Group", "team-a")],
    )
    .await;
    create_binding(
        &admin,
        &bobs,
        "workload-admin",
        vec![subject("Group", "team-b")],
    )
    .await;
    let app = portal(cluster).await;
    let alice = login::logged_in(&app, "alice").await;

    let body = eventually(
        &alice,
        &app,
        "/access",
        "alice's namespace appears",
        |s, b| s == 200 && b.contains(&hers),
    )
    .await;
    assert!(!body.contains(&bobs), "bob's namespace is not alice's");
    assert!(body.contains(&format!("href=\"/access/{hers}\"")));
    assert!(body.contains(&format!(
        "kubectl config set-context --current --namespace={hers}"
    )));
    assert!(
        body.contains("group team-a"),
        "says which group gives access"
    );
    assert!(!body.contains("cluster-unreachable"));

    // The admin gives team-a access to bob's namespace too: it shows up without a restart …
    create_binding(
        &admin,
        &bobs,
        "extra-workload-admins",
        vec![subject("Group", "team-a")],
    )
    .await;
    eventually(&alice, &app, "/access", "the new binding shows", |s, b| {
        s == 200 && b.contains(&bobs)
    })
    .await;
    let page = eventually(
        &alice,
        &app,
        &format!("/access/{bobs}"),
        "the page",
        |s, _| s == 200,
    )
    .await;
    assert!(page.contains("team-b"), "alice sees who else can use it");
    assert!(page.contains("extra-workload-admins"));
    // … and goes when it is deleted.
    Api::<RoleBinding>::namespaced(admin.clone(), &bobs)
        .delete("extra-workload-admins", &DeleteParams::default())
        .await
        .expect("delete the binding");
    eventually(
        &alice,
        &app,
        "/access",
        "the deleted binding goes",
        |s, b| s == 200 && !b.contains(&bobs) && b.contains(&hers),
    )
    .await;
    eventually(
        &alice,
        &app,
        &format!("/access/{bobs}"),
        "the page goes",
        |s, _| s == 404,
    )
    .await;
}

#[tokio::test]
async fn a_missing_namespace_and_a_forbidden_one_get_the_same_404() {
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let bobs = unique("acc-404");
    create_namespace(&admin, &bobs).await;
    create_binding(
        &admin,
        &bobs,
        "workload-admin",
        vec![subject("Group", "team-b")],
    )
    .await;
    let app = portal(cluster).await;
    let bob = login::logged_in(&app, "bob").await;
    eventually(
        &bob,
        &app,
        &format!("/access/{bobs}"),
        "bob sees his",
        |s, _| s == 200,
    )
    .await;

    let alice = login::logged_in(&app, "alice").await;
    let forbidden = alice
        .get(app.url(&format!("/access/{bobs}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(forbidden.status(), 404);
    let forbidden = forbidden.text().await.expect("body");
    let missing_name = unique("acc-none");
    let missing = alice
        .get(app.url(&format!("/access/{missing_name}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing.status(), 404);
    let missing = missing.text().await.expect("body");
    assert_eq!(
        main_of(&forbidden),
        main_of(&missing),
        "the two answers must not tell existence apart"
    );
    assert!(
        !forbidden.contains(&bobs),
        "the page does not echo the name"
    );
    assert!(!forbidden.contains("team-b"));

    // Nonsense in the URL is a 404 too, never a 500.
    for path in [
        "/access/%3Cscript%3E",
        "/access/..%2F..%2Fetc",
        "/access/a%00b",
        "/access/%F0%9F%9A%80",
    ] {
        let response = alice.get(app.url(path)).send().await.expect("answers");
        assert_eq!(response.status(), 404, "{path}");
    }
    // And without a login the page asks for one.
    let anonymous = app.get(&format!("/access/{bobs}")).await;
    assert_eq!(anonymous.status(), 401);
    let body = anonymous.text().await.expect("body");
    assert!(
        body.contains("/auth/login?next=/access") && !main_of(&body).contains(&bobs),
        "{}",
        main_of(&body)
    );
}

#[tokio::test]
async fn unusual_subject_names_are_shown_exactly_and_escaped() {
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let namespace = unique("acc-odd");
    create_namespace(&admin, &namespace).await;
    let long = format!("long-{}", "x".repeat(2000));
    let mut service_account = subject("ServiceAccount", "deployer");
    service_account.namespace = Some("ci".into());
    create_binding(
        &admin,
        &namespace,
        "workload-admin",
        vec![
            subject("Group", "team-a"),
            subject("User", "system:serviceaccount:other:robot"),
            subject("Group", "oidc:team-ops"),
            subject("User", "Åsa Öberg 🚀 <script>alert(1)</script>"),
            subject("Group", "\"quoted\" & <b>bold</b>"),
            subject("User", &long),
            service_account,
        ],
    )
    .await;
    let app = portal(cluster).await;
    let alice = login::logged_in(&app, "alice").await;
    let body = eventually(
        &alice,
        &app,
        &format!("/access/{namespace}"),
        "the page",
        |s, _| s == 200,
    )
    .await;
    for exact in [
        "system:serviceaccount:other:robot",
        "oidc:team-ops",
        "system:serviceaccount:ci:deployer",
        "Åsa Öberg 🚀 &lt;script&gt;alert(1)&lt;/script&gt;",
        "&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;",
        long.as_str(),
    ] {
        // Leptos escapes `"` in text as-is or as &quot; depending on context; accept both.
        assert!(
            body.contains(exact) || body.contains(&exact.replace("&quot;", "\"")),
            "{exact:.80} is shown exactly"
        );
    }
    assert!(!body.contains("<script>alert(1)"), "names are escaped");
    assert!(!body.contains("<b>bold</b>"), "names are escaped");
    assert!(body.contains(&format!(
        "kubectl get rolebindings.rbac.authorization.k8s.io workload-admin -n {namespace} -o yaml"
    )));
    assert!(
        body.contains("does not edit"),
        "says the portal does not edit groups"
    );
}

#[tokio::test]
async fn root_sees_the_matrix_searches_it_and_downloads_a_safe_csv_and_developers_cannot() {
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let tag = unique("acc-mx");
    let (bound, bare) = (format!("{tag}-bound"), format!("{tag}-bare"));
    create_namespace(&admin, &bound).await;
    create_namespace(&admin, &bare).await;
    let ghost = format!("{tag}-ghosts");
    let formula = format!("=HYPERLINK(\"http://evil/{tag}\")");
    create_binding(
        &admin,
        &bound,
        "workload-admin",
        vec![
            subject("Group", "team-a"),
            subject("Group", &ghost),
            subject("User", &formula),
        ],
    )
    .await;
    let app = portal(cluster).await;
    // alice logs in first, so team-a has been seen; nobody carries the ghost group.
    let alice = login::logged_in(&app, "alice").await;
    let root = login::logged_in(&app, "root").await;

    let page = eventually(
        &root,
        &app,
        &format!("/admin/access?q={tag}"),
        "the matrix",
        |s, b| s == 200 && b.contains(&bound) && b.contains(&bare),
    )
    .await;
    let section = |id: &str| {
        let start = page
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} on the page"));
        page[start..]
            .split("</section>")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        section("without-primary").contains(&bare),
        "bare has no workload-admin"
    );
    assert!(!section("without-primary").contains(&bound));
    assert!(section("never-seen").contains(&ghost));
    assert!(
        !section("never-seen").contains("team-a"),
        "alice carried team-a"
    );
    // Few enough to read as a grid: a row per namespace, a column per group, a tick (naming
    // the RoleBinding) where the group may use the namespace.
    let groups = section("matrix-groups");
    assert!(groups.contains("class=\"grid\""), "{groups}");
    let row_of = |namespace: &str| {
        groups
            .split("<tr>")
            .find(|row| row.contains(&format!(">{namespace}<")))
            .unwrap_or_else(|| panic!("a row for {namespace}: {groups}"))
            .to_owned()
    };
    let header = groups.split("</thead>").next().unwrap_or_default();
    assert!(
        header.contains(">team-a<") && header.contains(&format!(">{ghost}<")),
        "{header}"
    );
    let bound_row = row_of(&bound);
    assert_eq!(
        (
            bound_row.matches("class=\"yes\"").count(),
            bound_row.matches("title=\"workload-admin\"").count()
        ),
        (2, 2),
        "team-a and the ghost group, through workload-admin: {bound_row}"
    );
    assert!(page.contains("href=\"/admin/access.csv?q="));

    // The search narrows: another tag's namespaces are not listed.
    let narrowed = eventually(
        &root,
        &app,
        &format!("/admin/access?q={ghost}"),
        "search",
        |s, _| s == 200,
    )
    .await;
    assert!(narrowed.contains(&ghost) && !narrowed.contains(&bare));

    // Root may see any namespace page, even with no access of his own.
    let page = root
        .get(app.url(&format!("/access/{bare}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 200);

    let csv = root
        .get(app.url(&format!("/admin/access.csv?q={tag}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.expect("body");
    assert!(csv.starts_with("namespace,subject_kind,subject,rolebinding,clusterrole\r\n"));
    assert!(csv.contains(&format!("{bound},Group,team-a,workload-admin,admin\r\n")));
    assert!(
        csv.contains(&format!(
            "{bound},User,\"'=HYPERLINK(\"\"http://evil/{tag}\"\")\",workload-admin,admin"
        )),
        "{csv}"
    );
    assert!(
        !csv.contains(",=HYPERLINK"),
        "no cell starts with a formula"
    );

    // Developers and strangers get neither the page nor the file.
    let page = alice
        .get(app.url("/admin/access"))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 403);
    assert!(!page.text().await.expect("body").contains(&ghost));
    assert_eq!(
        alice
            .get(app.url("/admin/access.csv"))
            .send()
            .await
            .expect("answers")
            .status(),
        403
    );
    // Anonymous callers are sent to log in and back, as for every other download.
    let anonymous = app.get("/admin/access.csv").await;
    assert_eq!(anonymous.status(), 303);
    assert_eq!(
        anonymous.headers()["location"],
        "/auth/login?next=/admin/access.csv"
    );
}

#[tokio::test]
async fn an_unreachable_api_server_is_announced_and_not_waited_for() {
    let cluster = TestCluster::shared();
    // A port nothing listens on: the API server "is down" from the start.
    let dead = format!("https://127.0.0.1:{}", portal_tests::free_port());
    let kubeconfig = cluster.portal_kubeconfig(&dead);
    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;
    let alice = login::logged_in(&app, "alice").await;
    let started = Instant::now();
    let body = eventually(&alice, &app, "/access", "the banner", |s, b| {
        s == 200 && b.contains("id=\"cluster-unreachable\"")
    })
    .await;
    assert!(
        body.contains("Cluster unreachable since 20"),
        "says since when:\n{}",
        main_of(&body)
    );
    let response = alice.get(app.url("/access")).send().await.expect("answers");
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// A watch that resumes after an outage and sees no change says nothing; the banner must still
/// go once the API server answers again.
#[tokio::test]
async fn the_last_known_state_is_served_while_the_api_server_is_away_and_it_catches_up_after() {
    let cluster = TestCluster::shared();
    cluster.install_portal_rbac().await;
    let admin = cluster.admin_client().await;
    let (before, during) = (unique("acc-before"), unique("acc-during"));
    create_namespace(&admin, &before).await;
    create_binding(
        &admin,
        &before,
        "workload-admin",
        vec![subject("Group", "team-a")],
    )
    .await;
    // The portal reaches the API server through a proxy the test can take away and give back.
    let target = cluster
        .server
        .trim_start_matches("https://")
        .parse()
        .expect("host:port");
    let mut proxy = portal_tests::TcpProxy::start(target).await;
    let kubeconfig = cluster.portal_kubeconfig(&format!("https://127.0.0.1:{}", proxy.port));
    let app = TestApp::spawn_with_login_and(|config| config.kubeconfig = Some(kubeconfig)).await;
    let alice = login::logged_in(&app, "alice").await;
    eventually(&alice, &app, "/access", "the namespace appears", |s, b| {
        s == 200 && b.contains(&before)
    })
    .await;

    // The API server goes away: the page keeps the last state and says since when.
    proxy.stop().await;
    let body = eventually(&alice, &app, "/access", "the banner", |s, b| {
        s == 200 && b.contains("id=\"cluster-unreachable\"")
    })
    .await;
    assert!(
        body.contains(&before),
        "the last known state is still served"
    );

    // Meanwhile a binding is added; when the API server is back, the portal catches up.
    create_namespace(&admin, &during).await;
    create_binding(
        &admin,
        &during,
        "workload-admin",
        vec![subject("Group", "team-a")],
    )
    .await;
    proxy.resume().await;
    eventually(&alice, &app, "/access", "it catches up", |s, b| {
        s == 200 && b.contains(&during) && !b.contains("id=\"cluster-unreachable\"")
    })
    .await;
}

#[tokio::test]
async fn without_a_cluster_the_page_says_it_is_not_connected() {
    let app = TestApp::spawn_with_login().await;
    let alice = login::logged_in(&app, "alice").await;
    let response = alice.get(app.url("/access")).send().await.expect("answers");
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(body.contains("id=\"cluster-not-connected\""));
    assert!(body.contains("id=\"no-namespaces\""));
}

/// Logs in through the provider's login screen from the page the browser is on.
async fn browser_log_in(b: &portal_tests::Browser, user: &str) -> anyhow::Result<()> {
    b.client
        .find(fantoccini::Locator::LinkText("Log in"))
        .await?
        .click()
        .await?;
    b.client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css("input[name=login]"))
        .await?;
    b.fill("input[name=login]", user).await?;
    b.fill("input[name=password]", user).await?;
    b.find("button[type=submit]").await?.click().await?;
    b.wait_for_text(".account .who", "").await?;
    Ok(())
}

/// Reloads `path` until `css` shows `expected` (the portal follows the cluster within moments).
async fn reload_until(
    b: &portal_tests::Browser,
    path: &str,
    css: &str,
    expected: &str,
) -> anyhow::Result<String> {
    // Generous: a watcher that backed off while the API server was away retries within 30 s.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        b.goto(path).await?;
        let text = match b.client.find(fantoccini::Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(expected) {
            return Ok(text);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{path}: {css} shows {text:?}, never {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn in_the_browser_alice_sees_exactly_her_namespaces_and_who_else_can_use_them()
-> anyhow::Result<()> {
    use portal_tests::{Browser, JavaScript};
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let (hers, bobs) = (unique("acc-web-a"), unique("acc-web-b"));
    create_namespace(&admin, &hers).await;
    create_namespace(&admin, &bobs).await;
    create_binding(
        &admin,
        &hers,
        "workload-admin",
        vec![
            subject("Group", "team-a"),
            subject("User", "dave@example.com"),
        ],
    )
    .await;
    create_binding(
        &admin,
        &bobs,
        "workload-admin",
        vec![subject("Group", "team-b")],
    )
    .await;
    let app = portal(cluster).await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    let (hers_, bobs_) = (hers.clone(), bobs.clone());
    browser
        .check("access_alice", async |b| {
            b.goto("/access").await?;
            b.wait_for_hydration().await?;
            browser_log_in(b, "alice").await?;
            let mine = reload_until(b, "/access", "#my-namespaces", &hers_).await?;
            anyhow::ensure!(
                !mine.contains(&bobs_),
                "bob's namespace is not hers: {mine}"
            );
            b.wait_for_hydration().await?;
            // The anonymous visit is answered 401 by design (Chromium logs that document load
            // whenever it flushes its log), and the provider's own pages are not ours to judge
            // (it serves no favicon); nothing else may fail.
            let issuer = portal_tests::TestIdp::shared().issuer.clone();
            let ours = move |errors: Vec<String>| -> Vec<String> {
                errors
                    .into_iter()
                    .filter(|e| !e.contains(issuer.as_str()))
                    .filter(|e| !(e.contains("/access - ") && e.contains("401")))
                    .collect()
            };
            let errors = ours(b.console_errors().await?);
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            // On to the namespace's page, by the router in the page: a mark left on `window`
            // survives only if the browser did not load a new document.
            b.client
                .execute("window.portalStayed = true;", vec![])
                .await?;
            b.find(&format!("#my-namespaces a[href='/access/{hers_}']"))
                .await?
                .click()
                .await?;
            if let Err(error) = b.wait_for_text("#namespace-access h1", &hers_).await {
                anyhow::bail!(
                    "{error}; at {}; console: {:#?}",
                    b.client.current_url().await?,
                    b.console_errors().await?
                );
            }
            anyhow::ensure!(
                b.client
                    .execute("return window.portalStayed === true;", vec![])
                    .await?
                    == serde_json::Value::Bool(true),
                "the link loaded a new document instead of navigating in the page"
            );
            b.wait_for_hydration().await?;
            let errors = ours(b.console_errors().await?);
            anyhow::ensure!(errors.is_empty(), "the namespace page: {errors:#?}");
            let subjects = b.text("#namespace-access").await?;
            anyhow::ensure!(
                subjects.contains("team-a") && subjects.contains("dave@example.com"),
                "who else can use it: {subjects}"
            );
            // A RoleBinding added in the cluster shows up without restarting the portal.
            create_binding(
                &cluster.admin_client().await,
                &bobs_,
                "extra-workload-admins",
                vec![subject("Group", "team-a")],
            )
            .await;
            reload_until(b, "/access", "#my-namespaces", &bobs_).await?;
            b.wait_for_hydration().await?;
            let errors = ours(b.console_errors().await?);
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn in_the_browser_root_sees_and_searches_the_full_matrix_without_javascript()
-> anyhow::Result<()> {
    use portal_tests::{Browser, JavaScript};
    let cluster = TestCluster::shared();
    let admin = cluster.admin_client().await;
    let tag = unique("acc-web-mx");
    let (one, two) = (format!("{tag}-one"), format!("{tag}-two"));
    create_namespace(&admin, &one).await;
    create_namespace(&admin, &two).await;
    create_binding(
        &admin,
        &one,
        "workload-admin",
        vec![subject("Group", "team-a")],
    )
    .await;
    create_binding(
        &admin,
        &two,
        "workload-admin",
        vec![subject("Group", "team-b")],
    )
    .await;
    let app = portal(cluster).await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("access_root_matrix", async |b| {
            b.goto("/").await?;
            browser_log_in(b, "root").await?;
            let groups =
                reload_until(b, &format!("/admin/access?q={tag}"), "#matrix-groups", &two).await?;
            anyhow::ensure!(
                groups.contains("team-a") && groups.contains("team-b") && groups.contains(&one),
                "the full matrix: {groups}"
            );
            // The GET search form works without JavaScript.
            b.fill("#access-search", &format!("{tag}-two")).await?;
            b.find("#admin-access button[type=submit]")
                .await?
                .click()
                .await?;
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let narrowed = b.text("#matrix-groups").await.unwrap_or_default();
                if narrowed.contains("team-b") && !narrowed.contains(&one) {
                    break;
                }
                anyhow::ensure!(Instant::now() < deadline, "never narrowed: {narrowed}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            anyhow::ensure!(
                b.client
                    .current_url()
                    .await?
                    .query()
                    .unwrap_or_default()
                    .contains("q="),
                "the search is in the address"
            );
            anyhow::ensure!(b.exists("a#access-csv[rel=external]").await?);
            Ok(())
        })
        .await?;
    browser.close().await
}
