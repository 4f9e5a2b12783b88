//! What the namespace pages show and send, as plain data shared by server and browser. The
//! server maps its database rows and cluster state to these before anything leaves it.

pub use crate::domain::RequestStatus;
pub use crate::domain::audit::AuditEvent;
pub use crate::domain::namespace_request::{
    FormProblem, MAX_COMMENT, MAX_GROUPS, MAX_PURPOSE, NamespaceRequest, RequestForm,
};
pub use crate::domain::provisioning::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a request could not be made or changed. Each message tells the user what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RequestError {
    /// The form breaks one of the platform's rules (the browser checks the same ones).
    #[error("{0}")]
    Invalid(#[from] FormProblem),
    #[error(
        "You made this request yourself: another platform administrator must approve it (four eyes)."
    )]
    OwnRequest,
    #[error("A namespace called '{0}' already exists in the cluster; choose another name.")]
    ExistsInCluster(String),
    #[error("Another open request already asks for '{0}'; choose another name.")]
    NameTaken(String),
    #[error(
        "You already have {limit} open requests, the most allowed; wait for a decision or cancel one."
    )]
    TooManyOpen { limit: u32 },
    #[error("There is no such request.")]
    NotFound,
    #[error("Only platform administrators can do this.")]
    AdminOnly,
    #[error("The page link is not valid; start again from the first page.")]
    BadCursor,
    #[error("Only the person who made a request can cancel it.")]
    NotYours,
    /// The request changed since the page was loaded (someone else acted first).
    #[error("{0}")]
    Conflict(String),
    #[error("The cluster could not be checked: {0}")]
    ClusterUnavailable(String),
    #[error("Something went wrong on our side; try again in a moment.")]
    Internal,
    #[error("Log in to continue.")]
    NotLoggedIn,
    /// The call itself failed: its arguments could not be read, or the network failed.
    #[error("{0}")]
    Call(crate::status::CallError),
}

impl crate::status::HttpStatus for RequestError {
    fn http_status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 422,
            Self::ExistsInCluster(_)
            | Self::NameTaken(_)
            | Self::TooManyOpen { .. }
            | Self::Conflict(_) => 409,
            Self::NotFound => 404,
            Self::OwnRequest | Self::AdminOnly | Self::NotYours => 403,
            Self::NotLoggedIn => 401,
            Self::BadCursor => 400,
            Self::ClusterUnavailable(_) => 503,
            Self::Internal => 500,
            Self::Call(call) => crate::status::HttpStatus::http_status(call),
        }
    }
}

crate::server_fn_error!(RequestError);

impl From<crate::auth::AccessError> for RequestError {
    fn from(error: crate::auth::AccessError) -> Self {
        match error {
            crate::auth::AccessError::NotLoggedIn => Self::NotLoggedIn,
            crate::auth::AccessError::NotAdmin => Self::AdminOnly,
        }
    }
}

/// What the request form page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormState {
    pub options: FormOptions,
    /// The platform's naming rules, so the browser checks names as they are typed.
    pub naming: crate::domain::NamingPolicy,
    /// The form the user posted last and why it was refused, when it was.
    pub refused: Option<RefusedForm>,
}

/// A refused request form, kept in the user's session (never in the address: a long purpose
/// would not fit in a redirect) until the form page shows it once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedForm {
    pub form: RequestForm,
    pub problem: RequestError,
}

impl RefusedForm {
    /// The session key it is kept under.
    pub const SESSION_KEY: &'static str = "refused_request_form";
}

/// Filters of the audit trail page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: Option<String>,
    /// An action, or a prefix of actions such as `namespace_request.`.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Keyset: only events older than this id.
    #[serde(default)]
    pub before: Option<i64>,
}

/// One page of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// The namespace of each request the events name (a request is named by its namespace).
    pub request_names: BTreeMap<i64, String>,
    /// The id to pass as `before` for older events, when there are more.
    pub older: Option<i64>,
}

/// One line of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: crate::domain::Timestamp,
    pub actor: String,
    /// What happened, in words (`approved`, `provisioning failed` …).
    pub what: String,
    pub detail: String,
}

impl From<AuditEvent> for TimelineEntry {
    fn from(line: AuditEvent) -> Self {
        let what = line
            .action
            .strip_prefix("namespace_request.")
            .unwrap_or(&line.action)
            .replace('_', " ");
        // A provisioning process's name (`host/pid/random`) means nothing to a requester; the
        // audit trail keeps it for administrators.
        use crate::domain::namespace_request::is_worker_actor;
        let actor = if line.actor == "portal" || is_worker_actor(&line.actor) {
            "the portal".to_owned()
        } else {
            line.actor
        };
        let detail = line
            .detail
            .split(' ')
            .map(|word| {
                let name = word.trim_end_matches(',');
                if is_worker_actor(name) {
                    word.replacen(name, "a portal process", 1)
                } else {
                    word.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let detail = if detail == "by a portal process" {
            String::new()
        } else {
            detail
        };
        Self {
            at: line.occurred_at,
            actor,
            what,
            detail,
        }
    }
}

/// Everything the page of one request shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub request: NamespaceRequest,
    pub timeline: Vec<TimelineEntry>,
    /// Exactly what approval applies, in order.
    pub manifests: Vec<Manifest>,
    /// The viewer may approve, reject or retry.
    pub viewer_is_admin: bool,
    /// The viewer made the request (and may cancel it while pending or failed).
    pub viewer_is_requester: bool,
    /// The viewer may approve it: an administrator who, with four eyes, is not the requester.
    pub viewer_may_approve: bool,
    /// Whether the portal is connected to a cluster (approved requests wait otherwise).
    pub cluster_connected: bool,
}

/// Which requests the admin queue shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilter {
    #[serde(default)]
    pub status: Option<RequestStatus>,
    /// Only requests giving access to this group (exact name).
    #[serde(default)]
    pub group: Option<String>,
    /// Only requests whose name contains this text.
    #[serde(default)]
    pub name: Option<String>,
    /// Keyset cursor: the page starts after this `(rank, id)`, written `rank.id`.
    #[serde(default)]
    pub after: Option<String>,
}

/// One page of the admin queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    pub requests: Vec<NamespaceRequest>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// What the request form needs to know about the user and the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOptions {
    /// The groups the user may choose from (their own).
    pub groups: Vec<String>,
    /// Administrators may name any group.
    pub any_group: bool,
    /// Label keys the operator allows.
    pub label_keys: Vec<String>,
    pub max_open: u32,
    pub open_now: u32,
}

/// A queue cursor: `(rank, id)`, where rank 0 is pending and 1 everything else.
pub fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (rank, id) = text.split_once('.')?;
    let rank: i64 = rank.parse().ok()?;
    let id: i64 = id.parse().ok()?;
    ((0..=1).contains(&rank) && id > 0).then_some((rank, id))
}

pub fn format_cursor(rank: i64, id: i64) -> String {
    format!("{rank}.{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(parse_cursor(&format_cursor(1, 42)), Some((1, 42)));
        for bad in [
            "",
            ".",
            "1",
            "2.5",
            "-1.3",
            "0.0",
            "0.-4",
            "a.b",
            "0.9999999999999999999999",
        ] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }
}
