//! What the access server functions need from the request around them.

use super::model::AccessApiError;
use crate::auth::CurrentUser;
use crate::domain::access::Viewer;
use crate::ports::{AccessContext, use_access};

/// The access port. Missing only if the server forgot to provide it.
pub fn access() -> Result<AccessContext, AccessApiError> {
    use_access().ok_or(AccessApiError::Unavailable)
}

/// The user in the terms the domain matches on.
pub fn viewer(user: &CurrentUser) -> Viewer {
    user.viewer()
}
