//! Text as the FAQ compares it: normalised (words and digits, lower case, single spaces) for
//! pasted error messages and synonym phrases, and cut at a character count.

/// Text as the error matcher compares it: lower case, every run of characters other than
/// letters and digits as one space, trimmed.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// The first `max` characters of `text`.
pub fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_keeps_words_and_digits_only() {
        assert_eq!(
            normalise("Bad Request Unregistered redirect_uri (\"http://localhost:18000\")."),
            "bad request unregistered redirect uri http localhost 18000"
        );
        assert_eq!(normalise("  ...  "), "");
        assert_eq!(normalise("Ünïcødé  ÄB"), "ünïcødé äb");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("ünïcødé", 3), "ünï");
        assert_eq!(truncate_chars("abc", 10), "abc");
        assert_eq!(truncate_chars("", 0), "");
    }
}
