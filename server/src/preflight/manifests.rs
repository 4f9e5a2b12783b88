//! Manifests as `kubectl apply -f` reads them: YAML or JSON, several documents separated by lines
//! that start with `---` (followed by nothing but spaces or a comment, the rule of
//! `k8s.io/apimachinery`'s YAML reader), empty documents skipped.
//!
//! Splitting here rather than in the YAML parser keeps every line number exact: each document is
//! parsed on its own, and an error names the document and the line in the whole text.
//!
//! One known difference from kubectl: its parser reads YAML 1.1, where `yes`, `on` and `no` are
//! booleans; this one reads YAML 1.2, where they are strings. A field that needs a boolean then
//! comes back as "unreadable" with its path rather than being read as `true`; quoting-free
//! `true`/`false`, which manifests use almost always, are the same in both.

use app::domain::preflight::report::Document;
use serde_json::Value;
use std::fmt;

/// More documents than this in one check are refused: a real set of manifests is far smaller,
/// and each is checked in full.
pub const MAX_DOCUMENTS: usize = 200;

/// Why the text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// Nothing but whitespace, comments and separators.
    Empty,
    /// More than [`MAX_DOCUMENTS`] documents.
    TooMany,
    /// A document that is not YAML (or JSON).
    Syntax {
        /// 1-based, among the documents that are not empty.
        document: usize,
        /// 1-based line in the whole text.
        line: usize,
        message: String,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "there is no manifest to check: paste one or more"),
            Self::TooMany => write!(
                f,
                "more than {MAX_DOCUMENTS} documents; check them in smaller sets"
            ),
            Self::Syntax {
                document,
                line,
                message,
            } => write!(f, "document {document}, line {line}: {message}"),
        }
    }
}

/// `true` for a line that separates documents.
fn is_separator(line: &str) -> bool {
    line.strip_prefix("---").is_some_and(|rest| {
        let rest = rest.trim();
        rest.is_empty() || rest.starts_with('#')
    })
}

/// A document is empty when it holds nothing but blank lines and comments.
fn is_blank(lines: &[&str]) -> bool {
    lines.iter().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#')
    })
}

/// Every non-empty document of `text`, in order, each with the line it starts on.
pub fn read(text: &str) -> Result<Vec<Document>, ManifestError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut chunks: Vec<(usize, &[&str])> = Vec::new();
    let mut start = 0;
    for (index, line) in lines.iter().enumerate() {
        if is_separator(line) {
            chunks.push((start, &lines[start..index]));
            start = index + 1;
        }
    }
    chunks.push((start, &lines[start..]));

    let mut documents = Vec::new();
    for (first, chunk) in chunks {
        if is_blank(chunk) {
            continue;
        }
        if documents.len() == MAX_DOCUMENTS {
            return Err(ManifestError::TooMany);
        }
        let number = documents.len() + 1;
        let source = chunk.join("\n") + "\n";
        let value: Value = yaml_serde::from_str(&source).map_err(|error| {
            // The parser may place an error at the end of input, one line past the document's
            // last (the newline added above): keep it on a line of the document.
            let line_in_chunk = error
                .location()
                .map_or(1, |at| at.line().clamp(1, chunk.len()));
            ManifestError::Syntax {
                document: number,
                line: first + line_in_chunk,
                message: plain(&error.to_string()),
            }
        })?;
        if value.is_null() {
            continue;
        }
        // The first line with content, which is where a person looks for the document.
        let offset = chunk
            .iter()
            .position(|line| {
                let line = line.trim();
                !line.is_empty() && !line.starts_with('#')
            })
            .unwrap_or(0);
        documents.push(Document {
            number,
            line: first + offset + 1,
            value,
        });
    }
    if documents.is_empty() {
        return Err(ManifestError::Empty);
    }
    Ok(documents)
}

/// The parser's message without its own position (the error says where, in the whole text).
fn plain(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_split_as_kubectl_splits_them_with_their_lines() {
        let text = "# a comment\n---\napiVersion: v1\nkind: Service\n--- # next\n\n\
                    apiVersion: v1\nkind: ConfigMap\n---\n---\n{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}\n";
        let documents = read(text).unwrap();
        let found: Vec<(usize, usize, &str)> = documents
            .iter()
            .map(|d| (d.number, d.line, d.value["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(
            found,
            [(1, 3, "Service"), (2, 7, "ConfigMap"), (3, 11, "Pod")]
        );
    }

    #[test]
    fn a_line_that_only_starts_like_a_separator_is_content() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n    ---not a separator\n";
        let documents = read(text).unwrap();
        assert_eq!(documents.len(), 1);
        assert_eq!(documents[0].value["data"]["x"], "---not a separator\n");
    }

    #[test]
    fn a_syntax_error_names_the_document_and_the_line_in_the_whole_text() {
        let text = "kind: Service\n---\nkind: Pod\nmetadata:\n  name: [unclosed\n";
        let error = read(text).unwrap_err();
        let ManifestError::Syntax { document, line, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(*document, 2);
        assert!((5..=6).contains(line), "{error}");
        assert!(
            error.to_string().starts_with("document 2, line "),
            "{error}"
        );

        // An error at the very end of a one-line document is on that line, not the next.
        let error = read("kind: [oops").unwrap_err();
        assert!(
            error.to_string().starts_with("document 1, line 1:"),
            "{error}"
        );
        let error = read("kind: Service\n---\nkind: [oops").unwrap_err();
        assert!(
            error.to_string().starts_with("document 2, line 3:"),
            "{error}"
        );
    }

    #[test]
    fn nothing_to_check_and_too_much_are_refused_in_words() {
        for empty in ["", "\n\n", "# only\n---\n---\n", "---"] {
            assert_eq!(read(empty), Err(ManifestError::Empty), "{empty:?}");
        }
        let many = "kind: ConfigMap\n---\n".repeat(MAX_DOCUMENTS + 1);
        assert_eq!(read(&many), Err(ManifestError::TooMany));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        for text in [
            "a: &x [*x]",
            "{{{{{{{{{{{{{{{{{{{{",
            "? [a]\n: b",
            "1: one",
            "\u{0}",
            "key: \"unterminated",
            &"[".repeat(10_000),
        ] {
            let _ = read(text);
        }
    }
}
