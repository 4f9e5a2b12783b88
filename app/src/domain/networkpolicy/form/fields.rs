//! The form's fields by what they hold, and problems placed at the field they were typed in.
//!
//! Validation ([`super::super::validate`]) speaks in the spec's paths (`ingress[1].peers[0].cidr`),
//! which is what the JSON API returns. A person using the form typed that CIDR into one input of
//! one row, and rows that choose no peer make no rule, so rule 1 may be row 3: [`locate`] maps
//! each path back to its [`FormField`], keeping the path for whoever needs it.

use serde::{Deserialize, Serialize};

use super::super::validate::FieldError;

/// The two directions a policy restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// Both, in the order the form shows them.
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// The letter its rows' field names start with (`i0k`, `e2p`).
    pub fn prefix(self) -> char {
        match self {
            Direction::Ingress => 'i',
            Direction::Egress => 'e',
        }
    }

    /// The direction whose prefix is `text`.
    pub fn from_prefix(text: &str) -> Option<Self> {
        Self::BOTH
            .into_iter()
            .find(|direction| text.len() == 1 && text.starts_with(direction.prefix()))
    }

    /// The spec's field name: `ingress`, `egress`.
    pub fn key(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// One input of a rule row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowField {
    /// Who: the kind of peer.
    Kind,
    /// Labels, a namespace name or a CIDR.
    Value,
    /// Pod labels or excepted CIDRs.
    Extra,
    /// The ports.
    Ports,
}

impl RowField {
    /// Every input of a row, in the order the form shows them.
    pub const ALL: [RowField; 4] = [
        RowField::Kind,
        RowField::Value,
        RowField::Extra,
        RowField::Ports,
    ];

    fn suffix(self) -> char {
        match self {
            RowField::Kind => 'k',
            RowField::Value => 'v',
            RowField::Extra => 'x',
            RowField::Ports => 'p',
        }
    }

    /// [`super::RuleRow`]'s field name, for the form's own paths (`ingressRows[0].ports`).
    pub fn key(self) -> &'static str {
        match self {
            RowField::Kind => "kind",
            RowField::Value => "value",
            RowField::Extra => "extra",
            RowField::Ports => "ports",
        }
    }
}

/// A field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FormField {
    Name,
    Namespace,
    Target,
    /// The target's labels or `kubectl run` name.
    TargetValue,
    /// Whether a direction is restricted.
    Restrict(Direction),
    /// One input of one rule row (counted from 0).
    Row(Direction, usize, RowField),
    AllowDns,
}

impl FormField {
    /// Its HTML `name` (and `id`), as the query string carries it.
    pub fn name(self) -> String {
        match self {
            FormField::Name => "name".into(),
            FormField::Namespace => "ns".into(),
            FormField::Target => "target".into(),
            FormField::TargetValue => "tv".into(),
            FormField::Restrict(Direction::Ingress) => "in".into(),
            FormField::Restrict(Direction::Egress) => "eg".into(),
            FormField::Row(direction, index, field) => {
                format!("{}{index}{}", direction.prefix(), field.suffix())
            }
            FormField::AllowDns => "dns".into(),
        }
    }
}

/// A problem with the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormProblem {
    /// The field it is about; `None` for the policy as a whole.
    pub field: Option<FormField>,
    /// The spec's path, as the JSON API reports the same problem (`ingress[0].peers[0].cidr`), or
    /// the form's own for notation (`ingressRows[2].ports`).
    pub path: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// For each direction, the row each rule of the spec came from.
#[derive(Debug, Clone, Default)]
pub(super) struct RowsOfRules {
    pub(super) ingress: Vec<usize>,
    pub(super) egress: Vec<usize>,
}

/// Places a validation error of the form's spec at the form field it came from.
pub(super) fn locate(error: FieldError, rows: &RowsOfRules) -> FormProblem {
    let field = field_of(&error.path, rows);
    let message = match label_number(&error.path) {
        Some(number) if field.is_some() => format!("Label {number}: {}", error.message),
        _ => error.message,
    };
    FormProblem {
        field,
        path: error.path,
        message,
    }
}

fn field_of(path: &str, rows: &RowsOfRules) -> Option<FormField> {
    let head = path.split(['.', '[']).next().unwrap_or_default();
    match head {
        "name" => return Some(FormField::Name),
        "namespace" => return Some(FormField::Namespace),
        "target" => return Some(FormField::TargetValue),
        "policyTypes" => return Some(FormField::Restrict(Direction::Ingress)),
        _ => {}
    }
    let direction = Direction::BOTH
        .into_iter()
        .find(|direction| direction.key() == head)?;
    // `ingress[3].rest`
    let (index, rest) = path[head.len()..].strip_prefix('[')?.split_once(']')?;
    let rule: usize = index.parse().ok()?;
    let row = *match direction {
        Direction::Ingress => &rows.ingress,
        Direction::Egress => &rows.egress,
    }
    .get(rule)?;
    // Every form rule has one peer, `peers[0]`.
    let input = if let Some(peer) = rest.strip_prefix(".peers[0]") {
        if peer.starts_with(".podLabels") || peer.starts_with(".except") {
            RowField::Extra
        } else {
            RowField::Value
        }
    } else if rest.starts_with(".ports") {
        RowField::Ports
    } else {
        RowField::Kind
    };
    Some(FormField::Row(direction, row, input))
}

/// "2" for a path into a label list such as `target.labels[1].key`.
fn label_number(path: &str) -> Option<usize> {
    let (_, after) = path.rsplit_once("abels[")?;
    let (index, _) = after.split_once(']')?;
    index.parse::<usize>().ok().map(|index| index + 1)
}
