//! `POST /api/v1/networkpolicies/check`: would this connection be allowed by these objects?
//!
//! Offline: the caller sends the NetworkPolicies, namespaces and Pods to decide over (as
//! `kubectl get -o json` and the engine's small Pod and namespace types give them). Live: the
//! caller names a `namespace` they may use (with the portal's session) and sends no objects;
//! the connection is decided over the live NetworkPolicies and Pods of its Pods' namespaces,
//! each of which the caller must be allowed to use (an administrator: any).

use super::{ApiError, ApiJson};
use crate::auth::extract::MaybeUser;
use crate::state::AppState;
use app::domain::json_shape::{Field, JsonShape, Object, Shape};
use app::domain::networkpolicy::FieldError;
use app::domain::traffic::{
    Answer, Connection, ConnectionError, Explanation, NamespaceInfo, PodInfo, TrafficModel, explain,
};
use app::ports::TrafficError;
use axum::Json;
use axum::extract::State;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::{Deserialize, Serialize};

/// What to decide over, and the connection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckRequest {
    pub connection: Connection,
    /// Live: the namespace asked in, one the caller may use.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub network_policies: Vec<NetworkPolicy>,
    #[serde(default)]
    pub namespaces: Vec<NamespaceInfo>,
    #[serde(default)]
    pub pods: Vec<PodInfo>,
}

impl JsonShape for CheckRequest {
    fn json_shape() -> Shape {
        Object::strict([
            Field::required("connection", Connection::json_shape()),
            Field::optional("namespace", Shape::String.nullable()),
            Field::optional(
                "networkPolicies",
                Shape::list(app::domain::traffic::shape::network_policy()),
            ),
            Field::optional("namespaces", Shape::list(NamespaceInfo::json_shape())),
            Field::optional("pods", Shape::list(PodInfo::json_shape())),
        ])
        .into()
    }
}

/// The answer (each direction, the deciding rule, problems found in the policies) and the same
/// in plain words.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResponse {
    pub answer: Answer,
    pub explanation: Explanation,
}

/// 200 with the answer; 422 when the connection names a Pod the objects (or the namespace) do
/// not hold, or a port that is none, or when a namespace and objects are both given; live, 404
/// for a namespace the caller may not use (or that does not exist, in the same words) and 503
/// while the portal has no cluster or is still reading it.
#[tracing::instrument(skip_all)]
pub async fn check(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiJson(request): ApiJson<CheckRequest>,
) -> Result<Json<CheckResponse>, ApiError> {
    let answer = match request.namespace.as_deref().map(str::trim) {
        Some(namespace) => {
            if !(request.network_policies.is_empty()
                && request.namespaces.is_empty()
                && request.pods.is_empty())
            {
                return Err(ApiError::Invalid(vec![FieldError::new(
                    "namespace",
                    "give either namespace (its live objects are read from the cluster) or the objects to check over, not both",
                )]));
            }
            let viewer = user.map(|user| user.viewer());
            state
                .server_context
                .traffic
                .check(namespace, &request.connection, viewer.as_ref())
                .map_err(|error| match error {
                    TrafficError::Connection(error) => {
                        ApiError::Invalid(vec![connection_error(&error)])
                    }
                    other => ApiError::BadRequest {
                        status: axum::http::StatusCode::from_u16(
                            app::status::HttpStatus::http_status(&other),
                        )
                        .unwrap_or(axum::http::StatusCode::SERVICE_UNAVAILABLE),
                        message: other.to_string(),
                    },
                })?
        }
        None => TrafficModel::new(&request.network_policies, request.namespaces, request.pods)
            .check(&request.connection)
            .map_err(|error| ApiError::Invalid(vec![connection_error(&error)]))?,
    };
    let explanation = explain(&answer);
    Ok(Json(CheckResponse {
        answer,
        explanation,
    }))
}

fn connection_error(error: &ConnectionError) -> FieldError {
    let path = match error {
        ConnectionError::UnknownPod { .. } => "connection",
        ConnectionError::PortZero | ConnectionError::EmptyPortName => "connection.port",
    };
    FieldError::new(path, error.to_string())
}

#[cfg(test)]
mod tests;
