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
/// manage are refused.
pub fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 {
            return Err("the prefix before '/' must be 1 to 253 characters".into());
        }
        let valid = prefix.split('.').all(|part| {
            !part.is_empty()
                && part.len() <= 63
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        });
        if !valid {
            return Err(
                "the prefix before '/' must be a DNS name such as example.com (lowercase)".into(),
            );
        }
    }
    if name.is_empty() {
        return Err("the key needs a name".into());
    }
    check_name_part(name)?;
    let lowered = key.to_ascii_lowercase();
    if RESERVED_PREFIXES
        .iter()
        .any(|reserved| lowered == reserved.trim_end_matches('/') || lowered.starts_with(reserved))
        || RESERVED_KEYS.contains(&lowered.as_str())
        || prefix.is_some_and(|p| RESERVED_DOMAINS.iter().any(|domain| p.ends_with(domain)))
    {
        return Err("this key is set by the portal or by Kubernetes itself".into());
    }
    Ok(())
}

/// A label value: empty, or at most 63 characters of `[A-Za-z0-9._-]` that start and end with
/// an alphanumeric.
pub fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    check_name_part(value)
}

fn check_name_part(text: &str) -> Result<(), String> {
    let length = text.chars().count();
    if length > 63 {
        return Err(format!(
            "it is {length} characters long; at most 63 are allowed"
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "'{bad}' is not allowed: use letters, digits, '-', '_' and '.'"
        ));
    }
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alphanumeric(text.chars().next()) || !alphanumeric(text.chars().last()) {
        return Err("it must start and end with a letter or a digit".into());
    }
    Ok(())
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
}
