//! The baseline checks about the host and the kernel: host namespaces, `hostPath` volumes, host
//! ports, probe and lifecycle hosts, privileged containers, added capabilities, `procMount`,
//! sysctls and Windows host processes. Each mirrors one `check_*.go` of the Go package, message
//! for message.

use super::Failure;
use super::text::{containers, containers_phrase, join_quote, pluralize};
use k8s_openapi::api::core::v1::{LifecycleHandler, PodSpec, Probe};
use std::collections::BTreeSet;

/// `check_hostNamespaces.go`: `hostNetwork`, `hostPID` and `hostIPC` must not be true.
pub(super) fn host_namespaces(spec: &PodSpec) -> Option<Failure> {
    let set: Vec<&str> = [
        (spec.host_network, "hostNetwork=true"),
        (spec.host_pid, "hostPID=true"),
        (spec.host_ipc, "hostIPC=true"),
    ]
    .into_iter()
    .filter(|(value, _)| *value == Some(true))
    .map(|(_, text)| text)
    .collect();
    if set.is_empty() {
        return None;
    }
    Failure::new("host namespaces", set.join(", "))
}

/// `check_privileged.go`: no container may set `privileged: true`.
pub(super) fn privileged(spec: &PodSpec) -> Option<Failure> {
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|c| c.security_context.and_then(|s| s.privileged) == Some(true))
        .map(|c| c.name)
        .collect();
    if bad.is_empty() {
        return None;
    }
    Failure::new(
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&bad)
        ),
    )
}

/// The capabilities a container runtime grants by default, which baseline lets a container add.
const DEFAULT_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// `check_capabilities_baseline.go`: only the default capabilities may be added.
pub(super) fn capabilities_baseline(spec: &PodSpec) -> Option<Failure> {
    let mut bad = Vec::new();
    let mut capabilities = BTreeSet::new();
    for c in containers(spec) {
        let added = c
            .security_context
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|caps| caps.add.as_ref());
        let mut valid = true;
        for capability in added.into_iter().flatten() {
            if !DEFAULT_CAPABILITIES.contains(&capability.as_str()) {
                valid = false;
                capabilities.insert(capability.as_str());
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let capabilities: Vec<&str> = capabilities.into_iter().collect();
    Failure::new(
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad),
            join_quote(&capabilities)
        ),
    )
}

/// `check_hostPathVolumes.go`: no `hostPath` volume.
pub(super) fn host_path_volumes(spec: &PodSpec) -> Option<Failure> {
    let bad: Vec<&str> = spec
        .volumes
        .iter()
        .flatten()
        .filter(|v| v.host_path.is_some())
        .map(|v| v.name.as_str())
        .collect();
    if bad.is_empty() {
        return None;
    }
    Failure::new(
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad)
        ),
    )
}

/// `check_hostPorts.go`: no container port may name a `hostPort`.
pub(super) fn host_ports(spec: &PodSpec) -> Option<Failure> {
    let mut bad = Vec::new();
    let mut ports = BTreeSet::new();
    for c in containers(spec) {
        let mut valid = true;
        for port in c.ports {
            if let Some(host_port) = port.host_port.filter(|p| *p != 0) {
                valid = false;
                ports.insert(host_port.to_string());
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.into_iter().collect();
    Failure::new(
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
    )
}

fn probe_hosts(probe: Option<&Probe>) -> Vec<&str> {
    let Some(probe) = probe else {
        return Vec::new();
    };
    let http = probe.http_get.as_ref().and_then(|h| h.host.as_deref());
    let tcp = probe.tcp_socket.as_ref().and_then(|t| t.host.as_deref());
    [http, tcp]
        .into_iter()
        .flatten()
        .filter(|h| !h.is_empty())
        .collect()
}

fn handler_hosts(handler: Option<&LifecycleHandler>) -> Vec<&str> {
    let Some(handler) = handler else {
        return Vec::new();
    };
    let http = handler.http_get.as_ref().and_then(|h| h.host.as_deref());
    let tcp = handler.tcp_socket.as_ref().and_then(|t| t.host.as_deref());
    [http, tcp]
        .into_iter()
        .flatten()
        .filter(|h| !h.is_empty())
        .collect()
}

/// `check_hostProbesAndhostLifecycle.go` (v1.34+): probes and lifecycle handlers must not name a
/// `host`. Here Kubernetes lists containers and hosts sorted and without repeats.
pub(super) fn host_probes_and_lifecycle(spec: &PodSpec) -> Option<Failure> {
    let mut bad = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    for c in containers(spec) {
        let mut found: Vec<&str> = c.probes.iter().flat_map(|p| probe_hosts(*p)).collect();
        if let Some(lifecycle) = c.lifecycle {
            found.extend(handler_hosts(lifecycle.post_start.as_ref()));
            found.extend(handler_hosts(lifecycle.pre_stop.as_ref()));
        }
        if !found.is_empty() {
            bad.insert(c.name);
            hosts.extend(found);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let bad: Vec<&str> = bad.into_iter().collect();
    let hosts: Vec<&str> = hosts.into_iter().collect();
    Failure::new(
        "probe or lifecycle host",
        format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
    )
}

/// `check_procMount.go`: `procMount` must be unset or `Default`.
pub(super) fn proc_mount(spec: &PodSpec) -> Option<Failure> {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    for c in containers(spec) {
        if let Some(proc_mount) = c.security_context.and_then(|s| s.proc_mount.as_deref())
            && proc_mount != "Default"
        {
            bad.push(c.name);
            types.insert(proc_mount);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<&str> = types.into_iter().collect();
    Failure::new(
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&bad),
            join_quote(&types)
        ),
    )
}

/// The sysctls baseline allows at v1.`minor`: namespaced ones that do not reach other Pods.
pub fn allowed_sysctls(minor: u64) -> Vec<&'static str> {
    let mut allowed = vec![
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    ];
    if minor >= 27 {
        allowed.push("net.ipv4.ip_local_reserved_ports");
    }
    if minor >= 29 {
        allowed.extend([
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ]);
    }
    if minor >= 32 {
        allowed.extend(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]);
    }
    allowed
}

/// `check_sysctls.go`: only the allowed sysctls, listed in the Pod's order (repeats kept).
pub(super) fn sysctls(minor: u64, spec: &PodSpec) -> Option<Failure> {
    let allowed = allowed_sysctls(minor);
    let bad: Vec<&str> = spec
        .security_context
        .iter()
        .flat_map(|s| s.sysctls.iter().flatten())
        .map(|s| s.name.as_str())
        .filter(|name| !allowed.contains(name))
        .collect();
    if bad.is_empty() {
        return None;
    }
    Failure::new("forbidden sysctls", bad.join(", "))
}

/// `check_windowsHostProcess.go`: neither the Pod nor a container may set `hostProcess: true`.
pub(super) fn windows_host_process(spec: &PodSpec) -> Option<Failure> {
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|c| {
            c.security_context
                .and_then(|s| s.windows_options.as_ref())
                .and_then(|w| w.host_process)
                == Some(true)
        })
        .map(|c| c.name)
        .collect();
    let pod = spec
        .security_context
        .as_ref()
        .and_then(|s| s.windows_options.as_ref())
        .and_then(|w| w.host_process)
        == Some(true);
    let mut setters = Vec::new();
    if pod {
        setters.push("pod".to_owned());
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    Failure::new(
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters.join(" and ")
        ),
    )
}
