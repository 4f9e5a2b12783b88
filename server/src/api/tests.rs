//! The API's decoding: every shape problem at once, in words, and the shape agreeing with serde
//! on every body the HTTP tests (tests/tests/portal/api.rs) and the README send.

use super::*;
use app::domain::json_shape::disagreement;
use app::domain::networkpolicy::{PolicySpec, RunRecipeSpec};

/// The bodies tests/tests/portal/api.rs and the README send to the generator.
pub(super) fn policy_fixtures() -> Vec<Value> {
    vec![
        json!({
            "name": "default-deny", "namespace": "team-a-shop",
            "target": { "kind": "allPods" },
            "policyTypes": { "ingress": true, "egress": true },
            "allowDns": true
        }),
        json!({
            "name": "blah", "namespace": "demo",
            "target": { "kind": "kubectlRun", "name": "blah" },
            "policyTypes": { "ingress": true, "egress": true },
            "ingress": [ { "peers": [ { "kind": "anywhere" } ] } ],
            "egress": [ { "peers": [ { "kind": "anywhere" } ] } ],
            "allowDns": false
        }),
        json!({
            "name": "Not Valid", "namespace": "team-a-shop",
            "target": { "kind": "labels", "labels": [ { "key": "app", "value": "yes please" } ] },
            "policyTypes": { "ingress": true, "egress": false },
            "ingress": [ { "peers": [ { "kind": "ipBlock", "cidr": "10.0.0.0/33" } ],
                           "ports": [ { "port": 0 } ] } ]
        }),
        json!({
            "name": "blah", "namespace": "demo",
            "target": { "kind": "kubectlRun", "name": "blah" },
            "policyTypes": { "ingress": true, "egress": true },
            "ingress": [ { "peers": [ { "kind": "anywhere" } ], "ports": [ { "port": 8080 } ] } ],
            "egress":  [ { "peers": [ { "kind": "namespaceByName", "name": "team-a-shop" } ] } ]
        }),
        json!({
            "name": "default-deny", "namespace": "team-a-shop",
            "target": { "kind": "allPods" },
            "policyTypes": { "ingress": true, "egress": true },
            "allowDns": true,
            "extra": 1
        }),
        json!({
            "name": "default-deny", "namespace": "team-a-shop",
            "target": { "kind": "allPods" },
            "policyTypes": "both",
            "allowDns": true
        }),
        json!({ "name": "x".repeat(1000) }),
    ]
}

fn recipe_fixtures() -> Vec<Value> {
    let mut bodies = vec![
        json!({ "podName": "blah", "image": "harbor.example.com/team/debug-tools:1.4.2", "namespace": "demo" }),
        json!({ "podName": "blah", "image": "harbor.example.com/team/debug:1.4.2", "namespace": "demo" }),
        json!({ "podName": "blah", "image": "nginx:1.27", "namespace": "demo" }),
        json!({ "podName": "blah", "image": "harbor.example.com/team/debug:latest", "namespace": "demo" }),
        json!({ "podName": "blah", "image": "harbor.example.com/team/debug", "namespace": "demo" }),
        json!({ "podName": "blah", "image": "harbor.example.com.evil.io/x:1", "namespace": "demo" }),
        json!({ "podName": "x'; rm -rf /; '", "image": "harbor.example.com/team/debug:1", "namespace": "demo" }),
        json!({ "podName": "blah", "image": "harbor.example.com/t/d:1", "namespace": "demo", "runAsUser": 0 }),
    ];
    bodies.push(serde_json::to_value(RunRecipeSpec::example()).expect("serializes"));
    bodies
}

#[test]
fn the_shape_agrees_with_serde_on_every_fixture() {
    for body in policy_fixtures() {
        assert_eq!(
            disagreement::<PolicySpec>(&PolicySpec::json_shape(), &body),
            None
        );
    }
    for body in recipe_fixtures() {
        assert_eq!(
            disagreement::<RunRecipeSpec>(&RunRecipeSpec::json_shape(), &body),
            None
        );
    }
}

fn schema_problems<T: DeserializeOwned + JsonShape + std::fmt::Debug>(
    body: Value,
) -> Vec<(String, String)> {
    match decode::<T>(body) {
        Err(ApiError::Schema(problems)) => problems
            .into_iter()
            .map(|problem| (problem.path, problem.message))
            .collect(),
        other => panic!("expected shape problems, got {other:?}"),
    }
}

/// Words serde or Rust would use that a developer writing JSON would not.
const RUST_WORDS: [&str; 16] = [
    "::", "u8", "u16", "u32", "u64", "i32", "i64", "usize", "Vec<", "Option", "String", "struct",
    "enum", "untagged", "variant", "BTreeMap",
];

fn assert_plain_words(problems: &[(String, String)]) {
    for (path, message) in problems {
        assert!(!message.is_empty(), "{path}");
        for word in RUST_WORDS {
            assert!(!message.contains(word), "{path}: {message:?} says {word:?}");
        }
    }
}

#[test]
fn a_body_with_several_bad_fields_gets_every_problem_with_its_path() {
    let problems = schema_problems::<PolicySpec>(json!({
        "name": "web", "namespace": 7,
        "target": { "kind": "labels", "labels": [ { "key": "app" } ] },
        "policyTypes": { "ingress": "yes" },
        "ingress": [ { "peers": [ { "kind": "somewhere" } ],
                       "ports": [ { "port": 443 }, { "port": 70000, "protocol": "ICMP" },
                                  { "port": 80, "endPort": -1 } ] } ],
        "allowDNS": true
    }));
    let paths: Vec<&str> = problems.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "namespace",
            "target.labels[0].value",
            "policyTypes.ingress",
            "ingress[0].peers[0].kind",
            "ingress[0].ports[1].protocol",
            "ingress[0].ports[1].port",
            "ingress[0].ports[2].endPort",
            "allowDNS",
        ],
        "{problems:#?}"
    );
    assert_plain_words(&problems);
    let message = |path: &str| {
        problems
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, m)| m.as_str())
            .expect(path)
    };
    assert_eq!(
        message("ingress[0].ports[1].port"),
        "must be a port number from 1 to 65535 or the name of a port, such as 8080 or \"http\" (found 70000)"
    );
    assert_eq!(
        message("ingress[0].ports[2].endPort"),
        "must be a whole number from 0 to 65535 (found -1)"
    );
    assert!(
        message("allowDNS").starts_with("unknown field `allowDNS`; the fields here are name,"),
        "{}",
        message("allowDNS")
    );
    assert_eq!(message("target.labels[0].value"), "is required");
}

#[test]
fn every_kind_of_decoder_problem_is_in_plain_words() {
    let mut all = Vec::new();
    for body in [
        json!(null),
        json!([1, 2]),
        json!({ "name": null, "target": "allPods", "policyTypes": [] , "ingress": {} }),
        json!({ "name": "a", "namespace": "b", "target": { "kind": 1 }, "policyTypes": {},
                "egress": [ { "peers": [ { "kind": "ipBlock", "cidr": 10, "except": [1] },
                                         { "kind": "podsInNamespaces", "namespace": {}, "podLabels": null } ],
                              "ports": [ { "port": 1.5 }, { "port": null }, {} ] } ] }),
    ] {
        all.extend(schema_problems::<PolicySpec>(body));
    }
    for body in [
        json!({ "podName": 1, "image": [], "namespace": {}, "runAsUser": -1, "runAsGroup": 1e10,
                "cpuRequest": false, "memoryRequest": null, "gpu": 1 }),
        json!({}),
    ] {
        all.extend(schema_problems::<RunRecipeSpec>(body));
    }
    assert!(all.len() > 20, "{all:#?}");
    assert_plain_words(&all);
}

#[test]
fn a_body_the_shape_accepts_is_decoded() {
    let spec: PolicySpec = decode(policy_fixtures().remove(0)).expect("decodes");
    assert_eq!(spec.name, "default-deny");
}
