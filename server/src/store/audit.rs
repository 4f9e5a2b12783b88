//! The audit trail's storage: what either backend stores, and the limits both check first.

use super::StoreError;
use app::domain::audit::AuditEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;

/// Writes the log line of an audit event (the database write is the caller's).
pub fn log_line(actor: &str, action: &str, subject: &str, detail: &str) {
    tracing::info!(target: "audit", actor, action, subject, detail, "audit event");
}

/// Longest values the audit trail accepts; the same limits are CHECK constraints in the schema.
pub(crate) const MAX_ACTOR: usize = 256;
pub(crate) const MAX_ACTION: usize = 128;
pub(crate) const MAX_SUBJECT: usize = 512;
pub(crate) const MAX_DETAIL: usize = 8192;
/// The most rows one listing returns, whatever the caller asks for.
pub(crate) const MAX_PAGE: u32 = 500;

/// An audit event about to be recorded; the store assigns its id and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Which audit events to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub subject: Option<String>,
    /// Only events whose action starts with this (`namespace_request.` for all of them).
    pub action_prefix: Option<String>,
    /// Only events with an id below this one (keyset pagination).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The append-only audit trail. Implemented once over both backends (`sql/audit.rs`).
#[async_trait]
pub trait AuditStore: Send + Sync + fmt::Debug {
    /// Appends an event to the audit trail and returns it as stored.
    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<AuditEvent, StoreError>;
    /// Lists audit events, newest first.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
}

/// Checks an audit event against the limits before it reaches the database, so the caller gets
/// a message that says which field is wrong instead of a constraint name.
pub(crate) fn check_audit_event(event: &NewAuditEvent) -> Result<(), StoreError> {
    let checks = [
        ("actor", &event.actor, 1, MAX_ACTOR),
        ("action", &event.action, 1, MAX_ACTION),
        ("subject", &event.subject, 0, MAX_SUBJECT),
        ("detail", &event.detail, 0, MAX_DETAIL),
    ];
    for (field, value, min, max) in checks {
        let len = value.chars().count();
        if len < min {
            return Err(StoreError::Rejected(format!(
                "audit event {field} must not be empty"
            )));
        }
        if len > max {
            return Err(StoreError::Rejected(format!(
                "audit event {field} is {len} characters long; at most {max} are allowed"
            )));
        }
        if value.contains('\0') {
            return Err(StoreError::Rejected(format!(
                "audit event {field} contains a NUL character"
            )));
        }
    }
    Ok(())
}

/// The page size to use for a query that asked for `limit` rows.
pub(crate) fn page_size(query: &AuditQuery) -> i64 {
    i64::from(query.limit.clamp(1, MAX_PAGE))
}

/// An event as the database returns it; kept apart so the shared [`AuditEvent`] carries no sqlx
/// derive.
#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    occurred_at: DateTime<Utc>,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            occurred_at: super::timestamp(row.occurred_at),
            actor: row.actor,
            action: row.action,
            subject: row.subject,
            detail: row.detail,
        }
    }
}
