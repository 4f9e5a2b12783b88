//! The FAQ's server functions. Each is an adapter: the guard where there is one, one call into
//! the [`crate::ports::Faq`] port, and typed errors that are safe to show.

use super::model::{
    Entry, FaqApiError, Overview, Report, SearchInput, SearchResults, VoteInput, VoteOutcome,
};
use leptos::prelude::*;

/// The categories and entries, for browsing.
#[server(endpoint = "faq/overview")]
pub async fn faq_overview() -> Result<Overview, FaqApiError> {
    Ok(super::server::faq()?.faq.overview())
}

/// One entry by its slug.
#[server(endpoint = "faq/entry")]
pub async fn faq_entry(slug: String) -> Result<Entry, FaqApiError> {
    super::server::faq()?
        .faq
        .entry(&slug)
        .ok_or_else(|| super::server::unknown(&slug))
}

/// Searches the FAQ; an empty query finds nothing.
#[server(endpoint = "faq/search")]
pub async fn search_faq(input: SearchInput) -> Result<SearchResults, FaqApiError> {
    Ok(super::server::faq()?
        .faq
        .search(&input.q, input.record)
        .await)
}

/// "Was this helpful?". The voter is the logged-in user, else the anonymous id in the
/// `portal_voter` cookie, which this sets when it is missing.
#[server(endpoint = "faq/vote")]
pub async fn vote_faq(input: VoteInput) -> Result<VoteOutcome, FaqApiError> {
    let context = super::server::faq()?;
    let voter = super::server::voter_or_issue(context.secure_cookies);
    context.faq.vote(&input.slug, &voter, input.helpful).await
}

/// The reader's answer to "Was this helpful?" for one entry, if they gave one.
#[server(endpoint = "faq/my-vote")]
pub async fn my_faq_vote(slug: String) -> Result<Option<bool>, FaqApiError> {
    let context = super::server::faq()?;
    match super::server::voter() {
        Some(voter) => context.faq.vote_of(&slug, &voter).await,
        // No vote yet from this reader, but an entry that does not exist is a mistake either way.
        None if context.faq.entry(&slug).is_none() => Err(FaqApiError::UnknownEntry(slug)),
        None => Ok(None),
    }
}

/// Helpfulness per entry and the searches that found nothing, for administrators.
#[server(endpoint = "faq/report")]
pub async fn faq_report() -> Result<Report, FaqApiError> {
    super::server::require_faq_admin()?.faq.report().await
}
