//! What the FAQ pages need: the knowledge base and its readers' feedback.

use crate::features::faq::model::{
    Entry, FaqApiError, Overview, Report, SearchResults, VoteOutcome,
};
use async_trait::async_trait;
use std::{fmt, sync::Arc};

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
