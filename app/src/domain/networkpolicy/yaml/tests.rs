//! Unit tests of `yaml`.

use super::*;
use proptest::prelude::*;
use serde_json::json;

#[test]
fn quotes_every_yaml11_special_word() {
    for word in [
        "true",
        "True",
        "TRUE",
        "false",
        "yes",
        "Yes",
        "YES",
        "no",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "OFF",
        "y",
        "Y",
        "n",
        "N",
        "null",
        "Null",
        "~",
        "",
        "1.0",
        "0x1F",
        "1e3",
        "08",
        "010",
        "0o17",
        "1_000",
        "12:30",
        "2001-12-14",
        ".inf",
        ".nan",
        "-1",
        "+1",
        "<<",
        "=",
        "-",
        "a: b",
        "#x",
        " a",
        "a ",
        "a:b",
        "x#y",
        "@a",
        "`a",
        "'a",
        "\"a",
        "!a",
        "&a",
        "*a",
        "%a",
        "|a",
        ">a",
        "[a",
        "{a",
        "?a",
        ",a",
    ] {
        assert!(!is_plain_safe(word), "{word:?} must be quoted");
        let yaml = to_yaml(&json!({ "v": word }));
        assert!(yaml.starts_with("v: \""), "{word:?} -> {yaml}");
        assert_eq!(
            yaml11::parse(&yaml).expect("parses"),
            json!({ "v": word }),
            "{word:?}"
        );
    }
}

#[test]
fn leaves_ordinary_words_plain() {
    for word in [
        "blah",
        "TCP",
        "Ingress",
        "networking.k8s.io/v1",
        "kubernetes.io/metadata.name",
        "k8s-app",
        "kube-dns",
        "a_b",
        "yesterday",
        "online",
        "nope",
        "inf",
        "e3",
    ] {
        assert!(is_plain_safe(word), "{word:?}");
        assert_eq!(to_yaml(&json!({ "v": word })), format!("v: {word}\n"));
    }
}

#[test]
fn quotes_special_words_used_as_keys() {
    let value = json!({ "matchLabels": { "on": "yes", "n": "08" } });
    let yaml = to_yaml(&value);
    assert_eq!(yaml, "matchLabels:\n  \"n\": \"08\"\n  \"on\": \"yes\"\n");
    assert_eq!(yaml11::parse(&yaml).expect("parses"), value);
}

#[test]
fn kubectl_layout() {
    let value = json!({
        "spec": {
            "policyTypes": ["Ingress", "Egress"],
            "podSelector": {},
            "ingress": [{}],
            "egress": [{ "to": [{ "ipBlock": { "cidr": "10.0.0.0/8" } }], "ports": [{ "port": 443, "protocol": "TCP" }] }],
        },
        "kind": "NetworkPolicy",
        "apiVersion": "networking.k8s.io/v1",
    });
    let expected = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
spec:
  podSelector: {}
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - {}
  egress:
  - to:
    - ipBlock:
        cidr: \"10.0.0.0/8\"
    ports:
    - protocol: TCP
      port: 443
";
    assert_eq!(to_yaml(&value), expected);
    assert_eq!(yaml11::parse(expected).expect("parses"), value);
}

#[test]
fn label_maps_sort_alphabetically_not_by_rank() {
    let yaml = to_yaml(&json!({ "matchLabels": { "port": "a", "name": "b", "app": "c" } }));
    assert_eq!(yaml, "matchLabels:\n  app: c\n  name: b\n  port: a\n");
}

#[test]
fn escapes_control_and_non_ascii_characters() {
    let value = json!({ "v": "tab\tnl\ncr\r\u{0}é\u{85}\u{feff}😀\"\\" });
    let yaml = to_yaml(&value);
    assert!(yaml.is_ascii(), "{yaml}");
    assert_eq!(yaml.lines().count(), 1, "{yaml}");
    assert_eq!(yaml11::parse(&yaml).expect("parses"), value);
}

#[test]
fn scalars_and_empty_collections_at_top_level() {
    assert_eq!(to_yaml(&json!(null)), "null\n");
    assert_eq!(to_yaml(&json!({})), "{}\n");
    assert_eq!(to_yaml(&json!([])), "[]\n");
    assert_eq!(to_yaml(&json!([[1, 2], [[]]])), "- - 1\n  - 2\n- - []\n");
    assert_eq!(
        yaml11::parse(&to_yaml(&json!([[1, 2], [[]]]))).expect("parses"),
        json!([[1, 2], [[]]])
    );
}

/// Any JSON (integers only: the emitter writes numbers as serde_json prints them, and
/// manifests hold no floats) survives the trip through YAML 1.1.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<String>().prop_map(Value::String),
        prop::sample::select(YAML11_SPECIAL_WORDS).prop_map(|s| json!(s)),
        "[-+.0-9a-zA-Z:_ ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner.clone(), 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            prop::collection::btree_map("[a-zA-Z0-9:. -]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_json_round_trips_through_yaml11(value in arbitrary_json()) {
        let yaml = to_yaml(&value);
        prop_assert_eq!(yaml11::parse(&yaml), Ok(value), "{}", yaml);
    }
}
