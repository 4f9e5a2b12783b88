//! Unit tests: reading mutators and their errors, the location parser, and what the mutating
//! webhook makes of objects (checked against Gatekeeper v3.21.1's code and its own tests).

use super::*;
use serde_json::json;

/// A mutator of `kind` with this spec, as the cluster gives it.
fn mutator(kind: &str, name: &str, spec: Value) -> Mutator {
    Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1", "kind": kind,
        "metadata": { "name": name }, "spec": spec
    }))
    .unwrap_or_else(|error| panic!("{kind} {name} should be valid: {error}"))
}

/// The problem in the error `spec` gives for `kind`.
fn refused(kind: &str, spec: Value) -> String {
    let error = Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1", "kind": kind,
        "metadata": { "name": "m" }, "spec": spec
    }))
    .expect_err("should be refused");
    assert_eq!(error.what, format!("{kind} \"m\""));
    error.problem
}

fn pods() -> Value {
    json!([{ "groups": [""], "versions": ["v1"], "kinds": ["Pod"] }])
}

/// An Assign for Pods.
fn assign(name: &str, location: &str, parameters: Value) -> Mutator {
    mutator(
        "Assign",
        name,
        json!({ "applyTo": pods(), "location": location, "parameters": parameters }),
    )
}

/// A ModifySet for Pods.
fn modify_set(name: &str, location: &str, operation: &str, values: Value) -> Mutator {
    mutator(
        "ModifySet",
        name,
        json!({ "applyTo": pods(), "location": location,
                "parameters": { "operation": operation, "values": { "fromList": values } } }),
    )
}

fn pod(namespace: &str, spec: Value) -> Review {
    Review::create(
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": "web-1", "namespace": namespace, "labels": { "app": "web" } },
            "spec": spec
        }),
        None,
    )
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

fn run(mutators: &[Mutator], review: &Review) -> Mutation {
    mutate(mutators, review).expect("the mutation should succeed")
}

#[test]
fn reads_each_kind() {
    let assign = Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1", "kind": "Assign",
        "metadata": { "name": "run-as-non-root" },
        "spec": {
            "applyTo": pods(),
            "match": { "source": "All", "scope": "Namespaced",
                       "kinds": [{ "apiGroups": ["*"], "kinds": ["Pod"] }] },
            "location": "spec.containers[name: *].securityContext.runAsNonRoot",
            "parameters": {
                "pathTests": [{ "subPath": "spec.containers[name: *].securityContext.runAsNonRoot",
                                "condition": "MustNotExist" }],
                "assign": { "value": true }
            }
        }
    }))
    .expect("a valid Assign");
    assert_eq!(assign.id(), "Assign/run-as-non-root");
    assert_eq!(assign.kind(), MutatorKind::Assign);
    assert_eq!(assign.name(), "run-as-non-root");
    assert_eq!(
        assign.location(),
        "spec.containers[name: *].securityContext.runAsNonRoot"
    );
    assert_eq!(
        assign.operation,
        Operation::Assign(AssignField::Value(json!(true)))
    );
    assert_eq!(
        assign.bindings,
        vec![("".to_owned(), "v1".to_owned(), "Pod".to_owned())]
    );
    assert_eq!(assign.matches.scope, super::super::Scope::Namespaced);
    assert!(!assign.tester.exists_okay(4));
    assert!(assign.tester.missing_okay(4));
    assert!(assign.tester.exists_okay(3));

    let metadata = Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1beta1", "kind": "AssignMetadata",
        "metadata": { "name": "owner" },
        "spec": { "location": "metadata.labels.\"example.com/owner\"",
                  "parameters": { "assign": { "fromMetadata": { "field": "namespace" } } } }
    }))
    .expect("a valid AssignMetadata");
    assert_eq!(metadata.id(), "AssignMetadata/owner");
    assert_eq!(
        metadata.path.nodes,
        vec![
            Node::Object("metadata".into()),
            Node::Object("labels".into()),
            Node::Object("example.com/owner".into()),
        ]
    );
    assert_eq!(
        metadata.operation,
        Operation::Assign(AssignField::FromMetadata(MetadataField::Namespace))
    );

    let set = Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1alpha1", "kind": "ModifySet",
        "metadata": { "name": "drop-all" },
        "spec": { "applyTo": pods(),
                  "location": "spec.containers[name: *].securityContext.capabilities.drop",
                  "parameters": { "operation": "prune", "values": { "fromList": ["ALL"] } } }
    }))
    .expect("a valid ModifySet");
    assert_eq!(set.id(), "ModifySet/drop-all");
    assert_eq!(
        set.operation,
        Operation::ModifySet {
            prune: true,
            values: Some(vec![json!("ALL")])
        }
    );
    // The CRD's default operation is merge.
    let merge = mutator(
        "ModifySet",
        "m",
        json!({ "applyTo": pods(), "location": "spec.x", "parameters": {} }),
    );
    assert_eq!(
        merge.operation,
        Operation::ModifySet {
            prune: false,
            values: None
        }
    );

    // AssignImage is refused, not guessed.
    let image = Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1alpha1", "kind": "AssignImage",
        "metadata": { "name": "registry" },
        "spec": { "applyTo": pods(), "location": "spec.containers[name: *].image",
                  "parameters": { "assignDomain": "registry.example.com" } }
    }))
    .expect_err("AssignImage is not read");
    assert_eq!(image.what, "AssignImage \"registry\"");
    assert!(image.problem.contains("not supported"), "{}", image.problem);
}

#[test]
fn reading_refuses_what_gatekeeper_refuses() {
    let value = json!({ "assign": { "value": "x" } });
    let with = |location: &str, parameters: &Value| {
        json!({
            "applyTo": pods(), "location": location, "parameters": parameters
        })
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "Assign",
            json!({ "location": "spec.x", "parameters": value }),
            "applyTo required for Assign mutator m",
        ),
        (
            "ModifySet",
            json!({ "location": "spec.x" }),
            "applyTo required for ModifySet mutator m",
        ),
        (
            "Assign",
            json!({ "applyTo": [{ "groups": [""], "kinds": ["Pod"] }], "location": "spec.x",
                    "parameters": value }),
            "all of group, version and kind must be specified",
        ),
        (
            "Assign",
            with("metadata.labels.a", &value),
            "assign m can't change metadata",
        ),
        (
            "ModifySet",
            with("metadata.finalizers", &json!({})),
            "modifyset m can't change metadata",
        ),
        (
            "Assign",
            with("spec.containers[name: foo].name", &value),
            "changing the item key is not allowed",
        ),
        ("Assign", with("", &value), "empty path"),
        (
            "Assign",
            with("spec.containers[name: foo", &value),
            "spec.location \"spec.containers[name: foo\" is invalid: unexpected token: \
             expected ']' following listSpec, got: EOF: \"\"",
        ),
        (
            "Assign",
            with("spec.", &value),
            "trailing separators are forbidden",
        ),
        (
            "Assign",
            with("spec.x", &json!({})),
            "must set one of `externalData`, `value` or `fromMetadata`",
        ),
        (
            "Assign",
            with(
                "spec.x",
                &json!({ "assign": { "value": "x", "fromMetadata": { "field": "name" } } }),
            ),
            "must only set one of",
        ),
        (
            "Assign",
            with(
                "spec.x",
                &json!({ "assign": { "fromMetadata": { "field": "uid" } } }),
            ),
            "fromMetadata.field \"uid\" is not recognized",
        ),
        (
            "Assign",
            with(
                "spec.x",
                &json!({ "assign": { "externalData": { "provider": "p",
                                                       "failurePolicy": "UseDefault" } } }),
            ),
            "`default` must not be empty when `failurePolicy` is set to `UseDefault`",
        ),
        (
            "Assign",
            with(
                "spec.containers[name: *]",
                &json!({ "assign": { "value": {} } }),
            ),
            "can't append to a globbed list",
        ),
        (
            "Assign",
            with(
                "spec.containers[name: foo]",
                &json!({ "assign": { "value": "x" } }),
            ),
            "only objects can be added to keyed lists",
        ),
        (
            "Assign",
            with(
                "spec.containers[name: foo]",
                &json!({ "assign": { "value": { "name": "bar" } } }),
            ),
            "adding object to list with different key name: list key \"foo\", object key \"bar\"",
        ),
        (
            "Assign",
            with(
                "spec.ports[port: 80]",
                &json!({ "assign": { "value": { "port": 80 } } }),
            ),
            "never equal an integer list key",
        ),
        (
            "Assign",
            with(
                "spec.containers[name: foo]",
                &json!({ "assign": { "fromMetadata": { "field": "name" } } }),
            ),
            "cannot assign a metadata field to a list",
        ),
        (
            "Assign",
            with(
                "spec.a.b",
                &json!({ "assign": { "value": 1 },
                         "pathTests": [{ "subPath": "spec.c", "condition": "MustExist" }] }),
            ),
            "subpath \"spec.c\" is not a prefix of location \"spec.a.b\"",
        ),
        (
            "Assign",
            with(
                "spec.a.b",
                &json!({ "assign": { "value": 1 },
                         "pathTests": [{ "subPath": "spec.a", "condition": "MustExist" },
                                       { "subPath": "spec.a", "condition": "MustNotExist" }] }),
            ),
            "is marked both MustExist and MustNotExist",
        ),
        (
            // Gatekeeper compares the positions of the tests: a MustExist after a MustNotExist
            // is refused even on a parent.
            "Assign",
            with(
                "spec.a.b",
                &json!({ "assign": { "value": 1 },
                         "pathTests": [{ "subPath": "spec.a.b", "condition": "MustNotExist" },
                                       { "subPath": "spec.a", "condition": "MustExist" }] }),
            ),
            "pathTests[1] (subPath \"spec.a\") is marked MustExist but comes after \
             pathTests[0]",
        ),
        (
            "Assign",
            with(
                "spec.a",
                &json!({ "assign": { "value": 1 },
                         "pathTests": [{ "subPath": "spec.[", "condition": "MustExist" }] }),
            ),
            "problem parsing sub path `spec.[` for Assign m",
        ),
        (
            "Assign",
            with(
                "spec.a",
                &json!({ "assign": { "value": 1 },
                         "pathTests": [{ "subPath": "spec.a", "condition": "Always" }] }),
            ),
            "condition \"Always\" is not MustExist or MustNotExist",
        ),
        (
            "AssignMetadata",
            json!({ "location": "metadata.name", "parameters": value }),
            "invalid location for assignmetadata m",
        ),
        (
            "AssignMetadata",
            json!({ "location": "spec.labels.a", "parameters": value }),
            "invalid location for assignmetadata m",
        ),
        (
            "AssignMetadata",
            json!({ "location": "metadata.labels.a", "parameters": { "assign": { "value": 1 } } }),
            "value field must be a string for AssignMetadata \"m\"",
        ),
        (
            "AssignMetadata",
            json!({ "location": "metadata.labels.a", "parameters": { "assign": {
                "externalData": { "provider": "p" } } } }),
            "only username data source is supported for assignmetadata m",
        ),
        (
            "AssignMetadata",
            json!({ "applyTo": pods(), "location": "metadata.labels.a", "parameters": value }),
            "spec.applyTo is not a field of AssignMetadata",
        ),
        (
            "ModifySet",
            with("spec.containers[name: foo]", &json!({})),
            "final node in a modifyset location cannot be a keyed list",
        ),
        (
            "ModifySet",
            with("spec.args", &json!({ "operation": "replace" })),
            "spec.parameters.operation \"replace\" is not merge or prune",
        ),
        (
            "ModifySet",
            with("spec.args", &json!({ "values": { "fromList": "a" } })),
            "spec.parameters.values.fromList is not a list",
        ),
        (
            "Assign",
            json!({ "applyTo": pods(), "location": "spec.x", "parameters": value,
                    "match": { "source": "Everything" } }),
            "spec.match.source \"Everything\" is not All, Original or Generated",
        ),
        (
            "Assign",
            json!({ "applyTo": pods(), "location": "spec.x", "parameters": value,
                    "match": { "labelSelector": { "matchExpressions": [
                        { "key": "a", "operator": "In" }] } } }),
            "spec.match.labelSelector.matchExpressions[0] (key \"a\") needs values",
        ),
    ];
    for (kind, spec, wanted) in cases {
        let problem = refused(kind, spec.clone());
        assert!(
            problem.contains(wanted),
            "{kind} {spec}: got {problem:?}, wanted it to contain {wanted:?}"
        );
    }

    let long = "n".repeat(64);
    let error = Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1", "kind": "Assign",
        "metadata": { "name": long }, "spec": with("spec.x", &value)
    }))
    .expect_err("a name over 63 characters is refused");
    assert_eq!(
        error.problem,
        "metadata.name: maximum name length is 63 characters"
    );
    let error = Mutator::from_value(&json!({
        "apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "Assign",
        "metadata": { "name": "m" }, "spec": with("spec.x", &value)
    }))
    .expect_err("another group is refused");
    assert!(
        error
            .problem
            .starts_with("apiVersion \"constraints.gatekeeper.sh/v1beta1\"")
    );
    let error = Mutator::from_value(&json!({
        "apiVersion": "mutations.gatekeeper.sh/v1", "kind": "Mutate",
        "metadata": { "name": "m" }
    }))
    .expect_err("an unknown kind is refused");
    assert_eq!(
        error.to_string(),
        "Mutate \"m\": kind \"Mutate\" is not a Gatekeeper mutator (Assign, AssignMetadata or \
         ModifySet)"
    );
    let error = Mutator::from_value(&json!({ "apiVersion": "mutations.gatekeeper.sh/v1",
        "kind": "Assign", "spec": with("spec.x", &value) }))
    .expect_err("a name is needed");
    assert_eq!(error.to_string(), "Assign \"\": metadata.name is missing");
}

#[test]
fn location_parser_follows_gatekeeper() {
    let object = |name: &str| Node::Object(name.into());
    let list = |field: &str, key: ListKey| {
        Node::List(ListNode {
            key_field: field.into(),
            key,
        })
    };
    let text = |value: &str| ListKey::Text(value.into());
    let good: Vec<(&str, Vec<Node>)> = vec![
        ("", vec![]),
        ("single_field", vec![object("single_field")]),
        (r#""sp\"ec""#, vec![object("sp\"ec")]),
        (
            "spec.containers[name: *].securityContext",
            vec![
                object("spec"),
                object("containers"),
                list("name", ListKey::Glob),
                object("securityContext"),
            ],
        ),
        (
            r#"spec.containers[name: "*"].securityContext"#,
            vec![
                object("spec"),
                object("containers"),
                list("name", text("*")),
                object("securityContext"),
            ],
        ),
        (
            r#"spec.containers["my key": "foo bar"]"#,
            vec![
                object("spec"),
                object("containers"),
                list("my key", text("foo bar")),
            ],
        ),
        (
            r#"spec.containers[name: ""].securityContext"#,
            vec![
                object("spec"),
                object("containers"),
                list("name", text("")),
                object("securityContext"),
            ],
        ),
        (
            r#"foo."".bar"#,
            vec![object("foo"), object(""), object("bar")],
        ),
        (
            "    spec   .    containers    ",
            vec![object("spec"), object("containers")],
        ),
        (
            "spec.containers[name: opa].ports[containerPort: 8888].name",
            vec![
                object("spec"),
                object("containers"),
                list("name", text("opa")),
                object("ports"),
                list("containerPort", ListKey::Integer(8888)),
                object("name"),
            ],
        ),
        (
            "spec[bignum: 9223372036854775807]",
            vec![object("spec"), list("bignum", ListKey::Integer(i64::MAX))],
        ),
        (
            r#"spec[quoted: "123"]"#,
            vec![object("spec"), list("quoted", text("123"))],
        ),
        (
            "spec[not_octal: 0123]",
            vec![object("spec"), list("not_octal", ListKey::Integer(123))],
        ),
        ("-123-_456_", vec![object("-123-_456_")]),
        ("area51", vec![object("area51")]),
        (r#"spec."123""#, vec![object("spec"), object("123")]),
        (
            r#"metadata.labels."a.b/c""#,
            vec![object("metadata"), object("labels"), object("a.b/c")],
        ),
        (
            r#"spec."this object"."is very"["much full": 'of everyone\'s'].'favorite thing'"#,
            vec![
                object("spec"),
                object("this object"),
                object("is very"),
                list("much full", text("of everyone's")),
                object("favorite thing"),
            ],
        ),
        (
            r#""token-with-trailing-backslash\\""#,
            vec![object(r"token-with-trailing-backslash\")],
        ),
        ("'foo[bar:*]'", vec![object("foo[bar:*]")]),
        ("'dot..dot'", vec![object("dot..dot")]),
    ];
    for (input, nodes) in good {
        let parsed = Path::parse(input).unwrap_or_else(|error| panic!("{input:?}: {error}"));
        assert_eq!(parsed.nodes, nodes, "{input:?}");
        // What a path prints reads back as the same path.
        let printed = parsed.to_string();
        assert_eq!(
            Path::parse(&printed).map(|path| path.nodes),
            Ok(nodes),
            "{input:?} printed as {printed:?}"
        );
    }
    let bad = [
        ".spec",
        "spec.",
        "spec.containers[my key: \"foo bar\"]",
        "spec.containers[key: foo bar]",
        "spec.containers[name: ].securityContext",
        "spec.containers[].securityContext",
        "spec.containers[:foo].securityContext",
        "spec.containers[foo].securityContext",
        "spec.containers[*].securityContext",
        "foo..bar",
        "[foo: bar]",
        "spec.containers[foo: bar][bar: *]",
        "spec.[foo: bar]",
        "spec.containers[123: opa]",
        "spec[bignum: 9223372036854775808]",
        "012345",
        "spec.123.bar",
        "spec[foo: 0x123]",
        "spec.foo bar",
        "*",
        "][",
        "foo[",
        ":",
        "Moo🐙",
        "spec.\"unterminated",
        "metadata.labels.a.b/c",
    ];
    for input in bad {
        assert!(Path::parse(input).is_err(), "{input:?} should be refused");
    }
    assert_eq!(
        Path::parse("spec.\"unterminated"),
        Err(
            "unexpected token: expected field name or eof, got: ERROR: \"unterminated\" \
             (unterminated string)"
                .into()
        )
    );
    assert_eq!(
        Path::parse("spec[bignum: 9223372036854775808]"),
        Err(
            "invalid integer: overflow in integer string: 9223372036854775808: parsing key \
             value for key: bignum"
                .into()
        )
    );
    assert_eq!(
        Path::parse("metadata.labels.a.b/c"),
        Err("unexpected token: expected '.' or eof, got: ERROR: \"/\" (invalid character)".into())
    );
}

/// Welkin's restricted namespaces: every container runs as non-root without privilege
/// escalation and drops all capabilities, and the Pod gets the runtime's seccomp profile.
fn welkin_mutators() -> Vec<Mutator> {
    let restricted = json!({
        "scope": "Namespaced",
        "namespaceSelector": {
            "matchLabels": { "pod-security.kubernetes.io/enforce": "restricted" }
        }
    });
    let spec = |location: &str, parameters: Value| {
        json!({ "applyTo": pods(), "match": restricted, "location": location,
                "parameters": parameters })
    };
    vec![
        // Given out of order: Gatekeeper sorts them.
        mutator(
            "ModifySet",
            "drop-all",
            spec(
                "spec.containers[name: *].securityContext.capabilities.drop",
                json!({ "operation": "merge", "values": { "fromList": ["ALL"] } }),
            ),
        ),
        mutator(
            "Assign",
            "seccomp",
            spec(
                "spec.securityContext.seccompProfile.type",
                json!({ "assign": { "value": "RuntimeDefault" } }),
            ),
        ),
        mutator(
            "Assign",
            "run-as-non-root",
            spec(
                "spec.containers[name: *].securityContext.runAsNonRoot",
                json!({ "assign": { "value": true } }),
            ),
        ),
        mutator(
            "Assign",
            "no-privilege-escalation",
            spec(
                "spec.containers[name: *].securityContext.allowPrivilegeEscalation",
                json!({ "assign": { "value": false } }),
            ),
        ),
    ]
}

fn welkin_pod(namespace: &str) -> Review {
    pod(
        namespace,
        json!({ "containers": [
            { "name": "app", "image": "nginx",
              "securityContext": { "capabilities": { "drop": ["NET_RAW"] } } },
            { "name": "sidecar", "image": "envoy" }
        ] }),
    )
}

#[test]
fn welkin_restricted_namespace_pods_are_hardened() {
    let mutators = welkin_mutators();
    let restricted = welkin_pod("shop").with_namespace_labels(labels(&[(
        "pod-security.kubernetes.io/enforce",
        "restricted",
    )]));
    let mutation = run(&mutators, &restricted);
    assert_eq!(
        mutation.object["spec"],
        json!({
            "containers": [
                { "name": "app", "image": "nginx", "securityContext": {
                    "capabilities": { "drop": ["NET_RAW", "ALL"] },
                    "runAsNonRoot": true, "allowPrivilegeEscalation": false } },
                { "name": "sidecar", "image": "envoy", "securityContext": {
                    "capabilities": { "drop": ["ALL"] },
                    "runAsNonRoot": true, "allowPrivilegeEscalation": false } }
            ],
            "securityContext": { "seccompProfile": { "type": "RuntimeDefault" } }
        })
    );
    assert_eq!(
        mutation.applied,
        [
            "Assign/no-privilege-escalation",
            "Assign/run-as-non-root",
            "Assign/seccomp",
            "ModifySet/drop-all"
        ]
    );
    assert!(mutation.not_checked.is_empty());
    assert!(mutation.conflicting.is_empty());
    // The rest of the object is untouched.
    assert_eq!(mutation.object["metadata"], restricted.object["metadata"]);

    // Not in a restricted namespace: nothing changes.
    let baseline = welkin_pod("shop").with_namespace_labels(labels(&[(
        "pod-security.kubernetes.io/enforce",
        "baseline",
    )]));
    let mutation = run(&mutators, &baseline);
    assert_eq!(mutation.object, baseline.object);
    assert!(mutation.applied.is_empty());
    assert!(mutation.not_checked.is_empty());

    // Applying again changes nothing more: the mutators converge.
    let again = Review {
        object: run(&mutators, &restricted).object,
        ..restricted.clone()
    };
    let mutation = run(&mutators, &again);
    assert_eq!(mutation.object, again.object);
    assert!(mutation.applied.is_empty());
}

#[test]
fn unknown_namespace_labels_are_reported_not_checked() {
    let mut mutators = welkin_mutators();
    // One without a namespaceSelector still applies.
    mutators.push(assign(
        "pull-always",
        "spec.containers[name: *].imagePullPolicy",
        json!({ "assign": { "value": "Always" } }),
    ));
    let review = welkin_pod("shop");
    let mutation = run(&mutators, &review);
    let ids: Vec<&str> = mutation
        .not_checked
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "Assign/no-privilege-escalation",
            "Assign/run-as-non-root",
            "Assign/seccomp",
            "ModifySet/drop-all"
        ]
    );
    assert!(
        mutation.not_checked[0]
            .1
            .contains("needs the labels of namespace \"shop\""),
        "{:?}",
        mutation.not_checked[0]
    );
    assert_eq!(mutation.applied, ["Assign/pull-always"]);
    let containers = &mutation.object["spec"]["containers"];
    assert_eq!(containers[0]["imagePullPolicy"], "Always");
    assert_eq!(containers[1]["imagePullPolicy"], "Always");
    assert_eq!(containers[1].get("securityContext"), None);
    assert!(mutation.object["spec"].get("securityContext").is_none());
}

#[test]
fn must_not_exist_keeps_a_value_already_set() {
    let defaulting = assign(
        "default-non-root",
        "spec.containers[name: *].securityContext.runAsNonRoot",
        json!({
            "assign": { "value": true },
            "pathTests": [{ "subPath": "spec.containers[name: *].securityContext.runAsNonRoot",
                            "condition": "MustNotExist" }]
        }),
    );
    let review = pod(
        "shop",
        json!({ "containers": [
            { "name": "root", "securityContext": { "runAsNonRoot": false } },
            { "name": "plain" }
        ] }),
    );
    let mutation = run(&[defaulting], &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([
            { "name": "root", "securityContext": { "runAsNonRoot": false } },
            { "name": "plain", "securityContext": { "runAsNonRoot": true } }
        ])
    );
    assert_eq!(mutation.applied, ["Assign/default-non-root"]);
}

#[test]
fn must_exist_creates_nothing_on_the_way() {
    // Gatekeeper's "no partial mutation on failed test": the missing parent is not created.
    let guarded = assign(
        "greet",
        "spec.please.greet.me",
        json!({ "assign": { "value": "hello" },
                "pathTests": [{ "subPath": "spec.please.greet", "condition": "MustExist" }] }),
    );
    let review = pod("shop", json!({ "please": {} }));
    let mutation = run(std::slice::from_ref(&guarded), &review);
    assert_eq!(mutation.object["spec"], json!({ "please": {} }));
    assert!(mutation.applied.is_empty());
    // With the parent there, the value is set.
    let review = pod("shop", json!({ "please": { "greet": {} } }));
    let mutation = run(&[guarded], &review);
    assert_eq!(
        mutation.object["spec"],
        json!({ "please": { "greet": { "me": "hello" } } })
    );
    // A sidecar that must exist is not created.
    let sidecar = assign(
        "sidecar-policy",
        "spec.containers[name: sidecar].securityContext.privileged",
        json!({ "assign": { "value": false },
                "pathTests": [{ "subPath": "spec.containers[name: sidecar]",
                                "condition": "MustExist" }] }),
    );
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let mutation = run(&[sidecar], &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([{ "name": "app" }])
    );
    // What the walk creates before a deeper test fails is dropped again: neither the object
    // `please` nor the list element `sidecar` is left behind.
    let review = pod("shop", json!({}));
    let deep = assign(
        "deep",
        "spec.please.greet.me",
        json!({ "assign": { "value": "hello" },
                "pathTests": [{ "subPath": "spec.please.greet", "condition": "MustExist" }] }),
    );
    assert_eq!(run(&[deep], &review).object["spec"], json!({}));
    let inside = assign(
        "inside",
        "spec.containers[name: sidecar].securityContext.privileged",
        json!({ "assign": { "value": false },
                "pathTests": [{ "subPath": "spec.containers[name: sidecar].securityContext",
                                "condition": "MustExist" }] }),
    );
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let mutation = run(&[inside], &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([{ "name": "app" }])
    );
    assert!(mutation.applied.is_empty());
}

#[test]
fn keyed_lists_create_their_element_and_globs_never_do() {
    let keyed = assign(
        "opa-port",
        "spec.containers[name: opa].ports[containerPort: 8888].name",
        json!({ "assign": { "value": "metrics" } }),
    );
    let globbed = assign(
        "all-ports",
        "spec.initContainers[name: *].ports[containerPort: *].protocol",
        json!({ "assign": { "value": "TCP" } }),
    );
    let review = pod(
        "shop",
        json!({ "containers": [
            { "name": "app", "ports": [{ "containerPort": 8888 }] },
            { "name": "opa", "ports": [{ "containerPort": 8888, "name": "old" },
                                       { "containerPort": 9000 }] }
        ] }),
    );
    let mutation = run(&[keyed.clone(), globbed.clone()], &review);
    assert_eq!(
        mutation.object["spec"],
        json!({ "containers": [
            { "name": "app", "ports": [{ "containerPort": 8888 }] },
            { "name": "opa", "ports": [{ "containerPort": 8888, "name": "metrics" },
                                       { "containerPort": 9000 }] }
        ] })
    );
    // No initContainers: the glob created none.
    assert_eq!(mutation.applied, ["Assign/opa-port"]);

    // The keyed element is created when missing, with its key (an integer stays one).
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let mutation = run(&[keyed, globbed], &review);
    assert_eq!(
        mutation.object["spec"],
        json!({ "containers": [
            { "name": "app" },
            { "name": "opa", "ports": [{ "containerPort": 8888, "name": "metrics" }] }
        ] })
    );
    // A string key does not select an integer one.
    let text_key = assign(
        "text-port",
        "spec.containers[name: app].ports[containerPort: \"80\"].name",
        json!({ "assign": { "value": "http" } }),
    );
    let review = pod(
        "shop",
        json!({ "containers": [{ "name": "app", "ports": [{ "containerPort": 80 }] }] }),
    );
    let mutation = run(&[text_key], &review);
    assert_eq!(
        mutation.object["spec"]["containers"][0]["ports"],
        json!([{ "containerPort": 80 }, { "containerPort": "80", "name": "http" }])
    );
}

#[test]
fn a_keyed_list_location_replaces_or_appends_the_element() {
    let sidecar = assign(
        "sidecar",
        "spec.containers[name: networking]",
        json!({ "assign": { "value": { "name": "networking", "image": "proxy:2" } } }),
    );
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let mutation = run(std::slice::from_ref(&sidecar), &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([{ "name": "app" }, { "name": "networking", "image": "proxy:2" }])
    );
    let review = pod(
        "shop",
        json!({ "containers": [{ "name": "networking", "image": "proxy:1", "args": ["-v"] }] }),
    );
    let mutation = run(&[sidecar], &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([{ "name": "networking", "image": "proxy:2" }])
    );
}

#[test]
fn globs_cover_init_and_regular_containers() {
    let mutators = [
        assign(
            "init-non-root",
            "spec.initContainers[name: *].securityContext.runAsNonRoot",
            json!({ "assign": { "value": true } }),
        ),
        assign(
            "non-root",
            "spec.containers[name: *].securityContext.runAsNonRoot",
            json!({ "assign": { "value": true } }),
        ),
    ];
    let review = pod(
        "shop",
        json!({
            "initContainers": [{ "name": "migrate" }, { "name": "warm", "securityContext": {} }],
            "containers": [{ "name": "app" }]
        }),
    );
    let mutation = run(&mutators, &review);
    let non_root = json!({ "runAsNonRoot": true });
    let spec = &mutation.object["spec"];
    assert_eq!(spec["initContainers"][0]["securityContext"], non_root);
    assert_eq!(spec["initContainers"][1]["securityContext"], non_root);
    assert_eq!(spec["containers"][0]["securityContext"], non_root);
    assert_eq!(
        mutation.applied,
        ["Assign/init-non-root", "Assign/non-root"]
    );
    // No initContainers: only the containers change.
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let mutation = run(&mutators, &review);
    assert!(mutation.object["spec"].get("initContainers").is_none());
    assert_eq!(mutation.applied, ["Assign/non-root"]);
}

#[test]
fn assign_metadata_never_overwrites() {
    let owner = mutator(
        "AssignMetadata",
        "owner",
        json!({ "location": "metadata.labels.owner",
                "parameters": { "assign": { "value": "platform" } } }),
    );
    let team = mutator(
        "AssignMetadata",
        "team",
        json!({ "location": "metadata.annotations.\"example.com/team\"",
                "parameters": { "assign": { "fromMetadata": { "field": "namespace" } } } }),
    );
    let review = pod("shop", json!({}));
    let mutation = run(&[owner.clone(), team.clone()], &review);
    assert_eq!(
        mutation.object["metadata"]["labels"],
        json!({ "app": "web", "owner": "platform" })
    );
    assert_eq!(
        mutation.object["metadata"]["annotations"],
        json!({ "example.com/team": "shop" })
    );
    assert_eq!(
        mutation.applied,
        ["AssignMetadata/owner", "AssignMetadata/team"]
    );
    // An existing label keeps its value.
    let review = Review::create(
        json!({ "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": "web-1", "namespace": "shop",
                              "labels": { "owner": "team-a" } } }),
        None,
    );
    let mutation = run(&[owner], &review);
    assert_eq!(
        mutation.object["metadata"]["labels"],
        json!({ "owner": "team-a" })
    );
    assert!(mutation.applied.is_empty());
}

#[test]
fn assign_if_is_reported_not_checked() {
    let conditional = assign(
        "restart-policy",
        "spec.restartPolicy",
        json!({ "assign": { "value": "OnFailure" }, "assignIf": { "in": ["Never"] } }),
    );
    let plain = assign(
        "dns",
        "spec.dnsPolicy",
        json!({ "assign": { "value": "None" } }),
    );
    let review = pod("shop", json!({ "restartPolicy": "Never" }));
    let mutation = run(&[conditional, plain], &review);
    assert_eq!(
        mutation.object["spec"],
        json!({ "restartPolicy": "Never", "dnsPolicy": "None" })
    );
    assert_eq!(mutation.applied, ["Assign/dns"]);
    assert_eq!(mutation.not_checked.len(), 1);
    assert_eq!(mutation.not_checked[0].0, "Assign/restart-policy");
    assert!(mutation.not_checked[0].1.contains("assignIf"));
}

#[test]
fn external_data_is_reported_not_checked() {
    let resolved = assign(
        "resolve-image",
        "spec.containers[name: *].image",
        json!({ "assign": { "externalData": { "provider": "tag-to-digest" } } }),
    );
    let review = pod(
        "shop",
        json!({ "containers": [{ "name": "app", "image": "nginx" }] }),
    );
    let mutation = run(&[resolved], &review);
    assert_eq!(mutation.object, review.object);
    assert_eq!(
        mutation.not_checked,
        [("Assign/resolve-image".to_owned(), EXTERNAL_DATA.to_owned())]
    );
    // Not reported for an object it does not apply to.
    let deployment = Review::create(
        json!({ "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": { "name": "web", "namespace": "shop" } }),
        None,
    );
    let resolved = assign(
        "resolve-image",
        "spec.containers[name: *].image",
        json!({ "assign": { "externalData": { "provider": "tag-to-digest" } } }),
    );
    assert!(run(&[resolved], &deployment).not_checked.is_empty());
}

#[test]
fn later_rounds_apply_what_earlier_mutators_made_possible() {
    // The Assign comes first (kinds sort Assign < AssignMetadata) but only matches once the
    // label AssignMetadata adds is there: Gatekeeper's second round applies it.
    let labelled = mutator(
        "Assign",
        "a-team-pull-policy",
        json!({ "applyTo": pods(), "location": "spec.containers[name: *].imagePullPolicy",
                "match": { "labelSelector": { "matchLabels": { "team": "a" } } },
                "parameters": { "assign": { "value": "Always" } } }),
    );
    let label = mutator(
        "AssignMetadata",
        "team",
        json!({ "location": "metadata.labels.team",
                "parameters": { "assign": { "value": "a" } } }),
    );
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let mutation = run(&[label, labelled], &review);
    assert_eq!(mutation.object["metadata"]["labels"]["team"], "a");
    assert_eq!(
        mutation.object["spec"]["containers"][0]["imagePullPolicy"],
        "Always"
    );
    assert_eq!(
        mutation.applied,
        ["AssignMetadata/team", "Assign/a-team-pull-policy"]
    );

    // The convergence check compares whole rounds: "a" sets a field in the element "b"
    // (re)creates, which then replaces it again in the same round, so the field is gone and the
    // round ends where it began. Gatekeeper stops there.
    let field = assign(
        "a-pull-policy",
        "spec.containers[name: sidecar].imagePullPolicy",
        json!({ "assign": { "value": "Always" },
                "pathTests": [{ "subPath": "spec.containers[name: sidecar]",
                                "condition": "MustExist" }] }),
    );
    let element = assign(
        "b-sidecar",
        "spec.containers[name: sidecar]",
        json!({ "assign": { "value": { "name": "sidecar", "image": "proxy" } } }),
    );
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let mutation = run(&[element, field], &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([{ "name": "app" }, { "name": "sidecar", "image": "proxy" }])
    );
    assert_eq!(
        mutation.applied,
        ["Assign/b-sidecar", "Assign/a-pull-policy"]
    );
}

#[test]
fn rounds_are_limited_to_one_more_than_the_mutators() {
    // A chain where each mutator waits for the next one in Gatekeeper's order: "a" for the
    // label "b" adds, "b" for the label "c" adds. Three mutators need three rounds that change
    // the object and a fourth that confirms it, Gatekeeper's limit exactly.
    let waits_for = |kind: &str, name: &str, label: &str, location: &str, value: &str| {
        let mut spec = json!({ "location": location,
                               "match": { "labelSelector": { "matchLabels": { label: "yes" } } },
                               "parameters": { "assign": { "value": value } } });
        if kind == "Assign" {
            spec["applyTo"] = pods();
        }
        mutator(kind, name, spec)
    };
    let chain = [
        waits_for("Assign", "a", "b", "spec.hostname", "chained"),
        waits_for("AssignMetadata", "b", "c", "metadata.labels.b", "yes"),
        mutator(
            "AssignMetadata",
            "c",
            json!({ "location": "metadata.labels.c",
                    "parameters": { "assign": { "value": "yes" } } }),
        ),
    ];
    let review = pod("shop", json!({}));
    let mutation = run(&chain, &review);
    assert_eq!(mutation.object["spec"]["hostname"], "chained");
    assert_eq!(
        mutation.applied,
        ["AssignMetadata/c", "AssignMetadata/b", "Assign/a"]
    );
    // One round fewer is not enough: the mutation does not converge.
    let error = mutate_within(&chain, &review, Some(3)).expect_err("needs four rounds");
    assert_eq!(
        error,
        MutationError::NotConverging {
            object: "Pod \"web-1\" in namespace \"shop\"".into(),
            rounds: 3,
            last_round: vec!["Assign/a".into()],
        }
    );
    assert_eq!(
        error.to_string(),
        "mutation not converging for Pod \"web-1\" in namespace \"shop\": the mutators still \
         changed it after 3 rounds (in the last: Assign/a)"
    );
    assert!(mutate_within(&chain, &review, Some(4)).is_ok());
}

#[test]
fn apply_to_pods_leaves_deployments_alone() {
    let mutators = [
        assign(
            "non-root",
            "spec.template.spec.containers[name: *].securityContext.runAsNonRoot",
            json!({ "assign": { "value": true } }),
        ),
        modify_set(
            "drop",
            "spec.template.spec.containers[name: *].securityContext.capabilities.drop",
            "merge",
            json!(["ALL"]),
        ),
    ];
    let deployment = Review::create(
        json!({ "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": { "name": "web", "namespace": "shop" },
                "spec": { "template": { "spec": { "containers": [{ "name": "app" }] } } } }),
        None,
    );
    let mutation = run(&mutators, &deployment);
    assert_eq!(mutation.object, deployment.object);
    assert!(mutation.applied.is_empty());
    assert!(mutation.not_checked.is_empty());
    // The same mutators for Deployments apply.
    let for_deployments = mutator(
        "Assign",
        "non-root",
        json!({ "applyTo": [{ "groups": ["apps"], "versions": ["v1"], "kinds": ["Deployment"] }],
                "location": "spec.template.spec.containers[name: *].securityContext.runAsNonRoot",
                "parameters": { "assign": { "value": true } } }),
    );
    let mutation = run(&[for_deployments], &deployment);
    assert_eq!(
        mutation.object["spec"]["template"]["spec"]["containers"][0]["securityContext"],
        json!({ "runAsNonRoot": true })
    );
    // Another version of the kind is not named by applyTo.
    let beta = Review {
        version: "v1beta1".into(),
        ..deployment.clone()
    };
    let for_deployments = mutator(
        "Assign",
        "non-root",
        json!({ "applyTo": [{ "groups": ["apps"], "versions": ["v1"], "kinds": ["Deployment"] }],
                "location": "spec.replicas", "parameters": { "assign": { "value": 2 } } }),
    );
    assert!(run(&[for_deployments], &beta).applied.is_empty());
}

#[test]
fn modify_set_merges_and_prunes() {
    let review = pod(
        "shop",
        json!({ "containers": [
            { "name": "a", "args": ["--alsologtostderr", "-v", "--alsologtostderr"] },
            { "name": "b" }
        ] }),
    );
    let prune = modify_set(
        "no-stderr",
        "spec.containers[name: *].args",
        "prune",
        json!(["--alsologtostderr"]),
    );
    let mutation = run(std::slice::from_ref(&prune), &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([{ "name": "a", "args": ["-v"] }, { "name": "b" }])
    );
    let merge = modify_set(
        "defaults",
        "spec.containers[name: *].args",
        "merge",
        json!(["-v", "--log=json", "--log=json"]),
    );
    let mutation = run(&[merge], &review);
    assert_eq!(
        mutation.object["spec"]["containers"],
        json!([
            { "name": "a", "args": ["--alsologtostderr", "-v", "--alsologtostderr", "--log=json"] },
            { "name": "b", "args": ["-v", "--log=json", "--log=json"] }
        ])
    );
    // A value that is not a list fails the whole mutation, as in Gatekeeper.
    let review = pod(
        "shop",
        json!({ "containers": [{ "name": "a", "args": "-v" }] }),
    );
    let error = mutate(&[prune], &review).expect_err("args is not a list");
    assert_eq!(
        error,
        MutationError::Failed {
            id: "ModifySet/no-stderr".into(),
            object: "Pod \"web-1\" in namespace \"shop\"".into(),
            message: "\"-v\" is not a list of values, cannot treat it as a set".into(),
        }
    );
}

#[test]
fn conflicting_schemas_apply_neither() {
    // Gatekeeper's TestSystem_EarliestConflictingMutatorWins: one reads containers as a keyed
    // list, the other as an object; a third on another field still applies.
    let mutators = [
        assign(
            "foo",
            "spec.containers[name: foo].image",
            json!({ "assign": { "value": "a" } }),
        ),
        assign(
            "foo-conflict",
            "spec.containers.image",
            json!({ "assign": { "value": "b" } }),
        ),
        assign(
            "bar",
            "spec.images[name: nginx].tag",
            json!({ "assign": { "value": "1.27" } }),
        ),
    ];
    let review = pod("shop", json!({ "containers": [{ "name": "foo" }] }));
    let mutation = run(&mutators, &review);
    assert_eq!(
        mutation.object["spec"],
        json!({ "containers": [{ "name": "foo" }],
                "images": [{ "name": "nginx", "tag": "1.27" }] })
    );
    assert_eq!(mutation.applied, ["Assign/bar"]);
    assert_eq!(mutation.conflicting, ["Assign/foo", "Assign/foo-conflict"]);
    // A list keyed by two different fields conflicts too; an Assign of the whole list and a
    // ModifySet on a field below do not.
    let keyed_twice = [
        assign(
            "a",
            "spec.ports[name: http].port",
            json!({ "assign": { "value": 80 } }),
        ),
        assign(
            "b",
            "spec.ports[containerPort: 80].name",
            json!({ "assign": { "value": "http" } }),
        ),
        assign(
            "c",
            "spec.containers[name: app]",
            json!({ "assign": { "value": { "name": "app" } } }),
        ),
        modify_set(
            "d",
            "spec.containers[name: app].args",
            "merge",
            json!(["-v"]),
        ),
    ];
    let conflicts = schema::conflicting(
        &keyed_twice
            .iter()
            .map(Mutator::schema_entry)
            .collect::<Vec<_>>(),
    );
    assert_eq!(conflicts, BTreeSet::from([0, 1]));
    // Mutators for different kinds never conflict.
    let apps = json!([{ "groups": ["apps"], "versions": ["v1"], "kinds": ["Deployment"] }]);
    let other_kind = mutator(
        "Assign",
        "other",
        json!({ "applyTo": apps, "location": "spec.containers.image",
                "parameters": { "assign": { "value": "b" } } }),
    );
    let mutation = run(&[mutators[0].clone(), other_kind], &review);
    assert_eq!(mutation.applied, ["Assign/foo"]);
    assert!(mutation.conflicting.is_empty());
}

#[test]
fn from_metadata_copies_the_name_and_namespace() {
    let mutators = [
        assign(
            "ns",
            "spec.containers[name: app].env[name: NAMESPACE].value",
            json!({ "assign": { "fromMetadata": { "field": "namespace" } } }),
        ),
        assign(
            "name",
            "spec.hostname",
            json!({ "assign": { "fromMetadata": { "field": "name" } } }),
        ),
    ];
    // The namespace the object is created in, even when its metadata has none.
    let review = Review::create(
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "web-1" },
                "spec": { "containers": [{ "name": "app" }] } }),
        Some("shop"),
    );
    let mutation = run(&mutators, &review);
    assert_eq!(
        mutation.object["spec"],
        json!({ "hostname": "web-1", "containers": [
            { "name": "app", "env": [{ "name": "NAMESPACE", "value": "shop" }] }] })
    );
    assert!(mutation.object["metadata"].get("namespace").is_none());
}

#[test]
fn a_location_that_does_not_fit_the_object_fails() {
    // Gatekeeper's TestAssignDoesNotMatchObjectStructure: containers is a list, not an object.
    let wrong = mutator(
        "Assign",
        "wrong",
        json!({ "applyTo": pods(), "location": "spec.containers.ports.protocol",
                "parameters": { "assign": { "value": "TCP" } } }),
    );
    let review = pod("shop", json!({ "containers": [{ "name": "app" }] }));
    let error = mutate(&[wrong], &review).expect_err("the shapes differ");
    let MutationError::Failed { id, message, .. } = error else {
        panic!("expected a failure, got {error:?}");
    };
    assert_eq!(id, "Assign/wrong");
    assert!(
        message.starts_with("mismatch between path entry \"ports\""),
        "{message}"
    );
    // A ModifySet without location is accepted by Gatekeeper but fails when it applies.
    let empty = mutator(
        "ModifySet",
        "empty",
        json!({ "applyTo": pods(), "parameters": { "values": { "fromList": ["a"] } } }),
    );
    let error = mutate(&[empty], &review).expect_err("an empty location fails");
    assert!(
        error
            .to_string()
            .ends_with("attempting to mutate an empty target location"),
        "{error}"
    );
}

#[test]
fn only_original_and_all_sources_apply_to_a_create() {
    let with_source = |name: &str, source: &str| {
        mutator(
            "Assign",
            name,
            json!({ "applyTo": pods(), "match": { "source": source },
                    "location": format!("spec.{name}"),
                    "parameters": { "assign": { "value": true } } }),
        )
    };
    let mutators = [
        with_source("all", "All"),
        with_source("original", "Original"),
        with_source("generated", "Generated"),
    ];
    let review = pod("shop", json!({}));
    let mutation = run(&mutators, &review);
    assert_eq!(
        mutation.object["spec"],
        json!({ "all": true, "original": true })
    );
}

#[test]
fn gatekeeper_resources_and_unmatched_objects_are_unchanged() {
    let everything = mutator(
        "AssignMetadata",
        "owner",
        json!({ "location": "metadata.labels.owner",
                "parameters": { "assign": { "value": "x" } } }),
    );
    let constraint = Review::create(
        json!({ "apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sRequiredLabels",
                "metadata": { "name": "c" } }),
        None,
    );
    let mutation = run(std::slice::from_ref(&everything), &constraint);
    assert_eq!(mutation.object, constraint.object);
    assert!(mutation.applied.is_empty());
    // The same mutator labels a ConfigMap; an excluded namespace is left alone.
    let excluded = mutator(
        "AssignMetadata",
        "owner",
        json!({ "location": "metadata.labels.owner",
                "match": { "excludedNamespaces": ["kube-*"] },
                "parameters": { "assign": { "value": "x" } } }),
    );
    let config_map = |namespace: &str| {
        Review::create(
            json!({ "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": { "name": "c", "namespace": namespace } }),
            None,
        )
    };
    let labelled = run(std::slice::from_ref(&excluded), &config_map("shop"));
    assert_eq!(
        labelled.object["metadata"]["labels"],
        json!({ "owner": "x" })
    );
    let system = config_map("kube-system");
    let untouched = run(&[excluded], &system);
    assert_eq!(untouched.object, system.object);
}

#[test]
fn the_last_of_two_mutators_with_one_id_counts() {
    let first = assign(
        "policy",
        "spec.dnsPolicy",
        json!({ "assign": { "value": "None" } }),
    );
    let second = assign(
        "policy",
        "spec.dnsPolicy",
        json!({ "assign": { "value": "Default" } }),
    );
    let review = pod("shop", json!({}));
    let mutation = run(&[first, second], &review);
    assert_eq!(mutation.object["spec"]["dnsPolicy"], "Default");
    assert_eq!(mutation.applied, ["Assign/policy"]);
}
