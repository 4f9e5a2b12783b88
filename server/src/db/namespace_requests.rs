//! What the namespace request tables share on both backends: the row shape, the names of
//! constraints, and the audit trail's wording.

use app::domain::{RequestEvent, RequestStatus};
use app::features::namespaces::model::{NamespaceRequest, format_time};
use app::ports::{NewNamespaceRequest, RequestStoreError, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

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
        Ok(NamespaceRequest {
            id: self.id,
            name: self.name,
            requester: self.requester,
            purpose: self.purpose,
            groups,
            labels,
            status,
            reason: self.reason,
            decided_by: self.decided_by,
            created_at: format_time(self.created_at),
            updated_at: format_time(self.updated_at),
        })
    }
}

/// The audit trail's subject for a request.
pub(crate) fn subject(id: i64) -> String {
    format!("namespace_request/{id}")
}

pub(crate) const CREATED_ACTION: &str = "namespace_request.created";

/// The detail of the `created` event: the whole request, so the trail alone tells the story.
pub(crate) fn created_detail(new: &NewNamespaceRequest) -> String {
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
    if detail.chars().count() > super::MAX_DETAIL {
        detail = detail.chars().take(super::MAX_DETAIL - 1).collect();
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
