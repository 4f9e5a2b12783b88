//! Answering a query: the words searched for (with typo and prefix expansions), BM25 over the
//! fields, the pasted-error shortcut, and the re-ranking by how much of the query each entry
//! covers.

use super::*;

impl SearchIndex {
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
        let top = self.rerank(candidates, &searched, &aliases, &pasted, limit);
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
    ///
    /// Entries whose error message the query contains stay above all others, the one with the
    /// longest (most specific) message first; the closest question only orders entries that
    /// contain messages of the same length.
    pub(super) fn rerank(
        &self,
        candidates: Vec<(Score, DocAddress)>,
        searched: &[Vec<String>],
        aliases: &[String],
        pasted: &[(u64, usize)],
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
                // The length of the pasted message, in a tier far above any reranked score.
                let tier = self
                    .ordinal(address.segment_ord, address.doc_id)
                    .and_then(|ordinal| pasted.iter().find(|(owner, _)| *owner == ordinal))
                    .map_or(0.0, |&(_, length)| length as Score * ERROR_TIER);
                (
                    tier + score * (1.0 + QUESTION_MATCH_WEIGHT * closeness),
                    address,
                )
            })
            .collect();
        reranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        reranked.truncate(limit);
        reranked
    }

    /// The share of the query's searched words (any of their spellings) that the entry at
    /// `address` contains in some field. Words the synonym table added can stand in for one
    /// word of the reader's that no entry has ("okta" is covered by "group").
    pub(super) fn coverage(
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
    pub(super) fn word_query(&self, word: &str, weight: Score) -> Box<dyn Query> {
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
    pub(super) fn words(&self, query: &str) -> Vec<String> {
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
    pub(super) fn expand(
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
    pub(super) fn errors_contained_in(&self, query: &str) -> Vec<(u64, usize)> {
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
}

/// How closely the closest of `questions` matches the query's word `groups` (ids of a word's
/// spellings, its weight, whether the reader typed it): the mean of the share of the query's
/// weight the question has and the share of the question's words the query has, 0 to 1.
pub(super) fn closest_question(
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
