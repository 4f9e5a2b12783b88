//! serde helpers for the keys: lists as TOML arrays or comma-separated strings, an address or
//! `off`, and secrets that serialize redacted.

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serializer};
use std::net::SocketAddr;

/// Accepts a list (`["a", "b"]`, `[8000, 18000]` in TOML) or one comma-separated string
/// (`"a, b"`, `8000,18000`: how an environment variable or a Helm value gives it).
pub(super) fn list_or_csv<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + std::str::FromStr,
    T::Err: std::fmt::Display,
{
    struct ListOrCsv<T>(std::marker::PhantomData<T>);
    impl<'de, T> serde::de::Visitor<'de> for ListOrCsv<T>
    where
        T: Deserialize<'de> + std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        type Value = Vec<T>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a list, or one comma-separated string")
        }
        fn visit_str<E: serde::de::Error>(self, csv: &str) -> Result<Vec<T>, E> {
            csv.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    item.parse()
                        .map_err(|error| E::custom(format!("{item:?} in the list: {error}")))
                })
                .collect()
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_any(ListOrCsv(std::marker::PhantomData))
}

/// An address, or `off` (or nothing) for no listener.
pub(super) fn address_or_off<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.trim() {
        "" | "off" => Ok(None),
        address => address.parse().map(Some).map_err(|error| {
            serde::de::Error::custom(format!(
                "{address:?} is not an address like 0.0.0.0:9090 (or off): {error}"
            ))
        }),
    }
}

/// Secrets are never printed: `portal config` says only whether one is set.
pub(super) fn redacted<S: Serializer, T>(secret: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Redact,
{
    match secret.is_set() {
        true => serializer.serialize_str("[REDACTED]"),
        false => serializer.serialize_none(),
    }
}

pub(super) trait Redact {
    fn is_set(&self) -> bool;
}
impl Redact for SecretString {
    fn is_set(&self) -> bool {
        true
    }
}
impl Redact for Option<SecretString> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}
