//! One module per capability. Each holds its pages and components (`view`) and, where it needs
//! the server, its server functions (`api`).

/// Who has access: your namespaces, one namespace's subjects, the administrators' matrix.
pub mod access;
/// The signed-in user in the header, and server functions about them.
pub mod account;
/// The administrators' start page.
pub mod admin;
/// The FAQ knowledge base: browse, search, entries, feedback.
pub mod faq;
/// The landing page and the public configuration the browser needs.
pub mod home;
/// How to use kubectl with the platform's login, and the kubeconfig download.
pub mod kubeconfig;
/// Namespace requests, the approval queue and the audit trail.
pub mod namespaces;
/// The NetworkPolicy generator and the safe `kubectl run` recipe.
pub mod networkpolicies;
/// The 404 page.
pub mod not_found;
/// "Will it run here?": manifests checked against the platform's admission rules.
pub mod preflight;
/// Small helpers shared by pages (HTTP status of the rendered page).
pub mod shared;
/// "Would this traffic be allowed?": a connection decided over a namespace's live policies.
pub mod traffic;
