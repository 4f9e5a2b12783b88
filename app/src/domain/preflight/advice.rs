//! The portal's own knowledge of the platform, for what the cluster has no rule about: images
//! from the platform's registry, a fixed tag, CPU and memory requests, and a NetworkPolicy that
//! selects the Pods and lets something through.
//!
//! A Welkin environment sets each of its rules to deny, warn or dry-run as it likes, or leaves it
//! out; where none of the cluster's rules covered a concern for an object, this says what the
//! platform expects, as advice: admission will not say it, and the verdict does not change. The
//! NetworkPolicy advice is given whatever the rules say, because a Pod that a namespace-wide
//! deny-all selects passes the "selected by a NetworkPolicy" rule and still gets no traffic:
//! its connections time out, silently.

use super::pod_security::WorkloadKind;
use super::rules::RuleFinding;
use crate::domain::traffic::{Direction, Isolation, PodInfo, TrafficModel};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the portal knows of the platform, from its configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    /// Image prefixes of the platform's registry (`harbor.example.com/`); none: not known.
    pub allowed_registries: Vec<String>,
}

/// One piece of advice about an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advice {
    /// Stable: `portal/registry`, `portal/tag`, `portal/requests`, `portal/networkpolicy`.
    pub id: String,
    /// What is the matter, about this object.
    pub message: String,
    /// Why the platform cares.
    pub reason: String,
    /// The FAQ entry that explains it.
    pub faq: String,
}

/// What a concern of the advice is, to know which of the cluster's rules cover it (the names
/// Gatekeeper's library and Welkin give them, as [`super::rules::faq_slug`] reads them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Concern {
    Registry,
    Tag,
    Requests,
}

fn concern_of(kind: &str) -> Option<Concern> {
    let kind = kind.to_ascii_lowercase();
    if kind.contains("repo") || kind.contains("registr") {
        Some(Concern::Registry)
    } else if kind.contains("tag") {
        Some(Concern::Tag)
    } else if kind.contains("request") || kind.contains("resource") {
        Some(Concern::Requests)
    } else {
        None
    }
}

/// The NetworkPolicies of the namespace the object goes to, read for the advice.
#[derive(Debug, Clone, Copy)]
pub struct Policies<'a> {
    pub namespace: &'a str,
    pub policies: &'a [NetworkPolicy],
}

/// The advice for `object` (a Pod or a workload of `kind`), given the cluster's rules that
/// applied to it or its Pods (`findings`) and, when known, its namespace's NetworkPolicies.
pub fn advise(
    object: &Value,
    kind: WorkloadKind,
    findings: &[RuleFinding],
    platform: &Platform,
    policies: Option<Policies<'_>>,
) -> Vec<Advice> {
    let covered = |concern| {
        findings
            .iter()
            .any(|finding| concern_of(&finding.kind) == Some(concern))
    };
    let containers = containers(object, kind);
    let mut advice = Vec::new();
    let faq = |slug: &str| slug.to_owned();
    if !platform.allowed_registries.is_empty() && !covered(Concern::Registry) {
        for (name, image) in &containers {
            let Some(image) = image else { continue };
            if !platform
                .allowed_registries
                .iter()
                .any(|prefix| image.starts_with(prefix.as_str()))
            {
                advice.push(Advice {
                    id: "portal/registry".into(),
                    message: format!(
                        "Container \"{name}\" pulls {image}, which is not from the platform's registry ({}).",
                        platform.allowed_registries.join(", ")
                    ),
                    reason: "Images from the platform's registry are scanned for known vulnerabilities; push it there and pull it from there.".into(),
                    faq: faq("push-image-to-harbor"),
                });
            }
        }
    }
    if !covered(Concern::Tag) {
        for (name, image) in &containers {
            let Some(image) = image else { continue };
            let tag = tag_of(image);
            let words = match tag {
                _ if image.contains('@') => continue,
                None => "has no tag, which means :latest",
                Some("latest") => "is tagged :latest",
                Some(_) => continue,
            };
            advice.push(Advice {
                id: "portal/tag".into(),
                message: format!("Container \"{name}\" runs {image}, which {words}."),
                reason: "A fixed tag makes every rollout and rollback run the same code; with :latest, two Pods of one Deployment may run different images.".into(),
                faq: faq("cluster-rules"),
            });
        }
    }
    if !covered(Concern::Requests) {
        for (name, missing) in missing_requests(object, kind) {
            advice.push(Advice {
                id: "portal/requests".into(),
                message: format!(
                    "Container \"{name}\" sets no {} request.",
                    missing.join(" or ")
                ),
                reason: "The scheduler places Pods by their requests; without them a Pod may land on a full node and be the first evicted.".into(),
                faq: faq("cluster-rules"),
            });
        }
    }
    if let Some(policies) = policies {
        advice.extend(network_advice(object, kind, policies));
    }
    advice
}

/// Each container's name and image, init containers first.
fn containers(object: &Value, kind: WorkloadKind) -> Vec<(String, Option<String>)> {
    let Some(spec) = kind.pod_spec_in(object) else {
        return Vec::new();
    };
    ["initContainers", "containers"]
        .iter()
        .filter_map(|list| spec.get(*list).and_then(Value::as_array))
        .flatten()
        .map(|container| {
            (
                container
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                container
                    .get("image")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
        })
        .collect()
}

/// The tag of an image reference: after the last `:` that follows the last `/` (so a
/// registry's port is not one), before any digest.
fn tag_of(image: &str) -> Option<&str> {
    let name = image.split_once('@').map_or(image, |(name, _)| name);
    let last_slash = name.rfind('/').map_or(0, |at| at + 1);
    name[last_slash..]
        .rfind(':')
        .map(|colon| &name[last_slash + colon + 1..])
}

/// Containers without a CPU or a memory request (a limit counts: the API server copies it).
fn missing_requests(object: &Value, kind: WorkloadKind) -> Vec<(String, Vec<&'static str>)> {
    let Some(spec) = kind.pod_spec_in(object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for container in ["initContainers", "containers"]
        .iter()
        .filter_map(|list| spec.get(*list).and_then(Value::as_array))
        .flatten()
    {
        let set = |resource: &str| {
            ["requests", "limits"].iter().any(|field| {
                container
                    .pointer(&format!("/resources/{field}/{resource}"))
                    .is_some_and(|value| !value.is_null())
            })
        };
        let missing: Vec<&'static str> = ["cpu", "memory"]
            .into_iter()
            .filter(|resource| !set(resource))
            .collect();
        if !missing.is_empty() {
            let name = container
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            out.push((name, missing));
        }
    }
    out
}

/// Whether the namespace's policies select the Pods, and whether one that does lets anything
/// through.
fn network_advice(object: &Value, kind: WorkloadKind, policies: Policies<'_>) -> Vec<Advice> {
    let labels = super::network::pod_labels(object, kind);
    let pod = PodInfo {
        namespace: policies.namespace.to_owned(),
        name: String::new(),
        labels,
        ports: Vec::new(),
    };
    let model = TrafficModel::new(policies.policies, [], []);
    let isolation: Isolation = model.isolation(&pod);
    if !isolation.selected() {
        return vec![Advice {
            id: "portal/networkpolicy".into(),
            message: format!(
                "No NetworkPolicy of {} selects its Pods: they accept connections from anywhere and reach anything.",
                policies.namespace
            ),
            reason:
                "Someone should decide what a Pod may talk to; the NetworkPolicy below is a start."
                    .into(),
            faq: "deny-all-silent-timeouts".into(),
        }];
    }
    let mut advice = Vec::new();
    for (direction, words) in [
        (Direction::Ingress, "nothing may connect to them"),
        (
            Direction::Egress,
            "they may connect to nothing, DNS included",
        ),
    ] {
        let blocking = isolation.blocking(direction);
        if blocking.is_empty() {
            continue;
        }
        let names: Vec<String> = blocking
            .iter()
            .map(|policy| format!("\"{}\"", policy.name))
            .collect();
        advice.push(Advice {
            id: "portal/networkpolicy".into(),
            message: format!(
                "Its Pods are selected, yet blocked: only {} select{} them for {}, with no rule, so {words}. Connections time out without an error.",
                names.join(" and "),
                if names.len() == 1 { "s" } else { "" },
                direction.as_str().to_ascii_lowercase(),
            ),
            reason: "A namespace-wide deny-all satisfies the \"selected by a NetworkPolicy\" rule for every Pod; what is not allowed next to it is dropped silently.".into(),
            faq: "deny-all-silent-timeouts".into(),
        });
    }
    advice
}

/// The policies of `namespace` among watched objects, read as the traffic engine reads them;
/// one that does not read is left out.
pub fn policies_of(objects: &[Value], namespace: &str) -> Vec<NetworkPolicy> {
    objects
        .iter()
        .filter(|object| object.pointer("/metadata/namespace") == Some(&Value::from(namespace)))
        .filter_map(|object| serde_json::from_value(object.clone()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::preflight::rules::{RuleAction, RuleOutcome};
    use serde_json::json;

    fn deployment(image: &str, resources: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "shop"}}, "template": {
                "metadata": {"labels": {"app": "shop"}},
                "spec": {"containers": [{"name": "web", "image": image, "resources": resources}]}}}
        })
    }

    fn platform() -> Platform {
        Platform {
            allowed_registries: vec!["harbor.example.com/".into()],
        }
    }

    fn ids(advice: &[Advice]) -> Vec<&str> {
        advice.iter().map(|advice| advice.id.as_str()).collect()
    }

    #[test]
    fn without_rules_the_platform_expectations_are_advice() {
        let advice = advise(
            &deployment("nginx", json!({})),
            WorkloadKind::Deployment,
            &[],
            &platform(),
            None,
        );
        assert_eq!(
            ids(&advice),
            ["portal/registry", "portal/tag", "portal/requests"]
        );
        assert!(advice[1].message.contains("has no tag"), "{advice:#?}");
        assert!(advice[2].message.contains("no cpu or memory request"));
        let good = advise(
            &deployment(
                "harbor.example.com/shop/web:1.2",
                json!({"limits": {"cpu": "1", "memory": "1Gi"}}),
            ),
            WorkloadKind::Deployment,
            &[],
            &platform(),
            None,
        );
        assert!(good.is_empty(), "{good:#?}");
    }

    #[test]
    fn a_rule_of_the_cluster_that_covers_a_concern_silences_its_advice() {
        let finding = |kind: &str| RuleFinding {
            id: format!("gatekeeper/{kind}/x"),
            kind: kind.into(),
            name: "x".into(),
            action: RuleAction::Dryrun,
            outcome: RuleOutcome::Passes,
        };
        let advice = advise(
            &deployment("nginx:latest", json!({})),
            WorkloadKind::Deployment,
            &[finding("K8sAllowedRepos"), finding("K8sDisallowedTags")],
            &platform(),
            None,
        );
        assert_eq!(ids(&advice), ["portal/requests"]);
        // No registry configured: nothing to say about registries.
        let advice = advise(
            &deployment(
                "nginx:1.27",
                json!({"requests": {"cpu": "1", "memory": "1Gi"}}),
            ),
            WorkloadKind::Deployment,
            &[],
            &Platform::default(),
            None,
        );
        assert!(advice.is_empty(), "{advice:#?}");
    }

    #[test]
    fn tags_are_read_past_a_registry_port_and_a_digest_is_fixed() {
        assert_eq!(tag_of("harbor.example.com:5000/shop/web"), None);
        assert_eq!(tag_of("harbor.example.com:5000/shop/web:1.2"), Some("1.2"));
        assert_eq!(tag_of("nginx:latest"), Some("latest"));
        let advice = advise(
            &deployment(
                "nginx@sha256:abc",
                json!({"requests": {"cpu": "1", "memory": "1"}}),
            ),
            WorkloadKind::Deployment,
            &[],
            &Platform::default(),
            None,
        );
        assert!(advice.is_empty(), "{advice:#?}");
    }

    fn policy(name: &str, spec: Value) -> NetworkPolicy {
        serde_json::from_value(json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec
        }))
        .expect("a policy")
    }

    fn network(policies: &[NetworkPolicy]) -> Vec<Advice> {
        advise(
            &deployment(
                "harbor.example.com/shop/web:1.2",
                json!({"requests": {"cpu": "1", "memory": "1"}}),
            ),
            WorkloadKind::Deployment,
            &[],
            &platform(),
            Some(Policies {
                namespace: "shop",
                policies,
            }),
        )
    }

    #[test]
    fn a_namespace_wide_deny_all_selects_the_pods_yet_blocks_them() {
        let deny_all = policy(
            "deny-all",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        );
        let advice = network(std::slice::from_ref(&deny_all));
        assert_eq!(
            ids(&advice),
            ["portal/networkpolicy", "portal/networkpolicy"]
        );
        assert!(
            advice[0].message.contains("selected, yet blocked")
                && advice[0].message.contains("\"deny-all\"")
                && advice[0].message.contains("for ingress"),
            "{advice:#?}"
        );
        assert!(advice[1].message.contains("DNS included"), "{advice:#?}");
        // DNS allowed out and the ingress controller in: nothing blocked outright.
        let dns = policy(
            "dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}),
        );
        let web = policy(
            "web",
            json!({"podSelector": {"matchLabels": {"app": "shop"}}, "policyTypes": ["Ingress"],
                   "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
        );
        assert!(network(&[deny_all.clone(), dns, web]).is_empty());
        // Policies in another namespace, or for other Pods, do not select them.
        let other = policy(
            "other",
            json!({"podSelector": {"matchLabels": {"app": "blog"}}, "policyTypes": ["Ingress"]}),
        );
        let advice = network(&[other]);
        assert!(
            advice[0].message.starts_with("No NetworkPolicy of shop"),
            "{advice:#?}"
        );
    }

    #[test]
    fn watched_policies_of_one_namespace_are_read_and_broken_ones_left_out() {
        let objects = [
            json!({"metadata": {"name": "a", "namespace": "shop"}, "spec": {"podSelector": {}}}),
            json!({"metadata": {"name": "b", "namespace": "blog"}, "spec": {"podSelector": {}}}),
            json!({"metadata": {"name": "c", "namespace": "shop"}, "spec": "not a spec"}),
        ];
        let read = policies_of(&objects, "shop");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].metadata.name.as_deref(), Some("a"));
    }
}
