//! The Pod Security policy of a namespace, read from its labels exactly as Kubernetes reads them
//! (`api.PolicyToEvaluate`): `pod-security.kubernetes.io/enforce`, `audit` and `warn`, each with
//! a `-version`.
//!
//! A missing label means `privileged` at `latest`. An enforce level that does not parse fails
//! closed (`restricted`), audit and warn levels that do not parse fail open (`privileged`), and
//! a version that does not parse means `latest`. Without a `warn` label, warn follows a stricter
//! enforce level (and its version, unless `warn-version` is set).

use super::{Level, LevelVersion, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The label prefix Pod Security reads.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// What a namespace's labels ask of the Pods in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespacePolicy {
    /// Pods that fail it are refused.
    pub enforce: LevelVersion,
    /// Failures are written to the audit log.
    pub audit: LevelVersion,
    /// Failures come back to the client as warnings.
    pub warn: LevelVersion,
    /// Labels whose value did not parse, in the order Kubernetes reads them.
    pub errors: Vec<LabelError>,
}

/// A Pod Security label whose value is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelError {
    /// The full label key.
    pub label: String,
    /// Its value.
    pub value: String,
    /// What the value must be.
    pub expected: String,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "metadata.labels[{}]: Invalid value: {}: {}",
            self.label,
            super::text::go_quote(&self.value),
            self.expected
        )
    }
}

impl Default for NamespacePolicy {
    /// A namespace without labels: everything privileged.
    fn default() -> Self {
        let privileged = LevelVersion::latest(Level::Privileged);
        Self {
            enforce: privileged,
            audit: privileged,
            warn: privileged,
            errors: Vec::new(),
        }
    }
}

fn parse_level(text: &str) -> Option<Level> {
    match text {
        "privileged" => Some(Level::Privileged),
        "baseline" => Some(Level::Baseline),
        "restricted" => Some(Level::Restricted),
        _ => None,
    }
}

impl NamespacePolicy {
    /// The policy the namespace's labels set (labels other than Pod Security's are ignored).
    pub fn from_labels(labels: &BTreeMap<String, String>) -> Self {
        let mut policy = Self::default();
        let label = |mode: &str| labels.get(&format!("{LABEL_PREFIX}{mode}"));
        let mut errors = Vec::new();
        let mut error = |mode: &str, value: &str, expected: &str| {
            errors.push(LabelError {
                label: format!("{LABEL_PREFIX}{mode}"),
                value: value.to_owned(),
                expected: expected.to_owned(),
            });
        };
        const LEVELS: &str = "must be one of privileged, baseline, restricted";
        const VERSIONS: &str = "must be \"latest\" or \"v1.x\"";
        let version = |mode: &str, error: &mut dyn FnMut(&str, &str, &str)| {
            label(mode).map(|value| {
                Version::parse(value).unwrap_or_else(|| {
                    error(mode, value, VERSIONS);
                    Version::Latest
                })
            })
        };

        let mut has_enforce_level = false;
        if let Some(value) = label("enforce") {
            match parse_level(value) {
                Some(level) => {
                    policy.enforce.level = level;
                    has_enforce_level = true;
                }
                None => {
                    policy.enforce.level = Level::Restricted;
                    error("enforce", value, LEVELS);
                }
            }
        }
        if let Some(v) = version("enforce-version", &mut error) {
            policy.enforce.version = v;
        }
        if let Some(value) = label("audit") {
            policy.audit.level = parse_level(value).unwrap_or_else(|| {
                error("audit", value, LEVELS);
                Level::Privileged
            });
        }
        if let Some(v) = version("audit-version", &mut error) {
            policy.audit.version = v;
        }
        let has_warn_level = label("warn").is_some();
        if let Some(value) = label("warn") {
            policy.warn.level = parse_level(value).unwrap_or_else(|| {
                error("warn", value, LEVELS);
                Level::Privileged
            });
        }
        let warn_version = version("warn-version", &mut error);
        if let Some(v) = warn_version {
            policy.warn.version = v;
        }
        if !has_warn_level && has_enforce_level && policy.enforce.level > policy.warn.level {
            policy.warn.level = policy.enforce.level;
            if warn_version.is_none() {
                policy.warn.version = policy.enforce.version;
            }
        }
        policy.errors = errors;
        policy
    }

    /// Whether nothing is checked in any mode.
    pub fn fully_privileged(&self) -> bool {
        [self.enforce, self.audit, self.warn]
            .iter()
            .all(|lv| lv.level == Level::Privileged)
    }

    /// The labels that set exactly this policy (versions only where they are not `latest`).
    pub fn to_labels(&self) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        for (mode, lv) in [
            ("enforce", self.enforce),
            ("audit", self.audit),
            ("warn", self.warn),
        ] {
            labels.insert(format!("{LABEL_PREFIX}{mode}"), lv.level.to_string());
            if lv.version != Version::Latest {
                labels.insert(
                    format!("{LABEL_PREFIX}{mode}-version"),
                    lv.version.to_string(),
                );
            }
        }
        labels
    }
}
