//! Who has access: the namespaces a user may use at `/access`, one namespace's subjects at
//! `/access/NAMESPACE`, and the administrators' groups × namespaces matrix at `/admin/access`
//! (with a CSV export the server serves at `/admin/access.csv`).
//!
//! The server keeps a copy of the cluster's access RoleBindings in memory behind the
//! [`crate::ports::AccessView`] port; who sees what is decided in [`crate::domain::access`].

/// The administrators' matrix.
mod admin;
/// The server functions: guard, one question to the snapshot.
mod api;
/// The data the pages show, shared by server and browser.
pub mod model;
/// `/access` and `/access/NAMESPACE`.
mod pages;
/// The "cluster unreachable" banner and other parts the pages share.
mod parts;
/// Server-side helpers of the server functions.
#[cfg(feature = "ssr")]
mod server;

pub use admin::AdminAccessPage;
pub use api::{access_matrix, my_namespaces, namespace_access};
pub use pages::{MyAccessPage, NamespaceAccessPage};
