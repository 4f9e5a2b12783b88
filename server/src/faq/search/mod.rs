//! Full-text search over the FAQ: a tantivy index in memory, built once at start-up.
//!
//! Queries are never parsed as query syntax. The text is run through the same analyzer as the
//! entries (words, lower case, stop words removed, English stems) and the query is assembled from
//! those words, so quotes, colons, brackets, `AND` or `*` are just characters and no input can be
//! a syntax error. On top of BM25 over title, tags, error messages and body:
//!
//! - **typos**: a word the index does not know is replaced by the known words within edit
//!   distance 1 (words of 4+ characters; a swap of two letters counts as one edit) or, when
//!   there are none, 2 (words of 8+), found by walking the term dictionary with a Levenshtein
//!   automaton;
//! - **as you type**: the last word, when the index does not know it and the query does not end in
//!   a space or punctuation, also matches the words it begins;
//! - **pasted errors**: every error message an entry answers is also kept as normalised text
//!   (lower case, punctuation as spaces) in an Aho-Corasick automaton. A query that *contains*
//!   one of them puts that entry first, so pasting a whole log line finds its answer.
//!
//! Highlights come from the words actually searched for (including typo and prefix expansions)
//! and travel as [`TextPart`]s, never as HTML.

mod highlight;
mod query;
mod words;

use super::synonyms::Synonyms;
use super::text::{normalise, truncate_chars};
use aho_corasick::{AhoCorasick, MatchKind};
use app::features::faq::model::TextPart;
use highlight::*;
use std::collections::{BTreeMap, HashMap};
use tantivy::{
    DocAddress, DocId, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher,
    TantivyDocument, Term,
    collector::TopDocs,
    query::{
        BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur,
        Query, TermQuery,
    },
    schema::{FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions},
    snippet::SnippetGenerator,
    tokenizer::{
        Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
        TextAnalyzer, TokenStream,
    },
};
pub use words::analyzer;
use words::*;

/// The longest query text searched; the rest of a very long paste is ignored.
pub const MAX_QUERY_CHARS: usize = 2_000;
/// The most distinct words of one query that are looked at …
const MAX_QUERY_WORDS: usize = 32;
/// … and the most known words searched for: the rarest ones, which tell entries apart. Common
/// words add little to a score but a lot of work, and a pasted log line has dozens of them.
const MAX_SEARCHED_WORDS: usize = 12;
/// The most index words one mistyped or unfinished word expands to.
const MAX_EXPANSIONS: usize = 6;
/// The most unknown words of one query looked up with typo tolerance. Building a Levenshtein
/// automaton is the most expensive step of a search; a real query has a typo or two, and a
/// long paste full of unknown words (log lines, ids) would otherwise cost milliseconds.
const MAX_FUZZY_WORDS: usize = 4;
/// Error messages shorter than this (normalised) are too generic to pin an entry to the top.
const MIN_ERROR_CHARS: usize = 8;
/// Snippet length in characters.
const SNIPPET_CHARS: usize = 180;
const TOKENIZER: &str = "faq";

/// How much a match in each field counts, relative to the body.
const TITLE_BOOST: Score = 3.0;
const QUESTIONS_BOOST: Score = 2.5;
const ERRORS_BOOST: Score = 2.0;
const TAGS_BOOST: Score = 2.0;
const BODY_BOOST: Score = 1.0;
/// How much a word found by typo tolerance or as a prefix counts, relative to an exact word.
const FUZZY_WEIGHT: Score = 0.5;
const PREFIX_WEIGHT: Score = 0.7;
/// How many of the best-scoring entries are reordered by their closest question …
const RERANKED: usize = 20;
/// … and how much a question that says exactly what the reader said multiplies the score by
/// (1 + this).
const QUESTION_MATCH_WEIGHT: Score = 2.0;
/// How much a word the synonym table added counts, relative to the reader's own words.
const SYNONYM_WEIGHT: Score = 0.6;
/// The most words the synonym table adds to one query.
const MAX_SYNONYM_WORDS: usize = 10;
/// How much the fields other than a word's best one add to its score (0: only the best field
/// counts; 1: every field adds up, as separate clauses would).
const FIELD_TIE_BREAKER: Score = 0.3;
/// The score an entry gets when the query contains one of its error messages: more than any
/// word-based score can reach, so the entry that answers a pasted error comes first.
const ERROR_MATCH_SCORE: Score = 1_000.0;
/// Per character of the longest error message an entry's query contains: when a paste holds
/// the messages of several entries, the most specific one comes first, whatever else matched.
const ERROR_TIER: Score = 1_000_000.0;

/// What the index needs of one entry.
#[derive(Debug, Clone, Copy)]
pub struct IndexedEntry<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    /// The questions the entry answers, as readers word them.
    pub questions: &'a [String],
    pub tags: &'a [String],
    pub errors: &'a [String],
    /// The body as plain text, code blocks included.
    pub body: &'a str,
}

/// What [`SearchIndex::search`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// Best first.
    pub hits: Vec<RawHit>,
    /// The share (0 to 1) of the query's searched words that the first hit contains.
    pub coverage: Score,
    /// Whether the query contains an error message some entry lists.
    pub pasted_error: bool,
}

/// One result of [`SearchIndex::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawHit {
    pub slug: String,
    pub score: Score,
    pub title: Vec<TextPart>,
    pub snippet: Vec<TextPart>,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    ord: Field,
    title: Field,
    questions: Field,
    tags: Field,
    errors: Field,
    body: Field,
}

impl Fields {
    fn searched(&self) -> [(Field, Score); 5] {
        [
            (self.title, TITLE_BOOST),
            (self.questions, QUESTIONS_BOOST),
            (self.errors, ERRORS_BOOST),
            (self.tags, TAGS_BOOST),
            (self.body, BODY_BOOST),
        ]
    }
}

/// What is kept beside the index to build results: slug, title and body text by ordinal.
#[derive(Debug)]
struct StoredEntry {
    slug: String,
    title: String,
    body: String,
    /// The title and each question, as the distinct ids (in [`SearchIndex::word_ids`]) of
    /// their analysed words.
    questions: Vec<Vec<u32>>,
}

/// The in-memory search index of a set of entries.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    entries: Vec<StoredEntry>,
    /// Per segment, per document: the entry's ordinal in `entries`.
    ordinals: Vec<Vec<u32>>,
    /// Every indexed word with the number of (entry, field) pairs it occurs in, read once from
    /// the term dictionaries: deciding which query words are known and rarest is then a hash
    /// lookup per word instead of a dictionary search per word and field.
    frequencies: HashMap<String, u64>,
    /// Every analysed word (stem) with the spellings it has in the entries ("run" → "run",
    /// "running", "runs"), so snippets find matches by spelling, without stemming every word of
    /// every result's body at query time.
    spellings: HashMap<String, Vec<String>>,
    /// Normalised error messages (padded with spaces, so they match whole words only) …
    error_matcher: Option<AhoCorasick>,
    /// … and, per pattern, the entry ordinal it belongs to.
    error_owner: Vec<u64>,
    synonyms: Synonyms,
    /// Every analysed word of a title or question, with a small id: comparing a query with an
    /// entry's questions is then a comparison of integers.
    word_ids: HashMap<String, u32>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.entries.len())
            .field("error_patterns", &self.error_owner.len())
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Indexes `entries`. Fails only if tantivy does (it writes to memory, so in practice never).
    pub fn build<'a>(entries: impl IntoIterator<Item = IndexedEntry<'a>>) -> tantivy::Result<Self> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            ord: schema.add_u64_field("ord", INDEXED | FAST),
            title: schema.add_text_field("title", text.clone()),
            questions: schema.add_text_field(
                "questions",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(TOKENIZER)
                        .set_fieldnorms(false)
                        .set_index_option(IndexRecordOption::WithFreqs),
                ),
            ),
            tags: schema.add_text_field("tags", text.clone()),
            errors: schema.add_text_field("errors", text.clone()),
            body: schema.add_text_field("body", text),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(TOKENIZER, analyzer());
        // One thread, so the index is one segment and the build is deterministic; 50 MB keeps
        // 10 000 entries in memory without intermediate flushes.
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 50_000_000)?;

        let mut stored = Vec::new();
        let mut patterns = Vec::new();
        let mut error_owner = Vec::new();
        let mut spellings = Spellings::default();
        let mut word_ids = WordIds::default();
        for (ord, entry) in (0u64..).zip(entries) {
            spellings.add(entry.title);
            spellings.add(entry.body);
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.ord, ord);
            doc.add_text(fields.title, entry.title);
            for question in entry.questions {
                doc.add_text(fields.questions, question);
            }
            for tag in entry.tags {
                doc.add_text(fields.tags, tag);
            }
            for error in entry.errors {
                doc.add_text(fields.errors, error);
                let normalised = normalise(error);
                if normalised.chars().count() >= MIN_ERROR_CHARS {
                    patterns.push(format!(" {normalised} "));
                    error_owner.push(ord);
                }
            }
            doc.add_text(fields.body, entry.body);
            writer.add_document(doc)?;
            let questions = std::iter::once(entry.title)
                .chain(entry.questions.iter().map(String::as_str))
                .map(|question| word_ids.intern_all(question))
                .collect();
            stored.push(StoredEntry {
                slug: entry.slug.to_owned(),
                title: entry.title.to_owned(),
                body: entry.body.to_owned(),
                questions,
            });
        }
        writer.commit()?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut ordinals = Vec::new();
        let mut frequencies: HashMap<String, u64> = HashMap::new();
        for segment in reader.searcher().segment_readers() {
            for (field, _) in fields.searched() {
                let inverted = segment.inverted_index(field)?;
                let mut terms = inverted.terms().stream()?;
                while terms.advance() {
                    if let Ok(word) = std::str::from_utf8(terms.key()) {
                        *frequencies.entry(word.to_owned()).or_default() +=
                            u64::from(terms.value().doc_freq);
                    }
                }
            }
            let column = segment.fast_fields().u64("ord")?;
            ordinals.push(
                (0..segment.max_doc())
                    .map(|doc| {
                        column
                            .first(doc)
                            .and_then(|ord| u32::try_from(ord).ok())
                            .unwrap_or(u32::MAX)
                    })
                    .collect(),
            );
        }
        let error_matcher = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(|error| tantivy::TantivyError::InvalidArgument(error.to_string()))?,
            )
        };
        Ok(Self {
            reader,
            fields,
            analyzer: analyzer(),
            entries: stored,
            ordinals,
            frequencies,
            spellings: spellings.by_stem,
            error_matcher,
            error_owner,
            synonyms: Synonyms::new(&analyzer()),
            word_ids: word_ids.ids,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn stored(&self, segment: u32, doc: DocId) -> Option<&StoredEntry> {
        let ordinal = self.ordinal(segment, doc)?;
        self.entries.get(usize::try_from(ordinal).ok()?)
    }

    /// The ordinal in `entries` of a document of the index.
    fn ordinal(&self, segment: u32, doc: DocId) -> Option<u64> {
        let ordinal = *self
            .ordinals
            .get(usize::try_from(segment).ok()?)?
            .get(usize::try_from(doc).ok()?)?;
        Some(u64::from(ordinal))
    }
}

#[cfg(test)]
mod tests;
