//! Unit tests of `model`.

use super::*;
use serde_json::json;

/// The example in the module documentation, kept in sync by this test.
const DOC_EXAMPLE: &str = r#"{
      "name": "blah",
      "namespace": "demo",
      "target": { "kind": "kubectlRun", "name": "blah" },
      "policyTypes": { "ingress": true, "egress": true },
      "ingress": [
        {
          "peers": [
            { "kind": "podsInNamespaces",
              "namespace": { "kind": "byName", "name": "ingress-nginx" },
              "podLabels": [ { "key": "app.kubernetes.io/name", "value": "ingress-nginx" } ] },
            { "kind": "podsInNamespace", "labels": [ { "key": "app", "value": "web" } ] }
          ],
          "ports": [ { "protocol": "TCP", "port": 8080 } ]
        }
      ],
      "egress": [
        { "peers": [ { "kind": "ipBlock", "cidr": "203.0.113.0/24", "except": ["203.0.113.5/32"] } ],
          "ports": [ { "protocol": "TCP", "port": 443 }, { "port": "https" },
                     { "protocol": "UDP", "port": 30000, "endPort": 30100 } ] }
      ],
      "allowDns": true
    }"#;

#[test]
fn documented_example_deserializes() {
    let spec: PolicySpec = serde_json::from_str(DOC_EXAMPLE).expect("doc example");
    assert_eq!(
        spec.target,
        Target::KubectlRun {
            name: "blah".into()
        }
    );
    assert_eq!(
        spec.ingress[0].peers[0],
        Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByName {
                name: "ingress-nginx".into()
            },
            pod_labels: vec![Label::new("app.kubernetes.io/name", "ingress-nginx")],
        }
    );
    assert_eq!(
        spec.egress[0].ports,
        vec![
            PortSpec::tcp(443),
            PortSpec {
                protocol: Protocol::Tcp,
                port: Port::Named("https".into()),
                end_port: None
            },
            PortSpec {
                protocol: Protocol::Udp,
                port: Port::Number(30000),
                end_port: Some(30100)
            },
        ]
    );
    // And serializes back to the same JSON.
    let again: PolicySpec =
        serde_json::from_value(serde_json::to_value(&spec).expect("serializes"))
            .expect("round trip");
    assert_eq!(again, spec);
}

#[test]
fn defaults_apply_to_omitted_fields() {
    let spec: PolicySpec = serde_json::from_value(json!({
        "name": "p", "namespace": "demo",
        "target": { "kind": "allPods" },
        "policyTypes": { "egress": true },
    }))
    .expect("minimal spec");
    assert!(spec.allow_dns, "allowDns defaults to true");
    assert!(spec.ingress.is_empty() && spec.egress.is_empty());
    assert_eq!(spec.policy_types, PolicyTypes::EGRESS);

    let port: PortSpec = serde_json::from_value(json!({ "port": 53 })).expect("port");
    assert_eq!(port, PortSpec::tcp(53));
}

#[test]
fn serialized_shape_uses_kind_tags_and_camel_case() {
    let peer = Peer::PodsInNamespaces {
        namespace: NamespaceSelection::ByLabels { labels: vec![] },
        pod_labels: vec![Label::new("a", "b")],
    };
    assert_eq!(
        serde_json::to_value(&peer).expect("serializes"),
        json!({
            "kind": "podsInNamespaces",
            "namespace": { "kind": "byLabels", "labels": [] },
            "podLabels": [{ "key": "a", "value": "b" }],
        })
    );
    assert_eq!(
        serde_json::to_value(Peer::Anywhere {}).expect("serializes"),
        json!({ "kind": "anywhere" })
    );
    assert_eq!(
        serde_json::to_value(Target::AllPods {}).expect("serializes"),
        json!({ "kind": "allPods" })
    );
}

#[test]
fn refuses_unknown_fields_and_kinds() {
    let refused = [
        json!({ "kind": "ipBlock", "cidr": "10.0.0.0/8", "exceptt": [] }),
        json!({ "kind": "namespaceByName", "name": "a", "labels": [] }),
        json!({ "kind": "everywhere" }),
        json!({ "cidr": "10.0.0.0/8" }),
        json!({ "kind": "podsInNamespace" }),
        json!({ "kind": "anywhere", "cidr": "10.0.0.0/8" }),
    ];
    assert!(serde_json::from_value::<Target>(json!({ "kind": "allPods", "labels": [] })).is_err());
    for value in refused {
        assert!(
            serde_json::from_value::<Peer>(value.clone()).is_err(),
            "{value}"
        );
    }
    assert!(
        serde_json::from_value::<PortSpec>(json!({ "port": 80, "protocol": "tcp" })).is_err(),
        "protocols are upper case, as in Kubernetes"
    );
    assert!(serde_json::from_value::<PortSpec>(json!({ "port": 70000 })).is_err());
    assert!(serde_json::from_value::<PortSpec>(json!({ "port": -1 })).is_err());
    assert!(
        serde_json::from_value::<Rule>(json!({ "from": [] })).is_err(),
        "Kubernetes field names are not this model's"
    );
}
