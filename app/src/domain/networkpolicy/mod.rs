//! NetworkPolicy generator: the pure domain model behind the portal's policy form and JSON API.
//!
//! A person describes a policy as a [`PolicySpec`] (the form and the API share it; see
//! [`model`] for its JSON). [`PolicySpec::validate`] checks it against Kubernetes' rules and
//! returns every error with a field path, or a [`ValidSpec`]. Only a valid spec can be turned
//! into a NetworkPolicy ([`manifest`]), explained in plain words ([`explain`]) and linted for
//! likely mistakes ([`lint`]). [`generate`] does all of it in one call. [`presets`] offers
//! ready-made specs, and [`run_recipe`] answers "why can't I kubectl run?" with a policy and a
//! command the platform admits.
//!
//! Everything here is pure: no I/O, no async, no framework types, no feature flags. It compiles
//! for the server and for `wasm32-unknown-unknown`, so the browser can validate and preview as
//! the person types, and the server can check the same way before it applies anything.

pub mod cidr;
pub mod explain;
pub mod form;
pub mod lint;
pub mod manifest;
pub mod model;
pub mod names;
pub mod presets;
pub mod run_recipe;
pub mod shape;
pub mod validate;
pub mod yaml;

use serde::{Deserialize, Serialize};

pub use self::cidr::Cidr;
pub use self::explain::{Explanation, Section, explain};
pub use self::lint::{Lint, LintCode, LintConfig, Severity, lint};
pub use self::manifest::{kubectl_apply_command, to_network_policy, to_yaml};
pub use self::model::{
    Label, NamespaceSelection, Peer, PolicySpec, PolicyTypes, Port, PortSpec, Protocol, Rule,
    Target,
};
pub use self::presets::{Preset, PresetOptions};
pub use self::run_recipe::{RunRecipe, RunRecipeConfig, RunRecipeSpec, build_run_recipe};
pub use self::validate::{FieldError, ValidSpec};

/// Everything the UI and the API show for a valid spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    /// The NetworkPolicy as YAML that Kubernetes reads back exactly.
    pub yaml: String,
    /// The same NetworkPolicy as JSON (for server-side apply or display).
    pub manifest_json: serde_json::Value,
    /// `kubectl apply -f - <<'EOF'` … `EOF`, ready to paste.
    pub apply_command: String,
    /// The policy in plain words.
    pub explanation: Explanation,
    /// Likely mistakes; empty when none.
    pub warnings: Vec<Lint>,
}

/// Validates `spec` and, if it is valid, generates the manifest, its YAML, the apply command, the
/// explanation and the warnings. Otherwise returns every validation error.
pub fn generate(spec: &PolicySpec, config: &LintConfig) -> Result<Generated, Vec<FieldError>> {
    let valid = spec.validated()?;
    let policy = to_network_policy(&valid);
    let manifest_json = manifest::to_json(&policy);
    let yaml = yaml::to_yaml(&manifest_json);
    Ok(Generated {
        apply_command: kubectl_apply_command(&yaml),
        yaml,
        manifest_json,
        explanation: explain(&valid),
        warnings: lint(&valid, config),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_returns_everything_for_a_valid_spec() {
        let spec = presets::default_deny_all_except_dns("demo");
        let generated = generate(&spec, &LintConfig::default()).expect("valid");
        assert!(
            generated
                .yaml
                .starts_with("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n")
        );
        assert_eq!(generated.manifest_json["kind"], "NetworkPolicy");
        assert_eq!(generated.manifest_json["metadata"]["namespace"], "demo");
        assert_eq!(
            generated.apply_command,
            format!("kubectl apply -f - <<'EOF'\n{}EOF\n", generated.yaml)
        );
        assert!(!generated.explanation.sections.is_empty());
        assert_eq!(
            generated
                .warnings
                .iter()
                .map(|l| l.code)
                .collect::<Vec<_>>(),
            [LintCode::WholeNamespaceTarget]
        );
        // The API sends it as JSON and the browser reads it back.
        let json = serde_json::to_string(&generated).expect("serializes");
        let back: Generated = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, generated);
    }

    proptest::proptest! {
        /// Every valid spec generates, and its explanation is complete, whole sentences.
        #[test]
        fn every_valid_spec_generates(valid in manifest::tests::valid_spec()) {
            let generated = generate(valid.spec(), &LintConfig::default()).expect("valid");
            proptest::prop_assert_eq!(generated.explanation.sections.len(), 4);
            for sentence in generated.explanation.sentences() {
                proptest::prop_assert!(sentence.ends_with('.'), "{}", sentence);
            }
            for warning in &generated.warnings {
                proptest::prop_assert!(warning.message.ends_with('.'), "{}", warning.message);
            }
        }
    }

    #[test]
    fn generate_returns_errors_for_an_invalid_spec() {
        let mut spec = presets::default_deny_all("demo");
        spec.name = "Not Valid".into();
        let errors = generate(&spec, &LintConfig::default()).expect_err("invalid");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "name");
    }
}
