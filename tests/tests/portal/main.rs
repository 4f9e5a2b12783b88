//! The tests that need no Kubernetes API server, as one test binary (each binary links the whole
//! server, so one binary instead of ten saves most of their link time). The suites that use the
//! test cluster stay binaries of their own: each gets a control plane of its own, so their
//! namespaces and RoleBindings never meet.

mod api;
mod auth;
mod auth_browser;
mod browser;
mod faq;
mod http;
mod kubeconfig;
mod namespace_requests_store;
mod networkpolicies;
mod preflight;
mod server_fns;
mod storage;
