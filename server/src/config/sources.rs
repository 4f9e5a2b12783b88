//! Where values come from: the `PORTAL_*` variables as a figment provider, and, from figment's
//! metadata, the name of each value's source (the file, or the variable) for error messages and
//! `portal config`.

use figment::{
    Figment, Metadata, Profile, Provider,
    error::Kind,
    value::{Dict, Map, Value},
};
use std::{collections::BTreeMap, sync::Arc};

/// Every configuration variable starts with this.
const PREFIX: &str = "PORTAL_";

/// `PORTAL_*` variables that are not configuration keys: the config file's path, and the
/// settings of the repository's own test and development scripts, which all start with
/// `PORTAL_TEST_` (the cache folder, build jobs, the test control plane's options), so that
/// exporting one never stops the portal from starting.
const NOT_CONFIG_KEYS: &[&str] = &["CONFIG"];
const NOT_CONFIG_PREFIXES: &[&str] = &["TEST_"];

/// Whether `key` (a `PORTAL_*` variable without the prefix) is one Kubernetes makes up for a
/// Service named `portal` in the namespace (`PORTAL_PORT=tcp://…`, `PORTAL_SERVICE_HOST`, …), not
/// something an administrator set. No configuration key starts like that.
fn is_service_link(key: &str) -> bool {
    key == "PORT" || key.starts_with("PORT_") || key.starts_with("SERVICE_")
}

/// The variable for a key: `listen_addr` ← `PORTAL_LISTEN_ADDR`.
fn variable_for(keys: &[&str]) -> String {
    format!("{PREFIX}{}", keys.join(".").to_ascii_uppercase())
}

/// The `PORTAL_*` variables as figment data: `PORTAL_LISTEN_ADDR` sets the key `listen_addr`.
///
/// Not figment's own `Env`, for two reasons the tests pin down: `Env` reads only the process's
/// environment (these are handed in, so tests need not change the process's), and it parses
/// values (`12345678` becomes a number, `[a]` a list, `"a"` loses its quotes), which would change
/// a Secret's value. Here every value stays the string Kubernetes delivered.
#[derive(Debug)]
pub(super) struct PortalEnv {
    values: Dict,
    /// Each key's variable, spelled as it was set.
    variables: Arc<BTreeMap<String, String>>,
    /// Service-link variables, sorted: not read, and reported as such.
    pub(super) ignored: Vec<String>,
}

impl PortalEnv {
    pub(super) fn new(environment: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut values = Dict::new();
        let mut variables = BTreeMap::new();
        let mut ignored = Vec::new();
        for (variable, value) in environment {
            let Some(key) = variable.strip_prefix(PREFIX) else {
                continue;
            };
            if NOT_CONFIG_KEYS.contains(&key)
                || NOT_CONFIG_PREFIXES
                    .iter()
                    .any(|prefix| key.starts_with(prefix))
            {
                continue;
            }
            if is_service_link(key) {
                ignored.push(variable);
                continue;
            }
            let key = key.to_ascii_lowercase();
            values.insert(key.clone(), Value::from(value));
            variables.insert(key, variable);
        }
        ignored.sort();
        Self {
            values,
            variables: Arc::new(variables),
            ignored,
        }
    }
}

impl Provider for PortalEnv {
    /// Named like figment's `Env`; a key interpolates to the variable that set it, which is how
    /// messages and `portal config` name it.
    fn metadata(&self) -> Metadata {
        let variables = self.variables.clone();
        Metadata::named(format!("`{PREFIX}` environment variable(s)")).interpolater(
            move |_: &Profile, keys: &[&str]| match variables.get(&keys.join(".")) {
                Some(variable) => variable.clone(),
                None => variable_for(keys),
            },
        )
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// Where the value at `keys` came from, by its metadata: the file (as figment prints it, for
/// messages; as given, for `portal config`) or the variable.
fn source(metadata: Option<&Metadata>, keys: &[&str], file_as_given: bool) -> Source {
    match metadata {
        Some(metadata) => match &metadata.source {
            Some(source) => Source::File(match source.file_path() {
                Some(path) if file_as_given => path.display().to_string(),
                _ => source.to_string(),
            }),
            None => Source::Variable(metadata.interpolate(&Profile::Default, keys)),
        },
        // The file's values always carry their metadata.
        None => Source::Variable(variable_for(keys)),
    }
}

enum Source {
    File(String),
    Variable(String),
}

/// For `portal config`: each key a source set, with the file's path or the variable's name.
pub(super) fn origins(figment: &Figment) -> BTreeMap<String, String> {
    let Ok(Value::Dict(_, keys)) = figment.find_value("") else {
        return BTreeMap::new();
    };
    keys.keys()
        .map(|key| {
            let (Source::File(origin) | Source::Variable(origin)) =
                source(figment.find_metadata(key), &[key], true);
            (key.clone(), origin)
        })
        .collect()
}

/// figment's errors, each naming the key and where its value came from; an unknown key reads
/// "unknown key `x`" with the file or the variable that set it.
pub(super) fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|error| {
            let mut keys: Vec<&str> = error.path.iter().map(String::as_str).collect();
            match &error.kind {
                Kind::UnknownField(field, _) => {
                    // figment's path to an unknown key already ends with it.
                    if keys.last() != Some(&field.as_str()) {
                        keys.push(field);
                    }
                    let source = match source(error.metadata.as_ref(), &keys, false) {
                        Source::File(file) => format!(" in {file}"),
                        Source::Variable(variable) => {
                            format!(" (from the environment variable {variable})")
                        }
                    };
                    format!("unknown key `{field}`{source}")
                }
                kind => {
                    let source = match source(error.metadata.as_ref(), &keys, false) {
                        Source::File(file) => format!(" in {file}"),
                        Source::Variable(variable) => format!(" (from {variable})"),
                    };
                    format!("`{}`: {kind}{source}", keys.join("."))
                }
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
