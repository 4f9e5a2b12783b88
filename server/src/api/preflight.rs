//! `POST /api/v1/preflight`: what Pod Security and the cluster's Gatekeeper constraints (as the
//! portal last read them) will say to these manifests, before they are applied, with each
//! refused object's fixed manifest.
//!
//! The caller sends the manifests (YAML or JSON, several documents, `List`s) and, optionally,
//! the target namespace's labels (`kubectl get namespace NAME -o jsonpath='{.metadata.labels}'`)
//! for Pod Security. Without labels the answer is for a namespace the portal creates. What the
//! answer could not check is listed in it, never passed.

use super::{ApiError, ApiJson};
use crate::state::AppState;
use app::domain::json_shape::{Field, JsonShape, Object, Shape};
use app::domain::networkpolicy::FieldError;
use app::domain::preflight::report::Answer;
use app::ports::PreflightError;
use axum::{Json, extract::State};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The manifests, and the namespace's labels when the caller knows them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreflightRequest {
    pub manifests: String,
    #[serde(default)]
    pub namespace_labels: Option<BTreeMap<String, String>>,
}

impl JsonShape for PreflightRequest {
    fn json_shape() -> Shape {
        Object::strict([
            Field::required("manifests", Shape::String),
            Field::optional("namespaceLabels", Shape::map(Shape::String).nullable()),
        ])
        .into()
    }
}

/// 200 with a verdict per object; 422 naming the document and line when the text cannot be read.
#[tracing::instrument(skip_all)]
pub async fn check(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PreflightRequest>,
) -> Result<Json<Answer>, ApiError> {
    state
        .server_context
        .preflight
        .check(&request.manifests, request.namespace_labels.as_ref())
        .map(Json)
        .map_err(|error| match error {
            PreflightError::Manifests(message) => {
                ApiError::Invalid(vec![FieldError::new("manifests", message)])
            }
            other => ApiError::BadRequest {
                status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                message: other.to_string(),
            },
        })
}
