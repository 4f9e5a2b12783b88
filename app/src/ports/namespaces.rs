//! What the namespace pages need: every rule about who may do what is in the server's
//! implementation, so the server functions are thin adapters.

use crate::auth::CurrentUser;
use crate::features::namespaces::model::{
    FormOptions, NamespaceRequest, QueueFilter, QueuePage, RequestDetail, RequestError, RequestForm,
};
use async_trait::async_trait;
use std::fmt;

/// Namespace requests as the pages use them: every rule about who may do what is here, in the
/// server's implementation, so the server functions are thin adapters.
#[async_trait]
pub trait Namespaces: Send + Sync + fmt::Debug {
    /// What the request form offers this user.
    async fn form_options(&self, user: &CurrentUser) -> Result<FormOptions, RequestError>;
    /// Checks and stores a request from `user`.
    async fn submit(
        &self,
        user: &CurrentUser,
        form: RequestForm,
    ) -> Result<NamespaceRequest, RequestError>;
    /// Checks a form as [`Namespaces::submit`] would, without storing anything: the form page
    /// uses it to show why a posted form was refused.
    async fn validate(&self, user: &CurrentUser, form: RequestForm) -> Result<(), RequestError>;
    /// The user's own requests, newest first.
    async fn mine(&self, user: &CurrentUser) -> Result<Vec<NamespaceRequest>, RequestError>;
    /// One request with its timeline and manifests. `NotFound` also when the user may not see
    /// it (neither the requester nor an administrator), so ids leak nothing.
    async fn detail(&self, user: &CurrentUser, id: i64) -> Result<RequestDetail, RequestError>;
    /// The requester withdraws a pending request.
    async fn cancel(&self, user: &CurrentUser, id: i64) -> Result<NamespaceRequest, RequestError>;
    /// An administrator approves a pending request; provisioning starts at once.
    async fn approve(&self, admin: &CurrentUser, id: i64)
    -> Result<NamespaceRequest, RequestError>;
    /// An administrator rejects a pending request with a comment for the requester.
    async fn reject(
        &self,
        admin: &CurrentUser,
        id: i64,
        comment: &str,
    ) -> Result<NamespaceRequest, RequestError>;
    /// An administrator retries a failed provisioning.
    async fn retry(&self, admin: &CurrentUser, id: i64) -> Result<NamespaceRequest, RequestError>;
    /// One page of the administrators' queue.
    async fn queue(
        &self,
        admin: &CurrentUser,
        filter: QueueFilter,
    ) -> Result<QueuePage, RequestError>;
}
