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

use super::synonyms::Synonyms;
use super::text::{normalise, truncate_chars};
use aho_corasick::{AhoCorasick, MatchKind};
use app::features::faq::model::TextPart;
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

/// The analyzer for entries and queries alike: words of letters and digits, at most 40
/// characters, lower case, without English stop words and question words, stemmed.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(stop_words()))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Lucene's English stop words, plus the words every question starts with and the pieces
/// tokenising leaves of contractions ("can't" → "can", "t"): they say nothing about which entry
/// answers a question, yet every title has them.
fn stop_words() -> Vec<String> {
    const WORDS: &[&str] = &[
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
        "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
        "these", "they", "this", "to", "was", "will", "with", // Lucene's list
        "why", "how", "what", "which", "where", "when", "who", "do", "does", "did", "doesn", "don",
        "can", "i", "me", "my", "we", "our", "you", "your", "s", "t", "m", "ll", "re", "ve", "d",
        "am", "been", "has", "have", "had", "isn", "aren", "won", "should", "would", "could",
        "its", "it's",
    ];
    WORDS.iter().map(|word| (*word).to_owned()).collect()
}

/// Words as snippets see them: lower case only. Matching is done against the spellings of the
/// searched stems (see [`SearchIndex::spellings`]), which is what makes snippets cheap.
fn spelling_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
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

    /// The `limit` most relevant entries for `query`, best first. Any text is a valid query; an
    /// empty one (or one of stop words only) finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> tantivy::Result<Found> {
        // Trailing space is kept: it says the last word is finished.
        let query = truncate_chars(query.trim_start(), MAX_QUERY_CHARS);
        let searcher = self.reader.searcher();
        let words = self.words(query);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Words to highlight (as the analyzer writes them), with a weight for snippet choice.
        let mut highlight: BTreeMap<String, Score> = BTreeMap::new();

        let last_is_unfinished = query.chars().last().is_some_and(char::is_alphanumeric);
        let counted = words.iter().enumerate().map(|(i, word)| {
            let frequency = self.frequencies.get(word).copied().unwrap_or_default();
            (i, word, frequency)
        });
        let (mut known, unknown): (Vec<_>, Vec<_>) =
            counted.partition(|(_, _, frequency)| *frequency > 0);
        known.sort_by_key(|(i, _, frequency)| (*frequency, *i));
        known.truncate(MAX_SEARCHED_WORDS);
        let mut fuzzy_words = 0;
        // Per searched word of the query, the spellings looked for: how much of the query the
        // best hit covers is measured on these.
        let mut searched: Vec<Vec<String>> = Vec::new();
        for (i, word, frequency) in known.into_iter().chain(unknown) {
            let mut variants = vec![(word.clone(), 1.0)];
            let known = frequency > 0;
            let length = word.chars().count();
            if !known && length >= 4 && fuzzy_words < MAX_FUZZY_WORDS {
                fuzzy_words += 1;
                // Nearest first: a distance-1 automaton is far cheaper to build than a
                // distance-2 one, and most typos are one edit (or one swap) away.
                let mut expansions = self.expand(&searcher, word, 1, false)?;
                if expansions.is_empty() && length >= 8 {
                    expansions = self.expand(&searcher, word, 2, false)?;
                }
                for expansion in expansions {
                    variants.push((expansion, FUZZY_WEIGHT));
                }
            }
            // A known word is taken as typed: expanding "run" to "runasnonroot" would only
            // crowd out the entries about running.
            if i + 1 == words.len() && last_is_unfinished && !known && length >= 3 {
                for expansion in self.expand(&searcher, word, 0, true)? {
                    variants.push((expansion, PREFIX_WEIGHT));
                }
            }
            let variants = dedup(variants);
            searched.push(variants.iter().map(|(word, _)| word.clone()).collect());
            for (variant, weight) in variants {
                clauses.push((Occur::Should, self.word_query(&variant, weight)));
                let entry = highlight.entry(variant).or_insert(0.0);
                *entry = entry.max(weight);
            }
        }
        // The entries' words for what the reader called something else.
        let aliases = self
            .synonyms
            .expand(query)
            .into_iter()
            .filter(|word| !words.contains(word) && self.frequencies.contains_key(word))
            .take(MAX_SYNONYM_WORDS)
            .collect::<Vec<_>>();
        for word in aliases.iter().cloned() {
            clauses.push((Occur::Should, self.word_query(&word, SYNONYM_WEIGHT)));
            highlight.entry(word).or_insert(SYNONYM_WEIGHT);
        }
        let pasted = self.errors_contained_in(query);
        for &(ord, length) in &pasted {
            let term = Term::from_field_u64(self.fields.ord, ord);
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    ERROR_MATCH_SCORE + length as Score,
                )),
            ));
        }
        if clauses.is_empty() || limit == 0 {
            return Ok(Found::default());
        }

        let candidates = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit.max(RERANKED)).order_by_score(),
        )?;
        let top = self.rerank(candidates, &searched, &aliases, limit);
        let mut spelled: BTreeMap<String, Score> = BTreeMap::new();
        for (stem, weight) in highlight {
            for spelling in self.spellings.get(&stem).into_iter().flatten() {
                spelled.insert(spelling.clone(), weight);
            }
        }
        let title_snippets = SnippetGenerator::new(
            spelled.clone(),
            spelling_analyzer(),
            self.fields.title,
            1_000,
        );
        let body_snippets = SnippetGenerator::new(
            spelled,
            spelling_analyzer(),
            self.fields.body,
            SNIPPET_CHARS,
        );
        let mut hits = Vec::with_capacity(top.len());
        for &(score, address) in &top {
            let Some(entry) = self.stored(address.segment_ord, address.doc_id) else {
                continue;
            };
            hits.push(RawHit {
                slug: entry.slug.clone(),
                score,
                title: whole_text_parts(&entry.title, &title_snippets),
                snippet: snippet_parts(&entry.body, &body_snippets),
            });
        }
        let coverage = match top.first() {
            Some((_, best)) => self.coverage(&searcher, *best, &searched, &aliases)?,
            None => 0.0,
        };
        Ok(Found {
            hits,
            coverage,
            pasted_error: !pasted.is_empty(),
        })
    }

    /// Reorders the best-scoring candidates by how closely one of their questions (or the title)
    /// matches the query, and keeps `limit` of them. Word scores add up over all of an entry's
    /// questions; this rewards the entry with *one* question that says what the reader said.
    fn rerank(
        &self,
        candidates: Vec<(Score, DocAddress)>,
        searched: &[Vec<String>],
        aliases: &[String],
        limit: usize,
    ) -> Vec<(Score, DocAddress)> {
        // Each searched word as the ids of its spellings, weighted by rarity; synonyms only
        // ever add.
        let total = self.entries.len().max(1) as Score;
        let weight = |word: &str| {
            let frequency = self.frequencies.get(word).copied().unwrap_or(1) as Score;
            (1.0 + total / frequency).ln()
        };
        let ids = |spellings: &mut dyn Iterator<Item = &String>| -> Vec<u32> {
            spellings
                .filter_map(|word| self.word_ids.get(word).copied())
                .collect()
        };
        let groups: Vec<(Vec<u32>, Score, bool)> = searched
            .iter()
            .filter_map(|spellings| {
                let weight = spellings.first().map(|word| weight(word))?;
                Some((ids(&mut spellings.iter()), weight, true))
            })
            .chain(aliases.iter().map(|alias| {
                (
                    ids(&mut std::iter::once(alias)),
                    weight(alias) * SYNONYM_WEIGHT,
                    false,
                )
            }))
            .collect();
        let asked: Score = groups
            .iter()
            .filter(|(_, _, own)| *own)
            .map(|(_, weight, _)| weight)
            .sum();
        let mut reranked: Vec<(Score, DocAddress)> = candidates
            .into_iter()
            .map(|(score, address)| {
                let closeness = self
                    .stored(address.segment_ord, address.doc_id)
                    .map(|entry| closest_question(&entry.questions, &groups, asked))
                    .unwrap_or(0.0);
                (score * (1.0 + QUESTION_MATCH_WEIGHT * closeness), address)
            })
            .collect();
        reranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        reranked.truncate(limit);
        reranked
    }

    /// The share of the query's searched words (any of their spellings) that the entry at
    /// `address` contains in some field. Words the synonym table added can stand in for one
    /// word of the reader's that no entry has ("okta" is covered by "group").
    fn coverage(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        searched: &[Vec<String>],
        aliases: &[String],
    ) -> tantivy::Result<Score> {
        if searched.is_empty() {
            return Ok(0.0);
        }
        let segment = searcher.segment_reader(address.segment_ord);
        let has = |word: &str| -> tantivy::Result<bool> {
            // A word no entry has (a log line's ids, a typo without a near word) is in no field.
            if !self.frequencies.contains_key(word) {
                return Ok(false);
            }
            for (field, _) in self.fields.searched() {
                let term = Term::from_field_text(field, word);
                let inverted = segment.inverted_index(field)?;
                // Postings start at their first document, and `seek` only moves forward.
                if let Some(mut postings) =
                    inverted.read_postings(&term, IndexRecordOption::Basic)?
                    && postings.doc() <= address.doc_id
                    && postings.seek(address.doc_id) == address.doc_id
                {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        let mut covered = 0usize;
        for spellings in searched {
            for spelling in spellings {
                if has(spelling)? {
                    covered += 1;
                    break;
                }
            }
        }
        if covered < searched.len() {
            for alias in aliases {
                if has(alias)? {
                    covered += 1;
                    break;
                }
            }
        }
        Ok(covered as Score / searched.len() as Score)
    }

    /// One word, in every searched field: the best field's score and a part of the others', so a
    /// word found in the title and the body counts once, more than a word found in the body alone.
    fn word_query(&self, word: &str, weight: Score) -> Box<dyn Query> {
        let fields: Vec<Box<dyn Query>> = self
            .fields
            .searched()
            .into_iter()
            .map(|(field, boost)| {
                let term = Term::from_field_text(field, word);
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    boost * weight,
                )) as Box<dyn Query>
            })
            .collect();
        Box::new(DisjunctionMaxQuery::with_tie_breaker(
            fields,
            FIELD_TIE_BREAKER,
        ))
    }

    /// The distinct analysed words of `query`, at most [`MAX_QUERY_WORDS`].
    fn words(&self, query: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(query);
        let mut words: Vec<String> = Vec::new();
        while let Some(token) = stream.next() {
            if !words.contains(&token.text) {
                words.push(token.text.clone());
                if words.len() == MAX_QUERY_WORDS {
                    break;
                }
            }
        }
        words
    }

    /// Index words within `distance` edits of `word` (or, with `prefix`, that begin with a word
    /// within that distance), in every searched field, excluding `word` itself.
    fn expand(
        &self,
        searcher: &Searcher,
        word: &str,
        distance: u8,
        prefix: bool,
    ) -> tantivy::Result<Vec<String>> {
        let mut found = Vec::new();
        // One automaton for every field and segment: building it is the expensive part.
        let term = Term::from_field_text(self.fields.title, word);
        let query = if prefix {
            FuzzyTermQuery::new_prefix(term, distance, true)
        } else {
            FuzzyTermQuery::new(term, distance, true)
        };
        let automaton = query.automaton()?;
        for (field, _) in self.fields.searched() {
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().search(&automaton).into_stream()?;
                while stream.advance() {
                    let Ok(text) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if text != word && !found.iter().any(|known: &String| known == text) {
                        found.push(text.to_owned());
                        if found.len() == MAX_EXPANSIONS {
                            return Ok(found);
                        }
                    }
                }
            }
        }
        Ok(found)
    }

    /// Entries one of whose error messages the query contains, with the longest such message's
    /// length (a longer message is a more specific match).
    fn errors_contained_in(&self, query: &str) -> Vec<(u64, usize)> {
        let Some(matcher) = &self.error_matcher else {
            return Vec::new();
        };
        let haystack = format!(" {} ", normalise(query));
        let mut best: HashMap<u64, usize> = HashMap::new();
        for found in matcher.find_overlapping_iter(&haystack) {
            if let Some(&ord) = self.error_owner.get(found.pattern().as_usize()) {
                let length = found.end() - found.start();
                let entry = best.entry(ord).or_insert(0);
                *entry = (*entry).max(length);
            }
        }
        let mut best: Vec<_> = best.into_iter().collect();
        best.sort_unstable();
        best
    }

    fn stored(&self, segment: u32, doc: DocId) -> Option<&StoredEntry> {
        let ordinal = *self
            .ordinals
            .get(usize::try_from(segment).ok()?)?
            .get(usize::try_from(doc).ok()?)?;
        self.entries.get(usize::try_from(ordinal).ok()?)
    }
}

/// How closely the closest of `questions` matches the query's word `groups` (ids of a word's
/// spellings, its weight, whether the reader typed it): the mean of the share of the query's
/// weight the question has and the share of the question's words the query has, 0 to 1.
fn closest_question(
    questions: &[Vec<u32>],
    groups: &[(Vec<u32>, Score, bool)],
    asked: Score,
) -> Score {
    if asked <= 0.0 {
        return 0.0;
    }
    questions
        .iter()
        .filter(|question| !question.is_empty())
        .map(|question| {
            let mut found = 0.0;
            let mut words_found = 0usize;
            for (ids, weight, _) in groups {
                if ids.iter().any(|id| question.contains(id)) {
                    found += weight;
                    words_found += 1;
                }
            }
            let of_query = (found / asked).min(1.0);
            let of_question = (words_found.min(question.len()) as Score) / question.len() as Score;
            (of_query + of_question) / 2.0
        })
        .fold(0.0, Score::max)
}

/// Gives every analysed word of titles and questions a small id.
#[derive(Default)]
struct WordIds {
    analyzer: Option<TextAnalyzer>,
    ids: HashMap<String, u32>,
}

impl WordIds {
    /// The distinct ids of `text`'s analysed words, new words getting new ids.
    fn intern_all(&mut self, text: &str) -> Vec<u32> {
        let analyzer = self.analyzer.get_or_insert_with(analyzer);
        let mut stream = analyzer.token_stream(text);
        let mut words = Vec::new();
        while let Some(token) = stream.next() {
            words.push(token.text.clone());
        }
        let mut found = Vec::new();
        for word in words {
            let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
            let id = *self.ids.entry(word).or_insert(next);
            if !found.contains(&id) {
                found.push(id);
            }
        }
        found
    }
}

/// Collects, while indexing, the spellings of every stem.
struct Spellings {
    analyzer: TextAnalyzer,
    spelling: TextAnalyzer,
    /// Spellings already seen (with their stem, or `None` for stop words).
    seen: HashMap<String, Option<String>>,
    by_stem: HashMap<String, Vec<String>>,
}

impl Default for Spellings {
    fn default() -> Self {
        Self {
            analyzer: analyzer(),
            spelling: spelling_analyzer(),
            seen: HashMap::new(),
            by_stem: HashMap::new(),
        }
    }
}

impl Spellings {
    fn add(&mut self, text: &str) {
        let mut stream = self.spelling.token_stream(text);
        while let Some(token) = stream.next() {
            if self.seen.contains_key(&token.text) {
                continue;
            }
            let mut stems = self.analyzer.token_stream(&token.text);
            let stem = stems.next().map(|stem| stem.text.clone());
            if let Some(stem) = &stem {
                self.by_stem
                    .entry(stem.clone())
                    .or_default()
                    .push(token.text.clone());
            }
            self.seen.insert(token.text.clone(), stem);
        }
    }
}

/// Keeps the first occurrence of each variant (the exact word comes first, with weight 1).
fn dedup(variants: Vec<(String, Score)>) -> Vec<(String, Score)> {
    let mut seen: Vec<(String, Score)> = Vec::with_capacity(variants.len());
    for (word, weight) in variants {
        if !seen.iter().any(|(known, _)| *known == word) {
            seen.push((word, weight));
        }
    }
    seen
}

/// `text` in full, with the words the generator looks for marked.
fn whole_text_parts(text: &str, generator: &SnippetGenerator) -> Vec<TextPart> {
    let snippet = generator.snippet(text);
    let offset = snippet.fragment_range().start;
    let ranges = snippet
        .highlighted()
        .iter()
        .map(|range| range.start + offset..range.end + offset);
    parts(text, ranges)
}

/// The best passage of `text` for the words the generator looks for, marked, with an ellipsis
/// where it was cut; the beginning of the text when none of the words occur in it.
fn snippet_parts(text: &str, generator: &SnippetGenerator) -> Vec<TextPart> {
    let snippet = generator.snippet(text);
    if snippet.is_empty() {
        let start = truncate_chars(text, SNIPPET_CHARS);
        let mut parts = vec![plain(start)];
        if start.len() < text.len() {
            parts.push(plain("…"));
        }
        return parts;
    }
    let range = snippet.fragment_range();
    let mut parts = Vec::new();
    if range.start > 0 {
        parts.push(plain("…"));
    }
    parts.extend(self::parts(
        snippet.fragment(),
        snippet.highlighted().iter().cloned(),
    ));
    if range.end < text.len() {
        parts.push(plain("…"));
    }
    parts
}

fn plain(text: &str) -> TextPart {
    TextPart {
        text: text.to_owned(),
        mark: false,
    }
}

/// Splits `text` into marked and unmarked runs at the (sorted, non-overlapping) `marked` ranges.
fn parts(text: &str, marked: impl Iterator<Item = std::ops::Range<usize>>) -> Vec<TextPart> {
    let mut parts = Vec::new();
    let mut at = 0;
    for range in marked {
        let (Some(before), Some(mark)) = (text.get(at..range.start), text.get(range.clone()))
        else {
            continue;
        };
        if !before.is_empty() {
            parts.push(plain(before));
        }
        parts.push(TextPart {
            text: mark.to_owned(),
            mark: true,
        });
        at = range.end;
    }
    if let Some(rest) = text.get(at..).filter(|rest| !rest.is_empty()) {
        parts.push(plain(rest));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(
        slug: &'a str,
        title: &'a str,
        errors: &'a [String],
        body: &'a str,
    ) -> IndexedEntry<'a> {
        IndexedEntry {
            slug,
            title,
            questions: &[],
            tags: &[],
            errors,
            body,
        }
    }

    fn small_index() -> SearchIndex {
        static NO_ERRORS: Vec<String> = Vec::new();
        let errors = Box::leak(Box::new(vec![
            "Unregistered redirect_uri (\"http://localhost:18000\").".to_owned(),
        ]));
        SearchIndex::build([
            entry(
                "login",
                "Why does login fail?",
                errors,
                "Something uses port 8000. Stop it.",
            ),
            entry(
                "encryption",
                "Which data is encrypted at rest?",
                &NO_ERRORS,
                "Everything, if the provider supports it. <script>alert(1)</script>",
            ),
            entry(
                "opensearch",
                "Where did Kibana go?",
                &NO_ERRORS,
                "OpenSearch Dashboards replaced Kibana.",
            ),
        ])
        .expect("builds")
    }

    fn slugs(index: &SearchIndex, query: &str) -> Vec<String> {
        index
            .search(query, 10)
            .expect("searches")
            .hits
            .into_iter()
            .map(|hit| hit.slug)
            .collect()
    }

    #[test]
    fn words_are_stemmed_and_stop_words_dropped() {
        let index = small_index();
        assert_eq!(
            index.words("Why can't I access my namespaces?"),
            ["access", "namespac"]
        );
    }

    #[test]
    fn a_pasted_error_line_finds_its_entry_first() {
        let index = small_index();
        let found = slugs(
            &index,
            "Bad Request Unregistered redirect_uri (\"http://localhost:18000\").",
        );
        assert_eq!(found.first().map(String::as_str), Some("login"));
    }

    #[test]
    fn mistyped_words_still_match() {
        let index = small_index();
        assert_eq!(slugs(&index, "kibaan")[0], "opensearch");
        assert_eq!(slugs(&index, "encyrpted data")[0], "encryption");
    }

    #[test]
    fn an_unfinished_last_word_matches_as_a_prefix() {
        let index = small_index();
        assert_eq!(slugs(&index, "opense")[0], "opensearch");
        // … but not once the word is finished with a space or punctuation.
        assert!(slugs(&index, "opense ").is_empty());
    }

    #[test]
    fn queries_that_are_syntax_elsewhere_are_just_words_here() {
        let index = small_index();
        for query in [
            "",
            "   ",
            "\"",
            "title:kibana",
            "kibana AND",
            "(kibana",
            "[0 TO 9]",
            "*",
            "k*",
            "-kibana",
            "+kibana^2",
            "kibana~2",
            "\\",
            "\u{0}",
            "the of and",
            "!!! ??? ::: {{{ }}} \"\" '' ``",
        ] {
            let result = index.search(query, 10);
            assert!(result.is_ok(), "{query:?}: {result:?}");
        }
        assert_eq!(slugs(&index, "title:kibana")[0], "opensearch");
        assert!(slugs(&index, "").is_empty());
        assert!(slugs(&index, "the of and").is_empty());
    }

    #[test]
    fn very_long_queries_are_cut_not_refused() {
        let index = small_index();
        let long = "kibana ".repeat(100_000);
        assert_eq!(slugs(&index, &long)[0], "opensearch");
        let many_words: String = (0..10_000).map(|i| format!("word{i} ")).collect();
        assert!(index.search(&many_words, 10).is_ok());
        let unicode = "ü".repeat(MAX_QUERY_CHARS * 3);
        assert!(index.search(&unicode, 10).is_ok());
    }

    #[test]
    fn highlights_mark_matched_words_and_keep_text_as_text() {
        let index = small_index();
        let hits = index.search("encrypted script", 10).expect("searches").hits;
        let hit = &hits[0];
        assert_eq!(hit.slug, "encryption");
        let marked: Vec<_> = hit
            .title
            .iter()
            .filter(|part| part.mark)
            .map(|part| part.text.as_str())
            .collect();
        assert_eq!(marked, ["encrypted"]);
        let title: String = hit.title.iter().map(|part| part.text.as_str()).collect();
        assert_eq!(title, "Which data is encrypted at rest?");
        let snippet: String = hit.snippet.iter().map(|part| part.text.as_str()).collect();
        assert!(snippet.contains("<script>"), "{snippet}");
        assert!(
            hit.snippet
                .iter()
                .any(|part| part.mark && part.text == "script")
        );
    }

    #[test]
    fn every_spelling_of_a_searched_word_is_highlighted() {
        let index = small_index();
        let hits = index.search("encrypt", 10).expect("searches").hits;
        assert!(
            hits[0]
                .title
                .iter()
                .any(|part| part.mark && part.text == "encrypted"),
            "{:?}",
            hits[0].title
        );
    }

    #[test]
    fn a_long_paste_searches_its_rarest_words() {
        // Twenty words every entry has, and one word only the second has: the query has more
        // words than are searched, and the rare one must be among those kept.
        let common: String = (0..20).map(|i| format!("common{i} ")).collect();
        let bodies: Vec<String> = ["alpha", "bravo", "charlie"]
            .iter()
            .map(|word| format!("{common} {word}"))
            .collect();
        let index = SearchIndex::build(
            bodies
                .iter()
                .zip(["a", "b", "c"])
                .map(|(body, slug)| entry(slug, "Title", &[], body)),
        )
        .expect("builds");
        let found = slugs(&index, &format!("{common} bravo {common}"));
        assert_eq!(found[0], "b");
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = SearchIndex::build([]).expect("builds");
        assert!(index.is_empty());
        assert!(
            index
                .search("anything", 10)
                .expect("searches")
                .hits
                .is_empty()
        );
    }
}
