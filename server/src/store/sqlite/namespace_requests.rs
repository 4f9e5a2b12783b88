//! Namespace requests on SQLite. Every write runs in a `BEGIN IMMEDIATE` transaction, which takes
//! the database's write lock up front (waiting up to the busy timeout), so a compare-and-set never
//! fails half-way because another writer committed between its read and its write.

use super::SqliteStore;
use crate::store::{
    StoreError,
    namespace_requests::{NamespaceRequestStore, QueueQuery, RequestStoreError},
};
use crate::store::{
    database_error,
    namespace_request_queries::{
        CREATED_ACTION, OPEN_STATUSES, Queries, RequestSql, SQLITE_OPEN_NAME_MESSAGE, Statement,
        claim_detail, created_detail,
    },
};
use app::domain::RequestEvent;
use app::domain::namespace_request::{CheckedRequest, NamespaceRequest};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::{Sqlite, error::ErrorKind, sqlite::SqliteQueryResult};

type Q = Queries<Sqlite>;

impl RequestSql for Sqlite {
    const SELECT: &'static str = "SELECT r.id, r.name, r.requester, r.purpose, r.labels, \
         (SELECT json_group_array(group_name) FROM \
           (SELECT group_name FROM namespace_request_groups g WHERE g.request_id = r.id \
            ORDER BY group_name)) AS group_list, \
         r.status, r.reason, r.decided_by, r.created_at, r.updated_at, r.queue_rank \
         FROM namespace_requests r";
    const POSITION: &'static str = "instr";
    fn push_now(sql: &mut Statement<'_, Self>) {
        sql.push_bind(Utc::now());
    }
    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqliteStore {
    /// Applies `event` as a compare-and-set; with `worker`, only if that worker holds the claim.
    async fn apply_event(
        &self,
        id: i64,
        event: RequestEvent,
        actor: &str,
        detail: &str,
        worker: Option<&str>,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        let mut connection = self.connection().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE")
            .await
            .map_err(database_error)?;
        let request = Q::apply_event(&mut tx, id, event, actor, detail, worker).await?;
        tx.commit().await.map_err(database_error)?;
        Ok(request)
    }
}

#[async_trait]
impl NamespaceRequestStore for SqliteStore {
    async fn create_namespace_request(
        &self,
        new: &CheckedRequest,
        max_open: u32,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        let labels = serde_json::to_string(&new.labels)
            .map_err(|error| StoreError::Database(Box::new(error)))?;
        let mut connection = self.connection().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE")
            .await
            .map_err(database_error)?;
        let now = Utc::now();
        let inserted: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(&format!(
            "INSERT INTO namespace_requests
                 (name, requester, purpose, labels, status, created_at, updated_at)
             SELECT ?, ?, ?, ?, 'pending', ?, ?
             WHERE (SELECT count(*) FROM namespace_requests
                    WHERE requester = ? AND status IN {OPEN_STATUSES}) < ?
             RETURNING id"
        ))
        .bind(new.name.as_str())
        .bind(&new.requester)
        .bind(&new.purpose)
        .bind(labels)
        .bind(now)
        .bind(now)
        .bind(&new.requester)
        .bind(i64::from(max_open))
        .fetch_optional(&mut *tx)
        .await;
        let id = match inserted {
            Ok(Some(id)) => id,
            Ok(None) => return Err(RequestStoreError::TooManyOpen(max_open)),
            Err(sqlx::Error::Database(error))
                if error.kind() == ErrorKind::UniqueViolation
                    && error.message().contains(SQLITE_OPEN_NAME_MESSAGE) =>
            {
                return Err(RequestStoreError::NameTaken(new.name.to_string()));
            }
            Err(error) => return Err(database_error(error).into()),
        };
        Q::insert_groups(&mut tx, id, &new.groups).await?;
        Q::audit(
            &mut tx,
            &new.requester,
            CREATED_ACTION,
            id,
            created_detail(new),
        )
        .await?;
        let request = Q::fetch(&mut tx, id)
            .await?
            .ok_or(RequestStoreError::NotFound)?;
        tx.commit().await.map_err(database_error)?;
        Ok(request)
    }

    async fn namespace_request(&self, id: i64) -> Result<Option<NamespaceRequest>, StoreError> {
        let mut connection = self.connection().await?;
        Q::fetch(&mut connection, id).await
    }

    async fn namespace_requests_of(
        &self,
        requester: &str,
        limit: u32,
    ) -> Result<Vec<NamespaceRequest>, StoreError> {
        let mut connection = self.connection().await?;
        Q::of_requester(&mut connection, requester, limit).await
    }

    async fn open_request_for_name(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let mut connection = self.connection().await?;
        Q::open_request_for_name(&mut connection, name).await
    }

    async fn open_namespace_requests(&self, requester: &str) -> Result<u32, StoreError> {
        let mut connection = self.connection().await?;
        Q::open_count(&mut connection, requester).await
    }

    async fn namespace_request_queue(
        &self,
        query: &QueueQuery,
    ) -> Result<(Vec<NamespaceRequest>, Option<(i64, i64)>), StoreError> {
        let mut connection = self.connection().await?;
        Q::queue(&mut connection, query).await
    }

    async fn transition_namespace_request(
        &self,
        id: i64,
        event: RequestEvent,
        actor: &str,
        detail: &str,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        self.apply_event(id, event, actor, detail, None).await
    }

    async fn claim_namespace_request(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<NamespaceRequest>, StoreError> {
        let mut connection = self.connection().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE")
            .await
            .map_err(database_error)?;
        let candidate: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, status, claimed_by FROM namespace_requests
             WHERE status = 'approved'
                OR (status = 'provisioning' AND (claimed_until IS NULL OR claimed_until < ?))
             ORDER BY id LIMIT 1",
        )
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await
        .map_err(database_error)?;
        let Some((id, previous_status, previous_claim)) = candidate else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE namespace_requests
             SET status = 'provisioning', updated_at = ?, claimed_by = ?, claimed_until = ?
             WHERE id = ?",
        )
        .bind(Utc::now())
        .bind(worker)
        .bind(now_ms.saturating_add(lease_ms))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(database_error)?;
        let detail = claim_detail(worker, &previous_status, previous_claim.as_deref());
        Q::audit(
            &mut tx,
            "portal",
            RequestEvent::StartProvisioning.audit_action(),
            id,
            detail,
        )
        .await?;
        let request = Q::fetch(&mut tx, id).await?;
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
                self.apply_event(id, RequestEvent::Succeed, "portal", "", Some(worker))
                    .await
            }
            Err(reason) => {
                self.apply_event(id, RequestEvent::Fail, "portal", &reason, Some(worker))
                    .await
            }
        }
    }
}
