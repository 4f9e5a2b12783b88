//! The ports: what the UI's server functions need from the outside world, as traits.
//!
//! The `server` crate implements them (SQLite and PostgreSQL stores, the Kubernetes client, the
//! identity provider) and hands one [`ServerContext`] to [`provide_server_context`], which both the
//! page renderer and the server-function handler call, so the two can never see different things.

use crate::AppConfig;
use crate::auth::CurrentUser;
use crate::domain::{IllegalTransition, NamespaceName, RequestEvent, RequestStatus};
use crate::features::faq::model::{
    Entry, FaqApiError, Overview, Report, SearchResults, VoteOutcome,
};
use crate::features::namespaces::model::{
    FormOptions, NamespaceRequest, QueueFilter, QueuePage, RequestDetail, RequestError, RequestForm,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leptos::prelude::{provide_context, use_context};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt, sync::Arc};

/// An error from a store. Its message is for logs: it may name tables or hosts, so server
/// functions map it to a safe message before anything reaches the browser.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or failed while answering.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The input breaks a rule the database enforces (a limit, a unique name …).
    #[error("rejected by the database: {0}")]
    Rejected(String),
}

/// One line of the append-only audit trail, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// Who did it: a username, or `portal` for the portal's own background work.
    pub actor: String,
    /// What happened, for example `namespace_request.approved`.
    pub action: String,
    /// What it happened to, for example `namespace_request/42`.
    pub subject: String,
    /// Free-form detail (a reason, a comment, an error message).
    pub detail: String,
}

/// An audit event about to be recorded; the store assigns its id and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Which audit events to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub subject: Option<String>,
    /// Only events whose action starts with this (`namespace_request.` for all of them).
    pub action_prefix: Option<String>,
    /// Only events with an id below this one (keyset pagination).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The portal's own persistent state. One implementation per database backend.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// Appends an event to the audit trail and returns it as stored.
    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<AuditEvent, StoreError>;
    /// Lists audit events, newest first.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
}

/// A namespace request about to be stored. The service has checked every field; the store
/// enforces the rules only the database can (one open request per name, the per-user limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNamespaceRequest {
    pub name: NamespaceName,
    pub requester: String,
    pub purpose: String,
    /// Sorted and without duplicates.
    pub groups: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

/// Why the store refused to create or change a namespace request.
#[derive(Debug, thiserror::Error)]
pub enum RequestStoreError {
    /// Another open request holds the name (the unique index on open names said so).
    #[error("another open request holds the name {0}")]
    NameTaken(String),
    /// The requester already has this many open requests.
    #[error("the requester already has {0} open requests")]
    TooManyOpen(u32),
    #[error("no such request")]
    NotFound,
    /// The request is not in the status the event needs (someone else acted first).
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Provisioning finished, but another process holds the claim now.
    #[error("the claim on the request was lost")]
    ClaimLost,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which namespace requests the admin queue lists: pending first, then oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    pub status: Option<RequestStatus>,
    pub group: Option<String>,
    /// A substring of the name.
    pub name: Option<String>,
    /// Keyset: start after this `(rank, id)`; rank 0 is pending, 1 everything else.
    pub after: Option<(i64, i64)>,
    pub limit: u32,
}

/// Namespace requests in the database. Every status change is a compare-and-set that records
/// its audit event in the same transaction, so history and state never disagree.
#[async_trait]
pub trait NamespaceRequestStore: Send + Sync + fmt::Debug {
    /// Stores a pending request (and its `created` event), unless another open request holds the
    /// name or the requester already has `max_open` open requests.
    async fn create_namespace_request(
        &self,
        new: &NewNamespaceRequest,
        max_open: u32,
    ) -> Result<NamespaceRequest, RequestStoreError>;
    async fn namespace_request(&self, id: i64) -> Result<Option<NamespaceRequest>, StoreError>;
    /// The requester's requests, newest first.
    async fn namespace_requests_of(
        &self,
        requester: &str,
        limit: u32,
    ) -> Result<Vec<NamespaceRequest>, StoreError>;
    /// The open request that holds `name`, if any.
    async fn open_request_for_name(&self, name: &str) -> Result<Option<i64>, StoreError>;
    /// How many of the requester's requests are still open (they hold a name).
    async fn open_namespace_requests(&self, requester: &str) -> Result<u32, StoreError>;
    /// One page of the admin queue and the cursor of the next, if any.
    async fn namespace_request_queue(
        &self,
        query: &QueueQuery,
    ) -> Result<(Vec<NamespaceRequest>, Option<(i64, i64)>), StoreError>;
    /// Applies `event` if the request is in [`RequestEvent::source`] now (compare-and-set) and
    /// records `actor` and `detail` in the audit trail. `Reject` stores `detail` as the reason;
    /// `Approve` and `Reject` record the actor as the decider; `Retry` leaves the request
    /// unclaimed for the next provisioning pass.
    async fn transition_namespace_request(
        &self,
        id: i64,
        event: RequestEvent,
        actor: &str,
        detail: &str,
    ) -> Result<NamespaceRequest, RequestStoreError>;
    /// Claims the oldest request that needs provisioning for `worker` until `now_ms + lease_ms`
    /// (Unix milliseconds): an approved one (which becomes provisioning), or a provisioning one
    /// that nobody holds (retried) or whose claim ran out (its process died). Replicas never get
    /// the same request while a claim holds.
    async fn claim_namespace_request(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<NamespaceRequest>, StoreError>;
    /// Ends `worker`'s provisioning of the request: ready, or failed with `Err(reason)`.
    async fn finish_namespace_request(
        &self,
        id: i64,
        worker: &str,
        outcome: Result<(), String>,
    ) -> Result<NamespaceRequest, RequestStoreError>;
}

/// Namespace requests as the pages use them: every rule about who may do what is here, in the
/// server's implementation, so the server functions are thin adapters.
#[async_trait]
pub trait Namespaces: Send + Sync + fmt::Debug {
    /// What the request form offers this user.
    async fn form_options(&self, user: &CurrentUser) -> Result<FormOptions, RequestError>;
    /// Checks and stores a request from `user`.
    async fn submit(
        &self,
        user: &CurrentUser,
        form: RequestForm,
    ) -> Result<NamespaceRequest, RequestError>;
    /// Checks a form as [`Namespaces::submit`] would, without storing anything: the form page
    /// uses it to show why a posted form was refused.
    async fn validate(&self, user: &CurrentUser, form: RequestForm) -> Result<(), RequestError>;
    /// The user's own requests, newest first.
    async fn mine(&self, user: &CurrentUser) -> Result<Vec<NamespaceRequest>, RequestError>;
    /// One request with its timeline and manifests. `NotFound` also when the user may not see
    /// it (neither the requester nor an administrator), so ids leak nothing.
    async fn detail(&self, user: &CurrentUser, id: i64) -> Result<RequestDetail, RequestError>;
    /// The requester withdraws a pending request.
    async fn cancel(&self, user: &CurrentUser, id: i64) -> Result<NamespaceRequest, RequestError>;
    /// An administrator approves a pending request; provisioning starts at once.
    async fn approve(&self, admin: &CurrentUser, id: i64)
    -> Result<NamespaceRequest, RequestError>;
    /// An administrator rejects a pending request with a comment for the requester.
    async fn reject(
        &self,
        admin: &CurrentUser,
        id: i64,
        comment: &str,
    ) -> Result<NamespaceRequest, RequestError>;
    /// An administrator retries a failed provisioning.
    async fn retry(&self, admin: &CurrentUser, id: i64) -> Result<NamespaceRequest, RequestError>;
    /// One page of the administrators' queue.
    async fn queue(
        &self,
        admin: &CurrentUser,
        filter: QueueFilter,
    ) -> Result<QueuePage, RequestError>;
    /// The namespace names of these requests (for the audit trail); ids that name no request
    /// are left out.
    async fn request_names(
        &self,
        admin: &CurrentUser,
        ids: &[i64],
    ) -> Result<std::collections::BTreeMap<i64, String>, RequestError>;
}

/// Who gave a "Was this helpful?" answer, so each reader has one vote per entry. A logged-in
/// reader is their user ([`VoterId::user`]), the same in every session and browser; an
/// anonymous reader is a random UUID kept in a cookie ([`VoterId::random`], read back with
/// [`VoterId::parse`]). Only these constructors make one, so the store never sees anything but
/// `UUID` or `user:UUID`, at most 41 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterId(String);

impl VoterId {
    /// The prefix of ids that stand for a logged-in user.
    const USER_PREFIX: &str = "user:";
    /// The UUID namespace that turns usernames into ids (fixed: changing it would split every
    /// user's earlier votes from their new ones).
    const USER_NAMESPACE: uuid::Uuid =
        uuid::Uuid::from_u128(0x6f1c_6a7e_5b0e_4d4b_9a56_0c1f_2e3d_4b5a);

    /// A new anonymous reader.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// The logged-in user `username`: `user:` and a name-based (v5) UUID of the username, so
    /// the id has a fixed length whatever the username claim holds (an e-mail address can be
    /// long) and the votes table stores no names.
    pub fn user(username: &str) -> Self {
        let id = uuid::Uuid::new_v5(&Self::USER_NAMESPACE, username.as_bytes());
        Self(format!("{}{}", Self::USER_PREFIX, id.hyphenated()))
    }

    /// The anonymous id in a cookie's value, or `None` when it is not one of ours. A user's id
    /// is never accepted from a cookie, so nobody can vote as someone else.
    pub fn parse(value: &str) -> Option<Self> {
        uuid::Uuid::try_parse(value)
            .ok()
            .map(|id| Self(id.hyphenated().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this id stands for a logged-in user.
    pub fn is_user(&self) -> bool {
        self.0.starts_with(Self::USER_PREFIX)
    }
}

/// The vote counts of one FAQ entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteTally {
    pub slug: String,
    pub helpful: i64,
    pub not_helpful: i64,
}

/// A FAQ search that found nothing, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnansweredSearch {
    pub query: String,
    pub count: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// What the FAQ keeps in the database: helpfulness votes and searches that found nothing.
/// One implementation per database backend, beside [`Store`].
#[async_trait]
pub trait FaqStore: Send + Sync + fmt::Debug {
    /// Records `voter`'s answer for the entry `slug`; a second vote replaces the first.
    async fn record_faq_vote(
        &self,
        slug: &str,
        voter: &VoterId,
        helpful: bool,
    ) -> Result<VoteOutcome, StoreError>;
    /// `voter`'s current answer for `slug`, if any.
    async fn faq_vote(&self, slug: &str, voter: &VoterId) -> Result<Option<bool>, StoreError>;
    /// The vote counts of every entry that has votes.
    async fn faq_vote_tallies(&self) -> Result<Vec<VoteTally>, StoreError>;
    /// Counts one more search for `query` (already normalised) that found nothing.
    async fn record_unanswered_search(&self, query: &str) -> Result<(), StoreError>;
    /// The unanswered searches, most frequent first (then most recent).
    async fn unanswered_searches(&self, limit: u32) -> Result<Vec<UnansweredSearch>, StoreError>;
}

/// The FAQ knowledge base: its entries, search, and readers' feedback. The server implements it
/// over its search index and a [`FaqStore`].
#[async_trait]
pub trait Faq: Send + Sync + fmt::Debug {
    /// The categories and the entries that apply to this platform.
    fn overview(&self) -> Overview;
    /// One entry by its slug, whether or not it applies to this platform.
    fn entry(&self, slug: &str) -> Option<Entry>;
    /// Searches the entries that apply to this platform, most relevant first. Never fails: any
    /// text is a valid query. With `record`, a query that finds nothing is kept for the report.
    async fn search(&self, query: &str, record: bool) -> SearchResults;
    /// Records a "Was this helpful?" answer.
    async fn vote(
        &self,
        slug: &str,
        voter: &VoterId,
        helpful: bool,
    ) -> Result<VoteOutcome, FaqApiError>;
    /// The reader's current answer for an entry.
    async fn vote_of(&self, slug: &str, voter: &VoterId) -> Result<Option<bool>, FaqApiError>;
    /// Helpfulness of every entry, and the searches that found nothing.
    async fn report(&self) -> Result<Report, FaqApiError>;
}

/// What the FAQ's server functions reach.
#[derive(Clone, Debug)]
pub struct FaqContext {
    pub faq: Arc<dyn Faq>,
    /// Give cookies the `Secure` attribute (the portal is served over HTTPS).
    pub secure_cookies: bool,
}

/// One IdP group as recorded at login, for the administrators' "groups nobody carries".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenGroup {
    pub name: String,
    pub last_seen: DateTime<Utc>,
}

/// The IdP groups users carried when they logged in. One implementation per database backend.
#[async_trait]
pub trait SeenGroupStore: Send + Sync + fmt::Debug {
    /// Records that a user carrying `groups` just logged in.
    async fn record_seen_groups(&self, groups: &[String]) -> Result<(), StoreError>;
    /// Every group ever recorded, by name.
    async fn seen_groups(&self) -> Result<Vec<SeenGroup>, StoreError>;
}

/// The portal's in-memory copy of who has access, kept current by watching the cluster, so a
/// page never waits for the API server.
pub trait AccessView: Send + Sync + fmt::Debug {
    /// The latest state read (empty before the first read, or without a cluster).
    fn snapshot(&self) -> Arc<crate::domain::access::AccessSnapshot>;
    /// How current that state is.
    fn cluster_status(&self) -> crate::features::access::model::ClusterStatus;
    /// The RoleBinding every user namespace should have (`workload-admin`).
    fn primary_binding(&self) -> String;
}

/// What the access pages' server functions reach.
#[derive(Clone, Debug)]
pub struct AccessContext {
    pub view: Arc<dyn AccessView>,
    pub seen_groups: Arc<dyn SeenGroupStore>,
}

/// Everything a server function may reach, handed in by the server at start-up.
#[derive(Clone, Debug)]
pub struct ServerContext {
    pub config: AppConfig,
    pub store: Arc<dyn Store>,
    /// Origins besides the portal's own that forms may submit to (the identity provider, where
    /// logout continues), for the Content-Security-Policy's `form-action`.
    pub form_action_origins: Vec<String>,
    pub faq: FaqContext,
    pub namespaces: Arc<dyn Namespaces>,
    pub access: AccessContext,
}

/// The portal's one Content-Security-Policy, for pages and every other response alike: scripts
/// (and their WebAssembly), styles, images and connections from the portal only; no plugins,
/// frames or `<base>`; forms submit to the portal and to `form_action_origins` (the identity
/// provider, where logout continues). A rendered page names the nonce of its one inline script,
/// Leptos's hydration.
pub fn content_security_policy(
    script_nonce: Option<&str>,
    form_action_origins: &[String],
) -> String {
    let nonce = script_nonce
        .map(|nonce| format!(" 'nonce-{nonce}'"))
        .unwrap_or_default();
    let form_action: String = form_action_origins
        .iter()
        .map(|origin| format!(" {origin}"))
        .collect();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'{form_action}"
    )
}

/// Makes the server context available to the component tree and to server functions, and gives
/// the page a Content-Security-Policy that admits only the portal's own scripts plus the one
/// inline hydration script carrying this response's nonce.
pub fn provide_server_context(context: &ServerContext) {
    provide_context(context.config.clone());
    provide_context(context.store.clone());
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let policy =
            content_security_policy(Some(&nonce.to_string()), &context.form_action_origins);
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    provide_context(context.faq.clone());
    provide_context(context.namespaces.clone());
    provide_context(context.access.clone());
}

/// The namespace requests, from inside a server function.
pub fn use_namespaces() -> Option<Arc<dyn Namespaces>> {
    use_context::<Arc<dyn Namespaces>>()
}

/// The store, from inside a server function. An internal error if the server forgot to provide it.
pub fn use_store() -> Option<Arc<dyn Store>> {
    use_context::<Arc<dyn Store>>()
}

/// The FAQ, from inside a server function. `None` if the server forgot to provide it.
pub fn use_faq() -> Option<FaqContext> {
    use_context::<FaqContext>()
}

/// The access view, from inside a server function. `None` if the server forgot to provide it.
pub fn use_access() -> Option<AccessContext> {
    use_context::<AccessContext>()
}

#[cfg(test)]
mod tests {
    use super::VoterId;

    #[test]
    fn a_users_voter_id_is_the_same_every_time_and_differs_between_users() {
        let alice = VoterId::user("alice");
        assert_eq!(alice, VoterId::user("alice"));
        assert_ne!(alice, VoterId::user("bob"));
        assert_ne!(alice, VoterId::user("Alice"));
        assert!(alice.is_user());
        assert!(alice.as_str().starts_with("user:"), "{}", alice.as_str());
    }

    #[test]
    fn a_users_voter_id_fits_the_votes_table_however_long_the_name() {
        // The votes table allows 1 to 64 characters.
        for name in ["", "a", &"very-long.name@".repeat(40), "ünïcødé 名前"] {
            let id = VoterId::user(name);
            assert_eq!(id.as_str().len(), 41, "{name:?}: {}", id.as_str());
        }
    }

    #[test]
    fn only_anonymous_ids_are_read_from_a_cookie() {
        let anonymous = VoterId::random();
        assert!(!anonymous.is_user());
        assert_eq!(VoterId::parse(anonymous.as_str()), Some(anonymous));
        let alice = VoterId::user("alice");
        assert_eq!(
            VoterId::parse(alice.as_str()),
            None,
            "nobody votes as alice"
        );
        for bad in [
            "",
            "user:alice",
            "not-a-uuid",
            "'; DROP TABLE faq_votes; --",
        ] {
            assert_eq!(VoterId::parse(bad), None, "{bad:?}");
        }
    }
}
