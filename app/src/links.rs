//! Links the pages and the server build alike: a value percent-encoded for a query string, and
//! the way to the login page and back.

/// `value` percent-encoded for a query string: unreserved characters and `/` stay as they are
/// (a path reads as a path), everything else is `%XX`.
pub fn query_value(value: &str) -> String {
    use std::fmt::Write as _;
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// The login page, then back to `next` (a path on the portal).
pub fn login_path(next: &str) -> String {
    format!("/auth/login?next={}", query_value(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_readable_and_everything_else_is_encoded() {
        assert_eq!(
            login_path("/networkpolicies?preset=allow-dns&ns=team a"),
            "/auth/login?next=/networkpolicies%3Fpreset%3Dallow-dns%26ns%3Dteam%20a"
        );
        assert_eq!(query_value("ünï"), "%C3%BCn%C3%AF");
        assert_eq!(query_value("a\r\nb#c"), "a%0D%0Ab%23c");
    }
}
