//! The JSON a request body must be, checked before serde reads it, so that a body with several
//! problems gets every one of them at once, each with its field path and the rule in words.
//!
//! serde stops at the first problem, and its messages name Rust types ("expected u16", "data
//! did not match any variant of untagged enum Port"). A [`Shape`] says what a type's serde
//! attributes say (field names, which fields are required, whether unknown fields are refused,
//! the `kind` tag of an enum, the range of a number) and checks a whole [`Value`] against it. The
//! JSON API checks the shape first and decodes with serde only when the shape has no problems;
//! tests keep the two in agreement on every body they know.
//!
//! Where serde is more lenient than the documented JSON, the shape refuses: serde also reads a
//! struct written as a positional list (`"policyTypes": [true, false]`), and inside a tagged
//! enum a variant given by its index (`"kind": 0`). Neither spelling is documented anywhere,
//! and both only hide mistakes. The other way round never happens: a body whose shape is right
//! is one serde reads (the API still decodes with serde, and says so if it ever disagreed).

use serde_json::Value;

use super::networkpolicy::FieldError;

/// Most problems reported; one more entry says how many were left out.
pub const MAX_REPORTED_PROBLEMS: usize = 100;

/// Longest field name or map key quoted in a path or a message; longer ones are cut. Keys come
/// from the body and may be huge.
const MAX_QUOTED_KEY: usize = 64;

/// A type whose JSON has a [`Shape`].
pub trait JsonShape {
    /// The shape of this type's JSON, as its serde attributes define it.
    fn json_shape() -> Shape;
}

/// What one JSON value must be.
#[derive(Debug, Clone)]
pub enum Shape {
    /// Anything at all.
    Any,
    /// `true` or `false`.
    Bool,
    /// Any string.
    String,
    /// A whole number in `min..=max` (not `8080.0`: serde refuses a fraction for an integer).
    Integer {
        /// Smallest allowed.
        min: i128,
        /// Largest allowed.
        max: i128,
    },
    /// One of these strings exactly.
    OneOf(&'static [&'static str]),
    /// A string that `accepts` takes; `rule` says which, in words.
    Text {
        /// The rule in words, e.g. "must be an IP address such as 203.0.113.9".
        rule: &'static str,
        /// Whether a string keeps the rule.
        accepts: fn(&str) -> bool,
    },
    /// Any value that `accepts` takes; for parts whose decoder is someone else's (Kubernetes'
    /// timestamps), where `accepts` runs that very decoder.
    Decodes {
        /// The rule in words.
        rule: &'static str,
        /// Whether a value keeps the rule.
        accepts: fn(&Value) -> bool,
    },
    /// A list whose every item has this shape.
    List(Box<Shape>),
    /// An object of any keys whose every value has this shape (a map such as `labels`).
    Map(Box<Shape>),
    /// An object with named fields.
    Object(Object),
    /// An object whose `tag` field names its variant (serde's `#[serde(tag = "kind")]`).
    Tagged(Tagged),
    /// The first of `options` that fits (serde's `#[serde(untagged)]`); `rule` says what
    /// fits when none does.
    Either {
        /// The rule in words.
        rule: &'static str,
        /// The alternatives, tried in order.
        options: Vec<Shape>,
    },
    /// `null` or the inner shape (an `Option` field).
    Nullable(Box<Shape>),
}

impl Shape {
    /// A whole number that fits in `u16`: 0 to 65535.
    pub const U16: Shape = Shape::Integer {
        min: 0,
        max: u16::MAX as i128,
    };
    /// A whole number that fits in `u32`.
    pub const U32: Shape = Shape::Integer {
        min: 0,
        max: u32::MAX as i128,
    };
    /// A whole number that fits in `i32`.
    pub const I32: Shape = Shape::Integer {
        min: i32::MIN as i128,
        max: i32::MAX as i128,
    };
    /// A whole number that fits in `i64`.
    pub const I64: Shape = Shape::Integer {
        min: i64::MIN as i128,
        max: i64::MAX as i128,
    };

    /// A list of `item`.
    pub fn list(item: Shape) -> Self {
        Self::List(Box::new(item))
    }

    /// A map of string keys to `value`.
    pub fn map(value: Shape) -> Self {
        Self::Map(Box::new(value))
    }

    /// `null` or `self`.
    pub fn nullable(self) -> Self {
        Self::Nullable(Box::new(self))
    }

    /// Every problem of `value` against this shape, with paths in the JSON's field names
    /// (`ingress[0].ports[1].port`, `labels["app"]`; empty for the body itself). At most
    /// [`MAX_REPORTED_PROBLEMS`], plus one saying how many more there were.
    pub fn problems(&self, value: &Value) -> Vec<FieldError> {
        let mut problems = Problems::default();
        let mut path = String::new();
        check(self, value, &mut path, &mut problems);
        problems.finish()
    }
}

/// Whether a field the body leaves out is a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The body must have it.
    Required,
    /// serde fills in a default (or `None`) when it is missing.
    Optional,
}

/// What happens to fields the shape does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// Each is a problem (`#[serde(deny_unknown_fields)]`).
    Refused,
    /// They are skipped (serde's default).
    Ignored,
}

/// One named field of an [`Object`].
#[derive(Debug, Clone)]
pub struct Field {
    /// Its name in the JSON.
    pub name: &'static str,
    /// Whether it may be left out.
    pub presence: Presence,
    /// Its value's shape.
    pub shape: Shape,
}

impl Field {
    /// A field the body must have.
    pub fn required(name: &'static str, shape: Shape) -> Self {
        Self {
            name,
            presence: Presence::Required,
            shape,
        }
    }

    /// A field the body may leave out.
    pub fn optional(name: &'static str, shape: Shape) -> Self {
        Self {
            name,
            presence: Presence::Optional,
            shape,
        }
    }
}

/// An object's fields.
#[derive(Debug, Clone)]
pub struct Object {
    /// The fields, in the order their problems are reported.
    pub fields: Vec<Field>,
    /// What happens to other fields.
    pub unknown: Unknown,
}

impl Object {
    /// An object that refuses fields it does not name.
    pub fn strict(fields: impl IntoIterator<Item = Field>) -> Self {
        Self {
            fields: fields.into_iter().collect(),
            unknown: Unknown::Refused,
        }
    }

    /// An object that skips fields it does not name.
    pub fn lenient(fields: impl IntoIterator<Item = Field>) -> Self {
        Self {
            fields: fields.into_iter().collect(),
            unknown: Unknown::Ignored,
        }
    }
}

impl From<Object> for Shape {
    fn from(object: Object) -> Self {
        Shape::Object(object)
    }
}

/// An internally tagged enum: the `tag` field names the variant, and the variant's fields sit
/// beside it.
#[derive(Debug, Clone)]
pub struct Tagged {
    /// The tag's field name, `kind` throughout the portal.
    pub tag: &'static str,
    /// Each variant's tag value and the fields beside it.
    pub variants: Vec<(&'static str, Object)>,
}

impl From<Tagged> for Shape {
    fn from(tagged: Tagged) -> Self {
        Shape::Tagged(tagged)
    }
}

#[derive(Default)]
struct Problems {
    list: Vec<FieldError>,
    left_out: usize,
}

impl Problems {
    fn push(&mut self, path: &str, message: String) {
        if self.list.len() < MAX_REPORTED_PROBLEMS {
            self.list.push(FieldError::new(path, message));
        } else {
            self.left_out += 1;
        }
    }

    fn finish(mut self) -> Vec<FieldError> {
        if self.left_out > 0 {
            self.list.push(FieldError::new(
                "",
                format!(
                    "{} more problems were found but are not shown; fix the ones above first",
                    self.left_out
                ),
            ));
        }
        self.list
    }
}

/// What a value is, in words, for "(found …)".
fn found(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "true or false".to_owned(),
        Value::Number(number) => number.to_string(),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// `a, b or c`.
fn either_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// A key from the body, cut to [`MAX_QUOTED_KEY`] characters.
fn quoted(key: &str) -> String {
    if key.chars().count() > MAX_QUOTED_KEY {
        let cut: String = key.chars().take(MAX_QUOTED_KEY).collect();
        format!("{cut}…")
    } else {
        key.to_owned()
    }
}

/// Appends `.name` (or `name` at the top) to `path`; returns the length to truncate back to.
fn push_field(path: &mut String, name: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(&quoted(name));
    len
}

fn push_index(path: &mut String, index: usize) -> usize {
    let len = path.len();
    path.push_str(&format!("[{index}]"));
    len
}

fn push_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    // A JSON string always serializes.
    let key = serde_json::to_string(&quoted(key)).unwrap_or_default();
    path.push_str(&format!("[{key}]"));
    len
}

fn check(shape: &Shape, value: &Value, path: &mut String, problems: &mut Problems) {
    match shape {
        Shape::Any => {}
        Shape::Bool => {
            if !value.is_boolean() {
                problems.push(
                    path,
                    format!("must be true or false (found {})", found(value)),
                );
            }
        }
        Shape::String => {
            if !value.is_string() {
                problems.push(path, format!("must be a string (found {})", found(value)));
            }
        }
        Shape::Integer { min, max } => {
            let whole = value
                .as_i64()
                .map(i128::from)
                .or_else(|| value.as_u64().map(i128::from));
            if !whole.is_some_and(|n| (*min..=*max).contains(&n)) {
                problems.push(
                    path,
                    format!(
                        "must be a whole number from {min} to {max} (found {})",
                        found(value)
                    ),
                );
            }
        }
        Shape::OneOf(names) => {
            if !value.as_str().is_some_and(|s| names.contains(&s)) {
                let what = if value.is_string() {
                    "another string".to_owned()
                } else {
                    found(value)
                };
                problems.push(
                    path,
                    format!("must be one of {} (found {what})", either_of(names)),
                );
            }
        }
        Shape::Text { rule, accepts } => match value.as_str() {
            Some(text) if accepts(text) => {}
            Some(_) => problems.push(path, (*rule).to_owned()),
            None => problems.push(path, format!("{rule} (found {})", found(value))),
        },
        Shape::Decodes { rule, accepts } => {
            if !accepts(value) {
                problems.push(path, (*rule).to_owned());
            }
        }
        Shape::List(item) => match value.as_array() {
            Some(items) => {
                for (index, element) in items.iter().enumerate() {
                    let len = push_index(path, index);
                    check(item, element, path, problems);
                    path.truncate(len);
                }
            }
            None => problems.push(path, format!("must be a list (found {})", found(value))),
        },
        Shape::Map(item) => match value.as_object() {
            Some(entries) => {
                for (key, element) in entries {
                    let len = push_key(path, key);
                    check(item, element, path, problems);
                    path.truncate(len);
                }
            }
            None => problems.push(
                path,
                format!(
                    "must be an object of names and their values (found {})",
                    found(value)
                ),
            ),
        },
        Shape::Object(object) => match value.as_object() {
            Some(entries) => check_fields(object, entries, None, path, problems),
            None => problems.push(path, format!("must be an object (found {})", found(value))),
        },
        Shape::Tagged(tagged) => check_tagged(tagged, value, path, problems),
        Shape::Either { rule, options } => {
            if !options
                .iter()
                .any(|option| option.problems(value).is_empty())
            {
                problems.push(path, format!("{rule} (found {})", found(value)));
            }
        }
        Shape::Nullable(inner) => {
            if !value.is_null() {
                check(inner, value, path, problems);
            }
        }
    }
}

fn check_fields(
    object: &Object,
    entries: &serde_json::Map<String, Value>,
    tag: Option<&str>,
    path: &mut String,
    problems: &mut Problems,
) {
    for field in &object.fields {
        let len = push_field(path, field.name);
        match entries.get(field.name) {
            Some(value) => check(&field.shape, value, path, problems),
            None if field.presence == Presence::Required => {
                problems.push(path, "is required".to_owned());
            }
            None => {}
        }
        path.truncate(len);
    }
    if object.unknown == Unknown::Refused {
        let known: Vec<&str> = object.fields.iter().map(|field| field.name).collect();
        for key in entries.keys() {
            if known.contains(&key.as_str()) || Some(key.as_str()) == tag {
                continue;
            }
            let len = push_field(path, key);
            let expected = match (known.as_slice(), tag) {
                ([], Some(tag)) => format!("only `{tag}` belongs here"),
                ([], None) => "this object takes no fields".to_owned(),
                (known, _) => format!("the fields here are {}", either_of(known)),
            };
            problems.push(path, format!("unknown field `{}`; {expected}", quoted(key)));
            path.truncate(len);
        }
    }
}

fn check_tagged(tagged: &Tagged, value: &Value, path: &mut String, problems: &mut Problems) {
    let names: Vec<&str> = tagged.variants.iter().map(|(name, _)| *name).collect();
    let Some(entries) = value.as_object() else {
        problems.push(
            path,
            format!(
                "must be an object with a `{}` field, one of {} (found {})",
                tagged.tag,
                either_of(&names),
                found(value)
            ),
        );
        return;
    };
    let len = push_field(path, tagged.tag);
    let variant = match entries.get(tagged.tag) {
        None => {
            problems.push(path, format!("is required: one of {}", either_of(&names)));
            None
        }
        Some(kind) => {
            let variant = tagged
                .variants
                .iter()
                .find(|(name, _)| kind.as_str() == Some(*name));
            if variant.is_none() {
                let what = if kind.is_string() {
                    "another string".to_owned()
                } else {
                    found(kind)
                };
                problems.push(
                    path,
                    format!("must be one of {} (found {what})", either_of(&names)),
                );
            }
            variant
        }
    };
    path.truncate(len);
    if let Some((_, object)) = variant {
        check_fields(object, entries, Some(tagged.tag), path, problems);
    }
}

/// Whether the shape and serde disagree about `value`, in words; `None` when they agree. For
/// the agreement tests of every shape.
///
/// serde's undocumented leniencies (a struct or a tagged enum written as a list, a nested
/// variant given by its number) count as agreement when every problem the shape found is one
/// of them: the shape refuses those on purpose.
pub fn disagreement<T: serde::de::DeserializeOwned>(
    shape: &Shape,
    value: &Value,
) -> Option<String> {
    let problems = shape.problems(value);
    match (
        problems.is_empty(),
        serde_json::from_value::<T>(value.clone()),
    ) {
        (true, Ok(_)) | (false, Err(_)) => None,
        (true, Err(error)) => Some(format!("the shape accepts {value}, serde refuses: {error}")),
        (false, Ok(_)) if problems.iter().all(is_lenient_corner) => None,
        (false, Ok(_)) => Some(format!(
            "serde accepts {value}, the shape refuses: {problems:?}"
        )),
    }
}

/// A problem that serde, more lenient than the documented JSON, would not have had.
fn is_lenient_corner(problem: &FieldError) -> bool {
    let list_for_object = problem.message.starts_with("must be an object")
        && problem.message.ends_with("(found a list)");
    let number_for_kind = (problem.path == "kind" || problem.path.ends_with(".kind"))
        && problem.message.starts_with("must be one of")
        && problem
            .message
            .rsplit_once("(found ")
            .is_some_and(|(_, found)| found.starts_with(|c: char| c.is_ascii_digit()));
    list_for_object || number_for_kind
}

#[cfg(test)]
mod tests;
