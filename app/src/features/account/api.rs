//! Server functions about the current user.

use crate::auth::CurrentUser;
use crate::domain::audit::AuditEvent;
use crate::features::namespaces::model::RequestError;
use crate::status::CallError;
use leptos::prelude::*;

/// The logged-in user, or `None`: what the header shows.
#[server(endpoint = "who-am-i")]
pub async fn who_am_i() -> Result<Option<CurrentUser>, CallError> {
    Ok(crate::auth::current_user())
}

/// The newest page of the audit trail: administrators only.
#[server(endpoint = "admin/recent-audit-events")]
pub async fn recent_audit_events() -> Result<Vec<AuditEvent>, RequestError> {
    let admin = crate::auth::require_admin()?;
    let audit = crate::ports::use_audit().ok_or(RequestError::Internal)?;
    Ok(audit.page(&admin, Default::default()).await?.events)
}
