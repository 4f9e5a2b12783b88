//! The preflight port: the text read as kubectl reads it (manifests, or a `kubectl run` command
//! line as the Pod it creates), then the domain's answer.

use super::cluster::LiveRules;
use super::manifests;
use app::domain::preflight::kubectl_run;
use app::domain::preflight::pod_security::NamespacePolicy;
use app::domain::preflight::report::{self, Answer, Document};
use app::domain::preflight::rules::NamespaceAudit;
use app::ports::{Preflight, PreflightError};
use std::collections::BTreeMap;

/// Checks manifests against the cluster's rules as last read and Pod Security; without a
/// namespace's labels, against those the portal gives the namespaces it creates.
#[derive(Debug, Clone)]
pub struct PreflightService {
    new_namespace_labels: BTreeMap<String, String>,
    rules: LiveRules,
}

impl PreflightService {
    pub fn new(new_namespace_labels: BTreeMap<String, String>, rules: LiveRules) -> Self {
        Self {
            new_namespace_labels,
            rules,
        }
    }
}

impl Preflight for PreflightService {
    fn check(
        &self,
        manifests: &str,
        namespace_labels: Option<&BTreeMap<String, String>>,
    ) -> Result<Answer, PreflightError> {
        let mut namespace = None;
        let documents = if kubectl_run::is_kubectl_run(manifests) {
            let (run_namespace, pod) = kubectl_run::pod_of(manifests.trim())
                .map_err(|error| PreflightError::Manifests(error.to_string()))?;
            namespace = run_namespace;
            vec![Document {
                number: 1,
                line: 1,
                value: pod,
            }]
        } else {
            manifests::read(manifests)
                .map_err(|error| PreflightError::Manifests(error.to_string()))?
        };
        let labels = namespace_labels.unwrap_or(&self.new_namespace_labels);
        Ok(report::answer_with(
            &documents,
            NamespacePolicy::from_labels(labels),
            &self.rules.snapshot(),
            namespace.as_deref(),
        ))
    }

    fn audit(&self, namespace: &str) -> NamespaceAudit {
        self.rules.snapshot().audit(namespace)
    }
}
