//! The manifests of the differential test: one Pod or more per Pod Security check, good and bad,
//! some combinations, and workloads of every kind Pod Security reads. It is longer than most
//! files because it is one list of data, read top to bottom; split, the cases would be harder to
//! count and compare.

use serde_json::{Value, json};

const IMAGE: &str = "harbor.example.com/demo/app:1.0";

/// A container named `name` with `security_context` (`null` for none).
pub fn container(name: &str, security_context: Value) -> Value {
    let mut c = json!({ "name": name, "image": IMAGE });
    if !security_context.is_null() {
        c["securityContext"] = security_context;
    }
    c
}

/// A container security context that passes `restricted`.
pub fn hardened() -> Value {
    json!({ "allowPrivilegeEscalation": false, "capabilities": { "drop": ["ALL"] } })
}

/// The same with extra fields merged in.
pub fn hardened_with(extra: Value) -> Value {
    let mut sc = hardened();
    for (key, value) in extra.as_object().expect("an object") {
        sc[key] = value.clone();
    }
    sc
}

/// A pod security context that passes `restricted`.
pub fn pod_context() -> Value {
    json!({ "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" } })
}

/// A hardened pod spec: one container `app`.
pub fn good_spec() -> Value {
    json!({ "securityContext": pod_context(), "containers": [container("app", hardened())] })
}

/// `good_spec` with top-level fields replaced.
pub fn spec_with(extra: Value) -> Value {
    let mut spec = good_spec();
    for (key, value) in extra.as_object().expect("an object") {
        spec[key] = value.clone();
    }
    spec
}

fn pod(name: &str, spec: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name }, "spec": spec })
}

fn annotated_pod(name: &str, annotations: Value, spec: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": name, "annotations": annotations }, "spec": spec })
}

fn template(spec: Value, restart: Option<&str>) -> Value {
    let mut spec = spec;
    if let Some(policy) = restart {
        spec["restartPolicy"] = json!(policy);
    }
    json!({ "metadata": { "labels": { "app": "demo" } }, "spec": spec })
}

fn workload(kind: &str, name: &str, spec: Value) -> Value {
    let selector = json!({ "matchLabels": { "app": "demo" } });
    let (api_version, body) = match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" => (
            "apps/v1",
            json!({ "selector": selector, "template": template(spec, None) }),
        ),
        "StatefulSet" => (
            "apps/v1",
            json!({ "selector": selector, "serviceName": "demo",
            "template": template(spec, None) }),
        ),
        "ReplicationController" => (
            "v1",
            json!({ "selector": { "app": "demo" },
            "template": template(spec, None) }),
        ),
        "Job" => (
            "batch/v1",
            json!({ "template": template(spec, Some("Never")) }),
        ),
        "CronJob" => (
            "batch/v1",
            json!({ "schedule": "*/5 * * * *",
            "jobTemplate": { "spec": { "template": template(spec, Some("OnFailure")) } } }),
        ),
        "PodTemplate" => {
            return json!({ "apiVersion": "v1", "kind": "PodTemplate", "metadata": { "name": name },
                "template": template(spec, None) });
        }
        other => panic!("no such kind {other}"),
    };
    json!({ "apiVersion": api_version, "kind": kind, "metadata": { "name": name }, "spec": body })
}

fn plain_spec() -> Value {
    json!({ "containers": [container("app", Value::Null)] })
}

/// Every case: a short name and the manifest.
pub fn cases() -> Vec<(&'static str, Value)> {
    let probe = |host: &str| json!({ "httpGet": { "port": 8080, "host": host } });
    let mut cases = vec![
        ("good", pod("good", good_spec())),
        ("plain", pod("plain", plain_spec())),
        (
            "generate-name",
            json!({ "apiVersion": "v1", "kind": "Pod",
            "metadata": { "generateName": "plain-" }, "spec": plain_spec() }),
        ),
        (
            "host-network-ports",
            pod(
                "host-network-ports",
                spec_with(json!({ "hostNetwork": true,
            "containers": [{ "name": "app", "image": IMAGE, "securityContext": hardened(),
                "ports": [{ "containerPort": 8080 }] }] })),
            ),
        ),
        (
            "host-pid-ipc",
            pod(
                "host-pid-ipc",
                spec_with(json!({ "hostPID": true, "hostIPC": true })),
            ),
        ),
        (
            "privileged",
            pod(
                "privileged",
                spec_with(json!({ "containers": [container("app",
            json!({ "privileged": true, "capabilities": { "drop": ["ALL"] } }))] })),
            ),
        ),
        (
            "caps-net-raw",
            pod(
                "caps-net-raw",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "capabilities": { "drop": ["ALL"], "add": ["NET_RAW", "SYS_TIME"] } })))] })),
            ),
        ),
        (
            "caps-chown",
            pod(
                "caps-chown",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "capabilities": { "drop": ["ALL"], "add": ["CHOWN"] } })))] })),
            ),
        ),
        (
            "caps-net-bind",
            pod(
                "caps-net-bind",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "capabilities": { "drop": ["ALL"], "add": ["NET_BIND_SERVICE"] } })))] })),
            ),
        ),
        (
            "caps-no-drop",
            pod(
                "caps-no-drop",
                spec_with(json!({ "containers": [container("app",
            json!({ "allowPrivilegeEscalation": false, "capabilities": { "drop": ["NET_RAW"] } }))] })),
            ),
        ),
        (
            "host-path",
            pod(
                "host-path",
                spec_with(json!({ "volumes": [
            { "name": "root", "hostPath": { "path": "/" } }, { "name": "logs", "hostPath": { "path": "/var/log" } }] })),
            ),
        ),
        (
            "nfs-git",
            pod(
                "nfs-git",
                spec_with(json!({ "volumes": [
            { "name": "share", "nfs": { "server": "nfs.example.com", "path": "/export" } },
            { "name": "fc", "fc": { "wwids": ["w"] } }] })),
            ),
        ),
        (
            "allowed-volumes",
            pod(
                "allowed-volumes",
                spec_with(json!({ "volumes": [
            { "name": "a", "configMap": { "name": "c" } }, { "name": "b", "secret": { "secretName": "s" } },
            { "name": "c", "emptyDir": {} }, { "name": "d", "downwardAPI": { "items": [] } },
            { "name": "e", "projected": { "sources": [] } },
            { "name": "f", "persistentVolumeClaim": { "claimName": "data" } },
            { "name": "g", "csi": { "driver": "csi.example.com" } },
            { "name": "h", "ephemeral": { "volumeClaimTemplate": { "spec": { "accessModes": ["ReadWriteOnce"],
                "resources": { "requests": { "storage": "1Gi" } } } } } }] })),
            ),
        ),
        (
            "host-port",
            pod(
                "host-port",
                spec_with(json!({ "containers": [{ "name": "app", "image": IMAGE,
            "securityContext": hardened(), "ports": [{ "containerPort": 80, "hostPort": 8080 }, { "containerPort": 443, "hostPort": 8443 }] }] })),
            ),
        ),
        (
            "probe-host",
            pod(
                "probe-host",
                spec_with(json!({ "containers": [{ "name": "app", "image": IMAGE,
            "securityContext": hardened(), "livenessProbe": probe("10.0.0.1"),
            "readinessProbe": { "tcpSocket": { "port": 8080, "host": "db.example.com" } } }] })),
            ),
        ),
        (
            "lifecycle-host",
            pod(
                "lifecycle-host",
                spec_with(json!({ "containers": [{ "name": "app", "image": IMAGE,
            "securityContext": hardened(), "lifecycle": { "preStop": probe("10.0.0.2") } }] })),
            ),
        ),
        (
            "apparmor-container",
            pod(
                "apparmor-container",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "appArmorProfile": { "type": "Unconfined" } })))] })),
            ),
        ),
        (
            "apparmor-pod",
            pod(
                "apparmor-pod",
                spec_with(json!({ "securityContext": {
            "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" }, "appArmorProfile": { "type": "Unconfined" } } })),
            ),
        ),
        (
            "apparmor-annotation",
            annotated_pod(
                "apparmor-annotation",
                json!({ "container.apparmor.security.beta.kubernetes.io/app": "unconfined" }),
                good_spec(),
            ),
        ),
        (
            "apparmor-localhost",
            pod(
                "apparmor-localhost",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "appArmorProfile": { "type": "Localhost", "localhostProfile": "k8s-demo" } })))] })),
            ),
        ),
        (
            "selinux-type",
            pod(
                "selinux-type",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "seLinuxOptions": { "type": "spc_t" } })))] })),
            ),
        ),
        (
            "selinux-user-role",
            pod(
                "selinux-user-role",
                spec_with(json!({ "securityContext": {
            "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" },
            "seLinuxOptions": { "user": "system_u", "role": "system_r" } } })),
            ),
        ),
        (
            "selinux-engine",
            pod(
                "selinux-engine",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "seLinuxOptions": { "type": "container_engine_t" } })))] })),
            ),
        ),
        (
            "proc-mount",
            pod(
                "proc-mount",
                spec_with(json!({ "hostUsers": false, "containers": [container("app",
            hardened_with(json!({ "procMount": "Unmasked" })))] })),
            ),
        ),
        (
            "seccomp-pod-unconfined",
            pod(
                "seccomp-pod-unconfined",
                spec_with(json!({ "securityContext": {
            "runAsNonRoot": true, "seccompProfile": { "type": "Unconfined" } } })),
            ),
        ),
        (
            "seccomp-container-unconfined",
            pod(
                "seccomp-container-unconfined",
                spec_with(json!({ "containers": [container("app",
            hardened_with(json!({ "seccompProfile": { "type": "Unconfined" } })))] })),
            ),
        ),
        (
            "seccomp-container-only",
            pod(
                "seccomp-container-only",
                json!({ "securityContext": { "runAsNonRoot": true },
            "containers": [container("app", hardened_with(json!({ "seccompProfile": { "type": "Localhost", "localhostProfile": "p.json" } })))] }),
            ),
        ),
        (
            "sysctl-unsafe",
            pod(
                "sysctl-unsafe",
                spec_with(json!({ "securityContext": { "runAsNonRoot": true,
            "seccompProfile": { "type": "RuntimeDefault" },
            "sysctls": [{ "name": "kernel.msgmax", "value": "65536" }, { "name": "net.ipv4.tcp_syncookies", "value": "1" }, { "name": "vm.swappiness", "value": "1" }] } })),
            ),
        ),
        (
            "sysctl-new",
            pod(
                "sysctl-new",
                spec_with(json!({ "securityContext": { "runAsNonRoot": true,
            "seccompProfile": { "type": "RuntimeDefault" },
            "sysctls": [{ "name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456" }] } })),
            ),
        ),
        (
            "windows-host-process",
            pod(
                "windows-host-process",
                json!({ "hostNetwork": true,
            "securityContext": { "windowsOptions": { "hostProcess": true, "runAsUserName": "NT AUTHORITY\\SYSTEM" } },
            "containers": [container("app", json!({ "windowsOptions": { "hostProcess": true } }))] }),
            ),
        ),
        (
            "windows-os",
            pod(
                "windows-os",
                json!({ "os": { "name": "windows" }, "securityContext": { "runAsNonRoot": true },
            "containers": [container("app", Value::Null)] }),
            ),
        ),
        (
            "run-as-root-pod",
            pod(
                "run-as-root-pod",
                spec_with(json!({ "securityContext": {
            "runAsNonRoot": false, "runAsUser": 0, "seccompProfile": { "type": "RuntimeDefault" } } })),
            ),
        ),
        (
            "run-as-root-container",
            pod(
                "run-as-root-container",
                spec_with(json!({ "containers": [
            container("app", hardened_with(json!({ "runAsUser": 0, "runAsNonRoot": false })))] })),
            ),
        ),
        (
            "non-root-per-container",
            pod(
                "non-root-per-container",
                json!({ "securityContext": { "seccompProfile": { "type": "RuntimeDefault" } },
            "containers": [container("app", hardened_with(json!({ "runAsNonRoot": true }))), container("sidecar", hardened())] }),
            ),
        ),
        (
            "escalation",
            pod(
                "escalation",
                spec_with(json!({ "containers": [container("app",
            json!({ "allowPrivilegeEscalation": true, "capabilities": { "drop": ["ALL"] } }))] })),
            ),
        ),
        (
            "bad-init",
            pod(
                "bad-init",
                spec_with(json!({ "initContainers": [container("setup", Value::Null)] })),
            ),
        ),
        (
            "several-bad",
            pod(
                "several-bad",
                json!({ "initContainers": [container("setup", Value::Null)],
            "containers": [container("app", Value::Null), container("sidecar", json!({ "capabilities": { "add": ["NET_ADMIN"] } }))] }),
            ),
        ),
        (
            "everything-bad",
            pod(
                "everything-bad",
                json!({ "hostPID": true, "hostNetwork": true,
            "securityContext": { "sysctls": [{ "name": "kernel.msgmax", "value": "1" }], "runAsUser": 0 },
            "containers": [{ "name": "app", "image": IMAGE, "ports": [{ "containerPort": 9000 }],
                "securityContext": { "privileged": true, "capabilities": { "add": ["SYS_ADMIN"] } } }],
            "volumes": [{ "name": "root", "hostPath": { "path": "/" } }] }),
            ),
        ),
    ];
    for kind in ["Deployment", "Job", "CronJob"] {
        cases.push((
            leak(format!("{kind}-plain")),
            workload(
                kind,
                &format!("{}-plain", kind.to_lowercase()),
                plain_spec(),
            ),
        ));
        cases.push((
            leak(format!("{kind}-good")),
            workload(kind, &format!("{}-good", kind.to_lowercase()), good_spec()),
        ));
    }
    for kind in [
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "PodTemplate",
    ] {
        cases.push((
            leak(format!("{kind}-plain")),
            workload(
                kind,
                &format!("{}-plain", kind.to_lowercase()),
                plain_spec(),
            ),
        ));
    }
    cases.push((
        "Deployment-host",
        workload(
            "Deployment",
            "deployment-host",
            spec_with(json!({ "hostNetwork": true,
        "containers": [{ "name": "app", "image": IMAGE, "securityContext": { "privileged": true },
            "ports": [{ "containerPort": 8080 }] }] })),
        ),
    ));
    let mut annotated = workload("Deployment", "deployment-apparmor", good_spec());
    annotated["spec"]["template"]["metadata"]["annotations"] =
        json!({ "container.apparmor.security.beta.kubernetes.io/app": "unconfined" });
    cases.push(("Deployment-apparmor-annotation", annotated));
    cases.push((
        "CronJob-host-path",
        workload(
            "CronJob",
            "cronjob-host-path",
            spec_with(json!({
        "volumes": [{ "name": "root", "hostPath": { "path": "/" } }] })),
        ),
    ));
    cases
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}
