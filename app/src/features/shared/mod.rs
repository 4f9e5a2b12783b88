//! Helpers used by several features.

/// Setting the HTTP status of a server-rendered page.
pub mod status;
