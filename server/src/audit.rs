//! The audit trail's security events (logins, logouts, refused administrator actions, role
//! changes), and the log line every audit event also becomes.
//!
//! Every event is written to the database (the administrators' audit page and exports) and as
//! one log line with the target `audit`, so a platform's log pipeline (Welkin's Fluentd to
//! OpenSearch) keeps the trail too, as JSON lines with `--log-json`.

use crate::store::audit::log_line;
use crate::store::{AuditQuery, AuditStore, NamespaceRequestStore, NewAuditEvent, StoreError};
use app::auth::CurrentUser;
use app::domain::audit::{AuditEvent, request_id_of_subject};
use app::features::namespaces::model::{AuditFilter, AuditPage, RequestError};
use async_trait::async_trait;
use std::{collections::BTreeMap, sync::Arc};

/// A user logged in (detail: their groups and whether they are an administrator).
pub const LOGIN: &str = "auth.login";
/// A user logged out, or their session was ended for them (detail: why).
pub const LOGOUT: &str = "auth.logout";
/// A user's groups or administrator role changed when the portal read them again.
pub const ROLE_CHANGED: &str = "auth.role_changed";
/// A user who is not an administrator called an administrators' action.
pub const ADMIN_REFUSED: &str = "auth.admin_action_refused";

/// The subject of events about a user.
pub fn user_subject(username: &str) -> String {
    format!("user/{username}")
}

/// Records a security event in the trail and the log. A failure to store it is logged and does
/// not stop what the user was doing: the log line is written either way.
pub async fn record(
    store: &dyn AuditStore,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) {
    log_line(actor, action, subject, detail);
    let event = NewAuditEvent {
        actor: clip(actor, crate::store::audit::MAX_ACTOR),
        action: action.to_owned(),
        subject: clip(subject, crate::store::audit::MAX_SUBJECT),
        detail: clip(detail, crate::store::audit::MAX_DETAIL),
    };
    if let Err(error) = store.record_audit_event(event).await {
        tracing::error!(%error, action, "could not record an audit event");
    }
}

/// The audit trail as its readers see it: the administrators' page (the [`app::ports::Audit`]
/// port) and the exports.
#[derive(Debug, Clone)]
pub struct AuditService {
    pub store: Arc<dyn AuditStore>,
    /// To name the requests events are about.
    pub requests: Arc<dyn NamespaceRequestStore>,
}

/// Events on one page of the trail.
const PAGE: u32 = 100;
/// Events read at a time for an export.
const EXPORT_PAGE: u32 = 500;
/// The most events one export holds.
pub const MAX_EXPORT: usize = 100_000;

/// The store query for a page's filters, `limit` events at a time: blank fields filter nothing.
fn query(filter: AuditFilter, limit: u32) -> AuditQuery {
    let text = |value: Option<String>| {
        value
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    AuditQuery {
        actor: text(filter.actor),
        subject: text(filter.subject),
        action_prefix: text(filter.action),
        before_id: filter.before,
        limit,
    }
}

fn unavailable(error: StoreError) -> RequestError {
    tracing::error!(%error, "reading the audit trail failed");
    RequestError::Internal
}

fn admin_only(user: &CurrentUser) -> Result<(), RequestError> {
    if user.is_admin {
        Ok(())
    } else {
        Err(RequestError::AdminOnly)
    }
}

impl AuditService {
    /// Every event matching `filter` (its `before` ignored), newest first, at most
    /// [`MAX_EXPORT`].
    pub async fn export(
        &self,
        admin: &CurrentUser,
        filter: AuditFilter,
    ) -> Result<Vec<AuditEvent>, RequestError> {
        admin_only(admin)?;
        let mut query = query(
            AuditFilter {
                before: None,
                ..filter
            },
            EXPORT_PAGE,
        );
        let mut events = Vec::new();
        loop {
            let page = self.store.audit_events(&query).await.map_err(unavailable)?;
            let Some(last) = page.last().map(|event| event.id) else {
                break;
            };
            events.extend(page);
            if events.len() >= MAX_EXPORT {
                events.truncate(MAX_EXPORT);
                break;
            }
            query.before_id = Some(last);
        }
        Ok(events)
    }
}

#[async_trait]
impl app::ports::Audit for AuditService {
    async fn page(
        &self,
        admin: &CurrentUser,
        filter: AuditFilter,
    ) -> Result<AuditPage, RequestError> {
        admin_only(admin)?;
        let events = self
            .store
            .audit_events(&query(filter, PAGE))
            .await
            .map_err(unavailable)?;
        let older = (events.len() == PAGE as usize)
            .then(|| events.last().map(|event| event.id))
            .flatten();
        let mut request_names = BTreeMap::new();
        for id in events
            .iter()
            .filter_map(|event| request_id_of_subject(&event.subject))
        {
            if request_names.contains_key(&id) {
                continue;
            }
            if let Some(request) = self
                .requests
                .namespace_request(id)
                .await
                .map_err(unavailable)?
            {
                request_names.insert(id, request.name.to_string());
            }
        }
        Ok(AuditPage {
            events,
            request_names,
            older,
        })
    }
}

fn clip(text: &str, max: usize) -> String {
    let cleaned: String = text.chars().filter(|c| *c != '\0').collect();
    if cleaned.chars().count() <= max {
        return cleaned;
    }
    let mut clipped: String = cleaned.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// How a user's groups read in an event's detail.
pub fn describe_groups(groups: &[String], is_admin: bool) -> String {
    let groups = if groups.is_empty() {
        "no groups".to_owned()
    } else {
        format!("groups {}", groups.join(", "))
    };
    format!(
        "{groups}; {}",
        if is_admin {
            "administrator"
        } else {
            "not an administrator"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A log writer that keeps what it is given.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_audit_event_is_one_json_log_line_with_the_audit_target() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            log_line(
                "alice@example.com",
                LOGIN,
                &user_subject("alice@example.com"),
                "groups team-a; not an administrator\nforged: line",
            );
        });
        let bytes = captured.0.lock().expect("not poisoned").clone();
        let text = String::from_utf8(bytes).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "one line, a newline in the detail included: {text}"
        );
        let line: serde_json::Value = serde_json::from_str(lines[0]).expect("JSON");
        assert_eq!(line["target"], "audit");
        assert_eq!(line["fields"]["action"], "auth.login");
        assert_eq!(line["fields"]["actor"], "alice@example.com");
        assert_eq!(line["fields"]["subject"], "user/alice@example.com");
        assert!(
            line["fields"]["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("forged"))
        );
    }

    #[test]
    fn details_are_clipped_to_what_the_trail_holds() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "ab…");
        assert_eq!(clip("a\0b", 3), "ab");
        assert_eq!(
            describe_groups(&[], true),
            "no groups; administrator".to_owned()
        );
    }
}
