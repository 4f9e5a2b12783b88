//! The login in progress, kept in the browser between `/auth/login` and `/auth/callback`: an
//! encrypted, short-lived cookie named after the login's `state`.
//!
//! Keeping it in the session stored a database row for every anonymous `GET /auth/login`, so
//! anyone could fill the database; and one pending login per session meant a second tab's
//! login replaced the first's. A cookie per `state` needs no storage and lets tabs log in at
//! once. It is encrypted and authenticated (AES-256-GCM, the `cookie` crate's private jar) with
//! a key derived from the OIDC client secret, which every replica has; the nonce and PKCE
//! verifier inside never reach the browser in the clear, and a cookie older than
//! [`MAX_AGE`] is refused even if the browser kept it.

use super::oidc::PendingLogin;
use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, CookieJar, Key, SameSite, time};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a login may take at the provider.
pub const MAX_AGE: time::Duration = time::Duration::minutes(10);

/// The cookie is sent back only to the callback.
const PATH: &str = "/auth/callback";

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    login: PendingLogin,
    /// Unix seconds.
    started_at: i64,
}

/// Writes and reads pending-login cookies.
#[derive(Clone)]
pub struct PendingLogins {
    key: Key,
    secure: bool,
}

impl std::fmt::Debug for PendingLogins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogins")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl PendingLogins {
    /// The key comes from the client secret, so every replica reads what another wrote. Without
    /// one (a public client) it is random: logins then finish only on the replica that began
    /// them.
    pub fn new(client_secret: Option<&SecretString>, secure: bool) -> Self {
        let key = match client_secret {
            Some(secret) => {
                let mut hash = Sha256::new();
                hash.update(b"welkin-portal pending login cookie\0");
                hash.update(secret.expose_secret().as_bytes());
                Key::derive_from(&hash.finalize())
            }
            None => Key::generate(),
        };
        Self { key, secure }
    }

    fn name(&self, state: &str) -> String {
        // `__Secure-` keeps a plain-HTTP page on a sibling host from planting one.
        let prefix = if self.secure { "__Secure-" } else { "" };
        format!("{prefix}portal_login_{state}")
    }

    /// The `Set-Cookie` value that remembers `login` until its callback.
    pub fn remember(&self, login: PendingLogin) -> Option<HeaderValue> {
        let name = self.name(&login.state);
        let stored = Stored {
            login,
            started_at: chrono::Utc::now().timestamp(),
        };
        let value = serde_json::to_string(&stored).ok()?;
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(
            Cookie::build((name, value))
                .path(PATH)
                .http_only(true)
                .secure(self.secure)
                .same_site(SameSite::Lax)
                .max_age(MAX_AGE),
        );
        let cookie = jar.delta().next()?.encoded().to_string();
        HeaderValue::from_str(&cookie).ok()
    }

    /// The login `state` names, if this browser started it less than [`MAX_AGE`] ago, and the
    /// `Set-Cookie` value that removes its cookie either way.
    pub fn take(&self, headers: &HeaderMap, state: &str) -> (Option<PendingLogin>, HeaderValue) {
        let name = self.name(state);
        let removal = Cookie::build((name.clone(), ""))
            .path(PATH)
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::ZERO)
            .build()
            .encoded()
            .to_string();
        let removal = HeaderValue::from_str(&removal).unwrap_or(HeaderValue::from_static(""));
        // A state the provider did not make (too long, odd characters) names no cookie.
        let plain = (1..=128).contains(&state.len())
            && state
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !plain {
            return (None, removal);
        }
        let mut jar = CookieJar::new();
        for value in headers.get_all(header::COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for cookie in Cookie::split_parse_encoded(value.to_owned()).flatten() {
                if cookie.name() == name {
                    jar.add_original(cookie.into_owned());
                }
            }
        }
        let login = jar
            .private(&self.key)
            .get(&name)
            .and_then(|cookie| serde_json::from_str::<Stored>(cookie.value()).ok())
            .filter(|stored| {
                let age = chrono::Utc::now().timestamp() - stored.started_at;
                (0..=MAX_AGE.whole_seconds()).contains(&age) && stored.login.state == state
            })
            .map(|stored| stored.login);
        (login, removal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(state: &str) -> PendingLogin {
        PendingLogin {
            state: state.to_owned(),
            nonce: "n".to_owned(),
            pkce_verifier: "v".to_owned(),
            next: "/namespaces".to_owned(),
        }
    }

    fn cookie_header(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie
            .to_str()
            .expect("text")
            .split(';')
            .next()
            .expect("a pair")
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&pair).expect("a value"),
        );
        headers
    }

    #[test]
    fn a_pending_login_comes_back_once_from_its_own_cookie_and_its_secrets_are_not_readable() {
        let secret = SecretString::from("client-secret");
        let logins = PendingLogins::new(Some(&secret), true);
        let set = logins.remember(login("abc-123")).expect("a cookie");
        let text = set.to_str().expect("text");
        assert!(text.starts_with("__Secure-portal_login_abc-123="), "{text}");
        for attribute in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/auth/callback",
            "Max-Age=600",
        ] {
            assert!(text.contains(attribute), "{attribute} in {text}");
        }
        assert!(
            !text.contains("/namespaces") && !text.contains("pkce"),
            "{text}"
        );

        // Another replica with the same client secret reads it.
        let other_replica = PendingLogins::new(Some(&secret), true);
        let (found, removal) = other_replica.take(&cookie_header(&set), "abc-123");
        assert_eq!(found.expect("found").next, "/namespaces");
        assert!(removal.to_str().expect("text").contains("Max-Age=0"));

        // A different secret, another state, or a tampered value finds nothing.
        let stranger = PendingLogins::new(Some(&SecretString::from("other")), true);
        assert!(stranger.take(&cookie_header(&set), "abc-123").0.is_none());
        assert!(logins.take(&cookie_header(&set), "abc-124").0.is_none());
        let tampered = HeaderValue::from_str(&text.replacen('=', "=A", 1)).expect("a value");
        assert!(
            logins
                .take(&cookie_header(&tampered), "abc-123")
                .0
                .is_none()
        );
        assert!(logins.take(&cookie_header(&set), "abc;123").0.is_none());
    }
}
