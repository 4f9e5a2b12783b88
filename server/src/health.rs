//! Probes for Kubernetes: `/healthz` says the process is alive, `/readyz` that it can serve
//! (database reachable, its schema at least this binary's, and not shutting down). A failing readiness probe takes the replica out of the
//! Service without restarting it.

use crate::{state::AppState, store::Readiness};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "alive" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": "shutting down" })),
        );
    }
    match state.database.readiness().await {
        Readiness::Ready => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Readiness::NotMigrated { applied, expected } => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "not ready",
                "reason": "database migrations are not applied",
                "applied": applied,
                "expected": expected,
            })),
        ),
        Readiness::Unreachable(error) => {
            tracing::warn!(%error, "readiness: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not ready", "reason": "database unreachable" })),
            )
        }
    }
}
