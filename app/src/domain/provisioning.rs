//! What approving a namespace request creates in the cluster, computed from the request alone.
//!
//! The admin queue shows exactly this plan before approval, and the provisioner applies exactly
//! this plan (server-side apply), so what an administrator approves is what is created:
//!
//! - the Namespace, labelled as managed by the portal (with the request id and requester) and with
//!   the Pod Security Admission level the operator configures (`restricted` by default) for all
//!   three modes, `enforce`, `audit` and `warn`, as Welkin labels user namespaces: without `warn`,
//!   a Deployment that breaks the profile is accepted and only its Pods fail, silently;
//! - the RoleBinding `workload-admin`, binding the ClusterRole `admin` to the requested IdP groups,
//!   spelled with the API server's `--oidc-groups-prefix` (`oidc:team-a`), or the team would get
//!   no access at all on a cluster that sets a prefix;
//! - the RoleBinding `extra-workload-admins` (ClusterRole `admin`, no subjects), created once and
//!   then owned by the developers, who delegate access by editing it: the provisioner creates it
//!   when it is missing and never writes it again;
//! - optionally, the RoleBinding that lets the team manage HNC `subnamespaceanchors`;
//! - the baseline NetworkPolicies: deny all ingress and egress, allow DNS, allow ingress from the
//!   ingress controller's namespace (each can be turned off by the operator).

mod manifests;

use super::NamespaceName;
use super::access::SubjectPrefixes;
use super::networkpolicy::{FieldError, PolicySpec, presets, to_network_policy};
use k8s_openapi::api::{
    core::v1::Namespace,
    networking::v1::NetworkPolicy,
    rbac::v1::{RoleBinding, RoleRef, Subject},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
pub use manifests::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The label that marks what the portal created; the provisioner refuses to adopt a namespace
/// without it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "welkin-portal";
pub const REQUEST_ID_LABEL: &str = "portal.welkin.dev/request-id";
pub const REQUESTER_LABEL: &str = "portal.welkin.dev/requester";
/// The requester exactly as the identity provider names them (labels cannot hold every username).
pub const REQUESTER_ANNOTATION: &str = "portal.welkin.dev/requester";
pub const ROLE_BINDING_NAME: &str = "workload-admin";
/// The developers' own delegation binding, created empty once and never overwritten.
pub const EXTRA_ROLE_BINDING_NAME: &str = "extra-workload-admins";
pub const ADMIN_CLUSTER_ROLE: &str = "admin";
/// The RoleBinding that lets the team manage HNC sub-namespaces in their namespace.
pub const SUBNAMESPACE_BINDING_NAME: &str = "subnamespace-anchor-admins";
/// The ClusterRole it binds: all verbs on `subnamespaceanchors.hnc.x-k8s.io`, shipped with the
/// portal's RBAC (the portal may `bind` it, nothing more).
pub const SUBNAMESPACE_CLUSTER_ROLE: &str = "welkin-portal-subnamespace-anchors";
/// The three Pod Security Admission modes every provisioned namespace is labelled with.
pub const POD_SECURITY_MODES: [&str; 3] = ["enforce", "audit", "warn"];

/// The operator's choices for every provisioned namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningConfig {
    /// The Pod Security level for `pod-security.kubernetes.io/{enforce,audit,warn}`; empty
    /// leaves the labels off.
    pub pod_security_enforce: String,
    pub deny_all: bool,
    pub allow_dns: bool,
    /// The ingress controller's namespace to allow ingress from; `None` for no such policy.
    pub allow_from_ingress_namespace: Option<String>,
    /// How the API server spells IdP groups in RBAC (`--oidc-groups-prefix`).
    pub subject_prefixes: SubjectPrefixes,
    /// Also let the team manage HNC sub-namespace anchors in the namespace.
    pub hnc_subnamespaces: bool,
}

impl Default for ProvisioningConfig {
    fn default() -> Self {
        Self {
            pod_security_enforce: "restricted".into(),
            deny_all: true,
            allow_dns: true,
            allow_from_ingress_namespace: Some("ingress-nginx".into()),
            subject_prefixes: SubjectPrefixes::default(),
            hnc_subnamespaces: false,
        }
    }
}

/// An approved request, as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedRequest {
    pub id: i64,
    pub name: NamespaceName,
    pub requester: String,
    /// IdP groups that get `workload-admin`.
    pub groups: Vec<String>,
    /// Extra labels the requester chose from the operator's allow-list (already checked).
    pub labels: BTreeMap<String, String>,
}

/// Everything to create, in the order to create it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisioningPlan {
    pub namespace: Namespace,
    pub role_binding: RoleBinding,
    /// Created only when missing; the developers own it afterwards.
    pub extra_role_binding: RoleBinding,
    /// The HNC sub-namespace binding, when the operator turned it on.
    pub subnamespace_binding: Option<RoleBinding>,
    pub network_policies: Vec<NetworkPolicy>,
}

impl ProvisioningPlan {
    /// The plan for `request` under `config`. Fails only if the configuration names an invalid
    /// ingress namespace (which configuration loading already refuses).
    pub fn for_request(
        request: &ApprovedRequest,
        config: &ProvisioningConfig,
    ) -> Result<Self, Vec<FieldError>> {
        let name = request.name.as_str();
        let mut labels = request.labels.clone();
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY_VALUE.into());
        labels.insert(REQUEST_ID_LABEL.into(), request.id.to_string());
        labels.insert(REQUESTER_LABEL.into(), label_value(&request.requester));
        labels.extend(pod_security_labels(config));
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                labels: Some(labels),
                annotations: Some(BTreeMap::from([(
                    REQUESTER_ANNOTATION.to_owned(),
                    request.requester.clone(),
                )])),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        let groups: Vec<Subject> = request
            .groups
            .iter()
            .map(|group| Subject {
                kind: "Group".into(),
                name: format!("{}{group}", config.subject_prefixes.groups),
                api_group: Some("rbac.authorization.k8s.io".into()),
                namespace: None,
            })
            .collect();
        let role_binding = binding(
            ROLE_BINDING_NAME,
            name,
            request.id,
            ADMIN_CLUSTER_ROLE,
            groups.clone(),
        );
        let extra_role_binding = binding(
            EXTRA_ROLE_BINDING_NAME,
            name,
            request.id,
            ADMIN_CLUSTER_ROLE,
            Vec::new(),
        );
        let subnamespace_binding = config.hnc_subnamespaces.then(|| {
            binding(
                SUBNAMESPACE_BINDING_NAME,
                name,
                request.id,
                SUBNAMESPACE_CLUSTER_ROLE,
                groups,
            )
        });
        let mut specs: Vec<PolicySpec> = Vec::new();
        if config.deny_all {
            specs.push(presets::default_deny_all(name));
        }
        if config.allow_dns {
            specs.push(presets::allow_dns(name));
        }
        if let Some(ingress) = &config.allow_from_ingress_namespace {
            specs.push(presets::allow_from_ingress_controller(name, ingress));
        }
        let network_policies = specs
            .into_iter()
            .map(|spec| {
                spec.validate().map(|valid| {
                    let mut policy = to_network_policy(&valid);
                    policy.metadata.labels = Some(managed_labels(request.id));
                    policy
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            namespace,
            role_binding,
            extra_role_binding,
            subnamespace_binding,
            network_policies,
        })
    }
}

/// A RoleBinding the portal manages, binding the ClusterRole `role` to `subjects`.
fn binding(
    binding_name: &str,
    namespace: &str,
    request_id: i64,
    role: &str,
    subjects: Vec<Subject>,
) -> RoleBinding {
    RoleBinding {
        metadata: ObjectMeta {
            name: Some(binding_name.into()),
            namespace: Some(namespace.to_owned()),
            labels: Some(managed_labels(request_id)),
            ..ObjectMeta::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(subjects),
    }
}

/// The Pod Security labels every namespace the portal creates gets (`enforce`, `audit` and
/// `warn` at the configured level; none when the operator leaves Pod Security to others).
pub fn pod_security_labels(config: &ProvisioningConfig) -> BTreeMap<String, String> {
    if config.pod_security_enforce.is_empty() {
        return BTreeMap::new();
    }
    POD_SECURITY_MODES
        .into_iter()
        .map(|mode| {
            (
                format!("pod-security.kubernetes.io/{mode}"),
                config.pod_security_enforce.clone(),
            )
        })
        .collect()
}

fn managed_labels(request_id: i64) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (REQUEST_ID_LABEL.to_owned(), request_id.to_string()),
    ])
}

/// A username as a label value: at most 63 characters of `[A-Za-z0-9._-]`, starting and ending
/// with an alphanumeric. `alice@example.com` becomes `alice-example.com`.
pub fn label_value(input: &str) -> String {
    let replaced: String = input
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    replaced
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::super::NamingPolicy;
    use super::*;

    fn request() -> ApprovedRequest {
        ApprovedRequest {
            id: 42,
            name: NamespaceName::parse("team-a-shop", &NamingPolicy::default()).expect("valid"),
            requester: "alice@example.com".into(),
            groups: vec!["team-a".into(), "oidc:Team B".into()],
            labels: BTreeMap::from([("cost-center".into(), "1234".into())]),
        }
    }

    #[test]
    fn the_namespace_is_labelled_as_the_portals_with_pod_security() {
        let plan = ProvisioningPlan::for_request(&request(), &ProvisioningConfig::default())
            .expect("plan");
        let labels = plan.namespace.metadata.labels.expect("labels");
        assert_eq!(labels[MANAGED_BY_LABEL], "welkin-portal");
        assert_eq!(labels[REQUEST_ID_LABEL], "42");
        assert_eq!(labels[REQUESTER_LABEL], "alice-example.com");
        for mode in ["enforce", "audit", "warn"] {
            assert_eq!(
                labels[&format!("pod-security.kubernetes.io/{mode}")],
                "restricted",
                "{mode}: warn makes a bad Deployment warn at apply time"
            );
        }
        assert_eq!(labels["cost-center"], "1234");
        let annotations = plan.namespace.metadata.annotations.expect("annotations");
        assert_eq!(annotations[REQUESTER_ANNOTATION], "alice@example.com");
    }

    #[test]
    fn the_role_binding_gives_each_group_admin() {
        let plan = ProvisioningPlan::for_request(&request(), &ProvisioningConfig::default())
            .expect("plan");
        let binding = plan.role_binding;
        assert_eq!(binding.metadata.name.as_deref(), Some("workload-admin"));
        assert_eq!(binding.metadata.namespace.as_deref(), Some("team-a-shop"));
        assert_eq!(binding.role_ref.kind, "ClusterRole");
        assert_eq!(binding.role_ref.name, "admin");
        let subjects = binding.subjects.expect("subjects");
        let names: Vec<_> = subjects
            .iter()
            .map(|s| (s.kind.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(names, [("Group", "team-a"), ("Group", "oidc:Team B")]);
    }

    #[test]
    fn subjects_carry_the_api_servers_groups_prefix() {
        let config = ProvisioningConfig {
            subject_prefixes: SubjectPrefixes {
                username: "oidc:".into(),
                groups: "oidc:".into(),
            },
            hnc_subnamespaces: true,
            ..ProvisioningConfig::default()
        };
        let plan = ProvisioningPlan::for_request(&request(), &config).expect("plan");
        let names = |binding: &RoleBinding| -> Vec<String> {
            binding
                .subjects
                .iter()
                .flatten()
                .map(|s| s.name.clone())
                .collect()
        };
        assert_eq!(
            names(&plan.role_binding),
            ["oidc:team-a", "oidc:oidc:Team B"]
        );
        let anchors = plan.subnamespace_binding.expect("HNC is on");
        assert_eq!(anchors.role_ref.name, SUBNAMESPACE_CLUSTER_ROLE);
        assert_eq!(names(&anchors), names(&plan.role_binding));
    }

    #[test]
    fn extra_workload_admins_starts_empty_and_hnc_is_off_by_default() {
        let plan = ProvisioningPlan::for_request(&request(), &ProvisioningConfig::default())
            .expect("plan");
        let extra = plan.extra_role_binding;
        assert_eq!(
            extra.metadata.name.as_deref(),
            Some("extra-workload-admins")
        );
        assert_eq!(extra.role_ref.name, "admin");
        assert_eq!(extra.subjects, Some(Vec::new()));
        assert!(plan.subnamespace_binding.is_none());
    }

    #[test]
    fn the_baseline_policies_follow_the_configuration() {
        let plan = ProvisioningPlan::for_request(&request(), &ProvisioningConfig::default())
            .expect("plan");
        let names: Vec<_> = plan
            .network_policies
            .iter()
            .filter_map(|p| p.metadata.name.as_deref())
            .collect();
        assert_eq!(
            names,
            [
                "default-deny-all",
                "allow-dns",
                "allow-from-ingress-controller"
            ]
        );
        assert!(
            plan.network_policies
                .iter()
                .all(|p| p.metadata.namespace.as_deref() == Some("team-a-shop"))
        );

        let none = ProvisioningConfig {
            pod_security_enforce: String::new(),
            deny_all: false,
            allow_dns: false,
            allow_from_ingress_namespace: None,
            ..ProvisioningConfig::default()
        };
        let plan = ProvisioningPlan::for_request(&request(), &none).expect("plan");
        assert!(plan.network_policies.is_empty());
        assert!(
            !plan
                .namespace
                .metadata
                .labels
                .expect("labels")
                .keys()
                .any(|key| key.starts_with("pod-security.kubernetes.io/"))
        );
    }

    #[test]
    fn usernames_become_valid_label_values() {
        assert_eq!(label_value("alice"), "alice");
        assert_eq!(label_value("alice@example.com"), "alice-example.com");
        assert_eq!(label_value("Ünï cødé"), "n--c-d");
        assert_eq!(label_value("-x-"), "x");
        assert_eq!(label_value(&"a".repeat(100)).len(), 63);
        assert_eq!(label_value("@@@"), "");
    }
}
