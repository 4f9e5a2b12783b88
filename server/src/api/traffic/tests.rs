//! The traffic check's body: its shape agrees with serde on the bodies the HTTP tests send, and
//! reports every problem at once, down into the NetworkPolicy objects.

use super::*;
use app::domain::json_shape::disagreement;
use serde_json::{Value, json};

fn fixture() -> Value {
    json!({
        "connection": {
            "source": { "kind": "pod", "namespace": "team-a-shop", "name": "web" },
            "destination": { "kind": "pod", "namespace": "team-a-shop", "name": "api" },
            "port": "http" },
        "networkPolicies": [ { "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": { "name": "default-deny", "namespace": "team-a-shop" },
            "spec": { "podSelector": {}, "policyTypes": ["Ingress", "Egress"] } } ],
        "namespaces": [ { "name": "team-a-shop" }, { "name": "kube-system" } ],
        "pods": [
            { "namespace": "team-a-shop", "name": "web", "labels": { "app": "web" },
              "ports": [{ "name": "http", "number": 8080 }] },
            { "namespace": "kube-system", "name": "coredns", "labels": { "k8s-app": "kube-dns" },
              "ports": [{ "name": "dns", "number": 53, "protocol": "UDP" },
                        { "name": "dns-tcp", "number": 53 }] } ]
    })
}

#[test]
fn the_shape_agrees_with_serde_on_the_test_bodies() {
    let mut bodies = vec![fixture()];
    let mut unknown = fixture();
    unknown["namespaceName"] = json!("team-a-shop");
    bodies.push(unknown);
    let mut bad_protocol = fixture();
    bad_protocol["connection"]["protocol"] = json!("ICMP");
    bodies.push(bad_protocol);
    let mut no_connection = fixture();
    no_connection
        .as_object_mut()
        .expect("object")
        .remove("connection");
    bodies.push(no_connection);
    let mut to_ip = fixture();
    to_ip["connection"]["destination"] = json!({ "kind": "ip", "address": "10.0.0.7" });
    to_ip["connection"]["port"] = json!(443);
    bodies.push(to_ip);
    let mut null_policies = fixture();
    null_policies["networkPolicies"] = json!(null);
    bodies.push(null_policies);
    for body in &bodies {
        assert_eq!(
            disagreement::<CheckRequest>(&CheckRequest::json_shape(), body),
            None
        );
    }
}

#[test]
fn every_problem_of_a_check_is_reported_at_once() {
    let mut body = fixture();
    body["connection"]["protocol"] = json!("ICMP");
    body["connection"]["port"] = json!(70000);
    body["networkPolicies"][0]["spec"]["ingress"] =
        json!([ { "ports": [ { "port": 80 }, { "port": 3000000000_u64 } ] } ]);
    body["pods"][1]["ports"][0]["number"] = json!("53");
    let problems = CheckRequest::json_shape().problems(&body);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "connection.protocol",
            "connection.port",
            "networkPolicies[0].spec.ingress[0].ports[1].port",
            "pods[1].ports[0].number",
        ],
        "{problems:#?}"
    );
}
