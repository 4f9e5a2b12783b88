//! Gatekeeper's rules as the portal reads them from the cluster, and their evaluation against one
//! object as Gatekeeper's validating webhook would do it on a create.
//!
//! [`ConstraintTemplate`] and [`Constraint`] are parsed from the JSON a dynamic Kubernetes object
//! gives; [`Rules`] compiles every template's Rego once and answers, for a [`Review`], what each
//! constraint that applies reports. A template the embedded interpreter cannot compile or run is
//! reported as [`Outcome::NotChecked`], never as passed.

mod evaluate;
mod matching;
pub mod mutation;
#[cfg(test)]
mod tests;

pub use evaluate::{
    ConstraintReport, NO_INVENTORY, Outcome, Review, Rules, Violation, admission_messages,
};
pub use matching::{KindSelector, LabelSelector, Match, Requirement, Scope};

use serde_json::Value;

/// A ConstraintTemplate: the kind of constraint it defines and the Rego behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintTemplate {
    /// `metadata.name`.
    pub name: String,
    /// The constraint kind it creates, `spec.crd.spec.names.kind`.
    pub kind: String,
    /// The policy, `spec.targets[0].rego` (Rego v0, as Gatekeeper reads that field).
    pub rego: String,
    /// Library modules, `spec.targets[0].libs`.
    pub libs: Vec<String>,
}

/// What a constraint does with a violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnforcementAction {
    /// Refuse the request (the default).
    Deny,
    /// Admit it with a `Warning` header.
    Warn,
    /// Only record it in the audit.
    Dryrun,
    /// `scoped`: the actions listed for the validating webhook in `scopedEnforcementActions`.
    Scoped(Vec<EnforcementAction>),
}

impl EnforcementAction {
    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "deny" => Some(Self::Deny),
            "warn" => Some(Self::Warn),
            "dryrun" => Some(Self::Dryrun),
            _ => None,
        }
    }

    /// The plain actions this one stands for at the validating webhook.
    pub fn at_admission(&self) -> Vec<EnforcementAction> {
        match self {
            Self::Scoped(actions) => actions.clone(),
            action => vec![action.clone()],
        }
    }
}

impl std::fmt::Display for EnforcementAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Deny => f.write_str("deny"),
            Self::Warn => f.write_str("warn"),
            Self::Dryrun => f.write_str("dryrun"),
            Self::Scoped(_) => f.write_str("scoped"),
        }
    }
}

/// A constraint: an instance of a template's kind, with where it applies and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// The template's kind, such as `K8sRequiredRequests`.
    pub kind: String,
    /// `metadata.name`, which prefixes each message (`[name] msg`).
    pub name: String,
    /// `spec.enforcementAction`, `deny` when absent.
    pub enforcement_action: EnforcementAction,
    /// `spec.match`; an absent one applies to everything.
    pub matches: Match,
    /// `spec.parameters`, `{}` when absent (as Gatekeeper defaults it).
    pub parameters: Value,
}

/// A template or constraint that could not be read: which one, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {problem}")]
pub struct ParseError {
    /// Such as `ConstraintTemplate "k8srequiredrequests"`.
    pub what: String,
    /// What is missing or malformed, with the field's path.
    pub problem: String,
}

fn string_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(Value::as_str)
}

impl ConstraintTemplate {
    /// Reads a `templates.gatekeeper.sh` ConstraintTemplate.
    pub fn from_value(value: &Value) -> Result<Self, ParseError> {
        let name = string_at(value, &["metadata", "name"]).unwrap_or_default();
        let error = |problem: String| ParseError {
            what: format!("ConstraintTemplate {name:?}"),
            problem,
        };
        if name.is_empty() {
            return Err(error("metadata.name is missing".into()));
        }
        let kind = string_at(value, &["spec", "crd", "spec", "names", "kind"])
            .filter(|kind| !kind.is_empty())
            .ok_or_else(|| error("spec.crd.spec.names.kind is missing".into()))?;
        let target = value
            .pointer("/spec/targets/0")
            .ok_or_else(|| error("spec.targets is empty".into()))?;
        let rego = target
            .get("rego")
            .and_then(Value::as_str)
            .filter(|rego| !rego.trim().is_empty())
            .ok_or_else(|| {
                error("spec.targets[0].rego is missing (only Rego templates are read)".into())
            })?;
        let libs = match target.get("libs") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(libs)) => libs
                .iter()
                .enumerate()
                .map(|(index, lib)| {
                    lib.as_str().map(str::to_owned).ok_or_else(|| {
                        error(format!("spec.targets[0].libs[{index}] is not a string"))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(error("spec.targets[0].libs is not a list".into())),
        };
        Ok(Self {
            name: name.to_owned(),
            kind: kind.to_owned(),
            rego: rego.to_owned(),
            libs,
        })
    }
}

impl Constraint {
    /// Reads a `constraints.gatekeeper.sh` constraint.
    pub fn from_value(value: &Value) -> Result<Self, ParseError> {
        let kind = string_at(value, &["kind"]).unwrap_or_default();
        let name = string_at(value, &["metadata", "name"]).unwrap_or_default();
        let error = |problem: String| ParseError {
            what: format!("constraint {kind}/{name}"),
            problem,
        };
        if kind.is_empty() {
            return Err(error("kind is missing".into()));
        }
        if name.is_empty() {
            return Err(error("metadata.name is missing".into()));
        }
        let spec = value.get("spec").cloned().unwrap_or(Value::Null);
        let enforcement_action = match spec.get("enforcementAction") {
            None | Some(Value::Null) => EnforcementAction::Deny,
            Some(Value::String(action)) if action.eq_ignore_ascii_case("scoped") => {
                EnforcementAction::Scoped(scoped_actions(&spec).map_err(error)?)
            }
            Some(Value::String(action)) => EnforcementAction::parse(action).ok_or_else(|| {
                error(format!(
                    "spec.enforcementAction {action:?} is not deny, warn, dryrun or scoped"
                ))
            })?,
            Some(other) => {
                return Err(error(format!(
                    "spec.enforcementAction is not a string: {other}"
                )));
            }
        };
        let matches = match spec.get("match") {
            None | Some(Value::Null) => Match::default(),
            Some(value) => Match::from_value(value).map_err(error)?,
        };
        let parameters = match spec.get("parameters") {
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(parameters) => parameters.clone(),
        };
        Ok(Self {
            kind: kind.to_owned(),
            name: name.to_owned(),
            enforcement_action,
            matches,
            parameters,
        })
    }
}

/// The actions of `spec.scopedEnforcementActions` whose enforcement points include the
/// validating webhook (`validation.gatekeeper.sh`, or `*`).
fn scoped_actions(spec: &Value) -> Result<Vec<EnforcementAction>, String> {
    let Some(list) = spec
        .get("scopedEnforcementActions")
        .and_then(Value::as_array)
    else {
        return Err(
            "spec.enforcementAction is scoped but scopedEnforcementActions is missing".into(),
        );
    };
    let mut actions = Vec::new();
    for (index, entry) in list.iter().enumerate() {
        let action = entry
            .get("action")
            .and_then(Value::as_str)
            .and_then(EnforcementAction::parse)
            .ok_or_else(|| format!("spec.scopedEnforcementActions[{index}].action is invalid"))?;
        let at_webhook = entry
            .get("enforcementPoints")
            .and_then(Value::as_array)
            .is_some_and(|points| {
                points.iter().any(|point| {
                    matches!(
                        point.get("name").and_then(Value::as_str),
                        Some("validation.gatekeeper.sh" | "*")
                    )
                })
            });
        if at_webhook && !actions.contains(&action) {
            actions.push(action);
        }
    }
    Ok(actions)
}
