//! The FAQ over HTTP and in the browser: browsing, entry pages, search as a plain GET form and
//! live when hydrated, pasted error messages, bad queries, "Was this helpful?", the
//! administrators' report, the platform version and the operator's entry folder.
//!
//! The "done when" of the FAQ: every question of the original FAQ, typed into the search box
//! (with JavaScript on and off), and every error message an entry lists, find the entry that
//! answers it as the first result.

use fantoccini::Locator;
use portal_tests::{
    Browser, JavaScript, TestApp,
    login::{http_browser, location, logged_in},
};
use server::{config::Config, faq::content, startup::Application};
use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

/// The questions of the original FAQ (`application-developer-faq.txt`), verbatim, with the entry
/// that answers each.
const SEED_QUESTIONS: &[(&str, &str)] = &[
    ("Why can't I kubectl run?", "kubectl-run-refused"),
    (
        "How do I give access to a new application developer to a Compliant Kubernetes environment?",
        "give-developer-access",
    ),
    ("How do I add a new namespace?", "new-namespace"),
    (
        "Why can't I access my cluster? 'Bad Request Unregistered redirect_uri (\"http://localhost:18000\").'",
        "unregistered-redirect-uri",
    ),
    (
        "Why can't I access Kibana or Elasticsearch?",
        "opensearch-instead-of-kibana",
    ),
    ("What is encrypted at rest?", "encryption-at-rest"),
    (
        "Why does Compliant Kubernetes not offer encryption-at-rest at the platform level?",
        "why-no-vm-disk-encryption",
    ),
];

/// The error line of the original FAQ, as a developer would paste it.
const PASTED_ERROR: &str = "Bad Request Unregistered redirect_uri (\"http://localhost:18000\").";

/// What "done" asks of the search box: each question of the original FAQ, and its error
/// message typed on its own, finds the entry that answers it first.
fn typed_queries() -> impl Iterator<Item = (&'static str, &'static str)> {
    SEED_QUESTIONS
        .iter()
        .copied()
        .chain([(PASTED_ERROR, "unregistered-redirect-uri")])
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The status and HTML of a page, without the `<!>` markers Leptos puts between text nodes.
async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let body = response.text().await.expect("a body");
    (status, body.replace("<!>", ""))
}

/// The slugs of the results on a rendered search page, in order.
fn result_slugs(html: &str) -> Vec<String> {
    html.split("<li class=\"faq-hit\"><a href=\"/faq/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

async fn first_result(app: &TestApp, query: &str) -> Option<String> {
    let (status, page) = html(app, &format!("/faq?q={}", encode(query))).await;
    assert_eq!(status, 200, "{query:?}");
    result_slugs(&page).into_iter().next()
}

// ---------------------------------------------------------------------------------------------
// Over HTTP, as a browser without JavaScript sees it

#[tokio::test]
async fn every_seed_question_is_answered_first_by_the_get_form() {
    let app = TestApp::spawn().await;
    let mut wrong = Vec::new();
    for (question, expected) in typed_queries() {
        let found = first_result(&app, question).await;
        if found.as_deref() != Some(expected) {
            wrong.push(format!("{question:?} → {found:?}, expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn every_listed_error_message_finds_an_entry_that_answers_it_first() {
    let app = TestApp::spawn().await;
    let entries = content::builtin().expect("the shipped entries parse");
    let mut wrong = Vec::new();
    for entry in &entries {
        for error in &entry.errors {
            let answering: Vec<&str> = entries
                .iter()
                .filter(|other| other.errors.contains(error))
                .map(|other| other.slug.as_str())
                .collect();
            let found = first_result(&app, error).await;
            if !found
                .as_deref()
                .is_some_and(|slug| answering.contains(&slug))
            {
                wrong.push(format!(
                    "{error:?} → {found:?}, expected one of {answering:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn the_faq_page_lists_the_categories_and_entries() {
    let app = TestApp::spawn().await;
    let (status, page) = html(&app, "/faq").await;
    assert_eq!(status, 200);
    for text in [
        "<title>FAQ · Welkin Developer Portal</title>",
        "Access and login",
        "Running workloads",
        "Security and compliance",
        "href=\"/faq/new-namespace\"",
        "href=\"/faq/opensearch-instead-of-kibana\"",
        "platform &gt;=0.30",
        "id=\"faq-q\"",
        "id=\"faq-error\"",
    ] {
        assert!(page.contains(text), "/faq lacks {text:?}");
    }
}

#[tokio::test]
async fn an_entry_page_has_anchors_code_related_entries_and_feedback() {
    let app = TestApp::spawn().await;
    let (status, page) = html(&app, "/faq/unregistered-redirect-uri").await;
    assert_eq!(status, 200);
    for text in [
        "<title>Why does login fail with &quot;Unregistered redirect_uri&quot;? · Welkin",
        "<h2 id=\"what-is-going-on\">What is going on <a class=\"anchor\" href=\"#what-is-going-on\"",
        "<pre><code class=\"language-bash\">lsof -nP -iTCP:8000 -sTCP:LISTEN",
        "Related questions",
        "href=\"/faq/kubeconfig-and-login\"",
        "Was this helpful?",
        "name=\"input[helpful]\"",
        "Bad Request Unregistered redirect_uri",
    ] {
        assert!(
            page.contains(text) || page.contains(&text.replace("&quot;", "\"")),
            "the entry page lacks {text:?}"
        );
    }
    // The copy buttons need JavaScript, so the server does not render them.
    assert!(!page.contains("class=\"copy\""));
}

#[tokio::test]
async fn an_unknown_entry_is_a_404_with_the_site_layout() {
    let app = TestApp::spawn().await;
    for path in [
        "/faq/no-such-entry",
        "/faq/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/faq/..%2F..%2Fetc%2Fpasswd",
    ] {
        let (status, page) = html(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("No such FAQ entry"), "{path}");
        assert!(page.contains("Welkin Developer Portal"), "{path}");
        assert!(!page.contains("<script>alert(1)"), "{path}");
    }
}

#[tokio::test]
async fn empty_long_and_syntax_laden_queries_never_fail() {
    let app = TestApp::spawn().await;
    let long = "kubectl ".repeat(2_000);
    let many = (0..3_000).map(|i| format!("w{i} ")).collect::<String>();
    let queries = [
        "",
        "   ",
        "\"",
        "\"unclosed phrase",
        "title:kibana",
        "errors:(a OR b)",
        "kibana AND",
        "AND OR NOT",
        "(((",
        "[0 TO 9]",
        "{a}",
        "*",
        "kub*",
        "?",
        "kibana~2",
        "+must -not",
        "a^10",
        "\\",
        "/regex/",
        "' OR 1=1; --",
        "%00",
        long.as_str(),
        many.as_str(),
    ];
    for query in queries {
        let (status, page) = html(&app, &format!("/faq?q={}", encode(query))).await;
        assert_eq!(status, 200, "{query:?}");
        assert!(page.contains("id=\"faq-q\""), "{query:?}");
    }
    // Words inside the syntax still count.
    assert_eq!(
        first_result(&app, "title:kibana AND (elasticsearch*)")
            .await
            .as_deref(),
        Some("opensearch-instead-of-kibana")
    );
}

#[tokio::test]
async fn queries_and_highlights_are_escaped() {
    let app = TestApp::spawn().await;
    let (_, page) = html(
        &app,
        &format!("/faq?q={}", encode("<script>alert(1)</script> zzqx")),
    )
    .await;
    assert!(
        !page.contains("<script>alert(1)"),
        "the query was not escaped"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    // The admission entry's body shows `<app>` as text; its snippet must too, with a highlight.
    let (_, page) = html(
        &app,
        &format!(
            "/faq?q={}",
            encode("The container named app has no resource requests")
        ),
    )
    .await;
    assert_eq!(
        result_slugs(&page).first().map(String::as_str),
        Some("admission-errors")
    );
    assert!(page.contains("<mark>"), "no highlight");
    assert!(
        page.contains("&lt;<mark>app</mark>&gt;"),
        "the snippet lost the text or its highlight"
    );
    assert!(!page.contains("<app>"), "raw markup in a snippet");
}

#[tokio::test]
async fn a_mistyped_query_still_finds_the_entry() {
    let app = TestApp::spawn().await;
    for (query, expected) in [
        ("opensarch dashbaords", "opensearch-instead-of-kibana"),
        ("unregisterd redirect", "unregistered-redirect-uri"),
        ("kubctl run refsued", "kubectl-run-refused"),
    ] {
        assert_eq!(
            first_result(&app, query).await.as_deref(),
            Some(expected),
            "{query:?}"
        );
    }
}

/// The pointers block of a results page: the links it offers, in order.
fn pointer_links(html: &str) -> Vec<String> {
    html.split("id=\"faq-pointers\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .map(|block| {
            block
                .split("<a href=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_query_nothing_answers_well_gets_the_closest_entries_and_the_page_that_can() {
    let app = TestApp::spawn_with_login().await;
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: billing\n\
        spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: billing\n\
        image: harbor.example.com/team/billing:1.4.0";
    let connection = "can billing-worker reach kafka-broker-2 on 9092";

    // A pasted manifest: the closest entries, marked as such, then the preflight check, the
    // generator and the run recipe.
    let (status, page) = html(&app, &format!("/faq?q={}", encode(manifest))).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"faq-weak-results\""),
        "not marked as weak"
    );
    assert!(!result_slugs(&page).is_empty(), "no closest entries");
    assert_eq!(
        pointer_links(&page),
        ["/preflight", "/networkpolicies", "/networkpolicies/run"]
    );

    // A question about one workload reaching another: the generator.
    let (_, page) = html(&app, &format!("/faq?q={}", encode(connection))).await;
    assert!(
        page.contains("id=\"faq-weak-results\""),
        "not marked as weak"
    );
    assert!(!result_slugs(&page).is_empty(), "no closest entries");
    assert_eq!(pointer_links(&page), ["/networkpolicies"]);

    // A question an entry answers well gets neither.
    let (_, page) = html(
        &app,
        &format!("/faq?q={}", encode("why is kubectl run refused")),
    )
    .await;
    assert!(!page.contains("faq-weak-results") && !page.contains("faq-pointers"));
    assert_eq!(
        result_slugs(&page).first().map(String::as_str),
        Some("kubectl-run-refused")
    );

    // Both are recorded for the administrators, as a search that found nothing is.
    let root = logged_in(&app, "root").await;
    let report = root
        .get(app.url("/admin/faq"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("body")
        .replace("<!>", "");
    let unanswered = report
        .split("id=\"faq-unanswered\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("an unanswered table");
    assert!(unanswered.contains(connection), "{unanswered}");
    assert!(
        unanswered.contains("apiversion: apps/v1 kind: deployment"),
        "{unanswered}"
    );
    assert!(!unanswered.contains("kubectl run"), "{unanswered}");
}

// ---------------------------------------------------------------------------------------------
// "Was this helpful?" and the administrators' report

async fn vote(app: &TestApp, slug: &str, helpful: bool, cookie: Option<&str>) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.url("/api/faq/vote"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "input[slug]={}&input[helpful]={helpful}",
            encode(slug)
        ));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("the portal answers")
}

fn voter_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("portal_voter="))
        .map(str::to_owned)
}

#[tokio::test]
async fn one_vote_per_reader_and_entry_changed_not_doubled() {
    let app = TestApp::spawn().await;
    let first = vote(&app, "node-reboots", true, None).await;
    assert_eq!(first.status(), 200);
    let set_cookie = voter_cookie(&first).expect("a voter cookie is set");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "not over plain HTTP");
    assert_eq!(first.text().await.expect("body"), "\"Recorded\"");
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();

    let again = vote(&app, "node-reboots", true, Some(&cookie)).await;
    assert!(
        voter_cookie(&again).is_none(),
        "the cookie is kept, not replaced"
    );
    assert_eq!(again.text().await.expect("body"), "\"Unchanged\"");
    let changed = vote(&app, "node-reboots", false, Some(&cookie)).await;
    assert_eq!(changed.text().await.expect("body"), "\"Changed\"");

    // The reader's answer shows on the entry page.
    let page = app
        .http
        .get(app.url("/faq/node-reboots"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("body");
    assert!(page.contains("You found this not helpful"), "{page}");

    // A cookie that is not one of ours is replaced by a fresh id.
    let forged = vote(&app, "node-reboots", true, Some("portal_voter=' OR 1=1 --")).await;
    assert!(voter_cookie(&forged).is_some());
    assert_eq!(forged.text().await.expect("body"), "\"Recorded\"");
}

async fn vote_as(client: &reqwest::Client, app: &TestApp, slug: &str, helpful: bool) -> String {
    let response = client
        .post(app.url("/api/faq/vote"))
        .form(&[
            ("input[slug]", slug),
            ("input[helpful]", &helpful.to_string()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert!(
        voter_cookie(&response).is_none(),
        "a logged-in reader gets no anonymous voter cookie"
    );
    response.text().await.expect("body")
}

async fn my_vote(client: &reqwest::Client, app: &TestApp, slug: &str) -> serde_json::Value {
    client
        .post(app.url("/api/faq/my-vote"))
        .form(&[("slug", slug)])
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_logged_in_reader_has_one_vote_per_entry_across_sessions() {
    let app = TestApp::spawn_with_login().await;
    let alice_at_work = logged_in(&app, "alice").await;
    assert_eq!(
        vote_as(&alice_at_work, &app, "node-reboots", true).await,
        "\"Recorded\""
    );

    // Another browser, another session: still alice, still her one vote.
    let alice_at_home = logged_in(&app, "alice").await;
    assert_eq!(my_vote(&alice_at_home, &app, "node-reboots").await, true);
    assert_eq!(
        vote_as(&alice_at_home, &app, "node-reboots", true).await,
        "\"Unchanged\""
    );
    assert_eq!(
        vote_as(&alice_at_home, &app, "node-reboots", false).await,
        "\"Changed\""
    );
    assert_eq!(my_vote(&alice_at_work, &app, "node-reboots").await, false);

    // Another user has a vote of their own; an anonymous reader sees neither.
    let bob = logged_in(&app, "bob").await;
    assert_eq!(
        my_vote(&bob, &app, "node-reboots").await,
        serde_json::Value::Null
    );
    assert_eq!(
        vote_as(&bob, &app, "node-reboots", true).await,
        "\"Recorded\""
    );
    assert_eq!(
        my_vote(&http_browser(), &app, "node-reboots").await,
        serde_json::Value::Null
    );

    // Counted once each: one helpful (bob), one not helpful (alice).
    let root = logged_in(&app, "root").await;
    let report: serde_json::Value = report_function(&root, &app)
        .await
        .json()
        .await
        .expect("JSON");
    let row = report["entries"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|row| row["entry"]["slug"] == "node-reboots")
        })
        .expect("node-reboots in the report");
    assert_eq!(
        (&row["helpful"], &row["not_helpful"]),
        (&1.into(), &1.into()),
        "{row}"
    );
}

#[tokio::test]
async fn after_logging_in_a_reader_votes_as_the_user_not_the_cookie() {
    let app = TestApp::spawn_with_login().await;
    // An anonymous vote from a browser, with its voter cookie.
    let browser = http_browser();
    let response = browser
        .post(app.url("/api/faq/vote"))
        .form(&[("input[slug]", "node-reboots"), ("input[helpful]", "true")])
        .send()
        .await
        .expect("answers");
    assert!(voter_cookie(&response).is_some());
    // The same browser logs in as alice: her vote is her own, the cookie's stays the cookie's.
    let callback = portal_tests::login::sign_in_at_provider(&app, &browser, "alice", "/").await;
    browser.get(&callback).send().await.expect("callback");
    assert_eq!(
        my_vote(&browser, &app, "node-reboots").await,
        serde_json::Value::Null
    );
    assert_eq!(
        vote_as(&browser, &app, "node-reboots", false).await,
        "\"Recorded\""
    );
}

#[tokio::test]
async fn votes_for_unknown_or_malformed_entries_are_refused() {
    let app = TestApp::spawn().await;
    for slug in ["no-such-entry", "", &"x".repeat(5_000), "<script>"] {
        let response = vote(&app, slug, true, None).await;
        assert!(!response.status().is_success(), "{slug:?}");
        let body = response.text().await.expect("body");
        assert!(body.contains("UnknownEntry"), "{slug:?}: {body}");
        assert!(
            body.len() < 400,
            "the message quotes at most 100 characters"
        );
    }
    let response = app
        .http
        .post(app.url("/api/faq/vote"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("input[slug]=node-reboots&input[helpful]=perhaps")
        .send()
        .await
        .expect("answers");
    assert!(!response.status().is_success());
}

#[tokio::test]
async fn voting_without_javascript_returns_to_the_entry() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .post(app.url("/api/faq/vote"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("referer", app.url("/faq/node-reboots"))
        .body("input[slug]=node-reboots&input[helpful]=true")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().expect("text");
    assert!(
        location.starts_with(&app.url("/faq/node-reboots")),
        "{location}"
    );
    assert!(voter_cookie(&response).is_some());
}

async fn report_function(client: &reqwest::Client, app: &TestApp) -> reqwest::Response {
    client
        .post(app.url("/api/faq/report"))
        .send()
        .await
        .expect("answers")
}

#[tokio::test]
async fn the_admin_report_is_for_administrators_only() {
    let app = TestApp::spawn_with_login().await;

    // Anonymous: the page sends to login and back; the function says 401.
    let anonymous = http_browser();
    let page = anonymous
        .get(app.url("/admin/faq"))
        .send()
        .await
        .expect("answers");
    assert!(page.status().is_redirection(), "{}", page.status());
    assert_eq!(location(&page), "/auth/login?next=/admin/faq");
    let response = report_function(&anonymous, &app).await;
    assert_eq!(response.status(), 401);
    assert!(
        !response
            .text()
            .await
            .expect("body")
            .contains("faq-unanswered")
    );

    // A developer: 403 for both, and none of the report.
    let alice = logged_in(&app, "alice").await;
    let page = alice
        .get(app.url("/admin/faq"))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 403);
    let body = page.text().await.expect("body");
    assert!(body.contains("For platform administrators"), "{body}");
    assert!(!body.contains("id=\"faq-helpfulness\""));
    let response = report_function(&alice, &app).await;
    assert_eq!(response.status(), 403);
    assert!(
        !response
            .text()
            .await
            .expect("body")
            .contains("node-reboots")
    );

    // An administrator: the page and the function.
    let root = logged_in(&app, "root").await;
    let page = root
        .get(app.url("/admin/faq"))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("id=\"faq-helpfulness\"")
    );
    let response = report_function(&root, &app).await;
    assert_eq!(response.status(), 200);
    let report: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        report["entries"]
            .as_array()
            .is_some_and(|entries| !entries.is_empty()),
        "{report}"
    );
}

#[tokio::test]
async fn the_admin_report_lists_unanswered_searches_and_helpfulness() {
    let app = TestApp::spawn_with_login().await;
    // Searches that found nothing, twice and once; one that found something is not listed.
    for query in [
        "Quantum   blockchain",
        "quantum blockchain",
        "zzqx <b>",
        "kubectl run",
    ] {
        html(&app, &format!("/faq?q={}", encode(query))).await;
    }
    for helpful in [false, false, true] {
        vote(&app, "namespace-names", helpful, None).await;
    }
    let root = logged_in(&app, "root").await;
    let response = root
        .get(app.url("/admin/faq"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    // Without the empty comments hydration places after dynamic text.
    let page = response.text().await.expect("body").replace("<!>", "");
    let unanswered = page
        .split("id=\"faq-unanswered\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("an unanswered table");
    let quantum = unanswered
        .find("quantum blockchain")
        .expect("quantum listed");
    let zzqx = unanswered
        .find("zzqx &lt;b&gt;")
        .expect("zzqx listed, escaped");
    assert!(quantum < zzqx, "most frequent first");
    assert!(unanswered.contains("<td class=\"number\">2</td>"));
    assert!(!unanswered.contains("kubectl run"));

    let helpfulness = page
        .split("id=\"faq-helpfulness\"")
        .nth(1)
        .expect("a helpfulness table");
    let first_row = helpfulness.split("</tr>").nth(1).expect("a row");
    assert!(first_row.contains("/faq/namespace-names"), "{first_row}");
    assert!(
        first_row.contains("<td class=\"number\">1</td><td class=\"number\">2</td>"),
        "{first_row}"
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration: platform version and the operator's folder

#[tokio::test]
async fn entries_for_other_platform_versions_are_hidden_or_marked() {
    let old = TestApp::spawn_with(|config| config.platform_version = "0.29.0".into()).await;
    let (_, page) = html(&old, "/faq").await;
    assert!(!page.contains("/faq/pod-security-restricted"));
    assert!(page.contains("Showing the answers for platform version 0.29.0"));
    assert_ne!(
        first_result(&old, "violates PodSecurity restricted")
            .await
            .as_deref(),
        Some("pod-security-restricted")
    );
    let (status, entry) = html(&old, "/faq/pod-security-restricted").await;
    assert_eq!(status, 200, "still reachable by its address");
    assert!(entry.contains("id=\"faq-version-note\""));
    assert!(entry.contains("may not apply here"));

    let any = TestApp::spawn().await;
    let (_, page) = html(&any, "/faq").await;
    assert!(page.contains("/faq/pod-security-restricted"));
    assert!(page.contains("platform &gt;=0.30"));
}

fn local_config(data: &tempfile::TempDir) -> Config {
    Config {
        listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: format!("sqlite://{}/portal.db", data.path().display()).into(),
        ..Config::default()
    }
}

#[tokio::test]
async fn the_operators_folder_adds_and_replaces_entries() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("velero.md"),
        "---\ntitle: How do I restore from a Velero backup?\nslug: velero-restore\n\
         category: Backups\nerrors: ['backup storage location is unavailable']\n---\n\
         Ask your administrator, and quote the backup's name.\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("new-namespace.md"),
        "---\ntitle: How do I get a namespace at ACME?\nslug: new-namespace\ncategory: Namespaces\n---\n\
         File a ticket in the ACME service desk.\n",
    )
    .expect("write");
    let path = dir.path().to_owned();
    let app = TestApp::spawn_with(move |config| config.faq_dir = Some(path)).await;
    assert_eq!(
        first_result(&app, "velero restore").await.as_deref(),
        Some("velero-restore")
    );
    assert_eq!(
        first_result(&app, "backup storage location is unavailable")
            .await
            .as_deref(),
        Some("velero-restore")
    );
    let (_, page) = html(&app, "/faq/new-namespace").await;
    assert!(page.contains("ACME service desk"));
    let (_, page) = html(&app, "/faq").await;
    assert!(page.contains("Backups"));
}

#[tokio::test]
async fn a_bad_entry_file_stops_start_up_naming_the_file_and_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("broken.md"),
        "---\ntitle: Fine\nslug: fine\ncategory: C\nplatform_versions: newest\n---\nText\n",
    )
    .expect("write");
    let config = Config {
        faq_dir: Some(dir.path().to_owned()),
        ..local_config(&data)
    };
    let error = format!(
        "{:#}",
        Application::build(config).await.expect_err("refused")
    );
    assert!(
        error.contains("broken.md") && error.contains("`platform_versions`"),
        "{error}"
    );

    let config = Config {
        faq_dir: Some(dir.path().join("missing")),
        ..local_config(&data)
    };
    let error = format!(
        "{:#}",
        Application::build(config).await.expect_err("refused")
    );
    assert!(error.contains("missing"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// In the browser

/// Waits until the first result links to `/faq/SLUG` and the results are for `query`.
async fn wait_for_first_result(browser: &Browser, query: &str, slug: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let wanted = format!("/faq/{slug}");
    // The summary line quotes the query (whitespace collapsed by the browser's text rendering).
    let quoted: String = query.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let summary = match browser.client.find(Locator::Css("#faq-results > p")).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let first = match browser
            .client
            .find(Locator::Css("#faq-results .faq-hit-title"))
            .await
        {
            Ok(element) => element
                .attr("href")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        if summary.contains(&quoted) && first.ends_with(&wanted) {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "for {query:?} the first result is {first:?} ({summary:?}), not {wanted}"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn search_works_without_javascript_in_both_boxes() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("faq_search_without_javascript", async |b| {
            for (question, expected) in typed_queries() {
                b.goto("/faq").await?;
                b.fill("#faq-q", question).await?;
                b.find("#faq-search button[type=submit]")
                    .await?
                    .click()
                    .await?;
                wait_for_first_result(b, question, expected).await?;
            }
            b.goto("/faq").await?;
            b.fill("#faq-error", PASTED_ERROR).await?;
            b.find("#faq-paste button[type=submit]")
                .await?
                .click()
                .await?;
            wait_for_first_result(b, PASTED_ERROR, "unregistered-redirect-uri").await?;
            anyhow::ensure!(!b.exists("html[data-hydrated]").await?, "JavaScript ran");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn search_updates_as_you_type_once_hydrated() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("faq_search_hydrated", async |b| {
            b.goto("/faq").await?;
            b.wait_for_hydration().await?;
            // Gone if the page is ever loaded again (a form submitted to the server).
            b.client.execute("window.samePage = true", vec![]).await?;
            for (question, expected) in typed_queries() {
                // No submit: only client code can update the results.
                b.fill("#faq-q", question).await?;
                wait_for_first_result(b, question, expected).await?;
            }
            b.fill("#faq-error", PASTED_ERROR).await?;
            b.find("#faq-paste button[type=submit]")
                .await?
                .click()
                .await?;
            wait_for_first_result(b, PASTED_ERROR, "unregistered-redirect-uri").await?;
            let same_page = b
                .client
                .execute("return window.samePage === true", vec![])
                .await?;
            anyhow::ensure!(
                same_page == serde_json::Value::Bool(true),
                "a form was submitted to the server"
            );
            // The search is in the address, so the results can be shared.
            let url = b.client.current_url().await?;
            let q = url
                .query_pairs()
                .find(|(key, _)| key == "q")
                .map(|(_, value)| value.into_owned());
            anyhow::ensure!(
                q.as_deref().map(str::trim) == Some(PASTED_ERROR.trim()),
                "the address says {url}"
            );
            // Clearing the box brings the categories back.
            b.fill("#faq-q", "").await?;
            b.find("#faq-q").await?.send_keys(" ").await?;
            b.wait_for_text("#faq-browse", "Access and login").await?;
            let errors = b.console_errors().await?;
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn an_entry_hydrates_with_copy_buttons_and_takes_a_vote() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("faq_entry_hydrated", async |b| {
            b.goto("/faq/unregistered-redirect-uri").await?;
            b.wait_for_hydration().await?;
            b.wait_for_text(".code-block button.copy", "Copy").await?;
            b.find(".code-block button.copy").await?.click().await?;
            b.wait_for_text(".code-block button.copy", "Copied").await?;
            b.find("#vote-yes").await?.click().await?;
            b.wait_for_text("#feedback-status", "Thank you, your answer is recorded.")
                .await?;
            b.find("#vote-yes").await?.click().await?;
            b.wait_for_text("#feedback-status", "You had already answered this way.")
                .await?;
            b.goto("/faq/unregistered-redirect-uri").await?;
            b.wait_for_text("#feedback-status", "You found this helpful.")
                .await?;
            // A related entry opens in place.
            b.client
                .find(Locator::Css(
                    ".faq-related a[href='/faq/kubeconfig-and-login']",
                ))
                .await?
                .click()
                .await?;
            b.wait_for_text("main h1", "kubeconfig").await?;
            let errors = b.console_errors().await?;
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn an_entry_takes_a_vote_without_javascript() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("faq_entry_without_javascript", async |b| {
            b.goto("/faq/node-reboots").await?;
            anyhow::ensure!(
                !b.exists(".code-block button.copy").await?,
                "a copy button without JavaScript"
            );
            b.find("#vote-no").await?.click().await?;
            b.wait_for_text("#feedback-status", "You found this not helpful.")
                .await?;
            anyhow::ensure!(
                b.client.current_url().await?.path() == "/faq/node-reboots",
                "not back on the entry"
            );
            Ok(())
        })
        .await?;
    browser.close().await
}

/// One labelled query of the blind evaluation set (`tests/faq-eval/`).
fn evaluation_set(file: &str) -> Vec<(String, String)> {
    let path = portal_tests::repo_root().join("tests/faq-eval").join(file);
    let text = std::fs::read_to_string(&path).expect("the evaluation set");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (query, slug) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{}: not `query<TAB>slug`: {line:?}", path.display()));
            (query.to_owned(), slug.trim().to_owned())
        })
        .collect()
}

/// Entries written after the evaluation set was labelled. A query can now be answered best by
/// one of them while its label names an older entry; recall without them shows how much of a
/// change is retrieval and how much is new entries competing.
const NEWER_THAN_THE_SET: &[&str] = &[
    "cluster-rules",
    "delegate-access-extra-workload-admins",
    "deny-all-silent-timeouts",
    "deployment-accepted-pods-refused",
    "traffic-check",
];

/// Top-1 and top-3 accuracy of the shipped FAQ's search on one half of the set.
fn recall(file: &str) -> (f64, f64, usize) {
    let library = server::faq::FaqLibrary::load(&server::config::Config::default())
        .expect("the shipped FAQ loads");
    recall_of(&library, file)
}

/// The same, for the entries the set was labelled against only.
fn recall_without_newer_entries(file: &str) -> (f64, f64, usize) {
    let documents: Vec<_> = content::builtin()
        .expect("the shipped entries parse")
        .into_iter()
        .filter(|document| !NEWER_THAN_THE_SET.contains(&document.slug.as_str()))
        .collect();
    let library = server::faq::FaqLibrary::build(documents, None).expect("builds");
    recall_of(&library, file)
}

fn recall_of(library: &server::faq::FaqLibrary, file: &str) -> (f64, f64, usize) {
    let set = evaluation_set(file);
    let (mut first, mut top3) = (0usize, 0usize);
    for (query, slug) in &set {
        assert!(library.contains(slug), "{file}: no entry {slug:?}");
        let hits = library.search(query).hits;
        let rank = hits.iter().position(|hit| &hit.entry.slug == slug);
        first += usize::from(rank == Some(0));
        top3 += usize::from(rank.is_some_and(|rank| rank < 3));
    }
    let total = set.len();
    (
        first as f64 / total as f64,
        top3 as f64 / total as f64,
        total,
    )
}

/// The FAQ measured on questions its authors did not write (written blind, split once at
/// random; see `tests/faq-eval/README.md`). The floors are set from the held-out half as last
/// measured, a little below it, so a change that makes search worse fails here; BENCHMARKS.md
/// records both halves.
#[test]
fn the_faq_finds_the_answer_to_questions_asked_in_other_words() {
    let (tuning_1, tuning_3, tuning_n) = recall("tuning.tsv");
    let (second_1, second_3, second_n) = recall("tuning-2.tsv");
    let (third_1, third_3, third_n) = recall("tuning-3.tsv");
    let (held_1, held_3, held_n) = recall("held-out.tsv");
    println!(
        "FAQ recall: tuning ({tuning_n}) top-1 {tuning_1:.3} top-3 {tuning_3:.3}; \
         second tuning set ({second_n}) top-1 {second_1:.3} top-3 {second_3:.3}; \
         third tuning set ({third_n}) top-1 {third_1:.3} top-3 {third_3:.3}; \
         held-out ({held_n}) top-1 {held_1:.3} top-3 {held_3:.3}"
    );
    let (old_tuning_1, old_tuning_3, _) = recall_without_newer_entries("tuning.tsv");
    let (old_held_1, old_held_3, _) = recall_without_newer_entries("held-out.tsv");
    println!(
        "FAQ recall without the entries newer than the set: tuning top-1 {old_tuning_1:.3} \
         top-3 {old_tuning_3:.3}; held-out top-1 {old_held_1:.3} top-3 {old_held_3:.3}"
    );
    assert!(
        tuning_n >= 75 && held_n >= 75,
        "at least 150 queries in all"
    );
    // First measured (2026-12-01): held-out top-1 0.708, top-3 0.849. After questions,
    // synonyms and reranking by the closest question (issue 17): 0.802 and 0.925. After
    // tuning on the second set too (2026-12-04): 0.821 and 0.953. After tuning on the third
    // set (2026-12-06): 0.840 and 0.972.
    assert!(held_1 >= 0.82, "held-out top-1 {held_1:.3}");
    assert!(held_3 >= 0.95, "held-out top-3 {held_3:.3}");
}

/// A tuning aid, not a check: the tuning sets' queries whose entry is not first, with the
/// three entries that came first. It never reads the held-out half (`tests/faq-eval/README.md`).
/// `cargo test -p app -p server -p portal-tests --test portal -- --ignored --nocapture tuning_misses`
#[test]
#[ignore = "prints the tuning half's misses for whoever tunes the search"]
fn tuning_misses() {
    let library = server::faq::FaqLibrary::load(&server::config::Config::default())
        .expect("the shipped FAQ loads");
    let tuning = evaluation_set("tuning.tsv")
        .into_iter()
        .chain(evaluation_set("tuning-2.tsv"))
        .chain(evaluation_set("tuning-3.tsv"));
    for (query, slug) in tuning {
        let hits = library.search(&query).hits;
        let rank = hits.iter().position(|hit| hit.entry.slug == slug);
        if rank != Some(0) {
            let top: Vec<&str> = hits
                .iter()
                .take(3)
                .map(|hit| hit.entry.slug.as_str())
                .collect();
            println!("{rank:?}\t{slug}\t{query}\t→ {top:?}");
        }
    }
}

/// The questions issue 17 was opened with, each asked in words no entry used then: the entry
/// that answers it comes first.
#[test]
fn the_issues_questions_find_their_entries_first() {
    let library = server::faq::FaqLibrary::load(&server::config::Config::default())
        .expect("the shipped FAQ loads");
    let cases: &[(&str, &[&str])] = &[
        ("luks on worker nodes", &["why-no-vm-disk-encryption"]),
        (
            "how do I see who is in my team namespace",
            &["access-page", "give-developer-access"],
        ),
        (
            "oidc callback error",
            &["unregistered-redirect-uri", "kubeconfig-and-login"],
        ),
        ("create new project", &["new-namespace"]),
    ];
    let mut wrong = Vec::new();
    for (query, answers) in cases {
        let slugs: Vec<String> = library
            .search(query)
            .hits
            .into_iter()
            .map(|hit| hit.entry.slug)
            .collect();
        if !slugs
            .first()
            .is_some_and(|first| answers.contains(&first.as_str()))
        {
            wrong.push(format!(
                "{query:?} → {slugs:?}, expected one of {answers:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
