//! The small text helpers the Go checks use (`joinQuote`, `pluralize`, `%q`) and the walk over
//! every container of a Pod (init, regular and ephemeral, in that order).

use k8s_openapi::api::core::v1::{ContainerPort, Lifecycle, PodSpec, Probe, SecurityContext};

/// `"a", "b"`: each item in double quotes, joined by a comma and a space; nothing for none.
pub(super) fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("\"{}\"", inner.join("\", \""))
}

/// The singular for exactly one, the plural for any other count.
pub(super) fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 { singular } else { plural }
}

/// A string quoted as Go's `%q` verb quotes it: backslash escapes for quotes, backslashes and
/// control characters. Printable characters, non-ASCII ones included, stay as they are.
pub(super) fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What the checks read of one container, whichever list it comes from.
#[derive(Debug, Clone, Copy)]
pub(super) struct ContainerView<'a> {
    pub name: &'a str,
    pub security_context: Option<&'a SecurityContext>,
    pub ports: &'a [ContainerPort],
    pub probes: [Option<&'a Probe>; 3],
    pub lifecycle: Option<&'a Lifecycle>,
}

/// Every container of the Pod in the order Kubernetes visits them: init containers, then
/// containers, then ephemeral containers.
pub(super) fn containers(spec: &PodSpec) -> Vec<ContainerView<'_>> {
    // `Container` and `EphemeralContainer` are two Kubernetes types with the same fields.
    macro_rules! view_of {
        ($c:expr) => {
            ContainerView {
                name: &$c.name,
                security_context: $c.security_context.as_ref(),
                ports: $c.ports.as_deref().unwrap_or_default(),
                probes: [
                    $c.liveness_probe.as_ref(),
                    $c.readiness_probe.as_ref(),
                    $c.startup_probe.as_ref(),
                ],
                lifecycle: $c.lifecycle.as_ref(),
            }
        };
    }
    let regular = (spec.init_containers.iter().flatten())
        .chain(spec.containers.iter())
        .map(|c| view_of!(c));
    let ephemeral = (spec.ephemeral_containers.iter().flatten()).map(|c| view_of!(c));
    regular.chain(ephemeral).collect()
}

/// Whether the Pod declares itself a Windows Pod (`spec.os.name: windows`).
pub(super) fn is_windows(spec: &PodSpec) -> bool {
    spec.os.as_ref().is_some_and(|os| os.name == "windows")
}

/// "container \"a\"" or "containers \"a\", \"b\"".
pub(super) fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

#[cfg(test)]
mod tests {
    use super::{go_quote, join_quote, pluralize};

    #[test]
    fn quoting_follows_go() {
        assert_eq!(go_quote("unconfined"), r#""unconfined""#);
        assert_eq!(go_quote("a\"b\\c\nd\te\u{1}"), r#""a\"b\\c\nd\te\x01""#);
        assert_eq!(go_quote("å"), "\"å\"");
        assert_eq!(join_quote(&["a", "b"]), r#""a", "b""#);
        assert_eq!(join_quote::<&str>(&[]), "");
        assert_eq!(pluralize("volume", "volumes", 0), "volumes");
    }
}
