//! The form posts of the namespace pages, and the audit trail's exports.
//!
//! The pages' forms post here as plain HTML forms, with or without JavaScript, and every
//! handler answers with a redirect (post/redirect/get): to the request's page with an outcome
//! code, or back to the form with what was typed, so a refused form loses nothing. Outcome codes
//! name one of a fixed set of messages, so a crafted link cannot make the portal say anything
//! else. Anonymous users are sent to login; developers get 403 from the administrators' actions
//! (both by the extractors in [`crate::auth::extract`]).

use crate::auth::extract::{CurrentUser, RequireAdmin};
use crate::page_error::PageError;
use crate::state::AppState;
use app::features::namespaces::model::{
    AuditFilter, FormProblem, RefusedForm, RequestError, RequestForm,
};
use axum::{
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use std::collections::BTreeMap;
use tower_sessions::Session;

/// The outcome code of a refused action, for the request's page.
fn outcome_of(error: &RequestError) -> &'static str {
    match error {
        RequestError::Conflict(_) => "conflict",
        RequestError::Invalid(FormProblem::CommentMissing) => "comment_missing",
        RequestError::Invalid(FormProblem::CommentTooLong { .. }) => "comment_too_long",
        RequestError::NotYours => "not_yours",
        RequestError::AdminOnly => "admin_only",
        RequestError::OwnRequest => "own_request",
        _ => "error",
    }
}

fn back_to_request(id: i64, outcome: &str) -> Response {
    Redirect::to(&format!("/namespaces/{id}?outcome={outcome}")).into_response()
}

/// The request form as posted: `name`, `purpose`, `groups` (repeated checkboxes), `other_groups`
/// (administrators: one per line or comma-separated) and `label.KEY` fields.
fn parse_request_form(body: &[u8]) -> RequestForm {
    let mut form = RequestForm::default();
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "name" => form.name = value.into_owned(),
            "purpose" => form.purpose = value.into_owned(),
            "groups" => form.groups.push(value.into_owned()),
            "other_groups" => form.groups.extend(
                value
                    .split([',', '\n'])
                    .map(|group| group.trim().to_owned())
                    .filter(|group| !group.is_empty()),
            ),
            other => {
                if let Some(label) = other.strip_prefix("label.") {
                    form.labels.insert(label.to_owned(), value.into_owned());
                }
            }
        }
    }
    form
}

/// `POST /namespaces/new`. A refused form is kept in the session with its reason (checked once,
/// here) and shown by the next load of the form page; the address carries nothing of it.
pub async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    body: Bytes,
) -> Response {
    let form = parse_request_form(&body);
    match state
        .server_context
        .namespaces
        .submit(&user, form.clone())
        .await
    {
        Ok(request) => back_to_request(request.id, "created"),
        Err(problem) => {
            let refused = RefusedForm { form, problem };
            if let Err(error) = session.insert(RefusedForm::SESSION_KEY, refused).await {
                tracing::warn!(%error, "could not keep the refused form in the session");
            }
            Redirect::to("/namespaces/new").into_response()
        }
    }
}

/// Hands the refused form kept in the session to the next render of the form page, once.
pub async fn refused_form_flash(session: Session, mut request: Request, next: Next) -> Response {
    if request.method() == Method::GET && request.uri().path() == "/namespaces/new" {
        match session
            .remove::<RefusedForm>(RefusedForm::SESSION_KEY)
            .await
        {
            Ok(Some(refused)) => {
                request.extensions_mut().insert(refused);
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not read the refused form"),
        }
    }
    next.run(request).await
}

/// `POST /namespaces/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let result = state.server_context.namespaces.cancel(&user, id).await;
    outcome(id, result.map(|_| "cancelled"))
}

/// The administrators' actions: `POST /admin/requests/{id}/{approve,reject,retry}`.
pub async fn decide(
    State(state): State<AppState>,
    RequireAdmin(admin): RequireAdmin,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let namespaces = &state.server_context.namespaces;
    let result = match action.as_str() {
        "approve" => namespaces.approve(&admin, id).await.map(|_| "approved"),
        "retry" => namespaces.retry(&admin, id).await.map(|_| "retried"),
        "reject" => {
            let comment = url::form_urlencoded::parse(&body)
                .find(|(key, _)| key == "comment")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            namespaces
                .reject(&admin, id, &comment)
                .await
                .map(|_| "rejected")
        }
        _ => return Err(PageError::NotFound),
    };
    outcome(id, result)
}

/// Back to the request's page with what happened; a request the user may not see does not
/// exist for them.
fn outcome(id: i64, result: Result<&'static str, RequestError>) -> Result<Response, PageError> {
    match result {
        Ok(outcome) => Ok(back_to_request(id, outcome)),
        Err(RequestError::NotFound) => Err(PageError::NotFound),
        Err(error) => Ok(back_to_request(id, outcome_of(&error))),
    }
}

/// `GET /admin/audit.csv`, with the page's filters.
pub async fn export_csv(
    State(state): State<AppState>,
    RequireAdmin(admin): RequireAdmin,
    Query(filter): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let events = export(&state, &admin, filter).await?;
    let mut csv = String::from(app::domain::audit::CSV_HEADER);
    for event in &events {
        csv.push_str(&event.csv_record());
    }
    Ok(download("csv", "text/csv; charset=utf-8", csv))
}

/// `GET /admin/audit.json`, with the page's filters.
pub async fn export_json(
    State(state): State<AppState>,
    RequireAdmin(admin): RequireAdmin,
    Query(filter): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let events = export(&state, &admin, filter).await?;
    let json = serde_json::to_string(&events).map_err(|error| {
        tracing::error!(%error, "could not write the audit export");
        UNAVAILABLE
    })?;
    Ok(download("json", "application/json", json))
}

const UNAVAILABLE: PageError = PageError::page(
    StatusCode::SERVICE_UNAVAILABLE,
    "The audit trail is unavailable",
    "The audit trail could not be read just now; try again in a moment.",
    false,
);

/// The events an export holds. Lenient on purpose: it takes the page's filters and ignores
/// anything else in the address.
async fn export(
    state: &AppState,
    admin: &app::auth::CurrentUser,
    filter: BTreeMap<String, String>,
) -> Result<Vec<app::domain::audit::AuditEvent>, PageError> {
    let filter = AuditFilter {
        actor: filter.get("actor").cloned(),
        action: filter.get("action").cloned(),
        subject: filter.get("subject").cloned(),
        before: None,
    };
    state
        .audit
        .export(admin, filter)
        .await
        .map_err(|_| UNAVAILABLE)
}

fn download(extension: &str, content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"portal-audit.{extension}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_form_reads_repeated_groups_free_groups_and_labels() {
        let form = parse_request_form(
            b"name=team-a-shop&purpose=the+shop&groups=team-a&groups=team-b\
              &other_groups=ops%2C+sec%0Adev&label.cost-center=cc-1&ignored=x",
        );
        assert_eq!(form.name, "team-a-shop");
        assert_eq!(form.purpose, "the shop");
        assert_eq!(form.groups, ["team-a", "team-b", "ops", "sec", "dev"]);
        assert_eq!(
            form.labels,
            BTreeMap::from([("cost-center".to_owned(), "cc-1".to_owned())])
        );
    }
}
