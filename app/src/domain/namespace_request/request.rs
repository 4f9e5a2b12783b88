//! A namespace request: what a developer asks for, the rules every request must meet, and the
//! request as stored. The request form runs [`check`] in the browser as the server does before
//! storing, so a developer sees a refusal before posting.

use super::RequestStatus;
use crate::domain::labels::check_value;
use crate::domain::time::Timestamp;
use crate::domain::{NamespaceName, NamingPolicy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest purpose a request may give.
pub const MAX_PURPOSE: usize = 2000;
/// The longest rejection comment.
pub const MAX_COMMENT: usize = 2000;
/// Most groups one request may name.
pub const MAX_GROUPS: usize = 20;
/// The longest group name (the database allows this much).
pub const MAX_GROUP_LEN: usize = 256;
/// How much of a refused value a message quotes.
const QUOTED: usize = 80;

/// A namespace request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceRequest {
    pub id: i64,
    pub name: NamespaceName,
    pub requester: String,
    pub purpose: String,
    /// IdP groups that get `workload-admin`, sorted.
    pub groups: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub status: RequestStatus,
    /// The rejection comment, or why provisioning last failed; empty otherwise.
    pub reason: String,
    /// The administrator who approved or rejected it.
    pub decided_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What the request form sends. Everything is checked again on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestForm {
    pub name: String,
    pub purpose: String,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Values for the operator's allowed label keys; empty values are left out.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// A request that meets every rule, ready to store (the store still enforces one open request
/// per name and the per-user limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRequest {
    pub name: NamespaceName,
    pub requester: String,
    pub purpose: String,
    /// Trimmed, sorted and without duplicates.
    pub groups: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

/// Who is asking, as far as the rules care.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    pub username: &'a str,
    pub groups: &'a [String],
    /// Administrators may name any group.
    pub is_admin: bool,
}

/// The operator's rules a request is checked against.
#[derive(Debug, Clone, Copy)]
pub struct FormRules<'a> {
    pub naming: &'a NamingPolicy,
    /// Label keys the operator allows.
    pub label_keys: &'a [String],
}

/// Why a request form was refused. Each message tells the requester what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum FormProblem {
    #[error("{0}")]
    InvalidName(String),
    #[error("Say what the namespace is for.")]
    PurposeMissing,
    #[error("The purpose is {len} characters long; at most {MAX_PURPOSE} are allowed.")]
    PurposeTooLong { len: usize },
    #[error("Choose at least one group to get access to the namespace.")]
    NoGroups,
    #[error("At most {MAX_GROUPS} groups can be given access.")]
    TooManyGroups,
    #[error("You are not a member of the group '{0}'; choose among your own groups.")]
    NotYourGroup(String),
    #[error("'{0}' is not a valid group name.")]
    InvalidGroup(String),
    #[error(
        "'{0}' is one of Kubernetes' own groups (system:…); access is given to IdP groups only."
    )]
    SystemGroup(String),
    #[error("The label '{0}' is not one the platform allows.")]
    LabelNotAllowed(String),
    #[error("The value for the label '{key}' is invalid: {message}")]
    InvalidLabelValue { key: String, message: String },
    #[error("A rejection needs a comment that tells the requester why.")]
    CommentMissing,
    #[error("The comment is {len} characters long; at most {MAX_COMMENT} are allowed.")]
    CommentTooLong { len: usize },
}

fn quoted(text: &str) -> String {
    text.chars().take(QUOTED).collect()
}

/// Checks a form from `requester` against the platform's rules, first problem first.
pub fn check(
    form: &RequestForm,
    requester: Requester<'_>,
    rules: FormRules<'_>,
) -> Result<CheckedRequest, FormProblem> {
    let name = NamespaceName::parse(&form.name, rules.naming)
        .map_err(|error| FormProblem::InvalidName(error.to_string()))?;
    let purpose = form.purpose.trim().to_owned();
    if purpose.is_empty() {
        return Err(FormProblem::PurposeMissing);
    }
    let len = purpose.chars().count();
    if len > MAX_PURPOSE {
        return Err(FormProblem::PurposeTooLong { len });
    }
    let mut groups: Vec<String> = form
        .groups
        .iter()
        .map(|group| group.trim().to_owned())
        .filter(|group| !group.is_empty())
        .collect();
    groups.sort();
    groups.dedup();
    if groups.is_empty() {
        return Err(FormProblem::NoGroups);
    }
    if groups.len() > MAX_GROUPS {
        return Err(FormProblem::TooManyGroups);
    }
    for group in &groups {
        check_group(group)?;
        if !requester.is_admin && !requester.groups.contains(group) {
            return Err(FormProblem::NotYourGroup(group.clone()));
        }
    }
    let mut labels = BTreeMap::new();
    for (key, value) in &form.labels {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if !rules.label_keys.contains(key) {
            return Err(FormProblem::LabelNotAllowed(quoted(key)));
        }
        check_value(value).map_err(|message| FormProblem::InvalidLabelValue {
            key: key.clone(),
            message,
        })?;
        labels.insert(key.clone(), value.to_owned());
    }
    Ok(CheckedRequest {
        name,
        requester: requester.username.to_owned(),
        purpose,
        groups,
        labels,
    })
}

/// A group a request may grant. Kubernetes' own groups (`system:authenticated`,
/// `system:serviceaccounts`, `system:masters` …) are never granted, whoever asks: `admin` for
/// `system:authenticated` would hand the namespace to every logged-in user and ServiceAccount.
pub fn check_group(group: &str) -> Result<(), FormProblem> {
    if group.chars().count() > MAX_GROUP_LEN || group.chars().any(char::is_control) {
        return Err(FormProblem::InvalidGroup(quoted(group)));
    }
    if group.to_ascii_lowercase().starts_with("system:") {
        return Err(FormProblem::SystemGroup(quoted(group)));
    }
    Ok(())
}

/// A rejection comment, trimmed; a rejection always tells the requester why.
pub fn check_comment(comment: &str) -> Result<&str, FormProblem> {
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(FormProblem::CommentMissing);
    }
    let len = comment.chars().count();
    if len > MAX_COMMENT {
        return Err(FormProblem::CommentTooLong { len });
    }
    Ok(comment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, groups: &[&str]) -> RequestForm {
        RequestForm {
            name: name.to_owned(),
            purpose: "  the shop  ".to_owned(),
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
            labels: BTreeMap::new(),
        }
    }

    fn alice_groups() -> Vec<String> {
        vec!["team-a".to_owned(), "team-b".to_owned()]
    }

    fn alice(groups: &[String]) -> Requester<'_> {
        Requester {
            username: "alice",
            groups,
            is_admin: false,
        }
    }

    const NO_LABELS: FormRules<'static> = FormRules {
        naming: &NamingPolicy {
            reserved: Vec::new(),
            required_prefixes: Vec::new(),
        },
        label_keys: &[],
    };

    #[test]
    fn a_good_form_is_trimmed_sorted_and_deduplicated() {
        let groups = alice_groups();
        let checked = check(
            &form(" team-a-shop ", &["team-b", " team-a", "team-b", ""]),
            alice(&groups),
            NO_LABELS,
        )
        .expect("passes");
        assert_eq!(checked.name.as_str(), "team-a-shop");
        assert_eq!(checked.purpose, "the shop");
        assert_eq!(checked.groups, ["team-a", "team-b"]);
        assert_eq!(checked.requester, "alice");
    }

    #[test]
    fn each_broken_rule_is_named() {
        let groups = alice_groups();
        let too_many: Vec<String> = (0..=MAX_GROUPS).map(|n| format!("g{n}")).collect();
        let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
        let long_group = "g".repeat(MAX_GROUP_LEN + 1);
        let mut long_purpose = form("shop", &["team-a"]);
        long_purpose.purpose = "x".repeat(MAX_PURPOSE + 1);
        let mut no_purpose = form("shop", &["team-a"]);
        no_purpose.purpose = " \n ".to_owned();
        let cases: Vec<(RequestForm, FormProblem)> = vec![
            (
                form("Shop", &["team-a"]),
                FormProblem::InvalidName("Use lowercase letters only: 'S' is uppercase.".into()),
            ),
            (no_purpose, FormProblem::PurposeMissing),
            (
                long_purpose,
                FormProblem::PurposeTooLong {
                    len: MAX_PURPOSE + 1,
                },
            ),
            (form("shop", &[" ", ""]), FormProblem::NoGroups),
            (form("shop", &too_many), FormProblem::TooManyGroups),
            (
                form("shop", &["team-c"]),
                FormProblem::NotYourGroup("team-c".into()),
            ),
            (
                form("shop", &[&long_group]),
                FormProblem::InvalidGroup("g".repeat(QUOTED)),
            ),
            (
                form("shop", &["team-a\u{7}"]),
                FormProblem::InvalidGroup("team-a\u{7}".into()),
            ),
            (
                form("shop", &["System:Masters"]),
                FormProblem::SystemGroup("System:Masters".into()),
            ),
        ];
        for (form, problem) in cases {
            assert_eq!(
                check(&form, alice(&groups), NO_LABELS),
                Err(problem),
                "{form:?}"
            );
        }
    }

    #[test]
    fn administrators_may_name_any_group_but_never_a_kubernetes_one() {
        let admin = Requester {
            username: "root",
            groups: &[],
            is_admin: true,
        };
        assert!(check(&form("shop", &["team-z"]), admin, NO_LABELS).is_ok());
        assert_eq!(
            check(&form("shop", &["system:authenticated"]), admin, NO_LABELS),
            Err(FormProblem::SystemGroup("system:authenticated".into()))
        );
    }

    #[test]
    fn only_allowed_labels_with_valid_values_are_kept() {
        let groups = alice_groups();
        let keys = vec!["cost-center".to_owned()];
        let rules = FormRules {
            naming: NO_LABELS.naming,
            label_keys: &keys,
        };
        let mut labelled = form("shop", &["team-a"]);
        labelled.labels = BTreeMap::from([
            ("cost-center".to_owned(), " cc-1 ".to_owned()),
            ("owner".to_owned(), "  ".to_owned()),
        ]);
        let checked = check(&labelled, alice(&groups), rules).expect("passes");
        assert_eq!(
            checked.labels,
            BTreeMap::from([("cost-center".to_owned(), "cc-1".to_owned())]),
            "an empty value is left out, whatever its key"
        );
        labelled.labels.insert("owner".to_owned(), "bob".to_owned());
        assert_eq!(
            check(&labelled, alice(&groups), rules),
            Err(FormProblem::LabelNotAllowed("owner".into()))
        );
        labelled.labels.remove("owner");
        labelled
            .labels
            .insert("cost-center".to_owned(), "not valid!".to_owned());
        assert!(matches!(
            check(&labelled, alice(&groups), rules),
            Err(FormProblem::InvalidLabelValue { key, .. }) if key == "cost-center"
        ));
    }

    #[test]
    fn a_rejection_comment_is_trimmed_and_bounded() {
        assert_eq!(check_comment("  no budget \n"), Ok("no budget"));
        assert_eq!(check_comment(" \t "), Err(FormProblem::CommentMissing));
        assert_eq!(
            check_comment(&"x".repeat(MAX_COMMENT + 1)),
            Err(FormProblem::CommentTooLong {
                len: MAX_COMMENT + 1
            })
        );
    }
}
