//! Helpers used by several features.

/// A copy-to-clipboard button for code blocks.
pub mod copy;
