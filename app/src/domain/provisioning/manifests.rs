//! The plan as the YAML documents `kubectl apply` would read: what the administrators' queue and
//! the request's page show before approval.

use super::ProvisioningPlan;
use crate::domain::networkpolicy::yaml;
use serde::{Deserialize, Serialize};

/// One manifest that approval applies, as YAML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub kind: String,
    pub name: String,
    pub yaml: String,
}

impl ProvisioningPlan {
    /// The plan as the YAML documents `kubectl apply` would read, in the order they are applied.
    pub fn manifests(&self) -> Vec<Manifest> {
        let plan = self;
        let document = |kind: &str, name: Option<&String>, value: serde_json::Value| Manifest {
            kind: kind.to_owned(),
            name: name.cloned().unwrap_or_default(),
            yaml: yaml::to_yaml(&value),
        };
        let mut documents = vec![document(
            "Namespace",
            plan.namespace.metadata.name.as_ref(),
            serde_json::to_value(&plan.namespace).unwrap_or_default(),
        )];
        for binding in std::iter::once(&plan.role_binding)
            .chain(&plan.subnamespace_binding)
            .chain(std::iter::once(&plan.extra_role_binding))
        {
            documents.push(document(
                "RoleBinding",
                binding.metadata.name.as_ref(),
                serde_json::to_value(binding).unwrap_or_default(),
            ));
        }
        documents.extend(plan.network_policies.iter().map(|policy| {
            document(
                "NetworkPolicy",
                policy.metadata.name.as_ref(),
                serde_json::to_value(policy).unwrap_or_default(),
            )
        }));
        documents
    }
}
