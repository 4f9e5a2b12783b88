//! Unit tests of the baseline checks: a passing and failing Pod for each, with the reason and
//! detail text that Kubernetes' own tests expect (several cases are ported from them).

use super::workload::{PodSource, pod_object};
use super::{CheckId, Level, LevelVersion, Version, Violation, evaluate, forbidden_detail};
use serde_json::{Value, json};

/// A Pod whose spec is `spec` and whose metadata is `metadata`.
pub(super) fn pod_with(metadata: Value, spec: Value) -> PodSource {
    let object = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec });
    pod_object(&object).unwrap().unwrap().pod
}

/// A Pod whose spec is `spec`.
pub(super) fn pod(spec: Value) -> PodSource {
    pod_with(json!({ "name": "p" }), spec)
}

pub(super) fn run(level: Level, minor: Option<u64>, pod: &PodSource) -> Vec<Violation> {
    let version = minor.map_or(Version::Latest, Version::Minor);
    evaluate(LevelVersion { level, version }, &pod.metadata, &pod.spec)
}

/// The one failure of `check` at baseline:latest, as `(reason, detail)`.
fn failure(check: CheckId, pod: &PodSource) -> Option<(String, String)> {
    run(Level::Baseline, None, pod)
        .into_iter()
        .find(|v| v.check == check)
        .map(|v| (v.reason, v.detail))
}

fn expect(check: CheckId, pod: &PodSource, reason: &str, detail: &str) {
    assert_eq!(
        failure(check, pod),
        Some((reason.to_owned(), detail.to_owned())),
        "{check:?}"
    );
}

fn c(name: &str, security_context: Value) -> Value {
    json!({ "name": name, "image": "x", "securityContext": security_context })
}

#[test]
fn a_plain_pod_passes_baseline() {
    let p = pod(json!({ "containers": [{ "name": "app", "image": "nginx" }] }));
    assert_eq!(run(Level::Baseline, None, &p), vec![]);
    assert_eq!(run(Level::Privileged, None, &p), vec![]);
}

#[test]
fn host_namespaces() {
    let p = pod(json!({ "hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": [] }));
    expect(
        CheckId::HostNamespaces,
        &p,
        "host namespaces",
        "hostNetwork=true, hostPID=true, hostIPC=true",
    );
    let ok = pod(json!({ "hostNetwork": false, "containers": [] }));
    assert_eq!(failure(CheckId::HostNamespaces, &ok), None);
}

#[test]
fn privileged_in_every_kind_of_container() {
    let p = pod(json!({
        "initContainers": [c("a", json!({ "privileged": false })), c("d", json!({ "privileged": true }))],
        "containers": [c("b", json!({})), c("e", json!({ "privileged": true }))],
        "ephemeralContainers": [c("f", json!({ "privileged": true }))]
    }));
    expect(
        CheckId::Privileged,
        &p,
        "privileged",
        r#"containers "d", "e", "f" must not set securityContext.privileged=true"#,
    );
}

#[test]
fn capabilities_baseline_allows_the_default_set_only() {
    let p = pod(json!({ "containers": [
        c("a", json!({ "capabilities": { "add": ["FOO", "BAR", "CHOWN"] } })),
        c("b", json!({ "capabilities": { "add": ["BAR", "BAZ"] } })),
        c("c", json!({ "capabilities": { "add": ["NET_BIND_SERVICE", "CHOWN"] } })),
    ]}));
    expect(
        CheckId::CapabilitiesBaseline,
        &p,
        "non-default capabilities",
        r#"containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add"#,
    );
    let single =
        pod(json!({ "containers": [c("a", json!({ "capabilities": { "add": ["NET_RAW"] } }))] }));
    expect(
        CheckId::CapabilitiesBaseline,
        &single,
        "non-default capabilities",
        r#"container "a" must not include "NET_RAW" in securityContext.capabilities.add"#,
    );
}

#[test]
fn host_path_volumes() {
    let p = pod(json!({ "containers": [], "volumes": [
        { "name": "a", "hostPath": { "path": "/a" } },
        { "name": "c", "emptyDir": {} },
        { "name": "b", "hostPath": { "path": "/b" } },
    ]}));
    expect(
        CheckId::HostPathVolumes,
        &p,
        "hostPath volumes",
        r#"volumes "a", "b""#,
    );
    let one =
        pod(json!({ "containers": [], "volumes": [{ "name": "x", "hostPath": { "path": "/" } }] }));
    expect(
        CheckId::HostPathVolumes,
        &one,
        "hostPath volumes",
        r#"volume "x""#,
    );
}

#[test]
fn host_ports() {
    let p = pod(json!({ "containers": [
        { "name": "a", "image": "x", "ports": [{ "containerPort": 1 }, { "containerPort": 2, "hostPort": 0 }] },
        { "name": "b", "image": "x", "ports": [{ "containerPort": 1, "hostPort": 20 }, { "containerPort": 2, "hostPort": 10 }] },
        { "name": "c", "image": "x", "ports": [{ "containerPort": 1, "hostPort": 30 }, { "containerPort": 2, "hostPort": 10 }] },
    ]}));
    expect(
        CheckId::HostPorts,
        &p,
        "hostPort",
        r#"containers "b", "c" use hostPorts 10, 20, 30"#,
    );
    let one = pod(
        json!({ "containers": [{ "name": "b", "image": "x", "ports": [{ "containerPort": 1, "hostPort": 20 }] }] }),
    );
    expect(
        CheckId::HostPorts,
        &one,
        "hostPort",
        r#"container "b" uses hostPort 20"#,
    );
}

#[test]
fn probe_and_lifecycle_hosts_from_v1_34() {
    let probe = |host: &str| json!({ "httpGet": { "port": 80, "host": host } });
    let p = pod(json!({ "containers": [
        { "name": "a", "image": "x", "livenessProbe": probe("localhost"), "readinessProbe": { "tcpSocket": { "port": 1, "host": "::1" } },
          "lifecycle": { "preStop": probe("127.0.0.1") } },
        { "name": "ok", "image": "x", "livenessProbe": probe("") },
    ]}));
    expect(
        CheckId::HostProbesAndHostLifecycle,
        &p,
        "probe or lifecycle host",
        r#"container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost""#,
    );
    assert!(
        run(Level::Baseline, Some(33), &p).is_empty(),
        "the check is new in v1.34"
    );
}

#[test]
fn app_armor_fields_and_annotations() {
    let p = pod(json!({
        "securityContext": { "appArmorProfile": { "type": "Unconfined" } },
        "containers": [c("foo", json!({ "appArmorProfile": { "type": "Localhost", "localhostProfile": "x" } }))]
    }));
    expect(
        CheckId::AppArmorProfile,
        &p,
        "forbidden AppArmor profile",
        r#"pod must not set AppArmor profile type to "Unconfined""#,
    );
    let both = pod_with(
        json!({ "annotations": {
            "container.apparmor.security.beta.kubernetes.io/b": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/a": "localhost/fine",
        }}),
        json!({ "containers": [c("bar", json!({ "appArmorProfile": { "type": "Unconfined" } }))] }),
    );
    expect(
        CheckId::AppArmorProfile,
        &both,
        "forbidden AppArmor profiles",
        r#"container "bar" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/b="unconfined"""#,
    );
}

#[test]
fn se_linux_options() {
    let p = pod(json!({
        "securityContext": { "seLinuxOptions": { "type": "foo", "user": "u", "role": "r" } },
        "containers": [
            c("a", json!({ "seLinuxOptions": { "type": "container_t" } })),
            c("e", json!({ "seLinuxOptions": { "type": "bar" } })),
            c("f", json!({ "seLinuxOptions": { "user": "x" } })),
            c("g", json!({ "seLinuxOptions": { "role": "x" } })),
        ]
    }));
    expect(
        CheckId::SeLinuxOptions,
        &p,
        "seLinuxOptions",
        r#"pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set"#,
    );
    let engine = pod(
        json!({ "securityContext": { "seLinuxOptions": { "type": "container_engine_t" } }, "containers": [] }),
    );
    assert_eq!(
        failure(CheckId::SeLinuxOptions, &engine),
        None,
        "allowed since v1.31"
    );
    assert_eq!(
        run(Level::Baseline, Some(30), &engine)[0].detail,
        r#"pod set forbidden securityContext.seLinuxOptions: type "container_engine_t""#
    );
}

#[test]
fn proc_mount() {
    let p = pod(json!({ "containers": [
        c("a", json!({})), c("b", json!({ "procMount": "Default" })),
        c("d", json!({ "procMount": "Unmasked" })), c("e", json!({ "procMount": "other" })),
    ]}));
    expect(
        CheckId::ProcMount,
        &p,
        "procMount",
        r#"containers "d", "e" must not set securityContext.procMount to "Unmasked", "other""#,
    );
}

#[test]
fn seccomp_baseline_fields_and_old_annotations() {
    let p = pod(json!({
        "securityContext": { "seccompProfile": { "type": "Unconfined" } },
        "containers": [
            c("a", json!({ "seccompProfile": { "type": "RuntimeDefault" } })),
            c("c", json!({ "seccompProfile": { "type": "Unconfined" } })),
            c("d", json!({ "seccompProfile": { "type": "Unconfined" } })),
        ]
    }));
    expect(
        CheckId::SeccompProfileBaseline,
        &p,
        "seccompProfile",
        r#"pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined""#,
    );
    let old = pod_with(
        json!({ "annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/a": "unconfined",
            "container.seccomp.security.alpha.kubernetes.io/b": "unknown",
        }}),
        json!({ "containers": [c("a", json!({})), c("b", json!({}))] }),
    );
    assert_eq!(
        failure(CheckId::SeccompProfileBaseline, &old),
        None,
        "annotations are ignored since v1.19"
    );
    assert_eq!(
        run(Level::Baseline, Some(18), &old)[0].detail,
        r#"forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", container.seccomp.security.alpha.kubernetes.io/b="unknown", seccomp.security.alpha.kubernetes.io/pod="unconfined""#
    );
}

#[test]
fn sysctls_by_version() {
    let sysctls = |names: &[&str]| {
        let list: Vec<Value> = names
            .iter()
            .map(|n| json!({ "name": n, "value": "1" }))
            .collect();
        pod(json!({ "securityContext": { "sysctls": list }, "containers": [] }))
    };
    expect(
        CheckId::Sysctls,
        &sysctls(&["a", "kernel.shm_rmid_forced", "b"]),
        "forbidden sysctls",
        "a, b",
    );
    let new = sysctls(&["net.ipv4.tcp_rmem"]);
    assert_eq!(failure(CheckId::Sysctls, &new), None, "allowed since v1.32");
    assert_eq!(
        run(Level::Baseline, Some(31), &new)[0].detail,
        "net.ipv4.tcp_rmem"
    );
    assert_eq!(
        run(
            Level::Baseline,
            Some(26),
            &sysctls(&["net.ipv4.ip_local_reserved_ports"])
        )[0]
        .detail,
        "net.ipv4.ip_local_reserved_ports"
    );
}

#[test]
fn windows_host_process() {
    let p = pod(json!({
        "securityContext": { "windowsOptions": { "hostProcess": true } },
        "containers": [c("a", json!({ "windowsOptions": { "hostProcess": false } })),
            c("e", json!({ "windowsOptions": { "hostProcess": true } })),
            c("f", json!({ "windowsOptions": { "hostProcess": true } }))]
    }));
    expect(
        CheckId::WindowsHostProcess,
        &p,
        "hostProcess",
        r#"pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true"#,
    );
}

#[test]
fn failures_are_listed_in_the_registry_order() {
    let p = pod(json!({
        "hostPID": true,
        "securityContext": { "sysctls": [{ "name": "kernel.msgmax", "value": "1" }] },
        "containers": [c("a", json!({ "privileged": true, "capabilities": { "add": ["SYS_ADMIN"] } }))],
        "volumes": [{ "name": "h", "hostPath": { "path": "/" } }]
    }));
    let failures = run(Level::Baseline, None, &p);
    assert_eq!(
        forbidden_detail(&failures),
        r#"non-default capabilities (container "a" must not include "SYS_ADMIN" in securityContext.capabilities.add), host namespaces (hostPID=true), hostPath volumes (volume "h"), privileged (container "a" must not set securityContext.privileged=true), forbidden sysctls (kernel.msgmax)"#
    );
}
