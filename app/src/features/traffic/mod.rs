//! `/networkpolicies/check`, "Would this traffic be allowed?": a developer picks where a
//! connection comes from and goes to in one of their namespaces and learns, from the live
//! NetworkPolicies, whether each side lets it through, which rule decides (quoted from its
//! YAML), and, when it is denied, the smallest policy that would allow it. A what-if adds
//! pasted policies and shows the verdict with them.
//!
//! The page is a GET form: without JavaScript, submitting renders the answer on the server, and
//! every answer is a link that can be shared.
//!
//! `/networkpolicies/map`, the policy map: a namespace's Pods grouped by what its policies
//! select and the flows allowed between them and the platform's ends, drawn as SVG on the
//! server with the same facts as tables; the hydrated page fetches it again when the cluster
//! changes it.

/// The server function the page calls.
pub mod api;
/// Where the map's boxes and lines go.
#[cfg(feature = "ssr")]
pub mod drawing;
/// The map drawn, as HTML, on the server.
#[cfg(feature = "ssr")]
mod map_drawn;
/// The map page.
mod map_view;
/// What the page and its server function exchange.
pub mod model;
/// The check page.
mod view;

#[cfg(feature = "ssr")]
pub use map_drawn::map_html;
pub use map_view::PolicyMapPage;
pub use view::TrafficCheckPage;
