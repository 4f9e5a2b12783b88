//! Compiling templates and evaluating them as Gatekeeper's validating webhook does on a create.
//!
//! Gatekeeper runs a template's `violation` rule with `input.review` (the AdmissionReview
//! request), `input.parameters` (the constraint's `spec.parameters`) and the synced cluster data
//! under `data.inventory`; each result's `msg` becomes `[constraint] msg`, refused for `deny`,
//! a `Warning` header for `warn`. A Rego module is compiled once per template and cloned for each
//! evaluation.

use super::{Constraint, ConstraintTemplate, EnforcementAction};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The object under review, as the API server hands it to the webhook on a create.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The object, after the API server's defaulting (see [`Review::create`]).
    pub object: Value,
    /// From `apiVersion`: empty for the core group.
    pub group: String,
    /// From `apiVersion`.
    pub version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, or the namespace the object is created in.
    pub namespace: Option<String>,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// The labels of the namespace, for `namespaceSelector`; `None` when unknown.
    pub namespace_labels: Option<BTreeMap<String, String>>,
    /// `userInfo` of the request: who creates it.
    pub user_info: Value,
}

impl Review {
    /// A create of `object` (in `namespace` unless it names its own). The defaults the API
    /// server applies before admission webhooks run and that rules commonly look at are applied
    /// first: a Pod container's missing requests are copied from its limits, and a
    /// Deployment's missing `spec.replicas` is 1.
    pub fn create(mut object: Value, namespace: Option<&str>) -> Self {
        let string = |value: &Value, key: &str| value[key].as_str().unwrap_or_default().to_owned();
        let api_version = string(&object, "apiVersion");
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), api_version),
        };
        let kind = string(&object, "kind");
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .filter(|namespace| !namespace.is_empty())
            .or(namespace)
            .map(str::to_owned);
        apply_defaults(&group, &kind, &mut object);
        let labels = object["metadata"]["labels"]
            .as_object()
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            name: string(&object["metadata"], "name"),
            group,
            version,
            kind,
            namespace,
            labels,
            namespace_labels: None,
            user_info: json!({ "username": "portal-preflight", "groups": [] }),
            object,
        }
    }

    /// Gives the namespace's labels (needed by constraints with a `namespaceSelector`).
    pub fn with_namespace_labels(mut self, labels: BTreeMap<String, String>) -> Self {
        self.namespace_labels = Some(labels);
        self
    }

    /// `input.review`: the fields of an AdmissionReview request that templates read.
    pub fn admission_request(&self) -> Value {
        let mut request = json!({
            "kind": { "group": self.group, "version": self.version, "kind": self.kind },
            "name": self.name,
            "operation": "CREATE",
            "userInfo": self.user_info,
            "object": self.object,
            "oldObject": null,
            "dryRun": true,
        });
        if let Some(namespace) = &self.namespace {
            request["namespace"] = json!(namespace);
        }
        request
    }
}

/// The API server's defaults that precede admission and that rules look at.
fn apply_defaults(group: &str, kind: &str, object: &mut Value) {
    match (group, kind) {
        ("", "Pod") => {
            let spec = &mut object["spec"];
            for list in ["initContainers", "containers"] {
                let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                    continue;
                };
                for container in containers {
                    let Some(limits) = container.pointer("/resources/limits").cloned() else {
                        continue;
                    };
                    let Some(limits) = limits.as_object() else {
                        continue;
                    };
                    for (resource, quantity) in limits {
                        let requests = &mut container["resources"]["requests"];
                        if requests.get(resource).is_none() {
                            requests[resource] = quantity.clone();
                        }
                    }
                }
            }
        }
        ("apps", "Deployment" | "StatefulSet" | "ReplicaSet")
            if object["spec"].get("replicas").is_none_or(Value::is_null) =>
        {
            object["spec"]["replicas"] = json!(1);
        }
        _ => {}
    }
}

/// One result of a template's `violation` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// `msg`.
    pub msg: String,
    /// `details`, `{}` when the rule gives none.
    pub details: Value,
}

/// What evaluating one constraint found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The rule ran: its violations (none means the object passes this constraint).
    Checked(Vec<Violation>),
    /// The rule could not be run here: why. This says nothing about whether it passes.
    NotChecked(String),
}

/// One constraint that applies to the object, and what its rule says.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintReport {
    /// The constraint's kind.
    pub kind: String,
    /// The constraint's name.
    pub name: String,
    /// Its `enforcementAction`.
    pub enforcement_action: EnforcementAction,
    /// Its violations, or why it was not checked.
    pub outcome: Outcome,
}

/// A template's Rego, compiled; or why it could not be.
#[derive(Clone)]
struct Compiled {
    engine: Result<regorus::Engine, String>,
    /// `data.<package>.violation`.
    rule: String,
    /// Whether the Rego reads `data.inventory` (objects Gatekeeper syncs from the cluster).
    reads_inventory: bool,
}

/// The cluster's templates and constraints, ready to evaluate objects against.
#[derive(Clone)]
pub struct Rules {
    templates: HashMap<String, Compiled>,
    constraints: Vec<Constraint>,
    /// `data.inventory` as Gatekeeper holds it, or why the portal cannot know it (then a rule
    /// that reads it is not checked).
    inventory: Result<Value, String>,
}

/// Why a rule that reads `data.inventory` is not checked when nothing says what it holds.
pub const NO_INVENTORY: &str = "its rule reads other objects of the cluster that Gatekeeper syncs (data.inventory), which the portal does not hold";

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("templates", &self.templates.keys().collect::<Vec<_>>())
            .field("constraints", &self.constraints)
            .finish_non_exhaustive()
    }
}

fn compile(template: &ConstraintTemplate) -> Compiled {
    let mut engine = regorus::Engine::new();
    // Gatekeeper reads the `rego` field as Rego v0.
    engine.set_rego_v0(true);
    let mut rule = String::new();
    let mut add = || -> anyhow::Result<()> {
        let package =
            engine.add_policy(format!("{}.rego", template.name), template.rego.clone())?;
        rule = format!("{package}.violation");
        for (index, lib) in template.libs.iter().enumerate() {
            engine.add_policy(format!("{}.lib{index}.rego", template.name), lib.clone())?;
        }
        // Evaluating once with an empty review makes the engine analyse every module now, so
        // what it refuses is found here rather than on the first object. The engine keeps that
        // analysis (and the data) for every clone; changing data or policies would throw it
        // away, so evaluations only set the input.
        engine.set_input(regorus::Value::from(
            json!({ "review": {}, "parameters": {} }),
        ));
        engine.add_data(regorus::Value::from(json!({ "inventory": {} })))?;
        engine.eval_rule(rule.clone())?;
        Ok(())
    };
    let result = add();
    let reads_inventory = std::iter::once(&template.rego)
        .chain(&template.libs)
        .any(|module| module.contains("data.inventory"));
    Compiled {
        reads_inventory,
        engine: result
            .map(|()| engine)
            .map_err(|error| format!("{error:#}")),
        rule,
    }
}

impl Rules {
    /// Compiles every template once. A template that does not compile is kept, so that its
    /// constraints are reported as not checked.
    pub fn new(templates: &[ConstraintTemplate], constraints: Vec<Constraint>) -> Self {
        let templates = templates
            .iter()
            .map(|template| (template.kind.clone(), compile(template)))
            .collect();
        Self {
            templates,
            constraints,
            inventory: Err(NO_INVENTORY.to_owned()),
        }
    }

    /// The same compiled templates with other constraints: what a change to constraints alone
    /// (a new one, or Gatekeeper's audit updating their status) needs, without compiling again.
    pub fn with_constraints(&self, constraints: Vec<Constraint>) -> Self {
        Self {
            templates: self.templates.clone(),
            constraints,
            inventory: self.inventory.clone(),
        }
    }

    /// Sets what templates see as `data.inventory` (Gatekeeper's synced cluster objects:
    /// `cluster` and `namespace` trees keyed by group-version, kind and name), or why it is not
    /// known (the default: a rule that reads it is not checked). The inventory is put into each
    /// compiled engine that reads it once, which is analysed again here, so evaluations stay
    /// cheap.
    pub fn with_inventory(mut self, inventory: Result<Value, String>) -> Self {
        if self.inventory == inventory {
            return self;
        }
        let data = inventory.clone().unwrap_or_else(|_| json!({}));
        for compiled in self
            .templates
            .values_mut()
            .filter(|compiled| compiled.reads_inventory)
        {
            let Ok(engine) = &mut compiled.engine else {
                continue;
            };
            engine.clear_data();
            let prepared = engine
                .add_data(regorus::Value::from(json!({ "inventory": data })))
                .and_then(|()| engine.eval_rule(compiled.rule.clone()));
            if let Err(error) = prepared {
                compiled.engine = Err(format!("{error:#}"));
            }
        }
        self.inventory = inventory;
        self
    }

    /// Every constraint that applies to `review`, with its violations or why it was not checked.
    pub fn evaluate(&self, review: &Review) -> Vec<ConstraintReport> {
        // Converted once for all constraints: regorus values share their contents on clone.
        let request = regorus::Value::from(review.admission_request());
        let mut reports = Vec::new();
        for constraint in &self.constraints {
            let outcome = match constraint.matches.applies_to(review) {
                Ok(false) => continue,
                Ok(true) => self.run(constraint, &request),
                Err(reason) => Outcome::NotChecked(reason),
            };
            reports.push(ConstraintReport {
                kind: constraint.kind.clone(),
                name: constraint.name.clone(),
                enforcement_action: constraint.enforcement_action.clone(),
                outcome,
            });
        }
        reports
    }

    fn run(&self, constraint: &Constraint, request: &regorus::Value) -> Outcome {
        let Some(compiled) = self.templates.get(&constraint.kind) else {
            return Outcome::NotChecked(format!(
                "no ConstraintTemplate defines the kind {}",
                constraint.kind
            ));
        };
        if compiled.reads_inventory
            && let Err(reason) = &self.inventory
        {
            return Outcome::NotChecked(reason.clone());
        }
        let mut engine = match &compiled.engine {
            Ok(engine) => engine.clone(),
            Err(error) => {
                return Outcome::NotChecked(format!("the template does not compile here: {error}"));
            }
        };
        let input: std::collections::BTreeMap<regorus::Value, regorus::Value> = [
            (regorus::Value::from("review"), request.clone()),
            (
                regorus::Value::from("parameters"),
                regorus::Value::from(constraint.parameters.clone()),
            ),
        ]
        .into();
        engine.set_input(regorus::Value::from(input));
        let evaluated = engine.eval_rule(compiled.rule.clone());
        match evaluated {
            Ok(value) => match violations(&value) {
                Ok(found) => Outcome::Checked(found),
                Err(reason) => Outcome::NotChecked(reason),
            },
            Err(error) => Outcome::NotChecked(format!("the rule failed here: {error:#}")),
        }
    }
}

/// The `violation` set as Gatekeeper reads it: results without a `msg` are dropped (its hook
/// reads `r.msg`, which is then undefined); `details` defaults to `{}`.
fn violations(value: &regorus::Value) -> Result<Vec<Violation>, String> {
    if *value == regorus::Value::Undefined {
        return Ok(Vec::new());
    }
    let json: Value = serde_json::to_value(value).map_err(|error| error.to_string())?;
    let items = match json {
        Value::Array(items) => items,
        other => return Err(format!("violation is not a set: {other}")),
    };
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let msg = match item.get("msg")? {
                Value::String(msg) => msg.clone(),
                other => other.to_string(),
            };
            let details = item.get("details").cloned().unwrap_or_else(|| json!({}));
            Some(Violation { msg, details })
        })
        .collect())
}

/// The admission answer these reports add up to: the refusal lines and the warnings, each
/// `[constraint] msg` as Gatekeeper writes them. Constraints not checked add nothing.
pub fn admission_messages(reports: &[ConstraintReport]) -> (Vec<String>, Vec<String>) {
    let (mut denied, mut warned) = (Vec::new(), Vec::new());
    for report in reports {
        let Outcome::Checked(found) = &report.outcome else {
            continue;
        };
        for action in report.enforcement_action.at_admission() {
            let list = match action {
                EnforcementAction::Deny => &mut denied,
                EnforcementAction::Warn => &mut warned,
                _ => continue,
            };
            list.extend(
                found
                    .iter()
                    .map(|found| format!("[{}] {}", report.name, found.msg)),
            );
        }
    }
    (denied, warned)
}
