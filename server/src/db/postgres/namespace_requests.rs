//! Namespace requests on PostgreSQL. Status changes are compare-and-sets (`UPDATE … WHERE
//! status = …`), the per-user limit is checked under a transaction-scoped advisory lock on the
//! requester, and provisioning claims use `FOR UPDATE SKIP LOCKED`, so replicas never collide.

use super::PgStore;
use crate::db::{
    database_error,
    namespace_requests::{
        CREATED_ACTION, OPEN_NAME_INDEX, OPEN_STATUSES, ReasonChange, RequestRow, claim_detail,
        created_detail, event_columns, page_size, refusal, subject, truncate,
    },
};
use app::domain::RequestEvent;
use app::features::namespaces::model::NamespaceRequest;
use app::ports::{
    NamespaceRequestStore, NewNamespaceRequest, QueueQuery, RequestStoreError, StoreError,
};
use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, QueryBuilder};

const SELECT: &str = "SELECT r.id, r.name, r.requester, r.purpose, r.labels::text AS labels, \
     (SELECT coalesce(json_agg(g.group_name ORDER BY g.group_name), '[]'::json)::text \
      FROM namespace_request_groups g WHERE g.request_id = r.id) AS group_list, \
     r.status, r.reason, r.decided_by, r.created_at, r.updated_at, r.queue_rank::bigint AS queue_rank \
     FROM namespace_requests r";

async fn fetch(
    connection: &mut PgConnection,
    id: i64,
) -> Result<Option<NamespaceRequest>, StoreError> {
    let row: Option<RequestRow> = sqlx::query_as(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await
        .map_err(database_error)?;
    row.map(RequestRow::into_request).transpose()
}

async fn audit(
    connection: &mut PgConnection,
    actor: &str,
    action: &str,
    id: i64,
    detail: String,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (actor, action, subject, detail) VALUES ($1, $2, $3, $4)",
    )
    .bind(actor)
    .bind(action)
    .bind(subject(id))
    .bind(truncate(detail))
    .execute(connection)
    .await
    .map_err(database_error)?;
    Ok(())
}

impl PgStore {
    /// Applies `event` as a compare-and-set; with `worker`, only if that worker holds the claim.
    async fn apply_event(
        &self,
        id: i64,
        event: RequestEvent,
        actor: &str,
        detail: &str,
        worker: Option<&str>,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        let mut tx = self.pool.begin().await.map_err(database_error)?;
        let columns = event_columns(event);
        let mut sql = QueryBuilder::<Postgres>::new("UPDATE namespace_requests SET status = ");
        sql.push_bind(event.target().as_str())
            .push(", updated_at = now()");
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
            .push(" AND status = ")
            .push_bind(event.source().as_str());
        if let Some(worker) = worker {
            sql.push(" AND claimed_by = ").push_bind(worker);
        }
        let changed = sql
            .build()
            .execute(&mut *tx)
            .await
            .map_err(database_error)?
            .rows_affected();
        if changed == 0 {
            let current: Option<String> =
                sqlx::query_scalar("SELECT status FROM namespace_requests WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(database_error)?;
            return Err(refusal(current, event, worker.is_some()));
        }
        audit(&mut tx, actor, event.audit_action(), id, detail.to_owned()).await?;
        let request = fetch(&mut tx, id)
            .await?
            .ok_or(RequestStoreError::NotFound)?;
        tx.commit().await.map_err(database_error)?;
        Ok(request)
    }
}

#[async_trait]
impl NamespaceRequestStore for PgStore {
    async fn create_namespace_request(
        &self,
        new: &NewNamespaceRequest,
        max_open: u32,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        let labels = serde_json::to_string(&new.labels)
            .map_err(|error| StoreError::Database(Box::new(error)))?;
        let mut tx = self.pool.begin().await.map_err(database_error)?;
        // One requester's creations queue up behind each other, so two at once cannot both pass
        // the limit; everyone else's go ahead.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 42))")
            .bind(format!("namespace-requests-of:{}", new.requester))
            .execute(&mut *tx)
            .await
            .map_err(database_error)?;
        let inserted: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(&format!(
            "INSERT INTO namespace_requests
                 (name, requester, purpose, labels, status, created_at, updated_at)
             SELECT $1, $2, $3, $4::jsonb, 'pending', now(), now()
             WHERE (SELECT count(*) FROM namespace_requests
                    WHERE requester = $2 AND status IN {OPEN_STATUSES}) < $5
             RETURNING id"
        ))
        .bind(new.name.as_str())
        .bind(&new.requester)
        .bind(&new.purpose)
        .bind(labels)
        .bind(i64::from(max_open))
        .fetch_optional(&mut *tx)
        .await;
        let id = match inserted {
            Ok(Some(id)) => id,
            Ok(None) => return Err(RequestStoreError::TooManyOpen(max_open)),
            Err(sqlx::Error::Database(error)) if error.constraint() == Some(OPEN_NAME_INDEX) => {
                return Err(RequestStoreError::NameTaken(new.name.to_string()));
            }
            Err(error) => return Err(database_error(error).into()),
        };
        for group in &new.groups {
            sqlx::query(
                "INSERT INTO namespace_request_groups (request_id, group_name) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(group)
            .execute(&mut *tx)
            .await
            .map_err(database_error)?;
        }
        audit(
            &mut tx,
            &new.requester,
            CREATED_ACTION,
            id,
            created_detail(new),
        )
        .await?;
        let request = fetch(&mut tx, id)
            .await?
            .ok_or(RequestStoreError::NotFound)?;
        tx.commit().await.map_err(database_error)?;
        Ok(request)
    }

    async fn namespace_request(&self, id: i64) -> Result<Option<NamespaceRequest>, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(database_error)?;
        fetch(&mut connection, id).await
    }

    async fn namespace_requests_of(
        &self,
        requester: &str,
        limit: u32,
    ) -> Result<Vec<NamespaceRequest>, StoreError> {
        let rows: Vec<RequestRow> = sqlx::query_as(&format!(
            "{SELECT} WHERE r.requester = $1 ORDER BY r.id DESC LIMIT $2"
        ))
        .bind(requester)
        .bind(page_size(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(database_error)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    async fn open_request_for_name(&self, name: &str) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar(&format!(
            "SELECT id FROM namespace_requests WHERE name = $1 AND status IN {OPEN_STATUSES}"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(database_error)
    }

    async fn open_namespace_requests(&self, requester: &str) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM namespace_requests WHERE requester = $1 AND status IN {OPEN_STATUSES}"
        ))
        .bind(requester)
        .fetch_one(&self.pool)
        .await
        .map_err(database_error)?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn namespace_request_queue(
        &self,
        query: &QueueQuery,
    ) -> Result<(Vec<NamespaceRequest>, Option<(i64, i64)>), StoreError> {
        // The page's ids first, then their rows: the row projection (groups as JSON) runs
        // for the page only, not for every request that matches before the sort.
        let mut sql = QueryBuilder::<Postgres>::new(SELECT);
        sql.push(" WHERE r.id IN (SELECT r.id FROM namespace_requests r WHERE TRUE");
        if let Some(status) = query.status {
            sql.push(" AND r.status = ").push_bind(status.as_str());
        }
        if let Some(group) = &query.group {
            sql.push(
                " AND EXISTS (SELECT 1 FROM namespace_request_groups g \
                 WHERE g.request_id = r.id AND g.group_name = ",
            )
            .push_bind(group)
            .push(")");
        }
        if let Some(name) = &query.name {
            sql.push(" AND strpos(r.name, ")
                .push_bind(name)
                .push(") > 0");
        }
        if query.status.is_some() {
            // One status, one rank: page by id alone, which the (status, id) index serves.
            if let Some((_, id)) = query.after {
                sql.push(" AND r.id > ").push_bind(id);
            }
            sql.push(" ORDER BY r.id");
        } else {
            // Ranks are 0 (pending) and 1: spelled out, each branch is a plain range on the
            // (queue_rank, id) index, which a row-value comparison is not for every planner.
            match query.after {
                Some((0, id)) => {
                    sql.push(" AND ((r.queue_rank = 0 AND r.id > ")
                        .push_bind(id)
                        .push(") OR r.queue_rank = 1)");
                }
                Some((_, id)) => {
                    sql.push(" AND r.queue_rank = 1 AND r.id > ").push_bind(id);
                }
                None => {}
            }
            sql.push(" ORDER BY r.queue_rank, r.id");
        }
        let size = page_size(query.limit);
        sql.push(" LIMIT ").push_bind(size + 1).push(")");
        sql.push(if query.status.is_some() {
            " ORDER BY r.id"
        } else {
            " ORDER BY r.queue_rank, r.id"
        });
        let mut rows: Vec<RequestRow> = sql
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(database_error)?;
        let next = if rows.len() as i64 > size {
            rows.truncate(size as usize);
            rows.last().map(|row| (row.queue_rank, row.id))
        } else {
            None
        };
        let requests = rows
            .into_iter()
            .map(RequestRow::into_request)
            .collect::<Result<_, _>>()?;
        Ok((requests, next))
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
        let mut tx = self.pool.begin().await.map_err(database_error)?;
        // SKIP LOCKED: a request another replica is claiming right now is passed over, not waited
        // for; the claim itself (claimed_by, claimed_until) keeps it theirs afterwards.
        let claimed: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "WITH next AS (
                 SELECT id, status, claimed_by FROM namespace_requests
                 WHERE status = 'approved'
                    OR (status = 'provisioning' AND (claimed_until IS NULL OR claimed_until < $3))
                 ORDER BY id LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             UPDATE namespace_requests r
             SET status = 'provisioning', updated_at = now(), claimed_by = $1, claimed_until = $2
             FROM next WHERE r.id = next.id
             RETURNING r.id, next.status, next.claimed_by",
        )
        .bind(worker)
        .bind(now_ms.saturating_add(lease_ms))
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await
        .map_err(database_error)?;
        let Some((id, previous_status, previous_claim)) = claimed else {
            return Ok(None);
        };
        let detail = claim_detail(worker, &previous_status, previous_claim.as_deref());
        audit(
            &mut tx,
            "portal",
            RequestEvent::StartProvisioning.audit_action(),
            id,
            detail,
        )
        .await?;
        let request = fetch(&mut tx, id).await?;
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
