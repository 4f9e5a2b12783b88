use super::*;
use crate::domain::preflight::advice::Platform;
use crate::domain::preflight::pod_security::{Level, LevelVersion};
use serde_json::json;
use std::collections::BTreeMap;

fn restricted() -> NamespacePolicy {
    let restricted = LevelVersion::latest(Level::Restricted);
    NamespacePolicy {
        enforce: restricted,
        audit: restricted,
        warn: restricted,
        errors: Vec::new(),
    }
}

/// Enforce `baseline`, warn `restricted`: a Pod that is merely not hardened gets through, warned.
fn baseline_warn_restricted() -> NamespacePolicy {
    NamespacePolicy {
        enforce: LevelVersion::latest(Level::Baseline),
        ..restricted()
    }
}

fn document(value: Value) -> Document {
    Document {
        number: 1,
        line: 1,
        value,
    }
}

fn plain_container() -> Value {
    json!({"name": "web", "image": "harbor.example.com/shop/web:1.0"})
}

fn hardened_container() -> Value {
    json!({
        "name": "web",
        "image": "harbor.example.com/shop/web:1.0",
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "runAsNonRoot": true,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}
        }
    })
}

fn deployment(container: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "shop"}},
            "template": {
                "metadata": {"labels": {"app": "shop"}},
                "spec": {"containers": [container]}
            }
        }
    })
}

#[test]
fn a_deployment_is_accepted_but_its_pods_are_refused_and_the_answer_says_so() {
    let reports = check(&[document(deployment(plain_container()))], &restricted());
    let [report] = reports.as_slice() else {
        panic!("{reports:#?}")
    };
    assert_eq!(report.verdict, Verdict::Refused);
    assert!(report.object.as_ref().is_some_and(Decision::allowed));
    let pods = report.pods.as_ref().expect("the Pods are checked too");
    let denial = pods.denial.as_deref().expect("the Pods are refused");
    assert!(
        denial.contains("allowPrivilegeEscalation != false"),
        "{denial}"
    );
    assert!(
        report
            .summary
            .contains("every Pod it creates will be refused"),
        "{}",
        report.summary
    );
}

#[test]
fn the_fixed_manifest_passes_and_keeps_everything_else_as_written() {
    let reports = check(&[document(deployment(plain_container()))], &restricted());
    let fix = reports[0].fix.as_ref().expect("a fix is offered");
    assert!(fix.needs_human.is_empty(), "{fix:#?}");
    assert!(!fix.changes.is_empty());
    assert!(fix.manifest.contains("name: shop"), "{}", fix.manifest);
    assert!(fix.manifest.contains("app: shop"), "{}", fix.manifest);
    assert!(
        fix.manifest.contains("harbor.example.com/shop/web:1.0"),
        "{}",
        fix.manifest
    );

    // Read the fixed manifest back (it is JSON-compatible YAML for these values) by checking
    // the fixed object itself.
    let fixed: Value = {
        let object = pod_object(&deployment(plain_container())).unwrap().unwrap();
        let outcome = fix_for_restricted(&object.pod);
        let mut value = deployment(plain_container());
        value["spec"]["template"]["spec"] = serde_json::to_value(&outcome.pod.spec).unwrap();
        value
    };
    let again = check(&[document(fixed)], &restricted());
    assert_eq!(again[0].verdict, Verdict::Accepted, "{again:#?}");
    assert!(again[0].fix.is_none());
}

#[test]
fn a_hardened_workload_passes_without_a_fix() {
    let reports = check(&[document(deployment(hardened_container()))], &restricted());
    assert_eq!(reports[0].verdict, Verdict::Accepted, "{reports:#?}");
    assert!(reports[0].fix.is_none());
    assert!(
        reports[0].summary.contains("passes"),
        "{}",
        reports[0].summary
    );
}

#[test]
fn a_pod_that_only_breaks_the_warn_level_is_warned() {
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug"},
        "spec": {"containers": [plain_container()]}
    });
    let reports = check(&[document(pod)], &baseline_warn_restricted());
    assert_eq!(reports[0].verdict, Verdict::Warned, "{reports:#?}");
    assert!(reports[0].pods.is_none(), "a Pod is its own Pod");
    assert!(
        reports[0].summary.contains("warning"),
        "{}",
        reports[0].summary
    );
}

#[test]
fn what_needs_a_person_is_named_and_not_changed() {
    let mut container = plain_container();
    container["securityContext"] = json!({"privileged": true});
    let reports = check(&[document(deployment(container))], &restricted());
    let fix = reports[0].fix.as_ref().expect("a fix is offered");
    assert!(
        fix.needs_human
            .iter()
            .any(|h| h.reason.contains("privileged")),
        "{fix:#?}"
    );
    assert!(
        fix.manifest.contains("privileged: true"),
        "{}",
        fix.manifest
    );
}

#[test]
fn lists_are_opened_and_other_kinds_are_not_checked() {
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop"}},
            deployment(hardened_container()),
        ]
    });
    let reports = check(&[document(list)], &restricted());
    let verdicts: Vec<_> = reports
        .iter()
        .map(|r| (r.kind.as_str(), r.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("Service", Verdict::NotChecked),
            ("Deployment", Verdict::Accepted)
        ]
    );
}

#[test]
fn a_pod_spec_that_does_not_parse_is_unreadable_with_its_path() {
    let mut container = plain_container();
    container["securityContext"] = json!({"privileged": "yes please"});
    let reports = check(&[document(deployment(container))], &restricted());
    assert_eq!(reports[0].verdict, Verdict::Unreadable);
    let problem = reports[0].problem.as_deref().unwrap_or_default();
    assert!(
        problem.contains("spec.template.spec.containers[0].securityContext.privileged"),
        "{problem}"
    );
}

#[test]
fn objects_the_api_server_cannot_decode_are_unreadable_whatever_their_kind() {
    let budget = json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": { "name": "web" },
        "spec": { "maxUnavailable": [], "selector": { "matchLabels": { "app": "web" } } }
    });
    let mut two = deployment(hardened_container());
    two["spec"]["replicas"] = json!("two");
    let reports = check(&[document(budget), document(two)], &restricted());
    let seen: Vec<(&str, Verdict, &str)> = reports
        .iter()
        .map(|report| {
            (
                report.kind.as_str(),
                report.verdict,
                report.problem.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(seen[0].0, "PodDisruptionBudget");
    assert_eq!(seen[0].1, Verdict::Unreadable);
    assert!(seen[0].2.starts_with("spec.maxUnavailable: "), "{seen:?}");
    assert_eq!(seen[1].0, "Deployment");
    assert_eq!(seen[1].1, Verdict::Unreadable);
    assert!(seen[1].2.starts_with("spec.replicas: "), "{seen:?}");
    assert!(reports.iter().all(|report| report.fix.is_none()));
}

#[test]
fn a_document_that_is_not_an_object_is_unreadable_not_a_panic() {
    for value in [json!("text"), json!(42), json!([1, 2]), json!({"kind": 7})] {
        let reports = check(&[document(value.clone())], &restricted());
        assert_eq!(reports.len(), 1, "{value}");
        assert!(
            matches!(
                reports[0].verdict,
                Verdict::Unreadable | Verdict::NotChecked
            ),
            "{value}: {reports:#?}"
        );
    }
}

/// Rules for these tests, written as plain functions of the object: a requests rule that denies
/// any container without a CPU request, a tag rule that denies `:latest`, and a warn-only
/// replicas rule for Deployments. (The server's evaluation of real Gatekeeper templates is
/// tested against a real Gatekeeper in `tests/tests/gatekeeper_rules.rs`.)
struct TestRules;

fn containers(object: &Value) -> Vec<Value> {
    let spec = if object["kind"] == "Pod" {
        &object["spec"]
    } else {
        &object["spec"]["template"]["spec"]
    };
    spec["containers"].as_array().cloned().unwrap_or_default()
}

impl ClusterRules for TestRules {
    fn check(&self, object: &Value, target: Target<'_>) -> Vec<RuleFinding> {
        use super::super::rules::{RuleAction, RuleOutcome};
        let finding = |kind: &str, name: &str, action, broken: Vec<String>| RuleFinding {
            id: format!("gatekeeper/{kind}/{name}"),
            kind: kind.into(),
            name: name.into(),
            action,
            outcome: if broken.is_empty() {
                RuleOutcome::Passes
            } else {
                RuleOutcome::Violated {
                    messages: broken.iter().map(|m| format!("[{name}] {m}")).collect(),
                }
            },
        };
        if target.for_object(object).namespace == Some("kube-system")
            || !["Pod", "Deployment", "Service"].contains(&object["kind"].as_str().unwrap_or(""))
        {
            return Vec::new();
        }
        let containers = containers(object);
        let mut findings = vec![
            finding(
                "K8sRequiredRequests",
                "resource-requests",
                RuleAction::Deny,
                containers
                    .iter()
                    .filter(|c| c.pointer("/resources/requests/cpu").is_none())
                    .map(|c| format!("container {} has no cpu request", c["name"]))
                    .collect(),
            ),
            finding(
                "K8sDisallowedTags",
                "image-tags",
                RuleAction::Deny,
                containers
                    .iter()
                    .filter(|c| c["image"].as_str().is_some_and(|i| i.ends_with(":latest")))
                    .map(|c| format!("container {} uses :latest", c["name"]))
                    .collect(),
            ),
        ];
        if object["kind"] == "Deployment" {
            let replicas = object["spec"]["replicas"].as_i64().unwrap_or(1);
            findings.push(finding(
                "K8sMinimumReplicas",
                "minimum-replicas",
                RuleAction::Warn,
                if replicas < 2 {
                    vec![format!("{replicas} replica")]
                } else {
                    Vec::new()
                },
            ));
        }
        if object["kind"] == "Service" {
            findings.push(RuleFinding {
                id: "gatekeeper/K8sNoLoadBalancer/no-lb".into(),
                kind: "K8sNoLoadBalancer".into(),
                name: "no-lb".into(),
                action: RuleAction::Deny,
                outcome: if object["spec"]["type"] == "LoadBalancer" {
                    RuleOutcome::Violated {
                        messages: vec!["[no-lb] LoadBalancer Services are not allowed".into()],
                    }
                } else {
                    RuleOutcome::Passes
                },
            });
        }
        findings
    }

    fn status(&self) -> RulesStatus {
        RulesStatus::Current {
            templates: 3,
            constraints: 3,
        }
    }
}

fn with_rules(value: Value) -> Answer {
    answer_with(
        &[document(value)],
        restricted(),
        &TestRules,
        Target {
            namespace: Some("shop"),
            labels: None,
        },
        &Platform::default(),
    )
}

#[test]
fn a_rule_of_the_cluster_refuses_the_workload_and_the_answer_names_it() {
    let mut container = hardened_container();
    container["image"] = json!("harbor.example.com/shop/web:latest");
    container["resources"] = json!({"requests": {"cpu": "10m"}});
    let answer = with_rules(deployment(container));
    assert_eq!(answer.verdict, Verdict::Refused);
    let report = &answer.objects[0];
    assert_eq!(report.verdict, Verdict::Refused);
    assert!(
        report
            .summary
            .starts_with("Deployment shop will be refused by the cluster's rule \"image-tags\"."),
        "{}",
        report.summary
    );
    assert!(
        report.summary.contains("\"minimum-replicas\" warns"),
        "{}",
        report.summary
    );
    // The Pods are checked by the rules too.
    assert!(
        report.pod_rules.iter().any(|finding| finding.refuses()),
        "{report:#?}"
    );
    assert_eq!(
        answer.rules.words(),
        "Checked against this cluster's 3 Gatekeeper constraints of 3 templates, as they are now."
    );
    assert!(
        answer
            .not_checked
            .iter()
            .all(|line| !line.contains("not connected")),
        "{:?}",
        answer.not_checked
    );
}

#[test]
fn requests_are_added_only_where_a_rule_asks_and_what_is_left_is_listed() {
    let mut container = hardened_container();
    container["image"] = json!("harbor.example.com/shop/web:latest");
    let answer = with_rules(deployment(container));
    let fix = answer.objects[0].fix.as_ref().expect("a fix");
    assert!(
        fix.changes
            .iter()
            .any(|change| change.contains("requests cpu 100m and memory 128Mi added")),
        "{fix:#?}"
    );
    assert!(fix.manifest.contains("cpu: \"100m\""), "{}", fix.manifest);
    // The diff shows the added lines and nothing that did not change.
    let added: Vec<&str> = fix
        .diff
        .lines()
        .filter(|line| line.starts_with('+') && !line.starts_with("+++"))
        .collect();
    assert!(
        added
            .iter()
            .any(|line| line.trim_start_matches('+').trim() == "cpu: \"100m\""),
        "{}",
        fix.diff
    );
    assert!(
        fix.diff
            .lines()
            .all(|line| !line.starts_with('-') || line.starts_with("---")),
        "only additions: {}",
        fix.diff
    );
    assert!(
        fix.diff.starts_with("--- pasted\n+++ fixed\n"),
        "{}",
        fix.diff
    );
    // The replicas warning goes with a second replica; the tag needs a person.
    assert!(
        fix.changes
            .iter()
            .any(|change| change.starts_with("replicas 1 raised to 2")),
        "{fix:#?}"
    );
    assert!(fix.manifest.contains("replicas: 2"), "{}", fix.manifest);
    assert_eq!(
        fix.rules_left,
        ["[image-tags] container \"web\" uses :latest"],
        "{fix:#?}"
    );

    // A workload that only breaks the tag rule and the replicas one gets no requests it did
    // not need.
    let mut tagged = hardened_container();
    tagged["image"] = json!("harbor.example.com/shop/web:latest");
    tagged["resources"] = json!({"requests": {"cpu": "10m"}});
    let mut two = deployment(tagged);
    two["spec"]["replicas"] = json!(2);
    let answer = with_rules(two);
    let fix = answer.objects[0].fix.as_ref().expect("a fix");
    assert!(fix.changes.is_empty(), "{fix:#?}");
    assert!(!fix.manifest.contains("128Mi"), "{}", fix.manifest);
}

#[test]
fn a_limit_becomes_the_request_the_fix_adds() {
    let mut container = hardened_container();
    container["resources"] = json!({"limits": {"cpu": "250m", "memory": "64Mi"}});
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug"},
        "spec": {"containers": [container]}
    });
    let answer = with_rules(pod);
    let fix = answer.objects[0].fix.as_ref().expect("a fix");
    assert!(
        fix.changes
            .iter()
            .any(|change| change.contains("requests cpu 250m and memory 64Mi added")),
        "{fix:#?}"
    );
    assert!(fix.rules_left.is_empty(), "{fix:#?}");
}

#[test]
fn a_kind_without_a_pod_spec_is_checked_by_the_rules_that_apply_to_it() {
    let service = |kind: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop"},
               "spec": {"type": kind, "ports": [{"port": 80}]}})
    };
    let answer = with_rules(service("LoadBalancer"));
    assert_eq!(answer.objects[0].verdict, Verdict::Refused, "{answer:#?}");
    assert!(
        answer.objects[0].summary.contains("\"no-lb\""),
        "{}",
        answer.objects[0].summary
    );
    assert!(answer.objects[0].fix.is_none());
    let answer = with_rules(service("ClusterIP"));
    assert_eq!(answer.objects[0].verdict, Verdict::Accepted, "{answer:#?}");
    // A ConfigMap no rule looks at stays not checked.
    let answer =
        with_rules(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}));
    assert_eq!(
        answer.objects[0].verdict,
        Verdict::NotChecked,
        "{answer:#?}"
    );
}

#[test]
fn without_a_cluster_the_answer_says_the_rules_are_not_part_of_it() {
    let answer = answer(&[document(deployment(hardened_container()))], restricted());
    assert_eq!(answer.rules, RulesStatus::NoCluster);
    assert!(
        answer.not_checked[0].contains("not connected to a cluster"),
        "{:?}",
        answer.not_checked
    );
    assert_eq!(answer.verdict, Verdict::Accepted);
}

#[test]
fn a_rule_that_cannot_be_evaluated_is_listed_as_not_checked_never_passed() {
    struct Unknown;
    impl ClusterRules for Unknown {
        fn check(&self, _: &Value, _: Target<'_>) -> Vec<RuleFinding> {
            vec![RuleFinding {
                id: "gatekeeper/K8sRequireSelectedPods/np".into(),
                kind: "K8sRequireSelectedPods".into(),
                name: "np".into(),
                action: super::super::rules::RuleAction::Warn,
                outcome: super::super::rules::RuleOutcome::NotChecked {
                    reason: "its rule reads data.inventory".into(),
                },
            }]
        }
        fn status(&self) -> RulesStatus {
            RulesStatus::Current {
                templates: 1,
                constraints: 1,
            }
        }
        fn unreadable(&self) -> Vec<String> {
            vec!["constraint K8sX/broken: spec.match is not an object".into()]
        }
    }
    let answer = answer_with(
        &[document(deployment(hardened_container()))],
        restricted(),
        &Unknown,
        Target::default(),
        &Platform::default(),
    );
    assert_eq!(answer.verdict, Verdict::Accepted, "{answer:#?}");
    let lines = answer.not_checked.join("\n");
    assert!(
        lines.contains("The constraint np (K8sRequireSelectedPods) could not be checked here: its rule reads data.inventory"),
        "{lines}"
    );
    assert!(lines.contains("constraint K8sX/broken"), "{lines}");
    // The Deployment's own summary says Pod Security's answer, then that the rule is unknown.
    let summary = &answer.objects[0].summary;
    assert!(
        summary.ends_with(
            "The cluster's rule \"np\" could not be checked here, so what it says about it is not known."
        ) && !summary.starts_with("The cluster's rule"),
        "{summary}"
    );

    // An object only that rule applies to is not checked, not accepted.
    let config = json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "c" } });
    let answer = answer_with(
        &[document(config)],
        restricted(),
        &Unknown,
        Target::default(),
        &Platform::default(),
    );
    let object = &answer.objects[0];
    assert_eq!(object.verdict, Verdict::NotChecked, "{object:#?}");
    assert_eq!(
        object.summary,
        "The cluster's rule \"np\" could not be checked here, so what it says about it is not known."
    );
}

#[test]
fn an_object_a_rule_refuses_is_never_called_accepted_first() {
    let mut container = plain_container();
    container["image"] = json!("harbor.example.com/shop/web:latest");
    let answer = with_rules(deployment(container));
    let summary = &answer.objects[0].summary;
    assert!(
        summary.starts_with("Deployment shop will be refused by the cluster's rules \"resource-requests\" and \"image-tags\"."),
        "{summary}"
    );
    assert!(
        summary.contains("Once that is fixed, every Pod it creates would still be refused for breaking Pod Security \"restricted\"."),
        "{summary}"
    );
    assert!(!summary.contains("will be accepted"), "{summary}");
}

#[test]
fn an_objects_own_namespace_wins_and_the_labels_stay_with_theirs() {
    let labels: BTreeMap<String, String> = [("team".to_owned(), "payments".to_owned())].into();
    let target = Target {
        namespace: Some("shop"),
        labels: Some(&labels),
    };
    let unnamed = json!({ "kind": "Pod", "metadata": { "name": "a" } });
    assert_eq!(target.for_object(&unnamed), target);
    let same = json!({ "kind": "Pod", "metadata": { "name": "a", "namespace": "shop" } });
    assert_eq!(target.for_object(&same), target);
    let empty = json!({ "kind": "Pod", "metadata": { "name": "a", "namespace": "" } });
    assert_eq!(target.for_object(&empty), target);
    let other = json!({ "kind": "Pod", "metadata": { "name": "a", "namespace": "blog" } });
    assert_eq!(
        target.for_object(&other),
        Target {
            namespace: Some("blog"),
            labels: None
        },
        "the labels read for shop say nothing about blog"
    );
    assert_eq!(Target::default().for_object(&other).namespace, Some("blog"));
}

#[test]
fn the_answer_names_the_namespace_it_was_checked_for() {
    let named = answer_with(
        &[document(deployment(hardened_container()))],
        restricted(),
        &TestRules,
        Target {
            namespace: Some("shop"),
            labels: None,
        },
        &Platform::default(),
    );
    assert_eq!(named.namespace.as_deref(), Some("shop"));
    let new = answer(&[document(deployment(hardened_container()))], restricted());
    assert_eq!(new.namespace, None);
    let json = serde_json::to_value(&new).expect("JSON");
    assert!(json.get("namespace").is_none(), "{json}");
}

/// Mutators as on Welkin: every Pod's containers get the restricted securityContext fields.
struct Hardening;

impl ClusterRules for Hardening {
    fn mutate(&self, object: &Value, _target: Target<'_>) -> super::super::rules::Mutated {
        use super::super::rules::{AppliedMutation, Mutated};
        if object["kind"] != "Pod" {
            return Mutated::default();
        }
        let mut pod = object.clone();
        for container in pod["spec"]["containers"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            container["securityContext"] = hardened_container()["securityContext"].clone();
        }
        Mutated {
            object: Some(pod),
            applied: vec![AppliedMutation {
                id: "gatekeeper/Assign/harden".into(),
                kind: "Assign".into(),
                name: "harden".into(),
                location: "spec.containers[name: *].securityContext".into(),
            }],
            not_checked: vec!["The mutator ModifySet/x could not be worked out here.".into()],
        }
    }

    fn check(&self, _object: &Value, _target: Target<'_>) -> Vec<RuleFinding> {
        Vec::new()
    }

    fn status(&self) -> RulesStatus {
        RulesStatus::Current {
            templates: 0,
            constraints: 0,
        }
    }
}

#[test]
fn a_verdict_that_holds_only_because_of_the_mutators_says_so() {
    let bare = json!({ "name": "web", "image": "harbor.example.com/shop/web:1.0" });
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "bare" },
        "spec": { "containers": [bare.clone()] }
    });
    let answer = answer_with(
        &[document(pod.clone()), document(deployment(bare))],
        restricted(),
        &Hardening,
        Target::default(),
        &Platform::default(),
    );
    let (pod_report, workload) = (&answer.objects[0], &answer.objects[1]);
    assert_eq!(pod_report.verdict, Verdict::Accepted, "{pod_report:#?}");
    assert_eq!(pod_report.mutations[0].id, "gatekeeper/Assign/harden");
    assert!(
        pod_report.summary.contains(
            "Pod Security admits it only because the cluster's mutators change it first (Assign/harden); as pasted it breaks \"restricted\"."
        ),
        "{}",
        pod_report.summary
    );
    assert!(pod_report.fix.is_none(), "nothing to fix once mutated");
    // The Deployment's template is not mutated: warned (restricted warns); its Pods are.
    assert!(workload.mutations.is_empty());
    assert_eq!(workload.pod_mutations.len(), 1);
    assert!(
        workload.pods.as_ref().is_some_and(Decision::allowed),
        "{workload:#?}"
    );
    assert!(
        workload.summary.contains(
            "Its Pods are admitted only because the cluster's mutators change each one first"
        ),
        "{}",
        workload.summary
    );
    // What a mutator could not work out is said once; with rules read, no blanket line.
    assert_eq!(
        answer
            .not_checked
            .iter()
            .filter(|line| line.contains("ModifySet/x"))
            .count(),
        1
    );
    assert!(!answer.not_checked.contains(&NOT_CHECKED.to_owned()));
    // An object the API server cannot read is refused before any webhook: no mutations.
    let unreadable = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "x" },
                             "spec": { "containers": 5 } });
    let answer = answer_with(
        &[document(unreadable)],
        restricted(),
        &Hardening,
        Target::default(),
        &Platform::default(),
    );
    assert_eq!(answer.objects[0].verdict, Verdict::Unreadable);
    assert!(answer.objects[0].mutations.is_empty());
    assert!(
        !answer
            .not_checked
            .iter()
            .any(|line| line.contains("ModifySet/x"))
    );
    // Without the mutators the same Pod is refused.
    assert_eq!(
        answer_with(
            &[document(pod)],
            restricted(),
            &NoRules,
            Target::default(),
            &Platform::default()
        )
        .objects[0]
            .verdict,
        Verdict::Refused
    );
}

/// A rule that warns about Pods (and Deployments' Pods) of `shop` that no NetworkPolicy of
/// `policies` selects by `matchLabels`, as Gatekeeper's inventory rule does, plus the
/// PodDisruptionBudget rule: what the fix's NetworkPolicy and budget change are checked against.
#[derive(Clone, Default)]
struct Selecting {
    policies: Vec<Value>,
}

impl ClusterRules for Selecting {
    fn check(&self, object: &Value, target: Target<'_>) -> Vec<RuleFinding> {
        use super::super::rules::{RuleAction, RuleOutcome};
        let finding = |kind: &str, name: &str, action, broken: Option<String>| RuleFinding {
            id: format!("gatekeeper/{kind}/{name}"),
            kind: kind.into(),
            name: name.into(),
            action,
            outcome: match broken {
                None => RuleOutcome::Passes,
                Some(message) => RuleOutcome::Violated {
                    messages: vec![format!("[{name}] {message}")],
                },
            },
        };
        let kind = object["kind"].as_str().unwrap_or_default();
        if kind == "PodDisruptionBudget" {
            let blocks = object["spec"]["maxUnavailable"] == json!(0)
                || object["spec"]["minAvailable"] == json!("100%");
            return vec![finding(
                "K8sPdbAllowsDisruption",
                "pdb",
                RuleAction::Deny,
                blocks.then(|| "allows no disruption".to_owned()),
            )];
        }
        if !["Pod", "Deployment"].contains(&kind) {
            return Vec::new();
        }
        let labels = if kind == "Pod" {
            &object["metadata"]["labels"]
        } else {
            &object["spec"]["template"]["metadata"]["labels"]
        };
        let namespace = target.for_object(object).namespace;
        let selected = self.policies.iter().any(|policy| {
            policy["metadata"]["namespace"].as_str() == namespace
                && policy["spec"]["podSelector"]["matchLabels"]
                    .as_object()
                    .is_some_and(|wanted| {
                        wanted
                            .iter()
                            .all(|(key, value)| labels.get(key) == Some(value))
                    })
        });
        vec![finding(
            "K8sRequireNetworkPolicy",
            "networkpolicy-selects",
            RuleAction::Warn,
            (!selected).then(|| format!("{kind} is not selected by any NetworkPolicy")),
        )]
    }

    fn status(&self) -> RulesStatus {
        RulesStatus::Current {
            templates: 2,
            constraints: 2,
        }
    }

    fn networkpolicies(
        &self,
        namespace: &str,
    ) -> Option<Vec<k8s_openapi::api::networking::v1::NetworkPolicy>> {
        Some(crate::domain::preflight::advice::policies_of(
            &self.policies,
            namespace,
        ))
    }

    fn with_objects(&self, objects: &[Value]) -> Option<Box<dyn ClusterRules>> {
        let mut more = self.clone();
        more.policies.extend(objects.iter().cloned());
        Some(Box::new(more))
    }
}

fn selecting(value: Value, rules: &dyn ClusterRules, namespace: Option<&str>) -> ObjectReport {
    let answer = answer_with(
        &[document(value)],
        restricted(),
        rules,
        Target {
            namespace,
            labels: None,
        },
        &Platform::default(),
    );
    answer.objects.into_iter().next().expect("one object")
}

#[test]
fn the_fix_offers_a_networkpolicy_that_makes_the_selection_rule_pass() {
    let report = selecting(
        deployment(hardened_container()),
        &Selecting::default(),
        Some("shop"),
    );
    assert_eq!(report.verdict, Verdict::Warned, "{report:#?}");
    let fix = report.fix.expect("a fix for the warning");
    let policy = fix.network_policy.expect("a NetworkPolicy");
    assert_eq!(policy.name, "shop-traffic");
    assert!(policy.yaml.contains("namespace: shop"), "{}", policy.yaml);
    assert!(policy.yaml.contains("app: shop"), "{}", policy.yaml);
    // The workload and each Pod it makes.
    assert_eq!(
        policy.resolves,
        [
            "[networkpolicy-selects] Deployment is not selected by any NetworkPolicy",
            "[networkpolicy-selects] Pod is not selected by any NetworkPolicy"
        ]
    );
    // Once the policy exists the rule says nothing more, and the manifest itself is unchanged.
    assert!(fix.rules_left.is_empty(), "{:?}", fix.rules_left);
    assert!(fix.diff.is_empty(), "{}", fix.diff);
}

#[test]
fn a_bare_pod_gets_a_label_to_be_selected_by() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "blah"},
                     "spec": {"containers": [hardened_container()]}});
    let report = selecting(pod, &Selecting::default(), Some("shop"));
    let fix = report.fix.expect("a fix");
    assert!(
        fix.changes
            .iter()
            .any(|change| change.contains("app.kubernetes.io/name: blah")),
        "{:?}",
        fix.changes
    );
    assert!(
        fix.manifest.contains("app.kubernetes.io/name: blah"),
        "{}",
        fix.manifest
    );
    let policy = fix.network_policy.expect("a policy");
    assert_eq!(policy.resolves.len(), 1, "{policy:#?}");
    assert!(fix.rules_left.is_empty(), "{:?}", fix.rules_left);
}

/// [`Selecting`] that cannot say what another object would change (Gatekeeper syncing no
/// NetworkPolicies).
struct Blind(Selecting);

impl ClusterRules for Blind {
    fn check(&self, object: &Value, target: Target<'_>) -> Vec<RuleFinding> {
        self.0.check(object, target)
    }

    fn status(&self) -> RulesStatus {
        self.0.status()
    }
}

#[test]
fn a_policy_the_rules_would_not_see_claims_nothing() {
    let report = selecting(
        deployment(hardened_container()),
        &Blind(Selecting::default()),
        Some("shop"),
    );
    let fix = report.fix.expect("a fix");
    let policy = fix.network_policy.expect("still offered");
    assert!(policy.resolves.is_empty());
    assert_eq!(fix.rules_left.len(), 2, "{:?}", fix.rules_left);
    // Without a namespace, the policy has none either, and the rules are not asked.
    let report = selecting(
        deployment(hardened_container()),
        &Selecting::default(),
        None,
    );
    let fix = report.fix.expect("a fix");
    let policy = fix.network_policy.expect("offered");
    assert!(!policy.yaml.contains("namespace:"), "{}", policy.yaml);
    assert!(policy.resolves.is_empty());
    assert_eq!(fix.rules_left.len(), 2);
}

#[test]
fn a_budget_that_allows_no_disruption_is_fixed_to_allow_one() {
    let budget = |spec: Value| {
        let mut spec = spec;
        spec["selector"] = json!({"matchLabels": {"app": "shop"}});
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": {"name": "shop"}, "spec": spec})
    };
    for blocking in [
        json!({"maxUnavailable": 0}),
        json!({"minAvailable": "100%"}),
    ] {
        let report = selecting(
            budget(blocking.clone()),
            &Selecting::default(),
            Some("shop"),
        );
        assert_eq!(report.verdict, Verdict::Refused, "{blocking}");
        let fix = report.fix.expect("a fix");
        assert!(
            fix.manifest.contains("maxUnavailable: 1"),
            "{}",
            fix.manifest
        );
        assert!(!fix.manifest.contains("minAvailable"), "{}", fix.manifest);
        assert!(fix.rules_left.is_empty());
        assert!(fix.network_policy.is_none());
    }
    let report = selecting(
        budget(json!({"minAvailable": 2})),
        &Selecting::default(),
        Some("shop"),
    );
    assert_eq!(report.verdict, Verdict::Accepted);
    assert!(report.fix.is_none());
    // A budget no rule refuses is never changed, even one that allows nothing.
    let report = selecting(budget(json!({"maxUnavailable": 0})), &NoRules, Some("shop"));
    assert!(report.fix.is_none());
}

#[test]
fn a_deny_all_passes_the_selection_rule_and_the_advice_says_the_pods_are_blocked() {
    let deny_all = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    });
    let mut rules = Selecting::default();
    rules.policies.push(json!({
        "metadata": {"namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {}}}
    }));
    rules.policies.push(deny_all);
    let report = selecting(deployment(hardened_container()), &rules, Some("shop"));
    // The rule is satisfied (something selects it), so admission says nothing...
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
    // ...and the Pods get no traffic either way, which only the advice says.
    let advice: Vec<&str> = report
        .advice
        .iter()
        .map(|advice| advice.message.as_str())
        .collect();
    assert!(
        advice
            .iter()
            .any(|line| line.contains("selected, yet blocked") && line.contains("ingress")),
        "{advice:#?}"
    );
    assert!(
        advice.iter().any(|line| line.contains("DNS included")),
        "{advice:#?}"
    );
}

#[test]
fn without_a_cluster_the_platform_expectations_come_as_advice_and_change_no_verdict() {
    let mut container = hardened_container();
    container["image"] = json!("nginx:latest");
    let platform = Platform {
        allowed_registries: vec!["harbor.example.com/".into()],
    };
    let answer = answer_with(
        &[document(deployment(container))],
        restricted(),
        &NoRules,
        Target::default(),
        &platform,
    );
    let object = &answer.objects[0];
    assert_eq!(object.verdict, Verdict::Accepted, "{object:#?}");
    let ids: Vec<&str> = object
        .advice
        .iter()
        .map(|advice| advice.id.as_str())
        .collect();
    assert_eq!(ids, ["portal/registry", "portal/tag", "portal/requests"]);
    // With the cluster's rules on those concerns, the rules answer and the advice is silent.
    let answer = with_rules(deployment(hardened_container()));
    assert!(
        answer.objects[0]
            .advice
            .iter()
            .all(|advice| advice.id != "portal/tag" && advice.id != "portal/requests"),
        "{:#?}",
        answer.objects[0].advice
    );
}
