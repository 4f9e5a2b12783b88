//! What the access pages show, as plain data the server fills from its in-memory copy of the
//! cluster's access RoleBindings.

use crate::domain::access::{Matrix, MyNamespace, NamespaceAccess};
use crate::domain::preflight::rules::NamespaceAudit;
use serde::{Deserialize, Serialize};

/// How current the portal's copy of the cluster's RoleBindings is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterStatus {
    /// The portal has no connection to a cluster configured.
    NotConfigured,
    /// Connected, the first full read has not finished yet.
    Starting,
    /// Connected and up to date (changes arrive as they happen).
    Connected,
    /// The API server stopped answering; pages show the last state read. `since` is
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    Unreachable { since: String },
}

/// `/access`: the namespaces the user may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyAccess {
    pub status: ClusterStatus,
    pub username: String,
    pub groups: Vec<String>,
    pub namespaces: Vec<MyNamespace>,
    /// The RoleBinding every namespace has (`workload-admin`), for the kubectl command.
    pub primary_binding: String,
}

/// `/access/NAMESPACE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespacePage {
    pub status: ClusterStatus,
    pub access: NamespaceAccess,
    pub primary_binding: String,
    /// What Gatekeeper's audit found among the namespace's objects; `None` without the
    /// preflight service.
    pub audit: Option<NamespaceAudit>,
}

/// `/admin/access`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminAccess {
    pub status: ClusterStatus,
    pub search: String,
    pub matrix: Matrix,
    /// Groups bindings name that no user who logged in to the portal has carried.
    pub groups_never_seen: Vec<String>,
    pub primary_binding: String,
}

/// Why an access server function failed, in words safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AccessApiError {
    #[error("log in to see who has access")]
    NotLoggedIn,
    #[error("this page is for platform administrators")]
    NotAdmin,
    /// The same for a namespace that does not exist and one the user may not see.
    #[error("no such namespace, or you have no access to it")]
    NotFound,
    #[error("the access view is not available right now; try again later")]
    Unavailable,
    /// The call itself failed: its arguments could not be read, or the network failed.
    #[error("{0}")]
    Call(crate::status::CallError),
}

impl AccessApiError {
    /// The HTTP status of a page that failed this way.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotLoggedIn => 401,
            Self::NotAdmin => 403,
            Self::NotFound => 404,
            Self::Unavailable => 503,
            Self::Call(call) => crate::status::HttpStatus::http_status(call),
        }
    }
}

impl crate::status::HttpStatus for AccessApiError {
    fn http_status(&self) -> u16 {
        self.status()
    }
}

impl From<crate::auth::AccessError> for AccessApiError {
    fn from(error: crate::auth::AccessError) -> Self {
        match error {
            crate::auth::AccessError::NotLoggedIn => Self::NotLoggedIn,
            crate::auth::AccessError::NotAdmin => Self::NotAdmin,
        }
    }
}

crate::server_fn_error!(AccessApiError);
