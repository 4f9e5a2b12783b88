//! The JSON shapes of the traffic check's inputs: the [`Connection`] and the Pods and namespaces
//! of [`super::model`] (serde's defaults: unknown fields are skipped), and NetworkPolicy objects
//! as `k8s_openapi` reads them (every field may be left out or `null`, unknown fields are
//! skipped, `apiVersion` and `kind` must be the NetworkPolicy's when given).
//!
//! The parts of `metadata` the engine never reads (timestamps, owner references, managed
//! fields) are checked by running `k8s_openapi`'s own decoder on them, so the two cannot differ.

use std::net::IpAddr;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, OwnerReference, Time};
use serde_json::Value;

use super::model::{Connection, NamespaceInfo, PodInfo};
use crate::domain::json_shape::{Field, JsonShape, Object, Shape, Tagged};
use crate::domain::networkpolicy::shape::{port, protocol};

fn pod_ref_fields() -> [Field; 2] {
    [
        Field::required("namespace", Shape::String),
        Field::required("name", Shape::String),
    ]
}

fn ip_address() -> Field {
    Field::required(
        "address",
        Shape::Text {
            rule: "must be an IP address such as 203.0.113.9 or 2001:db8::1",
            accepts: |text| text.parse::<IpAddr>().is_ok(),
        },
    )
}

impl JsonShape for Connection {
    fn json_shape() -> Shape {
        let source = Tagged {
            tag: "kind",
            variants: vec![
                ("pod", Object::lenient(pod_ref_fields())),
                ("ip", Object::lenient([ip_address()])),
                ("outside", Object::lenient([])),
            ],
        };
        let destination = Tagged {
            tag: "kind",
            variants: vec![
                ("pod", Object::lenient(pod_ref_fields())),
                ("ip", Object::lenient([ip_address()])),
                ("outside", Object::lenient([])),
            ],
        };
        Object::lenient([
            Field::required("source", source.into()),
            Field::required("destination", destination.into()),
            Field::optional("protocol", protocol()),
            Field::required("port", port()),
        ])
        .into()
    }
}

impl JsonShape for NamespaceInfo {
    fn json_shape() -> Shape {
        Object::lenient([
            Field::required("name", Shape::String),
            Field::optional("labels", Shape::map(Shape::String)),
        ])
        .into()
    }
}

impl JsonShape for PodInfo {
    fn json_shape() -> Shape {
        let container_port = Object::lenient([
            Field::optional("name", Shape::String.nullable()),
            Field::required("number", Shape::U16),
            Field::optional("protocol", protocol()),
        ]);
        Object::lenient([
            Field::required("namespace", Shape::String),
            Field::required("name", Shape::String),
            Field::optional("labels", Shape::map(Shape::String)),
            Field::optional("ports", Shape::list(container_port.into())),
        ])
        .into()
    }
}

/// A field of a Kubernetes object: it may be missing or `null`.
fn k8s(name: &'static str, shape: Shape) -> Field {
    Field::optional(name, shape.nullable())
}

fn strings() -> Shape {
    Shape::list(Shape::String)
}

fn label_selector() -> Shape {
    let requirement = Object::lenient([
        k8s("key", Shape::String),
        k8s("operator", Shape::String),
        k8s("values", strings()),
    ]);
    Object::lenient([
        k8s("matchExpressions", Shape::list(requirement.into())),
        k8s("matchLabels", Shape::map(Shape::String)),
    ])
    .into()
}

fn policy_peers(name: &'static str) -> Field {
    let ip_block = Object::lenient([k8s("cidr", Shape::String), k8s("except", strings())]);
    let peer = Object::lenient([
        k8s("ipBlock", ip_block.into()),
        k8s("namespaceSelector", label_selector()),
        k8s("podSelector", label_selector()),
    ]);
    k8s(name, Shape::list(peer.into()))
}

fn policy_ports() -> Field {
    let port = Object::lenient([
        k8s("endPort", Shape::I32),
        k8s(
            "port",
            Shape::Either {
                rule: "must be a port number or the name of a port, such as 8080 or \"http\"",
                options: vec![Shape::I32, Shape::String],
            },
        ),
        k8s("protocol", Shape::String),
    ]);
    k8s("ports", Shape::list(port.into()))
}

fn decodes<T: serde::de::DeserializeOwned>(value: &Value) -> bool {
    serde_json::from_value::<T>(value.clone()).is_ok()
}

fn object_meta() -> Shape {
    let time = || Shape::Decodes {
        rule: "must be a time such as 2026-12-01T10:00:00Z",
        accepts: decodes::<Time>,
    };
    Object::lenient([
        k8s("annotations", Shape::map(Shape::String)),
        k8s("creationTimestamp", time()),
        k8s("deletionGracePeriodSeconds", Shape::I64),
        k8s("deletionTimestamp", time()),
        k8s("finalizers", strings()),
        k8s("generateName", Shape::String),
        k8s("generation", Shape::I64),
        k8s("labels", Shape::map(Shape::String)),
        k8s(
            "managedFields",
            Shape::Decodes {
                rule: "must be a list of managed-field entries as the API server writes them",
                accepts: decodes::<Vec<ManagedFieldsEntry>>,
            },
        ),
        k8s("name", Shape::String),
        k8s("namespace", Shape::String),
        k8s(
            "ownerReferences",
            Shape::Decodes {
                rule: "must be a list of owner references as the API server writes them",
                accepts: decodes::<Vec<OwnerReference>>,
            },
        ),
        k8s("resourceVersion", Shape::String),
        k8s("selfLink", Shape::String),
        k8s("uid", Shape::String),
    ])
    .into()
}

/// A NetworkPolicy object, as `kubectl get networkpolicy -o json` lists them under `items`.
pub fn network_policy() -> Shape {
    let ingress_rule = Object::lenient([policy_peers("from"), policy_ports()]);
    let egress_rule = Object::lenient([policy_ports(), policy_peers("to")]);
    let spec = Object::lenient([
        k8s("egress", Shape::list(egress_rule.into())),
        k8s("ingress", Shape::list(ingress_rule.into())),
        k8s("podSelector", label_selector()),
        k8s("policyTypes", strings()),
    ]);
    Object::lenient([
        Field::optional(
            "apiVersion",
            Shape::Text {
                rule: "must be networking.k8s.io/v1",
                accepts: |text| text == "networking.k8s.io/v1",
            },
        ),
        Field::optional(
            "kind",
            Shape::Text {
                rule: "must be NetworkPolicy",
                accepts: |text| text == "NetworkPolicy",
            },
        ),
        k8s("metadata", object_meta()),
        k8s("spec", spec.into()),
    ])
    .into()
}

#[cfg(test)]
mod tests;
