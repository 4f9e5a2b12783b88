//! What the audit trail's page needs: one page of events, for an administrator.

use crate::auth::CurrentUser;
use crate::features::namespaces::model::{AuditFilter, AuditPage, RequestError};
use async_trait::async_trait;
use std::fmt;

/// The audit trail, read. (Everything that happens is recorded by the server itself.)
#[async_trait]
pub trait Audit: Send + Sync + fmt::Debug {
    /// One page of events matching `filter`, newest first, with the namespace names of the
    /// requests they mention. Administrators only.
    async fn page(
        &self,
        admin: &CurrentUser,
        filter: AuditFilter,
    ) -> Result<AuditPage, RequestError>;
}
