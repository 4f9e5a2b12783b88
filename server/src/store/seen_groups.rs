//! The groups users carried at login: their storage, and the rules its table shares on both
//! backends.

use super::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;

/// Longest group name stored; the same limit is a CHECK constraint in the schema.
pub(crate) const MAX_GROUP: usize = 1024;
/// Most groups one login records.
pub(crate) const MAX_GROUPS_PER_LOGIN: usize = 1000;

/// Checks every group before any is stored, so a bad one stores nothing and the error says why.
pub(crate) fn check_groups(groups: &[String]) -> Result<(), StoreError> {
    if groups.len() > MAX_GROUPS_PER_LOGIN {
        return Err(StoreError::Rejected(format!(
            "{} groups in one login; at most {MAX_GROUPS_PER_LOGIN} are recorded",
            groups.len()
        )));
    }
    for group in groups {
        let length = group.chars().count();
        if length == 0 || length > MAX_GROUP || group.contains('\0') {
            return Err(StoreError::Rejected(format!(
                "a group name must be 1 to {MAX_GROUP} characters without NUL, got {length}"
            )));
        }
    }
    Ok(())
}

/// One IdP group as recorded at login, for the administrators' "groups nobody carries".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenGroup {
    pub name: String,
    pub last_seen: DateTime<Utc>,
}

/// The IdP groups users carried when they logged in. Implemented once over both
/// backends (`sql/seen_groups.rs`).
#[async_trait]
pub trait SeenGroupStore: Send + Sync + fmt::Debug {
    /// Records that a user carrying `groups` just logged in.
    async fn record_seen_groups(&self, groups: &[String]) -> Result<(), StoreError>;
    /// Every group ever recorded, by name.
    async fn seen_groups(&self) -> Result<Vec<SeenGroup>, StoreError>;
}
