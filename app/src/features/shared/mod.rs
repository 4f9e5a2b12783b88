//! Helpers used by several features.

/// A copy-to-clipboard button for code blocks.
pub mod copy;
/// Setting the HTTP status of a server-rendered page.
pub mod status;
