//! `POST /api/v1/networkpolicies/generate` and `POST /api/v1/run-recipes/generate`.

use super::{ApiError, ApiJson};
use crate::state::AppState;
use app::domain::networkpolicy::{self, Generated, PolicySpec, RunRecipe, RunRecipeSpec};
use axum::{Json, extract::State};

/// A policy spec in; the manifest (YAML and JSON), the apply command, the explanation and the
/// warnings out; 422 with field paths when the spec is invalid.
#[tracing::instrument(skip_all)]
pub async fn generate_policy(
    State(state): State<AppState>,
    ApiJson(spec): ApiJson<PolicySpec>,
) -> Result<Json<Generated>, ApiError> {
    networkpolicy::generate(&spec, &state.server_context.config.lint)
        .map(Json)
        .map_err(ApiError::Invalid)
}

/// A pod name and image in; the checks, the NetworkPolicy for `run: NAME` and the exact
/// `kubectl run` command out; 422 with field paths when a check fails.
#[tracing::instrument(skip_all)]
pub async fn generate_run_recipe(
    State(state): State<AppState>,
    ApiJson(spec): ApiJson<RunRecipeSpec>,
) -> Result<Json<RunRecipe>, ApiError> {
    let config = &state.server_context.config;
    networkpolicy::build_run_recipe(&spec, &config.run_recipe, &config.lint)
        .map(Json)
        .map_err(ApiError::Invalid)
}
