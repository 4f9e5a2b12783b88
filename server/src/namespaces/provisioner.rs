//! Applying a provisioning plan to the cluster: server-side apply under the field manager
//! `welkin-portal`, in order (Namespace, RoleBinding, NetworkPolicies). Running it again changes
//! nothing. A namespace of the same name that the portal did not create for this request is never
//! adopted: provisioning fails with the reason.

use app::domain::provisioning::{
    MANAGED_BY_LABEL, MANAGED_BY_VALUE, ProvisioningPlan, REQUEST_ID_LABEL,
};
use k8s_openapi::api::{core::v1::Namespace, networking::v1::NetworkPolicy, rbac::v1::RoleBinding};
use kube::api::{Api, Patch, PatchParams};

/// The field manager of everything the portal applies.
pub const FIELD_MANAGER: &str = "welkin-portal";

/// Creates namespaces in one cluster.
#[derive(Clone)]
pub struct Provisioner {
    client: kube::Client,
}

impl std::fmt::Debug for Provisioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioner").finish_non_exhaustive()
    }
}

/// Whether a namespace exists, and whether the portal made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    None,
    /// Made by the portal for the request with this id.
    Ours(String),
    /// Made by someone else.
    Foreign,
}

impl Provisioner {
    pub fn new(client: kube::Client) -> Self {
        Self { client }
    }

    /// Whether `name` exists in the cluster, and who made it.
    pub async fn existing(&self, name: &str) -> Result<Existing, String> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let found = namespaces
            .get_opt(name)
            .await
            .map_err(|error| describe(&error, "read the Namespace", name))?;
        Ok(match found {
            None => Existing::None,
            Some(namespace) => {
                let labels = namespace.metadata.labels.unwrap_or_default();
                if labels.get(MANAGED_BY_LABEL).map(String::as_str) == Some(MANAGED_BY_VALUE) {
                    Existing::Ours(labels.get(REQUEST_ID_LABEL).cloned().unwrap_or_default())
                } else {
                    Existing::Foreign
                }
            }
        })
    }

    /// Applies the plan of request `id`. The error is a sentence for the administrator and the
    /// requester.
    pub async fn apply(&self, id: i64, plan: &ProvisioningPlan) -> Result<(), String> {
        let name = plan.namespace.metadata.name.clone().unwrap_or_default();
        match self.existing(&name).await? {
            Existing::None => {}
            Existing::Ours(owner) if owner == id.to_string() => {}
            Existing::Ours(owner) => {
                return Err(format!(
                    "The namespace {name} already exists: the portal created it for request \
                     #{owner}, not this one. Choose another name."
                ));
            }
            Existing::Foreign => {
                return Err(format!(
                    "The namespace {name} already exists and was not created by the portal (it \
                     has no {MANAGED_BY_LABEL}={MANAGED_BY_VALUE} label). The portal never takes \
                     over a namespace it did not create: choose another name, or have a platform \
                     administrator remove or label the existing one."
                ));
            }
        }
        let params = PatchParams::apply(FIELD_MANAGER);
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        namespaces
            .patch(&name, &params, &Patch::Apply(&plan.namespace))
            .await
            .map_err(|error| describe(&error, "create the Namespace", &name))?;
        let bindings: Api<RoleBinding> = Api::namespaced(self.client.clone(), &name);
        let binding = plan.role_binding.metadata.name.clone().unwrap_or_default();
        bindings
            .patch(&binding, &params, &Patch::Apply(&plan.role_binding))
            .await
            .map_err(|error| describe(&error, "create the RoleBinding", &binding))?;
        let policies: Api<NetworkPolicy> = Api::namespaced(self.client.clone(), &name);
        for policy in &plan.network_policies {
            let policy_name = policy.metadata.name.clone().unwrap_or_default();
            policies
                .patch(&policy_name, &params, &Patch::Apply(policy))
                .await
                .map_err(|error| describe(&error, "create the NetworkPolicy", &policy_name))?;
        }
        Ok(())
    }
}

/// A kube error as a sentence: what the portal tried, and what the API server (or the network)
/// said.
fn describe(error: &kube::Error, what: &str, name: &str) -> String {
    match error {
        kube::Error::Api(status) => {
            let hint = match status.code {
                403 => " The portal's ServiceAccount lacks a permission: check deploy/rbac.yaml.",
                409 => " Another field manager owns a field the portal sets.",
                422 => " The API server refused the object as invalid.",
                _ => "",
            };
            format!(
                "Could not {what} {name}: the API server answered {} {}: {}.{hint}",
                status.code, status.reason, status.message
            )
        }
        other => format!("Could not {what} {name}: the API server could not be reached ({other})."),
    }
}
