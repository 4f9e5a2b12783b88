//! The audit trail: one append-only line per thing that happened, as every reader sees it (the
//! administrators' page, its CSV and JSON exports, a request's timeline, the JSON API).

use super::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: Timestamp,
    /// Who did it: a username, `portal` for the portal's own work, or a provisioning process.
    pub actor: String,
    /// What happened, for example `namespace_request.approved`.
    pub action: String,
    /// What it happened to, for example `namespace_request/42`.
    pub subject: String,
    /// Free-form detail (a reason, a comment, an error message).
    pub detail: String,
}

/// The audit subject of a namespace request.
pub fn request_subject(id: i64) -> String {
    format!("namespace_request/{id}")
}

/// The request an audit subject names (`namespace_request/42`), if it names one.
pub fn request_id_of_subject(subject: &str) -> Option<i64> {
    subject
        .strip_prefix("namespace_request/")?
        .parse()
        .ok()
        .filter(|id| *id > 0)
}

/// The header and one record of the CSV export.
pub const CSV_HEADER: &str = "id,occurred_at,actor,action,subject,detail\r\n";

impl AuditEvent {
    /// This line as a CSV record, safe to open in a spreadsheet.
    pub fn csv_record(&self) -> String {
        super::csv::record(&[
            self.id.to_string(),
            self.occurred_at.rfc3339(),
            self.actor.clone(),
            self.action.clone(),
            self.subject.clone(),
            self.detail.clone(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_subject_names_its_request_and_nothing_else_does() {
        assert_eq!(request_id_of_subject(&request_subject(42)), Some(42));
        for other in [
            "",
            "namespace_request/",
            "namespace_request/x",
            "namespace_request/-3",
            "user/42",
        ] {
            assert_eq!(request_id_of_subject(other), None, "{other:?}");
        }
    }
}
