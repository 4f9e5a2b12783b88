//! Unit tests of the namespace policy, the pod spec of each workload kind, and the messages of a
//! whole admission answer (denial, warning, audit).

use super::workload::{WorkloadError, WorkloadKind, pod_object};
use super::{Level, LevelVersion, NamespacePolicy, Version, admit_create};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), (*v).to_owned()))
        .collect()
}

fn lv(level: Level, version: Version) -> LevelVersion {
    LevelVersion { level, version }
}

#[test]
fn missing_labels_mean_privileged() {
    let policy = NamespacePolicy::from_labels(&BTreeMap::new());
    assert_eq!(policy, NamespacePolicy::default());
    assert!(policy.fully_privileged());
}

#[test]
fn warn_follows_a_stricter_enforce_unless_set() {
    let policy = NamespacePolicy::from_labels(&labels(&[
        ("enforce", "restricted"),
        ("enforce-version", "v1.30"),
    ]));
    assert_eq!(policy.warn, lv(Level::Restricted, Version::Minor(30)));
    assert_eq!(policy.audit, LevelVersion::latest(Level::Privileged));
    let own =
        NamespacePolicy::from_labels(&labels(&[("enforce", "restricted"), ("warn", "baseline")]));
    assert_eq!(own.warn, LevelVersion::latest(Level::Baseline));
    let version = NamespacePolicy::from_labels(&labels(&[
        ("enforce", "baseline"),
        ("warn-version", "v1.20"),
    ]));
    assert_eq!(version.warn, lv(Level::Baseline, Version::Minor(20)));
}

#[test]
fn bad_values_fail_closed_for_enforce_and_open_for_the_rest() {
    let policy = NamespacePolicy::from_labels(&labels(&[
        ("enforce", "strict"),
        ("enforce-version", "1.30"),
        ("warn", "x"),
        ("audit-version", "v1.03"),
    ]));
    assert_eq!(policy.enforce, LevelVersion::latest(Level::Restricted));
    assert_eq!(
        policy.warn.level,
        Level::Privileged,
        "a bad enforce level is not copied to warn"
    );
    let errors: Vec<String> = policy.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            r#"metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted"#,
            r#"metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.30": must be "latest" or "v1.x""#,
            r#"metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "v1.03": must be "latest" or "v1.x""#,
            r#"metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "x": must be one of privileged, baseline, restricted"#,
        ]
    );
}

#[test]
fn versions_parse_and_print_as_kubernetes_writes_them() {
    assert_eq!(Version::parse("v1.0"), Some(Version::Minor(0)));
    assert_eq!(Version::parse("v1.34"), Some(Version::Minor(34)));
    assert_eq!(Version::parse("v2.1"), None);
    assert_eq!(Version::parse("v1."), None);
    assert_eq!(Version::Minor(40).effective_minor(), 34);
    assert_eq!(
        lv(Level::Baseline, Version::Minor(40)).to_string(),
        "baseline:v1.40"
    );
    assert_eq!(
        LevelVersion::latest(Level::Restricted).to_string(),
        "restricted:latest"
    );
}

fn template() -> Value {
    json!({ "metadata": { "labels": { "app": "a" } }, "spec": { "containers": [{ "name": "app", "image": "nginx" }] } })
}

#[test]
fn every_workload_kind_yields_its_pod_spec() {
    let cases = [
        (
            json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" }, "spec": template()["spec"] }),
            WorkloadKind::Pod,
        ),
        (
            json!({ "apiVersion": "v1", "kind": "PodTemplate", "template": template() }),
            WorkloadKind::PodTemplate,
        ),
        (
            json!({ "apiVersion": "v1", "kind": "ReplicationController", "spec": { "template": template() } }),
            WorkloadKind::ReplicationController,
        ),
        (
            json!({ "apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": { "template": template() } }),
            WorkloadKind::ReplicaSet,
        ),
        (
            json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "d" }, "spec": { "template": template() } }),
            WorkloadKind::Deployment,
        ),
        (
            json!({ "apiVersion": "apps/v1", "kind": "StatefulSet", "spec": { "template": template() } }),
            WorkloadKind::StatefulSet,
        ),
        (
            json!({ "apiVersion": "apps/v1", "kind": "DaemonSet", "spec": { "template": template() } }),
            WorkloadKind::DaemonSet,
        ),
        (
            json!({ "apiVersion": "batch/v1", "kind": "Job", "spec": { "template": template() } }),
            WorkloadKind::Job,
        ),
        (
            json!({ "apiVersion": "batch/v1", "kind": "CronJob", "spec": { "schedule": "* * * * *", "jobTemplate": { "spec": { "template": template() } } } }),
            WorkloadKind::CronJob,
        ),
    ];
    for (object, kind) in cases {
        let found = pod_object(&object).unwrap().unwrap();
        assert_eq!(found.kind, kind);
        assert_eq!(found.pod.spec.containers[0].name, "app", "{kind}");
    }
    let service = json!({ "apiVersion": "v1", "kind": "Service", "spec": {} });
    assert_eq!(pod_object(&service), Ok(None));
    let wrong_group = json!({ "apiVersion": "example.com/v1", "kind": "Deployment" });
    assert_eq!(pod_object(&wrong_group), Ok(None));
}

#[test]
fn errors_name_the_field() {
    let bad = json!({ "apiVersion": "apps/v1", "kind": "Deployment", "spec": { "template": { "spec": {
        "containers": [{ "name": "a" }, { "name": "b", "securityContext": { "privileged": "yes" } }] } } } });
    let Err(WorkloadError::Invalid { path, message }) = pod_object(&bad) else {
        panic!("an error")
    };
    assert_eq!(
        path,
        "spec.template.spec.containers[1].securityContext.privileged"
    );
    assert!(message.contains("expected a boolean"), "{message}");
    let missing =
        json!({ "apiVersion": "batch/v1", "kind": "CronJob", "spec": { "jobTemplate": {} } });
    assert_eq!(
        pod_object(&missing).unwrap_err().to_string(),
        "spec.jobTemplate.spec: required for a CronJob"
    );
    let no_spec = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" } });
    assert_eq!(
        pod_object(&no_spec).unwrap_err().to_string(),
        "spec: required for a Pod"
    );
    let annotations = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "annotations": { "a": 1 } }, "spec": {} });
    let Err(WorkloadError::Invalid { path, .. }) = pod_object(&annotations) else {
        panic!("an error")
    };
    assert_eq!(path, "metadata.annotations.a");
    assert_eq!(pod_object(&json!([])), Err(WorkloadError::NotAnObject));
    assert_eq!(
        pod_object(&json!({ "kind": "Pod" })),
        Err(WorkloadError::MissingType("apiVersion"))
    );
}

fn plain(kind: &str, api_version: &str, name: &str) -> Value {
    let spec = template()["spec"].clone();
    match kind {
        "Pod" => {
            json!({ "apiVersion": api_version, "kind": kind, "metadata": { "name": name }, "spec": spec })
        }
        _ => {
            json!({ "apiVersion": api_version, "kind": kind, "metadata": { "name": name }, "spec": { "template": { "spec": spec } } })
        }
    }
}

const PLAIN_RESTRICTED: &str = r#"allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;

#[test]
fn enforce_denies_a_pod_without_warnings() {
    let policy = NamespacePolicy::from_labels(&labels(&[("enforce", "restricted")]));
    let decision = admit_create(
        &policy,
        &pod_object(&plain("Pod", "v1", "web")).unwrap().unwrap(),
    );
    assert_eq!(decision.denial.as_deref(), Some(format!(
        r#"pods "web" is forbidden: violates PodSecurity "restricted:latest": {PLAIN_RESTRICTED}"#).as_str()));
    assert!(decision.warnings.is_empty());
    let generated = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "generateName": "web-" }, "spec": template()["spec"] });
    let decision = admit_create(&policy, &pod_object(&generated).unwrap().unwrap());
    assert!(
        decision
            .denial
            .unwrap()
            .starts_with(r#"pods "web-xxxxx" is forbidden: violates"#)
    );
}

#[test]
fn a_workload_is_only_warned_about() {
    let policy = NamespacePolicy::from_labels(&labels(&[("enforce", "restricted")]));
    let decision = admit_create(
        &policy,
        &pod_object(&plain("Deployment", "apps/v1", "web"))
            .unwrap()
            .unwrap(),
    );
    assert_eq!(decision.denial, None);
    assert_eq!(
        decision.warnings,
        [format!(
            r#"would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}"#
        )]
    );
    let quiet = NamespacePolicy::from_labels(&labels(&[
        ("enforce", "restricted"),
        ("warn", "privileged"),
    ]));
    assert_eq!(
        admit_create(
            &quiet,
            &pod_object(&plain("Deployment", "apps/v1", "web"))
                .unwrap()
                .unwrap()
        )
        .warnings,
        Vec::<String>::new()
    );
}

#[test]
fn a_pod_that_enforce_admits_is_warned_and_audited() {
    let policy = NamespacePolicy::from_labels(&labels(&[
        ("enforce", "baseline"),
        ("warn", "restricted"),
        ("audit", "restricted"),
        ("audit-version", "v1.30"),
    ]));
    let decision = admit_create(
        &policy,
        &pod_object(&plain("Pod", "v1", "web")).unwrap().unwrap(),
    );
    assert!(decision.allowed());
    assert_eq!(
        decision.warnings,
        [format!(
            r#"would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}"#
        )]
    );
    assert_eq!(
        decision.audit,
        Some(format!(
            r#"would violate PodSecurity "restricted:v1.30": {PLAIN_RESTRICTED}"#
        ))
    );
}

#[test]
fn the_api_server_defaults_host_ports_and_app_armor_on_pods_only() {
    let policy = NamespacePolicy::from_labels(&labels(&[("enforce", "baseline")]));
    let spec = json!({ "hostNetwork": true, "containers": [{ "name": "app", "image": "x", "ports": [{ "containerPort": 8080 }] }] });
    let pod =
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "h" }, "spec": spec });
    assert_eq!(
        admit_create(&policy, &pod_object(&pod).unwrap().unwrap())
            .denial
            .as_deref(),
        Some(
            r#"pods "h" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPort (container "app" uses hostPort 8080)"#
        )
    );
    let deployment = json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "h" }, "spec": { "template": { "spec": spec } } });
    assert_eq!(
        admit_create(&policy, &pod_object(&deployment).unwrap().unwrap()).warnings,
        [r#"would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#]
    );

    let annotated = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "a", "annotations": {
        "container.apparmor.security.beta.kubernetes.io/app": "unconfined" } }, "spec": template()["spec"] });
    assert_eq!(
        admit_create(&policy, &pod_object(&annotated).unwrap().unwrap())
            .denial
            .as_deref(),
        Some(
            r#"pods "a" is forbidden: violates PodSecurity "baseline:latest": forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")"#
        )
    );
}
