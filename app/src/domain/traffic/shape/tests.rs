//! The traffic shapes agree with serde and `k8s_openapi`: on every preset's NetworkPolicy, the
//! objects the API tests send, and those broken in many ways.

use super::*;
use crate::domain::json_shape::disagreement;
use crate::domain::networkpolicy::presets::{Preset, PresetOptions};
use crate::domain::networkpolicy::{manifest, validate::ValidSpec};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::json;

fn preset_policies() -> Vec<Value> {
    Preset::ALL
        .iter()
        .map(|preset| {
            let spec = preset.build("team-a-shop", &PresetOptions::default());
            let valid: ValidSpec = spec.validate().expect("presets are valid");
            manifest::to_json(&manifest::to_network_policy(&valid))
        })
        .collect()
}

fn policy_disagreement(value: &Value) -> Option<String> {
    disagreement::<NetworkPolicy>(&network_policy(), value)
}

fn odd_policy() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "odd", "namespace": "team-a-shop", "labels": { "app": "web" },
            "creationTimestamp": "2026-12-01T10:00:00Z", "generation": 3, "uid": "abc",
            "ownerReferences": [ { "apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "y" } ],
            "managedFields": [ { "manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1",
                                 "fieldsV1": { "f:spec": {} } } ]
        },
        "spec": {
            "podSelector": { "matchLabels": { "app": "web" },
                             "matchExpressions": [ { "key": "tier", "operator": "In", "values": ["a"] } ] },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [ { "from": [ { "namespaceSelector": {}, "podSelector": null } ],
                           "ports": [ { "port": "http" }, { "port": 80, "endPort": 90, "protocol": "TCP" } ] } ],
            "egress": [ { "to": [ { "ipBlock": { "cidr": "10.0.0.0/99", "except": [] } } ] } ]
        },
        "status": { "anything": true }
    })
}

#[test]
fn every_preset_policy_and_the_test_objects_fit() {
    let mut policies = preset_policies();
    policies.push(odd_policy());
    for policy in &policies {
        assert_eq!(network_policy().problems(policy), [], "{policy}");
        assert_eq!(policy_disagreement(policy), None);
    }
}

#[test]
fn shape_and_k8s_openapi_agree_on_broken_policies() {
    let good = odd_policy();
    let mut bodies = Vec::new();
    for (pointer, replacement) in [
        ("/apiVersion", json!("v1")),
        ("/apiVersion", json!(null)),
        ("/kind", json!("Pod")),
        ("/metadata", json!(null)),
        ("/metadata", json!([])),
        ("/metadata/name", json!(7)),
        ("/metadata/labels/app", json!(null)),
        ("/metadata/labels", json!(null)),
        ("/metadata/creationTimestamp", json!("yesterday")),
        ("/metadata/creationTimestamp", json!(null)),
        ("/metadata/generation", json!(1.5)),
        ("/metadata/generation", json!(-1)),
        ("/metadata/ownerReferences", json!([{}])),
        ("/metadata/ownerReferences", json!([1])),
        ("/metadata/managedFields", json!({})),
        ("/spec", json!(null)),
        ("/spec", json!("deny")),
        ("/spec/podSelector", json!(null)),
        ("/spec/podSelector/matchLabels", json!({ "app": 1 })),
        ("/spec/podSelector/matchExpressions/0/values", json!("a")),
        ("/spec/podSelector/matchExpressions/0/key", json!(null)),
        ("/spec/policyTypes", json!("Ingress")),
        ("/spec/policyTypes/0", json!(null)),
        ("/spec/ingress/0/ports/0/port", json!(70000)),
        ("/spec/ingress/0/ports/0/port", json!(3000000000_u64)),
        ("/spec/ingress/0/ports/0/port", json!(-80)),
        ("/spec/ingress/0/ports/0/port", json!(1.5)),
        ("/spec/ingress/0/ports/0/port", json!(null)),
        ("/spec/ingress/0/ports/0/port", json!(true)),
        ("/spec/ingress/0/ports/1/endPort", json!("90")),
        ("/spec/ingress/0/ports/1/protocol", json!(6)),
        ("/spec/ingress/0/from/0/namespaceSelector", json!("all")),
        ("/spec/egress/0/to/0/ipBlock/cidr", json!(null)),
        ("/spec/egress/0/to/0/ipBlock", json!({})),
        ("/spec/egress/0/to/0/ipBlock/except", json!([null])),
        ("/spec/egress", json!({})),
    ] {
        let mut body = good.clone();
        *body.pointer_mut(pointer).expect(pointer) = replacement;
        bodies.push(body);
    }
    bodies.extend([json!({}), json!(null), json!([]), json!("policy")]);
    for body in &bodies {
        assert_eq!(policy_disagreement(body), None);
    }
}

#[test]
fn connections_pods_and_namespaces_agree_with_serde() {
    let connection = json!({
        "source": { "kind": "pod", "namespace": "team-a-shop", "name": "web" },
        "destination": { "kind": "pod", "namespace": "team-a-shop", "name": "api" },
        "protocol": "TCP",
        "port": "http"
    });
    let mut connections = vec![connection.clone()];
    for (pointer, replacement) in [
        ("/source", json!({ "kind": "outside" })),
        ("/source", json!({ "kind": "outside", "name": "x" })),
        ("/source", json!({ "kind": "ip", "address": "203.0.113.9" })),
        (
            "/source",
            json!({ "kind": "ip", "address": "2001:db8::1", "extra": 1 }),
        ),
        (
            "/source",
            json!({ "kind": "ip", "address": "203.0.113.999" }),
        ),
        ("/source", json!({ "kind": "ip", "address": 7 })),
        ("/source", json!({ "kind": "ip" })),
        ("/source", json!({ "kind": "pod", "name": "web" })),
        ("/source", json!({ "kind": "somewhere" })),
        ("/source", json!({ "namespace": "a", "name": "b" })),
        ("/destination", json!({ "kind": "outside" })),
        (
            "/destination",
            json!({ "kind": "ip", "address": "10.0.0.7" }),
        ),
        ("/protocol", json!("ICMP")),
        ("/protocol", json!(null)),
        ("/port", json!(0)),
        ("/port", json!(65536)),
        ("/port", json!(null)),
        ("/port", json!([80])),
        ("/extra", json!(1)),
    ] {
        let mut body = connection.clone();
        match body.pointer_mut(pointer) {
            Some(place) => *place = replacement,
            None => body[&pointer[1..]] = replacement,
        }
        connections.push(body);
    }
    for key in ["source", "destination", "protocol", "port"] {
        let mut body = connection.clone();
        body.as_object_mut().expect("object").remove(key);
        connections.push(body);
    }
    for body in &connections {
        assert_eq!(
            disagreement::<Connection>(&Connection::json_shape(), body),
            None
        );
    }

    for pod in [
        json!({ "namespace": "a", "name": "web", "labels": { "app": "web" },
                "ports": [ { "name": "http", "number": 8080 }, { "number": 53, "protocol": "UDP", "name": null } ] }),
        json!({ "namespace": "a", "name": "web", "extra": [] }),
        json!({ "namespace": "a" }),
        json!({ "namespace": "a", "name": "web", "labels": { "app": null } }),
        json!({ "namespace": "a", "name": "web", "labels": null }),
        json!({ "namespace": "a", "name": "web", "ports": [ { "name": "http" } ] }),
        json!({ "namespace": "a", "name": "web", "ports": [ { "number": 70000 } ] }),
        json!({ "namespace": "a", "name": "web", "ports": [ { "number": 80, "protocol": "tcp" } ] }),
        json!({ "namespace": "a", "name": "web", "ports": null }),
    ] {
        assert_eq!(disagreement::<PodInfo>(&PodInfo::json_shape(), &pod), None);
    }
    for namespace in [
        json!({ "name": "a" }),
        json!({ "name": "a", "labels": { "team": "a" }, "extra": 1 }),
        json!({ "labels": {} }),
        json!({ "name": "a", "labels": ["team"] }),
        json!("a"),
    ] {
        assert_eq!(
            disagreement::<NamespaceInfo>(&NamespaceInfo::json_shape(), &namespace),
            None
        );
    }
}

#[test]
fn a_port_out_of_range_in_a_policy_is_named_by_its_path() {
    let mut policy = odd_policy();
    policy["spec"]["ingress"][0]["ports"][1]["port"] = json!(3000000000_u64);
    policy["spec"]["ingress"][0]["ports"][1]["endPort"] = json!("90");
    let problems = network_policy().problems(&policy);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.ingress[0].ports[1].endPort",
            "spec.ingress[0].ports[1].port"
        ],
        "{problems:?}"
    );
}
