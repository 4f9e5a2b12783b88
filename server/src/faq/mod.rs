//! The FAQ knowledge base behind the app's [`Faq`] port.
//!
//! At start-up the entries are read (the shipped ones compiled in, plus the operator's folder),
//! checked, rendered from Markdown and indexed; a [`FaqLibrary`] then answers browsing, entry and
//! search requests from memory. [`FaqService`] adds what needs the database: "Was this helpful?"
//! votes and the record of searches that found nothing.

/// Entry files: front matter, the shipped entries and the operator's folder.
pub mod content;
/// Markdown → safe HTML and plain text.
pub mod markdown;
/// The tantivy index and its queries.
pub mod search;
/// The platform's words for what readers call something else.
mod synonyms;
mod text;

use crate::config::Config;
use crate::store::{FaqStore, StoreError};
use anyhow::Context;
use app::{
    features::faq::model::{
        BodyBlock, Category, Entry, EntrySummary, FaqApiError, Helpfulness, Hit, Overview, Report,
        SearchResults, Unanswered, VoteOutcome,
    },
    features::faq::pointers::{self, QueryKind},
    ports::{Faq, VoterId},
};
use async_trait::async_trait;
use content::Document;
use search::{IndexedEntry, SearchIndex};
use semver::Version;
use std::{collections::BTreeMap, sync::Arc, time::Instant};

/// How many results a search returns.
pub const RESULTS: usize = 10;
/// How many unanswered searches the report lists.
const REPORT_UNANSWERED: u32 = 100;
/// The share of a query's words the first hit must contain to count as answering it; below
/// it, the hits are offered as the closest entries and the query is recorded as unanswered.
const MIN_COVERAGE: f32 = 0.5;
/// Unanswered searches are recorded lower-cased and at most this long.
pub const MAX_RECORDED_QUERY: usize = 200;

/// One entry as the library keeps it.
#[derive(Debug)]
struct Record {
    summary: EntrySummary,
    questions: Vec<String>,
    tags: Vec<String>,
    errors: Vec<String>,
    body: Vec<BodyBlock>,
    related: Vec<String>,
    applies: bool,
}

/// Every entry, rendered and indexed, for one platform version.
#[derive(Debug)]
pub struct FaqLibrary {
    entries: BTreeMap<String, Record>,
    index: SearchIndex,
    platform_version: Option<Version>,
    /// The categories with their entries, sorted once: the library never changes.
    overview: Overview,
}

impl FaqLibrary {
    /// Renders and indexes `documents`. With a platform version, the entries whose
    /// `platform_versions` exclude it are left out of browsing and search.
    pub fn build(
        documents: Vec<Document>,
        platform_version: Option<Version>,
    ) -> anyhow::Result<Self> {
        let mut entries = BTreeMap::new();
        let mut texts = Vec::new();
        for document in documents {
            let rendered = markdown::render(&document.body);
            let applies = match (&platform_version, &document.platform_versions) {
                (Some(version), Some((_, range))) => range.matches(version),
                _ => true,
            };
            let record = Record {
                summary: EntrySummary {
                    slug: document.slug.clone(),
                    title: document.title,
                    category: document.category,
                    versions: document.platform_versions.map(|(text, _)| text),
                },
                questions: document.questions,
                tags: document.tags,
                errors: document.errors,
                body: rendered.blocks,
                related: document.related,
                applies,
            };
            if applies {
                texts.push((document.slug.clone(), rendered.text));
            }
            entries.insert(document.slug, record);
        }
        let index = SearchIndex::build(texts.iter().filter_map(|(slug, body)| {
            let record = entries.get(slug)?;
            Some(IndexedEntry {
                slug,
                title: &record.summary.title,
                questions: &record.questions,
                tags: &record.tags,
                errors: &record.errors,
                body,
            })
        }))
        .context("could not build the FAQ search index")?;
        let overview = overview(&entries, platform_version.as_ref());
        Ok(Self {
            entries,
            index,
            platform_version,
            overview,
        })
    }

    /// The shipped entries plus those in the configured folder, for the configured version.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let started = Instant::now();
        let builtin = content::builtin()?;
        let operator = match &config.faq_dir {
            Some(dir) => content::from_dir(dir)?,
            None => Vec::new(),
        };
        let added = operator.len();
        let documents = content::merge(builtin, operator)?;
        let library = Self::build(documents, config.platform_version()?)?;
        tracing::info!(
            entries = library.entries.len(),
            searchable = library.index.len(),
            from_faq_dir = added,
            elapsed_ms = started.elapsed().as_millis(),
            "FAQ loaded and indexed"
        );
        Ok(library)
    }

    pub fn contains(&self, slug: &str) -> bool {
        self.entries.contains_key(slug)
    }

    pub fn overview(&self) -> Overview {
        self.overview.clone()
    }

    pub fn entry(&self, slug: &str) -> Option<Entry> {
        let record = self.entries.get(slug)?;
        Some(Entry {
            summary: record.summary.clone(),
            tags: record.tags.clone(),
            errors: record.errors.clone(),
            body: record.body.clone(),
            related: record
                .related
                .iter()
                .filter_map(|slug| self.entries.get(slug))
                .filter(|related| related.applies)
                .map(|related| related.summary.clone())
                .collect(),
            does_not_apply_to: (!record.applies)
                .then(|| self.platform_version.as_ref().map(ToString::to_string))
                .flatten(),
        })
    }

    /// The most relevant entries for `query`, and whether the first answers it well. Never
    /// fails: an index error (which would be a bug, the index is in memory) is logged and reads
    /// as "nothing found".
    pub fn search(&self, query: &str) -> SearchResults {
        let found = match self.index.search(query, RESULTS) {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(error = %error, "FAQ search failed");
                search::Found::default()
            }
        };
        let kind = pointers::classify(query);
        // A pasted error some entry lists is answered by that entry. Otherwise the best entry
        // must contain most of what was asked; and no entry answers a pasted manifest.
        let answered = !found.hits.is_empty()
            && (found.pasted_error
                || (found.coverage >= MIN_COVERAGE && kind != Some(QueryKind::Manifest)));
        SearchResults {
            query: text::truncate_chars(query.trim(), search::MAX_QUERY_CHARS).to_owned(),
            hits: found
                .hits
                .into_iter()
                .filter_map(|hit| {
                    let record = self.entries.get(&hit.slug)?;
                    Some(Hit {
                        entry: record.summary.clone(),
                        title: hit.title,
                        snippet: hit.snippet,
                    })
                })
                .collect(),
            answered,
            pointers: match kind {
                Some(kind) if !answered => pointers::pointers(kind),
                _ => Vec::new(),
            },
        }
    }

    /// Entries by helpfulness: least helpful first (what to improve), unvoted ones last.
    fn helpfulness(&self, tallies: &BTreeMap<String, (u64, u64)>) -> Vec<Helpfulness> {
        let mut rows: Vec<Helpfulness> = self
            .entries
            .values()
            .map(|record| {
                let (helpful, not_helpful) = tallies
                    .get(&record.summary.slug)
                    .copied()
                    .unwrap_or_default();
                Helpfulness {
                    entry: record.summary.clone(),
                    helpful,
                    not_helpful,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            let votes = |row: &Helpfulness| row.helpful + row.not_helpful;
            (votes(a) == 0)
                .cmp(&(votes(b) == 0))
                // a.helpful / votes(a) < b.helpful / votes(b), without division
                .then((a.helpful * votes(b)).cmp(&(b.helpful * votes(a))))
                .then(votes(b).cmp(&votes(a)))
                .then(a.entry.title.cmp(&b.entry.title))
        });
        rows
    }
}

/// The categories with their entries (those that apply to the platform version), each sorted
/// by title.
fn overview(entries: &BTreeMap<String, Record>, platform_version: Option<&Version>) -> Overview {
    let mut categories: BTreeMap<&str, Vec<EntrySummary>> = BTreeMap::new();
    let mut hidden = 0;
    for record in entries.values() {
        if record.applies {
            categories
                .entry(&record.summary.category)
                .or_default()
                .push(record.summary.clone());
        } else {
            hidden += 1;
        }
    }
    Overview {
        categories: categories
            .into_iter()
            .map(|(name, mut entries)| {
                entries.sort_by(|a, b| a.title.cmp(&b.title));
                Category {
                    name: name.to_owned(),
                    entries,
                }
            })
            .collect(),
        platform_version: platform_version.map(ToString::to_string),
        hidden,
    }
}

/// A search as it is recorded when it found nothing: lower case, single spaces, at most
/// [`MAX_RECORDED_QUERY`] characters; `None` when it has no letters or digits at all.
pub fn recordable_query(query: &str) -> Option<String> {
    if !query.chars().any(char::is_alphanumeric) {
        return None;
    }
    let collapsed = query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    Some(text::truncate_chars(&collapsed, MAX_RECORDED_QUERY).to_owned())
}

/// How many searches [`FaqService`] remembers the results of.
const REMEMBERED_SEARCHES: usize = 128;
/// Longer queries (pasted manifests and logs) are searched every time: they rarely repeat.
const MAX_REMEMBERED_QUERY_BYTES: usize = 256;

/// The results of the latest searches, by query, oldest first out. The library never changes
/// while the portal runs, so a query always finds the same; searching, with its snippets, is
/// most of the cost of a results page (about 60 % of its instructions, callgrind).
#[derive(Debug, Default)]
struct RecentSearches {
    results: std::collections::HashMap<String, SearchResults>,
    order: std::collections::VecDeque<String>,
}

impl RecentSearches {
    fn remember(&mut self, query: &str, results: &SearchResults) {
        if self.results.contains_key(query) {
            return;
        }
        if self.order.len() >= REMEMBERED_SEARCHES
            && let Some(oldest) = self.order.pop_front()
        {
            self.results.remove(&oldest);
        }
        self.order.push_back(query.to_owned());
        self.results.insert(query.to_owned(), results.clone());
    }
}

/// The [`Faq`] port: the library, and the database for feedback.
#[derive(Debug, Clone)]
pub struct FaqService {
    library: Arc<FaqLibrary>,
    store: Arc<dyn FaqStore>,
    recent: Arc<std::sync::Mutex<RecentSearches>>,
}

impl FaqService {
    pub fn new(library: FaqLibrary, store: Arc<dyn FaqStore>) -> Self {
        Self {
            library: Arc::new(library),
            store,
            recent: Arc::default(),
        }
    }

    /// [`FaqLibrary::search`], remembering the latest short queries' results.
    fn search_library(&self, query: &str) -> SearchResults {
        if query.len() > MAX_REMEMBERED_QUERY_BYTES {
            return self.library.search(query);
        }
        let remembered = self
            .recent
            .lock()
            .ok()
            .and_then(|recent| recent.results.get(query).cloned());
        if let Some(results) = remembered {
            return results;
        }
        let results = self.library.search(query);
        if let Ok(mut recent) = self.recent.lock() {
            recent.remember(query, &results);
        }
        results
    }

    fn known(&self, slug: &str) -> Result<(), FaqApiError> {
        if self.library.contains(slug) {
            Ok(())
        } else {
            Err(FaqApiError::UnknownEntry(
                text::truncate_chars(slug, 100).to_owned(),
            ))
        }
    }
}

/// Logs a store error with its cause, and gives the browser only "not available".
fn unavailable(error: StoreError) -> FaqApiError {
    tracing::error!(error = %error, "the FAQ feedback store failed");
    FaqApiError::Unavailable
}

#[async_trait]
impl Faq for FaqService {
    fn overview(&self) -> Overview {
        self.library.overview()
    }

    fn entry(&self, slug: &str) -> Option<Entry> {
        self.library.entry(slug)
    }

    #[tracing::instrument(skip(self), fields(hits))]
    async fn search(&self, query: &str, record: bool) -> SearchResults {
        let results = self.search_library(query);
        tracing::Span::current().record("hits", results.hits.len());
        if record && !results.query.trim().is_empty() {
            crate::metrics::faq_search(results.answered);
        }
        let unanswered = (record && !results.answered)
            .then(|| recordable_query(&results.query))
            .flatten();
        if let Some(query) = unanswered {
            // Losing one record of an unanswered search is not worth failing the search for.
            if let Err(error) = self.store.record_unanswered_search(&query).await {
                tracing::warn!(error = %error, "could not record an unanswered FAQ search");
            }
        }
        results
    }

    #[tracing::instrument(skip(self, voter))]
    async fn vote(
        &self,
        slug: &str,
        voter: &VoterId,
        helpful: bool,
    ) -> Result<VoteOutcome, FaqApiError> {
        self.known(slug)?;
        self.store
            .record_faq_vote(slug, voter, helpful)
            .await
            .map_err(unavailable)
    }

    async fn vote_of(&self, slug: &str, voter: &VoterId) -> Result<Option<bool>, FaqApiError> {
        self.known(slug)?;
        self.store.faq_vote(slug, voter).await.map_err(unavailable)
    }

    #[tracing::instrument(skip(self))]
    async fn report(&self) -> Result<Report, FaqApiError> {
        let tallies = self
            .store
            .faq_vote_tallies()
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|tally| {
                let count = |n: i64| u64::try_from(n).unwrap_or_default();
                (tally.slug, (count(tally.helpful), count(tally.not_helpful)))
            })
            .collect();
        let unanswered = self
            .store
            .unanswered_searches(REPORT_UNANSWERED)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|search| Unanswered {
                query: search.query,
                count: u64::try_from(search.count).unwrap_or_default(),
                last_seen: search.last_seen.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
            .collect();
        Ok(Report {
            entries: self.library.helpfulness(&tallies),
            unanswered,
        })
    }
}

#[cfg(test)]
mod tests;
