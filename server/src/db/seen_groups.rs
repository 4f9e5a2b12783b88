//! Rules the `seen_groups` table shares on both backends.

use app::ports::StoreError;

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
