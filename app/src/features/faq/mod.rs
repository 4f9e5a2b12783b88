//! The FAQ knowledge base. The entries and their search index live in the server crate; the
//! pages only ever receive the plain data in [`model`].

/// The data the pages show, shared by server and browser.
pub mod model;
