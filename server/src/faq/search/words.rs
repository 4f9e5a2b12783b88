//! Words as the index sees them: the analyzers (stems, stop words) and the dictionary of known
//! spellings that typo and prefix expansion walk.

use super::*;

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
pub(super) fn stop_words() -> Vec<String> {
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
pub(super) fn spelling_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

/// Gives every analysed word of titles and questions a small id.
#[derive(Default)]
pub(super) struct WordIds {
    pub(super) analyzer: Option<TextAnalyzer>,
    pub(super) ids: HashMap<String, u32>,
}

impl WordIds {
    /// The distinct ids of `text`'s analysed words, new words getting new ids.
    pub(super) fn intern_all(&mut self, text: &str) -> Vec<u32> {
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
pub(super) struct Spellings {
    pub(super) analyzer: TextAnalyzer,
    pub(super) spelling: TextAnalyzer,
    /// Spellings already seen (with their stem, or `None` for stop words).
    pub(super) seen: HashMap<String, Option<String>>,
    pub(super) by_stem: HashMap<String, Vec<String>>,
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
    pub(super) fn add(&mut self, text: &str) {
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
pub(super) fn dedup(variants: Vec<(String, Score)>) -> Vec<(String, Score)> {
    let mut seen: Vec<(String, Score)> = Vec::with_capacity(variants.len());
    for (word, weight) in variants {
        if !seen.iter().any(|(known, _)| *known == word) {
            seen.push((word, weight));
        }
    }
    seen
}
