//! Unit tests of the restricted checks: a passing and failing Pod for each, with Kubernetes'
//! reason and detail text, the inheritance from Pod to container, and Windows Pods.

use super::tests_baseline::{pod, run};
use super::{CheckId, Level, checks_for, forbidden_detail};
use serde_json::{Value, json};

fn c(name: &str, security_context: Value) -> Value {
    json!({ "name": name, "image": "x", "securityContext": security_context })
}

fn good() -> Value {
    json!({ "allowPrivilegeEscalation": false, "capabilities": { "drop": ["ALL"] } })
}

fn good_pod_context() -> Value {
    json!({ "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" } })
}

fn failure(check: CheckId, spec: Value) -> Option<(String, String)> {
    run(Level::Restricted, None, &pod(spec))
        .into_iter()
        .find(|v| v.check == check)
        .map(|v| (v.reason, v.detail))
}

fn expect(check: CheckId, spec: Value, reason: &str, detail: &str) {
    assert_eq!(
        failure(check, spec),
        Some((reason.to_owned(), detail.to_owned()))
    );
}

#[test]
fn a_hardened_pod_passes_restricted() {
    let spec = json!({ "securityContext": good_pod_context(),
        "initContainers": [c("init", good())], "containers": [c("app", good())] });
    assert_eq!(run(Level::Restricted, None, &pod(spec)), vec![]);
}

#[test]
fn restricted_replaces_three_baseline_checks() {
    let ids: Vec<&str> = checks_for(Level::Restricted, 34)
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "appArmorProfile",
            "hostNamespaces",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "sysctls",
            "windowsHostProcess",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "restrictedVolumes",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile_restricted",
        ]
    );
    let old: Vec<&str> = checks_for(Level::Restricted, 18)
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert!(old.contains(&"seccompProfile_baseline") && old.contains(&"capabilities_baseline"));
}

#[test]
fn allow_privilege_escalation_must_be_false_everywhere() {
    expect(
        CheckId::AllowPrivilegeEscalation,
        json!({
            "initContainers": [c("a", json!({}))],
            "containers": [c("b", json!({ "allowPrivilegeEscalation": true })), c("ok", json!({ "allowPrivilegeEscalation": false }))],
            "ephemeralContainers": [c("c", json!({}))],
        }),
        "allowPrivilegeEscalation != false",
        r#"containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false"#,
    );
}

#[test]
fn capabilities_must_drop_all_and_add_only_net_bind_service() {
    expect(
        CheckId::CapabilitiesRestricted,
        json!({ "containers": [
            c("a", json!({ "capabilities": { "add": ["FOO", "BAR"] } })),
            c("b", json!({ "capabilities": { "drop": ["NET_RAW"], "add": ["BAZ"] } })),
            c("c", json!({ "capabilities": { "drop": ["ALL"], "add": ["CHOWN", "NET_BIND_SERVICE"] } })),
            c("d", json!({ "capabilities": { "drop": ["ALL"], "add": ["NET_BIND_SERVICE"] } })),
        ]}),
        "unrestricted capabilities",
        r#"containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add"#,
    );
    expect(
        CheckId::CapabilitiesRestricted,
        json!({ "containers": [{ "name": "a", "image": "x" }] }),
        "unrestricted capabilities",
        r#"container "a" must set securityContext.capabilities.drop=["ALL"]"#,
    );
    assert_eq!(
        failure(
            CheckId::CapabilitiesRestricted,
            json!({ "containers": [
        c("a", json!({ "capabilities": { "drop": ["all"] } }))] })
        )
        .unwrap()
        .1,
        r#"container "a" must set securityContext.capabilities.drop=["ALL"]"#,
        "case matters"
    );
}

#[test]
fn volume_types() {
    expect(
        CheckId::RestrictedVolumes,
        json!({ "containers": [], "volumes": [
            { "name": "ok1", "configMap": { "name": "x" } }, { "name": "ok2", "csi": { "driver": "d" } },
            { "name": "ok3", "downwardAPI": {} }, { "name": "ok4", "emptyDir": {} },
            { "name": "ok5", "ephemeral": {} }, { "name": "ok6", "image": { "reference": "x" } },
            { "name": "ok7", "persistentVolumeClaim": { "claimName": "c" } }, { "name": "ok8", "projected": {} },
            { "name": "ok9", "secret": {} },
            { "name": "a", "hostPath": { "path": "/" } }, { "name": "b", "nfs": { "server": "s", "path": "/" } },
            { "name": "c", "gitRepo": { "repository": "r" } }, { "name": "d", "hostPath": { "path": "/x" } },
            { "name": "e" },
        ]}),
        "restricted volume types",
        r#"volumes "a", "b", "c", "d", "e" use restricted volume types "gitRepo", "hostPath", "nfs", "unknown""#,
    );
    expect(
        CheckId::RestrictedVolumes,
        json!({ "containers": [], "volumes": [{ "name": "a", "hostPath": { "path": "/" } }] }),
        "restricted volume types",
        r#"volume "a" uses restricted volume type "hostPath""#,
    );
}

#[test]
fn run_as_non_root_is_inherited_from_the_pod() {
    let inherited =
        json!({ "securityContext": { "runAsNonRoot": true }, "containers": [c("a", json!({}))] });
    assert_eq!(failure(CheckId::RunAsNonRoot, inherited), None);
    expect(
        CheckId::RunAsNonRoot,
        json!({ "containers": [c("a", json!({})), c("b", json!({ "runAsNonRoot": true }))] }),
        "runAsNonRoot != true",
        r#"pod or container "a" must set securityContext.runAsNonRoot=true"#,
    );
    expect(
        CheckId::RunAsNonRoot,
        json!({ "securityContext": { "runAsNonRoot": false },
        "containers": [c("a", json!({ "runAsNonRoot": true })), c("c", json!({ "runAsNonRoot": false })), c("d", json!({ "runAsNonRoot": false })), c("e", json!({}))] }),
        "runAsNonRoot != true",
        r#"pod and containers "c", "d" must not set securityContext.runAsNonRoot=false"#,
    );
}

#[test]
fn run_as_user_zero_is_refused() {
    expect(
        CheckId::RunAsUser,
        json!({ "securityContext": { "runAsUser": 0 }, "containers": [
        c("a", json!({ "runAsUser": 1000 })), c("c", json!({ "runAsUser": 0 })), c("d", json!({ "runAsUser": 0 }))] }),
        "runAsUser=0",
        r#"pod and containers "c", "d" must not set runAsUser=0"#,
    );
    assert_eq!(
        failure(
            CheckId::RunAsUser,
            json!({ "securityContext": { "runAsUser": 1 }, "containers": [] })
        ),
        None
    );
}

#[test]
fn seccomp_is_required_on_the_pod_or_every_container() {
    expect(
        CheckId::SeccompProfileRestricted,
        json!({ "containers": [c("a", json!({})), c("b", json!({}))] }),
        "seccompProfile",
        r#"pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
    );
    expect(
        CheckId::SeccompProfileRestricted,
        json!({ "securityContext": { "seccompProfile": { "type": "Unconfined" } },
        "containers": [c("a", json!({ "seccompProfile": { "type": "Localhost", "localhostProfile": "p" } })), c("c", json!({ "seccompProfile": { "type": "Unconfined" } }))] }),
        "seccompProfile",
        r#"pod and container "c" must not set securityContext.seccompProfile.type to "Unconfined""#,
    );
    assert_eq!(
        failure(
            CheckId::SeccompProfileRestricted,
            json!({ "securityContext": { "seccompProfile": { "type": "RuntimeDefault" } },
        "containers": [c("a", json!({}))] })
        ),
        None
    );
}

#[test]
fn windows_pods_skip_the_linux_only_checks() {
    let spec = json!({ "os": { "name": "windows" }, "securityContext": { "runAsNonRoot": true },
        "containers": [{ "name": "a", "image": "x" }] });
    assert_eq!(run(Level::Restricted, None, &pod(spec.clone())), vec![]);
    let checks: Vec<CheckId> = run(Level::Restricted, Some(24), &pod(spec))
        .into_iter()
        .map(|v| v.check)
        .collect();
    assert_eq!(
        checks,
        [
            CheckId::AllowPrivilegeEscalation,
            CheckId::CapabilitiesRestricted,
            CheckId::SeccompProfileRestricted
        ]
    );
}

#[test]
fn the_message_a_developer_sees_for_a_plain_pod() {
    let failures = run(
        Level::Restricted,
        None,
        &pod(json!({ "containers": [{ "name": "app", "image": "nginx" }] })),
    );
    assert_eq!(
        forbidden_detail(&failures),
        r#"allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
    );
}
