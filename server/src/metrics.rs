//! Prometheus metrics: every name the portal exports is defined here, recorded through the
//! `metrics` facade, and rendered by `metrics-exporter-prometheus` on a listener of its own
//! (`metrics_addr`), never on the public port.
//!
//! Counters and histograms are recorded where things happen; values that are cheaper to read
//! than to track (requests by status, the database pool) are read when Prometheus scrapes, from
//! a [`Readings`] source the caller hands in (so this module depends on nothing else here).

use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::Arc;
use std::{sync::OnceLock, time::Duration};
use tokio::net::TcpListener;

/// Seconds; from a fast page to a slow provisioning.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder (one per process, however many portals a test starts).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed, which nothing in the portal does.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "portal_http_requests_total",
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        "portal_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route template and method"
    );
    describe_counter!("portal_logins_total", "Login callbacks, by outcome");
    describe_gauge!(
        "portal_namespace_requests",
        "Namespace requests in the database, by status"
    );
    describe_histogram!(
        "portal_provisioning_duration_seconds",
        Unit::Seconds,
        "Time to provision one namespace, by outcome"
    );
    describe_counter!(
        "portal_provisioning_failures_total",
        "Provisionings that failed (the request is marked failed)"
    );
    describe_gauge!(
        "portal_reconcile_last_run_timestamp_seconds",
        Unit::Seconds,
        "When the provisioning loop last finished a pass (Unix time)"
    );
    describe_gauge!(
        "portal_reconcile_lag_seconds",
        Unit::Seconds,
        "Age of the oldest approved namespace request not yet provisioned (0 when none waits)"
    );
    describe_gauge!(
        "portal_cluster_watch_connected",
        "1 while every cluster watch answers, 0 while one is failing"
    );
    describe_gauge!(
        "portal_cluster_watch_last_event_timestamp_seconds",
        Unit::Seconds,
        "When a cluster watch last delivered an event (Unix time)"
    );
    describe_gauge!(
        "portal_database_connections",
        "Database pool connections, by state (in_use, idle) and the configured max"
    );
    describe_gauge!(
        "portal_database_connections_pending",
        "Callers waiting for a database connection right now (every connection is in use)"
    );
    describe_histogram!(
        "portal_database_acquire_duration_seconds",
        Unit::Seconds,
        "Time to take a connection from the database pool"
    );
    describe_counter!(
        "portal_faq_searches_total",
        "FAQ searches, by whether an entry answered them well"
    );
}

fn now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// One HTTP request answered. `route` is the route template (`/faq/{slug}`), never the path.
pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    handle();
    let route = route.to_owned();
    let method = method.to_owned();
    counter!(
        "portal_http_requests_total",
        "route" => route.clone(), "method" => method.clone(), "status" => status.to_string()
    )
    .increment(1);
    histogram!("portal_http_request_duration_seconds", "route" => route, "method" => method)
        .record(elapsed.as_secs_f64());
}

/// A login callback ended: `success`, `refused` (the user or the provider said no, or the
/// answer did not verify) or `error` (the portal could not finish it).
pub fn login(outcome: &'static str) {
    handle();
    counter!("portal_logins_total", "outcome" => outcome).increment(1);
}

/// One namespace provisioned, or not.
pub fn provisioning(succeeded: bool, elapsed: Duration) {
    handle();
    let outcome = if succeeded { "success" } else { "failure" };
    histogram!("portal_provisioning_duration_seconds", "outcome" => outcome)
        .record(elapsed.as_secs_f64());
    if !succeeded {
        counter!("portal_provisioning_failures_total").increment(1);
    }
}

/// The provisioning loop finished a pass.
pub fn reconcile_pass() {
    handle();
    gauge!("portal_reconcile_last_run_timestamp_seconds").set(now());
}

/// A cluster watch delivered an event, or its connection state changed.
pub fn cluster_watch(connected: bool, event: bool) {
    handle();
    gauge!("portal_cluster_watch_connected").set(if connected { 1.0 } else { 0.0 });
    if event {
        gauge!("portal_cluster_watch_last_event_timestamp_seconds").set(now());
    }
}

/// Someone is waiting for a database connection: counted in `..._pending` until the returned
/// guard is dropped (the connection arrived, or the caller gave up), then the time it took goes
/// into the acquire histogram.
pub fn database_acquire() -> AcquireGuard {
    handle();
    gauge!("portal_database_connections_pending").increment(1.0);
    AcquireGuard {
        started: std::time::Instant::now(),
    }
}

/// See [`database_acquire`].
#[derive(Debug)]
#[must_use = "the wait ends when the guard is dropped"]
pub struct AcquireGuard {
    started: std::time::Instant,
}

impl Drop for AcquireGuard {
    fn drop(&mut self) {
        gauge!("portal_database_connections_pending").decrement(1.0);
        histogram!("portal_database_acquire_duration_seconds")
            .record(self.started.elapsed().as_secs_f64());
    }
}

/// What the database says when `/metrics` is scraped.
#[derive(Debug)]
pub struct DatabaseStats {
    /// Namespace requests by status.
    pub requests_by_status: Result<Vec<(String, i64)>, String>,
    /// When the oldest approved request not yet provisioned was approved (Unix milliseconds).
    pub oldest_approved_ms: Result<Option<i64>, String>,
    pub in_use: u32,
    pub idle: usize,
    pub max: u32,
}

/// The values read at scrape time.
#[async_trait::async_trait]
pub trait Readings: Send + Sync + 'static {
    async fn database(&self) -> DatabaseStats;
}

/// An FAQ search: answered well (`found`), or only the closest entries or nothing (`none`).
pub fn faq_search(answered: bool) {
    handle();
    let result = if answered { "found" } else { "none" };
    counter!("portal_faq_searches_total", "result" => result).increment(1);
}

/// Everything recorded so far, as `/metrics` would render it.
#[cfg(test)]
pub(crate) fn rendered() -> String {
    handle().render()
}

/// The metrics endpoint's router: `GET /metrics` in Prometheus's text format.
fn router(readings: Arc<dyn Readings>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(readings)
}

async fn scrape(State(readings): State<Arc<dyn Readings>>) -> impl IntoResponse {
    let handle = handle();
    let stats = readings.database().await;
    match stats.requests_by_status {
        Ok(counts) => {
            for (status, count) in counts {
                gauge!("portal_namespace_requests", "status" => status).set(count as f64);
            }
        }
        Err(error) => tracing::warn!(%error, "metrics: could not count namespace requests"),
    }
    match stats.oldest_approved_ms {
        Ok(oldest) => gauge!("portal_reconcile_lag_seconds").set(oldest.map_or(0.0, |ms| {
            (chrono::Utc::now().timestamp_millis() - ms).max(0) as f64 / 1000.0
        })),
        Err(error) => tracing::warn!(%error, "metrics: could not read the provisioning lag"),
    }
    gauge!("portal_database_connections", "state" => "in_use").set(stats.in_use as f64);
    gauge!("portal_database_connections", "state" => "idle").set(stats.idle as f64);
    gauge!("portal_database_connections", "state" => "max").set(f64::from(stats.max));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

/// Binds the metrics listener; the server future runs until `stop` resolves.
pub async fn listen(
    address: std::net::SocketAddr,
    readings: Arc<dyn Readings>,
) -> anyhow::Result<(std::net::SocketAddr, Router, TcpListener)> {
    use anyhow::Context;
    handle();
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("could not listen for metrics on {address}"))?;
    let bound = listener
        .local_addr()
        .context("could not read the metrics address")?;
    Ok((bound, router(readings), listener))
}
