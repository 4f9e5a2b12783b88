//! Tests of `fix_for_restricted`: examples, and the property that a fixed Pod passes
//! `restricted` except for what was reported as needing a human.

use super::defaults::as_admitted;
use super::tests_baseline::{pod, pod_with, run};
use super::{CheckId, Level, fix_for_restricted};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

#[test]
fn a_plain_pod_is_fixed_completely() {
    let p = pod(
        json!({ "initContainers": [{ "name": "init", "image": "x" }],
        "containers": [{ "name": "app", "image": "x", "securityContext": { "seccompProfile": { "type": "Unconfined" } } }] }),
    );
    let out = fix_for_restricted(&p);
    assert_eq!(out.needs_human, vec![]);
    assert_eq!(run(Level::Restricted, None, &out.pod), vec![]);
    assert!(out.changes.contains(
        &"container \"init\" sets securityContext.allowPrivilegeEscalation=false".to_owned()
    ));
    assert!(out.changes.contains(
        &"container \"app\" sets securityContext.seccompProfile.type=RuntimeDefault".to_owned()
    ));
}

#[test]
fn host_access_is_left_to_a_human() {
    let p = pod(json!({ "hostPID": true,
        "containers": [{ "name": "app", "image": "x", "securityContext": { "privileged": true, "runAsUser": 0 } }],
        "volumes": [{ "name": "root", "hostPath": { "path": "/" } }] }));
    let out = fix_for_restricted(&p);
    let checks: BTreeSet<CheckId> = out.needs_human.iter().map(|h| h.check).collect();
    assert_eq!(
        checks,
        BTreeSet::from([
            CheckId::HostNamespaces,
            CheckId::Privileged,
            CheckId::AllowPrivilegeEscalation,
            CheckId::RestrictedVolumes,
            CheckId::RunAsUser
        ])
    );
    assert_eq!(out.pod.spec.host_pid, Some(true), "left as it was");
    assert!(
        out.needs_human
            .iter()
            .any(|h| h.reason.starts_with("volume \"root\" is of type hostPath"))
    );
}

#[test]
fn windows_pods_get_no_linux_only_fields() {
    let p = pod(
        json!({ "os": { "name": "windows" }, "containers": [{ "name": "app", "image": "x" }] }),
    );
    let out = fix_for_restricted(&p);
    let sc = out.pod.spec.containers[0]
        .security_context
        .clone()
        .unwrap_or_default();
    assert_eq!(
        (
            sc.allow_privilege_escalation,
            sc.capabilities,
            sc.seccomp_profile
        ),
        (None, None, None)
    );
    assert_eq!(run(Level::Restricted, None, &out.pod), vec![]);
}

fn pick(values: Vec<Value>) -> BoxedStrategy<Value> {
    prop::sample::select(values).boxed()
}

/// A JSON object of the fields that are not `null`.
fn object(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let (keys, values): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    values
        .prop_map(move |values| {
            let map: Map<String, Value> = keys
                .iter()
                .zip(values)
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| ((*k).to_owned(), v))
                .collect();
            Value::Object(map)
        })
        .boxed()
}

fn tri() -> BoxedStrategy<Value> {
    pick(vec![Value::Null, json!(true), json!(false)])
}

fn security_context() -> BoxedStrategy<Value> {
    let caps = object(vec![
        (
            "add",
            pick(vec![
                Value::Null,
                json!([]),
                json!(["NET_BIND_SERVICE"]),
                json!(["CHOWN"]),
                json!(["SYS_ADMIN", "NET_RAW"]),
            ]),
        ),
        (
            "drop",
            pick(vec![Value::Null, json!(["ALL"]), json!(["NET_RAW"])]),
        ),
    ]);
    object(vec![
        (
            "privileged",
            pick(vec![Value::Null, json!(false), json!(false), json!(true)]),
        ),
        ("allowPrivilegeEscalation", tri()),
        ("runAsNonRoot", tri()),
        ("runAsUser", pick(vec![Value::Null, json!(0), json!(1000)])),
        ("capabilities", prop_oneof![Just(Value::Null), caps].boxed()),
        (
            "seccompProfile",
            pick(vec![
                Value::Null,
                json!({ "type": "RuntimeDefault" }),
                json!({ "type": "Unconfined" }),
                json!({ "type": "Localhost", "localhostProfile": "p" }),
            ]),
        ),
        (
            "procMount",
            pick(vec![Value::Null, json!("Default"), json!("Unmasked")]),
        ),
        (
            "appArmorProfile",
            pick(vec![
                Value::Null,
                json!({ "type": "RuntimeDefault" }),
                json!({ "type": "Unconfined" }),
            ]),
        ),
        (
            "seLinuxOptions",
            pick(vec![
                Value::Null,
                json!({ "type": "container_t" }),
                json!({ "type": "spc_t" }),
                json!({ "user": "u" }),
            ]),
        ),
        (
            "windowsOptions",
            pick(vec![
                Value::Null,
                json!({ "hostProcess": false }),
                json!({ "hostProcess": true }),
            ]),
        ),
    ])
}

fn container(name: String) -> BoxedStrategy<Value> {
    let ports = pick(vec![
        Value::Null,
        json!([{ "containerPort": 80 }]),
        json!([{ "containerPort": 80, "hostPort": 8080 }]),
    ]);
    let probe = pick(vec![
        Value::Null,
        json!({ "httpGet": { "port": 80 } }),
        json!({ "httpGet": { "port": 80, "host": "10.0.0.1" } }),
    ]);
    (
        prop_oneof![Just(Value::Null), security_context()],
        ports,
        probe,
    )
        .prop_map(move |(sc, ports, probe)| {
            let mut c = json!({ "name": name, "image": "x" });
            for (key, value) in [
                ("securityContext", sc),
                ("ports", ports),
                ("livenessProbe", probe),
            ] {
                if !value.is_null() {
                    c[key] = value;
                }
            }
            c
        })
        .boxed()
}

fn containers(prefix: &'static str, range: std::ops::Range<usize>) -> BoxedStrategy<Value> {
    range
        .prop_flat_map(move |n| {
            (0..n)
                .map(|i| container(format!("{prefix}{i}")))
                .collect::<Vec<_>>()
        })
        .prop_map(Value::Array)
        .boxed()
}

fn pod_spec() -> BoxedStrategy<Value> {
    let pod_context = object(vec![
        ("runAsNonRoot", tri()),
        ("runAsUser", pick(vec![Value::Null, json!(0), json!(1000)])),
        (
            "seccompProfile",
            pick(vec![
                Value::Null,
                json!({ "type": "RuntimeDefault" }),
                json!({ "type": "Unconfined" }),
            ]),
        ),
        (
            "appArmorProfile",
            pick(vec![Value::Null, json!({ "type": "Unconfined" })]),
        ),
        (
            "seLinuxOptions",
            pick(vec![Value::Null, json!({ "role": "r" })]),
        ),
        (
            "sysctls",
            pick(vec![
                Value::Null,
                json!([{ "name": "net.ipv4.tcp_rmem", "value": "1" }]),
                json!([{ "name": "kernel.msgmax", "value": "1" }]),
            ]),
        ),
        (
            "windowsOptions",
            pick(vec![Value::Null, json!({ "hostProcess": true })]),
        ),
    ]);
    let volumes = pick(vec![
        Value::Null,
        json!([{ "name": "v", "emptyDir": {} }]),
        json!([{ "name": "h", "hostPath": { "path": "/" } }]),
        json!([{ "name": "n", "nfs": { "server": "s", "path": "/" } }]),
    ]);
    object(vec![
        ("hostNetwork", tri()),
        ("hostPID", tri()),
        ("hostIPC", tri()),
        (
            "os",
            pick(vec![
                Value::Null,
                Value::Null,
                json!({ "name": "linux" }),
                json!({ "name": "windows" }),
            ]),
        ),
        (
            "securityContext",
            prop_oneof![Just(Value::Null), pod_context].boxed(),
        ),
        ("volumes", volumes),
        ("initContainers", containers("init", 0..2)),
        ("containers", containers("app", 1..3)),
        ("ephemeralContainers", containers("debug", 0..2)),
    ])
}

proptest! {
    #[test]
    fn a_fixed_pod_passes_restricted_except_for_what_needs_a_human(
        spec in pod_spec(),
        unconfined in any::<bool>(),
    ) {
        let annotations = if unconfined {
            json!({ "container.apparmor.security.beta.kubernetes.io/app0": "unconfined" })
        } else {
            json!({})
        };
        let original = pod_with(json!({ "name": "p", "annotations": annotations }), spec);
        let out = fix_for_restricted(&original);
        let remaining: BTreeSet<CheckId> = run(Level::Restricted, None, &as_admitted(&out.pod))
            .into_iter().map(|v| v.check).collect();
        let for_a_human: BTreeSet<CheckId> = out.needs_human.iter().map(|h| h.check).collect();
        prop_assert!(remaining.is_subset(&for_a_human),
            "still failing: {remaining:?}, reported: {:?}", out.needs_human);
        if out.needs_human.is_empty() {
            prop_assert!(remaining.is_empty());
        }
    }
}
