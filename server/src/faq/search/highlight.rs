//! Highlights: a stored text cut into plain and marked parts for the page, never HTML.

use super::*;

/// `text` in full, with the words the generator looks for marked.
pub(super) fn whole_text_parts(text: &str, generator: &SnippetGenerator) -> Vec<TextPart> {
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
pub(super) fn snippet_parts(text: &str, generator: &SnippetGenerator) -> Vec<TextPart> {
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

pub(super) fn plain(text: &str) -> TextPart {
    TextPart {
        text: text.to_owned(),
        mark: false,
    }
}

/// Splits `text` into marked and unmarked runs at the (sorted, non-overlapping) `marked` ranges.
pub(super) fn parts(
    text: &str,
    marked: impl Iterator<Item = std::ops::Range<usize>>,
) -> Vec<TextPart> {
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
