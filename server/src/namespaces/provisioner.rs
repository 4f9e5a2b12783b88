//! Applying a provisioning plan to the cluster, in order: the Namespace, its RoleBindings, its
//! NetworkPolicies. Running it again changes nothing.
//!
//! The Namespace is *created* (a POST, which fails when the name exists), never applied: an apply
//! would update a namespace someone else made a moment after the portal looked, and take it over.
//! When the name exists, the portal goes on only if the Namespace carries its managed-by label and
//! this request's id; everything after it is applied (server-side apply, field manager
//! `welkin-portal`) only then. `extra-workload-admins` is created when missing and never written
//! again: the developers own its subjects.

use app::domain::provisioning::{
    MANAGED_BY_LABEL, MANAGED_BY_VALUE, ProvisioningPlan, REQUEST_ID_LABEL,
};
use k8s_openapi::api::{core::v1::Namespace, networking::v1::NetworkPolicy, rbac::v1::RoleBinding};
use kube::api::{Api, Patch, PatchParams, PostParams};

/// The field manager of everything the portal applies.
pub const FIELD_MANAGER: &str = "welkin-portal";

/// The ValidatingAdmissionPolicy (and its binding, of the same name) that the chart ships to keep
/// the portal's ServiceAccount inside the namespaces it manages.
pub const ADMISSION_POLICY: &str = "welkin-portal-bounds";

/// Creates namespaces in one cluster.
#[derive(Clone)]
pub struct Provisioner {
    client: kube::Client,
    /// Provision only while the API server enforces the policy named here.
    require_admission_policy: bool,
    admission_policy: String,
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
    /// A provisioner that provisions only while the admission policy is in force.
    pub fn new(client: kube::Client) -> Self {
        Self {
            client,
            require_admission_policy: true,
            admission_policy: ADMISSION_POLICY.to_owned(),
        }
    }

    /// Checks for a policy (and binding) of another name than [`ADMISSION_POLICY`]: how the tests
    /// show what happens when it is missing, on an API server whose real policy stays in force.
    pub fn with_admission_policy_name(mut self, name: &str) -> Self {
        self.admission_policy = name.to_owned();
        self
    }

    /// Whether to provision only while the admission policy and its binding exist
    /// (`require_admission_policy`; on unless an operator turns it off).
    pub fn requiring_admission_policy(mut self, require: bool) -> Self {
        self.require_admission_policy = require;
        self
    }

    /// Whether the API server has the policy that bounds the portal, and its binding. Without
    /// them, the portal's RBAC alone would let it write into any namespace.
    pub async fn check_admission_policy(&self) -> Result<(), ProvisioningError> {
        use k8s_openapi::api::admissionregistration::v1::{
            ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
        };
        let policy = Api::<ValidatingAdmissionPolicy>::all(self.client.clone())
            .get_opt(&self.admission_policy)
            .await
            .map_err(|error| {
                describe(
                    &error,
                    "read the ValidatingAdmissionPolicy",
                    &self.admission_policy,
                )
            })?;
        let binding = Api::<ValidatingAdmissionPolicyBinding>::all(self.client.clone())
            .get_opt(&self.admission_policy)
            .await
            .map_err(|error| {
                describe(
                    &error,
                    "read the ValidatingAdmissionPolicyBinding",
                    &self.admission_policy,
                )
            })?;
        let missing = match (policy.is_some(), binding.is_some()) {
            (true, true) => return Ok(()),
            (false, false) => "the ValidatingAdmissionPolicy and its binding are",
            (false, true) => "the ValidatingAdmissionPolicy is",
            (true, false) => "its ValidatingAdmissionPolicyBinding is",
        };
        Err(ProvisioningError::AdmissionPolicyMissing {
            missing,
            policy: self.admission_policy.clone(),
        })
    }

    /// Whether `name` exists in the cluster, and who made it.
    pub async fn existing(&self, name: &str) -> Result<Existing, ProvisioningError> {
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

    /// Applies the plan of request `id`. The error's message is a sentence for the administrator
    /// and the requester.
    pub async fn apply(&self, id: i64, plan: &ProvisioningPlan) -> Result<(), ProvisioningError> {
        if self.require_admission_policy {
            self.check_admission_policy().await?;
        }
        let name = plan.namespace.metadata.name.clone().unwrap_or_default();
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let create = PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        };
        match namespaces.create(&create, &plan.namespace).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {
                // It exists: ours for this request (a retry, or a second pass), or not ours.
                self.check_owner(id, &name).await?;
            }
            Err(error) => return Err(describe(&error, "create the Namespace", &name)),
        }
        let params = PatchParams::apply(FIELD_MANAGER);
        // The labels again, for a namespace this request created on an earlier pass with an
        // older plan (a changed Pod Security level): still only ever our own namespace.
        namespaces
            .patch(&name, &params, &Patch::Apply(&plan.namespace))
            .await
            .map_err(|error| describe(&error, "label the Namespace", &name))?;
        let bindings: Api<RoleBinding> = Api::namespaced(self.client.clone(), &name);
        for binding in std::iter::once(&plan.role_binding).chain(&plan.subnamespace_binding) {
            let binding_name = binding.metadata.name.clone().unwrap_or_default();
            bindings
                .patch(&binding_name, &params, &Patch::Apply(binding))
                .await
                .map_err(|error| describe(&error, "create the RoleBinding", &binding_name))?;
        }
        let extra = plan
            .extra_role_binding
            .metadata
            .name
            .clone()
            .unwrap_or_default();
        match bindings.create(&create, &plan.extra_role_binding).await {
            Ok(_) => {}
            // The developers' own from here on: never overwritten.
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(error) => return Err(describe(&error, "create the RoleBinding", &extra)),
        }
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

    /// Goes on with an existing namespace only if the portal created it for request `id`.
    async fn check_owner(&self, id: i64, name: &str) -> Result<(), ProvisioningError> {
        match self.existing(name).await? {
            Existing::Ours(owner) if owner == id.to_string() => Ok(()),
            Existing::Ours(owner) => Err(ProvisioningError::OtherRequests {
                name: name.to_owned(),
                owner,
            }),
            Existing::Foreign => Err(ProvisioningError::NotOurs {
                name: name.to_owned(),
            }),
            // Deleted between the create and the read: the next pass creates it.
            Existing::None => Err(ProvisioningError::BeingDeleted {
                name: name.to_owned(),
            }),
        }
    }
}

/// Why provisioning did not finish. Each message is a sentence for the administrator and the
/// requester (it becomes the request's reason): what the portal tried, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisioningError {
    #[error(
        "The portal does not provision while the API server cannot hold it to the namespaces \
         it manages: {missing} missing ({policy}). A platform administrator applies the Helm \
         chart (its templates/admission-policy.yaml), then retries; or turns \
         require_admission_policy off."
    )]
    AdmissionPolicyMissing {
        missing: &'static str,
        policy: String,
    },
    #[error(
        "The namespace {name} already exists: the portal created it for request #{owner}, not \
         this one. Choose another name."
    )]
    OtherRequests { name: String, owner: String },
    #[error(
        "The namespace {name} already exists and was not created by the portal (it has no \
         {MANAGED_BY_LABEL}={MANAGED_BY_VALUE} label). The portal never takes over a namespace \
         it did not create: choose another name, or have a platform administrator remove or \
         label the existing one."
    )]
    NotOurs { name: String },
    #[error("The namespace {name} was being deleted while the portal created it; retry.")]
    BeingDeleted { name: String },
    /// The API server answered, and refused.
    #[error(
        "Could not {what} {name}: the API server answered {code} {reason}: {message}.{}",
        hint(*code)
    )]
    Refused {
        what: &'static str,
        name: String,
        code: u16,
        reason: String,
        message: String,
    },
    #[error("Could not {what} {name}: the API server could not be reached ({cause}).")]
    Unreachable {
        what: &'static str,
        name: String,
        cause: String,
    },
    /// The operator's settings do not make a valid plan (the baseline NetworkPolicies).
    #[error("The baseline NetworkPolicies are misconfigured: {0}")]
    Misconfigured(String),
}

/// What an administrator can do about a refusal with this status.
fn hint(code: u16) -> &'static str {
    match code {
        403 => {
            " The portal's ServiceAccount lacks a permission: check the chart's templates/rbac.yaml."
        }
        409 => " Another field manager owns a field the portal sets.",
        422 => " The API server refused the object as invalid.",
        _ => "",
    }
}

/// A kube error as a [`ProvisioningError`]: what the portal tried, and what the API server (or
/// the network) said.
fn describe(error: &kube::Error, what: &'static str, name: &str) -> ProvisioningError {
    match error {
        kube::Error::Api(status) => ProvisioningError::Refused {
            what,
            name: name.to_owned(),
            code: status.code,
            reason: status.reason.clone(),
            message: status.message.clone(),
        },
        other => ProvisioningError::Unreachable {
            what,
            name: name.to_owned(),
            cause: other.to_string(),
        },
    }
}
