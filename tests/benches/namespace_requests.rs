//! Benchmarks of namespace requests (run with `cargo bench -p portal-tests --bench
//! namespace_requests`; figures in BENCHMARKS.md):
//!
//! - the administrators' queue, first page and filtered pages, with 100,000 stored requests, on
//!   SQLite and on PostgreSQL (the harness's throwaway server): latency percentiles over many
//!   calls, through the store the portal uses;
//! - approve-to-ready: from the approval form post to the request being ready, against the real
//!   kube-apiserver of the tests, through the whole portal.
//!
//! A plain `main` rather than criterion: the target is a p99, which criterion does not report.

use app::domain::RequestStatus;
use portal_tests::{
    TestApp, TestCluster, TestDatabase,
    login::{location, logged_in},
};
use reqwest::header;
use server::store::Database;
use server::store::QueueQuery;
use std::time::{Duration, Instant};

const REQUESTS: i64 = 100_000;
const CALLS: usize = 2_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label:<58} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  (n = {})",
        percentile(&samples, 0.50).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        samples.len()
    );
}

/// 100,000 requests in one statement per table: every tenth pending, the rest spread over the
/// other statuses; names unique, 50 groups.
async fn fill(db: &TestDatabase) {
    if db.url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("connects");
        sqlx::query(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {REQUESTS})
             INSERT INTO namespace_requests (name, requester, purpose, labels, status, created_at, updated_at)
             SELECT 'ns-' || i, 'user-' || (i % 500), 'bench', '{{}}',
                    CASE WHEN i % 10 = 0 THEN 'pending' WHEN i % 10 < 8 THEN 'ready' ELSE 'rejected' END,
                    '2026-11-29T00:00:00Z', '2026-11-29T00:00:00Z' FROM n"
        ))
        .execute(&pool)
        .await
        .expect("requests");
        sqlx::query(
            "INSERT INTO namespace_request_groups (request_id, group_name)
             SELECT id, 'group-' || (id % 50) FROM namespace_requests",
        )
        .execute(&pool)
        .await
        .expect("groups");
        sqlx::query("ANALYZE")
            .execute(&pool)
            .await
            .expect("analyze");
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("connects");
        sqlx::query(&format!(
            "INSERT INTO namespace_requests (name, requester, purpose, labels, status, created_at, updated_at)
             SELECT 'ns-' || i, 'user-' || (i % 500), 'bench', '{{}}',
                    CASE WHEN i % 10 = 0 THEN 'pending' WHEN i % 10 < 8 THEN 'ready' ELSE 'rejected' END,
                    now(), now() FROM generate_series(1, {REQUESTS}) AS i"
        ))
        .execute(&pool)
        .await
        .expect("requests");
        sqlx::query(
            "INSERT INTO namespace_request_groups (request_id, group_name)
             SELECT id, 'group-' || (id % 50) FROM namespace_requests",
        )
        .execute(&pool)
        .await
        .expect("groups");
        sqlx::query("ANALYZE")
            .execute(&pool)
            .await
            .expect("analyze");
    }
}

async fn queue(backend: &str, db: TestDatabase) {
    let database = Database::connect(&db.config()).await.expect("connects");
    database.migrate().await.expect("migrates");
    let started = Instant::now();
    fill(&db).await;
    println!(
        "{backend}: stored {REQUESTS} requests in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let store = database.stores().namespace_requests;
    let cases: Vec<(&str, QueueQuery)> = vec![
        (
            "first page (pending first, oldest first)",
            QueueQuery::default(),
        ),
        (
            "first page of status = ready",
            QueueQuery {
                status: Some(RequestStatus::Ready),
                ..QueueQuery::default()
            },
        ),
        (
            "first page of group = group-7",
            QueueQuery {
                group: Some("group-7".into()),
                ..QueueQuery::default()
            },
        ),
        (
            "first page of name containing \"ns-9999\"",
            QueueQuery {
                name: Some("ns-9999".into()),
                ..QueueQuery::default()
            },
        ),
        (
            "a deep page (after pending, rank 1, id 90,000)",
            QueueQuery {
                after: Some((1, 90_000)),
                ..QueueQuery::default()
            },
        ),
    ];
    for (label, query) in cases {
        let query = QueueQuery { limit: 50, ..query };
        // Warm-up, then measure.
        for _ in 0..50 {
            store.namespace_request_queue(&query).await.expect("lists");
        }
        let mut samples = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let start = Instant::now();
            let (page, _) = store.namespace_request_queue(&query).await.expect("lists");
            samples.push(start.elapsed());
            assert!(!page.is_empty());
        }
        report(&format!("{backend}: {label}"), samples);
    }
    database.close().await;
}

async fn approve_to_ready() {
    let cluster = TestCluster::shared();
    cluster.install_portal_rbac().await;
    let kubeconfig = cluster.portal_kubeconfig(&cluster.server);
    let app = TestApp::spawn_with_login_and(move |config| {
        config.kubeconfig = Some(kubeconfig);
        config.max_open_requests = 1000;
    })
    .await;
    let alice = logged_in(&app, "alice").await;
    let root = logged_in(&app, "root").await;
    let mut samples = Vec::new();
    for n in 0..30 {
        let name = format!("team-a-bench-{n}");
        let response = alice
            .post(app.url("/namespaces/new"))
            .header(header::ORIGIN, app.url(""))
            .form(&[
                ("name", name.as_str()),
                ("purpose", "bench"),
                ("groups", "team-a"),
            ])
            .send()
            .await
            .expect("answers");
        let id: i64 = location(&response)
            .trim_start_matches("/namespaces/")
            .trim_end_matches("?outcome=created")
            .parse()
            .expect("created");
        let start = Instant::now();
        root.post(app.url(&format!("/admin/requests/{id}/approve")))
            .header(header::ORIGIN, app.url(""))
            .send()
            .await
            .expect("approved");
        loop {
            let body = alice
                .get(app.url(&format!("/namespaces/{id}")))
                .send()
                .await
                .expect("answers")
                .text()
                .await
                .expect("a page");
            if body.contains("data-status=\"ready\"") {
                break;
            }
            assert!(
                !body.contains("data-status=\"failed\""),
                "provisioning failed"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        samples.push(start.elapsed());
    }
    report(
        "approve to ready (form post until the page says ready)",
        samples,
    );
}

#[tokio::main]
async fn main() {
    queue("SQLite", TestDatabase::sqlite()).await;
    queue("PostgreSQL", TestDatabase::postgres().await).await;
    approve_to_ready().await;
}
