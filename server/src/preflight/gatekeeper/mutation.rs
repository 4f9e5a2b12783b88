//! Gatekeeper's mutators (`mutations.gatekeeper.sh`) and what its mutating webhook makes of an
//! object on a create, following v3.21.1's `pkg/mutation`.
//!
//! [`Mutator::from_value`] reads an `Assign`, `AssignMetadata` or `ModifySet` as a dynamic
//! Kubernetes object gives it, and refuses what Gatekeeper's own validation refuses (the
//! messages say what is wrong and where). [`mutate`] then runs every mutator that applies to
//! the object in Gatekeeper's order (by kind, then name), round after round until a round
//! changes nothing, and gives the object as the webhook would return it.
//!
//! What the webhook does:
//!
//! * A mutator applies when its `applyTo` names the object's group, version and kind exactly
//!   (AssignMetadata has no `applyTo`), its `spec.match` selects the object (the same matcher as
//!   constraints), and its `match.source` is `All` or `Original` (a create is an original
//!   resource; `Generated` is for resources expanded from workloads).
//! * Assign sets the value at its location. Missing objects on the way are created, and a keyed
//!   list step (`[name: foo]`) adds an element with that key when none has it; a glob
//!   (`[name: *]`) goes into every element that exists and never adds one. Nothing is created
//!   when the mutation does not happen in the end (a path test fails further down).
//! * AssignMetadata only adds a label or annotation that is absent; it never overwrites one.
//! * ModifySet treats the list at its location as a set: `merge` appends the values that are
//!   missing (a missing list becomes the values), `prune` removes the values given.
//! * `pathTests` stop the mutation where something must or must not exist.
//! * Two mutators whose locations imply different schemas for one kind (a field read as an
//!   object by one and a list by the other) both conflict, and Gatekeeper applies neither.
//! * The rounds stop when one leaves the object as it was; after one round more than there are
//!   mutators, the mutation is refused as not converging.
//! * Objects of Gatekeeper's own groups are never mutated.
//!
//! What is not decided here, and reported in [`Mutation::not_checked`] (the other mutators still
//! apply): a mutator whose match needs the labels of a namespace that were not given, an
//! `assign.externalData` (the provider is not called from here), and an `assignIf` (a field
//! Gatekeeper removed in 2021, open-policy-agent/gatekeeper#1548, before mutation left alpha;
//! the v3.21.1 CRD drops it, so no v3.21.1 cluster stores one).
//!
//! Left out entirely: `AssignImage` ([`Mutator::from_value`] refuses it, so its share of the
//! schema is missing when conflicts are looked for), the namespaces Gatekeeper's `Config`
//! excludes from mutation, and `match.name` against a `generateName` (the shared matcher only
//! reads `metadata.name`).

mod path;
mod schema;
#[cfg(test)]
mod tests;

pub use path::{Condition, ListKey, ListNode, Node, Path};

use super::{Match, ParseError, Review};
use path::Tester;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The API groups whose objects Gatekeeper's webhook never mutates.
const GATEKEEPER_GROUPS: [&str; 7] = [
    "templates.gatekeeper.sh",
    "constraints.gatekeeper.sh",
    "mutations.gatekeeper.sh",
    "config.gatekeeper.sh",
    "externaldata.gatekeeper.sh",
    "expansion.gatekeeper.sh",
    "status.gatekeeper.sh",
];

/// Gatekeeper's limit on a mutator's name.
const MAX_NAME_LENGTH: usize = 63;

/// The kinds of mutator read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutatorKind {
    /// Sets a value anywhere outside `metadata`.
    Assign,
    /// Adds a label or an annotation.
    AssignMetadata,
    /// Adds values to, or removes them from, a list used as a set.
    ModifySet,
}

impl MutatorKind {
    /// The Kubernetes kind.
    pub fn as_str(self) -> &'static str {
        match self {
            MutatorKind::Assign => "Assign",
            MutatorKind::AssignMetadata => "AssignMetadata",
            MutatorKind::ModifySet => "ModifySet",
        }
    }
}

/// One entry of `spec.applyTo`: the exact groups, versions and kinds (no globs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApplyTo {
    groups: Vec<String>,
    versions: Vec<String>,
    kinds: Vec<String>,
}

impl ApplyTo {
    fn covers(&self, group: &str, version: &str, kind: &str) -> bool {
        self.groups.iter().any(|item| item == group)
            && self.versions.iter().any(|item| item == version)
            && self.kinds.iter().any(|item| item == kind)
    }
}

/// `spec.match.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `All`, the default.
    All,
    /// Only resources as they are submitted.
    Original,
    /// Only resources Gatekeeper expands from workloads (never a create here).
    Generated,
}

/// The metadata field `assign.fromMetadata.field` copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetadataField {
    /// The object's namespace (empty for a cluster-scoped object).
    Namespace,
    /// The object's name.
    Name,
}

/// What `spec.parameters.assign` gives.
#[derive(Debug, Clone, PartialEq)]
enum AssignField {
    /// `value`: a constant.
    Value(Value),
    /// `fromMetadata`: the object's namespace or name.
    FromMetadata(MetadataField),
    /// `externalData`: an answer of an external data provider (never applied here).
    ExternalData,
}

/// What a mutator does at its location.
#[derive(Debug, Clone, PartialEq)]
enum Operation {
    /// Assign and AssignMetadata.
    Assign(AssignField),
    /// ModifySet: `prune` or `merge`, with `values.fromList` (`None` when absent, which
    /// Gatekeeper's merge then writes as `null` into a missing field).
    ModifySet {
        prune: bool,
        values: Option<Vec<Value>>,
    },
}

/// A mutator, read and checked as Gatekeeper does before it uses one.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutator {
    kind: MutatorKind,
    name: String,
    location: String,
    path: Path,
    tester: Tester,
    /// Empty for AssignMetadata, which has none.
    apply_to: Vec<ApplyTo>,
    /// `applyTo` flattened: every group, version and kind (for schema conflicts).
    bindings: Vec<(String, String, String)>,
    matches: Match,
    source: Source,
    operation: Operation,
    /// Why the mutator is not applied here when it matches (external data, `assignIf`).
    not_applied_here: Option<String>,
}

/// The JSON at `key`, `None` when absent or null (as Go's decoding leaves such a field unset).
fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get(key).filter(|found| !found.is_null())
}

/// An optional object field; `path` names it in errors.
fn object_field<'a>(value: &'a Value, key: &str, path: &str) -> Result<Option<&'a Value>, String> {
    match field(value, key) {
        None => Ok(None),
        Some(found) if found.is_object() => Ok(Some(found)),
        Some(other) => Err(format!("{path} is not an object: {other}")),
    }
}

/// An optional string field; `path` names it in errors.
fn string_field(value: &Value, key: &str, path: &str) -> Result<Option<String>, String> {
    match field(value, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("{path} is not a string: {other}")),
    }
}

/// An optional list field; `path` names it in errors.
fn list_field<'a>(value: &'a Value, key: &str, path: &str) -> Result<&'a [Value], String> {
    match field(value, key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("{path} is not a list: {other}")),
    }
}

/// An optional list of strings; `path` names it in errors.
fn strings_field(value: &Value, key: &str, path: &str) -> Result<Vec<String>, String> {
    list_field(value, key, path)?
        .iter()
        .enumerate()
        .map(|(index, item)| {
            item.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{path}[{index}] is not a string: {item}"))
        })
        .collect()
}

fn read_apply_to(spec: &Value) -> Result<Vec<ApplyTo>, String> {
    list_field(spec, "applyTo", "spec.applyTo")?
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let at = |key: &str| format!("spec.applyTo[{index}].{key}");
            if !entry.is_object() {
                return Err(format!("spec.applyTo[{index}] is not an object: {entry}"));
            }
            Ok(ApplyTo {
                groups: strings_field(entry, "groups", &at("groups"))?,
                versions: strings_field(entry, "versions", &at("versions"))?,
                kinds: strings_field(entry, "kinds", &at("kinds"))?,
            })
        })
        .collect()
}

/// Gatekeeper's `NewValidatedBindings`: every entry names groups, versions and kinds, and
/// together they name at least one kind. The bindings come back sorted, without repeats.
fn bindings(
    kind: MutatorKind,
    name: &str,
    apply_to: &[ApplyTo],
) -> Result<Vec<(String, String, String)>, String> {
    let mut bindings = BTreeSet::new();
    for entry in apply_to {
        if entry.groups.is_empty() || entry.versions.is_empty() || entry.kinds.is_empty() {
            return Err(format!(
                "invalid applyTo for {} mutator {name}, all of group, version and kind must be \
                 specified",
                kind.as_str()
            ));
        }
        for group in &entry.groups {
            for version in &entry.versions {
                for each in &entry.kinds {
                    bindings.insert((group.clone(), version.clone(), each.clone()));
                }
            }
        }
    }
    if bindings.is_empty() {
        return Err(format!(
            "applyTo required for {} mutator {name}",
            kind.as_str()
        ));
    }
    Ok(bindings.into_iter().collect())
}

fn read_source(spec: &Value) -> Result<Source, String> {
    let source = match field(spec, "match") {
        None => None,
        Some(matching) => string_field(matching, "source", "spec.match.source")?,
    };
    match source.as_deref() {
        None | Some("" | "All") => Ok(Source::All),
        Some("Original") => Ok(Source::Original),
        Some("Generated") => Ok(Source::Generated),
        Some(other) => Err(format!(
            "spec.match.source {other:?} is not All, Original or Generated"
        )),
    }
}

/// `spec.parameters.pathTests`, each sub path parsed, checked against the location.
fn read_tester(
    kind: MutatorKind,
    name: &str,
    parameters: Option<&Value>,
    path: &Path,
) -> Result<Tester, String> {
    let Some(parameters) = parameters else {
        return Tester::new(path, &[]);
    };
    let mut tests = Vec::new();
    let entries = list_field(parameters, "pathTests", "spec.parameters.pathTests")?;
    for (index, entry) in entries.iter().enumerate() {
        let at = |key: &str| format!("spec.parameters.pathTests[{index}].{key}");
        if !entry.is_object() {
            return Err(format!(
                "spec.parameters.pathTests[{index}] is not an object: {entry}"
            ));
        }
        let sub_path = string_field(entry, "subPath", &at("subPath"))?.unwrap_or_default();
        let condition = match string_field(entry, "condition", &at("condition"))?.as_deref() {
            None => Condition::Unset,
            Some("MustExist") => Condition::MustExist,
            Some("MustNotExist") => Condition::MustNotExist,
            Some(other) => {
                return Err(format!(
                    "{} {other:?} is not MustExist or MustNotExist",
                    at("condition")
                ));
            }
        };
        let parsed = Path::parse(&sub_path).map_err(|error| {
            format!(
                "problem parsing sub path `{sub_path}` for {} {name}: {error}",
                kind.as_str()
            )
        })?;
        tests.push((parsed, condition));
    }
    Tester::new(path, &tests)
}

/// `spec.parameters.assign`, checked as Gatekeeper's `AssignField.Validate` does. The second
/// value is the external data's `dataSource`, when there is external data.
fn read_assign_field(parameters: Option<&Value>) -> Result<(AssignField, Option<String>), String> {
    let assign = match parameters {
        None => None,
        Some(parameters) => object_field(parameters, "assign", "spec.parameters.assign")?,
    };
    let empty = Value::Object(Map::new());
    let assign = assign.unwrap_or(&empty);
    let value = field(assign, "value");
    let from_metadata = object_field(
        assign,
        "fromMetadata",
        "spec.parameters.assign.fromMetadata",
    )?;
    let external_data = object_field(
        assign,
        "externalData",
        "spec.parameters.assign.externalData",
    )?;
    let given = [
        value.is_some(),
        from_metadata.is_some(),
        external_data.is_some(),
    ];
    match given.iter().filter(|given| **given).count() {
        0 => {
            return Err(
                "spec.parameters.assign must set one of `externalData`, `value` or `fromMetadata`"
                    .into(),
            );
        }
        1 => {}
        _ => {
            return Err(
                "spec.parameters.assign must only set one of `externalData`, `value` or \
                 `fromMetadata`"
                    .into(),
            );
        }
    }
    if let Some(value) = value {
        return Ok((AssignField::Value(value.clone()), None));
    }
    if let Some(from_metadata) = from_metadata {
        let field = string_field(
            from_metadata,
            "field",
            "spec.parameters.assign.fromMetadata.field",
        )?
        .unwrap_or_default();
        let field = match field.as_str() {
            "namespace" => MetadataField::Namespace,
            "name" => MetadataField::Name,
            other => {
                return Err(format!(
                    "spec.parameters.assign.fromMetadata.field {other:?} is not recognized \
                     (namespace or name)"
                ));
            }
        };
        return Ok((AssignField::FromMetadata(field), None));
    }
    let external = external_data.unwrap_or(&empty);
    let at = |key: &str| format!("spec.parameters.assign.externalData.{key}");
    if string_field(external, "provider", &at("provider"))?
        .is_none_or(|provider| provider.is_empty())
    {
        return Err(format!("{} is missing", at("provider")));
    }
    // The CRD's defaults and enumerations.
    let data_source = string_field(external, "dataSource", &at("dataSource"))?
        .unwrap_or_else(|| "ValueAtLocation".into());
    if !matches!(data_source.as_str(), "ValueAtLocation" | "Username") {
        return Err(format!(
            "{} {data_source:?} is not ValueAtLocation or Username",
            at("dataSource")
        ));
    }
    let failure_policy = string_field(external, "failurePolicy", &at("failurePolicy"))?
        .unwrap_or_else(|| "Fail".into());
    if !matches!(failure_policy.as_str(), "UseDefault" | "Ignore" | "Fail") {
        return Err(format!(
            "{} {failure_policy:?} is not UseDefault, Ignore or Fail",
            at("failurePolicy")
        ));
    }
    let default = string_field(external, "default", &at("default"))?.unwrap_or_default();
    if failure_policy == "UseDefault" && default.is_empty() {
        return Err(format!(
            "{}: `default` must not be empty when `failurePolicy` is set to `UseDefault`",
            at("default")
        ));
    }
    Ok((AssignField::ExternalData, Some(data_source)))
}

/// Gatekeeper's `validateObjectAssignedToList`: a value assigned to a keyed list step must be
/// an object carrying the same key.
fn check_value_for_list(path: &Path, value: &Value) -> Result<(), String> {
    let Some(Node::List(list)) = path.nodes.last() else {
        return Ok(());
    };
    let key = match &list.key {
        ListKey::Glob => return Err("can't append to a globbed list".into()),
        key => key,
    };
    let Value::Object(object) = value else {
        return Err(format!(
            "invalid value: `{value}`, only objects can be added to keyed lists"
        ));
    };
    let found = object.get(&list.key_field).unwrap_or(&Value::Null);
    if !assigned_key_equals(key, found) {
        let key_text = key.to_value().unwrap_or(Value::Null);
        let note = if matches!(key, ListKey::Integer(_)) {
            " (Gatekeeper reads numbers in assign.value as floating point, which never equal an \
             integer list key)"
        } else {
            ""
        };
        return Err(format!(
            "adding object to list with different key {}: list key {key_text}, object key \
             {found}{note}",
            list.key_field
        ));
    }
    Ok(())
}

/// Whether an assigned object's key field equals a list step's key. Gatekeeper decodes
/// `assign.value` with numbers as floating point and compares them with the path's integer
/// key by type too, so only a text key can ever be equal.
fn assigned_key_equals(key: &ListKey, found: &Value) -> bool {
    match (key, found) {
        (ListKey::Text(text), Value::String(found)) => text == found,
        _ => false,
    }
}

impl Mutator {
    /// Reads an `Assign`, `AssignMetadata` or `ModifySet` (`mutations.gatekeeper.sh` `v1`,
    /// `v1beta1` or `v1alpha1`), with the checks Gatekeeper makes before it uses one. The error
    /// names the mutator (`Assign "name"`) and what is wrong.
    pub fn from_value(value: &Value) -> Result<Mutator, ParseError> {
        let kind_text = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let what = if kind_text.is_empty() {
            format!("mutator {name:?}")
        } else {
            format!("{kind_text} {name:?}")
        };
        Self::read(kind_text, name, value).map_err(|problem| ParseError { what, problem })
    }

    fn read(kind_text: &str, name: String, value: &Value) -> Result<Mutator, String> {
        let kind = match kind_text {
            "Assign" => MutatorKind::Assign,
            "AssignMetadata" => MutatorKind::AssignMetadata,
            "ModifySet" => MutatorKind::ModifySet,
            "AssignImage" => {
                return Err(
                    "AssignImage is not supported here: its image rewriting is not \
                            checked by the portal"
                        .into(),
                );
            }
            "" => return Err("kind is missing".into()),
            other => {
                return Err(format!(
                    "kind {other:?} is not a Gatekeeper mutator (Assign, AssignMetadata or \
                     ModifySet)"
                ));
            }
        };
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !matches!(
            api_version,
            "mutations.gatekeeper.sh/v1"
                | "mutations.gatekeeper.sh/v1beta1"
                | "mutations.gatekeeper.sh/v1alpha1"
        ) {
            return Err(format!(
                "apiVersion {api_version:?} is not mutations.gatekeeper.sh/v1, v1beta1 or \
                 v1alpha1"
            ));
        }
        if name.is_empty() {
            return Err("metadata.name is missing".into());
        }
        if name.len() > MAX_NAME_LENGTH {
            return Err(format!(
                "metadata.name: maximum name length is {MAX_NAME_LENGTH} characters"
            ));
        }
        let empty = Value::Object(Map::new());
        let spec = match field(value, "spec") {
            None => &empty,
            Some(spec) if spec.is_object() => spec,
            Some(other) => return Err(format!("spec is not an object: {other}")),
        };
        let parameters = object_field(spec, "parameters", "spec.parameters")?;
        let location = string_field(spec, "location", "spec.location")?.unwrap_or_default();
        let matches = match field(spec, "match") {
            None => Match::default(),
            Some(matching) => Match::from_value(matching)?,
        };
        let source = read_source(spec)?;
        let apply_to = read_apply_to(spec)?;
        if kind == MutatorKind::AssignMetadata {
            if field(spec, "applyTo").is_some() {
                return Err(
                    "spec.applyTo is not a field of AssignMetadata (it applies to every \
                            kind its match selects)"
                        .into(),
                );
            }
            if parameters.is_some_and(|parameters| field(parameters, "pathTests").is_some()) {
                return Err(
                    "spec.parameters.pathTests is not a field of AssignMetadata (it only \
                            ever adds a label or annotation that is absent)"
                        .into(),
                );
            }
        }
        let path = Path::parse(&location)
            .map_err(|error| format!("spec.location {location:?} is invalid: {error}"))?;
        let base = Mutator {
            kind,
            name,
            location,
            path,
            tester: Tester::default(),
            apply_to,
            bindings: Vec::new(),
            matches,
            source,
            operation: Operation::Assign(AssignField::ExternalData),
            not_applied_here: None,
        };
        match kind {
            MutatorKind::Assign => base.check_assign(parameters),
            MutatorKind::AssignMetadata => base.check_assign_metadata(parameters),
            MutatorKind::ModifySet => base.check_modify_set(parameters),
        }
    }

    fn has_metadata_root(&self) -> bool {
        matches!(self.path.nodes.first(), Some(Node::Object(root)) if root == "metadata")
    }

    /// Gatekeeper's `MutatorForAssign`, check by check in its order.
    fn check_assign(mut self, parameters: Option<&Value>) -> Result<Mutator, String> {
        let name = self.name.clone();
        if self.has_metadata_root() {
            return Err(format!(
                "spec.location {:?}: assign {name} can't change metadata (AssignMetadata adds \
                 labels and annotations)",
                self.location
            ));
        }
        // Gatekeeper's `CheckKeyNotChanged`.
        let nodes = &self.path.nodes;
        let Some(last) = nodes.last() else {
            return Err("spec.location: empty path".into());
        };
        if let (Some(Node::List(list)), Node::Object(reference)) =
            (nodes.len().checked_sub(2).map(|index| &nodes[index]), last)
            && *reference == list.key_field
        {
            return Err(format!(
                "spec.location {:?}: invalid path format: changing the item key is not allowed",
                self.location
            ));
        }
        let (assign, data_source) = read_assign_field(parameters)?;
        if let AssignField::Value(value) = &assign {
            check_value_for_list(&self.path, value)
                .map_err(|error| format!("spec.parameters.assign.value: {error}"))?;
        }
        if last.is_list() {
            match assign {
                AssignField::FromMetadata(_) => {
                    return Err("cannot assign a metadata field to a list".into());
                }
                AssignField::ExternalData => {
                    return Err("cannot assign external data response to a list".into());
                }
                AssignField::Value(_) => {}
            }
        }
        self.tester = read_tester(self.kind, &name, parameters, &self.path)?;
        self.bindings = bindings(self.kind, &name, &self.apply_to)?;
        if data_source.is_some() {
            self.not_applied_here = Some(EXTERNAL_DATA.into());
        } else if parameters.is_some_and(|parameters| field(parameters, "assignIf").is_some()) {
            self.not_applied_here = Some(
                "spec.parameters.assignIf is not a field of Gatekeeper v3.21.1 (it was removed \
                 in 2021, and the v3.21.1 CRD drops it), so whether this mutator applies to the \
                 current value is not decided here"
                    .into(),
            );
        }
        self.operation = Operation::Assign(assign);
        Ok(self)
    }

    /// Gatekeeper's `MutatorForAssignMetadata`.
    fn check_assign_metadata(mut self, parameters: Option<&Value>) -> Result<Mutator, String> {
        let nodes = &self.path.nodes;
        let valid = match nodes.as_slice() {
            [Node::Object(root), Node::Object(map), Node::Object(_)] => {
                root == "metadata" && (map == "labels" || map == "annotations")
            }
            _ => false,
        };
        if !valid {
            return Err(format!(
                "invalid location for assignmetadata {}: {:?} (it must be \
                 metadata.labels.<key> or metadata.annotations.<key>)",
                self.name, self.location
            ));
        }
        let (assign, data_source) = read_assign_field(parameters)?;
        if data_source
            .as_deref()
            .is_some_and(|source| source != "Username")
        {
            return Err(format!(
                "only username data source is supported for assignmetadata {}",
                self.name
            ));
        }
        if let AssignField::Value(value) = &assign
            && !value.is_string()
        {
            return Err(format!(
                "spec.parameters.assign.value field must be a string for AssignMetadata {:?}",
                self.name
            ));
        }
        if data_source.is_some() {
            self.not_applied_here = Some(EXTERNAL_DATA.into());
        }
        self.tester = Tester::must_not_exist(&self.path);
        self.operation = Operation::Assign(assign);
        Ok(self)
    }

    /// Gatekeeper's `MutatorForModifySet`.
    fn check_modify_set(mut self, parameters: Option<&Value>) -> Result<Mutator, String> {
        let name = self.name.clone();
        if self.has_metadata_root() {
            return Err(format!(
                "spec.location {:?}: modifyset {name} can't change metadata",
                self.location
            ));
        }
        if self.path.nodes.last().is_some_and(Node::is_list) {
            return Err(format!(
                "spec.location {:?}: final node in a modifyset location cannot be a keyed list",
                self.location
            ));
        }
        let empty = Value::Object(Map::new());
        let parameters_or_empty = parameters.unwrap_or(&empty);
        // The CRD's default and enumeration.
        let prune = match string_field(
            parameters_or_empty,
            "operation",
            "spec.parameters.operation",
        )?
        .as_deref()
        {
            None | Some("merge") => false,
            Some("prune") => true,
            Some(other) => {
                return Err(format!(
                    "spec.parameters.operation {other:?} is not merge or prune"
                ));
            }
        };
        let values = match object_field(parameters_or_empty, "values", "spec.parameters.values")? {
            None => None,
            Some(values) => match field(values, "fromList") {
                None => None,
                Some(Value::Array(items)) => Some(items.clone()),
                Some(other) => {
                    return Err(format!(
                        "spec.parameters.values.fromList is not a list: {other}"
                    ));
                }
            },
        };
        self.tester = read_tester(self.kind, &name, parameters, &self.path)?;
        self.bindings = bindings(self.kind, &name, &self.apply_to)?;
        self.operation = Operation::ModifySet { prune, values };
        Ok(self)
    }

    /// `Kind/name`, such as `Assign/run-as-non-root`: unique among mutators, and in
    /// Gatekeeper's order when sorted by kind then name.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind.as_str(), self.name)
    }

    /// Which kind of mutator this is.
    pub fn kind(&self) -> MutatorKind {
        self.kind
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `spec.location`, as written.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Whether `applyTo` names the object's group, version and kind (always true for
    /// AssignMetadata, which has no `applyTo`).
    fn applies_to_kind(&self, review: &Review) -> bool {
        self.kind == MutatorKind::AssignMetadata
            || self
                .apply_to
                .iter()
                .any(|entry| entry.covers(&review.group, &review.version, &review.kind))
    }

    /// Whether the mutator applies to the object: `applyTo`, then `spec.match`; an error when
    /// the match depends on something not given (a namespace's labels).
    fn applies(&self, review: &Review) -> Result<bool, String> {
        // A create is an original resource, never a generated one.
        if self.source == Source::Generated || !self.applies_to_kind(review) {
            return Ok(false);
        }
        self.matches.applies_to(review)
    }

    /// The schema this mutator implies, for conflicts (AssignMetadata has none).
    fn schema_entry(&self) -> Option<schema::Entry<'_>> {
        let terminal = match (&self.operation, self.kind) {
            (_, MutatorKind::AssignMetadata) => return None,
            (Operation::ModifySet { .. }, _) => schema::SchemaType::Set,
            (Operation::Assign(_), _) => schema::SchemaType::Unknown,
        };
        Some(schema::Entry {
            path: &self.path.nodes,
            terminal,
            must_terminate: self.operation == Operation::Assign(AssignField::ExternalData),
            bindings: &self.bindings,
        })
    }

    /// Applies the mutator to `object` (Gatekeeper's `core.Mutate`). True when it set a value,
    /// even one equal to what was there, as Gatekeeper counts it.
    fn apply(&self, object: &mut Value, namespace: &str) -> Result<bool, String> {
        if self.path.nodes.is_empty() {
            return Err("attempting to mutate an empty target location".into());
        }
        let from_metadata;
        let setter = match &self.operation {
            Operation::Assign(AssignField::Value(value)) => Setter::Assign(value),
            Operation::Assign(AssignField::FromMetadata(field)) => {
                from_metadata = Value::String(match field {
                    MetadataField::Namespace => namespace.to_owned(),
                    MetadataField::Name => object
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                });
                Setter::Assign(&from_metadata)
            }
            Operation::Assign(AssignField::ExternalData) => return Err(EXTERNAL_DATA.into()),
            Operation::ModifySet { prune, values } => Setter::ModifySet {
                prune: *prune,
                values: values.as_deref(),
            },
        };
        Walker {
            path: &self.path,
            tester: &self.tester,
            setter,
        }
        .walk(object, 0)
    }
}

const EXTERNAL_DATA: &str = "spec.parameters.assign.externalData: the value comes from an \
                             external data provider, which is not called from here";

/// What is written at the end of the location.
#[derive(Debug, Clone, Copy)]
enum Setter<'a> {
    /// Assign and AssignMetadata: this value replaces whatever is there.
    Assign(&'a Value),
    /// ModifySet.
    ModifySet {
        prune: bool,
        values: Option<&'a [Value]>,
    },
}

impl Setter<'_> {
    fn set(&self, object: &mut Map<String, Value>, key: &str) -> Result<(), String> {
        let (prune, values) = match *self {
            Setter::Assign(value) => {
                object.insert(key.to_owned(), value.clone());
                return Ok(());
            }
            Setter::ModifySet { prune, values } => (prune, values),
        };
        let Some(current) = object.get_mut(key) else {
            if !prune {
                // Gatekeeper writes its list of values as it is: `null` when there was none.
                let values = values.map_or(Value::Null, |values| Value::Array(values.to_vec()));
                object.insert(key.to_owned(), values);
            }
            return Ok(());
        };
        let Value::Array(list) = current else {
            return Err(format!(
                "{current} is not a list of values, cannot treat it as a set"
            ));
        };
        let values = values.unwrap_or_default();
        if prune {
            list.retain(|existing| !values.contains(existing));
        } else {
            for value in values {
                if !list.contains(value) {
                    list.push(value.clone());
                }
            }
        }
        Ok(())
    }
}

/// JSON type names for errors.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Walks a location through an object, as Gatekeeper's `mutatorState.mutateInternal`. The
/// object is only changed where the mutation happens: what is created on the way is kept only
/// when a value is set below it.
struct Walker<'a> {
    path: &'a Path,
    tester: &'a Tester,
    setter: Setter<'a>,
}

impl Walker<'_> {
    fn is_last(&self, depth: usize) -> bool {
        depth + 1 == self.path.nodes.len()
    }

    fn walk(&self, current: &mut Value, depth: usize) -> Result<bool, String> {
        match &self.path.nodes[depth] {
            Node::Object(reference) => {
                let Value::Object(object) = current else {
                    return Err(format!(
                        "mismatch between path entry {reference:?} (an object field) and the \
                         object's {} at it. Path: {}",
                        type_name(current),
                        self.path
                    ));
                };
                let exists = object.contains_key(reference);
                let okay = if exists {
                    self.tester.exists_okay(depth)
                } else {
                    self.tester.missing_okay(depth)
                };
                if !okay {
                    return Ok(false);
                }
                if self.is_last(depth) {
                    self.setter.set(object, reference)?;
                    return Ok(true);
                }
                if let Some(next) = object.get_mut(reference) {
                    return self.walk(next, depth + 1);
                }
                let mut next = self.missing_element(depth)?;
                let mutated = self.walk(&mut next, depth + 1)?;
                if mutated {
                    object.insert(reference.clone(), next);
                }
                Ok(mutated)
            }
            Node::List(list) => {
                let Value::Array(elements) = current else {
                    return Err(format!(
                        "mismatch between path entry {} (a list) and the object's {} at it. \
                         Path: {}",
                        Node::List(list.clone()),
                        type_name(current),
                        self.path
                    ));
                };
                if self.is_last(depth) {
                    return self.set_element(elements, list, depth);
                }
                let glob = list.key == ListKey::Glob;
                if glob && !self.tester.exists_okay(depth) {
                    return Ok(false);
                }
                let mut mutated = false;
                let mut found = false;
                for element in elements.iter_mut() {
                    if !glob {
                        let has_key = element
                            .get(&list.key_field)
                            .is_some_and(|value| list.key.matches(value));
                        if !has_key {
                            continue;
                        }
                        if !self.tester.exists_okay(depth) {
                            return Ok(false);
                        }
                    }
                    mutated |= self.walk(element, depth + 1)?;
                    found = true;
                }
                if glob || found {
                    return Ok(mutated);
                }
                if !self.tester.missing_okay(depth) {
                    return Ok(false);
                }
                let next = self.missing_element(depth)?;
                elements.push(next);
                let last = elements.len() - 1;
                let mutated = self.walk(&mut elements[last], depth + 1)?;
                if !mutated {
                    elements.pop();
                }
                Ok(mutated)
            }
        }
    }

    /// What a missing step becomes (Gatekeeper's `createMissingElement`): an empty object or
    /// list, as the next step needs; a new list element gets the step's key.
    fn missing_element(&self, depth: usize) -> Result<Value, String> {
        let mut next = match self.path.nodes.get(depth + 1) {
            Some(Node::List(_)) => Value::Array(Vec::new()),
            _ => Value::Object(Map::new()),
        };
        if let Node::List(list) = &self.path.nodes[depth] {
            let Value::Object(object) = &mut next else {
                return Err(format!(
                    "two consecutive list path entries not allowed. Path: {}",
                    self.path
                ));
            };
            let key = list
                .key
                .to_value()
                .ok_or_else(|| "list entry has no key value".to_owned())?;
            object.insert(list.key_field.clone(), key);
        }
        Ok(next)
    }

    /// A keyed list step at the end of the location (Gatekeeper's `setListElementToValue`):
    /// the value replaces the element with that key, or is appended when none has it.
    fn set_element(
        &self,
        elements: &mut Vec<Value>,
        list: &ListNode,
        depth: usize,
    ) -> Result<bool, String> {
        let Setter::Assign(value) = self.setter else {
            return Err("mutator does not understand keyed lists".into());
        };
        if list.key == ListKey::Glob {
            return Err("last path entry can not be globbed".into());
        }
        let Value::Object(new_element) = value else {
            return Err(format!(
                "assign.value for keyed list is not an object: {value}"
            ));
        };
        for (index, element) in elements.iter().enumerate() {
            let Value::Object(element) = element else {
                return Err(format!(
                    "element {index} of the list at {} is not an object but a {}",
                    self.path,
                    type_name(element)
                ));
            };
            if !element
                .get(&list.key_field)
                .is_some_and(|found| list.key.matches(found))
            {
                continue;
            }
            let new_key = new_element.get(&list.key_field).unwrap_or(&Value::Null);
            if !assigned_key_equals(&list.key, new_key) {
                return Err("key value of replaced object must not change".into());
            }
            if !self.tester.exists_okay(depth) {
                return Ok(false);
            }
            elements[index] = value.clone();
            return Ok(true);
        }
        if !self.tester.missing_okay(depth) {
            return Ok(false);
        }
        elements.push(value.clone());
        Ok(true)
    }
}

/// What Gatekeeper's mutating webhook makes of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    /// The object after every mutator that applies (the review's object when none changed it).
    pub object: Value,
    /// The ids of the mutators that changed the object, in the order they first did (a later
    /// mutator may have undone a change; [`Mutation::object`] is what counts). Empty when the
    /// object ends as it was: Gatekeeper then answers that it was not mutated.
    pub applied: Vec<String>,
    /// Mutators that may apply but were not run here, with why: their match needs a namespace's
    /// labels that were not given, or they use external data or `assignIf`. The object is
    /// what the other mutators make of it.
    pub not_checked: Vec<(String, String)>,
    /// Mutators whose `applyTo` names the object's kind but that Gatekeeper does not run,
    /// because their location conflicts with another mutator's schema.
    pub conflicting: Vec<String>,
}

/// Why Gatekeeper's webhook fails on the object (the API server then admits it unmutated or
/// refuses it, as the webhook's `failurePolicy` says).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MutationError {
    /// The mutators kept changing the object for one round more than there are mutators.
    #[error(
        "mutation not converging for {object}: the mutators still changed it after {rounds} \
         rounds (in the last: {})",
        last_round.join(", ")
    )]
    NotConverging {
        /// Such as `Pod "web-1" in namespace "shop"`.
        object: String,
        /// How many rounds ran.
        rounds: usize,
        /// The ids of the mutators that changed the object in the last round.
        last_round: Vec<String>,
    },
    /// A mutator could not be applied: the object's shape does not fit its location, or the
    /// value there is not a list for a ModifySet.
    #[error("mutator {id} failed for {object}: {message}")]
    Failed {
        /// The mutator's id.
        id: String,
        /// Such as `Pod "web-1" in namespace "shop"`.
        object: String,
        /// What went wrong.
        message: String,
    },
}

fn describe(review: &Review) -> String {
    let kind = if review.group.is_empty() {
        review.kind.clone()
    } else {
        format!("{}.{}", review.kind, review.group)
    };
    match &review.namespace {
        Some(namespace) => format!("{kind} {:?} in namespace {namespace:?}", review.name),
        None => format!("{kind} {:?}", review.name),
    }
}

/// `metadata.labels` with string values, as [`Review::create`] reads them.
fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Applies every mutator that matches `review` as Gatekeeper's webhook does on a create, and
/// says which changed the object and which could not be decided here. Of several mutators with
/// the same id, the last one given counts, as when Gatekeeper replaces a mutator.
pub fn mutate(mutators: &[Mutator], review: &Review) -> Result<Mutation, MutationError> {
    mutate_within(mutators, review, None)
}

/// [`mutate`] with at most `rounds` rounds instead of Gatekeeper's one more than there are
/// mutators (for tests: real mutators hardly ever need that many).
fn mutate_within(
    mutators: &[Mutator],
    review: &Review,
    rounds: Option<usize>,
) -> Result<Mutation, MutationError> {
    let mut mutation = Mutation {
        object: review.object.clone(),
        applied: Vec::new(),
        not_checked: Vec::new(),
        conflicting: Vec::new(),
    };
    if GATEKEEPER_GROUPS.contains(&review.group.as_str()) {
        return Ok(mutation);
    }
    // Gatekeeper's order (`ordered_ids.go`): by group (all the same), kind, then name; a
    // mutator replaces an earlier one with its id.
    let mut by_id = BTreeMap::new();
    for mutator in mutators {
        by_id.insert((mutator.kind.as_str(), mutator.name.as_str()), mutator);
    }
    let ordered: Vec<&Mutator> = by_id.into_values().collect();
    let entries: Vec<_> = ordered
        .iter()
        .map(|mutator| mutator.schema_entry())
        .collect();
    let conflicts = schema::conflicting(&entries);
    mutation.conflicting = conflicts
        .iter()
        .map(|index| ordered[*index])
        .filter(|mutator| mutator.applies_to_kind(review))
        .map(Mutator::id)
        .collect();
    // The webhook gives a Namespace no namespace, and any other object the request's.
    let namespace = if review.group.is_empty() && review.kind == "Namespace" {
        String::new()
    } else {
        review.namespace.clone().unwrap_or_default()
    };
    let mut current = review.clone();
    let rounds = rounds.unwrap_or(ordered.len() + 1);
    let mut last_round = Vec::new();
    for _ in 0..rounds {
        let before_round = current.object.clone();
        let mut set_any = false;
        last_round.clear();
        for (index, mutator) in ordered.iter().enumerate() {
            if conflicts.contains(&index) {
                continue;
            }
            let id = mutator.id();
            let reason = match mutator.applies(&current) {
                Ok(false) => continue,
                Ok(true) => mutator.not_applied_here.clone(),
                Err(reason) => Some(reason),
            };
            if let Some(reason) = reason {
                if !mutation.not_checked.iter().any(|(known, _)| *known == id) {
                    mutation.not_checked.push((id, reason));
                }
                continue;
            }
            let before = current.object.clone();
            set_any |= mutator
                .apply(&mut current.object, &namespace)
                .map_err(|message| MutationError::Failed {
                    id: id.clone(),
                    object: describe(review),
                    message,
                })?;
            if current.object != before {
                current.labels = labels_of(&current.object);
                if !mutation.applied.contains(&id) {
                    mutation.applied.push(id.clone());
                }
                last_round.push(id);
            }
        }
        if !set_any || current.object == before_round {
            if current.object == review.object {
                mutation.applied.clear();
            }
            mutation.object = current.object;
            return Ok(mutation);
        }
    }
    Err(MutationError::NotConverging {
        object: describe(review),
        rounds,
        last_round,
    })
}
