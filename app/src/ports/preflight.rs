//! What the preflight page and API need: manifests as text in, the answer out.

use crate::domain::access::Viewer;
use crate::domain::preflight::report::Answer;
use crate::domain::preflight::rules::NamespaceAudit;
pub use crate::features::preflight::model::PreflightError;
use std::collections::BTreeMap;
use std::fmt;

/// Where the manifests are to be created.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PreflightTarget {
    /// A namespace as the portal creates it.
    #[default]
    NewNamespace,
    /// An unnamed namespace with these labels, as a caller of the JSON API read them.
    Labels(BTreeMap<String, String>),
    /// A namespace that exists, by name, for `viewer` (`None`: nobody logged in), who must
    /// be allowed to use it; its labels are the cluster's.
    Namespace {
        name: String,
        viewer: Option<Viewer>,
    },
}

/// "Will it run here?" for a developer's manifests. Reading the text (YAML, several documents)
/// is the server's; the rules are the domain's.
pub trait Preflight: Send + Sync + fmt::Debug {
    /// `manifests` checked for creating them in `target`. A named namespace the viewer may
    /// not use (or that does not exist) is [`PreflightError::Namespace`].
    fn check(&self, manifests: &str, target: &PreflightTarget) -> Result<Answer, PreflightError>;

    /// What Gatekeeper's audit found among `namespace`'s existing objects, from the
    /// constraints' status as last read. The caller decides who may see it.
    fn audit(&self, namespace: &str) -> NamespaceAudit;
}
