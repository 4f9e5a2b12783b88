//! Kubernetes' Pod Security Admission, as `k8s.io/pod-security-admission` v0.34 (the one built
//! into kube-apiserver v1.34) implements it: the `baseline` and `restricted` checks with their
//! exact messages, the namespace labels that pick a policy, the pod spec of every workload kind,
//! and the answer the API server gives on a create (a denial or warnings).
//!
//! # What matches the API server, and where this stops
//!
//! - Every check of the Go package, at every policy version it has (`-version` labels such as
//!   `v1.25`); `latest` and any version newer than v1.34 are evaluated as v1.34, and keep their
//!   own name in the message, as Kubernetes does.
//! - Checks run in the Go registry's order (baseline check IDs sorted, then restricted ones);
//!   `restricted` replaces three baseline checks with stricter ones (`hostPathVolumes`,
//!   `capabilities_baseline`, `seccompProfile_baseline`). The message joins the failures in that
//!   order.
//! - Pods are denied by `enforce`; workloads (Deployment, Job and the rest) are never denied,
//!   only warned about by `warn` (see
//!   [`admission`](crate::domain::preflight::pod_security::admission)).
//! - Before Pod Security sees a Pod, the API server changes two things that matter to it; both
//!   are applied here too (see
//!   [`defaults`](crate::domain::preflight::pod_security::defaults)).
//! - Not modelled: the exemptions of an admission configuration file (users, namespaces,
//!   runtime classes; a stock API server has none), updates (only creates are checked), and the
//!   alpha feature gate that relaxes checks for Pods with `hostUsers: false` (off by default).
//!
//! `tests/tests/pod_security.rs` compares these answers with a real kube-apiserver v1.34's.

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The answer to a create: a denial, warnings, the audit annotation.
pub mod admission;
mod baseline_host;
mod baseline_profiles;
/// What the API server changes in a Pod before admission, where Pod Security can see it.
pub mod defaults;
/// A Pod changed to pass `restricted` where a machine may decide, and what a human must.
pub mod fix;
/// The namespace labels that choose the policy.
pub mod policy;
mod restricted;
mod text;
/// The pod spec inside each kind of object that Pod Security checks.
pub mod workload;

#[cfg(test)]
mod tests_admission;
#[cfg(test)]
mod tests_baseline;
#[cfg(test)]
mod tests_fix;
#[cfg(test)]
mod tests_restricted;

pub use admission::{Decision, GENERATED_SUFFIX, admit_create};
pub use baseline_host::allowed_sysctls;
pub use fix::{FixOutcome, NeedsHuman, fix_for_restricted};
pub use policy::{LabelError, NamespacePolicy};
pub use restricted::ALLOWED_VOLUME_TYPES;
pub use workload::{PodObject, PodSource, WorkloadError, WorkloadKind, pod_object};

/// The newest policy version this code knows: Kubernetes v1.34.
pub const LATEST_MINOR: u64 = 34;

/// A Pod Security Standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Everything is allowed.
    Privileged,
    /// Known privilege escalations are refused.
    Baseline,
    /// Current hardening practice is required.
    Restricted,
}

impl Level {
    /// The level's name as labels write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The version of a standard: `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Version {
    /// Whatever the API server's newest checks are.
    Latest,
    /// The checks as Kubernetes `v1.N` had them (the number is N).
    Minor(u64),
}

impl Version {
    /// The minor version whose checks are run: `latest` and anything newer than v1.34 run
    /// v1.34's.
    pub fn effective_minor(self) -> u64 {
        match self {
            Version::Latest => LATEST_MINOR,
            Version::Minor(minor) => minor.min(LATEST_MINOR),
        }
    }

    /// Parses `latest` or `v1.N` (no leading zeros), as the labels' values must be.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "latest" {
            return Some(Version::Latest);
        }
        let digits = text.strip_prefix("v1.")?;
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !well_formed {
            return None;
        }
        digits.parse().ok().map(Version::Minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(minor) => write!(f, "v1.{minor}"),
        }
    }
}

/// A level at a version, written `restricted:latest` in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LevelVersion {
    /// The standard.
    pub level: Level,
    /// Its version.
    pub version: Version,
}

impl LevelVersion {
    /// `level` at `latest`.
    pub fn latest(level: Level) -> Self {
        Self {
            level,
            version: Version::Latest,
        }
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

/// One check of the Go package, by its ID there. The order of the variants is the order in
/// which Kubernetes runs them and lists their failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CheckId {
    /// `appArmorProfile` (baseline).
    AppArmorProfile,
    /// `capabilities_baseline` (baseline; replaced in restricted).
    CapabilitiesBaseline,
    /// `hostNamespaces` (baseline).
    HostNamespaces,
    /// `hostPathVolumes` (baseline; replaced in restricted).
    HostPathVolumes,
    /// `hostPorts` (baseline).
    HostPorts,
    /// `hostProbesAndHostLifecycle` (baseline, since v1.34).
    HostProbesAndHostLifecycle,
    /// `privileged` (baseline).
    Privileged,
    /// `procMount` (baseline).
    ProcMount,
    /// `seLinuxOptions` (baseline).
    SeLinuxOptions,
    /// `seccompProfile_baseline` (baseline; replaced in restricted).
    SeccompProfileBaseline,
    /// `sysctls` (baseline).
    Sysctls,
    /// `windowsHostProcess` (baseline).
    WindowsHostProcess,
    /// `allowPrivilegeEscalation` (restricted, since v1.8).
    AllowPrivilegeEscalation,
    /// `capabilities_restricted` (restricted, since v1.22).
    CapabilitiesRestricted,
    /// `restrictedVolumes` (restricted).
    RestrictedVolumes,
    /// `runAsNonRoot` (restricted).
    RunAsNonRoot,
    /// `runAsUser` (restricted, since v1.23).
    RunAsUser,
    /// `seccompProfile_restricted` (restricted, since v1.19).
    SeccompProfileRestricted,
}

/// The baseline checks, in the order Kubernetes runs them.
const BASELINE: [CheckId; 12] = [
    CheckId::AppArmorProfile,
    CheckId::CapabilitiesBaseline,
    CheckId::HostNamespaces,
    CheckId::HostPathVolumes,
    CheckId::HostPorts,
    CheckId::HostProbesAndHostLifecycle,
    CheckId::Privileged,
    CheckId::ProcMount,
    CheckId::SeLinuxOptions,
    CheckId::SeccompProfileBaseline,
    CheckId::Sysctls,
    CheckId::WindowsHostProcess,
];

/// The restricted checks, in the order Kubernetes runs them (after the baseline ones).
const RESTRICTED: [CheckId; 6] = [
    CheckId::AllowPrivilegeEscalation,
    CheckId::CapabilitiesRestricted,
    CheckId::RestrictedVolumes,
    CheckId::RunAsNonRoot,
    CheckId::RunAsUser,
    CheckId::SeccompProfileRestricted,
];

impl CheckId {
    /// The check's ID in the Go package.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::AppArmorProfile => "appArmorProfile",
            CheckId::CapabilitiesBaseline => "capabilities_baseline",
            CheckId::HostNamespaces => "hostNamespaces",
            CheckId::HostPathVolumes => "hostPathVolumes",
            CheckId::HostPorts => "hostPorts",
            CheckId::HostProbesAndHostLifecycle => "hostProbesAndHostLifecycle",
            CheckId::Privileged => "privileged",
            CheckId::ProcMount => "procMount",
            CheckId::SeLinuxOptions => "seLinuxOptions",
            CheckId::SeccompProfileBaseline => "seccompProfile_baseline",
            CheckId::Sysctls => "sysctls",
            CheckId::WindowsHostProcess => "windowsHostProcess",
            CheckId::AllowPrivilegeEscalation => "allowPrivilegeEscalation",
            CheckId::CapabilitiesRestricted => "capabilities_restricted",
            CheckId::RestrictedVolumes => "restrictedVolumes",
            CheckId::RunAsNonRoot => "runAsNonRoot",
            CheckId::RunAsUser => "runAsUser",
            CheckId::SeccompProfileRestricted => "seccompProfile_restricted",
        }
    }

    /// The first minor version of Kubernetes whose policy has this check.
    fn since(self) -> u64 {
        match self {
            CheckId::HostProbesAndHostLifecycle => 34,
            CheckId::AllowPrivilegeEscalation => 8,
            CheckId::CapabilitiesRestricted => 22,
            CheckId::RunAsUser => 23,
            CheckId::SeccompProfileRestricted => 19,
            _ => 0,
        }
    }

    /// The baseline check a restricted one takes the place of.
    fn replaces(self) -> Option<CheckId> {
        match self {
            CheckId::RestrictedVolumes => Some(CheckId::HostPathVolumes),
            CheckId::CapabilitiesRestricted => Some(CheckId::CapabilitiesBaseline),
            CheckId::SeccompProfileRestricted => Some(CheckId::SeccompProfileBaseline),
            _ => None,
        }
    }

    /// Runs the check as policy version v1.`minor` has it.
    fn run(self, minor: u64, meta: &ObjectMeta, spec: &PodSpec) -> Option<Failure> {
        use baseline_host as h;
        use baseline_profiles as p;
        match self {
            CheckId::AppArmorProfile => p::app_armor_profile(meta, spec),
            CheckId::CapabilitiesBaseline => h::capabilities_baseline(spec),
            CheckId::HostNamespaces => h::host_namespaces(spec),
            CheckId::HostPathVolumes => h::host_path_volumes(spec),
            CheckId::HostPorts => h::host_ports(spec),
            CheckId::HostProbesAndHostLifecycle => h::host_probes_and_lifecycle(spec),
            CheckId::Privileged => h::privileged(spec),
            CheckId::ProcMount => h::proc_mount(spec),
            CheckId::SeLinuxOptions => p::se_linux_options(minor, spec),
            CheckId::SeccompProfileBaseline => p::seccomp_baseline(minor, meta, spec),
            CheckId::Sysctls => h::sysctls(minor, spec),
            CheckId::WindowsHostProcess => h::windows_host_process(spec),
            CheckId::AllowPrivilegeEscalation => {
                restricted::allow_privilege_escalation(minor, spec)
            }
            CheckId::CapabilitiesRestricted => restricted::capabilities(minor, spec),
            CheckId::RestrictedVolumes => restricted::volumes(spec),
            CheckId::RunAsNonRoot => restricted::run_as_non_root(spec),
            CheckId::RunAsUser => restricted::run_as_user(spec),
            CheckId::SeccompProfileRestricted => restricted::seccomp(minor, spec),
        }
    }
}

/// Why one check refused: Go's `ForbiddenReason` and `ForbiddenDetail`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    reason: String,
    detail: String,
}

impl Failure {
    fn new(reason: impl Into<String>, detail: impl Into<String>) -> Option<Self> {
        Some(Self {
            reason: reason.into(),
            detail: detail.into(),
        })
    }
}

/// One failed check: which, and the reason and detail Kubernetes gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The check that failed.
    pub check: CheckId,
    /// The short reason, such as `allowPrivilegeEscalation != false`.
    pub reason: String,
    /// What is wrong where, such as `container "app" must set ...`.
    pub detail: String,
}

/// The checks that `level` runs at v1.`minor`, in Kubernetes' order.
pub fn checks_for(level: Level, minor: u64) -> Vec<CheckId> {
    let present = |id: &&CheckId| id.since() <= minor.min(LATEST_MINOR);
    match level {
        Level::Privileged => Vec::new(),
        Level::Baseline => BASELINE.iter().filter(present).copied().collect(),
        Level::Restricted => {
            let restricted: Vec<CheckId> = RESTRICTED.iter().filter(present).copied().collect();
            let replaced: Vec<CheckId> = restricted.iter().filter_map(|id| id.replaces()).collect();
            BASELINE
                .iter()
                .filter(present)
                .filter(|id| !replaced.contains(id))
                .copied()
                .chain(restricted)
                .collect()
        }
    }
}

/// Every check of `policy` that the Pod (its metadata and spec) fails, in Kubernetes' order.
pub fn evaluate(policy: LevelVersion, meta: &ObjectMeta, spec: &PodSpec) -> Vec<Violation> {
    let minor = policy.version.effective_minor();
    checks_for(policy.level, minor)
        .into_iter()
        .filter_map(|check| {
            check.run(minor, meta, spec).map(|f| Violation {
                check,
                reason: f.reason,
                detail: f.detail,
            })
        })
        .collect()
}

/// The failures as Kubernetes' messages list them: `reason (detail), reason (detail)`.
pub fn forbidden_detail(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            if v.detail.is_empty() {
                v.reason.clone()
            } else {
                format!("{} ({})", v.reason, v.detail)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The reasons alone, joined by commas, as Kubernetes lists existing Pods that a new enforce
/// level would refuse.
pub fn forbidden_reason(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| v.reason.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
