//! The preflight page's error, in words safe to show.

use serde::{Deserialize, Serialize};

/// Why there is no answer, in words safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PreflightError {
    /// The text cannot be read: which document and line, and what is wrong (422).
    #[error("{0}")]
    Manifests(String),
    /// The namespace chosen is not one the user may use, or does not exist, or nobody is
    /// logged in; the same words for each, so the answer tells nothing about other teams'
    /// namespaces (404).
    #[error(
        "{0:?} is not one of your namespaces: log in and choose one of yours, or check for a new namespace"
    )]
    Namespace(String),
    /// The server did not provide the capability (503; a bug in the server's wiring).
    #[error("the check is not available right now; try again later")]
    Unavailable,
    /// The call itself failed: its arguments could not be read, or the network failed.
    #[error("{0}")]
    Call(crate::status::CallError),
}

impl crate::status::HttpStatus for PreflightError {
    fn http_status(&self) -> u16 {
        match self {
            Self::Manifests(_) => 422,
            Self::Namespace(_) => 404,
            Self::Unavailable => 503,
            Self::Call(call) => crate::status::HttpStatus::http_status(call),
        }
    }
}

crate::server_fn_error!(PreflightError);
