//! `POST /api/v1/preflight`: what Pod Security and the cluster's Gatekeeper constraints (as the
//! portal last read them) will say to these manifests, before they are applied, with each
//! refused object's fixed manifest.
//!
//! The caller sends the manifests (YAML or JSON, several documents, `List`s) and, optionally,
//! where they go: `namespace`, one the caller may use (with the portal's session; its labels are
//! the cluster's), or `namespaceLabels` (`kubectl get namespace NAME -o
//! jsonpath='{.metadata.labels}'`) for an unnamed one. With neither, the answer is for a
//! namespace the portal creates. What the answer could not check is listed in it, never passed.

use super::{ApiError, ApiJson};
use crate::auth::extract::MaybeUser;
use crate::state::AppState;
use app::domain::json_shape::{Field, JsonShape, Object, Shape};
use app::domain::networkpolicy::FieldError;
use app::domain::preflight::report::Answer;
use app::ports::{PreflightError, PreflightTarget};
use axum::{Json, extract::State};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The manifests, and the namespace or its labels when the caller knows them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreflightRequest {
    pub manifests: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub namespace_labels: Option<BTreeMap<String, String>>,
}

impl JsonShape for PreflightRequest {
    fn json_shape() -> Shape {
        Object::strict([
            Field::required("manifests", Shape::String),
            Field::optional("namespace", Shape::String.nullable()),
            Field::optional("namespaceLabels", Shape::map(Shape::String).nullable()),
        ])
        .into()
    }
}

/// 200 with a verdict per object; 422 naming the document and line when the text cannot be
/// read, or when both a namespace and labels are given; 404 for a namespace the caller may not
/// use (or that does not exist, in the same words).
#[tracing::instrument(skip_all)]
pub async fn check(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiJson(request): ApiJson<PreflightRequest>,
) -> Result<Json<Answer>, ApiError> {
    let target = match (request.namespace, request.namespace_labels) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "namespaceLabels",
                "give either namespace (its labels are read from the cluster) or namespaceLabels, not both",
            )]));
        }
        (Some(name), None) if !name.trim().is_empty() => PreflightTarget::Namespace {
            name: name.trim().to_owned(),
            viewer: user.map(|user| user.viewer()),
        },
        (_, Some(labels)) => PreflightTarget::Labels(labels),
        _ => PreflightTarget::NewNamespace,
    };
    state
        .server_context
        .preflight
        .check(&request.manifests, &target)
        .map(Json)
        .map_err(|error| match error {
            PreflightError::Manifests(message) => {
                ApiError::Invalid(vec![FieldError::new("manifests", message)])
            }
            other => ApiError::BadRequest {
                status: axum::http::StatusCode::from_u16(app::status::HttpStatus::http_status(
                    &other,
                ))
                .unwrap_or(axum::http::StatusCode::SERVICE_UNAVAILABLE),
                message: other.to_string(),
            },
        })
}
