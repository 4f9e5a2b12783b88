//! "Why can't I kubectl run?" answered with a working recipe: a NetworkPolicy that selects the
//! Pod, and a `kubectl run` command the platform admits.
//!
//! The platform refuses Pods that run as root, pull from outside its Harbor registry, use the
//! `latest` tag, lack resource requests, or are not selected by any NetworkPolicy; user
//! namespaces also enforce the Pod Security `restricted` level. The recipe covers all of it.
//!
//! The command is meant to be pasted into a shell, so every value that goes into it must match a
//! strict character set (letters, digits and `. _ / : @ + -`): no quotes, spaces, `$`, backticks,
//! `;`, `&`, `|` or newlines ever reach the shell. The override is built with serde_json, so it is
//! valid JSON by construction (the FAQ's example was not).
//!
//! About `--overrides`: kubectl applies it as a JSON merge patch by default (`--override-type`
//! defaults to `merge`), which replaces the generated `containers` list as a whole. The override
//! therefore carries the complete container — name, image, stdin/tty as `-ti` sets them — and
//! names it after the Pod, as kubectl does, so a strategic merge (`--override-type=strategic`,
//! which merges containers by name) gives the same Pod.
//!
//! Over 400 lines on purpose: the recipe's checks, its policy and its command are one argument
//! about what reaches a shell, and are easiest to audit in one file.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lint::LintConfig;
use super::names;
use super::presets;
use super::validate::{Errors, FieldError};
use super::{Generated, generate};

/// What the person wants to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRecipeSpec {
    /// Pod name; `kubectl run` also labels the Pod `run: POD_NAME`. An RFC 1123 label.
    pub pod_name: String,
    /// Image reference, `registry/repository:tag` or `…@sha256:…`, from an allowed registry.
    pub image: String,
    /// Namespace to run in (the policy goes there too).
    pub namespace: String,
    /// Non-zero user id.
    #[serde(default = "default_id")]
    pub run_as_user: u32,
    /// Non-zero group id.
    #[serde(default = "default_id")]
    pub run_as_group: u32,
    /// CPU request, a Kubernetes quantity such as `100m`.
    #[serde(default = "default_cpu")]
    pub cpu_request: String,
    /// Memory request, a Kubernetes quantity such as `128Mi`.
    #[serde(default = "default_memory")]
    pub memory_request: String,
}

impl RunRecipeSpec {
    /// The FAQ's example, `kubectl run blah`, with the defaults and no image yet.
    pub fn example() -> Self {
        Self {
            pod_name: "blah".to_owned(),
            image: String::new(),
            namespace: "my-namespace".to_owned(),
            run_as_user: default_id(),
            run_as_group: default_id(),
            cpu_request: default_cpu(),
            memory_request: default_memory(),
        }
    }
}

fn default_id() -> u32 {
    1000
}

fn default_cpu() -> String {
    "100m".to_owned()
}

fn default_memory() -> String {
    "128Mi".to_owned()
}

/// The platform's rules for images.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRecipeConfig {
    /// Images must start with one of these, e.g. `harbor.example.com/`. A prefix that does not
    /// end with `/` is treated as if it did, so `harbor.example.com` never admits
    /// `harbor.example.com.evil.io/x`.
    pub allowed_registry_prefixes: Vec<String>,
}

impl RunRecipeConfig {
    /// The prefixes as matched: trimmed, empty ones dropped, each ending with `/`.
    pub fn normalized_prefixes(&self) -> Vec<String> {
        self.allowed_registry_prefixes
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty() && *p != "/")
            .map(|p| {
                if p.ends_with('/') {
                    p.to_owned()
                } else {
                    format!("{p}/")
                }
            })
            .collect()
    }
}

/// Everything the person needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecipe {
    /// The NetworkPolicy `run-POD_NAME`: selects `run: POD_NAME`, no incoming traffic, DNS only
    /// outgoing; with its YAML, apply command, explanation and warnings.
    pub policy: Generated,
    /// The `--overrides` object.
    pub overrides: serde_json::Value,
    /// `kubectl run POD_NAME --rm -ti --image=IMAGE --overrides='…' -n NAMESPACE`.
    pub run_command: String,
    /// Removes the policy again once the Pod is gone.
    pub cleanup_command: String,
}

/// Longest image reference accepted (Docker's limit is 255 for the name, 128 for the tag, plus
/// a digest).
const MAX_IMAGE_LEN: usize = 512;
/// Longest resource quantity accepted.
const MAX_QUANTITY_LEN: usize = 32;
/// Largest user or group id Kubernetes accepts.
const MAX_ID: u32 = 2_147_483_647;

const SHELL_SAFE_RULE: &str = "contains characters that cannot go into a shell command safely; only letters, digits and . _ / : @ + - are allowed";

/// Checks the spec and builds the recipe, or returns every problem found.
pub fn build_run_recipe(
    spec: &RunRecipeSpec,
    config: &RunRecipeConfig,
    lint_config: &LintConfig,
) -> Result<RunRecipe, Vec<FieldError>> {
    let errors = run_recipe_errors(spec, config);
    if !errors.is_empty() {
        return Err(errors);
    }
    let policy_spec = presets::kubectl_run_dns_only(&spec.namespace, &spec.pod_name);
    let policy = generate(&policy_spec, lint_config)?;
    let overrides = overrides(spec);
    // Cannot fail: the value holds only strings, numbers, booleans, arrays and string-keyed maps.
    let overrides_text = serde_json::to_string(&overrides).expect("a JSON value always serializes");
    let run_command = format!(
        "kubectl run {name} --rm -ti --image={image} --overrides={overrides} -n {namespace}",
        name = spec.pod_name,
        image = spec.image,
        overrides = shell_single_quote(&overrides_text),
        namespace = spec.namespace,
    );
    let cleanup_command = format!(
        "kubectl delete networkpolicy {} -n {}",
        policy_spec.name, spec.namespace
    );
    Ok(RunRecipe {
        policy,
        overrides,
        run_command,
        cleanup_command,
    })
}

/// Every problem with the spec, with paths in its JSON field names.
pub fn run_recipe_errors(spec: &RunRecipeSpec, config: &RunRecipeConfig) -> Vec<FieldError> {
    let mut errors = Errors::default();

    // Each field gets every rule it breaks: a value unsafe in a shell is usually also not a
    // name, and the person fixing it should learn both at once.
    if !is_shell_safe(&spec.pod_name) {
        errors.push("podName", format!("Pod name {SHELL_SAFE_RULE}"));
    }
    if !names::is_dns1123_label(&spec.pod_name) {
        errors.push("podName", format!("A Pod name {}.", names::DNS_LABEL_RULE));
    }

    if !is_shell_safe(&spec.namespace) {
        errors.push("namespace", format!("namespace {SHELL_SAFE_RULE}"));
    }
    if !names::is_dns1123_label(&spec.namespace) {
        errors.push(
            "namespace",
            format!("A namespace name {}.", names::DNS_LABEL_RULE),
        );
    }

    check_image(&spec.image, config, &mut errors);

    for (path, what, id) in [
        ("runAsUser", "user ID", spec.run_as_user),
        ("runAsGroup", "group ID", spec.run_as_group),
    ] {
        if id == 0 {
            errors.push(
                path,
                format!("The {what} must not be 0: the platform does not run containers as root."),
            );
        } else if id > MAX_ID {
            errors.push(path, format!("The {what} must be at most {MAX_ID}."));
        }
    }

    for (path, quantity) in [
        ("cpuRequest", &spec.cpu_request),
        ("memoryRequest", &spec.memory_request),
    ] {
        if !is_shell_safe(quantity) {
            errors.push(path, format!("resource request {SHELL_SAFE_RULE}"));
        }
        if let Some(rule) = quantity_error(quantity) {
            errors.push(path, rule);
        }
    }

    errors.finish()
}

/// `[A-Za-z0-9._/:@+-]+`: nothing a POSIX shell treats specially, and no space.
fn is_shell_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | ':' | '@' | '+' | '-')
        })
}

/// Wraps `s` in single quotes for a POSIX shell; a `'` inside becomes `'"'"'`.
fn shell_single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'"'"'"#))
}

fn overrides(spec: &RunRecipeSpec) -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "spec": {
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": spec.run_as_user,
                "runAsGroup": spec.run_as_group,
            },
            "containers": [{
                "name": spec.pod_name,
                "image": spec.image,
                "stdin": true,
                "stdinOnce": true,
                "tty": true,
                "resources": {
                    "requests": {
                        "cpu": spec.cpu_request,
                        "memory": spec.memory_request,
                    },
                },
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "capabilities": { "drop": ["ALL"] },
                    "seccompProfile": { "type": "RuntimeDefault" },
                },
            }],
        },
    })
}

/// Every problem of the image at once: an image without a registry is also told that its
/// `latest` tag is refused, and one with shell characters what else is wrong with it.
fn check_image(image: &str, config: &RunRecipeConfig, errors: &mut Errors) {
    if image.is_empty() {
        // Nothing else can be said about a missing image.
        errors.push(
            "image",
            "image is required, e.g. harbor.example.com/project/tool:1.2.3",
        );
        return;
    }
    if image.len() > MAX_IMAGE_LEN {
        errors.push(
            "image",
            format!("image reference must be at most {MAX_IMAGE_LEN} characters"),
        );
    }
    if !is_shell_safe(image) {
        errors.push("image", format!("image reference {SHELL_SAFE_RULE}"));
    }
    let (reference, broken) = ImageReference::parse(image);
    for rule in broken {
        errors.push("image", rule);
    }

    let prefixes = config.normalized_prefixes();
    if prefixes.is_empty() {
        errors.push(
            "image",
            "no image registry is configured for this platform, so no image can be allowed; ask your administrator",
        );
    } else if !prefixes.iter().any(|p| image.starts_with(p.as_str())) {
        errors.push(
            "image",
            format!(
                "image must come from the platform's registry: it must start with {}; push the image to Harbor first",
                prefixes.join(" or ")
            ),
        );
    }

    match (reference.tag, reference.digest) {
        (None, None) => errors.push(
            "image",
            "image must name a tag (such as :1.2.3) or a digest (@sha256:…); without one it means :latest, which the platform refuses",
        ),
        (Some(tag), _) if tag.eq_ignore_ascii_case("latest") => errors.push(
            "image",
            "the tag latest is refused by the platform: it can change under a running Pod; use a version tag or a digest",
        ),
        _ => {}
    }
}

/// `registry[:port]/path[:tag][@digest]`, the grammar of `distribution/reference`, with the
/// registry required (images must come from Harbor, so a bare `ubuntu` is never right).
#[derive(Debug, PartialEq, Eq)]
struct ImageReference<'a> {
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

impl<'a> ImageReference<'a> {
    /// Splits `image` into its tag and digest, and lists every rule of the grammar it breaks.
    fn parse(image: &'a str) -> (Self, Vec<&'static str>) {
        let mut broken = Vec::new();
        let (name_and_tag, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (image, None),
        };
        if let Some(Err(rule)) = digest.map(check_digest) {
            broken.push(rule);
        }
        // A tag is a ':' after the last '/', so a registry port is not mistaken for one.
        let last_slash = name_and_tag.rfind('/').unwrap_or(0);
        let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
            Some(colon) => {
                let at = last_slash + colon;
                (&name_and_tag[..at], Some(&name_and_tag[at + 1..]))
            }
            None => (name_and_tag, None),
        };
        if let Some(Err(rule)) = tag.map(check_tag) {
            broken.push(rule);
        }
        if name.len() > 255 {
            broken.push("image name (registry and repository) must be at most 255 characters");
        }
        let path = match name.split_once('/') {
            None => {
                broken.push(
                    "image must include its registry, like harbor.example.com/project/tool:1.2.3",
                );
                name
            }
            Some((registry, path)) => {
                let looks_like_registry =
                    registry.contains('.') || registry.contains(':') || registry == "localhost";
                if !looks_like_registry || !is_registry(registry) {
                    broken.push(
                        "image must start with a registry host name, like harbor.example.com/project/tool:1.2.3",
                    );
                }
                path
            }
        };
        if !path.split('/').all(is_path_component) {
            broken.push(
                "image repository path must be lowercase letters and digits, separated by '/' and single '.', '_', '__' or runs of '-'",
            );
        }
        (Self { tag, digest }, broken)
    }
}

/// `host[:port]`, host being dot-separated `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?`.
fn is_registry(registry: &str) -> bool {
    let (host, port) = match registry.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    };
    let host_ok = host.split('.').all(|part| {
        let (Some(first), Some(last)) = (part.chars().next(), part.chars().last()) else {
            return false;
        };
        first.is_ascii_alphanumeric()
            && last.is_ascii_alphanumeric()
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && alnum(bytes[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        let separator_start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[separator_start..i];
        let separator_ok =
            matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !separator_ok || i == bytes.len() {
            return false;
        }
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), &'static str> {
    let ok = tag.len() <= 128
        && tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(
            "image tag must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
        )
    }
}

/// `algorithm:hex`; sha256 and sha512 digests must have their exact length in lowercase hex.
fn check_digest(digest: &str) -> Result<(), &'static str> {
    const RULE: &str =
        "image digest must look like sha256: followed by 64 lowercase hexadecimal digits";
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(RULE);
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '_', '-']).all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
    let lower_hex = |n: usize| {
        hex.len() == n
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let hex_ok = match algorithm {
        "sha256" => lower_hex(64),
        "sha512" => lower_hex(128),
        _ => hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
    };
    if algorithm_ok && hex_ok {
        Ok(())
    } else {
        Err(RULE)
    }
}

/// Checks a Kubernetes resource quantity for a request:
/// `<digits>[.<digits>]` followed by a binary SI suffix (`Ki Mi Gi Ti Pi Ei`), a decimal SI suffix
/// (`m k M G T P E` or none), or a decimal exponent (`e3`, `E-2`); positive and non-zero.
fn quantity_error(quantity: &str) -> Option<&'static str> {
    const RULE: &str = "resource request must be a positive Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi (a number, then optionally one of m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)";
    if quantity.len() > MAX_QUANTITY_LEN {
        return Some(RULE);
    }
    let unsigned = quantity.strip_prefix('+').unwrap_or(quantity);
    let number_len = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_len);
    let number_ok = match number.split_once('.') {
        None => !number.is_empty(),
        Some((whole, fraction)) => {
            let has_digits = !(whole.is_empty() && fraction.is_empty());
            has_digits && !fraction.contains('.')
        }
    };
    let suffix_ok = match suffix {
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            true
        }
        exponent => exponent
            .strip_prefix(['e', 'E'])
            .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
            .is_some_and(|digits| {
                !digits.is_empty()
                    && digits.len() <= 3
                    && digits.bytes().all(|b| b.is_ascii_digit())
            }),
    };
    let non_zero = number.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if number_ok && suffix_ok && non_zero {
        None
    } else {
        Some(RULE)
    }
}

#[cfg(test)]
mod tests;
