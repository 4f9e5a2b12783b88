//! Server functions about the current user.

use crate::auth::CurrentUser;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The logged-in user, or `None`: what the header shows.
#[server(endpoint = "who-am-i")]
pub async fn who_am_i() -> Result<Option<CurrentUser>, ServerFnError> {
    Ok(crate::auth::current_user())
}

/// One line of the audit trail, as the browser sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// The newest entries of the audit trail: administrators only.
#[server(endpoint = "admin/recent-audit-events")]
pub async fn recent_audit_events() -> Result<Vec<AuditEntry>, ServerFnError> {
    crate::auth::require_admin().map_err(|error| ServerFnError::new(error.to_string()))?;
    let store = crate::ports::use_store().ok_or_else(|| ServerFnError::new("not available"))?;
    let query = crate::ports::AuditQuery {
        limit: 50,
        ..Default::default()
    };
    let events = store.audit_events(&query).await.map_err(|error| {
        leptos::logging::error!("listing audit events failed: {error}");
        ServerFnError::new("the audit trail could not be read; try again later")
    })?;
    Ok(events
        .into_iter()
        .map(|event| AuditEntry {
            id: event.id,
            occurred_at: event.occurred_at.to_rfc3339(),
            actor: event.actor,
            action: event.action,
            subject: event.subject,
            detail: event.detail,
        })
        .collect())
}
