//! The life of a namespace request, as a state machine.
//!
//! ```text
//! pending ──approve──▶ approved ──start──▶ provisioning ──succeed──▶ ready
//!    │                                          │    ▲
//!    ├──reject──▶ rejected ◀──reject──┐        fail  retry
//!    └──cancel──▶ cancelled ◀─cancel──┴────────  ▼    │
//!                                               failed
//! ```
//!
//! A failed request never gets stuck: an administrator retries or rejects it (with a comment),
//! or its requester cancels it, and either of the last two frees its name and the requester's
//! slot.
//!
//! Every other combination is an [`IllegalTransition`], never a silent no-op, so a double click,
//! a stale page or two administrators acting at once are reported instead of corrupting history.

mod request;

pub use request::{
    CheckedRequest, FormProblem, FormRules, MAX_COMMENT, MAX_GROUP_LEN, MAX_GROUPS, MAX_PURPOSE,
    NamespaceRequest, RequestForm, Requester, check, check_comment, check_group,
};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    /// Waiting for an administrator.
    Pending,
    /// Approved; the portal has not started creating anything yet (or has no cluster right now).
    Approved,
    /// The portal is creating the Namespace, its RoleBinding and its NetworkPolicies.
    Provisioning,
    /// Everything exists in the cluster.
    Ready,
    /// Provisioning failed; an administrator may retry.
    Failed,
    /// An administrator said no.
    Rejected,
    /// The requester withdrew it.
    Cancelled,
}

/// Something that happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestEvent {
    Approve,
    Reject,
    Cancel,
    StartProvisioning,
    Succeed,
    Fail,
    Retry,
}

/// An event that the request's current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from} cannot be {}", event.past_tense())]
pub struct IllegalTransition {
    pub from: RequestStatus,
    pub event: RequestEvent,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 7] = [
        Self::Pending,
        Self::Approved,
        Self::Provisioning,
        Self::Ready,
        Self::Failed,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The status after `event`, or why `event` is not allowed now.
    pub fn after(self, event: RequestEvent) -> Result<Self, IllegalTransition> {
        use RequestEvent as E;
        use RequestStatus as S;
        match (self, event) {
            (S::Pending, E::Approve) => Ok(S::Approved),
            (S::Pending, E::Reject) => Ok(S::Rejected),
            (S::Pending, E::Cancel) => Ok(S::Cancelled),
            (S::Approved, E::StartProvisioning) => Ok(S::Provisioning),
            (S::Provisioning, E::Succeed) => Ok(S::Ready),
            (S::Provisioning, E::Fail) => Ok(S::Failed),
            (S::Failed, E::Retry) => Ok(S::Provisioning),
            (S::Failed, E::Reject) => Ok(S::Rejected),
            (S::Failed, E::Cancel) => Ok(S::Cancelled),
            (from, event) => Err(IllegalTransition { from, event }),
        }
    }

    /// Whether the request still holds its namespace name: another open request for the same
    /// name is refused. Rejected and cancelled requests free the name; a ready one holds it
    /// through the namespace itself.
    pub fn holds_name(self) -> bool {
        matches!(
            self,
            Self::Pending | Self::Approved | Self::Provisioning | Self::Failed
        )
    }

    /// Whether nothing more can happen to the request.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Rejected | Self::Cancelled)
    }

    /// The stored and displayed form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Provisioning => "provisioning",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of the seven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown request status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for RequestStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl RequestEvent {
    pub const ALL: [RequestEvent; 7] = [
        Self::Approve,
        Self::Reject,
        Self::Cancel,
        Self::StartProvisioning,
        Self::Succeed,
        Self::Fail,
        Self::Retry,
    ];

    /// The statuses this event can happen in. Stores use them for their compare-and-set
    /// (`UPDATE … WHERE status IN (sources)`), so a change never needs a read first.
    pub fn sources(self) -> &'static [RequestStatus] {
        use RequestStatus as S;
        match self {
            Self::Approve => &[S::Pending],
            Self::Reject | Self::Cancel => &[S::Pending, S::Failed],
            Self::StartProvisioning => &[S::Approved],
            Self::Succeed | Self::Fail => &[S::Provisioning],
            Self::Retry => &[S::Failed],
        }
    }

    /// The status after the event, the same from each of its [`Self::sources`].
    pub fn target(self) -> RequestStatus {
        use RequestStatus as S;
        match self {
            Self::Approve => S::Approved,
            Self::Reject => S::Rejected,
            Self::Cancel => S::Cancelled,
            Self::StartProvisioning | Self::Retry => S::Provisioning,
            Self::Succeed => S::Ready,
            Self::Fail => S::Failed,
        }
    }

    /// The audit trail's action name.
    pub fn audit_action(self) -> &'static str {
        match self {
            Self::Approve => "namespace_request.approved",
            Self::Reject => "namespace_request.rejected",
            Self::Cancel => "namespace_request.cancelled",
            Self::StartProvisioning => "namespace_request.provisioning_started",
            Self::Succeed => "namespace_request.provisioning_succeeded",
            Self::Fail => "namespace_request.provisioning_failed",
            Self::Retry => "namespace_request.retried",
        }
    }

    fn past_tense(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
            Self::Cancel => "cancelled",
            Self::StartProvisioning => "provisioned",
            Self::Succeed => "marked ready",
            Self::Fail => "marked failed",
            Self::Retry => "retried",
        }
    }
}

/// The name a provisioning process records as the actor of what it does: `host/pid/random`
/// (two replicas on one host differ by pid, a restarted process by the random part).
pub fn worker_actor(host: &str, pid: u32, random: u32) -> String {
    format!("{host}/{pid}/{random:08x}")
}

/// Whether `actor` is a provisioning process's name (see [`worker_actor`]), not a person: pages
/// say "the portal" instead. A user name never has this shape (no `/` in an email or login).
pub fn is_worker_actor(actor: &str) -> bool {
    let mut parts = actor.rsplitn(3, '/');
    let (Some(random), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !host.is_empty()
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && random.len() == 8
        && random.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::{RequestEvent as E, RequestStatus as S, *};

    #[test]
    fn the_happy_path_and_the_retry_loop() {
        let mut status = S::Pending;
        for event in [
            E::Approve,
            E::StartProvisioning,
            E::Fail,
            E::Retry,
            E::Succeed,
        ] {
            status = status.after(event).expect("allowed");
        }
        assert_eq!(status, S::Ready);
    }

    #[test]
    fn exactly_the_documented_transitions_are_allowed() {
        let allowed = [
            (S::Pending, E::Approve, S::Approved),
            (S::Pending, E::Reject, S::Rejected),
            (S::Pending, E::Cancel, S::Cancelled),
            (S::Approved, E::StartProvisioning, S::Provisioning),
            (S::Provisioning, E::Succeed, S::Ready),
            (S::Provisioning, E::Fail, S::Failed),
            (S::Failed, E::Retry, S::Provisioning),
            (S::Failed, E::Reject, S::Rejected),
            (S::Failed, E::Cancel, S::Cancelled),
        ];
        for from in S::ALL {
            for event in E::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match (from.after(event), expected) {
                    (Ok(to), Some(expected)) => assert_eq!(to, expected),
                    (Err(error), None) => assert_eq!(error, IllegalTransition { from, event }),
                    (result, expected) => {
                        panic!("{from} + {event:?}: {result:?}, expected {expected:?}")
                    }
                }
            }
        }
    }

    #[test]
    fn each_events_sources_and_target_agree_with_the_machine() {
        for event in E::ALL {
            let sources: Vec<S> = S::ALL
                .into_iter()
                .filter(|status| status.after(event).is_ok())
                .collect();
            assert_eq!(sources, event.sources(), "{event:?}");
            for source in event.sources() {
                assert_eq!(source.after(event), Ok(event.target()), "{event:?}");
            }
        }
    }

    #[test]
    fn a_failed_request_can_be_rejected_or_cancelled_and_then_frees_its_name() {
        for event in [E::Reject, E::Cancel] {
            let after = S::Failed.after(event).expect("allowed");
            assert!(!after.holds_name(), "{event:?}");
            assert!(after.is_final());
        }
    }

    #[test]
    fn an_illegal_transition_says_what_was_attempted() {
        let error = S::Ready.after(E::Approve).expect_err("illegal");
        assert_eq!(
            error.to_string(),
            "a request that is ready cannot be approved"
        );
        let error = S::Approved
            .after(E::Approve)
            .expect_err("a second approval");
        assert_eq!(
            error.to_string(),
            "a request that is approved cannot be approved"
        );
    }

    #[test]
    fn final_states_allow_nothing_and_free_or_keep_the_name() {
        for status in S::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(
                E::ALL.into_iter().all(|event| status.after(event).is_err()),
                "{status}"
            );
        }
        assert!(!S::Rejected.holds_name() && !S::Cancelled.holds_name());
        assert!(S::Pending.holds_name() && S::Failed.holds_name());
    }

    fn any_event() -> impl proptest::strategy::Strategy<Value = E> {
        proptest::sample::select(E::ALL.to_vec())
    }

    proptest::proptest! {
        /// Whatever happens to a request, in whatever order: illegal events change nothing,
        /// a final status never changes again, and a request that is not final can always
        /// still reach a final status in at most three moves (no request gets stuck).
        #[test]
        fn no_sequence_of_events_gets_a_request_stuck(
            events in proptest::collection::vec(any_event(), 0..40)
        ) {
            let mut status = S::Pending;
            for event in events {
                match status.after(event) {
                    Ok(next) => {
                        proptest::prop_assert!(!status.is_final());
                        proptest::prop_assert!(event.sources().contains(&status));
                        proptest::prop_assert_eq!(next, event.target());
                        status = next;
                    }
                    Err(illegal) => {
                        proptest::prop_assert_eq!(illegal, IllegalTransition { from: status, event });
                    }
                }
                let way_out = [
                    vec![E::Cancel],
                    vec![E::StartProvisioning, E::Succeed],
                    vec![E::Succeed],
                ]
                .into_iter()
                .any(|path| {
                    path.into_iter()
                        .try_fold(status, |at, event| at.after(event))
                        .is_ok_and(S::is_final)
                });
                proptest::prop_assert!(status.is_final() || way_out, "{} is stuck", status);
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in S::ALL {
            assert_eq!(status.as_str().parse::<S>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).expect("json"),
                format!("\"{status}\"")
            );
        }
        assert_eq!("Pending".parse::<S>(), Err(UnknownStatus("Pending".into())));
    }

    #[test]
    fn a_workers_name_is_told_apart_from_a_persons() {
        let worker = worker_actor("portal-7d9f-abcde", 31198, 0xabaca9c0);
        assert_eq!(worker, "portal-7d9f-abcde/31198/abaca9c0");
        assert!(is_worker_actor(&worker));
        for person in [
            "alice@example.com",
            "root",
            "a/b",
            "x/12/abc",
            "/1/abaca9c0",
            "h/x1/abaca9c0",
        ] {
            assert!(!is_worker_actor(person), "{person}");
        }
    }
}
