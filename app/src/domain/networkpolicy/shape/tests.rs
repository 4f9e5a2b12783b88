//! The shapes agree with serde: on the presets, on every valid spec the generators make, and on
//! those bodies broken in every way a property test can think of.

use super::*;
use crate::domain::json_shape::disagreement;
use crate::domain::networkpolicy::presets::{Preset, PresetOptions};
use proptest::prelude::*;
use serde_json::{Value, json};

fn policy_disagreement(value: &Value) -> Option<String> {
    disagreement::<PolicySpec>(&PolicySpec::json_shape(), value)
}

fn recipe_disagreement(value: &Value) -> Option<String> {
    disagreement::<RunRecipeSpec>(&RunRecipeSpec::json_shape(), value)
}

#[test]
fn every_preset_fits_the_shape() {
    for preset in Preset::ALL {
        let spec = preset.build("team-a-shop", &PresetOptions::default());
        let value = serde_json::to_value(&spec).expect("serializes");
        assert_eq!(PolicySpec::json_shape().problems(&value), [], "{preset:?}");
    }
}

#[test]
fn the_documented_examples_fit_the_shape() {
    let run = json!({ "podName": "blah", "image": "harbor.example.com/team/debug-tools:1.4.2", "namespace": "demo" });
    assert_eq!(RunRecipeSpec::json_shape().problems(&run), []);
    let example = serde_json::to_value(RunRecipeSpec::example()).expect("serializes");
    assert_eq!(RunRecipeSpec::json_shape().problems(&example), []);
}

#[test]
fn shape_and_serde_agree_on_hand_made_bodies() {
    let good = json!({
        "name": "blah", "namespace": "demo",
        "target": { "kind": "kubectlRun", "name": "blah" },
        "policyTypes": { "ingress": true, "egress": true },
        "ingress": [ { "peers": [ { "kind": "anywhere" } ], "ports": [ { "port": 8080 } ] } ],
        "egress": [ { "peers": [ { "kind": "namespaceByName", "name": "team-a-shop" } ] } ],
        "allowDns": true
    });
    let mut bodies = vec![good.clone()];
    for (pointer, replacement) in [
        ("/ingress/0/ports/0/port", json!(70000)),
        ("/ingress/0/ports/0/port", json!(-1)),
        ("/ingress/0/ports/0/port", json!(80.5)),
        ("/ingress/0/ports/0/port", json!("http")),
        ("/ingress/0/ports/0/port", json!(null)),
        ("/ingress/0/ports/0/port", json!(true)),
        ("/ingress/0/ports/0", json!({ "port": 1, "endPort": null })),
        ("/ingress/0/ports/0", json!({ "port": 1, "endPort": 65536 })),
        (
            "/ingress/0/ports/0",
            json!({ "port": 1, "protocol": "ICMP" }),
        ),
        ("/ingress/0/ports/0", json!({ "port": 1, "protocol": null })),
        ("/ingress/0/ports/0", json!({ "protocol": "UDP" })),
        (
            "/ingress/0/peers/0",
            json!({ "kind": "anywhere", "name": "x" }),
        ),
        ("/ingress/0/peers/0", json!({ "kind": "everywhere" })),
        ("/ingress/0/peers/0", json!({ "name": "x" })),
        (
            "/ingress/0/peers/0",
            json!({ "kind": "ipBlock", "cidr": "10.0.0.0/8" }),
        ),
        (
            "/ingress/0/peers/0",
            json!({ "kind": "ipBlock", "cidr": "10.0.0.0/8", "except": null }),
        ),
        (
            "/ingress/0/peers/0",
            json!({ "kind": "ipBlock", "except": [] }),
        ),
        (
            "/ingress/0/peers/0",
            json!({ "kind": "podsInNamespaces",
            "namespace": { "kind": "byLabels", "labels": [] }, "podLabels": [] }),
        ),
        (
            "/ingress/0/peers/0",
            json!({ "kind": "podsInNamespaces",
            "namespace": { "kind": "byName" }, "podLabels": [ { "key": "a" } ] }),
        ),
        (
            "/ingress/0/peers/0",
            json!({ "kind": "podsInNamespace", "labels": [ { "key": "a", "value": "b", "op": "In" } ] }),
        ),
        ("/ingress/0/peers", json!(null)),
        ("/ingress/0", json!({})),
        ("/ingress/0", json!({ "peers": [], "from": [] })),
        ("/target", json!({ "kind": "allPods" })),
        ("/target", json!({ "kind": "allPods", "labels": [] })),
        ("/target", json!({ "kind": "labels" })),
        ("/target", json!("allPods")),
        ("/policyTypes", json!("both")),
        ("/policyTypes", json!({})),
        ("/policyTypes", json!({ "ingress": "yes" })),
        ("/policyTypes", json!({ "Ingress": true })),
        ("/allowDns", json!(false)),
        ("/allowDns", json!(null)),
        ("/name", json!(1)),
        ("/name", json!(null)),
    ] {
        let mut body = good.clone();
        *body.pointer_mut(pointer).expect(pointer) = replacement;
        bodies.push(body);
    }
    for key in [
        "name",
        "namespace",
        "target",
        "policyTypes",
        "ingress",
        "egress",
    ] {
        let mut body = good.clone();
        body.as_object_mut().expect("object").remove(key);
        bodies.push(body);
    }
    let mut extra = good.clone();
    extra["extra"] = json!(1);
    bodies.push(extra);
    bodies.extend([json!(null), json!([]), json!("spec"), json!({})]);
    for body in &bodies {
        assert_eq!(policy_disagreement(body), None);
    }

    let recipe =
        json!({ "podName": "blah", "image": "harbor.example.com/t/d:1", "namespace": "demo" });
    let mut recipes = vec![recipe.clone()];
    for (key, value) in [
        ("runAsUser", json!(0)),
        ("runAsUser", json!(4294967295_u64)),
        ("runAsUser", json!(4294967296_u64)),
        ("runAsUser", json!(-1)),
        ("runAsGroup", json!("1000")),
        ("cpuRequest", json!(100)),
        ("memoryRequest", json!(null)),
        ("image", json!(null)),
        ("extra", json!(true)),
    ] {
        let mut body = recipe.clone();
        body[key] = value;
        recipes.push(body);
    }
    for key in ["podName", "image", "namespace"] {
        let mut body = recipe.clone();
        body.as_object_mut().expect("object").remove(key);
        recipes.push(body);
    }
    for body in &recipes {
        assert_eq!(recipe_disagreement(body), None);
    }
}

/// The spellings serde reads but the documentation never offers are refused by the shape, on
/// purpose; `disagreement` knows them, and this pins down that serde really reads them.
#[test]
fn serde_reads_undocumented_spellings_that_the_shape_refuses() {
    let mut body =
        serde_json::to_value(super::super::presets::default_deny_all("demo")).expect("serializes");
    body["policyTypes"] = json!([true, false]);
    assert!(serde_json::from_value::<PolicySpec>(body.clone()).is_ok());
    let problems = PolicySpec::json_shape().problems(&body);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "policyTypes");
    assert_eq!(policy_disagreement(&body), None);
}

/// Every JSON value a mutation can put somewhere: each kind, the edges of the number ranges,
/// and the strings the enums know.
fn replacement() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!(null),
        json!(true),
        json!(0),
        json!(1),
        json!(-1),
        json!(65535),
        json!(65536),
        json!(4294967296_u64),
        json!(1.5),
        json!(""),
        json!("x"),
        json!("TCP"),
        json!("anywhere"),
        json!("allPods"),
        json!(["x"]),
        json!({}),
        json!({ "kind": "anywhere" }),
        json!({ "kind": "byName", "name": "x" }),
        json!({ "key": "a", "value": "b" }),
        json!({ "port": 80 }),
    ])
}

/// Every place in `value`, as JSON pointers.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Breaks `value`: replaces a place with `replacement`, removes a field, or adds one.
fn mutate(mut value: Value, choice: usize, action: u8, replacement: Value) -> Value {
    let mut places = Vec::new();
    pointers(&value, String::new(), &mut places);
    let place = places[choice % places.len()].clone();
    match action % 3 {
        0 => {
            if let Some(target) = value.pointer_mut(&place) {
                *target = replacement;
            }
        }
        1 => {
            if let Some((parent, key)) = place.rsplit_once('/')
                && let Some(Value::Object(map)) = value.pointer_mut(parent)
            {
                map.remove(key);
            }
        }
        _ => {
            if let Some(Value::Object(map)) = value.pointer_mut(&place) {
                map.insert("stray".to_owned(), replacement);
            }
        }
    }
    value
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn shape_and_serde_agree_on_broken_specs(
        valid in super::super::manifest::tests::valid_spec(),
        mutations in prop::collection::vec((any::<usize>(), any::<u8>(), replacement()), 1..4),
    ) {
        let mut value = serde_json::to_value(valid.spec()).expect("serializes");
        let problems = PolicySpec::json_shape().problems(&value);
        prop_assert!(problems.is_empty(), "{:?}", problems);
        for (choice, action, replacement) in mutations {
            value = mutate(value, choice, action, replacement);
        }
        prop_assert_eq!(policy_disagreement(&value), None);
    }

    #[test]
    fn shape_and_serde_agree_on_broken_run_recipes(
        mutations in prop::collection::vec((any::<usize>(), any::<u8>(), replacement()), 1..4),
    ) {
        let mut value = serde_json::to_value(RunRecipeSpec::example()).expect("serializes");
        for (choice, action, replacement) in mutations {
            value = mutate(value, choice, action, replacement);
        }
        prop_assert_eq!(recipe_disagreement(&value), None);
    }
}
