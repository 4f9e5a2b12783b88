//! The JSON shapes of [`PolicySpec`] and [`RunRecipeSpec`], as their serde attributes in
//! [`super::model`] and [`super::run_recipe`] define them. Change one, change the other: the
//! agreement tests below fail when they drift apart.

use super::model::PolicySpec;
use super::run_recipe::RunRecipeSpec;
use crate::domain::json_shape::{Field, JsonShape, Object, Shape, Tagged};

/// What a port is: a number or the name of a container port.
pub const PORT_RULE: &str =
    "must be a port number from 1 to 65535 or the name of a port, such as 8080 or \"http\"";

/// `TCP`, `UDP` or `SCTP`.
pub fn protocol() -> Shape {
    Shape::OneOf(&["TCP", "UDP", "SCTP"])
}

/// A port number or name ([`super::Port`], untagged).
pub fn port() -> Shape {
    Shape::Either {
        rule: PORT_RULE,
        options: vec![Shape::U16, Shape::String],
    }
}

fn labels() -> Shape {
    Shape::list(
        Object::strict([
            Field::required("key", Shape::String),
            Field::required("value", Shape::String),
        ])
        .into(),
    )
}

fn target() -> Shape {
    Tagged {
        tag: "kind",
        variants: vec![
            ("allPods", Object::strict([])),
            (
                "labels",
                Object::strict([Field::required("labels", labels())]),
            ),
            (
                "kubectlRun",
                Object::strict([Field::required("name", Shape::String)]),
            ),
        ],
    }
    .into()
}

fn namespace_selection() -> Shape {
    Tagged {
        tag: "kind",
        variants: vec![
            (
                "byName",
                Object::strict([Field::required("name", Shape::String)]),
            ),
            (
                "byLabels",
                Object::strict([Field::required("labels", labels())]),
            ),
        ],
    }
    .into()
}

fn peer() -> Shape {
    Tagged {
        tag: "kind",
        variants: vec![
            (
                "podsInNamespace",
                Object::strict([Field::required("labels", labels())]),
            ),
            (
                "namespaceByName",
                Object::strict([Field::required("name", Shape::String)]),
            ),
            (
                "namespacesByLabels",
                Object::strict([Field::required("labels", labels())]),
            ),
            (
                "podsInNamespaces",
                Object::strict([
                    Field::required("namespace", namespace_selection()),
                    Field::required("podLabels", labels()),
                ]),
            ),
            (
                "ipBlock",
                Object::strict([
                    Field::required("cidr", Shape::String),
                    Field::optional("except", Shape::list(Shape::String)),
                ]),
            ),
            ("anywhere", Object::strict([])),
        ],
    }
    .into()
}

fn port_spec() -> Shape {
    Object::strict([
        Field::optional("protocol", protocol()),
        Field::required("port", port()),
        Field::optional("endPort", Shape::U16.nullable()),
    ])
    .into()
}

fn rule() -> Shape {
    Object::strict([
        Field::optional("peers", Shape::list(peer())),
        Field::optional("ports", Shape::list(port_spec())),
    ])
    .into()
}

impl JsonShape for PolicySpec {
    fn json_shape() -> Shape {
        Object::strict([
            Field::required("name", Shape::String),
            Field::required("namespace", Shape::String),
            Field::required("target", target()),
            Field::required(
                "policyTypes",
                Object::strict([
                    Field::optional("ingress", Shape::Bool),
                    Field::optional("egress", Shape::Bool),
                ])
                .into(),
            ),
            Field::optional("ingress", Shape::list(rule())),
            Field::optional("egress", Shape::list(rule())),
            Field::optional("allowDns", Shape::Bool),
        ])
        .into()
    }
}

impl JsonShape for RunRecipeSpec {
    fn json_shape() -> Shape {
        Object::strict([
            Field::required("podName", Shape::String),
            Field::required("image", Shape::String),
            Field::required("namespace", Shape::String),
            Field::optional("runAsUser", Shape::U32),
            Field::optional("runAsGroup", Shape::U32),
            Field::optional("cpuRequest", Shape::String),
            Field::optional("memoryRequest", Shape::String),
        ])
        .into()
    }
}

#[cfg(test)]
mod tests;
