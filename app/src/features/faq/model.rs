//! What the FAQ pages show, as plain data: the server fills it (from its content, search index
//! and database) and the browser renders it. Nothing here knows about Markdown parsing, the search
//! engine or SQL; the server maps its own types to these before anything leaves it.

use serde::{Deserialize, Serialize};

/// An entry as lists show it: search results, categories, related entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySummary {
    pub slug: String,
    pub title: String,
    pub category: String,
    /// The platform versions the entry is limited to (a semver range such as `>=0.30`), if any.
    pub versions: Option<String>,
}

/// The entries of one category, in title order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub name: String,
    pub entries: Vec<EntrySummary>,
}

/// The browse view of `/faq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub categories: Vec<Category>,
    /// The platform version the operator configured; `None` when every entry is shown.
    pub platform_version: Option<String>,
    /// How many entries are hidden because they do not apply to that version.
    pub hidden: usize,
}

/// A piece of an entry's body. Code blocks are separate so the page can give each a copy button;
/// everything else is HTML the server rendered from Markdown with raw HTML disabled, unsafe links
/// removed and all text escaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BodyBlock {
    Html(String),
    Code {
        /// The fence's info string (`bash`, `yaml` …), when given.
        language: Option<String>,
        code: String,
    },
}

/// A whole entry, for `/faq/SLUG`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub summary: EntrySummary,
    pub tags: Vec<String>,
    /// The error messages this entry answers, verbatim.
    pub errors: Vec<String>,
    pub body: Vec<BodyBlock>,
    /// Related entries that apply to this platform, in the order the entry lists them.
    pub related: Vec<EntrySummary>,
    /// Set to the configured platform version when the entry does not apply to it. Such an entry
    /// is hidden from browsing and search but still reachable by its address, with a warning.
    pub does_not_apply_to: Option<String>,
}

/// A search as the page asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchInput {
    pub q: String,
    /// Record the query for the administrators when nothing answers it. The page sets this for
    /// submitted searches and for typing that has paused, not for every keystroke.
    #[serde(default)]
    pub record: bool,
}

/// A run of text, highlighted when it matched the query. Highlights travel as data, not HTML,
/// so the page escapes everything and never renders markup it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextPart {
    pub text: String,
    pub mark: bool,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub entry: EntrySummary,
    /// The title, with matched words highlighted.
    pub title: Vec<TextPart>,
    /// A passage of the body around the best matches, highlighted.
    pub snippet: Vec<TextPart>,
}

/// A page of the portal that can answer what the FAQ cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// The page's path, such as `/networkpolicies`.
    pub href: String,
    pub label: String,
    /// What the page does for this query, in a sentence.
    pub why: String,
}

/// Search results, most relevant first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The query as it was searched (trimmed, and shortened when it was very long).
    pub query: String,
    pub hits: Vec<Hit>,
    /// Whether the first hit answers the query well. When not, `hits` are only the closest
    /// entries, and the query is recorded for the administrators like one that found nothing.
    pub answered: bool,
    /// Pages that can answer the query, offered when it is not answered well.
    pub pointers: Vec<Pointer>,
}

/// A "Was this helpful?" answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteInput {
    pub slug: String,
    pub helpful: bool,
}

/// What a vote did. One vote per visitor and entry: voting again replaces the earlier answer, so a
/// misclick can be corrected, and never counts twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VoteOutcome {
    Recorded,
    Changed,
    Unchanged,
}

/// How helpful readers found one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Helpfulness {
    pub entry: EntrySummary,
    pub helpful: u64,
    pub not_helpful: u64,
}

/// A search that found nothing, with how often it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unanswered {
    /// The query, normalised (lower case, single spaces).
    pub query: String,
    pub count: u64,
    /// When it was last made, as `YYYY-MM-DD HH:MM UTC`.
    pub last_seen: String,
}

/// The administrators' view: what to improve and what to write next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Every entry, least helpful first; entries nobody voted on come last.
    pub entries: Vec<Helpfulness>,
    /// The most frequent searches that found nothing.
    pub unanswered: Vec<Unanswered>,
}

/// Why a FAQ server function failed, in words safe to show. Internal causes are logged on the
/// server and never reach the browser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum FaqApiError {
    #[error("there is no FAQ entry called {0:?}")]
    UnknownEntry(String),
    /// Not logged in (401), or not an administrator (403).
    #[error("{0}")]
    Access(#[from] crate::auth::AccessError),
    #[error("the FAQ's feedback store is not available right now; try again later")]
    Unavailable,
    /// The call itself failed: its arguments could not be read, or the network failed.
    #[error("{0}")]
    Call(crate::status::CallError),
}

impl crate::status::HttpStatus for FaqApiError {
    fn http_status(&self) -> u16 {
        match self {
            Self::UnknownEntry(_) => 404,
            Self::Access(access) => access.status(),
            Self::Unavailable => 503,
            Self::Call(call) => crate::status::HttpStatus::http_status(call),
        }
    }
}

crate::server_fn_error!(FaqApiError);
