use super::*;
use crate::domain::preflight::pod_security::{Level, LevelVersion};
use serde_json::json;

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
