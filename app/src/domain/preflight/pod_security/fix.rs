//! A Pod changed so that it passes `restricted`, as far as a machine may decide, and a list of
//! what only a human can: the fixes that change nothing the application relies on are made, the
//! rest is reported with the reason.
//!
//! Made on every container (init, regular and ephemeral): `runAsNonRoot: true` (on the Pod, and
//! on containers that said `false`), `allowPrivilegeEscalation: false`, `ALL` added to
//! `capabilities.drop`, and seccomp `RuntimeDefault` (on the Pod, and on containers that chose
//! a forbidden profile). Windows Pods get only the first: Kubernetes refuses the Linux-only
//! fields on them and `restricted` does not ask for them there.
//!
//! Left to a human: host namespaces, privileged containers, added capabilities, volume types
//! other than the allowed ones (such as `hostPath`), host ports, probe and lifecycle hosts,
//! AppArmor, SELinux and `procMount` settings, sysctls, Windows host processes, and
//! `runAsUser: 0`. Each needs a decision about what the application does.

use super::baseline_host::allowed_sysctls;
use super::baseline_profiles::{APPARMOR_ANNOTATION_PREFIX, valid_seccomp};
use super::restricted::restricted_volume_type;
use super::text::is_windows;
use super::workload::PodSource;
use super::{CheckId, LATEST_MINOR};
use k8s_openapi::api::core::v1::{
    Capabilities, ContainerPort, PodSecurityContext, SeccompProfile, SecurityContext,
};
use serde::{Deserialize, Serialize};

/// Something `restricted` refuses that only a person can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsHuman {
    /// The check that will keep failing.
    pub check: CheckId,
    /// What is set, where, and why it cannot simply be changed.
    pub reason: String,
}

/// The result of [`fix_for_restricted`].
#[derive(Debug, Clone, PartialEq)]
pub struct FixOutcome {
    /// The Pod with the safe fixes made.
    pub pod: PodSource,
    /// What was changed, one line each.
    pub changes: Vec<String>,
    /// What still fails `restricted` and needs a person.
    pub needs_human: Vec<NeedsHuman>,
}

struct Fixer {
    changes: Vec<String>,
    needs_human: Vec<NeedsHuman>,
}

impl Fixer {
    fn human(&mut self, check: CheckId, reason: String) {
        self.needs_human.push(NeedsHuman { check, reason });
    }
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".to_owned(),
        localhost_profile: None,
    }
}

/// `pod` changed to pass `restricted` where that is safe; see the module documentation.
pub fn fix_for_restricted(pod: &PodSource) -> FixOutcome {
    let mut pod = pod.clone();
    let mut fixer = Fixer {
        changes: Vec::new(),
        needs_human: Vec::new(),
    };
    let windows = is_windows(&pod.spec);
    fix_pod_level(&mut pod, windows, &mut fixer);
    let spec = &mut pod.spec;
    let init = spec.init_containers.iter_mut().flatten();
    let regular = spec.containers.iter_mut();
    // `Container` and `EphemeralContainer` are two Kubernetes types with the same fields.
    macro_rules! container_ref {
        ($container:expr, $what:expr, $hint:expr) => {
            ContainerRef {
                what: $what,
                hint: $hint,
                name: &$container.name,
                security_context: &mut $container.security_context,
                ports: $container.ports.as_deref(),
            }
        };
    }
    let hint = ": use a Service instead, which changes how clients reach it";
    let regular = init
        .chain(regular)
        .map(|c| container_ref!(c, "container", hint));
    let ephemeral = (spec.ephemeral_containers.iter_mut().flatten())
        .map(|c| container_ref!(c, "ephemeral container", ""));
    for container in regular.chain(ephemeral) {
        fix_one_container(container, windows, &mut fixer);
    }
    host_ports_from_host_network(&pod, &mut fixer);
    probe_hosts(&pod, &mut fixer);
    FixOutcome {
        pod,
        changes: fixer.changes,
        needs_human: fixer.needs_human,
    }
}

/// The parts of a container (regular, init or ephemeral: two Kubernetes types with the same
/// fields) that the fixes touch.
struct ContainerRef<'a> {
    what: &'static str,
    /// Said after a host port is reported.
    hint: &'static str,
    name: &'a str,
    security_context: &'a mut Option<SecurityContext>,
    ports: Option<&'a [ContainerPort]>,
}

/// Fixes one container's security context and reports a host port.
fn fix_one_container(container: ContainerRef<'_>, windows: bool, fixer: &mut Fixer) {
    let sc = container
        .security_context
        .get_or_insert_with(SecurityContext::default);
    fix_container(container.name, sc, windows, fixer);
    if container
        .ports
        .unwrap_or_default()
        .iter()
        .any(|p| p.host_port.unwrap_or(0) != 0)
    {
        fixer.human(
            CheckId::HostPorts,
            format!(
                "{} \"{}\" uses a hostPort{}",
                container.what, container.name, container.hint
            ),
        );
    }
}

fn fix_pod_level(pod: &mut PodSource, windows: bool, fixer: &mut Fixer) {
    let spec = &mut pod.spec;
    for (set, field) in [
        (spec.host_network, "hostNetwork"),
        (spec.host_pid, "hostPID"),
        (spec.host_ipc, "hostIPC"),
    ] {
        if set == Some(true) {
            fixer.human(
                CheckId::HostNamespaces,
                format!("the Pod sets {field}: true, sharing the node's namespace; decide whether it can do without"),
            );
        }
    }
    for volume in spec.volumes.iter().flatten() {
        if let Some(volume_type) = restricted_volume_type(volume) {
            fixer.human(
                CheckId::RestrictedVolumes,
                format!(
                    "volume \"{}\" is of type {volume_type}: replace it with a PersistentVolumeClaim, a ConfigMap, a Secret or an emptyDir, which changes where the data lives",
                    volume.name
                ),
            );
        }
    }
    for (key, value) in pod.metadata.annotations.iter().flatten() {
        let allowed =
            value.is_empty() || value == "runtime/default" || value.starts_with("localhost/");
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX) && !allowed {
            fixer.human(
                CheckId::AppArmorProfile,
                format!("annotation {key} asks for AppArmor profile {value:?}: remove it if the application runs confined"),
            );
        }
    }
    let sc = spec
        .security_context
        .get_or_insert_with(PodSecurityContext::default);
    if sc.run_as_non_root != Some(true) {
        sc.run_as_non_root = Some(true);
        fixer
            .changes
            .push("the Pod sets securityContext.runAsNonRoot=true".to_owned());
    }
    let seccomp_ok = sc
        .seccomp_profile
        .as_ref()
        .is_some_and(|p| valid_seccomp(&p.type_));
    if !windows && !seccomp_ok {
        sc.seccomp_profile = Some(runtime_default());
        fixer
            .changes
            .push("the Pod sets securityContext.seccompProfile.type=RuntimeDefault".to_owned());
    }
    if sc.run_as_user == Some(0) {
        fixer.human(
            CheckId::RunAsUser,
            "the Pod sets runAsUser=0 (root): pick a user the image can run as".to_owned(),
        );
    }
    let allowed = allowed_sysctls(LATEST_MINOR);
    for sysctl in sc.sysctls.iter().flatten() {
        if !allowed.contains(&sysctl.name.as_str()) {
            fixer.human(
                CheckId::Sysctls,
                format!(
                    "the Pod sets sysctl {}, which affects the whole node",
                    sysctl.name
                ),
            );
        }
    }
    if let Some(profile) = &sc.app_armor_profile
        && !matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
    {
        fixer.human(
            CheckId::AppArmorProfile,
            format!("the Pod sets AppArmor profile type {}", profile.type_),
        );
    }
    if let Some(options) = &sc.se_linux_options
        && !se_linux_ok(options)
    {
        fixer.human(
            CheckId::SeLinuxOptions,
            "the Pod sets seLinuxOptions that restricted forbids".to_owned(),
        );
    }
    if sc.windows_options.as_ref().and_then(|w| w.host_process) == Some(true) {
        fixer.human(
            CheckId::WindowsHostProcess,
            "the Pod runs as a Windows host process".to_owned(),
        );
    }
}

fn se_linux_ok(options: &k8s_openapi::api::core::v1::SELinuxOptions) -> bool {
    let allowed = [
        "",
        "container_t",
        "container_init_t",
        "container_kvm_t",
        "container_engine_t",
    ];
    allowed.contains(&options.type_.as_deref().unwrap_or_default())
        && options.user.as_deref().unwrap_or_default().is_empty()
        && options.role.as_deref().unwrap_or_default().is_empty()
}

fn fix_container(name: &str, sc: &mut SecurityContext, windows: bool, fixer: &mut Fixer) {
    let privileged = sc.privileged == Some(true);
    let added: Vec<String> = sc
        .capabilities
        .as_ref()
        .and_then(|c| c.add.clone())
        .unwrap_or_default();
    let sys_admin = added
        .iter()
        .any(|c| c == "CAP_SYS_ADMIN" || c == "SYS_ADMIN");
    if privileged {
        fixer.human(
            CheckId::Privileged,
            format!("container \"{name}\" is privileged: find what it needs from the host"),
        );
    }
    let forbidden: Vec<&String> = added.iter().filter(|c| *c != "NET_BIND_SERVICE").collect();
    if !windows && !forbidden.is_empty() {
        fixer.human(
            CheckId::CapabilitiesRestricted,
            format!("container \"{name}\" adds capabilities {forbidden:?}: only NET_BIND_SERVICE may be added"),
        );
    }
    if !windows && sc.allow_privilege_escalation != Some(false) {
        if privileged || sys_admin {
            fixer.human(
                CheckId::AllowPrivilegeEscalation,
                format!("container \"{name}\" cannot set allowPrivilegeEscalation=false while it is privileged or adds SYS_ADMIN"),
            );
        } else {
            sc.allow_privilege_escalation = Some(false);
            fixer.changes.push(format!(
                "container \"{name}\" sets securityContext.allowPrivilegeEscalation=false"
            ));
        }
    }
    if !windows {
        let caps = sc.capabilities.get_or_insert_with(Capabilities::default);
        let drop = caps.drop.get_or_insert_with(Vec::new);
        if !drop.iter().any(|d| d == "ALL") {
            drop.push("ALL".to_owned());
            fixer.changes.push(format!(
                "container \"{name}\" sets securityContext.capabilities.drop=[\"ALL\"]"
            ));
        }
        if let Some(profile) = &sc.seccomp_profile
            && !valid_seccomp(&profile.type_)
        {
            sc.seccomp_profile = Some(runtime_default());
            fixer.changes.push(format!(
                "container \"{name}\" sets securityContext.seccompProfile.type=RuntimeDefault"
            ));
        }
    }
    if sc.run_as_non_root == Some(false) {
        sc.run_as_non_root = Some(true);
        fixer.changes.push(format!(
            "container \"{name}\" sets securityContext.runAsNonRoot=true"
        ));
    }
    if sc.run_as_user == Some(0) {
        fixer.human(
            CheckId::RunAsUser,
            format!(
                "container \"{name}\" sets runAsUser=0 (root): pick a user the image can run as"
            ),
        );
    }
    if sc.proc_mount.as_deref().is_some_and(|p| p != "Default") {
        fixer.human(
            CheckId::ProcMount,
            format!("container \"{name}\" unmasks /proc"),
        );
    }
    if let Some(profile) = &sc.app_armor_profile
        && !matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
    {
        fixer.human(
            CheckId::AppArmorProfile,
            format!(
                "container \"{name}\" sets AppArmor profile type {}",
                profile.type_
            ),
        );
    }
    if let Some(options) = &sc.se_linux_options
        && !se_linux_ok(options)
    {
        fixer.human(
            CheckId::SeLinuxOptions,
            format!("container \"{name}\" sets seLinuxOptions that restricted forbids"),
        );
    }
    if sc.windows_options.as_ref().and_then(|w| w.host_process) == Some(true) {
        fixer.human(
            CheckId::WindowsHostProcess,
            format!("container \"{name}\" runs as a Windows host process"),
        );
    }
}

fn probe_hosts(pod: &PodSource, fixer: &mut Fixer) {
    if let Some(failure) = super::baseline_host::host_probes_and_lifecycle(&pod.spec) {
        fixer.human(
            CheckId::HostProbesAndHostLifecycle,
            format!("{}: probe the Pod's own address instead", failure.detail),
        );
    }
}

/// With `hostNetwork: true` the API server gives every container port a `hostPort`; the Pod
/// then fails the host port check even though its manifest names none.
fn host_ports_from_host_network(pod: &PodSource, fixer: &mut Fixer) {
    if pod.spec.host_network != Some(true) {
        return;
    }
    let spec = &pod.spec;
    for container in spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
    {
        let implicit = container
            .ports
            .iter()
            .flatten()
            .any(|p| p.host_port.unwrap_or(0) == 0 && p.container_port != 0);
        if implicit {
            fixer.human(
                CheckId::HostPorts,
                format!(
                    "container \"{}\" gets its ports as hostPorts because the Pod uses the host's network",
                    container.name
                ),
            );
        }
    }
}
