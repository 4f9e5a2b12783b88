//! The audit trail's queries, on either backend.

use super::SqlStore;
use crate::store::{
    StoreError,
    audit::{AuditQuery, AuditRow, AuditStore, NewAuditEvent, check_audit_event, page_size},
    database_error,
    dialect::{Dialect, Sql},
};
use app::domain::audit::AuditEvent;
use async_trait::async_trait;

#[async_trait]
impl<DB: Dialect> AuditStore for SqlStore<DB> {
    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<AuditEvent, StoreError> {
        check_audit_event(&event)?;
        let mut sql = Sql::<DB>::new(
            "INSERT INTO audit_events (occurred_at, actor, action, subject, detail) VALUES (",
        );
        sql.push_now()
            .push(", ")
            .push_bind(&event.actor)
            .push(", ")
            .push_bind(&event.action)
            .push(", ")
            .push_bind(&event.subject)
            .push(", ")
            .push_bind(&event.detail)
            .push(") RETURNING id, occurred_at, actor, action, subject, detail");
        sql.fetch_one::<AuditRow>(&mut *self.connection().await?)
            .await
            .map(Into::into)
            .map_err(database_error)
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let mut sql = Sql::<DB>::new(
            "SELECT id, occurred_at, actor, action, subject, detail FROM audit_events WHERE 1 = 1",
        );
        if let Some(actor) = &query.actor {
            sql.push(" AND actor = ").push_bind(actor);
        }
        if let Some(subject) = &query.subject {
            sql.push(" AND subject = ").push_bind(subject);
        }
        if let Some(prefix) = &query.action_prefix {
            sql.push(" AND ");
            DB::push_starts_with(&mut sql, "action", prefix);
        }
        if let Some(before) = query.before_id {
            sql.push(" AND id < ").push_bind(before);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(page_size(query));
        sql.fetch_all::<AuditRow>(&mut *self.connection().await?)
            .await
            .map(|rows| rows.into_iter().map(Into::into).collect())
            .map_err(database_error)
    }
}
