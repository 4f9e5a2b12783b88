//! What kube-apiserver v1.34 changes in a new Pod before Pod Security sees it, limited to what
//! Pod Security reads. Both apply to Pods only, never to the templates of workloads, so a
//! Deployment's warning can differ from the denial of the Pods it later creates.
//!
//! - Defaulting (`SetDefaults_Pod`): with `hostNetwork: true`, every port of a container or init
//!   container without a `hostPort` gets one equal to its `containerPort`.
//! - Creating (`applyAppArmorVersionSkew`): for a Pod that is not a Windows Pod, a deprecated
//!   per-container AppArmor annotation is copied into that container's `appArmorProfile` field
//!   when the field is unset, the annotation names a valid profile, and that profile differs
//!   from the Pod's own.

use super::baseline_profiles::APPARMOR_ANNOTATION_PREFIX;
use super::text::is_windows;
use super::workload::PodSource;
use k8s_openapi::api::core::v1::{AppArmorProfile, Container, SecurityContext};

/// The Pod as the API server hands it to admission.
pub fn as_admitted(pod: &PodSource) -> PodSource {
    let mut pod = pod.clone();
    default_host_network_ports(&mut pod);
    apply_app_armor_version_skew(&mut pod);
    pod
}

fn default_host_network_ports(pod: &mut PodSource) {
    if pod.spec.host_network != Some(true) {
        return;
    }
    let spec = &mut pod.spec;
    for container in spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut())
    {
        for port in container.ports.iter_mut().flatten() {
            if port.host_port.unwrap_or(0) == 0 {
                port.host_port = Some(port.container_port);
            }
        }
    }
}

/// The profile a deprecated annotation value names, if it is a valid one.
fn profile_for_annotation(value: &str) -> Option<AppArmorProfile> {
    let profile = |type_: &str, localhost: Option<String>| AppArmorProfile {
        type_: type_.to_owned(),
        localhost_profile: localhost,
    };
    match value {
        "unconfined" => Some(profile("Unconfined", None)),
        "runtime/default" => Some(profile("RuntimeDefault", None)),
        _ => {
            let name = value.strip_prefix("localhost/")?;
            let valid = !name.is_empty() && name.trim() == name && name.len() <= 4095;
            valid.then(|| profile("Localhost", Some(name.to_owned())))
        }
    }
}

fn apply_app_armor_version_skew(pod: &mut PodSource) {
    if is_windows(&pod.spec) {
        return;
    }
    let annotations = pod.metadata.annotations.clone().unwrap_or_default();
    let pod_profile = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.app_armor_profile.clone());
    let spec = &mut pod.spec;
    let sync = |container: &mut Container| {
        let key = format!("{APPARMOR_ANNOTATION_PREFIX}{}", container.name);
        let Some(annotation) = annotations.get(&key) else {
            return;
        };
        let has_field = container
            .security_context
            .as_ref()
            .is_some_and(|s| s.app_armor_profile.is_some());
        if has_field {
            return;
        }
        if let Some(profile) = profile_for_annotation(annotation)
            && pod_profile.as_ref() != Some(&profile)
        {
            container
                .security_context
                .get_or_insert_with(SecurityContext::default)
                .app_armor_profile = Some(profile);
        }
    };
    spec.init_containers.iter_mut().flatten().for_each(sync);
    spec.containers.iter_mut().for_each(sync);
    for container in spec.ephemeral_containers.iter_mut().flatten() {
        let key = format!("{APPARMOR_ANNOTATION_PREFIX}{}", container.name);
        let Some(profile) = annotations
            .get(&key)
            .and_then(|a| profile_for_annotation(a))
        else {
            continue;
        };
        let has_field = container
            .security_context
            .as_ref()
            .is_some_and(|s| s.app_armor_profile.is_some());
        if !has_field && pod_profile.as_ref() != Some(&profile) {
            container
                .security_context
                .get_or_insert_with(SecurityContext::default)
                .app_armor_profile = Some(profile);
        }
    }
}
