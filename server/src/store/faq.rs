//! The FAQ feedback's storage (votes and searches that found nothing) and the rules its tables
//! share on both backends: limits checked before a value reaches
//! the database (so the caller learns which value is wrong, not a constraint name), and names.

use super::{StoreError, dialect::Unique};
use app::features::faq::model::VoteOutcome;
use app::ports::VoterId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;

/// Longest slug a vote may name; the same limit is a CHECK constraint in the schema.
pub(crate) const MAX_SLUG: usize = 100;
/// Longest unanswered query stored; the same limit is a CHECK constraint in the schema.
pub(crate) const MAX_QUERY: usize = 200;
/// How many distinct unanswered searches are kept. Anyone can search, so without a cap the
/// table could be filled with junk; once full, only searches already in it are counted.
pub(crate) const MAX_UNANSWERED_ROWS: i64 = 10_000;
/// The most rows one listing returns, whatever the caller asks for.
pub(crate) const MAX_PAGE: u32 = 500;
/// The unique constraint that keeps one vote per reader and entry. It is the only unique
/// constraint of `faq_votes`, so on SQLite (which names no constraint) the kind identifies it.
pub(crate) const ONE_VOTE_PER_VOTER: Unique = Unique {
    name: "faq_votes_one_per_voter",
    sqlite_columns: None,
};

pub(crate) fn check_slug(slug: &str) -> Result<(), StoreError> {
    let length = slug.chars().count();
    if length == 0 || length > MAX_SLUG || slug.contains('\0') {
        return Err(StoreError::Rejected(format!(
            "a FAQ slug must be 1 to {MAX_SLUG} characters without NUL, got {length}"
        )));
    }
    Ok(())
}

pub(crate) fn check_query(query: &str) -> Result<(), StoreError> {
    let length = query.chars().count();
    if length == 0 || length > MAX_QUERY || query.contains('\0') {
        return Err(StoreError::Rejected(format!(
            "an unanswered FAQ query must be 1 to {MAX_QUERY} characters without NUL, got {length}"
        )));
    }
    Ok(())
}

pub(crate) fn page_size(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE))
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
/// Implemented once over both backends (`sql/faq.rs`).
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
