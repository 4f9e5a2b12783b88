//! `GET /admin/access.csv`: the administrators' matrix as CSV, one row per subject, namespace and
//! RoleBinding. A plain route (a download, not a page); administrators only.

use crate::auth::extract::RequireAdmin;
use crate::state::AppState;
use app::domain::access::matrix_csv;
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    /// The same search as the page's: only rows whose subject or namespace contains it.
    #[serde(default)]
    q: String,
}

pub async fn download(
    State(state): State<AppState>,
    RequireAdmin(_): RequireAdmin,
    Query(query): Query<CsvQuery>,
) -> Response {
    let snapshot = state.server_context.access.view.snapshot();
    let entries = snapshot.entries_matching(&query.q);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"namespace-access.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        matrix_csv(&entries),
    )
        .into_response()
}
