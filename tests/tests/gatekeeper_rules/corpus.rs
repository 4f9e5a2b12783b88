//! The objects of the preflight differential test: Pods and Deployments, good and bad, for each
//! rule of `tests/gatekeeper/preflight/`, in a namespace where every rule applies and in one that
//! some rules exclude.

use serde_json::{Value, json};

/// Where every constraint applies.
pub const DEMO: &str = "preflight-demo";
/// Excluded from `image-tags` (by a glob) and `resource-requests` (by name).
pub const EXCLUDED: &str = "preflight-excluded";
/// Where `networkpolicy-selects` applies: the NetworkPolicies of [`networkpolicies`] are here.
pub const NP: &str = "preflight-np";

/// The NetworkPolicies of [`NP`] (and one elsewhere, which selects nothing there): `web` by
/// label, `db` by an expression, `not-dev` by `NotIn`.
pub fn networkpolicies() -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: {NP}\n\
         spec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db\n  namespace: {NP}\n\
         spec:\n  podSelector:\n    matchExpressions:\n    - {{key: tier, operator: In, values: [db, cache]}}\n  \
         policyTypes: [Ingress]\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: not-dev\n  namespace: {NP}\n\
         spec:\n  podSelector:\n    matchExpressions:\n    - {{key: stage, operator: Exists}}\n    \
         - {{key: stage, operator: NotIn, values: [dev]}}\n  policyTypes: [Ingress]\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: everything\n  namespace: {DEMO}\n\
         spec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n"
    )
}

/// A good Pod in [`NP`], selected by `web` or by nothing, to wait for Gatekeeper's sync.
pub fn np_probe(selected: bool) -> Value {
    let mut pod = pod(
        "np-probe",
        NP,
        vec![container("app", &format!("{HARBOR}:1.2"), "both")],
    );
    if selected {
        pod["metadata"]["labels"] = json!({ "app": "web" });
    }
    pod
}

fn labelled(mut object: Value, labels: Value) -> Value {
    if object["kind"] == "Pod" {
        object["metadata"]["labels"] = labels;
    } else {
        object["spec"]["template"]["metadata"]["labels"] = labels;
    }
    object
}

const HARBOR: &str = "harbor.example.com/shop/web";

/// A container: `requests` is `both`, `cpu`, `none` or `limits` (limits only).
pub fn container(name: &str, image: &str, requests: &str) -> Value {
    let resources = match requests {
        "both" => json!({ "requests": { "cpu": "10m", "memory": "16Mi" } }),
        "cpu" => json!({ "requests": { "cpu": "10m" } }),
        "limits" => json!({ "limits": { "cpu": "100m", "memory": "64Mi" } }),
        _ => json!({}),
    };
    json!({ "name": name, "image": image, "resources": resources })
}

fn pod_with(name: &str, namespace: &str, containers: Vec<Value>, init: Vec<Value>) -> Value {
    let mut spec = json!({ "containers": containers });
    if !init.is_empty() {
        spec["initContainers"] = json!(init);
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": name, "namespace": namespace },
        "spec": spec
    })
}

fn pod(name: &str, namespace: &str, containers: Vec<Value>) -> Value {
    pod_with(name, namespace, containers, Vec::new())
}

/// A Deployment; `replicas: None` leaves the field out (the API server defaults it to 1).
fn deployment(
    name: &str,
    namespace: &str,
    replicas: Option<i64>,
    metadata: Value,
    containers: Vec<Value>,
) -> Value {
    let mut object = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace },
        "spec": {
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": containers }
            }
        }
    });
    if let Some(replicas) = replicas {
        object["spec"]["replicas"] = json!(replicas);
    }
    for (key, value) in metadata.as_object().into_iter().flatten() {
        object["metadata"][key] = value.clone();
    }
    object
}

/// A StatefulSet or a Job (`kind`) with one container template; a Job's Pods never restart.
fn workload(kind: &str, name: &str, containers: Vec<Value>) -> Value {
    let (api_version, mut spec) = match kind {
        "StatefulSet" => (
            "apps/v1",
            json!({ "selector": { "matchLabels": { "app": name } }, "serviceName": name, "replicas": 2 }),
        ),
        _ => ("batch/v1", json!({})),
    };
    let mut template =
        json!({ "metadata": { "labels": { "app": name } }, "spec": { "containers": containers } });
    if kind == "Job" {
        template["spec"]["restartPolicy"] = json!("Never");
    }
    spec["template"] = template;
    json!({
        "apiVersion": api_version, "kind": kind,
        "metadata": { "name": name, "namespace": DEMO },
        "spec": spec
    })
}

/// A PodDisruptionBudget for the Pods labelled `app: web`, with `budget` as its spec's one
/// field (`maxUnavailable: 0`, `minAvailable: "100%"`).
fn budget(name: &str, budget: Value) -> Value {
    let mut spec = json!({ "selector": { "matchLabels": { "app": "web" } } });
    for (key, value) in budget.as_object().into_iter().flatten() {
        spec[key] = value.clone();
    }
    json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": { "name": name, "namespace": DEMO },
        "spec": spec
    })
}

/// What every rule objects to, for waiting until all constraints are in force.
pub fn probe() -> Value {
    deployment(
        "probe",
        DEMO,
        Some(1),
        json!({}),
        vec![container("app", "nginx:latest", "none")],
    )
}

/// The corpus: (what it shows, the object).
pub fn objects() -> Vec<(&'static str, Value)> {
    let good = |name| container(name, &format!("{HARBOR}:1.2"), "both");
    let opt_out = json!({ "annotations": { "elastisys.io/ignore-minimum-replicas": "true" } });
    let not_opted = json!({ "annotations": { "elastisys.io/ignore-minimum-replicas": "false" } });
    let single = json!({ "labels": { "preflight.example/single": "yes" } });
    vec![
        ("a good Pod", pod("good", DEMO, vec![good("app")])),
        (
            "the second allowed registry",
            pod(
                "pause",
                DEMO,
                vec![container("app", "registry.k8s.io/pause:3.10", "both")],
            ),
        ),
        (
            "a :latest tag",
            pod(
                "latest",
                DEMO,
                vec![container("app", &format!("{HARBOR}:latest"), "both")],
            ),
        ),
        (
            "no tag",
            pod("untagged", DEMO, vec![container("app", HARBOR, "both")]),
        ),
        (
            "a digest instead of a tag",
            pod(
                "digest",
                DEMO,
                vec![container(
                    "app",
                    &format!("{HARBOR}@sha256:{}", "a".repeat(64)),
                    "both",
                )],
            ),
        ),
        (
            "a registry with a port and no tag",
            pod(
                "port",
                DEMO,
                vec![container("app", "harbor.example.com:5000/web", "both")],
            ),
        ),
        (
            "an untrusted registry",
            pod(
                "docker-hub",
                DEMO,
                vec![container("app", "nginx:1.27", "both")],
            ),
        ),
        (
            "no requests",
            pod(
                "no-requests",
                DEMO,
                vec![container("app", &format!("{HARBOR}:1.2"), "none")],
            ),
        ),
        (
            "a CPU request only",
            pod(
                "cpu-only",
                DEMO,
                vec![container("app", &format!("{HARBOR}:1.2"), "cpu")],
            ),
        ),
        (
            "limits only (requests defaulted from them)",
            pod(
                "limits-only",
                DEMO,
                vec![container("app", &format!("{HARBOR}:1.2"), "limits")],
            ),
        ),
        (
            "a bad init container",
            pod_with(
                "bad-init",
                DEMO,
                vec![good("app")],
                vec![container("init", "busybox:latest", "none")],
            ),
        ),
        (
            "two containers, each breaking a rule",
            pod(
                "two",
                DEMO,
                vec![
                    container("a", "quay.io/x/y:1", "both"),
                    container("b", &format!("{HARBOR}:latest"), "cpu"),
                ],
            ),
        ),
        (
            "everything wrong",
            pod("all-wrong", DEMO, vec![container("app", "nginx", "none")]),
        ),
        (
            "everything wrong, in the excluded namespace",
            pod(
                "all-wrong",
                EXCLUDED,
                vec![container("app", "nginx:latest", "none")],
            ),
        ),
        (
            "a good Pod in the excluded namespace",
            pod("good", EXCLUDED, vec![good("app")]),
        ),
        (
            "a good Deployment",
            deployment("good", DEMO, Some(3), json!({}), vec![good("app")]),
        ),
        (
            "one replica",
            deployment("one", DEMO, Some(1), json!({}), vec![good("app")]),
        ),
        (
            "replicas left out (defaulted to 1)",
            deployment("defaulted", DEMO, None, json!({}), vec![good("app")]),
        ),
        (
            "one replica, opted out",
            deployment("opted-out", DEMO, Some(1), opt_out, vec![good("app")]),
        ),
        (
            "one replica, annotation \"false\"",
            deployment("not-opted-out", DEMO, Some(1), not_opted, vec![good("app")]),
        ),
        (
            "one replica, excluded by the label selector",
            deployment("single", DEMO, Some(1), single, vec![good("app")]),
        ),
        (
            "a Deployment with :latest and no memory request",
            deployment(
                "latest",
                DEMO,
                Some(2),
                json!({}),
                vec![container("web", "nginx:latest", "cpu")],
            ),
        ),
        (
            "a Deployment from an untrusted registry",
            deployment(
                "docker-hub",
                DEMO,
                Some(2),
                json!({}),
                vec![container("web", "docker.io/library/nginx:1.27", "both")],
            ),
        ),
        (
            "a bad Deployment in the excluded namespace",
            deployment(
                "bad",
                EXCLUDED,
                Some(1),
                json!({}),
                vec![container("web", "nginx:latest", "none")],
            ),
        ),
        (
            "zero replicas",
            deployment("zero", DEMO, Some(0), json!({}), vec![good("app")]),
        ),
        (
            "a look-alike of the trusted registry",
            pod(
                "look-alike",
                DEMO,
                vec![container("app", "harbor.example.com.evil.io/x:1", "both")],
            ),
        ),
        (
            "the second registry without a tag",
            pod(
                "pause-untagged",
                DEMO,
                vec![container("app", "registry.k8s.io/pause", "both")],
            ),
        ),
        (
            "an upper-case LATEST tag",
            pod(
                "upper-latest",
                DEMO,
                vec![container("app", &format!("{HARBOR}:LATEST"), "both")],
            ),
        ),
        (
            "a tag that only starts with latest",
            pod(
                "latest-1",
                DEMO,
                vec![container("app", &format!("{HARBOR}:latest-1"), "both")],
            ),
        ),
        (
            "a tag and a digest",
            pod(
                "tag-and-digest",
                DEMO,
                vec![container(
                    "app",
                    &format!("{HARBOR}:1.2@sha256:{}", "b".repeat(64)),
                    "both",
                )],
            ),
        ),
        (
            "a memory request only",
            pod("memory-only", DEMO, {
                let mut only = container("app", &format!("{HARBOR}:1.2"), "none");
                only["resources"] = json!({ "requests": { "memory": "16Mi" } });
                vec![only]
            }),
        ),
        (
            "a CPU request and a memory limit (defaulted into a request)",
            pod("cpu-and-memory-limit", DEMO, {
                let mut mixed = container("app", &format!("{HARBOR}:1.2"), "none");
                mixed["resources"] =
                    json!({ "requests": { "cpu": "10m" }, "limits": { "memory": "32Mi" } });
                vec![mixed]
            }),
        ),
        (
            "three good containers",
            pod("three", DEMO, vec![good("a"), good("b"), good("c")]),
        ),
        (
            "an init container without requests",
            pod_with(
                "init-no-requests",
                DEMO,
                vec![good("app")],
                vec![container("init", &format!("{HARBOR}:1.2"), "none")],
            ),
        ),
        (
            "an untrusted registry in the excluded namespace (only kube-* is excluded from it)",
            pod(
                "docker-hub",
                EXCLUDED,
                vec![container("app", "nginx:1.27", "both")],
            ),
        ),
        (
            "exactly the minimum of replicas",
            deployment("two", DEMO, Some(2), json!({}), vec![good("app")]),
        ),
        (
            "the label selector's key with another value (still excluded)",
            deployment(
                "single-no",
                DEMO,
                Some(1),
                json!({ "labels": { "preflight.example/single": "no" } }),
                vec![good("app")],
            ),
        ),
        (
            "one replica in the excluded namespace",
            deployment("one", EXCLUDED, Some(1), json!({}), vec![good("app")]),
        ),
        (
            "a Deployment with one container from an untrusted registry",
            deployment(
                "mixed",
                DEMO,
                Some(2),
                json!({}),
                vec![good("app"), container("proxy", "quay.io/x/proxy:2", "both")],
            ),
        ),
        (
            "a Deployment whose init container is :latest",
            with_init(
                deployment("init-latest", DEMO, Some(2), json!({}), vec![good("app")]),
                container("init", &format!("{HARBOR}:latest"), "both"),
            ),
        ),
        (
            "a Deployment with limits only (templates are not defaulted)",
            deployment(
                "limits-only",
                DEMO,
                Some(2),
                json!({}),
                vec![container("app", &format!("{HARBOR}:1.2"), "limits")],
            ),
        ),
        (
            "one replica, annotation \"True\"",
            deployment(
                "capital-true",
                DEMO,
                Some(1),
                json!({ "annotations": { "elastisys.io/ignore-minimum-replicas": "True" } }),
                vec![good("app")],
            ),
        ),
        (
            "a Pod no NetworkPolicy selects",
            pod("unselected", NP, vec![good("app")]),
        ),
        (
            "a Pod selected by matchLabels",
            labelled(pod("web", NP, vec![good("app")]), json!({ "app": "web" })),
        ),
        (
            "a Pod selected by an In expression",
            labelled(
                pod("cache", NP, vec![good("app")]),
                json!({ "tier": "cache" }),
            ),
        ),
        (
            "a Pod with the label a NotIn expression excludes",
            labelled(pod("dev", NP, vec![good("app")]), json!({ "stage": "dev" })),
        ),
        (
            "a Pod a NotIn and an Exists expression both select",
            labelled(
                pod("prod", NP, vec![good("app")]),
                json!({ "stage": "prod" }),
            ),
        ),
        (
            "a Deployment whose Pods a NetworkPolicy selects",
            deployment("web", NP, Some(2), json!({}), vec![good("app")]),
        ),
        (
            "a Deployment whose Pods no NetworkPolicy selects",
            deployment("api", NP, Some(2), json!({}), vec![good("app")]),
        ),
        (
            "a Deployment with everything wrong",
            deployment(
                "all-wrong",
                DEMO,
                Some(1),
                json!({}),
                vec![container("app", "nginx", "none")],
            ),
        ),
        (
            "a good StatefulSet",
            workload("StatefulSet", "db", vec![good("db")]),
        ),
        (
            "a StatefulSet from Docker Hub without a tag or requests",
            workload(
                "StatefulSet",
                "cache",
                vec![container("redis", "redis", "none")],
            ),
        ),
        (
            "a good Job",
            workload("Job", "migrate", vec![good("migrate")]),
        ),
        (
            "a Job tagged :latest with CPU requests only",
            workload(
                "Job",
                "report",
                vec![container("report", &format!("{HARBOR}:latest"), "cpu")],
            ),
        ),
        (
            "a PodDisruptionBudget that allows one disruption",
            budget("one", json!({ "maxUnavailable": 1 })),
        ),
        (
            "a PodDisruptionBudget that allows none",
            budget("none", json!({ "maxUnavailable": 0 })),
        ),
        (
            "a PodDisruptionBudget that allows 0%",
            budget("none-percent", json!({ "maxUnavailable": "0%" })),
        ),
        (
            "a PodDisruptionBudget that keeps 100% available",
            budget("all", json!({ "minAvailable": "100%" })),
        ),
        (
            "a PodDisruptionBudget that keeps two available",
            budget("two", json!({ "minAvailable": 2 })),
        ),
        (
            "a ConfigMap in a namespace that names no owner",
            config_map("settings", DEMO),
        ),
        (
            "a ConfigMap in a namespace that names its owner",
            config_map("settings", NP),
        ),
    ]
}

/// A ConfigMap, which only the namespace-owner rule (reading synced Namespaces) looks at.
pub fn config_map(name: &str, namespace: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": { "name": name, "namespace": namespace },
        "data": { "LOG_LEVEL": "info" }
    })
}

/// A Deployment with `init` as its template's init container.
fn with_init(mut deployment: Value, init: Value) -> Value {
    deployment["spec"]["template"]["spec"]["initContainers"] = json!([init]);
    deployment
}
