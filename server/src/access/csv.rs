//! `GET /admin/access.csv`: the administrators' matrix as CSV, one row per subject, namespace and
//! RoleBinding. A plain route (a download, not a page); administrators only.

use crate::state::AppState;
use app::auth::CurrentUser;
use app::domain::access::matrix_csv;
use axum::{
    Extension,
    extract::{Query, State},
    http::{StatusCode, header},
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
    Extension(user): Extension<Option<CurrentUser>>,
    Query(query): Query<CsvQuery>,
) -> Response {
    match user {
        None => return (StatusCode::UNAUTHORIZED, "Log in to download this.").into_response(),
        Some(user) if !user.is_admin => {
            return (
                StatusCode::FORBIDDEN,
                "This is for platform administrators.",
            )
                .into_response();
        }
        Some(_) => {}
    }
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
