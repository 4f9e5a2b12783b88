//! The landing page: what the portal does for a developer, and a quick namespace-name check that
//! works with JavaScript off (a GET form the server answers) and as you type once hydrated.

mod api;
mod view;

pub use api::public_config;
pub use view::HomePage;
