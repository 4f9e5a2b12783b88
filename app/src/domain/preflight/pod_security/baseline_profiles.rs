//! The baseline checks about security profiles: AppArmor, SELinux and seccomp. Each mirrors one
//! `check_*.go` of the Go package, message for message, at every version it has.

use super::Failure;
use super::text::{containers, containers_phrase, go_quote, join_quote, pluralize};
use k8s_openapi::api::core::v1::{PodSpec, SELinuxOptions};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeSet;

/// The prefix of the deprecated per-container AppArmor annotations.
pub const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn allowed_profile_type(profile_type: &str) -> bool {
    matches!(profile_type, "RuntimeDefault" | "Localhost")
}

/// `check_appArmorProfile.go`: AppArmor profiles (fields and the deprecated annotations) must be
/// the runtime's default or a local one, never `Unconfined`.
pub(super) fn app_armor_profile(meta: &ObjectMeta, spec: &PodSpec) -> Option<Failure> {
    let mut setters: Vec<String> = Vec::new();
    let mut values = BTreeSet::new();
    if let Some(profile) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.app_armor_profile.as_ref())
        && !allowed_profile_type(&profile.type_)
    {
        setters.push("pod".to_owned());
        values.insert(profile.type_.as_str());
    }
    let mut bad = Vec::new();
    for c in containers(spec) {
        if let Some(profile) = c
            .security_context
            .and_then(|s| s.app_armor_profile.as_ref())
            && !allowed_profile_type(&profile.type_)
        {
            bad.push(c.name);
            values.insert(profile.type_.as_str());
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    let mut annotations: Vec<String> = meta
        .annotations
        .iter()
        .flatten()
        .filter(|(key, value)| {
            key.starts_with(APPARMOR_ANNOTATION_PREFIX)
                && !(value.is_empty()
                    || value.as_str() == "runtime/default"
                    || value.starts_with("localhost/"))
        })
        .map(|(key, value)| format!("{key}={}", go_quote(value)))
        .collect();
    let mut values: Vec<String> = values.into_iter().map(str::to_owned).collect();
    if !annotations.is_empty() {
        annotations.sort();
        setters.push(pluralize("annotation", "annotations", annotations.len()).to_owned());
        values.extend(annotations);
    }
    if setters.is_empty() {
        return None;
    }
    Failure::new(
        pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            values.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
    )
}

/// The SELinux types baseline allows at v1.`minor` (the empty type means "not set").
fn allowed_se_linux_types(minor: u64) -> &'static [&'static str] {
    if minor >= 31 {
        &[
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ]
    } else {
        &["", "container_t", "container_init_t", "container_kvm_t"]
    }
}

/// `check_seLinuxOptions.go`: only the container SELinux types, and no user or role.
pub(super) fn se_linux_options(minor: u64, spec: &PodSpec) -> Option<Failure> {
    let allowed = allowed_se_linux_types(minor);
    let mut types = BTreeSet::new();
    let mut set_user = false;
    let mut set_role = false;
    let mut valid = |options: &SELinuxOptions| {
        let mut ok = true;
        let se_type = options.type_.as_deref().unwrap_or_default();
        if !allowed.contains(&se_type) {
            ok = false;
            types.insert(se_type.to_owned());
        }
        if options.user.as_deref().is_some_and(|u| !u.is_empty()) {
            ok = false;
            set_user = true;
        }
        if options.role.as_deref().is_some_and(|r| !r.is_empty()) {
            ok = false;
            set_role = true;
        }
        ok
    };
    let mut setters: Vec<String> = Vec::new();
    if let Some(options) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.se_linux_options.as_ref())
        && !valid(options)
    {
        setters.push("pod".to_owned());
    }
    let mut bad = Vec::new();
    for c in containers(spec) {
        if let Some(options) = c.security_context.and_then(|s| s.se_linux_options.as_ref())
            && !valid(options)
        {
            bad.push(c.name);
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !types.is_empty() {
        let types: Vec<String> = types.into_iter().collect();
        data.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if set_user {
        data.push("user may not be set".to_owned());
    }
    if set_role {
        data.push("role may not be set".to_owned());
    }
    Failure::new(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
    )
}

/// Whether a seccomp profile type is one baseline and restricted accept.
pub(super) fn valid_seccomp(profile_type: &str) -> bool {
    matches!(profile_type, "Localhost" | "RuntimeDefault")
}

/// `check_seccompProfile_baseline.go`: seccomp profiles, if set, must not be `Unconfined`.
/// Policy versions before v1.19 read the old annotations instead of the fields.
pub(super) fn seccomp_baseline(minor: u64, meta: &ObjectMeta, spec: &PodSpec) -> Option<Failure> {
    if minor < 19 {
        return seccomp_annotations(meta, spec);
    }
    let mut setters: Vec<String> = Vec::new();
    let mut values = BTreeSet::new();
    if let Some(profile) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
        && !valid_seccomp(&profile.type_)
    {
        setters.push("pod".to_owned());
        values.insert(profile.type_.as_str());
    }
    let mut bad = Vec::new();
    for c in containers(spec) {
        if let Some(profile) = c.security_context.and_then(|s| s.seccomp_profile.as_ref())
            && !valid_seccomp(&profile.type_)
        {
            bad.push(c.name);
            values.insert(profile.type_.as_str());
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let values: Vec<&str> = values.into_iter().collect();
    Failure::new(
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
    )
}

fn seccomp_annotations(meta: &ObjectMeta, spec: &PodSpec) -> Option<Failure> {
    let annotations = meta.annotations.as_ref();
    let valid =
        |v: &str| v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
    let mut forbidden = BTreeSet::new();
    let mut look = |key: &str| {
        if let Some(value) = annotations.and_then(|a| a.get(key))
            && !valid(value)
        {
            forbidden.insert(format!("{key}={}", go_quote(value)));
        }
    };
    look(SECCOMP_POD_ANNOTATION);
    for c in containers(spec) {
        look(&format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name));
    }
    if forbidden.is_empty() {
        return None;
    }
    let forbidden: Vec<String> = forbidden.into_iter().collect();
    Failure::new(
        "seccompProfile",
        format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", forbidden.len()),
            forbidden.join(", ")
        ),
    )
}
