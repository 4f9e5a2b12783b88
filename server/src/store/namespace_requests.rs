//! Namespace requests' storage: what either backend does with them. The queries both run alike
//! are in `namespace_request_queries`.

use super::StoreError;
use app::domain::namespace_request::{CheckedRequest, NamespaceRequest};
use app::domain::{IllegalTransition, RequestEvent, RequestStatus};
use async_trait::async_trait;
use std::fmt;

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
