//! Namespace requests: the request form at `/namespaces/new`, the requester's list at
//! `/namespaces`, one page per request at `/namespaces/ID` (with the manifests approval applies),
//! the administrators' queue at `/admin/requests` and the audit trail at `/admin/audit`.

/// The data the pages show, shared by server and browser.
pub mod model;
