//! Helpers used by several features.

/// A copy-to-clipboard button for code blocks.
pub mod copy;

/// A `data:` URL of `yaml`, for a download link that needs no server round trip.
pub fn yaml_download(yaml: &str) -> String {
    format!(
        "data:application/yaml;charset=utf-8,{}",
        percent_encode(yaml)
    )
}

/// Percent-encodes everything but unreserved characters, for a `data:` URL.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_encoding_keeps_unreserved_and_escapes_the_rest() {
        assert_eq!(super::percent_encode("a: \"b\"\n#"), "a%3A%20%22b%22%0A%23");
    }
}
