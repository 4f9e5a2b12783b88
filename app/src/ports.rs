//! The ports: what the UI's server functions need from the outside world, as traits.
//!
//! The `server` crate implements them (SQLite and PostgreSQL stores, the Kubernetes client, the
//! identity provider) and hands one [`ServerContext`] to [`provide_server_context`], which both the
//! page renderer and the server-function handler call, so the two can never see different things.

use crate::features::faq::model::{
    Entry, FaqApiError, Overview, Report, SearchResults, VoteOutcome,
};
use crate::shell::AppConfig;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leptos::prelude::{provide_context, use_context};
use serde::{Deserialize, Serialize};
use std::{fmt, sync::Arc};

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

/// The anonymous id of one FAQ reader (a random UUID kept in a cookie), so each reader has one
/// "Was this helpful?" vote per entry. Only ever made by [`VoterId::random`] or parsed back from
/// the cookie, so the store never sees anything but a well-formed UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterId(String);

impl VoterId {
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// The id in a cookie's value, or `None` when it is not one of ours.
    pub fn parse(value: &str) -> Option<Self> {
        uuid::Uuid::try_parse(value)
            .ok()
            .map(|id| Self(id.hyphenated().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
    /// Serve `/admin/faq` to anyone. Until the portal has a login this is the operator's choice
    /// (off by default); when login lands, the page's guard becomes "is an administrator".
    pub admin_public: bool,
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
    pub access: AccessContext,
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
        let form_action: String = context
            .form_action_origins
            .iter()
            .map(|origin| format!(" {origin}"))
            .collect();
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'; form-action 'self'{form_action}"
        );
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    provide_context(context.faq.clone());
    provide_context(context.access.clone());
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
