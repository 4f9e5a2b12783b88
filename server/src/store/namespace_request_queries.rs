//! What the namespace request tables share on both backends: the row shape, the names of
//! constraints, the audit trail's wording, and the queries both run alike ([`Queries`]).

use super::database_error;
use super::{
    StoreError,
    namespace_requests::{QueueQuery, RequestStoreError},
};
use app::domain::namespace_request::{CheckedRequest, NamespaceRequest};
use app::domain::{NamespaceName, NamingPolicy};
use app::domain::{RequestEvent, RequestStatus};
use chrono::{DateTime, Utc};
use sqlx::{Arguments, Database, Encode, Executor, FromRow, IntoArguments, Type};
use std::{collections::BTreeMap, marker::PhantomData};

/// The statuses that hold a name (see `RequestStatus::holds_name`); the partial unique index
/// `namespace_requests_open_name` covers exactly these.
pub(crate) const OPEN_STATUSES: &str = "('pending', 'approved', 'provisioning', 'failed')";
/// The unique index that keeps one open request per name. PostgreSQL reports it by name; SQLite
/// reports `UNIQUE constraint failed: namespace_requests.name`.
pub(crate) const OPEN_NAME_INDEX: &str = "namespace_requests_open_name";
pub(crate) const SQLITE_OPEN_NAME_MESSAGE: &str = "namespace_requests.name";
/// The most requests one page of a listing holds.
pub(crate) const MAX_PAGE: u32 = 200;

/// A request as either backend returns it (labels and groups as JSON text).
#[derive(sqlx::FromRow)]
pub(crate) struct RequestRow {
    pub id: i64,
    pub name: String,
    pub requester: String,
    pub purpose: String,
    pub labels: String,
    pub group_list: String,
    pub status: String,
    pub reason: String,
    pub decided_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub queue_rank: i64,
}

impl RequestRow {
    /// The request, or a database error if a stored value is not one the schema allows.
    pub fn into_request(self) -> Result<NamespaceRequest, StoreError> {
        let corrupt = |what: &str, detail: String| {
            StoreError::Database(format!("namespace request {}: {what}: {detail}", self.id).into())
        };
        let status: RequestStatus = self.status.parse().map_err(
            |error: app::domain::namespace_request::UnknownStatus| {
                corrupt("status", error.to_string())
            },
        )?;
        let labels: BTreeMap<String, String> = serde_json::from_str(&self.labels)
            .map_err(|error| corrupt("labels", error.to_string()))?;
        let groups: Vec<String> = serde_json::from_str(&self.group_list)
            .map_err(|error| corrupt("groups", error.to_string()))?;
        let name = NamespaceName::parse(&self.name, &NamingPolicy::default())
            .map_err(|error| corrupt("name", error.to_string()))?;
        Ok(NamespaceRequest {
            id: self.id,
            name,
            requester: self.requester,
            purpose: self.purpose,
            groups,
            labels,
            status,
            reason: self.reason,
            decided_by: self.decided_by,
            created_at: super::timestamp(self.created_at),
            updated_at: super::timestamp(self.updated_at),
        })
    }
}

/// The audit trail's subject for a request.
pub(crate) fn subject(id: i64) -> String {
    app::domain::audit::request_subject(id)
}

pub(crate) const CREATED_ACTION: &str = "namespace_request.created";

/// The detail of the `created` event: the whole request, so the trail alone tells the story.
pub(crate) fn created_detail(new: &CheckedRequest) -> String {
    let labels: Vec<String> = new
        .labels
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let mut detail = format!(
        "namespace {}; workload-admin for {}",
        new.name,
        new.groups.join(", ")
    );
    if !labels.is_empty() {
        detail.push_str(&format!("; labels {}", labels.join(", ")));
    }
    detail.push_str(&format!("; purpose: {}", new.purpose));
    truncate(detail)
}

/// The detail of the `provisioning_started` event of a claim.
pub(crate) fn claim_detail(
    worker: &str,
    previous_status: &str,
    previous_claim: Option<&str>,
) -> String {
    match (previous_status, previous_claim) {
        ("approved", _) => format!("by {worker}"),
        (_, None) => format!("by {worker}, after a retry"),
        (_, Some(previous)) => {
            format!("by {worker}, resuming an attempt by {previous} that did not finish in time")
        }
    }
}

/// The audit detail of an event (the comment, the failure) within the trail's limit.
pub(crate) fn truncate(mut detail: String) -> String {
    if detail.chars().count() > super::audit::MAX_DETAIL {
        detail = detail.chars().take(super::audit::MAX_DETAIL - 1).collect();
        detail.push('…');
    }
    detail
}

/// The columns an event sets besides the status, in SQL (`?` placeholders are filled by the
/// caller in this order: decided_by, reason).
pub(crate) struct EventColumns {
    pub sets_decider: bool,
    pub reason: Option<ReasonChange>,
    pub clears_claim: bool,
}

pub(crate) enum ReasonChange {
    /// The event's detail becomes the reason (a rejection comment, a failure).
    Detail,
    /// The reason is cleared (provisioning succeeded).
    Clear,
}

pub(crate) fn event_columns(event: RequestEvent) -> EventColumns {
    use RequestEvent as E;
    EventColumns {
        sets_decider: matches!(event, E::Approve | E::Reject),
        reason: match event {
            E::Reject | E::Fail => Some(ReasonChange::Detail),
            E::Succeed => Some(ReasonChange::Clear),
            _ => None,
        },
        clears_claim: matches!(event, E::Retry | E::Succeed | E::Fail),
    }
}

/// The page size for a listing that asked for `limit` rows.
pub(crate) fn page_size(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE))
}

/// Why a compare-and-set changed nothing, from the status the request has now.
pub(crate) fn refusal(
    current: Option<String>,
    event: RequestEvent,
    claimed: bool,
) -> RequestStoreError {
    match current.as_deref().map(str::parse::<RequestStatus>) {
        None => RequestStoreError::NotFound,
        Some(Ok(RequestStatus::Provisioning)) if claimed => RequestStoreError::ClaimLost,
        Some(Ok(from)) => match from.after(event) {
            Err(illegal) => RequestStoreError::Illegal(illegal),
            // The status allows the event but the row did not match: the claim is not ours.
            Ok(_) => RequestStoreError::ClaimLost,
        },
        Some(Err(error)) => StoreError::Database(error.to_string().into()).into(),
    }
}

/// A statement and its arguments, built up like sqlx's `QueryBuilder` but owning both, so code
/// generic over the backend can run it (the builder lends out its arguments for as long as it
/// lives, which a generic backend's arguments type cannot be shortened to).
pub(crate) struct Statement<'q, DB: Database> {
    text: String,
    arguments: DB::Arguments<'q>,
    error: Option<sqlx::error::BoxDynError>,
}

impl<'q, DB: Database> Statement<'q, DB> {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            arguments: Default::default(),
            error: None,
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.text, "{text}");
        self
    }

    /// Appends a placeholder in the backend's own spelling and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, DB> + Type<DB>,
    {
        if let Err(error) = self.arguments.add(value) {
            self.error.get_or_insert(error);
        }
        let _ = self.arguments.format_placeholder(&mut self.text);
        self
    }

    /// The statement's text and arguments, or the first value that could not be bound.
    fn finish(self) -> Result<(String, DB::Arguments<'q>), StoreError> {
        match self.error {
            Some(error) => Err(StoreError::Database(error)),
            None => Ok((self.text, self.arguments)),
        }
    }
}

/// What each backend spells its own way in the queries [`Queries`] runs on both.
pub(crate) trait RequestSql: Database {
    /// The projection a [`RequestRow`] is read from (groups aggregated as JSON text), ending in
    /// `FROM namespace_requests r`.
    const SELECT: &'static str;
    /// The function that gives the position of its second argument in its first (0: absent).
    const POSITION: &'static str;
    /// Appends the current time as a value.
    fn push_now(sql: &mut Statement<'_, Self>);
    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// The namespace request queries both backends run alike, on a connection or in a transaction
/// the caller opened (how that is opened, the creation and the provisioning claim are the
/// backends' own). Placeholders are `$N`, which SQLite reads too.
pub(crate) struct Queries<DB>(PhantomData<DB>);

impl<DB> Queries<DB>
where
    DB: RequestSql,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    RequestRow: for<'r> FromRow<'r, DB::Row>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
    (String,): for<'r> FromRow<'r, DB::Row>,
{
    /// One request by id.
    pub async fn fetch(
        connection: &mut DB::Connection,
        id: i64,
    ) -> Result<Option<NamespaceRequest>, StoreError> {
        let row: Option<RequestRow> = sqlx::query_as(&format!("{} WHERE r.id = $1", DB::SELECT))
            .bind(id)
            .fetch_optional(connection)
            .await
            .map_err(database_error)?;
        row.map(RequestRow::into_request).transpose()
    }

    /// Appends an event about request `id` to the audit trail.
    pub async fn audit(
        connection: &mut DB::Connection,
        actor: &str,
        action: &str,
        id: i64,
        detail: String,
    ) -> Result<(), StoreError> {
        let detail = truncate(detail);
        super::audit::log_line(actor, action, &subject(id), &detail);
        let mut sql = Statement::<DB>::new(
            "INSERT INTO audit_events (occurred_at, actor, action, subject, detail) VALUES (",
        );
        DB::push_now(&mut sql);
        sql.push(", ")
            .push_bind(actor.to_owned())
            .push(", ")
            .push_bind(action.to_owned())
            .push(", ")
            .push_bind(subject(id))
            .push(", ")
            .push_bind(detail)
            .push(")");
        let (text, arguments) = sql.finish()?;
        sqlx::query_with(&text, arguments)
            .execute(connection)
            .await
            .map_err(database_error)?;
        Ok(())
    }

    /// Applies `event` to request `id` as a compare-and-set on its status (with `worker`, only
    /// while that worker holds the claim) and records it in the audit trail, in the caller's
    /// transaction. Changes nothing and says why when the request is not where the event
    /// starts from.
    pub async fn apply_event(
        tx: &mut DB::Connection,
        id: i64,
        event: RequestEvent,
        actor: &str,
        detail: &str,
        worker: Option<&str>,
    ) -> Result<NamespaceRequest, RequestStoreError> {
        let columns = event_columns(event);
        let mut sql = Statement::<DB>::new("UPDATE namespace_requests SET status = ");
        sql.push_bind(event.target().as_str())
            .push(", updated_at = ");
        DB::push_now(&mut sql);
        if columns.sets_decider {
            sql.push(", decided_by = ").push_bind(actor.to_owned());
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
            sql.push(" AND claimed_by = ").push_bind(worker.to_owned());
        }
        let (text, arguments) = sql.finish()?;
        let result = sqlx::query_with(&text, arguments)
            .execute(&mut *tx)
            .await
            .map_err(database_error)?;
        if DB::rows_affected(&result) == 0 {
            let current: Option<String> =
                sqlx::query_scalar("SELECT status FROM namespace_requests WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(database_error)?;
            return Err(refusal(current, event, worker.is_some()));
        }
        Self::audit(tx, actor, event.audit_action(), id, detail.to_owned()).await?;
        Self::fetch(tx, id)
            .await?
            .ok_or(RequestStoreError::NotFound)
    }

    /// Adds the requested groups of a request created in the caller's transaction.
    pub async fn insert_groups(
        tx: &mut DB::Connection,
        id: i64,
        groups: &[String],
    ) -> Result<(), StoreError> {
        for group in groups {
            sqlx::query(
                "INSERT INTO namespace_request_groups (request_id, group_name) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(group.clone())
            .execute(&mut *tx)
            .await
            .map_err(database_error)?;
        }
        Ok(())
    }

    /// `requester`'s requests, newest first.
    pub async fn of_requester(
        connection: &mut DB::Connection,
        requester: &str,
        limit: u32,
    ) -> Result<Vec<NamespaceRequest>, StoreError> {
        let rows: Vec<RequestRow> = sqlx::query_as(&format!(
            "{} WHERE r.requester = $1 ORDER BY r.id DESC LIMIT $2",
            DB::SELECT
        ))
        .bind(requester.to_owned())
        .bind(page_size(limit))
        .fetch_all(connection)
        .await
        .map_err(database_error)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    /// The open request that holds `name`, if any.
    pub async fn open_request_for_name(
        connection: &mut DB::Connection,
        name: &str,
    ) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar(&format!(
            "SELECT id FROM namespace_requests WHERE name = $1 AND status IN {OPEN_STATUSES}"
        ))
        .bind(name.to_owned())
        .fetch_optional(connection)
        .await
        .map_err(database_error)
    }

    /// How many open requests `requester` has.
    pub async fn open_count(
        connection: &mut DB::Connection,
        requester: &str,
    ) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM namespace_requests WHERE requester = $1 AND status IN {OPEN_STATUSES}"
        ))
        .bind(requester.to_owned())
        .fetch_one(connection)
        .await
        .map_err(database_error)?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// One page of the administrators' queue, and the key after its last row when there are
    /// more.
    pub async fn queue(
        connection: &mut DB::Connection,
        query: &QueueQuery,
    ) -> Result<(Vec<NamespaceRequest>, Option<(i64, i64)>), StoreError> {
        // The page's ids first, then their rows: the row projection (groups as JSON) runs
        // for the page only, not for every request that matches before the sort.
        let mut sql = Statement::<DB>::new(DB::SELECT);
        sql.push(" WHERE r.id IN (SELECT r.id FROM namespace_requests r WHERE 1 = 1");
        if let Some(status) = query.status {
            sql.push(" AND r.status = ").push_bind(status.as_str());
        }
        if let Some(group) = &query.group {
            sql.push(
                " AND EXISTS (SELECT 1 FROM namespace_request_groups g \
                 WHERE g.request_id = r.id AND g.group_name = ",
            )
            .push_bind(group.clone())
            .push(")");
        }
        if let Some(name) = &query.name {
            sql.push(format_args!(" AND {}(r.name, ", DB::POSITION))
                .push_bind(name.clone())
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
        let (text, arguments) = sql.finish()?;
        let mut rows: Vec<RequestRow> = sqlx::query_as_with(&text, arguments)
            .fetch_all(connection)
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
}
