//! Namespace requests: the request form at `/namespaces/new`, the requester's list at
//! `/namespaces`, one page per request at `/namespaces/ID` (with the manifests approval applies),
//! the administrators' queue at `/admin/requests` and the audit trail at `/admin/audit`.
//!
//! Reads go through server functions into the [`crate::ports::Namespaces`] port; changes are
//! plain form posts to the server's handlers (`server/src/namespaces/http.rs`), which work the
//! same with JavaScript on and off.

/// The server functions (reads).
mod api;
/// `/admin/audit`.
mod audit;
/// The status badge and refused reads.
mod common;
/// `/namespaces/ID`.
mod detail;
/// `/namespaces`.
mod list;
/// The data the pages show, shared by server and browser.
pub mod model;
/// `/namespaces/new`.
mod new;
/// `/admin/requests`.
mod queue;

pub use api::{
    admin_audit_events, admin_request_queue, my_namespace_requests, namespace_form,
    namespace_request_detail,
};
pub use audit::AuditTrailPage;
pub use detail::RequestPage;
pub use list::MyRequestsPage;
pub use new::NewRequestPage;
pub use queue::QueuePage;
