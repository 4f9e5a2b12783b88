//! The policy as a flat HTML form: what the `/networkpolicies` page submits as a GET query
//! without JavaScript and edits as signals when hydrated.
//!
//! A form row is one rule with one peer; several peers with the same ports become several rows,
//! which means the same (rules add up). Text fields use forgiving notations: labels as
//! `key=value, key2=value2`, ports as `443, UDP 53, 8000-8100, http`.
//!
//! The form has as many rows per direction as the person asked for ("Add a rule", "Remove"): one
//! to start with. Without JavaScript those buttons submit the form, and [`RowEdit`] applies them
//! to what was typed, so nothing typed is lost. [`PolicyForm::generate`] reports every problem at
//! the field it was typed in ([`FormProblem`], [`FormField`]), in the same words the JSON API uses
//! for the spec's path.

mod fields;

pub use self::fields::{Direction, FormField, FormProblem, RowField};

use super::model::{
    Label, NamespaceSelection, Peer, PolicySpec, PolicyTypes, Port, PortSpec, Protocol, Rule,
    Target,
};
use super::validate::FieldError;
use super::{Generated, LintConfig};
use serde::{Deserialize, Serialize};

/// Most rows per direction the form offers (and reads from a query).
pub const MAX_ROWS: usize = 30;

/// Longest text a form field accepts before conversion (the model's own limits are smaller).
const MAX_FIELD: usize = 4096;

/// One rule row: a peer and the ports it may use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    /// "" (row unused), `anywhere`, `pods`, `namespace`, `namespaceLabels`, `podsInNamespace`,
    /// `ipBlock`.
    pub kind: String,
    /// Labels (`pods`, `namespaceLabels`), a namespace name (`namespace`, `podsInNamespace`) or a
    /// CIDR (`ipBlock`).
    pub value: String,
    /// Pod labels (`podsInNamespace`) or excepted CIDRs (`ipBlock`).
    pub extra: String,
    /// Ports; empty means every port.
    pub ports: String,
}

/// The whole form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyForm {
    pub name: String,
    pub namespace: String,
    /// `all`, `labels` or `run`.
    pub target: String,
    /// Labels (`labels`) or the `kubectl run` pod name (`run`).
    pub target_value: String,
    pub ingress: bool,
    pub egress: bool,
    pub allow_dns: bool,
    /// At least one row, at most [`MAX_ROWS`].
    pub ingress_rows: Vec<RuleRow>,
    /// At least one row, at most [`MAX_ROWS`].
    pub egress_rows: Vec<RuleRow>,
}

impl Default for PolicyForm {
    fn default() -> Self {
        Self {
            name: "my-policy".into(),
            namespace: "my-namespace".into(),
            target: "all".into(),
            target_value: String::new(),
            ingress: true,
            egress: false,
            allow_dns: true,
            ingress_rows: vec![RuleRow::default()],
            egress_rows: vec![RuleRow::default()],
        }
    }
}

/// "Add a rule" or "Remove" as the form submits them without JavaScript: `add=i` adds an
/// ingress row, `remove=e2` removes the third egress row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEdit {
    Add(Direction),
    Remove(Direction, usize),
}

impl RowEdit {
    /// The edit a submitted query asks for, if any.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        if let Some(add) = get("add") {
            return Direction::from_prefix(&add).map(RowEdit::Add);
        }
        let remove = get("remove")?;
        let (prefix, index) = remove.split_at_checked(1)?;
        Some(RowEdit::Remove(
            Direction::from_prefix(prefix)?,
            index.parse().ok()?,
        ))
    }

    /// The submit button's `value` (its `name` is `add` or `remove`).
    pub fn value(self) -> String {
        match self {
            RowEdit::Add(direction) => direction.prefix().to_string(),
            RowEdit::Remove(direction, index) => format!("{}{index}", direction.prefix()),
        }
    }
}

impl PolicyForm {
    /// Reads the form from query parameters (`name`, `ns`, `target`, `tv`, `in`, `eg`, `dns`,
    /// and per row `i0k`, `i0v`, `i0x`, `i0p`, … `e1p`). A form that was never submitted has no
    /// `name`. Every row the form had comes back, blank ones too, in their order.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let name = get("name")?;
        let text = |key: &str| get(key).map(|v| truncate(&v)).unwrap_or_default();
        let checked = |key: &str| get(key).is_some_and(|v| v == "on" || v == "true");
        let rows = |direction: Direction| {
            let field = |i, field| FormField::Row(direction, i, field).name();
            let mut rows: Vec<RuleRow> = (0..MAX_ROWS)
                .filter(|&i| RowField::ALL.iter().any(|&f| get(&field(i, f)).is_some()))
                .map(|i| RuleRow {
                    kind: text(&field(i, RowField::Kind)),
                    value: text(&field(i, RowField::Value)),
                    extra: text(&field(i, RowField::Extra)),
                    ports: text(&field(i, RowField::Ports)),
                })
                .collect();
            if rows.is_empty() {
                rows.push(RuleRow::default());
            }
            rows
        };
        Some(Self {
            name: truncate(&name),
            namespace: text("ns"),
            target: text("target"),
            target_value: text("tv"),
            ingress: checked("in"),
            egress: checked("eg"),
            allow_dns: checked("dns"),
            ingress_rows: rows(Direction::Ingress),
            egress_rows: rows(Direction::Egress),
        })
    }

    /// The query a submitted form sends, which [`PolicyForm::from_params`] reads back: for a
    /// link that opens this policy in the generator. Unchecked boxes and empty fields are left
    /// out, as a browser leaves them out.
    pub fn to_params(&self) -> Vec<(String, String)> {
        let mut params = vec![
            (FormField::Name.name(), self.name.clone()),
            (FormField::Namespace.name(), self.namespace.clone()),
            (FormField::Target.name(), self.target.clone()),
            (FormField::TargetValue.name(), self.target_value.clone()),
        ];
        for (on, field) in [
            (self.ingress, FormField::Restrict(Direction::Ingress)),
            (self.egress, FormField::Restrict(Direction::Egress)),
            (self.allow_dns, FormField::AllowDns),
        ] {
            if on {
                params.push((field.name(), "on".into()));
            }
        }
        for direction in [Direction::Ingress, Direction::Egress] {
            for (index, row) in self.rows(direction).iter().enumerate() {
                for (field, value) in [
                    (RowField::Kind, &row.kind),
                    (RowField::Value, &row.value),
                    (RowField::Extra, &row.extra),
                    (RowField::Ports, &row.ports),
                ] {
                    params.push((
                        FormField::Row(direction, index, field).name(),
                        value.clone(),
                    ));
                }
            }
        }
        params.retain(|(name, value)| !value.is_empty() || name == "name");
        params
    }

    /// The form for a spec (to show a preset). Rules with several peers become several rows.
    pub fn from_spec(spec: &PolicySpec) -> Self {
        let (target, target_value) = match &spec.target {
            Target::AllPods {} => ("all", String::new()),
            Target::Labels { labels } => ("labels", format_labels(labels)),
            Target::KubectlRun { name } => ("run", name.clone()),
        };
        Self {
            name: spec.name.clone(),
            namespace: spec.namespace.clone(),
            target: target.into(),
            target_value,
            ingress: spec.policy_types.ingress,
            egress: spec.policy_types.egress,
            allow_dns: spec.allow_dns,
            ingress_rows: rows_of(&spec.ingress),
            egress_rows: rows_of(&spec.egress),
        }
    }

    /// Loads a preset's spec over what was typed. The preset sets the policy's name, its target,
    /// which directions it restricts and the rules of those; everything it leaves open stays as
    /// typed: the rows of a direction it does not restrict, the DNS box when it does not
    /// restrict egress, the labels or name typed for a target when it selects every Pod (the
    /// namespace is the caller's to pass to the preset).
    pub fn with_preset(&self, preset: &PolicySpec) -> Self {
        let mut loaded = Self::from_spec(preset);
        if !preset.policy_types.ingress {
            loaded.ingress_rows.clone_from(&self.ingress_rows);
        }
        if !preset.policy_types.egress {
            loaded.egress_rows.clone_from(&self.egress_rows);
            loaded.allow_dns = self.allow_dns;
        }
        if preset.target == (Target::AllPods {}) {
            loaded.target_value.clone_from(&self.target_value);
        }
        loaded
    }

    /// The rows of one direction.
    pub fn rows(&self, direction: Direction) -> &[RuleRow] {
        match direction {
            Direction::Ingress => &self.ingress_rows,
            Direction::Egress => &self.egress_rows,
        }
    }

    fn rows_mut(&mut self, direction: Direction) -> &mut Vec<RuleRow> {
        match direction {
            Direction::Ingress => &mut self.ingress_rows,
            Direction::Egress => &mut self.egress_rows,
        }
    }

    /// Adds or removes a row, keeping at least one and at most [`MAX_ROWS`]; returns the field
    /// to put the keyboard focus on (the new row, or the row that took the removed one's place).
    pub fn edit(&mut self, edit: RowEdit) -> FormField {
        match edit {
            RowEdit::Add(direction) => {
                let rows = self.rows_mut(direction);
                if rows.len() < MAX_ROWS {
                    rows.push(RuleRow::default());
                }
                FormField::Row(direction, rows.len() - 1, RowField::Kind)
            }
            RowEdit::Remove(direction, index) => {
                let rows = self.rows_mut(direction);
                if index < rows.len() {
                    rows.remove(index);
                }
                if rows.is_empty() {
                    rows.push(RuleRow::default());
                }
                FormField::Row(direction, index.min(rows.len() - 1), RowField::Kind)
            }
        }
    }

    /// The spec this form describes, or the notation errors (with the form's field paths, such
    /// as `ingressRows[0].ports`).
    pub fn to_spec(&self) -> Result<PolicySpec, Vec<FieldError>> {
        self.check().map_err(|problems| {
            problems
                .into_iter()
                .map(|problem| FieldError::new(problem.path, problem.message))
                .collect()
        })
    }

    /// The spec this form describes, or the notation errors, each at its field.
    pub fn check(&self) -> Result<PolicySpec, Vec<FormProblem>> {
        self.convert().0
    }

    /// Everything the page shows for a valid form, or every problem (notation and the spec's
    /// rules) at the field it was typed in.
    pub fn generate(&self, lint: &LintConfig) -> Result<Generated, Vec<FormProblem>> {
        let (spec, rows) = self.convert();
        super::generate(&spec?, lint).map_err(|errors| {
            errors
                .into_iter()
                .map(|error| fields::locate(error, &rows))
                .collect()
        })
    }

    /// The spec, or notation problems; and for each direction, the row each rule came from.
    fn convert(&self) -> (Result<PolicySpec, Vec<FormProblem>>, fields::RowsOfRules) {
        let mut problems = Vec::new();
        let target = match self.target.as_str() {
            "labels" => Target::Labels {
                labels: parse_labels(
                    &self.target_value,
                    &Located::new(FormField::TargetValue, "target.labels"),
                    &mut problems,
                ),
            },
            "run" => Target::KubectlRun {
                name: self.target_value.trim().to_owned(),
            },
            _ => Target::AllPods {},
        };
        let (ingress, ingress_rows) =
            rules_of(&self.ingress_rows, Direction::Ingress, &mut problems);
        let (egress, egress_rows) = rules_of(&self.egress_rows, Direction::Egress, &mut problems);
        let rows = fields::RowsOfRules {
            ingress: ingress_rows,
            egress: egress_rows,
        };
        if !problems.is_empty() {
            return (Err(problems), rows);
        }
        let spec = PolicySpec {
            name: self.name.trim().to_owned(),
            namespace: self.namespace.trim().to_owned(),
            target,
            policy_types: PolicyTypes {
                ingress: self.ingress,
                egress: self.egress,
            },
            ingress,
            egress,
            allow_dns: self.allow_dns,
        };
        (Ok(spec), rows)
    }
}

/// Where a notation problem goes: the form field, and the path it is reported under.
struct Located {
    field: FormField,
    path: String,
}

impl Located {
    fn new(field: FormField, path: impl Into<String>) -> Self {
        Self {
            field,
            path: path.into(),
        }
    }

    fn problem(&self, message: String) -> FormProblem {
        FormProblem {
            field: Some(self.field),
            path: self.path.clone(),
            message,
        }
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(MAX_FIELD).collect()
}

fn rows_of(rules: &[Rule]) -> Vec<RuleRow> {
    let mut rows: Vec<RuleRow> = rules
        .iter()
        .flat_map(|rule| {
            let ports = format_ports(&rule.ports);
            rule.peers
                .iter()
                .map(move |peer| row_of(peer, ports.clone()))
        })
        .collect();
    if rows.is_empty() {
        rows.push(RuleRow::default());
    }
    rows
}

fn row_of(peer: &Peer, ports: String) -> RuleRow {
    let (kind, value, extra) = match peer {
        Peer::Anywhere {} => ("anywhere", String::new(), String::new()),
        Peer::PodsInNamespace { labels } => ("pods", format_labels(labels), String::new()),
        Peer::NamespaceByName { name } => ("namespace", name.clone(), String::new()),
        Peer::NamespacesByLabels { labels } => {
            ("namespaceLabels", format_labels(labels), String::new())
        }
        Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByName { name },
            pod_labels,
        } => ("podsInNamespace", name.clone(), format_labels(pod_labels)),
        Peer::PodsInNamespaces {
            namespace: NamespaceSelection::ByLabels { labels },
            pod_labels,
        } => (
            "podsInNamespaceLabels",
            format_labels(labels),
            format_labels(pod_labels),
        ),
        Peer::IpBlock { cidr, except } => ("ipBlock", cidr.clone(), except.join(", ")),
    };
    RuleRow {
        kind: kind.into(),
        value,
        extra,
        ports,
    }
}

/// The rules of a direction's rows (rows with no peer chosen are left out), and the row each
/// rule came from.
fn rules_of(
    rows: &[RuleRow],
    direction: Direction,
    problems: &mut Vec<FormProblem>,
) -> (Vec<Rule>, Vec<usize>) {
    rows.iter()
        .enumerate()
        .filter(|(_, row)| !row.kind.is_empty())
        .map(|(i, row)| {
            let at = |field: RowField| {
                Located::new(
                    FormField::Row(direction, i, field),
                    format!("{}Rows[{i}].{}", direction.key(), field.key()),
                )
            };
            let (value, extra) = (at(RowField::Value), at(RowField::Extra));
            let peer = match row.kind.as_str() {
                "anywhere" => Peer::Anywhere {},
                "pods" => Peer::PodsInNamespace {
                    labels: parse_labels(&row.value, &value, problems),
                },
                "namespace" => Peer::NamespaceByName {
                    name: row.value.trim().to_owned(),
                },
                "namespaceLabels" => Peer::NamespacesByLabels {
                    labels: parse_labels(&row.value, &value, problems),
                },
                "podsInNamespace" => Peer::PodsInNamespaces {
                    namespace: NamespaceSelection::ByName {
                        name: row.value.trim().to_owned(),
                    },
                    pod_labels: parse_labels(&row.extra, &extra, problems),
                },
                "podsInNamespaceLabels" => Peer::PodsInNamespaces {
                    namespace: NamespaceSelection::ByLabels {
                        labels: parse_labels(&row.value, &value, problems),
                    },
                    pod_labels: parse_labels(&row.extra, &extra, problems),
                },
                "ipBlock" => Peer::IpBlock {
                    cidr: row.value.trim().to_owned(),
                    except: split_list(&row.extra),
                },
                _ => {
                    problems.push(
                        at(RowField::Kind)
                            .problem("Choose who this rule is about from the list.".to_owned()),
                    );
                    Peer::Anywhere {}
                }
            };
            let ports = parse_ports(&row.ports, &at(RowField::Ports), problems);
            (Rule::new(vec![peer], ports), i)
        })
        .unzip()
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `key=value, key2=value2` (a bare `key` means an empty value).
fn parse_labels(text: &str, at: &Located, problems: &mut Vec<FormProblem>) -> Vec<Label> {
    split_list(text)
        .into_iter()
        .filter_map(|item| match item.split_once('=') {
            Some((key, value)) => Some(Label::new(key.trim(), value.trim())),
            None if item.contains(':') => {
                problems.push(
                    at.problem(
                        "Write labels as key=value (with '=', not ':'), separated by commas."
                            .to_owned(),
                    ),
                );
                None
            }
            None => Some(Label::new(item, "")),
        })
        .collect()
}

pub fn format_labels(labels: &[Label]) -> String {
    labels
        .iter()
        .map(|l| format!("{}={}", l.key, l.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `443, UDP 53, TCP/8000-8100, http` → ports (TCP unless a protocol is named).
fn parse_ports(text: &str, at: &Located, problems: &mut Vec<FormProblem>) -> Vec<PortSpec> {
    split_list(text)
        .into_iter()
        .filter_map(|item| {
            let (protocol, rest) = match item.split_once([' ', '/']) {
                Some((proto, rest)) => match proto.to_ascii_uppercase().as_str() {
                    "TCP" => (Protocol::Tcp, rest.trim()),
                    "UDP" => (Protocol::Udp, rest.trim()),
                    "SCTP" => (Protocol::Sctp, rest.trim()),
                    _ => {
                        problems.push(at.problem(format!(
                            "{} is not a protocol: write TCP, UDP or SCTP before the port, or nothing for TCP.",
                            quoted(proto)
                        )));
                        return None;
                    }
                },
                None => (Protocol::Tcp, item.as_str()),
            };
            let mut number = |text: &str| -> Option<u16> {
                match text.trim().parse::<u16>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        problems.push(at.problem(format!(
                            "{} is not a port number: ports are numbers from 1 to 65535.",
                            quoted(text.trim())
                        )));
                        None
                    }
                }
            };
            if let Some((from, to)) = rest
                .split_once('-')
                .filter(|(from, _)| from.trim().bytes().all(|b| b.is_ascii_digit()))
            {
                let (from, to) = (number(from)?, number(to)?);
                return Some(PortSpec {
                    protocol,
                    port: Port::Number(from),
                    end_port: Some(to),
                });
            }
            if rest.bytes().all(|b| b.is_ascii_digit()) {
                return Some(PortSpec {
                    protocol,
                    port: Port::Number(number(rest)?),
                    end_port: None,
                });
            }
            Some(PortSpec {
                protocol,
                port: Port::Named(rest.to_owned()),
                end_port: None,
            })
        })
        .collect()
}

/// `text` in quotes for a message, shortened when it is long (it was typed, and may be huge).
fn quoted(text: &str) -> String {
    const LONGEST: usize = 20;
    if text.chars().count() > LONGEST {
        format!("'{}…'", text.chars().take(LONGEST).collect::<String>())
    } else {
        format!("'{text}'")
    }
}

pub fn format_ports(ports: &[PortSpec]) -> String {
    ports
        .iter()
        .map(|p| {
            let port = match &p.port {
                Port::Number(n) => n.to_string(),
                Port::Named(name) => name.clone(),
            };
            let range = p
                .end_port
                .map(|end| format!("{port}-{end}"))
                .unwrap_or(port);
            match p.protocol {
                Protocol::Tcp => range,
                other => format!("{} {range}", other.as_str()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
