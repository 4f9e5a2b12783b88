//! The answer Pod Security gives to a create, as `k8s.io/pod-security-admission/admission`
//! builds it (`EvaluatePod`, `ValidatePod`, `ValidatePodController`).
//!
//! - A Pod is checked against `enforce`; if it fails, the create is refused with
//!   `pods "NAME" is forbidden: violates PodSecurity "LEVEL:VERSION": ...`, and no warning is
//!   sent. For a Pod with only `generateName`, NAME is the name the API server made up: the
//!   prefix and five random characters, which are written here as [`GENERATED_SUFFIX`].
//! - Otherwise it is checked against `warn`, and a failure comes back as the one warning
//!   `would violate PodSecurity "LEVEL:VERSION": ...`.
//! - A workload (Deployment, Job, ...) is never refused and never checked against `enforce`:
//!   only `warn` (the same warning text as for a Pod) and `audit`. When both are `privileged`,
//!   nothing is checked at all. A namespace without a `warn` label warns at its `enforce`
//!   level, so `enforce: restricted` alone does warn about a Deployment that breaks it.
//! - `audit` failures go to the audit log as the annotation
//!   `pod-security.kubernetes.io/audit-violations`, with the same text as a warning.
//!
//! The failures inside a message are those of
//! [`forbidden_detail`](crate::domain::preflight::pod_security::forbidden_detail), in the order
//! of the checks, not sorted.

use super::defaults::as_admitted;
use super::policy::NamespacePolicy;
use super::text::go_quote;
use super::workload::{PodObject, PodSource, WorkloadKind};
use super::{LevelVersion, Violation, evaluate, forbidden_detail};
use serde::{Deserialize, Serialize};

/// Stands for the five random characters the API server appends to a `generateName`.
pub const GENERATED_SUFFIX: &str = "xxxxx";

/// What Pod Security answers to one create.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Decision {
    /// The API error's message when the create is refused.
    pub denial: Option<String>,
    /// The `Warning` headers' texts.
    pub warnings: Vec<String>,
    /// The audit annotation's text, if `audit` fails.
    pub audit: Option<String>,
    /// The failures behind the denial (enforce) or else the warning (warn), for explanations.
    pub violations: Vec<Violation>,
}

impl Decision {
    /// Whether the create goes through.
    pub fn allowed(&self) -> bool {
        self.denial.is_none()
    }
}

/// The warning (and audit) text for failures of `policy`.
pub fn warning_text(policy: LevelVersion, violations: &[Violation]) -> String {
    format!(
        "would violate PodSecurity {}: {}",
        go_quote(&policy.to_string()),
        forbidden_detail(violations)
    )
}

/// The message of the API error that refuses the Pod `name`.
pub fn denial_text(name: &str, policy: LevelVersion, violations: &[Violation]) -> String {
    let reason = format!(
        "violates PodSecurity {}: {}",
        go_quote(&policy.to_string()),
        forbidden_detail(violations)
    );
    if name.is_empty() {
        format!("pods is forbidden: {reason}")
    } else {
        format!("pods {} is forbidden: {reason}", go_quote(name))
    }
}

/// Pod Security's answer to creating `object` in a namespace with `policy`.
pub fn admit_create(policy: &NamespacePolicy, object: &PodObject) -> Decision {
    let clean = policy.errors.is_empty();
    if object.kind == WorkloadKind::Pod {
        if clean && policy.fully_privileged() {
            return Decision::default();
        }
        let pod = as_admitted(&object.pod);
        let name = match &object.generate_name {
            Some(prefix) if object.name.is_empty() => format!("{prefix}{GENERATED_SUFFIX}"),
            _ => object.name.clone(),
        };
        evaluate_pod(policy, &pod, Some(&name))
    } else {
        let nothing_to_check = policy.warn.level == super::Level::Privileged
            && policy.audit.level == super::Level::Privileged;
        if clean && nothing_to_check {
            return Decision::default();
        }
        evaluate_pod(policy, &object.pod, None)
    }
}

/// `EvaluatePod`: enforce only for a Pod (`pod_name` given), then audit, then warn when the
/// create is allowed.
fn evaluate_pod(policy: &NamespacePolicy, pod: &PodSource, pod_name: Option<&str>) -> Decision {
    let run = |lv: LevelVersion| evaluate(lv, &pod.metadata, &pod.spec);
    let mut decision = Decision::default();
    if let Some(name) = pod_name {
        let failures = run(policy.enforce);
        if !failures.is_empty() {
            decision.denial = Some(denial_text(name, policy.enforce, &failures));
            decision.violations = failures;
        }
    }
    let audit = run(policy.audit);
    if !audit.is_empty() {
        decision.audit = Some(warning_text(policy.audit, &audit));
    }
    if decision.allowed() {
        let warn = run(policy.warn);
        if !warn.is_empty() {
            decision.warnings.push(warning_text(policy.warn, &warn));
            decision.violations = warn;
        }
    }
    decision
}
