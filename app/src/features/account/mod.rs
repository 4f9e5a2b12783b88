//! The signed-in user in the header (log in, who you are, log out) and the server functions
//! behind it.

mod api;
mod view;

pub use api::{recent_audit_events, who_am_i};
pub use view::{AccountMenu, AdminOnly};
