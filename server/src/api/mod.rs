//! The JSON API for automation, under `/api/v1`. Stable paths and schemas (documented in the
//! README), separate from the UI's server functions, whose paths are an implementation detail.

mod networkpolicies;
mod traffic;

use crate::state::AppState;
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRequest, Request, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::de::DeserializeOwned;
use serde_json::json;

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
        .route(
            "/api/v1/run-recipes/generate",
            post(networkpolicies::generate_run_recipe),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The API's errors, each mapped to one status code and a JSON body in one place.
#[derive(Debug)]
pub enum ApiError {
    /// The body is not JSON of the expected shape (400), too large (413) or not JSON at all (415).
    BadRequest { status: StatusCode, message: String },
    /// The JSON has the right shape but breaks rules; every broken rule with its field path (422).
    Invalid(Vec<app::domain::networkpolicy::FieldError>),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest { status, message } => {
                (status, Json(json!({ "error": message, "errors": [] }))).into_response()
            }
            Self::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": "the request is invalid", "errors": errors })),
            )
                .into_response(),
        }
    }
}

/// `Json<T>` whose rejections become [`ApiError`]s with a clear message instead of axum's
/// plain-text default.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let message = match &rejection {
        JsonRejection::JsonDataError(error) => {
            // serde's message names the field and what was expected; the path prefix axum adds
            // ("Failed to deserialize the JSON body into the target type: ") is noise.
            let text = error.body_text();
            let text = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, rest)| rest);
            format!("the JSON does not match the schema: {text}")
        }
        JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with Content-Type: application/json".to_owned()
        }
        JsonRejection::BytesRejection(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body is larger than {MAX_BODY_BYTES} bytes")
        }
        other => other.body_text(),
    };
    ApiError::BadRequest { status, message }
}
