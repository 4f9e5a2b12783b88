//! The NetworkPolicy a preflight fix offers for a workload's Pods, made by the NetworkPolicy
//! generator so that it reads, validates and explains itself exactly as a policy written on the
//! generator's page does.
//!
//! It selects the Pods by the labels the workload gives them (a Deployment's `selector`, else the
//! template's labels; a Pod without labels gets `app.kubernetes.io/name` in the fixed manifest),
//! lets Pods of the same namespace reach the ports its containers declare (none declared: no
//! incoming connections), and lets the Pods look up names and nothing else. That is a start a
//! person then widens on the generator's page (the ingress controller, a database elsewhere):
//! what a workload talks to is not in its manifest.

use super::pod_security::WorkloadKind;
use crate::domain::networkpolicy::{
    Label, LintConfig, Peer, PolicySpec, PolicyTypes, PortSpec, Protocol, Rule, Target, generate,
    names, yaml::to_yaml,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The label a fix gives a workload's Pods when they have none, so that a policy can select them.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";

/// The NetworkPolicy offered with a fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadPolicy {
    /// Its `metadata.name`.
    pub name: String,
    /// The policy as the generator takes it (its JSON API and its page read the same).
    pub spec: PolicySpec,
    /// The policy as YAML, ready for `kubectl apply` (without a namespace when none is known,
    /// so that it lands where the workload does).
    pub yaml: String,
    /// What it allows, in the generator's words.
    pub explanation: Vec<String>,
    /// The cluster's admission lines (`[constraint] message`) that stop once it exists: apply it
    /// before the fixed manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolves: Vec<String>,
}

/// A policy offered with a fix, and the object the cluster would hold once it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub policy: WorkloadPolicy,
    /// The policy as the API server would store it, for the rules to read (Gatekeeper's
    /// inventory); `None` without a namespace, as it lands wherever it is applied.
    pub object: Option<Value>,
}

/// The labels a workload's Pods get, by which a policy selects them: a selector's `matchLabels`
/// where the workload has one, else the template's (or the Pod's) labels.
pub fn pod_labels(object: &Value, kind: WorkloadKind) -> BTreeMap<String, String> {
    let strings = |value: Option<&Value>| -> BTreeMap<String, String> {
        value
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let template = kind.template_in(object);
    let labels = strings(template.and_then(|template| template.pointer("/metadata/labels")));
    let selector = match kind {
        WorkloadKind::Deployment
        | WorkloadKind::ReplicaSet
        | WorkloadKind::StatefulSet
        | WorkloadKind::DaemonSet => strings(object.pointer("/spec/selector/matchLabels")),
        _ => BTreeMap::new(),
    };
    // A selector the template does not carry selects nothing: the API server refuses such a
    // workload, and the template's labels are what the Pods get.
    if !selector.is_empty()
        && selector
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
    {
        selector
    } else {
        labels
    }
}

/// Gives the workload's Pods `app.kubernetes.io/name: <name>` when they carry no label at all;
/// the label added, or `None` when they had labels or the name cannot be a label value.
pub fn add_name_label(object: &mut Value, kind: WorkloadKind, name: &str) -> Option<String> {
    if !pod_labels(object, kind).is_empty() || names::label_value_error(name).is_some() {
        return None;
    }
    if name.is_empty() {
        return None;
    }
    let template = kind.template_in_mut(object)?;
    let template = template.as_object_mut()?;
    let metadata = template.entry("metadata").or_insert_with(|| json!({}));
    if !metadata.is_object() {
        *metadata = json!({});
    }
    let labels = metadata
        .as_object_mut()?
        .entry("labels")
        .or_insert_with(|| json!({}));
    if !labels.is_object() {
        *labels = json!({});
    }
    labels[NAME_LABEL] = json!(name);
    Some(format!("{NAME_LABEL}: {name}"))
}

/// The ports the containers of the pod template declare (`containerPort` with its protocol),
/// each once, in order.
fn declared_ports(object: &Value, kind: WorkloadKind) -> Vec<PortSpec> {
    let Some(spec) = kind.pod_spec_in(object) else {
        return Vec::new();
    };
    let mut ports: Vec<PortSpec> = Vec::new();
    let containers = spec
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for port in containers.flat_map(|container| {
        container
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }) {
        let Some(number) = port
            .get("containerPort")
            .and_then(Value::as_u64)
            .and_then(|number| u16::try_from(number).ok())
            .filter(|number| *number > 0)
        else {
            continue;
        };
        let protocol = match port.get("protocol").and_then(Value::as_str) {
            Some("UDP") => Protocol::Udp,
            Some("SCTP") => Protocol::Sctp,
            _ => Protocol::Tcp,
        };
        let spec = PortSpec {
            protocol,
            ..PortSpec::tcp(number)
        };
        if !ports.contains(&spec) {
            ports.push(spec);
        }
    }
    ports
}

/// The policy for the Pods of `object` (named `name`) in `namespace` (`None`: not known, the
/// policy then has no namespace), with the object it makes. `None` when the Pods carry no labels to select them by, or
/// the generator refuses them (a label it cannot write).
pub fn workload_policy(
    object: &Value,
    kind: WorkloadKind,
    name: &str,
    namespace: Option<&str>,
) -> Option<Offer> {
    let labels = pod_labels(object, kind);
    if labels.is_empty() || name.is_empty() {
        return None;
    }
    let policy_name = policy_name(name);
    let ports = declared_ports(object, kind);
    let ingress = if ports.is_empty() {
        Vec::new()
    } else {
        vec![Rule::new(
            vec![Peer::PodsInNamespace { labels: Vec::new() }],
            ports,
        )]
    };
    let spec = PolicySpec {
        name: policy_name.clone(),
        // The generator needs a namespace to check the policy; an unknown one is taken out of
        // the YAML again below.
        namespace: namespace.unwrap_or("default").to_owned(),
        target: Target::Labels {
            labels: labels
                .iter()
                .map(|(key, value)| Label::new(key.clone(), value.clone()))
                .collect(),
        },
        policy_types: PolicyTypes::BOTH,
        ingress,
        egress: Vec::new(),
        allow_dns: true,
    };
    let generated = generate(&spec, &LintConfig::default()).ok()?;
    let (yaml, object) = match namespace {
        Some(_) => (generated.yaml, Some(generated.manifest_json)),
        None => {
            let mut manifest = generated.manifest_json;
            if let Some(metadata) = manifest.get_mut("metadata").and_then(Value::as_object_mut) {
                metadata.remove("namespace");
            }
            (to_yaml(&manifest), None)
        }
    };
    let spec = PolicySpec {
        namespace: namespace.unwrap_or_default().to_owned(),
        ..spec
    };
    let policy = WorkloadPolicy {
        name: policy_name,
        spec,
        yaml,
        explanation: generated
            .explanation
            .sentences()
            .map(str::to_owned)
            .collect(),
        resolves: Vec::new(),
    };
    Some(Offer { policy, object })
}

/// `<workload>-traffic`, cut to fit a name (253 characters) without a trailing `-` or `.`.
fn policy_name(workload: &str) -> String {
    const SUFFIX: &str = "-traffic";
    let room = 253 - SUFFIX.len();
    let mut base: String = workload.chars().take(room).collect();
    while base.ends_with(['-', '.']) {
        base.pop();
    }
    format!("{base}{SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(labels: Value, selector: Value, ports: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": "shop" },
            "spec": {
                "selector": { "matchLabels": selector },
                "template": {
                    "metadata": { "labels": labels },
                    "spec": { "containers": [ { "name": "app", "image": "x:1", "ports": ports } ] }
                }
            }
        })
    }

    #[test]
    fn a_deployment_is_selected_by_its_selector_and_reached_on_its_declared_ports() {
        let object = deployment(
            json!({ "app": "shop", "tier": "web" }),
            json!({ "app": "shop" }),
            json!([{ "containerPort": 8080 }, { "containerPort": 8080 }, { "containerPort": 53, "protocol": "UDP" }]),
        );
        let Offer { policy, object } =
            workload_policy(&object, WorkloadKind::Deployment, "shop", Some("team-a"))
                .expect("a policy");
        assert_eq!(policy.name, "shop-traffic");
        assert_eq!(
            policy.spec.target,
            Target::Labels {
                labels: vec![Label::new("app", "shop")]
            }
        );
        assert!(policy.yaml.contains("namespace: team-a"), "{}", policy.yaml);
        assert!(
            policy.yaml.contains("port: 8080") && policy.yaml.contains("protocol: UDP"),
            "{}",
            policy.yaml
        );
        // DNS out, nothing else: the generator's own rule.
        assert!(policy.yaml.contains("k8s-app: kube-dns"), "{}", policy.yaml);
        assert!(!policy.explanation.is_empty());
        let object = object.expect("a namespace");
        assert_eq!(object["metadata"]["namespace"], "team-a");
        assert_eq!(object["spec"]["podSelector"]["matchLabels"]["app"], "shop");
    }

    #[test]
    fn without_declared_ports_nothing_may_come_in() {
        let object = deployment(
            json!({ "app": "shop" }),
            json!({ "app": "shop" }),
            json!([]),
        );
        let policy = workload_policy(&object, WorkloadKind::Deployment, "shop", Some("t"))
            .expect("policy")
            .policy;
        assert!(policy.spec.ingress.is_empty());
        assert!(policy.spec.policy_types.ingress);
    }

    #[test]
    fn a_selector_the_template_lacks_falls_back_to_the_template_labels() {
        let object = deployment(json!({ "app": "a" }), json!({ "app": "b" }), json!([]));
        assert_eq!(
            pod_labels(&object, WorkloadKind::Deployment),
            BTreeMap::from([("app".to_owned(), "a".to_owned())])
        );
    }

    #[test]
    fn an_unknown_namespace_is_left_out_of_the_yaml_and_the_inventory() {
        let object = deployment(
            json!({ "app": "shop" }),
            json!({ "app": "shop" }),
            json!([]),
        );
        let Offer { policy, object } =
            workload_policy(&object, WorkloadKind::Deployment, "shop", None).expect("policy");
        assert!(!policy.yaml.contains("namespace:"), "{}", policy.yaml);
        assert_eq!(policy.spec.namespace, "");
        assert_eq!(object, None);
    }

    #[test]
    fn a_pod_without_labels_gets_its_name_as_a_label_and_then_a_policy() {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "blah" },
            "spec": { "containers": [ { "name": "blah", "image": "x:1" } ] }
        });
        assert_eq!(workload_policy(&pod, WorkloadKind::Pod, "blah", None), None);
        assert_eq!(
            add_name_label(&mut pod, WorkloadKind::Pod, "blah").as_deref(),
            Some("app.kubernetes.io/name: blah")
        );
        assert_eq!(pod["metadata"]["labels"][NAME_LABEL], "blah");
        // Labelled now: nothing more is added.
        assert_eq!(add_name_label(&mut pod, WorkloadKind::Pod, "blah"), None);
        assert!(workload_policy(&pod, WorkloadKind::Pod, "blah", Some("t")).is_some());
    }

    #[test]
    fn a_cronjob_is_labelled_in_its_jobs_pod_template() {
        let mut cronjob = json!({
            "apiVersion": "batch/v1", "kind": "CronJob", "metadata": { "name": "nightly" },
            "spec": { "jobTemplate": { "spec": { "template": { "spec": { "containers": [] } } } } }
        });
        add_name_label(&mut cronjob, WorkloadKind::CronJob, "nightly").expect("added");
        assert_eq!(
            cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"][NAME_LABEL],
            "nightly"
        );
    }

    #[test]
    fn a_name_that_cannot_be_a_label_value_gets_no_label_and_a_long_one_a_short_policy_name() {
        let long = "a".repeat(70);
        let mut pod =
            json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": long }, "spec": {} });
        assert_eq!(add_name_label(&mut pod, WorkloadKind::Pod, &long), None);
        let name = policy_name(&format!("{}-", "b".repeat(250)));
        assert!(name.len() <= 253 && name.ends_with("b-traffic"), "{name}");
    }

    #[test]
    fn labels_the_generator_refuses_give_no_policy() {
        let object = deployment(
            json!({ "bad key!": "x" }),
            json!({ "bad key!": "x" }),
            json!([]),
        );
        assert_eq!(
            workload_policy(&object, WorkloadKind::Deployment, "shop", Some("t")),
            None
        );
    }
}
