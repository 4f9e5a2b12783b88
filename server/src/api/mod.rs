//! The JSON API for automation, under `/api/v1`. Stable paths and schemas (documented in the
//! README), separate from the UI's server functions, whose paths are an implementation detail.

mod networkpolicies;
mod preflight;
mod traffic;

use crate::state::AppState;
use app::domain::json_shape::JsonShape;
use app::domain::networkpolicy::FieldError;
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRequest, Request, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The largest request body the API reads. A policy spec at every limit the model allows is far
/// smaller; anything bigger is refused before it is parsed.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/networkpolicies/generate",
            post(networkpolicies::generate_policy),
        )
        .route("/api/v1/networkpolicies/check", post(traffic::check))
        .route("/api/v1/preflight", post(preflight::check))
        .route(
            "/api/v1/run-recipes/generate",
            post(networkpolicies::generate_run_recipe),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The API's errors, each mapped to one status code and a JSON body in one place.
#[derive(Debug)]
pub enum ApiError {
    /// The body is not JSON (400), too large (413) or not sent as JSON (415).
    BadRequest { status: StatusCode, message: String },
    /// The JSON does not fit the schema: every problem with its field path (422).
    Schema(Vec<FieldError>),
    /// The JSON has the right shape but breaks rules; every broken rule with its field path (422).
    Invalid(Vec<FieldError>),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest { status, message } => {
                (status, Json(json!({ "error": message, "errors": [] }))).into_response()
            }
            Self::Schema(errors) => {
                // The summary repeats each problem, for a person reading the answer of a curl.
                let summary: Vec<String> = errors.iter().map(ToString::to_string).collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({
                        "error": format!("the JSON does not match the schema: {}", summary.join("; ")),
                        "errors": errors,
                    })),
                )
                    .into_response()
            }
            Self::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": "the request is invalid", "errors": errors })),
            )
                .into_response(),
        }
    }
}

/// A JSON body of type `T`, read in two steps so that every problem is reported at once: the
/// body is parsed to a [`Value`] (not JSON: 400), checked against `T`'s [`JsonShape`] (every
/// problem with its path: 422), and only then decoded with serde.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + JsonShape,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<Value>::from_request(request, state)
            .await
            .map_err(reject)?;
        decode(value).map(Self)
    }
}

/// Checks `value` against `T`'s shape, then decodes it.
fn decode<T: DeserializeOwned + JsonShape>(value: Value) -> Result<T, ApiError> {
    let problems = T::json_shape().problems(&value);
    if !problems.is_empty() {
        return Err(ApiError::Schema(problems));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        // The shape and serde are kept in agreement by tests; should they ever differ, the
        // body is still refused, with serde's path, and the log says which rule is missing.
        let path = error.path().to_string();
        tracing::warn!(%path, error = %error.inner(), "serde refused a body whose shape fits");
        ApiError::Schema(vec![FieldError::new(
            if path == "." { String::new() } else { path },
            "does not fit the schema",
        )])
    })
}

fn reject(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let message = match &rejection {
        JsonRejection::JsonSyntaxError(_) | JsonRejection::JsonDataError(_) => {
            "the body is not valid JSON".to_owned()
        }
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with Content-Type: application/json".to_owned()
        }
        JsonRejection::BytesRejection(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body is larger than {MAX_BODY_BYTES} bytes")
        }
        other => other.body_text(),
    };
    let status = if matches!(rejection, JsonRejection::JsonDataError(_)) {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    ApiError::BadRequest { status, message }
}

#[cfg(test)]
mod tests;
