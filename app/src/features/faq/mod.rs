//! The FAQ knowledge base: browse and search at `/faq` (a GET form that works without
//! JavaScript and searches as you type once hydrated, plus a "paste your error" box), one page per
//! entry at `/faq/SLUG` with "Was this helpful?", and the administrators' report at `/admin/faq`.
//!
//! The entries, their search index and the feedback store live in the server crate behind the
//! [`crate::ports::Faq`] port; the pages only ever receive the plain data in [`model`].

/// The administrators' report.
mod admin;
/// The server functions: adapters from HTTP to the port.
mod api;
/// A code block with a copy button.
mod code;
/// One entry's page.
mod entry;
/// The data the pages show, shared by server and browser.
pub mod model;
/// Where to go when nothing in the FAQ answers a query well.
pub mod pointers;
/// Browse and search.
mod search;
/// Server-side helpers of the server functions: the port from context, the guard, the cookie.
#[cfg(feature = "ssr")]
mod server;

pub use admin::FaqAdminPage;
pub use api::{faq_entry, faq_overview, faq_report, my_faq_vote, search_faq, vote_faq};
pub use entry::FaqEntryPage;
pub use search::FaqPage;
