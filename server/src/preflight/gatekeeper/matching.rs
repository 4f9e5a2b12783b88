//! A constraint's `spec.match`, and whether it applies to the object under review, following
//! Gatekeeper's own matcher (`pkg/mutation/match` in v3.21): every given criterion must hold.
//!
//! * `kinds`: an empty list matches every kind; within an entry, an empty or `*` list of groups
//!   or kinds matches any.
//! * `namespaces` / `excludedNamespaces`: names with an optional `*` at the start and/or the end
//!   (`kube-*`, `*-system`); a cluster-scoped object is never excluded nor left out by them.
//! * `labelSelector` on the object's labels, `namespaceSelector` on its namespace's labels (or a
//!   Namespace's own), both Kubernetes label selectors.
//! * `scope`: `Cluster`, `Namespaced` or `*`; `name`: the object's name, with the same globs.

use super::Review;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Where a constraint applies (`spec.match`). The default matches every object.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    /// Group and kind lists; empty matches everything.
    #[serde(default)]
    pub kinds: Vec<KindSelector>,
    /// Only these namespaces (globs).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Never these namespaces (globs).
    #[serde(default)]
    pub excluded_namespaces: Vec<String>,
    /// On the object's own labels.
    pub label_selector: Option<LabelSelector>,
    /// On the labels of the object's namespace.
    pub namespace_selector: Option<LabelSelector>,
    /// Cluster-scoped, namespaced or both.
    #[serde(default)]
    pub scope: Scope,
    /// The object's name (a glob).
    #[serde(default)]
    pub name: Option<String>,
}

/// One entry of `match.kinds`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindSelector {
    /// API groups (`""` is the core group); empty or `*` is any.
    #[serde(default)]
    pub api_groups: Vec<String>,
    /// Kinds; empty or `*` is any.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// `match.scope`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Scope {
    /// `*` or absent: any object.
    #[default]
    #[serde(rename = "*")]
    Any,
    /// Cluster-scoped objects and Namespaces.
    Cluster,
    /// Objects in a namespace.
    Namespaced,
}

/// A Kubernetes label selector: every `matchLabels` pair and every expression must hold.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Key and value that must be present.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements.
    #[serde(default)]
    pub match_expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "operator")]
pub enum Requirement {
    /// The label is present with one of the values.
    In {
        /// The label key.
        key: String,
        /// Its allowed values (at least one).
        #[serde(default)]
        values: Vec<String>,
    },
    /// The label is absent, or present with none of the values.
    NotIn {
        /// The label key.
        key: String,
        /// Its refused values (at least one).
        #[serde(default)]
        values: Vec<String>,
    },
    /// The label is present.
    Exists {
        /// The label key.
        key: String,
        /// Must be empty.
        #[serde(default)]
        values: Vec<String>,
    },
    /// The label is absent.
    DoesNotExist {
        /// The label key.
        key: String,
        /// Must be empty.
        #[serde(default)]
        values: Vec<String>,
    },
}

impl LabelSelector {
    /// Whether `labels` satisfy the selector; an empty selector matches everything.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
            && self
                .match_expressions
                .iter()
                .all(|requirement| match requirement {
                    Requirement::In { key, values } => {
                        labels.get(key).is_some_and(|value| values.contains(value))
                    }
                    Requirement::NotIn { key, values } => {
                        labels.get(key).is_none_or(|value| !values.contains(value))
                    }
                    Requirement::Exists { key, .. } => labels.contains_key(key),
                    Requirement::DoesNotExist { key, .. } => !labels.contains_key(key),
                })
    }

    /// What Kubernetes refuses in a selector: `In`/`NotIn` without values, `Exists` or
    /// `DoesNotExist` with some.
    fn check(&self, field: &str) -> Result<(), String> {
        for (index, requirement) in self.match_expressions.iter().enumerate() {
            let (key, values, wants_values) = match requirement {
                Requirement::In { key, values } | Requirement::NotIn { key, values } => {
                    (key, values, true)
                }
                Requirement::Exists { key, values } | Requirement::DoesNotExist { key, values } => {
                    (key, values, false)
                }
            };
            if values.is_empty() == wants_values {
                let need = if wants_values {
                    "needs values"
                } else {
                    "takes no values"
                };
                return Err(format!(
                    "spec.match.{field}.matchExpressions[{index}] (key {key:?}) {need}"
                ));
            }
        }
        Ok(())
    }
}

/// Gatekeeper's wildcard: `*` at the start and/or end of the pattern, otherwise equality.
pub(super) fn glob_matches(pattern: &str, candidate: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(rest), Some(_)) if pattern.len() > 1 => {
            candidate.contains(rest.strip_suffix('*').unwrap_or(rest))
        }
        (Some(suffix), _) => candidate.ends_with(suffix),
        (None, Some(prefix)) => candidate.starts_with(prefix),
        (None, None) => candidate == pattern,
    }
}

impl Match {
    /// Reads `spec.match`; the error names the field.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, String> {
        let parsed = Self::deserialize(value).map_err(|error| format!("spec.match: {error}"))?;
        if let Some(selector) = &parsed.label_selector {
            selector.check("labelSelector")?;
        }
        if let Some(selector) = &parsed.namespace_selector {
            selector.check("namespaceSelector")?;
        }
        Ok(parsed)
    }

    /// Whether the constraint applies to the object under review. An error when it depends on
    /// something unknown: a `namespaceSelector` for an object whose namespace's labels were not
    /// given.
    pub fn applies_to(&self, review: &Review) -> Result<bool, String> {
        let is_namespace = review.group.is_empty() && review.kind == "Namespace";
        // The namespace the namespace criteria look at: a Namespace's own name, or the
        // object's namespace.
        let namespace = if is_namespace {
            Some(review.name.as_str())
        } else {
            review.namespace.as_deref()
        };
        let kinds = self.kinds.is_empty()
            || self.kinds.iter().any(|entry| {
                let any = |list: &[String], wanted: &str| {
                    list.is_empty() || list.iter().any(|item| item == "*" || item == wanted)
                };
                any(&entry.kinds, &review.kind) && any(&entry.api_groups, &review.group)
            });
        let has_namespace = review.namespace.is_some();
        let scope = match self.scope {
            Scope::Any => true,
            Scope::Cluster => is_namespace || !has_namespace,
            Scope::Namespaced => !is_namespace && has_namespace,
        };
        let namespaces = match namespace {
            Some(namespace) if !self.namespaces.is_empty() => self
                .namespaces
                .iter()
                .any(|pattern| glob_matches(pattern, namespace)),
            _ => true,
        };
        let excluded = namespace.is_some_and(|namespace| {
            self.excluded_namespaces
                .iter()
                .any(|pattern| glob_matches(pattern, namespace))
        });
        let labels = self
            .label_selector
            .as_ref()
            .is_none_or(|selector| selector.matches(&review.labels));
        let name = self
            .name
            .as_deref()
            .filter(|name| !name.is_empty())
            .is_none_or(|pattern| glob_matches(pattern, &review.name));
        if !(kinds && scope && namespaces && !excluded && labels && name) {
            return Ok(false);
        }
        match &self.namespace_selector {
            None => Ok(true),
            Some(selector) if is_namespace => Ok(selector.matches(&review.labels)),
            Some(_) if !has_namespace => Ok(true),
            Some(selector) => match &review.namespace_labels {
                Some(labels) => Ok(selector.matches(labels)),
                None => Err(format!(
                    "spec.match.namespaceSelector needs the labels of namespace {:?}, which \
                     were not given",
                    review.namespace.as_deref().unwrap_or_default()
                )),
            },
        }
    }
}
