//! `POST /api/v1/networkpolicies/check`: would this connection be allowed by these objects?
//!
//! Offline: the caller sends the NetworkPolicies, namespaces and Pods to decide over (as
//! `kubectl get -o json` and the engine's small Pod and namespace types give them). Checking a
//! namespace's live objects needs the cluster watches of the traffic-check page, which do not
//! exist yet.

use super::{ApiError, ApiJson};
use app::domain::json_shape::{Field, JsonShape, Object, Shape};
use app::domain::networkpolicy::FieldError;
use app::domain::traffic::{
    Answer, Connection, ConnectionError, Explanation, NamespaceInfo, PodInfo, TrafficModel, explain,
};
use axum::Json;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::{Deserialize, Serialize};

/// What to decide over, and the connection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckRequest {
    pub connection: Connection,
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

/// 200 with the answer; 422 when the connection names a Pod the objects do not hold, or a port
/// that is none.
#[tracing::instrument(skip_all)]
pub async fn check(
    ApiJson(request): ApiJson<CheckRequest>,
) -> Result<Json<CheckResponse>, ApiError> {
    let model = TrafficModel::new(&request.network_policies, request.namespaces, request.pods);
    let answer = model
        .check(&request.connection)
        .map_err(|error| ApiError::Invalid(vec![connection_error(&error)]))?;
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
