//! The namespace pages' server functions: reads only. Each is an adapter: the guard, one call
//! into the [`crate::ports::Namespaces`] port, and typed errors that are safe to show. Changes
//! (submit, cancel, approve, reject, retry) are plain form posts to the server's handlers, so
//! they work the same with and without JavaScript.

use super::model::{
    AuditFilter, AuditPage, FormState, NamespaceRequest, QueueFilter, QueuePage, RequestDetail,
    RequestError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn service() -> Result<std::sync::Arc<dyn crate::ports::Namespaces>, RequestError> {
    crate::ports::use_namespaces().ok_or(RequestError::Internal)
}

/// The request form's options, and the form this user posted last with why it was refused,
/// when the server kept one for this page load (see [`super::model::RefusedForm`]).
#[server(endpoint = "namespaces/form")]
pub async fn namespace_form() -> Result<FormState, RequestError> {
    let user = crate::auth::require_user()?;
    let options = service()?.form_options(&user).await?;
    let naming = use_context::<std::sync::Arc<crate::AppConfig>>()
        .map(|config| config.naming.clone())
        .unwrap_or_default();
    let refused = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<super::model::RefusedForm>().cloned());
    Ok(FormState {
        options,
        naming,
        refused,
    })
}

/// The user's own requests, newest first.
#[server(endpoint = "namespaces/mine")]
pub async fn my_namespace_requests() -> Result<Vec<NamespaceRequest>, RequestError> {
    let user = crate::auth::require_user()?;
    service()?.mine(&user).await
}

/// One request with its timeline and the manifests approval applies.
#[server(endpoint = "namespaces/detail")]
pub async fn namespace_request_detail(id: i64) -> Result<RequestDetail, RequestError> {
    let user = crate::auth::require_user()?;
    let result = service()?.detail(&user, id).await;
    if matches!(result, Err(RequestError::NotFound)) {
        crate::status::set_status(404);
    }
    result
}

/// One page of the administrators' queue.
#[server(endpoint = "admin/requests")]
pub async fn admin_request_queue(filter: QueueFilter) -> Result<QueuePage, RequestError> {
    let admin = crate::auth::require_admin()?;
    let result = service()?.queue(&admin, filter).await;
    if matches!(result, Err(RequestError::BadCursor)) {
        crate::status::set_status(400);
    }
    result
}

/// One page of the audit trail, newest first, for administrators.
#[server(endpoint = "admin/audit")]
pub async fn admin_audit_events(filter: AuditFilter) -> Result<AuditPage, RequestError> {
    let admin = crate::auth::require_admin()?;
    let audit = crate::ports::use_audit().ok_or(RequestError::Internal)?;
    audit.page(&admin, filter).await
}
