//! The checks only `restricted` runs: privilege escalation, capabilities, volume types,
//! non-root users and seccomp. Each mirrors one `check_*.go` of the Go package, message for
//! message, at every version it has. Since v1.25, Windows Pods (`spec.os.name: windows`) skip
//! the Linux-only ones.

use super::Failure;
use super::baseline_profiles::valid_seccomp;
use super::text::{containers, containers_phrase, is_windows, join_quote, pluralize};
use k8s_openapi::api::core::v1::{PodSpec, Volume};
use std::collections::BTreeSet;

/// `check_allowPrivilegeEscalation.go`: every container must set
/// `allowPrivilegeEscalation: false`.
pub(super) fn allow_privilege_escalation(minor: u64, spec: &PodSpec) -> Option<Failure> {
    if minor >= 25 && is_windows(spec) {
        return None;
    }
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|c| {
            c.security_context
                .and_then(|s| s.allow_privilege_escalation)
                != Some(false)
        })
        .map(|c| c.name)
        .collect();
    if bad.is_empty() {
        return None;
    }
    Failure::new(
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&bad)
        ),
    )
}

/// `check_capabilities_restricted.go`: every container must drop `ALL` and may add only
/// `NET_BIND_SERVICE`.
pub(super) fn capabilities(minor: u64, spec: &PodSpec) -> Option<Failure> {
    if minor >= 25 && is_windows(spec) {
        return None;
    }
    let mut missing_drop_all = Vec::new();
    let mut adding_forbidden = Vec::new();
    let mut forbidden = BTreeSet::new();
    for c in containers(spec) {
        let Some(caps) = c.security_context.and_then(|s| s.capabilities.as_ref()) else {
            missing_drop_all.push(c.name);
            continue;
        };
        if !caps.drop.iter().flatten().any(|d| d == "ALL") {
            missing_drop_all.push(c.name);
        }
        let mut added_forbidden = false;
        for added in caps.add.iter().flatten() {
            if added != "NET_BIND_SERVICE" {
                added_forbidden = true;
                forbidden.insert(added.as_str());
            }
        }
        if added_forbidden {
            adding_forbidden.push(c.name);
        }
    }
    let mut details = Vec::new();
    if !missing_drop_all.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop_all)
        ));
    }
    if !adding_forbidden.is_empty() {
        let forbidden: Vec<&str> = forbidden.into_iter().collect();
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding_forbidden),
            join_quote(&forbidden)
        ));
    }
    if details.is_empty() {
        return None;
    }
    Failure::new("unrestricted capabilities", details.join("; "))
}

/// The volume types `restricted` allows.
pub const ALLOWED_VOLUME_TYPES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The name of a volume's source type when `restricted` forbids it, in the Go switch's order
/// (`unknown` when none of the known sources is set).
pub fn restricted_volume_type(v: &Volume) -> Option<&'static str> {
    let allowed = v.config_map.is_some()
        || v.csi.is_some()
        || v.downward_api.is_some()
        || v.empty_dir.is_some()
        || v.ephemeral.is_some()
        || v.image.is_some()
        || v.persistent_volume_claim.is_some()
        || v.projected.is_some()
        || v.secret.is_some();
    if allowed {
        return None;
    }
    let known = [
        (v.host_path.is_some(), "hostPath"),
        (v.gce_persistent_disk.is_some(), "gcePersistentDisk"),
        (v.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
        (v.git_repo.is_some(), "gitRepo"),
        (v.nfs.is_some(), "nfs"),
        (v.iscsi.is_some(), "iscsi"),
        (v.glusterfs.is_some(), "glusterfs"),
        (v.rbd.is_some(), "rbd"),
        (v.flex_volume.is_some(), "flexVolume"),
        (v.cinder.is_some(), "cinder"),
        (v.cephfs.is_some(), "cephfs"),
        (v.flocker.is_some(), "flocker"),
        (v.fc.is_some(), "fc"),
        (v.azure_file.is_some(), "azureFile"),
        (v.vsphere_volume.is_some(), "vsphereVolume"),
        (v.quobyte.is_some(), "quobyte"),
        (v.azure_disk.is_some(), "azureDisk"),
        (v.photon_persistent_disk.is_some(), "photonPersistentDisk"),
        (v.portworx_volume.is_some(), "portworxVolume"),
        (v.scale_io.is_some(), "scaleIO"),
        (v.storageos.is_some(), "storageos"),
    ];
    Some(
        known
            .into_iter()
            .find(|(set, _)| *set)
            .map_or("unknown", |(_, name)| name),
    )
}

/// `check_restrictedVolumes.go`: only the allowed volume types (this replaces baseline's
/// `hostPath` check).
pub(super) fn volumes(spec: &PodSpec) -> Option<Failure> {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    for volume in spec.volumes.iter().flatten() {
        if let Some(volume_type) = restricted_volume_type(volume) {
            bad.push(volume.name.as_str());
            types.insert(volume_type);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<&str> = types.into_iter().collect();
    Failure::new(
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
    )
}

/// `check_runAsNonRoot.go`: `runAsNonRoot: true` on the Pod or on every container, and never
/// `false` anywhere.
pub(super) fn run_as_non_root(spec: &PodSpec) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    let mut pod_non_root = false;
    match spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root)
    {
        Some(false) => setters.push("pod".to_owned()),
        Some(true) => pod_non_root = true,
        None => {}
    }
    let mut explicitly_bad = Vec::new();
    let mut implicitly_bad = Vec::new();
    for c in containers(spec) {
        match c.security_context.and_then(|s| s.run_as_non_root) {
            Some(false) => explicitly_bad.push(c.name),
            Some(true) => {}
            None if !pod_non_root => implicitly_bad.push(c.name),
            None => {}
        }
    }
    if !explicitly_bad.is_empty() {
        setters.push(containers_phrase(&explicitly_bad));
    }
    if !setters.is_empty() {
        return Failure::new(
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
        );
    }
    if !implicitly_bad.is_empty() {
        return Failure::new(
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicitly_bad)
            ),
        );
    }
    None
}

/// `check_runAsUser.go` (v1.23+): neither the Pod nor a container may set `runAsUser: 0`.
pub(super) fn run_as_user(spec: &PodSpec) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    if spec.security_context.as_ref().and_then(|s| s.run_as_user) == Some(0) {
        setters.push("pod".to_owned());
    }
    let bad: Vec<&str> = containers(spec)
        .into_iter()
        .filter(|c| c.security_context.and_then(|s| s.run_as_user) == Some(0))
        .map(|c| c.name)
        .collect();
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    Failure::new(
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters.join(" and ")),
    )
}

/// `check_seccompProfile_restricted.go` (v1.19+): a seccomp profile of the runtime's default or
/// a local one, on the Pod or on every container (this replaces baseline's seccomp check).
pub(super) fn seccomp(minor: u64, spec: &PodSpec) -> Option<Failure> {
    if minor >= 25 && is_windows(spec) {
        return None;
    }
    let mut setters: Vec<String> = Vec::new();
    let mut values = BTreeSet::new();
    let mut pod_set = false;
    if let Some(profile) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        if valid_seccomp(&profile.type_) {
            pod_set = true;
        } else {
            setters.push("pod".to_owned());
            values.insert(profile.type_.as_str());
        }
    }
    let mut explicitly_bad = Vec::new();
    let mut implicitly_bad = Vec::new();
    for c in containers(spec) {
        match c.security_context.and_then(|s| s.seccomp_profile.as_ref()) {
            Some(profile) if !valid_seccomp(&profile.type_) => {
                explicitly_bad.push(c.name);
                values.insert(profile.type_.as_str());
            }
            Some(_) => {}
            None if !pod_set => implicitly_bad.push(c.name),
            None => {}
        }
    }
    if !explicitly_bad.is_empty() {
        setters.push(containers_phrase(&explicitly_bad));
    }
    if !setters.is_empty() {
        let values: Vec<&str> = values.into_iter().collect();
        return Failure::new(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
        );
    }
    if !implicitly_bad.is_empty() {
        return Failure::new(
            "seccompProfile",
            format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicitly_bad)
            ),
        );
    }
    None
}
