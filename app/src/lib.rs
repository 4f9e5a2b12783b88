//! The portal's user interface and its pure domain.
//!
//! This crate is compiled twice: with `ssr` into the server (which renders every page to HTML and
//! runs the server functions) and with `hydrate` into the browser bundle (which makes the rendered
//! HTML interactive). Everything that needs a database, the cluster or the identity provider lives
//! in the `server` crate behind the traits in [`ports`].

#![recursion_limit = "256"]

/// The logged-in user and the guards every server function starts with.
pub mod auth;
/// The settings the UI needs (`AppConfig`), below every feature.
pub mod config;
/// Pure rules of the platform: no I/O, no Leptos, no feature flags; unit- and property-tested.
pub mod domain;
/// One folder per capability: its pages, components and server functions.
pub mod features;
/// Links built alike by the pages and the server: query values, the way to log in.
pub mod links;
/// Who is asking and the settings, known to every page before it renders.
pub mod page_context;
/// The document around every page and the app's routes.
mod shell;
/// The HTTP status of a server-rendered page (404, 403 …), set from inside it.
pub mod status;

/// Traits the server implements for the UI's server functions (server side only).
#[cfg(feature = "ssr")]
pub mod ports;

pub use config::AppConfig;
pub use shell::{App, shell};
