//! Whether the API server can read an object at all: the built-in kinds a developer's manifests
//! hold, decoded into their Kubernetes types as the API server decodes the request body before
//! any admission step sees it.
//!
//! The API server refuses a body that does not decode (`spec.maxUnavailable: []` in a
//! PodDisruptionBudget, `replicas: "two"`) with 400 Bad Request; such an object is never
//! admitted, whatever the rules say. Only the decoding is checked here, not the API server's
//! validation afterwards (a Service without ports decodes, then fails validation), and a kind
//! not listed (a custom resource) is not checked at all.

use super::pod_security::WorkloadError;
use k8s_openapi::api::{apps, autoscaling, batch, core, networking, policy, rbac};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes `object` as the Kubernetes type its `apiVersion` and `kind` name. `Ok` for a kind
/// this does not know, or for an object without a type (others say what is missing).
pub fn read(object: &Value) -> Result<(), WorkloadError> {
    let text = |key: &str| object.get(key).and_then(Value::as_str);
    let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind")) else {
        return Ok(());
    };
    macro_rules! kinds {
        ($($version:literal, $kind:literal => $type:ty;)*) => {
            match (api_version, kind) {
                $(($version, $kind) => decode::<$type>(object),)*
                _ => Ok(()),
            }
        };
    }
    kinds! {
        "v1", "Pod" => core::v1::Pod;
        "v1", "Service" => core::v1::Service;
        "v1", "ConfigMap" => core::v1::ConfigMap;
        "v1", "Secret" => core::v1::Secret;
        "v1", "ServiceAccount" => core::v1::ServiceAccount;
        "v1", "PersistentVolumeClaim" => core::v1::PersistentVolumeClaim;
        "v1", "ReplicationController" => core::v1::ReplicationController;
        "v1", "LimitRange" => core::v1::LimitRange;
        "v1", "ResourceQuota" => core::v1::ResourceQuota;
        "apps/v1", "Deployment" => apps::v1::Deployment;
        "apps/v1", "StatefulSet" => apps::v1::StatefulSet;
        "apps/v1", "DaemonSet" => apps::v1::DaemonSet;
        "apps/v1", "ReplicaSet" => apps::v1::ReplicaSet;
        "batch/v1", "Job" => batch::v1::Job;
        "batch/v1", "CronJob" => batch::v1::CronJob;
        "policy/v1", "PodDisruptionBudget" => policy::v1::PodDisruptionBudget;
        "networking.k8s.io/v1", "NetworkPolicy" => networking::v1::NetworkPolicy;
        "networking.k8s.io/v1", "Ingress" => networking::v1::Ingress;
        "autoscaling/v1", "HorizontalPodAutoscaler" => autoscaling::v1::HorizontalPodAutoscaler;
        "autoscaling/v2", "HorizontalPodAutoscaler" => autoscaling::v2::HorizontalPodAutoscaler;
        "rbac.authorization.k8s.io/v1", "Role" => rbac::v1::Role;
        "rbac.authorization.k8s.io/v1", "RoleBinding" => rbac::v1::RoleBinding;
    }
}

fn decode<T: DeserializeOwned>(object: &Value) -> Result<(), WorkloadError> {
    serde_path_to_error::deserialize::<_, T>(object)
        .map(drop)
        .map_err(|error| {
            let path = error.path().to_string();
            WorkloadError::Invalid {
                path: if path == "." {
                    "the object".into()
                } else {
                    path
                },
                message: in_words(&error.into_inner().to_string()),
            }
        })
}

/// Serde's type names said as a manifest's author knows them.
fn in_words(message: &str) -> String {
    [
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        (
            "expected IntOrString",
            "expected a number or a string such as \"25%\"",
        ),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping of keys to values"),
    ]
    .iter()
    .fold(message.to_owned(), |text, (from, to)| {
        text.replace(from, to)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(object: Value) -> String {
        read(&object).expect_err("refused").to_string()
    }

    #[test]
    fn a_budget_whose_max_unavailable_is_a_list_does_not_decode() {
        let said = message(json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": { "name": "web" },
            "spec": { "maxUnavailable": [] }
        }));
        assert_eq!(
            said,
            "spec.maxUnavailable: invalid type: sequence, expected a number or a string such as \"25%\""
        );
    }

    #[test]
    fn a_workloads_own_fields_are_decoded_not_only_its_pod_template() {
        let said = message(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": "web" },
            "spec": {
                "replicas": "two",
                "selector": { "matchLabels": { "app": "web" } },
                "template": {
                    "metadata": { "labels": { "app": "web" } },
                    "spec": { "containers": [{ "name": "app", "image": "nginx:1.27" }] }
                }
            }
        }));
        assert_eq!(
            said,
            "spec.replicas: invalid type: string \"two\", expected a whole number"
        );
    }

    #[test]
    fn a_service_port_that_is_not_a_number_names_its_index() {
        let said = message(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "web" },
            "spec": { "ports": [{ "port": 80 }, { "port": "http" }] }
        }));
        assert!(said.starts_with("spec.ports[1].port: "), "{said}");
    }

    #[test]
    fn config_map_data_must_be_strings() {
        let said = message(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": "settings" },
            "data": { "REPLICAS": 3 }
        }));
        assert!(said.starts_with("data.REPLICAS: "), "{said}");
    }

    #[test]
    fn the_metadata_is_decoded_too() {
        let said = message(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": "settings", "labels": ["app"] }
        }));
        assert!(said.starts_with("metadata.labels: "), "{said}");
    }

    #[test]
    fn good_objects_unknown_kinds_and_typeless_documents_pass() {
        for object in [
            json!({ "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": { "name": "web" }, "spec": { "maxUnavailable": "25%" } }),
            json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "web" },
                    "spec": { "ports": [{ "port": 80, "targetPort": "http" }] } }),
            json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c" },
                    "data": { "A": "1" }, "unknownField": 1 }),
            // A custom resource: its schema is the cluster's, not known here.
            json!({ "apiVersion": "example.com/v1", "kind": "Widget", "spec": { "size": [] } }),
            json!({ "kind": "ConfigMap" }),
            json!("text"),
        ] {
            assert!(read(&object).is_ok(), "{object}");
        }
    }
}
