//! Who is asking: the logged-in user as the UI and the server functions see them.
//!
//! The server's session middleware puts a [`CurrentUser`] into every request (or `None`), and
//! the guards here read it, so pages and server functions share one rule: [`require_user`] and
//! [`require_admin`] are the first line of every server function that needs a user.

use serde::{Deserialize, Serialize};

/// A logged-in user. Roles come from the identity provider's groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The configured username claim (for example `preferred_username` or `email`).
    pub username: String,
    /// A display name, when the provider sends one.
    pub name: Option<String>,
    pub email: Option<String>,
    /// IdP groups, as the groups claim lists them.
    pub groups: Vec<String>,
    /// In one of the configured administrator groups.
    pub is_admin: bool,
}

impl CurrentUser {
    /// The user in the terms the access rules match on.
    pub fn viewer(&self) -> crate::domain::access::Viewer {
        crate::domain::access::Viewer {
            username: self.username.clone(),
            groups: self.groups.clone(),
            is_admin: self.is_admin,
        }
    }

    /// What to call the user on a page.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(&self.username)
    }
}

/// Why a guard refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AccessError {
    #[error("log in to continue")]
    NotLoggedIn,
    #[error("this needs a platform administrator")]
    NotAdmin,
}

impl AccessError {
    /// The HTTP status for this refusal.
    pub fn status(self) -> u16 {
        match self {
            Self::NotLoggedIn => 401,
            Self::NotAdmin => 403,
        }
    }
}

#[cfg(feature = "ssr")]
mod guard {
    use super::{AccessError, CurrentUser};
    use leptos::prelude::use_context;

    /// The user of the request being handled, if any. The server's middleware stores it in the
    /// request's extensions; leptos_axum hands the request parts to pages and server functions.
    pub fn current_user() -> Option<CurrentUser> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<Option<CurrentUser>>()
            .cloned()
            .flatten()
    }

    /// The logged-in user, or 401.
    pub fn require_user() -> Result<CurrentUser, AccessError> {
        let result = current_user().ok_or(AccessError::NotLoggedIn);
        if let Err(error) = &result {
            crate::status::set_status(error.status());
        }
        result
    }

    /// The logged-in administrator, or 401 / 403.
    pub fn require_admin() -> Result<CurrentUser, AccessError> {
        let user = require_user()?;
        if user.is_admin {
            Ok(user)
        } else {
            crate::status::set_status(AccessError::NotAdmin.status());
            Err(AccessError::NotAdmin)
        }
    }
}

#[cfg(feature = "ssr")]
pub use guard::{current_user, require_admin, require_user};
