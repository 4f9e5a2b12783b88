//! A namespace name a developer may request.
//!
//! Kubernetes accepts any lowercase RFC 1123 label of at most 63 characters as a namespace name.
//! The platform is stricter: `default` and every `kube-*` name belong to Kubernetes itself, the
//! platform's own namespaces (monitoring, policy engines, ingress, backups …) are reserved by the
//! operator, and an operator may require each name to start with a team prefix. [`NamespaceName`]
//! can only be built through [`NamespaceName::parse`], so holding one proves all of that.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest name Kubernetes accepts for a namespace (an RFC 1123 label).
pub const MAX_LEN: usize = 63;

/// Names that belong to Kubernetes itself, whatever the operator configures.
const KUBERNETES_RESERVED: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

/// What, beyond Kubernetes' own syntax, makes a namespace name acceptable on this platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NamingPolicy {
    /// The platform's own namespaces (for example `monitoring`, `velero`, `kyverno`); a request
    /// for one of these is refused.
    pub reserved: Vec<String>,
    /// When not empty, every name must start with one of these prefixes (for example `team-a-`).
    pub required_prefixes: Vec<String>,
}

impl NamingPolicy {
    /// The namespaces a Compliant Kubernetes (Welkin) cluster runs its own services in.
    pub fn welkin_defaults() -> Self {
        // Welkin's own namespaces (apps v0.50), on the workload and service clusters alike,
        // plus the portal's; `default` and `kube-*` are refused by every policy.
        let reserved = [
            "alertmanager",
            "calico-apiserver",
            "calico-system",
            "cert-manager",
            "crossplane-system",
            "dex",
            "falco",
            "fluentd",
            "fluentd-system",
            "gatekeeper-system",
            "gpu-operator",
            "harbor",
            "hnc-system",
            "ingress-nginx",
            "kured",
            "kyverno",
            "metallb-system",
            "monitoring",
            "opensearch-system",
            "openstack-system",
            "rook-ceph",
            "thanos",
            "tigera-operator",
            "velero",
            "welkin-portal",
        ];
        Self {
            reserved: reserved.iter().map(|name| (*name).to_owned()).collect(),
            required_prefixes: Vec::new(),
        }
    }
}

/// Why a name was refused. Each variant's message tells the developer what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum NamespaceNameError {
    #[error("Enter a name for the namespace.")]
    Empty,
    #[error("The name is {len} characters long; a namespace name can have at most {MAX_LEN}.")]
    TooLong { len: usize },
    #[error("Use lowercase letters only: '{found}' is uppercase.")]
    Uppercase { found: char },
    #[error(
        "'{found}' is not allowed: use only lowercase letters (a-z), digits (0-9) and hyphens (-)."
    )]
    InvalidCharacter { found: char },
    #[error("The name must start with a lowercase letter or a digit, not a hyphen.")]
    StartsWithHyphen,
    #[error("The name must end with a lowercase letter or a digit, not a hyphen.")]
    EndsWithHyphen,
    #[error("'{name}' belongs to Kubernetes itself; choose another name.")]
    ReservedByKubernetes { name: String },
    #[error("Names starting with 'kube-' are reserved for Kubernetes; choose another name.")]
    KubePrefix,
    #[error("'{name}' is one of the platform's own namespaces; choose another name.")]
    ReservedByPlatform { name: String },
    #[error("The name must start with one of: {}.", prefixes.join(", "))]
    MissingPrefix { prefixes: Vec<String> },
}

/// A namespace name that Kubernetes accepts and the platform's policy allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NamespaceName(String);

/// Read back with Kubernetes' rules only: a name that was sent or stored met the operator's
/// policy when it was made, and that policy may have changed since.
impl<'de> Deserialize<'de> for NamespaceName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text, &NamingPolicy::default()).map_err(serde::de::Error::custom)
    }
}

impl NamespaceName {
    /// Checks `input` against Kubernetes' rules and then the platform's `policy`.
    ///
    /// Surrounding whitespace is forgiven (it is what a paste brings along); everything else is
    /// reported, first problem first, so the message always points at something to fix.
    pub fn parse(input: &str, policy: &NamingPolicy) -> Result<Self, NamespaceNameError> {
        let name = input.trim();
        check_rfc1123_label(name)?;
        if KUBERNETES_RESERVED.contains(&name) {
            return Err(NamespaceNameError::ReservedByKubernetes {
                name: name.to_owned(),
            });
        }
        if name.starts_with("kube-") {
            return Err(NamespaceNameError::KubePrefix);
        }
        if policy.reserved.iter().any(|reserved| reserved == name) {
            return Err(NamespaceNameError::ReservedByPlatform {
                name: name.to_owned(),
            });
        }
        if !policy.required_prefixes.is_empty()
            && !policy
                .required_prefixes
                .iter()
                .any(|prefix| name.starts_with(prefix.as_str()))
        {
            return Err(NamespaceNameError::MissingPrefix {
                prefixes: policy.required_prefixes.clone(),
            });
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NamespaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NamespaceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters: what Kubernetes requires.
fn check_rfc1123_label(name: &str) -> Result<(), NamespaceNameError> {
    if name.is_empty() {
        return Err(NamespaceNameError::Empty);
    }
    let len = name.chars().count();
    if len > MAX_LEN {
        return Err(NamespaceNameError::TooLong { len });
    }
    if let Some(found) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-'))
    {
        return Err(if found.is_uppercase() {
            NamespaceNameError::Uppercase { found }
        } else {
            NamespaceNameError::InvalidCharacter { found }
        });
    }
    if name.starts_with('-') {
        return Err(NamespaceNameError::StartsWithHyphen);
    }
    if name.ends_with('-') {
        return Err(NamespaceNameError::EndsWithHyphen);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(input: &str) -> Result<NamespaceName, NamespaceNameError> {
        NamespaceName::parse(input, &NamingPolicy::welkin_defaults())
    }

    #[test]
    fn accepts_ordinary_names() {
        for name in ["team-a-shop", "a", "0", "shop2", "a-b-c", &"x".repeat(63)] {
            assert_eq!(
                parse(name).map(|n| n.to_string()),
                Ok(name.to_owned()),
                "{name}"
            );
        }
    }

    #[test]
    fn trims_pasted_whitespace() {
        assert_eq!(
            parse("  shop \n").map(|n| n.to_string()),
            Ok("shop".to_owned())
        );
    }

    #[test]
    fn refuses_each_kind_of_bad_name_with_its_own_reason() {
        let cases: &[(&str, NamespaceNameError)] = &[
            ("", NamespaceNameError::Empty),
            ("   ", NamespaceNameError::Empty),
            (&"x".repeat(64), NamespaceNameError::TooLong { len: 64 }),
            ("Shop", NamespaceNameError::Uppercase { found: 'S' }),
            (
                "shop_1",
                NamespaceNameError::InvalidCharacter { found: '_' },
            ),
            (
                "shop.prod",
                NamespaceNameError::InvalidCharacter { found: '.' },
            ),
            ("shöp", NamespaceNameError::InvalidCharacter { found: 'ö' }),
            ("-shop", NamespaceNameError::StartsWithHyphen),
            ("shop-", NamespaceNameError::EndsWithHyphen),
            (
                "default",
                NamespaceNameError::ReservedByKubernetes {
                    name: "default".into(),
                },
            ),
            (
                "kube-system",
                NamespaceNameError::ReservedByKubernetes {
                    name: "kube-system".into(),
                },
            ),
            ("kube-anything", NamespaceNameError::KubePrefix),
            (
                "monitoring",
                NamespaceNameError::ReservedByPlatform {
                    name: "monitoring".into(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input).as_ref(), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn counts_characters_not_bytes_in_the_length_message() {
        let long = "é".repeat(70);
        assert_eq!(parse(&long), Err(NamespaceNameError::TooLong { len: 70 }));
    }

    #[test]
    fn enforces_a_required_team_prefix() {
        let policy = NamingPolicy {
            reserved: vec![],
            required_prefixes: vec!["team-a-".into(), "team-b-".into()],
        };
        assert!(NamespaceName::parse("team-b-shop", &policy).is_ok());
        let err = NamespaceName::parse("shop", &policy).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The name must start with one of: team-a-, team-b-."
        );
    }

    #[test]
    fn messages_name_the_offending_character() {
        let err = parse("my namespace").unwrap_err();
        assert!(err.to_string().contains("' '"), "{err}");
    }

    proptest! {
        /// Whatever is typed, parsing answers (never panics), and what it accepts is a valid label.
        #[test]
        fn accepted_names_are_rfc1123_labels(input in "\\PC{0,80}") {
            if let Ok(name) = parse(&input) {
                let s = name.as_str();
                prop_assert!(!s.is_empty() && s.len() <= MAX_LEN);
                prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
                prop_assert!(!s.starts_with('-') && !s.ends_with('-'));
                prop_assert!(!s.starts_with("kube-") && s != "default");
            }
        }

        /// Every well-formed label that is not reserved is accepted unchanged.
        #[test]
        fn well_formed_labels_are_accepted(input in "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?") {
            let reserved = input.starts_with("kube-")
                || KUBERNETES_RESERVED.contains(&input.as_str())
                || NamingPolicy::welkin_defaults().reserved.contains(&input);
            prop_assert_eq!(parse(&input).is_ok(), !reserved);
        }
    }
}
