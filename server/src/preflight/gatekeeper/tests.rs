//! Unit tests: reading templates and constraints, Gatekeeper's match semantics, evaluation, and
//! templates the embedded interpreter refuses (reported as not checked, never as passed).

use super::*;
use serde_json::json;
use std::collections::BTreeMap;

fn pod(namespace: &str, labels: Value) -> Review {
    Review::create(
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": "web-1", "namespace": namespace, "labels": labels },
            "spec": { "containers": [{ "name": "app", "image": "nginx" }] }
        }),
        None,
    )
}

fn matching(spec: Value) -> Match {
    Match::from_value(&spec).expect("a valid match")
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

#[test]
fn kinds_empty_matches_all_and_groups_must_agree() {
    let review = pod("shop", json!({}));
    assert_eq!(matching(json!({})).applies_to(&review), Ok(true));
    assert_eq!(
        matching(json!({ "kinds": [] })).applies_to(&review),
        Ok(true)
    );
    let core_pods = json!({ "kinds": [{ "apiGroups": [""], "kinds": ["Pod"] }] });
    assert_eq!(matching(core_pods).applies_to(&review), Ok(true));
    let apps_pods = json!({ "kinds": [{ "apiGroups": ["apps"], "kinds": ["Pod"] }] });
    assert_eq!(matching(apps_pods).applies_to(&review), Ok(false));
    let any_group = json!({ "kinds": [{ "apiGroups": ["*"], "kinds": ["Deployment", "Pod"] }] });
    assert_eq!(matching(any_group).applies_to(&review), Ok(true));
    let deployments = json!({ "kinds": [{ "apiGroups": ["apps"], "kinds": ["Deployment"] }] });
    assert_eq!(matching(deployments).applies_to(&review), Ok(false));
}

#[test]
fn namespaces_and_exclusions_take_globs() {
    assert!(matching::glob_matches("kube-*", "kube-system"));
    assert!(matching::glob_matches("*-system", "gatekeeper-system"));
    assert!(matching::glob_matches("*sys*", "kube-system"));
    assert!(matching::glob_matches("*", "anything"));
    assert!(!matching::glob_matches("kube-*", "my-kube-app"));
    assert!(!matching::glob_matches("shop", "shop-2"));

    let excluded = matching(json!({ "excludedNamespaces": ["kube-*", "monitoring"] }));
    assert_eq!(
        excluded.applies_to(&pod("kube-system", json!({}))),
        Ok(false)
    );
    assert_eq!(
        excluded.applies_to(&pod("monitoring", json!({}))),
        Ok(false)
    );
    assert_eq!(excluded.applies_to(&pod("shop", json!({}))), Ok(true));
    let only = matching(json!({ "namespaces": ["team-a-*"] }));
    assert_eq!(only.applies_to(&pod("team-a-shop", json!({}))), Ok(true));
    assert_eq!(only.applies_to(&pod("team-b-shop", json!({}))), Ok(false));
    // A cluster-scoped object is neither selected nor excluded by namespace lists.
    let node = Review::create(
        json!({ "apiVersion": "v1", "kind": "Node", "metadata": { "name": "n1" } }),
        None,
    );
    assert_eq!(only.applies_to(&node), Ok(true));
    // A Namespace is judged by its own name.
    let namespace = Review::create(
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "kube-x" } }),
        None,
    );
    assert_eq!(excluded.applies_to(&namespace), Ok(false));
}

#[test]
fn label_selectors_follow_kubernetes() {
    let selector = matching(json!({ "labelSelector": {
        "matchLabels": { "app": "web" },
        "matchExpressions": [
            { "key": "tier", "operator": "In", "values": ["front", "edge"] },
            { "key": "legacy", "operator": "DoesNotExist" },
            { "key": "env", "operator": "NotIn", "values": ["dev"] }
        ]
    }}));
    let review = |labels: Value| pod("shop", labels);
    assert_eq!(
        selector.applies_to(&review(json!({ "app": "web", "tier": "front" }))),
        Ok(true)
    );
    let prod = json!({ "app": "web", "tier": "edge", "env": "prod" });
    assert_eq!(selector.applies_to(&review(prod)), Ok(true));
    let dev = json!({ "app": "web", "tier": "edge", "env": "dev" });
    assert_eq!(selector.applies_to(&review(dev)), Ok(false));
    let legacy = json!({ "app": "web", "tier": "front", "legacy": "yes" });
    assert_eq!(selector.applies_to(&review(legacy)), Ok(false));
    assert_eq!(
        selector.applies_to(&review(json!({ "app": "web" }))),
        Ok(false)
    );
    assert_eq!(
        selector.applies_to(&review(json!({ "tier": "front" }))),
        Ok(false)
    );
    // An empty selector selects everything.
    assert_eq!(
        matching(json!({ "labelSelector": {} })).applies_to(&review(json!({}))),
        Ok(true)
    );
    // What Kubernetes refuses in a selector is refused here too.
    let invalid =
        json!({ "labelSelector": { "matchExpressions": [{ "key": "a", "operator": "In" }] } });
    assert!(
        Match::from_value(&invalid)
            .unwrap_err()
            .contains("needs values")
    );
    let unknown =
        json!({ "labelSelector": { "matchExpressions": [{ "key": "a", "operator": "Gt" }] } });
    assert!(Match::from_value(&unknown).is_err());
}

#[test]
fn namespace_selector_needs_the_namespace_labels() {
    let selector =
        matching(json!({ "namespaceSelector": { "matchLabels": { "owner": "operator" } } }));
    let review = pod("shop", json!({}));
    assert!(selector.applies_to(&review).is_err());
    let operator = review
        .clone()
        .with_namespace_labels(labels(&[("owner", "operator")]));
    assert_eq!(selector.applies_to(&operator), Ok(true));
    let team = review.with_namespace_labels(labels(&[("owner", "team-a")]));
    assert_eq!(selector.applies_to(&team), Ok(false));
}

#[test]
fn scope_and_name() {
    let review = pod("shop", json!({}));
    assert_eq!(
        matching(json!({ "scope": "Namespaced" })).applies_to(&review),
        Ok(true)
    );
    assert_eq!(
        matching(json!({ "scope": "Cluster" })).applies_to(&review),
        Ok(false)
    );
    assert_eq!(
        matching(json!({ "scope": "*" })).applies_to(&review),
        Ok(true)
    );
    assert_eq!(
        matching(json!({ "name": "web-*" })).applies_to(&review),
        Ok(true)
    );
    assert_eq!(
        matching(json!({ "name": "db-*" })).applies_to(&review),
        Ok(false)
    );
}

fn template(kind: &str, rego: &str) -> ConstraintTemplate {
    ConstraintTemplate::from_value(&json!({
        "apiVersion": "templates.gatekeeper.sh/v1", "kind": "ConstraintTemplate",
        "metadata": { "name": kind.to_ascii_lowercase() },
        "spec": { "crd": { "spec": { "names": { "kind": kind } } },
                  "targets": [{ "target": "admission.k8s.gatekeeper.sh", "rego": rego }] }
    }))
    .expect("a valid template")
}

fn constraint(kind: &str, name: &str, spec: Value) -> Constraint {
    Constraint::from_value(&json!({ "kind": kind, "metadata": { "name": name }, "spec": spec }))
        .expect("a valid constraint")
}

#[test]
fn reading_reports_what_is_missing() {
    let error = ConstraintTemplate::from_value(&json!({ "metadata": { "name": "t" }, "spec": {} }))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "ConstraintTemplate \"t\": spec.crd.spec.names.kind is missing"
    );
    let error = Constraint::from_value(&json!({ "kind": "K", "metadata": { "name": "c" },
        "spec": { "enforcementAction": "block" } }))
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("constraint K/c: spec.enforcementAction \"block\"")
    );
    let defaults = constraint("K", "c", json!({}));
    assert_eq!(defaults.enforcement_action, EnforcementAction::Deny);
    assert_eq!(defaults.parameters, json!({}));
    assert_eq!(defaults.matches, Match::default());
}

#[test]
fn violations_carry_parameters_and_become_admission_messages() {
    let rego = r#"package k8sallowedrepos
violation[{"msg": msg, "details": {"image": c.image}}] {
  c := input.review.object.spec.containers[_]
  not startswith(c.image, input.parameters.prefix)
  msg := sprintf("<%v> is not from %v", [c.image, input.parameters.prefix])
}"#;
    let rules = Rules::new(
        &[template("K8sAllowedRepos", rego)],
        vec![
            constraint(
                "K8sAllowedRepos",
                "repos",
                json!({ "parameters": { "prefix": "harbor." } }),
            ),
            constraint(
                "K8sAllowedRepos",
                "repos-warn",
                json!({ "enforcementAction": "warn",
                "parameters": { "prefix": "harbor." }, "match": { "excludedNamespaces": ["shop"] } }),
            ),
        ],
    );
    let reports = rules.evaluate(&pod("shop", json!({})));
    assert_eq!(reports.len(), 1, "{reports:?}");
    let Outcome::Checked(found) = &reports[0].outcome else {
        panic!("{reports:?}")
    };
    assert_eq!(found[0].details, json!({ "image": "nginx" }));
    let (denied, warned) = admission_messages(&reports);
    assert_eq!(denied, ["[repos] <nginx> is not from harbor."]);
    assert!(warned.is_empty());
}

#[test]
fn defaults_precede_the_rules() {
    let review = Review::create(
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" },
                "spec": { "containers": [{ "name": "a", "resources": { "limits": { "cpu": "1" } } }] } }),
        Some("shop"),
    );
    assert_eq!(
        review
            .object
            .pointer("/spec/containers/0/resources/requests/cpu"),
        Some(&json!("1"))
    );
    assert_eq!(review.namespace.as_deref(), Some("shop"));
    let deployment = Review::create(
        json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "d" }, "spec": {} }),
        Some("shop"),
    );
    assert_eq!(deployment.object["spec"]["replicas"], json!(1));
    assert_eq!(
        (deployment.group.as_str(), deployment.version.as_str()),
        ("apps", "v1")
    );
}

#[test]
fn what_the_interpreter_refuses_is_not_checked() {
    let syntax = "package broken\nviolation[{\"msg\": msg}] {\n  msg := \n}";
    let builtin = r#"package certs
violation[{"msg": msg}] {
  certs := crypto.x509.parse_certificates(input.review.object.data.cert)
  msg := sprintf("%v certificates", [count(certs)])
}"#;
    let rules = Rules::new(
        &[template("Broken", syntax), template("Certs", builtin)],
        vec![
            constraint("Broken", "broken", json!({})),
            constraint("Certs", "certs", json!({})),
            constraint("Missing", "missing", json!({})),
        ],
    );
    let reports = rules.evaluate(&pod("shop", json!({})));
    assert_eq!(reports.len(), 3);
    for report in &reports {
        let Outcome::NotChecked(reason) = &report.outcome else {
            panic!("{} was checked: {report:?}", report.name);
        };
        assert!(!reason.is_empty(), "{}", report.name);
    }
    assert_eq!(admission_messages(&reports), (vec![], vec![]));
}

#[test]
fn a_rule_that_reads_the_synced_inventory_is_not_checked_without_it() {
    let selected = r#"package selected
violation[{"msg": "no NetworkPolicy selects this Pod"}] {
  count(data.inventory.namespace[input.review.namespace]["networking.k8s.io/v1"].NetworkPolicy) == 0
}"#;
    let rules = Rules::new(
        &[template("K8sRequireSelectedPods", selected)],
        vec![constraint("K8sRequireSelectedPods", "np", json!({}))],
    );
    let reports = rules.evaluate(&pod("shop", json!({})));
    let Outcome::NotChecked(reason) = &reports[0].outcome else {
        panic!("checked without the inventory: {reports:?}");
    };
    assert!(reason.contains("data.inventory"), "{reason}");
}

#[test]
fn reports_become_findings_with_stable_ids_and_the_strongest_action() {
    use crate::preflight::cluster::finding;
    use app::domain::preflight::rules::{RuleAction, RuleOutcome};
    let report = |action: EnforcementAction, outcome: Outcome| ConstraintReport {
        kind: "K8sDisallowedTags".into(),
        name: "image-tags".into(),
        enforcement_action: action,
        outcome,
    };
    let violated = || {
        Outcome::Checked(vec![Violation {
            msg: "uses :latest".into(),
            details: json!({}),
        }])
    };
    let denied = finding(report(EnforcementAction::Deny, violated()));
    assert_eq!(denied.id, "gatekeeper/K8sDisallowedTags/image-tags");
    assert_eq!(denied.action, RuleAction::Deny);
    assert_eq!(
        denied.outcome,
        RuleOutcome::Violated {
            messages: vec!["[image-tags] uses :latest".into()]
        }
    );
    let scoped = EnforcementAction::Scoped(vec![EnforcementAction::Warn, EnforcementAction::Deny]);
    assert_eq!(finding(report(scoped, violated())).action, RuleAction::Deny);
    let nowhere = EnforcementAction::Scoped(Vec::new());
    assert_eq!(
        finding(report(nowhere, violated())).action,
        RuleAction::Dryrun
    );
    assert_eq!(
        finding(report(
            EnforcementAction::Warn,
            Outcome::Checked(Vec::new())
        ))
        .outcome,
        RuleOutcome::Passes
    );
}
