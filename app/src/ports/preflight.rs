//! What the preflight page and API need: manifests as text in, the answer out.

use crate::domain::preflight::report::Answer;
use crate::domain::preflight::rules::NamespaceAudit;
pub use crate::features::preflight::model::PreflightError;
use std::collections::BTreeMap;
use std::fmt;

/// "Will it run here?" for a developer's manifests. Reading the text (YAML, several documents)
/// is the server's; the rules are the domain's.
pub trait Preflight: Send + Sync + fmt::Debug {
    /// `manifests` checked for a namespace with `namespace_labels`, or, when `None`, for a
    /// namespace as the portal creates it.
    fn check(
        &self,
        manifests: &str,
        namespace_labels: Option<&BTreeMap<String, String>>,
    ) -> Result<Answer, PreflightError>;

    /// What Gatekeeper's audit found among `namespace`'s existing objects, from the
    /// constraints' status as last read. The caller decides who may see it.
    fn audit(&self, namespace: &str) -> NamespaceAudit;
}
