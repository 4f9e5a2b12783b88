//! The preflight port: the text read as kubectl reads it (manifests, or a `kubectl run` command
//! line as the Pod it creates), then the domain's answer.

use super::cluster::LiveRules;
use super::manifests;
use app::domain::preflight::advice::Platform;
use app::domain::preflight::kubectl_run;
use app::domain::preflight::pod_security::NamespacePolicy;
use app::domain::preflight::report::{self, Answer, Document};
use app::domain::preflight::rules::{NamespaceAudit, Target};
use app::ports::{AccessView, Preflight, PreflightError, PreflightTarget};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Checks manifests against the cluster's rules as last read and Pod Security; without a
/// namespace's labels, against those the portal gives the namespaces it creates.
#[derive(Debug, Clone)]
pub struct PreflightService {
    new_namespace_labels: BTreeMap<String, String>,
    /// What the portal knows of the platform (its registry), for advice where the cluster has
    /// no rule.
    platform: Platform,
    rules: LiveRules,
    /// Who may use which namespace, and the namespaces' labels.
    access: Arc<dyn AccessView>,
}

impl PreflightService {
    pub fn new(
        new_namespace_labels: BTreeMap<String, String>,
        platform: Platform,
        rules: LiveRules,
        access: Arc<dyn AccessView>,
    ) -> Self {
        Self {
            new_namespace_labels,
            platform,
            rules,
            access,
        }
    }
}

impl Preflight for PreflightService {
    fn check(&self, manifests: &str, target: &PreflightTarget) -> Result<Answer, PreflightError> {
        let (namespace, namespace_labels) = match target {
            PreflightTarget::NewNamespace => (None, None),
            PreflightTarget::Labels(labels) => (None, Some(labels.clone())),
            PreflightTarget::Namespace { name, viewer } => {
                let labels = viewer
                    .as_ref()
                    .and_then(|viewer| self.access.snapshot().usable_namespace(viewer, name))
                    .ok_or_else(|| PreflightError::Namespace(name.clone()))?;
                (Some(name.as_str()), Some(labels))
            }
        };
        let mut run_namespace = None;
        let documents = if kubectl_run::is_kubectl_run(manifests) {
            let (namespace, pod) = kubectl_run::pod_of(manifests.trim())
                .map_err(|error| PreflightError::Manifests(error.to_string()))?;
            run_namespace = namespace;
            vec![Document {
                number: 1,
                line: 1,
                value: pod,
            }]
        } else {
            manifests::read(manifests)
                .map_err(|error| PreflightError::Manifests(error.to_string()))?
        };
        // `kubectl run -n OTHER` creates the Pod there: the chosen namespace's labels are not
        // that namespace's.
        let (namespace, namespace_labels) = match run_namespace.as_deref() {
            Some(run) if Some(run) != namespace => (Some(run), None),
            _ => (namespace, namespace_labels.as_ref()),
        };
        let labels = namespace_labels.unwrap_or(&self.new_namespace_labels);
        Ok(report::answer_with(
            &documents,
            NamespacePolicy::from_labels(labels),
            &self.rules.snapshot(),
            Target {
                namespace,
                labels: namespace_labels,
            },
            &self.platform,
        ))
    }

    fn audit(&self, namespace: &str) -> NamespaceAudit {
        self.rules.snapshot().audit(namespace)
    }
}
