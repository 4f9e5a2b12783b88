//! Namespace requests' storage: what either backend does with them, the row shape, the names of
//! constraints and the audit trail's wording. The queries are in `sql/namespace_requests.rs`.

use super::{StoreError, dialect::Unique};
use app::domain::namespace_request::{CheckedRequest, NamespaceRequest};
use app::domain::{IllegalTransition, NamespaceName, NamingPolicy, RequestEvent, RequestStatus};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::{collections::BTreeMap, fmt};

/// Why the store refused to create or change a namespace request.
#[derive(Debug, thiserror::Error)]
pub enum RequestStoreError {
    /// Another open request holds the name (the unique index on open names said so).
    #[error("another open request holds the name {0}")]
    NameTaken(String),
    /// The requester already has this many open requests.
    #[error("the requester already has {0} open requests")]
    TooManyOpen(u32),
    #[error("no such request")]
    NotFound,
    /// The request is not in the status the event needs (someone else acted first).
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Provisioning finished, but another process holds the claim now.
    #[error("the claim on the request was lost")]
    ClaimLost,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which namespace requests the admin queue lists: pending first, then oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    pub status: Option<RequestStatus>,
    pub group: Option<String>,
    /// A substring of the name.
    pub name: Option<String>,
    /// Keyset: start after this `(rank, id)`; rank 0 is pending, 1 everything else.
    pub after: Option<(i64, i64)>,
    pub limit: u32,
}

/// Namespace requests in the database. Every status change is a compare-and-set that records
/// its audit event in the same transaction, so history and state never disagree.
#[async_trait]
pub trait NamespaceRequestStore: Send + Sync + fmt::Debug {
    /// Stores a pending request (and its `created` event), unless another open request holds the
    /// name or the requester already has `max_open` open requests.
    async fn create_namespace_request(
        &self,
        new: &CheckedRequest,
        max_open: u32,
    ) -> Result<NamespaceRequest, RequestStoreError>;
    async fn namespace_request(&self, id: i64) -> Result<Option<NamespaceRequest>, StoreError>;
    /// The requester's requests, newest first.
    async fn namespace_requests_of(
        &self,
        requester: &str,
        limit: u32,
    ) -> Result<Vec<NamespaceRequest>, StoreError>;
    /// The open request that holds `name`, if any.
    async fn open_request_for_name(&self, name: &str) -> Result<Option<i64>, StoreError>;
    /// How many of the requester's requests are still open (they hold a name).
    async fn open_namespace_requests(&self, requester: &str) -> Result<u32, StoreError>;
    /// One page of the admin queue and the cursor of the next, if any.
    async fn namespace_request_queue(
        &self,
        query: &QueueQuery,
    ) -> Result<(Vec<NamespaceRequest>, Option<(i64, i64)>), StoreError>;
    /// Applies `event` if the request is in [`RequestEvent::source`] now (compare-and-set) and
    /// records `actor` and `detail` in the audit trail. `Reject` stores `detail` as the reason;
    /// `Approve` and `Reject` record the actor as the decider; `Retry` leaves the request
    /// unclaimed for the next provisioning pass.
    async fn transition_namespace_request(
        &self,
        id: i64,
        event: RequestEvent,
        actor: &str,
        detail: &str,
    ) -> Result<NamespaceRequest, RequestStoreError>;
    /// Claims the oldest request that needs provisioning for `worker` until `now_ms + lease_ms`
    /// (Unix milliseconds): an approved one (which becomes provisioning), or a provisioning one
    /// that nobody holds (retried) or whose claim ran out (its process died). Replicas never get
    /// the same request while a claim holds.
    async fn claim_namespace_request(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<NamespaceRequest>, StoreError>;
    /// Ends `worker`'s provisioning of the request: ready, or failed with `Err(reason)`.
    async fn finish_namespace_request(
        &self,
        id: i64,
        worker: &str,
        outcome: Result<(), String>,
    ) -> Result<NamespaceRequest, RequestStoreError>;
}

/// The statuses that hold a name (see `RequestStatus::holds_name`); the partial unique index
/// `namespace_requests_open_name` covers exactly these.
pub(crate) const OPEN_STATUSES: &str = "('pending', 'approved', 'provisioning', 'failed')";
/// The unique index that keeps one open request per name.
pub(crate) const OPEN_NAME: Unique = Unique {
    name: "namespace_requests_open_name",
    sqlite_columns: Some("namespace_requests.name"),
};
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

/// The columns an event sets besides the status.
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
