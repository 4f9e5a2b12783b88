//! The NetworkPolicy generator (`/networkpolicies`) and the safe `kubectl run` recipe
//! (`/networkpolicies/run`).
//!
//! Both pages are GET forms: without JavaScript, submitting renders the result on the server;
//! hydrated, every keystroke recomputes it in the browser with the same pure domain code
//! ([`crate::domain::networkpolicy`]), so there is no server round trip and no drift between the
//! two. The JSON API for automation lives in the server crate (`/api/v1/...`).

mod output;
mod policy;
mod run;

pub use policy::PolicyPage;
pub use run::RunRecipePage;
