//! Server functions about the current user.

use crate::auth::CurrentUser;
use crate::domain::audit::AuditEvent;
use leptos::prelude::*;

/// The logged-in user, or `None`: what the header shows.
#[server(endpoint = "who-am-i")]
pub async fn who_am_i() -> Result<Option<CurrentUser>, ServerFnError> {
    Ok(crate::auth::current_user())
}

/// The newest page of the audit trail: administrators only.
#[server(endpoint = "admin/recent-audit-events")]
pub async fn recent_audit_events() -> Result<Vec<AuditEvent>, ServerFnError> {
    let admin =
        crate::auth::require_admin().map_err(|error| ServerFnError::new(error.to_string()))?;
    let audit = crate::ports::use_audit().ok_or_else(|| ServerFnError::new("not available"))?;
    let page = audit
        .page(&admin, Default::default())
        .await
        .map_err(|error| ServerFnError::new(error.to_string()))?;
    Ok(page.events)
}
