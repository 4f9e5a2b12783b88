//! A small YAML emitter for `serde_json::Value`, safe for Kubernetes' YAML 1.1 reader.
//!
//! kubectl and the API server read YAML with `sigs.k8s.io/yaml` (go-yaml v2 rules, YAML 1.1):
//! a plain `yes`, `on`, `y`, `off`, `~`, `08`, `0x1F`, `1e3` or `12:30` is not a string there.
//! The serde YAML crates (serde_yaml 0.9, serde_norway, serde_yml) emit YAML 1.2 and leave
//! `yes`, `on`, `y` and `n` unquoted, so a label value `on` would turn into the boolean `true` on
//! its way into the cluster — or, as a map key, into the key `"true"`.
//!
//! So this emitter quotes every string, key or value, unless it is plainly safe: it starts with an
//! ASCII letter, contains only `[A-Za-z0-9_./-]`, and is not one of YAML 1.1's special words.
//! Quoted strings use double quotes with JSON-style escapes, which YAML 1.1 reads back exactly.
//! Numbers, booleans and null stay plain.
//!
//! The layout is kubectl's: two-space indents, sequences under a key not indented further.
//! Keys are ordered for reading (`apiVersion`, `kind`, `metadata`, `spec`, then the usual
//! NetworkPolicy order), not in map order, so the output does not depend on whether serde_json's
//! `preserve_order` feature happens to be enabled elsewhere in the build.

use serde_json::{Map, Value};

/// Keys in the order a person expects to read them; any other key follows, alphabetically.
const KEY_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "labels",
    "annotations",
    "spec",
    "namespaceSelector",
    "podSelector",
    "ipBlock",
    "cidr",
    "except",
    "policyTypes",
    "ingress",
    "egress",
    "from",
    "to",
    "ports",
    "protocol",
    "port",
    "endPort",
    "matchLabels",
    "matchExpressions",
];

/// Keys whose value is a free-form string map (labels): its keys are data, sorted alphabetically,
/// never ranked by [`KEY_ORDER`] (a label called `name` must not jump ahead).
const FREE_FORM_MAPS: &[&str] = &["matchLabels", "labels", "annotations"];

/// Words YAML 1.1 resolves to a boolean or null when plain (go-yaml v2's table, compared
/// case-insensitively to be safe).
const YAML11_SPECIAL_WORDS: &[&str] =
    &["y", "yes", "n", "no", "true", "false", "on", "off", "null"];

/// Whether `s` reads back as the same string when written plain (unquoted) in YAML 1.1.
///
/// Deliberately conservative: a letter start rules out numbers, dates, sexagesimals, `.inf`,
/// `~`, `<<`, `=` and every indicator character; the charset rules out `:`, `#`, spaces, quotes
/// and anything else with a meaning in YAML.
pub fn is_plain_safe(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !YAML11_SPECIAL_WORDS
            .iter()
            .any(|word| word.eq_ignore_ascii_case(s))
}

/// Renders `value` as a YAML document (no `---`), ending with a newline.
///
/// A top-level scalar or empty collection is written on its own line.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false, false),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0, false),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn ordered_entries(map: &Map<String, Value>, free_form: bool) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    let rank = |key: &str| {
        if free_form {
            KEY_ORDER.len()
        } else {
            KEY_ORDER
                .iter()
                .position(|k| *k == key)
                .unwrap_or(KEY_ORDER.len())
        }
    };
    entries.sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    entries
}

/// Writes a non-empty map at `indent`. With `first_line_started`, the caller has already written
/// the indentation (and a `- `) of the first line.
fn write_map(
    out: &mut String,
    map: &Map<String, Value>,
    indent: usize,
    first_line_started: bool,
    free_form: bool,
) {
    for (index, (key, value)) in ordered_entries(map, free_form).into_iter().enumerate() {
        if index > 0 || !first_line_started {
            pad(out, indent);
        }
        out.push_str(&scalar_string(key));
        out.push(':');
        match value {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                let child_free_form = FREE_FORM_MAPS.contains(&key.as_str());
                write_map(out, child, indent + 2, false, child_free_form);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                // kubectl style: a sequence under a key starts at the key's own column.
                write_seq(out, items, indent, false);
            }
            scalar => {
                out.push(' ');
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// Writes a non-empty sequence at `indent`; see [`write_map`] for `first_line_started`.
fn write_seq(out: &mut String, items: &[Value], indent: usize, first_line_started: bool) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !first_line_started {
            pad(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_map(out, map, indent + 2, true, false),
            Value::Array(inner) if !inner.is_empty() => write_seq(out, inner, indent + 2, true),
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection, written on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain scalar when safe, else double-quoted.
fn scalar_string(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        double_quoted(s)
    }
}

/// Double-quoted YAML scalar. Everything outside printable ASCII is escaped, so the output is
/// pure ASCII and no line break, BOM or non-printable character ever reaches the YAML text.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// Test-only reader: parses YAML and resolves plain scalars the way go-yaml v2 (YAML 1.1) does,
/// conservatively, so tests can prove the emitter's output means the same to Kubernetes.
#[cfg(test)]
pub(crate) mod yaml11 {
    use std::iter::Peekable;
    use std::vec::IntoIter;

    use serde_json::{Map, Value};
    use yaml_rust2::parser::{Event, EventReceiver, Parser};
    use yaml_rust2::scanner::TScalarStyle;

    /// Parses one YAML document into JSON, with YAML 1.1 scalar resolution.
    ///
    /// A plain scalar counts as a string only if YAML 1.1 cannot read it as anything else: it is
    /// not a bool/null word and does not start with a digit, sign or dot. A plain scalar that does
    /// must parse as an integer (a float for `.`-forms), else it is an error — the emitter must
    /// never leave such a string unquoted.
    pub fn parse(text: &str) -> Result<Value, String> {
        let mut sink = Sink::default();
        Parser::new_from_str(text)
            .load(&mut sink, false)
            .map_err(|e| e.to_string())?;
        if let Some(err) = sink.error {
            return Err(err);
        }
        let mut events = sink.events.into_iter().peekable();
        let value = build(&mut events)?;
        match events.next() {
            None => Ok(value),
            Some(extra) => Err(format!("unexpected trailing event {extra:?}")),
        }
    }

    #[derive(Default)]
    struct Sink {
        events: Vec<Event>,
        error: Option<String>,
    }

    impl EventReceiver for Sink {
        fn on_event(&mut self, ev: Event) {
            match ev {
                Event::StreamStart
                | Event::StreamEnd
                | Event::DocumentStart
                | Event::DocumentEnd => {}
                Event::Alias(_) => self.error = Some("aliases are not expected".into()),
                other => self.events.push(other),
            }
        }
    }

    fn build(events: &mut Peekable<IntoIter<Event>>) -> Result<Value, String> {
        match events.next() {
            Some(Event::Scalar(text, style, _, tag)) => {
                if tag.is_some() {
                    return Err("tags are not expected".into());
                }
                resolve(text, style)
            }
            Some(Event::SequenceStart(..)) => {
                let mut items = Vec::new();
                while !matches!(events.peek(), Some(Event::SequenceEnd)) {
                    items.push(build(events)?);
                }
                events.next();
                Ok(Value::Array(items))
            }
            Some(Event::MappingStart(..)) => {
                let mut map = Map::new();
                while !matches!(events.peek(), Some(Event::MappingEnd)) {
                    let key = match build(events)? {
                        Value::String(key) => key,
                        other => return Err(format!("non-string key {other}")),
                    };
                    let value = build(events)?;
                    if map.insert(key.clone(), value).is_some() {
                        return Err(format!("duplicate key {key}"));
                    }
                }
                events.next();
                Ok(Value::Object(map))
            }
            other => Err(format!("unexpected event {other:?}")),
        }
    }

    const BOOL_NULL_WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "",
    ];

    fn resolve(text: String, style: TScalarStyle) -> Result<Value, String> {
        if style != TScalarStyle::Plain {
            return Ok(Value::String(text));
        }
        match text.as_str() {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "null" => return Ok(Value::Null),
            _ => {}
        }
        if BOOL_NULL_WORDS.contains(&text.as_str()) {
            return Err(format!("plain {text:?} is a bool or null in YAML 1.1"));
        }
        let starts_numeric = text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
        if starts_numeric || text.contains(':') || text == "<<" || text == "=" {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Number(i.into()));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Ok(Value::Number(u.into()));
            }
            return Err(format!("plain {text:?} is ambiguous in YAML 1.1"));
        }
        Ok(Value::String(text))
    }
}

#[cfg(test)]
mod tests;
