//! Kubernetes label keys and values, checked the way the API server checks them, plus the keys
//! the portal itself sets (a requester may never choose those).

/// Keys (or key prefixes) that the portal, Kubernetes and the platform set on a namespace
/// themselves: Pod Security's levels, HNC's tree (`hnc.x-k8s.io/…`), Gatekeeper's exemptions,
/// and Welkin's `owner=operator` that exempts a namespace from its NetworkPolicy rule.
const RESERVED_PREFIXES: &[&str] = &[
    "app.kubernetes.io/managed-by",
    "portal.welkin.dev/",
    "pod-security.kubernetes.io/",
    "kubernetes.io/",
    "k8s.io/",
    "x-k8s.io/",
    "admission.gatekeeper.sh/",
];

/// Whole keys reserved without a prefix.
const RESERVED_KEYS: &[&str] = &["owner"];

/// Key prefixes (before the `/`) reserved with every subdomain: `*.kubernetes.io`, `*.k8s.io`,
/// `*.x-k8s.io`, `*.gatekeeper.sh`.
const RESERVED_DOMAINS: &[&str] = &[".kubernetes.io", ".k8s.io", ".x-k8s.io", ".gatekeeper.sh"];

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters
/// of `[A-Za-z0-9._-]` that starts and ends with an alphanumeric. Keys the portal or Kubernetes
/// manage are refused. The error names every rule the key breaks, in one sentence, so that a
/// person fixes it in one go.
pub fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let mut problems = Vec::new();
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 {
            problems.push("the prefix before '/' must be 1 to 253 characters".to_owned());
        } else if !prefix.split('.').all(|part| {
            !part.is_empty()
                && part.len() <= 63
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        }) {
            problems.push(
                "the prefix before '/' must be a DNS name such as example.com (lowercase)".into(),
            );
        }
    }
    if name.is_empty() {
        problems.push("the key needs a name".into());
    } else {
        problems.extend(name_part_problems(name));
    }
    let lowered = key.to_ascii_lowercase();
    if RESERVED_PREFIXES
        .iter()
        .any(|reserved| lowered == reserved.trim_end_matches('/') || lowered.starts_with(reserved))
        || RESERVED_KEYS.contains(&lowered.as_str())
        || prefix.is_some_and(|p| RESERVED_DOMAINS.iter().any(|domain| p.ends_with(domain)))
    {
        problems.push("this key is set by the portal or by Kubernetes itself".into());
    }
    joined(problems)
}

/// A label value: empty, or at most 63 characters of `[A-Za-z0-9._-]` that start and end with
/// an alphanumeric. The error names every rule the value breaks.
pub fn check_value(value: &str) -> Result<(), String> {
    joined(name_part_problems(value))
}

fn joined(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Every rule a key's name or a value breaks (the empty text breaks none: the callers decide
/// whether empty is allowed).
fn name_part_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if text.is_empty() {
        return problems;
    }
    let length = text.chars().count();
    if length > 63 {
        problems.push(format!(
            "it is {length} characters long; at most 63 are allowed"
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        problems.push(format!(
            "'{bad}' is not allowed: use letters, digits, '-', '_' and '.'"
        ));
    }
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alphanumeric(text.chars().next()) || !alphanumeric(text.chars().last()) {
        problems.push("it must start and end with a letter or a digit".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_kubernetes_accepts_are_accepted() {
        for key in [
            "cost-center",
            "team",
            "example.com/owner",
            "a.b-c.io/x_y.z",
            "A1",
            "owner-team",
            "example.com/owner",
        ] {
            assert_eq!(check_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        for key in [
            "",
            "/name",
            "Example.com/name",
            "example.com/",
            "-start",
            "end-",
            "has space",
            "ünï",
            &"k".repeat(64),
            "a..b/name",
        ] {
            assert!(check_key(key).is_err(), "{key:?}");
        }
    }

    #[test]
    fn keys_the_portal_or_kubernetes_set_are_refused() {
        for key in [
            "app.kubernetes.io/managed-by",
            "portal.welkin.dev/request-id",
            "pod-security.kubernetes.io/enforce",
            "kubernetes.io/metadata.name",
            "node.kubernetes.io/x",
            "k8s.io/x",
            "foo.k8s.io/x",
            "hnc.x-k8s.io/depth",
            "team-a.tree.hnc.x-k8s.io/depth",
            "x-k8s.io/x",
            "admission.gatekeeper.sh/ignore",
            "mutations.gatekeeper.sh/x",
            "owner",
            "Owner",
        ] {
            assert!(check_key(key).is_err_and(|e| e.contains("set by")), "{key}");
        }
    }

    #[test]
    fn values_follow_the_label_value_rules() {
        for value in ["", "cc-1234", "A.b_c", &"v".repeat(63)] {
            assert_eq!(check_value(value), Ok(()), "{value:?}");
        }
        for value in ["-x", "x-", "a b", "ä", &"v".repeat(64), "a/b"] {
            assert!(check_value(value).is_err(), "{value:?}");
        }
    }

    #[test]
    fn every_rule_a_value_or_key_breaks_is_named_at_once() {
        let message = check_value(&format!("-{}ü", "v".repeat(70))).unwrap_err();
        assert!(message.contains("at most 63"), "{message}");
        assert!(message.contains("'ü' is not allowed"), "{message}");
        assert!(message.contains("start and end"), "{message}");

        let message = check_key("Example.com/-name").unwrap_err();
        assert!(message.contains("prefix before '/'"), "{message}");
        assert!(message.contains("start and end"), "{message}");

        let message = check_key("owner!").unwrap_err();
        assert!(message.contains("'!' is not allowed"), "{message}");
        assert!(!message.contains("set by"), "{message}");
    }
}
