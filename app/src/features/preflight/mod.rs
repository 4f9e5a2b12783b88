//! `/preflight`, "Will it run here?": a developer pastes manifests and learns, before applying
//! them, what the platform's Pod Security will say to each object and to the Pods a workload
//! will create, with the fixed manifest. Without JavaScript the form posts to the server, which
//! renders the answer into the page; hydrated, the answer follows the text as it is typed.

/// The server function the page calls.
pub mod api;
/// What the page and its server function exchange besides the domain's answer.
pub mod model;
/// The page.
mod view;

pub use model::PreflightError;
pub use view::PreflightPage;

/// The form posted to `/preflight` without JavaScript, handed by the server to the page it
/// renders in answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Submitted {
    /// The manifests, as typed.
    pub manifests: String,
    /// The namespace chosen; empty: a new namespace as the portal creates it.
    pub namespace: String,
}
