//! Namespace requests on either backend. Every write runs in a [`Dialect::BEGIN_WRITE`]
//! transaction (SQLite: `BEGIN IMMEDIATE`, which takes the write lock up front, so a
//! compare-and-set never fails half-way because another writer committed between its read and its
//! write); status changes are compare-and-sets (`UPDATE … WHERE status = …`) that record their
//! audit event in the same transaction; the per-requester limit and the provisioning claim are the
//! dialect's ([`Dialect::lock_requester`], [`Dialect::claim_next`]).

use super::SqlStore;
use crate::store::{
    StoreError, database_error,
    dialect::{Dialect, Sql},
    namespace_requests::{
        CREATED_ACTION, NamespaceRequestStore, OPEN_NAME, OPEN_STATUSES, QueueQuery, ReasonChange,
        RequestRow, RequestStoreError, claim_detail, created_detail, event_columns, page_size,
        refusal, subject, truncate,
    },
};
use app::domain::RequestEvent;
use app::domain::namespace_request::{CheckedRequest, NamespaceRequest};
use async_trait::async_trait;
use sqlx::Transaction;

/// The request queue's page query.
mod queue;

/// Starts a transaction that writes.
async fn begin_write<DB: Dialect>(
    connection: &mut DB::Connection,
) -> Result<Transaction<'_, DB>, StoreError> {
    sqlx::Connection::begin_with(connection, DB::BEGIN_WRITE)
        .await
        .map_err(database_error)
}

/// One request by id.
async fn fetch<DB: Dialect>(
    connection: &mut DB::Connection,
    id: i64,
) -> Result<Option<NamespaceRequest>, StoreError> {
    let row: Option<RequestRow> = Sql::<DB>::new(format!("{} WHERE r.id = $1", DB::REQUEST_SELECT))
        .bind(id)
        .fetch_optional(connection)
        .await
        .map_err(database_error)?;
    row.map(RequestRow::into_request).transpose()
}

/// Appends an event about request `id` to the audit trail.
async fn audit<DB: Dialect>(
    connection: &mut DB::Connection,
    actor: &str,
    action: &str,
    id: i64,
    detail: String,
) -> Result<(), StoreError> {
    let detail = truncate(detail);
    crate::store::audit::log_line(actor, action, &subject(id), &detail);
    let mut sql = Sql::<DB>::new(
        "INSERT INTO audit_events (occurred_at, actor, action, subject, detail) VALUES (",
    );
    sql.push_now()
        .push(", ")
        .push_bind(actor)
        .push(", ")
        .push_bind(action)
        .push(", ")
        .push_bind(subject(id))
        .push(", ")
        .push_bind(detail)
        .push(")");
    sql.execute(connection).await.map_err(database_error)?;
    Ok(())
}

/// Applies `event` to request `id` as a compare-and-set on its status (with `worker`, only while
/// that worker holds the claim) and records it in the audit trail, in the caller's transaction.
/// Changes nothing and says why when the request is not where the event starts from.
async fn apply_event_in<DB: Dialect>(
    tx: &mut DB::Connection,
    id: i64,
    event: RequestEvent,
    actor: &str,
    detail: &str,
    worker: Option<&str>,
) -> Result<NamespaceRequest, RequestStoreError> {
    let columns = event_columns(event);
    let mut sql = Sql::<DB>::new("UPDATE namespace_requests SET status = ");
    sql.push_bind(event.target().as_str())
        .push(", updated_at = ")
        .push_now();
    if columns.sets_decider {
        sql.push(", decided_by = ").push_bind(actor);
    }
    match columns.reason {
        Some(ReasonChange::Detail) => {
            sql.push(", reason = ")
                .push_bind(truncate(detail.to_owned()));
        }
        Some(ReasonChange::Clear) => {
            sql.push(", reason = ''");
        }
        None => {}
    }
    if columns.clears_claim {
        sql.push(", claimed_by = NULL, claimed_until = NULL");
    }
    sql.push(" WHERE id = ")
        .push_bind(id)
        .push(" AND status IN (");
    for (index, source) in event.sources().iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.push_bind(source.as_str());
    }
    sql.push(")");
    if let Some(worker) = worker {
        sql.push(" AND claimed_by = ").push_bind(worker);
    }
    let changed = sql.execute(&mut *tx).await.map_err(database_error)?;
    if changed == 0 {
        let current: Option<String> =
            Sql::<DB>::new("SELECT status FROM namespace_requests WHERE id = $1")
                .bind(id)
                .fetch_optional_scalar(&mut *tx)
                .await
                .map_err(database_error)?;
        return Err(refusal(current, event, worker.is_some()));
    }
    audit::<DB>(tx, actor, event.audit_action(), id, detail.to_owned()).await?;
    fetch::<DB>(tx, id)
        .await?
        .ok_or(RequestStoreError::NotFound)
}

/// Applies `event` as a compare-and-set in a transaction of its own; with `worker`, only if that
/// worker holds the claim.
async fn apply_event<DB: Dialect>(
    store: &SqlStore<DB>,
    id: i64,
    event: RequestEvent,
    actor: &str,
    detail: &str,
    worker: Option<&str>,
) -> Result<NamespaceRequest, RequestStoreError> {
    let mut connection = store.connection().await?;
    let mut tx = begin_write::<DB>(&mut connection).await?;
    let request = apply_event_in::<DB>(&mut tx, id, event, actor, detail, worker).await?;
    tx.commit().await.map_err(database_error)?;
    Ok(request)
}

#[async_trait]
impl<DB: Dialect> NamespaceRequestStore for SqlStore<DB> {
    async fn create_namespace_request(
        &self,
        new: &CheckedRequest,
        max_open: u32,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        let labels = serde_json::to_string(&new.labels)
            .map_err(|error| StoreError::Database(Box::new(error)))?;
        let mut connection = self.connection().await?;
        let mut tx = begin_write::<DB>(&mut connection).await?;
        DB::lock_requester(&mut tx, &new.requester)
            .await
            .map_err(database_error)?;
        let mut insert = Sql::<DB>::new(
            "INSERT INTO namespace_requests
                 (name, requester, purpose, labels, status, created_at, updated_at)
             SELECT ",
        );
        insert
            .push_bind(new.name.as_str())
            .push(", ")
            .push_bind(&new.requester)
            .push(", ")
            .push_bind(&new.purpose)
            .push(", ");
        DB::push_json(&mut insert, labels);
        insert
            .push(", 'pending', ")
            .push_now()
            .push(", ")
            .push_now()
            .push(" WHERE (SELECT count(*) FROM namespace_requests WHERE requester = ")
            .push_bind(&new.requester)
            .push(format_args!(" AND status IN {OPEN_STATUSES}) < "))
            .push_bind(i64::from(max_open))
            .push(" RETURNING id");
        let id = match insert.fetch_optional_scalar::<i64>(&mut tx).await {
            Ok(Some(id)) => id,
            Ok(None) => return Err(RequestStoreError::TooManyOpen(max_open)),
            Err(sqlx::Error::Database(error)) if DB::violates(&*error, OPEN_NAME) => {
                return Err(RequestStoreError::NameTaken(new.name.to_string()));
            }
            Err(error) => return Err(database_error(error).into()),
        };
        for group in &new.groups {
            Sql::<DB>::new(
                "INSERT INTO namespace_request_groups (request_id, group_name) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(group)
            .execute(&mut tx)
            .await
            .map_err(database_error)?;
        }
        audit::<DB>(
            &mut tx,
            &new.requester,
            CREATED_ACTION,
            id,
            created_detail(new),
        )
        .await?;
        let request = fetch::<DB>(&mut tx, id)
            .await?
            .ok_or(RequestStoreError::NotFound)?;
        tx.commit().await.map_err(database_error)?;
        Ok(request)
    }

    async fn namespace_request(&self, id: i64) -> Result<Option<NamespaceRequest>, StoreError> {
        fetch::<DB>(&mut *self.connection().await?, id).await
    }

    async fn namespace_requests_of(
        &self,
        requester: &str,
        limit: u32,
    ) -> Result<Vec<NamespaceRequest>, StoreError> {
        let rows: Vec<RequestRow> = Sql::<DB>::new(format!(
            "{} WHERE r.requester = $1 ORDER BY r.id DESC LIMIT $2",
            DB::REQUEST_SELECT
        ))
        .bind(requester)
        .bind(page_size(limit))
        .fetch_all(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    async fn open_request_for_name(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Sql::<DB>::new(format!(
            "SELECT id FROM namespace_requests WHERE name = $1 AND status IN {OPEN_STATUSES}"
        ))
        .bind(name)
        .fetch_optional_scalar(&mut *self.connection().await?)
        .await
        .map_err(database_error)
    }

    async fn open_namespace_requests(&self, requester: &str) -> Result<u32, StoreError> {
        let count: i64 = Sql::<DB>::new(format!(
            "SELECT count(*) FROM namespace_requests WHERE requester = $1 AND status IN {OPEN_STATUSES}"
        ))
        .bind(requester)
        .fetch_scalar(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn namespace_request_queue(
        &self,
        query: &QueueQuery,
    ) -> Result<(Vec<NamespaceRequest>, Option<(i64, i64)>), StoreError> {
        queue::page::<DB>(&mut *self.connection().await?, query).await
    }

    async fn transition_namespace_request(
        &self,
        id: i64,
        event: RequestEvent,
        actor: &str,
        detail: &str,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        apply_event(self, id, event, actor, detail, None).await
    }

    async fn claim_namespace_request(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<NamespaceRequest>, StoreError> {
        let mut connection = self.connection().await?;
        let mut tx = begin_write::<DB>(&mut connection).await?;
        let claimed = DB::claim_next(&mut tx, worker, now_ms, lease_ms)
            .await
            .map_err(database_error)?;
        let Some((id, previous_status, previous_claim)) = claimed else {
            return Ok(None);
        };
        let detail = claim_detail(worker, &previous_status, previous_claim.as_deref());
        audit::<DB>(
            &mut tx,
            "portal",
            RequestEvent::StartProvisioning.audit_action(),
            id,
            detail,
        )
        .await?;
        let request = fetch::<DB>(&mut tx, id).await?;
        tx.commit().await.map_err(database_error)?;
        Ok(request)
    }

    async fn finish_namespace_request(
        &self,
        id: i64,
        worker: &str,
        outcome: Result<(), String>,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        match outcome {
            Ok(()) => {
                apply_event(self, id, RequestEvent::Succeed, "portal", "", Some(worker)).await
            }
            Err(reason) => {
                apply_event(
                    self,
                    id,
                    RequestEvent::Fail,
                    "portal",
                    &reason,
                    Some(worker),
                )
                .await
            }
        }
    }
}
