//! The provisioning plan, applied by server-side apply as the portal's own ServiceAccount with
//! exactly the RBAC that `deploy/rbac.yaml` ships: enough to create a namespace, bind `admin` to
//! the requested groups and add the baseline NetworkPolicies, and not a permission more.

use app::domain::{
    NamespaceName, NamingPolicy,
    provisioning::{ApprovedRequest, ProvisioningConfig, ProvisioningPlan},
};
use k8s_openapi::api::{
    core::v1::{Namespace, Secret},
    networking::v1::NetworkPolicy,
    rbac::v1::{RoleBinding, RoleRef},
};
use kube::api::{Api, ListParams, Patch, PatchParams};
use portal_tests::{TestCluster, repo_root};
use std::collections::BTreeMap;

const FIELD_MANAGER: &str = "welkin-portal";

/// Applies every document of a file in deploy/ for real, as the cluster admin.
async fn apply_deploy_file(client: &kube::Client, file: &str, collections: &[(&str, &str)]) {
    let text = std::fs::read_to_string(repo_root().join("deploy").join(file)).expect("read");
    for document in text.split("\n---\n").filter(|d| d.contains("kind:")) {
        let kind = document
            .lines()
            .find_map(|l| l.strip_prefix("kind:"))
            .expect("kind")
            .trim();
        let name = document
            .lines()
            .find_map(|l| l.strip_prefix("  name:"))
            .expect("name")
            .trim();
        let namespace = document
            .lines()
            .find_map(|l| l.strip_prefix("  namespace:"))
            .map(str::trim);
        let base = collections
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, url)| *url)
            .expect("known kind");
        let url = base.replace("{ns}", namespace.unwrap_or_default());
        let request =
            http::Request::patch(format!("{url}/{name}?fieldManager=portal-tests&force=true"))
                .header("content-type", "application/apply-patch+yaml")
                .body(document.as_bytes().to_vec())
                .expect("request");
        client
            .request_text(request)
            .await
            .unwrap_or_else(|e| panic!("apply {kind} {name}: {e}"));
    }
}

async fn install_the_portals_rbac(cluster: &TestCluster) {
    let admin = cluster.admin_client().await;
    let collections = [
        ("Namespace", "/api/v1/namespaces"),
        ("ServiceAccount", "/api/v1/namespaces/{ns}/serviceaccounts"),
        (
            "ClusterRole",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        ),
        (
            "ClusterRoleBinding",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        ),
    ];
    apply_deploy_file(&admin, "namespace.yaml", &collections).await;
    apply_deploy_file(&admin, "rbac.yaml", &collections).await;
}

fn plan(name: &str) -> ProvisioningPlan {
    let request = ApprovedRequest {
        id: 7,
        name: NamespaceName::parse(name, &NamingPolicy::default()).expect("valid"),
        requester: "alice@example.com".into(),
        groups: vec!["team-a".into()],
        labels: BTreeMap::new(),
    };
    ProvisioningPlan::for_request(&request, &ProvisioningConfig::default()).expect("a plan")
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

    let first = apply(&portal, &plan)
        .await
        .expect("the portal's RBAC is enough");

    let admin = cluster.admin_client().await;
    let namespace = Api::<Namespace>::all(admin.clone())
        .get("team-a-provisioned")
        .await
        .expect("exists");
    let labels = namespace.metadata.labels.expect("labels");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "welkin-portal");
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
    assert_eq!(policies.items.len(), 3);

    // Idempotent: applying the same plan again changes nothing.
    let second = apply(&portal, &plan).await.expect("re-apply");
    assert_eq!(first, second, "a second apply must not change any object");
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
