//! Kubernetes name and label syntax, as `k8s.io/apimachinery/pkg/util/validation` checks it.
//!
//! Each check returns the message of every rule broken (a label key has two parts, each with its
//! rule; the other values one rule each), in plain words (no "RFC 1123", no "IANA service name"),
//! so a person can fix the value without knowing the regular expression; the form shows them at
//! the field, and the JSON API returns the same words with the field's path. Messages never quote
//! the input: it may be huge or
//! hostile, and the caller already knows which field it is.

/// Longest RFC 1123 label (namespace names, `kubectl run` names).
pub const DNS_LABEL_MAX_LEN: usize = 63;
/// Longest RFC 1123 subdomain (most object names, label key prefixes).
pub const DNS_SUBDOMAIN_MAX_LEN: usize = 253;
/// Longest label value and longest label key name part.
pub const LABEL_PART_MAX_LEN: usize = 63;
/// Longest IANA service name (named container ports).
pub const PORT_NAME_MAX_LEN: usize = 15;

/// The rule for RFC 1123 labels, to follow what is checked: "A namespace name {rule}."
pub const DNS_LABEL_RULE: &str = "uses only lowercase letters, digits and '-', starts and ends with a letter or digit, and is at most 63 characters";
/// The rule for RFC 1123 subdomains, to follow what is checked: "A policy name {rule}."
pub const DNS_SUBDOMAIN_RULE: &str = "uses only lowercase letters, digits, '-' and '.', starts and ends with a letter or digit (and so does every part between dots), and is at most 253 characters";
/// Rule text for label values.
pub const LABEL_VALUE_RULE: &str = "A label value uses only letters, digits, '-', '_' and '.', starts and ends with a letter or digit, and is at most 63 characters (it may also be empty).";
/// Rule text for the name part of label keys.
pub const LABEL_KEY_NAME_RULE: &str = "A label key (the part after any '/') uses only letters, digits, '-', '_' and '.', starts and ends with a letter or digit, and is 1 to 63 characters.";
/// Rule text for the prefix part of label keys.
pub const LABEL_KEY_PREFIX_RULE: &str = "A label key's prefix (the part before '/') is a lowercase domain name such as example.com, of at most 253 characters.";
/// Rule text for keys with more than one '/'.
pub const LABEL_KEY_SLASHES_RULE: &str = "A label key has at most one '/', between an optional domain prefix such as example.com and the name.";
/// Rule text for named ports.
pub const PORT_NAME_RULE: &str = "A port name uses only lowercase letters, digits and '-', has at least one letter, is at most 15 characters, and has no '-' at the start, at the end or twice in a row.";

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, without the length limit.
fn is_label_shape(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return false;
    };
    is_lower_alnum(first)
        && is_lower_alnum(last)
        && s.chars().all(|c| is_lower_alnum(c) || c == '-')
}

/// RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= DNS_LABEL_MAX_LEN && is_label_shape(s)
}

/// RFC 1123 subdomain as Kubernetes checks it: dot-separated label shapes, at most 253
/// characters in total (Kubernetes does not limit the parts to 63 each).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= DNS_SUBDOMAIN_MAX_LEN && s.split('.').all(is_label_shape)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the shape shared by label values and label key
/// names, without the length limit or the empty case.
fn is_qualified_part(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks a label key: `[prefix/]name`. Returns every rule broken: a bad prefix and a bad name
/// are two problems, reported together.
pub fn label_key_errors(key: &str) -> Vec<&'static str> {
    let mut parts = key.split('/');
    let (prefix, name) = match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, _) => (None, name),
        (Some(prefix), Some(name), None) => (Some(prefix), name),
        _ => return vec![LABEL_KEY_SLASHES_RULE],
    };
    let mut broken = Vec::new();
    if prefix.is_some_and(|prefix| !is_dns1123_subdomain(prefix)) {
        broken.push(LABEL_KEY_PREFIX_RULE);
    }
    if name.len() > LABEL_PART_MAX_LEN || !is_qualified_part(name) {
        broken.push(LABEL_KEY_NAME_RULE);
    }
    broken
}

/// Checks a label value (empty is allowed). Returns the rule broken, if any.
pub fn label_value_error(value: &str) -> Option<&'static str> {
    if value.is_empty() || (value.len() <= LABEL_PART_MAX_LEN && is_qualified_part(value)) {
        None
    } else {
        Some(LABEL_VALUE_RULE)
    }
}

/// Checks a named port (IANA_SVC_NAME, RFC 6335). Returns the rule broken, if any.
pub fn port_name_error(name: &str) -> Option<&'static str> {
    let ok = !name.is_empty()
        && name.len() <= PORT_NAME_MAX_LEN
        && name.chars().all(|c| is_lower_alnum(c) || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok { None } else { Some(PORT_NAME_RULE) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        for ok in ["a", "demo", "team-a", "0", "a1-b2", &"a".repeat(63)] {
            assert!(is_dns1123_label(ok), "{ok:?}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "team_a",
            "a.b",
            "ä",
            "a b",
            &"a".repeat(64),
        ] {
            assert!(!is_dns1123_label(bad), "{bad:?}");
        }
    }

    #[test]
    fn dns_subdomains() {
        let long_part = "a".repeat(100);
        let at_limit = ["a"; 127].join(".");
        assert_eq!(at_limit.len(), 253);
        for ok in [
            "a",
            "allow-dns",
            "web.frontend",
            "a.b-c.d",
            &long_part,
            &at_limit,
        ] {
            assert!(is_dns1123_subdomain(ok), "{ok:?}");
        }
        let over_limit = format!("{at_limit}b");
        for bad in [
            "",
            ".a",
            "a.",
            "a..b",
            "A.b",
            "a_b",
            "-a.b",
            "a-.b",
            &over_limit,
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad:?}");
        }
    }

    #[test]
    fn label_keys() {
        for ok in [
            "app",
            "run",
            "App.Name_1",
            "k8s-app",
            "kubernetes.io/metadata.name",
            "app.kubernetes.io/name",
            "x/Y",
            &"a".repeat(63),
            &format!("{}/{}", "a".repeat(253), "b".repeat(63)),
        ] {
            assert_eq!(label_key_errors(ok), Vec::<&str>::new(), "{ok:?}");
        }
        assert_eq!(label_key_errors(""), [LABEL_KEY_NAME_RULE]);
        assert_eq!(label_key_errors("-app"), [LABEL_KEY_NAME_RULE]);
        assert_eq!(label_key_errors("app-"), [LABEL_KEY_NAME_RULE]);
        assert_eq!(label_key_errors("a b"), [LABEL_KEY_NAME_RULE]);
        assert_eq!(label_key_errors(&"a".repeat(64)), [LABEL_KEY_NAME_RULE]);
        assert_eq!(label_key_errors("example.com/"), [LABEL_KEY_NAME_RULE]);
        assert_eq!(label_key_errors("/app"), [LABEL_KEY_PREFIX_RULE]);
        assert_eq!(label_key_errors("Example.com/app"), [LABEL_KEY_PREFIX_RULE]);
        assert_eq!(
            label_key_errors(&format!("{}/app", "a".repeat(254))),
            [LABEL_KEY_PREFIX_RULE]
        );
        assert_eq!(label_key_errors("a/b/c"), [LABEL_KEY_SLASHES_RULE]);
        // A bad prefix does not hide a bad name: both are told at once.
        assert_eq!(
            label_key_errors("Example.com/-app"),
            [LABEL_KEY_PREFIX_RULE, LABEL_KEY_NAME_RULE]
        );
        assert_eq!(
            label_key_errors("/"),
            [LABEL_KEY_PREFIX_RULE, LABEL_KEY_NAME_RULE]
        );
    }

    #[test]
    fn label_values() {
        for ok in [
            "",
            "blah",
            "v1.2.3",
            "A_b-C",
            "true",
            "yes",
            "0",
            &"z".repeat(63),
        ] {
            assert_eq!(label_value_error(ok), None, "{ok:?}");
        }
        for bad in [
            "-a",
            "a-",
            "_a",
            "a b",
            "a/b",
            "a:b",
            "ö",
            "\n",
            &"z".repeat(64),
        ] {
            assert_eq!(label_value_error(bad), Some(LABEL_VALUE_RULE), "{bad:?}");
        }
    }

    #[test]
    fn port_names() {
        for ok in [
            "http",
            "dns-tcp",
            "h2c",
            "a",
            "metrics-9090",
            &"a".repeat(15),
        ] {
            assert_eq!(port_name_error(ok), None, "{ok:?}");
        }
        for bad in [
            "",
            "8080",
            "-http",
            "http-",
            "ht--tp",
            "HTTP",
            "http_alt",
            &"a".repeat(16),
        ] {
            assert_eq!(port_name_error(bad), Some(PORT_NAME_RULE), "{bad:?}");
        }
    }
}
