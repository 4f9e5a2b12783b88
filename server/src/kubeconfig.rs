//! `GET /kubeconfig/download`: the logged-in user's kubeconfig for the cluster's OIDC login
//! (rendered by `app::domain::kubeconfig`, which the `/kubeconfig` page also shows).

use crate::auth::extract::CurrentUser;
use crate::page_error::PageError;
use crate::state::AppState;
use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

pub async fn download(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Response, PageError> {
    let Some(access) = state.cluster_access.as_deref() else {
        return Err(PageError::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No cluster configured",
            "This portal has no cluster API server configured, so there is no kubeconfig to download. Ask a platform administrator.",
            false,
        ));
    };
    let yaml = app::domain::kubeconfig::render(access, &user.username);
    let file = format!(
        "attachment; filename=\"{}-kubeconfig.yaml\"",
        app::domain::provisioning::label_value(&access.name)
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        yaml,
    )
        .into_response())
}
