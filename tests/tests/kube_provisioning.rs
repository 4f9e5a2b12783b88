//! The provisioning plan, applied by server-side apply as the portal's own ServiceAccount with
//! exactly the RBAC that the chart (`deploy/chart/templates/rbac.yaml`) ships: enough to create a namespace, bind `admin` to
//! the requested groups and add the baseline NetworkPolicies, and not a permission more.

use app::domain::{
    NamespaceName, NamingPolicy,
    access::SubjectPrefixes,
    provisioning::{ApprovedRequest, ProvisioningConfig, ProvisioningPlan},
};
use k8s_openapi::api::{
    core::v1::{Namespace, Secret},
    networking::v1::NetworkPolicy,
    rbac::v1::{ClusterRole, ClusterRoleBinding, RoleBinding, RoleRef},
};
use kube::api::{Api, ListParams, Patch, PatchParams};
use portal_tests::TestCluster;
use server::namespaces::provisioner::{Provisioner, ProvisioningError};
use std::collections::BTreeMap;

const FIELD_MANAGER: &str = "welkin-portal";

async fn install_the_portals_rbac(cluster: &TestCluster) {
    cluster.install_portal_rbac().await;
}

fn plan(name: &str) -> ProvisioningPlan {
    plan_with(name, &ProvisioningConfig::default())
}

fn plan_with(name: &str, config: &ProvisioningConfig) -> ProvisioningPlan {
    let request = ApprovedRequest {
        id: 7,
        name: NamespaceName::parse(name, &NamingPolicy::default()).expect("valid"),
        requester: "alice@example.com".into(),
        groups: vec!["team-a".into()],
        labels: BTreeMap::new(),
    };
    ProvisioningPlan::for_request(&request, config).expect("a plan")
}

/// Welkin's settings: the API server prefixes users and groups with `oidc:`.
fn welkin_like() -> ProvisioningConfig {
    ProvisioningConfig {
        subject_prefixes: SubjectPrefixes {
            username: "oidc:".into(),
            groups: "oidc:".into(),
        },
        hnc_subnamespaces: true,
        ..ProvisioningConfig::default()
    }
}

#[tokio::test]
async fn with_welkins_prefix_the_team_can_work_in_its_new_namespace() {
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    let plan = plan_with("team-a-prefixed", &welkin_like());
    Provisioner::new(cluster.portal_client().await)
        .apply(7, &plan)
        .await
        .expect("the shipped RBAC is enough, HNC binding included");

    // As the API server names alice from her ID token: `oidc:` + email, `oidc:` + group.
    let alice = cluster
        .impersonating("oidc:alice@example.com", &["oidc:team-a"])
        .await;
    portal_tests::dry_run_deployment(&alice, "team-a-prefixed")
        .await
        .expect("the team's prefixed group may create a Deployment");
    // The unprefixed group is not what the API server sees, and gets nothing.
    let unprefixed = cluster
        .impersonating("oidc:alice@example.com", &["team-a"])
        .await;
    let refused = portal_tests::dry_run_deployment(&unprefixed, "team-a-prefixed").await;
    assert!(is_forbidden(&refused), "{refused:?}");
    // Another team gets nothing either.
    let bob = cluster
        .impersonating("oidc:bob@example.com", &["oidc:team-b"])
        .await;
    assert!(is_forbidden(
        &portal_tests::dry_run_deployment(&bob, "team-a-prefixed").await
    ));

    // HNC: the team may manage sub-namespace anchors there, by the binding the portal made.
    let review: k8s_openapi::api::authorization::v1::SubjectAccessReview =
        serde_json::from_value(serde_json::json!({
            "spec": {
                "user": "oidc:alice@example.com",
                "groups": ["oidc:team-a"],
                "resourceAttributes": {
                    "namespace": "team-a-prefixed",
                    "verb": "create",
                    "group": "hnc.x-k8s.io",
                    "resource": "subnamespaceanchors"
                }
            }
        }))
        .expect("a review");
    let answer = Api::<k8s_openapi::api::authorization::v1::SubjectAccessReview>::all(
        cluster.admin_client().await,
    )
    .create(&Default::default(), &review)
    .await
    .expect("reviewed");
    assert!(
        answer.status.expect("a status").allowed,
        "the team may create subnamespaceanchors"
    );

    // Pod Security in all three modes, so a bad Deployment warns when it is applied.
    let namespace = Api::<Namespace>::all(cluster.admin_client().await)
        .get("team-a-prefixed")
        .await
        .expect("exists");
    let labels = namespace.metadata.labels.expect("labels");
    for mode in ["enforce", "audit", "warn"] {
        assert_eq!(
            labels[&format!("pod-security.kubernetes.io/{mode}")],
            "restricted"
        );
    }
}

#[tokio::test]
async fn extra_workload_admins_is_created_empty_once_and_the_developers_edits_survive() {
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    let plan = plan("team-a-delegating");
    let provisioner = Provisioner::new(cluster.portal_client().await);
    provisioner.apply(7, &plan).await.expect("provisioned");

    let alice = cluster.alice_client().await;
    let extra = Api::<RoleBinding>::namespaced(alice.clone(), "team-a-delegating");
    let created = extra.get("extra-workload-admins").await.expect("created");
    assert_eq!(created.role_ref.name, "admin");
    assert!(created.subjects.unwrap_or_default().is_empty());

    // The team delegates: alice (an admin of the namespace) adds bob.
    let mut edited = extra.get("extra-workload-admins").await.expect("read");
    edited.subjects = Some(vec![k8s_openapi::api::rbac::v1::Subject {
        kind: "User".into(),
        name: "bob@example.com".into(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        namespace: None,
    }]);
    extra
        .replace("extra-workload-admins", &Default::default(), &edited)
        .await
        .expect("the team may edit its own delegation binding");

    // A later provisioning pass (a retry) leaves it as the team made it.
    provisioner.apply(7, &plan).await.expect("re-applied");
    let after = extra.get("extra-workload-admins").await.expect("read");
    let names: Vec<String> = after
        .subjects
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["bob@example.com"], "the developers' subjects stay");
}

/// Server-side apply of the whole plan, in order, as `client`. Returns the resource versions.
async fn apply(client: &kube::Client, plan: &ProvisioningPlan) -> Result<Vec<String>, kube::Error> {
    let params = PatchParams::apply(FIELD_MANAGER);
    let name = plan.namespace.metadata.name.clone().unwrap_or_default();
    let mut versions = Vec::new();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let applied = namespaces
        .patch(&name, &params, &Patch::Apply(&plan.namespace))
        .await?;
    versions.push(applied.metadata.resource_version.unwrap_or_default());
    let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), &name);
    let applied = bindings
        .patch("workload-admin", &params, &Patch::Apply(&plan.role_binding))
        .await?;
    versions.push(applied.metadata.resource_version.unwrap_or_default());
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &name);
    for policy in &plan.network_policies {
        let policy_name = policy.metadata.name.clone().unwrap_or_default();
        let applied = policies
            .patch(&policy_name, &params, &Patch::Apply(policy))
            .await?;
        versions.push(applied.metadata.resource_version.unwrap_or_default());
    }
    Ok(versions)
}

fn is_forbidden(result: &Result<impl std::fmt::Debug, kube::Error>) -> bool {
    matches!(result, Err(kube::Error::Api(status)) if status.code == 403)
}

#[tokio::test]
async fn the_portal_provisions_a_namespace_with_exactly_the_shipped_rbac() {
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    let portal = cluster.portal_client().await;
    let plan = plan("team-a-provisioned");

    let provisioner = Provisioner::new(portal);
    provisioner
        .apply(7, &plan)
        .await
        .expect("the portal's RBAC is enough");
    let first = versions(cluster, "team-a-provisioned").await;

    let admin = cluster.admin_client().await;
    let namespace = Api::<Namespace>::all(admin.clone())
        .get("team-a-provisioned")
        .await
        .expect("exists");
    let labels = namespace.metadata.labels.expect("labels");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "welkin-portal");
    assert_eq!(labels["portal.welkin.dev/request-id"], "7");
    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "restricted");
    let binding = Api::<RoleBinding>::namespaced(admin.clone(), "team-a-provisioned")
        .get("workload-admin")
        .await
        .expect("exists");
    assert_eq!(binding.role_ref.name, "admin");
    assert_eq!(binding.subjects.expect("subjects")[0].name, "team-a");
    let policies = Api::<NetworkPolicy>::namespaced(admin, "team-a-provisioned")
        .list(&ListParams::default())
        .await
        .expect("list");
    let mut names: Vec<String> = policies
        .items
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");

    // Idempotent: provisioning the same request again changes nothing.
    provisioner.apply(7, &plan).await.expect("re-apply");
    assert_eq!(
        first,
        versions(cluster, "team-a-provisioned").await,
        "a second provisioning must not change any object"
    );
}

/// The resource versions of the namespace and everything in it that provisioning creates.
async fn versions(cluster: &TestCluster, name: &str) -> Vec<String> {
    let admin = cluster.admin_client().await;
    let mut versions = vec![
        Api::<Namespace>::all(admin.clone())
            .get(name)
            .await
            .expect("namespace")
            .metadata
            .resource_version
            .unwrap_or_default(),
        Api::<RoleBinding>::namespaced(admin.clone(), name)
            .get("workload-admin")
            .await
            .expect("binding")
            .metadata
            .resource_version
            .unwrap_or_default(),
    ];
    let policies = Api::<NetworkPolicy>::namespaced(admin, name)
        .list(&ListParams::default())
        .await
        .expect("list");
    versions.extend(
        policies
            .items
            .into_iter()
            .map(|p| p.metadata.resource_version.unwrap_or_default()),
    );
    versions
}

#[tokio::test]
async fn a_namespace_the_portal_did_not_create_is_never_adopted() {
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    let admin = cluster.admin_client().await;
    let namespaces = Api::<Namespace>::all(admin.clone());
    let existing: Namespace = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "team-a-handmade", "labels": { "owner": "someone" } }
    }))
    .expect("a namespace");
    namespaces
        .create(&Default::default(), &existing)
        .await
        .expect("created by hand");
    let provisioner = Provisioner::new(cluster.portal_client().await);
    let error = provisioner
        .apply(8, &plan("team-a-handmade"))
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, ProvisioningError::NotOurs { name } if name == "team-a-handmade"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("was not created by the portal"),
        "{error}"
    );
    let untouched = namespaces
        .get("team-a-handmade")
        .await
        .expect("still there");
    let labels = untouched.metadata.labels.expect("labels");
    assert!(
        !labels.contains_key("app.kubernetes.io/managed-by"),
        "{labels:?}"
    );
    let bindings = Api::<RoleBinding>::namespaced(admin, "team-a-handmade")
        .list(&ListParams::default())
        .await
        .expect("list");
    assert!(bindings.items.is_empty(), "nothing was added to it");

    // Nor one the portal created for another request.
    provisioner
        .apply(7, &plan("team-a-other-request"))
        .await
        .expect("provisioned for request 7");
    let error = provisioner
        .apply(9, &plan("team-a-other-request"))
        .await
        .expect_err("refused for request 9");
    assert!(
        matches!(&error, ProvisioningError::OtherRequests { owner, .. } if owner == "7"),
        "{error:?}"
    );
    assert!(error.to_string().contains("for request #7"), "{error}");
}

#[tokio::test]
async fn an_unreachable_api_server_is_a_clear_failure() {
    let cluster = TestCluster::shared();
    let port = portal_tests::free_port();
    let kubeconfig = cluster.portal_kubeconfig(&format!("https://127.0.0.1:{port}"));
    let config = server::config::Config {
        kubeconfig: Some(kubeconfig),
        ..server::config::Config::default()
    };
    let client = server::namespaces::cluster::connect(&config)
        .await
        .expect("a usable kubeconfig")
        .expect("a client");
    let error = Provisioner::new(client)
        .apply(10, &plan("team-a-unreachable"))
        .await
        .expect_err("nothing listens there");
    assert!(
        matches!(error, ProvisioningError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("could not be reached"),
        "{error}"
    );
}

#[tokio::test]
async fn the_portal_cannot_do_more_than_provisioning() {
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    let portal = cluster.portal_client().await;

    let secrets: Api<Secret> = Api::namespaced(portal.clone(), "welkin-portal");
    assert!(
        is_forbidden(&secrets.list(&ListParams::default()).await),
        "reading secrets"
    );

    let namespaces: Api<Namespace> = Api::all(portal.clone());
    let deleted = namespaces
        .delete("welkin-portal", &Default::default())
        .await;
    assert!(is_forbidden(&deleted), "deleting namespaces: {deleted:?}");

    // `bind` is granted on the ClusterRole `admin` only: binding cluster-admin is refused.
    let mut escalation = plan("team-a-escalation");
    apply(
        &portal,
        &ProvisioningPlan {
            network_policies: vec![],
            ..escalation.clone()
        },
    )
    .await
    .expect("the namespace itself is allowed");
    escalation.role_binding.role_ref = RoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: "ClusterRole".into(),
        name: "cluster-admin".into(),
    };
    let bindings: Api<RoleBinding> = Api::namespaced(portal, "team-a-escalation");
    let result = bindings
        .patch(
            "workload-admin",
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&escalation.role_binding),
        )
        .await;
    assert!(is_forbidden(&result), "binding cluster-admin: {result:?}");
}

#[tokio::test]
async fn binding_admin_takes_the_bind_permission_the_portal_is_given() {
    // With the real rules of `admin` in place, someone who may create RoleBindings but lacks
    // `bind` (and the permissions inside `admin`) is refused: so the portal's `bind` grant is
    // what makes provisioning work, not an empty role.
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    let admin = cluster.admin_client().await;
    let rules: ClusterRole = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "rolebindings-without-bind" },
        "rules": [{
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["rolebindings"],
            "verbs": ["create", "get", "patch"]
        }]
    }))
    .expect("a ClusterRole");
    let params = PatchParams::apply("portal-tests").force();
    Api::<ClusterRole>::all(admin.clone())
        .patch("rolebindings-without-bind", &params, &Patch::Apply(&rules))
        .await
        .expect("applied");
    let binding: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "alice-rolebindings-without-bind" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "rolebindings-without-bind" },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice" }]
    }))
    .expect("a ClusterRoleBinding");
    Api::<ClusterRoleBinding>::all(admin)
        .patch(
            "alice-rolebindings-without-bind",
            &params,
            &Patch::Apply(&binding),
        )
        .await
        .expect("applied");
    // The namespace's admins are team-b: alice (team-a) holds nothing inside it.
    let mut plan = plan("team-a-without-bind");
    if let Some(subjects) = plan.role_binding.subjects.as_mut() {
        subjects[0].name = "team-b".into();
    }
    Provisioner::new(cluster.portal_client().await)
        .apply(
            11,
            &ProvisioningPlan {
                network_policies: vec![],
                ..plan.clone()
            },
        )
        .await
        .expect("the portal creates the namespace and binds admin");
    let alice = cluster.alice_client().await;
    let result = Api::<RoleBinding>::namespaced(alice, "team-a-without-bind")
        .patch(
            "workload-admin-copy",
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&RoleBinding {
                metadata: kube::api::ObjectMeta {
                    name: Some("workload-admin-copy".into()),
                    ..plan.role_binding.metadata.clone()
                },
                ..plan.role_binding.clone()
            }),
        )
        .await;
    assert!(
        is_forbidden(&result),
        "binding admin without bind: {result:?}"
    );
}

/// The API server's own answer to a write by the portal's ServiceAccount: the admission policy's
/// refusal, not the portal's checks (which these calls go around).
fn refused_by_the_policy(result: &Result<impl std::fmt::Debug, kube::Error>, message: &str) {
    match result {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403, "{status:?}");
            assert!(
                status.message.contains("welkin-portal-bounds") && status.message.contains(message),
                "{status:?}"
            );
        }
        other => panic!("the API server let it through: {other:?}"),
    }
}

#[tokio::test]
async fn the_api_server_itself_keeps_the_portal_inside_the_namespaces_it_manages() {
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    let portal = cluster.portal_client().await;

    // `admin` in a platform namespace: RBAC alone would allow it (create + bind admin).
    let mut binding = plan("team-a-anywhere").role_binding;
    binding.metadata.namespace = Some("kube-system".into());
    binding.metadata.labels = None;
    let result = Api::<RoleBinding>::namespaced(portal.clone(), "kube-system")
        .create(&Default::default(), &binding)
        .await;
    refused_by_the_policy(&result, "only in namespaces it manages");

    // Relabelling a platform namespace's Pod Security level: RBAC alone would allow the patch.
    let relabel = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "kube-system",
            "labels": { "pod-security.kubernetes.io/enforce": "privileged" }
        }
    });
    let result = Api::<Namespace>::all(portal.clone())
        .patch(
            "kube-system",
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&relabel),
        )
        .await;
    refused_by_the_policy(&result, "only Namespaces it manages");

    // A Namespace without the managed-by label and a request id.
    let bare: Namespace =
        serde_json::from_value(serde_json::json!({ "metadata": { "name": "portal-bare" } }))
            .expect("a namespace");
    let result = Api::<Namespace>::all(portal.clone())
        .create(&Default::default(), &bare)
        .await;
    refused_by_the_policy(&result, "managed-by=welkin-portal");

    // Taking the label off one of its own namespaces, to escape the policy afterwards.
    Provisioner::new(portal.clone())
        .apply(7, &plan("team-a-bounded"))
        .await
        .expect("inside the bounds, provisioning works");
    let unlabel = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": "team-a-bounded", "labels": { "portal.welkin.dev/request-id": "99" } }
    });
    let result = Api::<Namespace>::all(portal)
        .patch(
            "team-a-bounded",
            &PatchParams::apply("someone-else").force(),
            &Patch::Apply(&unlabel),
        )
        .await;
    refused_by_the_policy(&result, "never their managed-by label or request id");
}

#[tokio::test]
async fn without_the_admission_policy_the_portal_refuses_to_provision_and_says_why() {
    let cluster = TestCluster::shared();
    install_the_portals_rbac(cluster).await;
    // The shipped RBAC lets the portal read only its own policy's name: let it read the name
    // this test checks for, which no policy has.
    let reader: ClusterRole = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "portal-reads-a-missing-policy" },
        "rules": [{
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["validatingadmissionpolicies", "validatingadmissionpolicybindings"],
            "resourceNames": ["welkin-portal-bounds-missing"],
            "verbs": ["get"]
        }]
    }))
    .expect("a ClusterRole");
    let admin = cluster.admin_client().await;
    let params = PatchParams::apply(FIELD_MANAGER);
    Api::<ClusterRole>::all(admin.clone())
        .patch(
            "portal-reads-a-missing-policy",
            &params,
            &Patch::Apply(&reader),
        )
        .await
        .expect("applied");
    let binding: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "portal-reads-a-missing-policy" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "portal-reads-a-missing-policy" },
        "subjects": [{ "kind": "ServiceAccount", "name": "welkin-portal", "namespace": "welkin-portal" }]
    }))
    .expect("a ClusterRoleBinding");
    Api::<ClusterRoleBinding>::all(admin)
        .patch(
            "portal-reads-a-missing-policy",
            &params,
            &Patch::Apply(&binding),
        )
        .await
        .expect("applied");
    let error = Provisioner::new(cluster.portal_client().await)
        .with_admission_policy_name("welkin-portal-bounds-missing")
        .apply(7, &plan("team-a-unbounded"))
        .await
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("ValidatingAdmissionPolicy and its binding are missing")
            && error
                .to_string()
                .contains("templates/admission-policy.yaml"),
        "{error}"
    );
    let exists = Api::<Namespace>::all(cluster.admin_client().await)
        .get_opt("team-a-unbounded")
        .await
        .expect("read");
    assert!(exists.is_none(), "nothing was created");
    // Turned off by the operator, it provisions (and the real policy still holds it).
    Provisioner::new(cluster.portal_client().await)
        .with_admission_policy_name("welkin-portal-bounds-missing")
        .requiring_admission_policy(false)
        .apply(7, &plan("team-a-unbounded"))
        .await
        .expect("provisioned");
}

/// The local run command keeps its cluster in `data/cluster`, beside the SQLite file: after a
/// restart, a namespace the database calls ready is still in the cluster, at the same address,
/// and provisioning it again (an administrator's retry) finds it the portal's own.
#[tokio::test]
async fn a_kept_cluster_started_again_still_has_what_the_portal_provisioned() {
    let folder = tempfile::tempdir().expect("a folder to keep the cluster in");
    let dir = folder.path().join("cluster");
    let first_server = {
        let cluster = TestCluster::kept_in(&dir);
        install_the_portals_rbac(&cluster).await;
        Provisioner::new(cluster.portal_client().await)
            .apply(7, &plan("team-a-kept"))
            .await
            .expect("provisioned before the restart");
        cluster.server.clone()
        // Dropped here: etcd and kube-apiserver stop; the folder stays.
    };
    assert!(dir.join("etcd-data").is_dir(), "etcd's data is kept");

    let cluster = TestCluster::kept_in(&dir);
    assert_eq!(
        cluster.server, first_server,
        "the same address after a restart"
    );
    let admin = cluster.admin_client().await;
    let namespace = Api::<Namespace>::all(admin.clone())
        .get("team-a-kept")
        .await
        .expect("the namespace survived the restart");
    let labels = namespace.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("welkin-portal"),
        "{labels:?}"
    );
    let bindings = Api::<RoleBinding>::namespaced(admin, "team-a-kept")
        .list(&ListParams::default())
        .await
        .expect("list the team's bindings");
    assert!(!bindings.items.is_empty(), "the team's access survived too");
    Provisioner::new(cluster.portal_client().await)
        .apply(7, &plan("team-a-kept"))
        .await
        .expect("provisioning it again finds it the portal's own");
}
