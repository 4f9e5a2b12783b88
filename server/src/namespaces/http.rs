//! The form posts of the namespace pages, and the audit trail's exports.
//!
//! The pages' forms post here as plain HTML forms, with or without JavaScript, and every
//! handler answers with a redirect (post/redirect/get): to the request's page with an outcome
//! code, or back to the form with what was typed, so a refused form loses nothing. Outcome codes
//! name one of a fixed set of messages, so a crafted link cannot make the portal say anything
//! else. Anonymous users are sent to login; developers get 403 from the administrators' actions.

use crate::state::AppState;
use app::auth::CurrentUser;
use app::features::namespaces::model::{
    AuditFilter, FormProblem, RefusedForm, RequestError, RequestForm,
};
use axum::{
    Extension,
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
};
use std::collections::BTreeMap;
use tower_sessions::Session;

type User = Extension<Option<CurrentUser>>;

fn to_login(next: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/auth/login?next={next}")).into_response()
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(
            "<!DOCTYPE html><html lang=\"en\"><title>For platform administrators</title>\
             <p>This action is for platform administrators.</p><p><a href=\"/\">Home</a></p></html>",
        ),
    )
        .into_response()
}

/// Records a developer's call of an administrators' action in the audit trail.
async fn refused_admin_action(state: &AppState, user: &CurrentUser, what: &str) {
    crate::audit::record(
        state.audit.store.as_ref(),
        &user.username,
        crate::audit::ADMIN_REFUSED,
        what,
        "not a platform administrator",
    )
    .await;
}

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
    Extension(user): User,
    session: Session,
    body: Bytes,
) -> Response {
    let Some(user) = user else {
        return to_login("/namespaces/new");
    };
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
    Extension(user): User,
    Path(id): Path<i64>,
) -> Response {
    let Some(user) = user else {
        return to_login(&format!("/namespaces/{id}"));
    };
    match state.server_context.namespaces.cancel(&user, id).await {
        Ok(_) => back_to_request(id, "cancelled"),
        Err(RequestError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => back_to_request(id, outcome_of(&error)),
    }
}

/// The administrators' actions: `POST /admin/requests/{id}/{approve,reject,retry}`.
pub async fn decide(
    State(state): State<AppState>,
    Extension(user): User,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    let Some(user) = user else {
        return to_login(&format!("/namespaces/{id}"));
    };
    if !user.is_admin {
        refused_admin_action(
            &state,
            &user,
            &format!("{action} of namespace_request/{id}"),
        )
        .await;
        return forbidden();
    }
    let namespaces = &state.server_context.namespaces;
    let result = match action.as_str() {
        "approve" => namespaces.approve(&user, id).await.map(|_| "approved"),
        "retry" => namespaces.retry(&user, id).await.map(|_| "retried"),
        "reject" => {
            let comment = url::form_urlencoded::parse(&body)
                .find(|(key, _)| key == "comment")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            namespaces
                .reject(&user, id, &comment)
                .await
                .map(|_| "rejected")
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(outcome) => back_to_request(id, outcome),
        Err(RequestError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => back_to_request(id, outcome_of(&error)),
    }
}

/// `GET /admin/audit.csv`, with the page's filters.
pub async fn export_csv(
    state: State<AppState>,
    user: User,
    filter: Query<BTreeMap<String, String>>,
) -> Response {
    export(state, user, "audit.csv", filter).await
}

/// `GET /admin/audit.json`, with the page's filters.
pub async fn export_json(
    state: State<AppState>,
    user: User,
    filter: Query<BTreeMap<String, String>>,
) -> Response {
    export(state, user, "audit.json", filter).await
}

async fn export(
    State(state): State<AppState>,
    Extension(user): User,
    format: &str,
    Query(filter): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(user) = user else {
        return to_login("/admin/audit");
    };
    if !user.is_admin {
        refused_admin_action(&state, &user, &format!("export {format}")).await;
        return forbidden();
    }
    // Lenient on purpose: an export takes the page's filters and ignores anything else.
    let filter = AuditFilter {
        actor: filter.get("actor").cloned(),
        action: filter.get("action").cloned(),
        subject: filter.get("subject").cloned(),
        before: None,
    };
    let events = match state.audit.export(&user, filter).await {
        Ok(events) => events,
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the audit trail could not be read; try again later",
            )
                .into_response();
        }
    };
    let attachment = |extension: &str| format!("attachment; filename=\"portal-audit.{extension}\"");
    match format {
        "audit.csv" => {
            let mut csv = String::from(app::domain::audit::CSV_HEADER);
            for event in &events {
                csv.push_str(&event.csv_record());
            }
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, attachment("csv")),
                ],
                csv,
            )
                .into_response()
        }
        "audit.json" => (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (header::CONTENT_DISPOSITION, attachment("json")),
            ],
            serde_json::to_string(&events).unwrap_or_else(|_| "[]".to_owned()),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
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
