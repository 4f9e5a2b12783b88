//! FAQ entries as files: one Markdown file per entry, with YAML front matter.
//!
//! ```text
//! ---
//! title: "Why is my kubectl run refused?"
//! slug: kubectl-run-refused
//! category: "Running workloads"
//! questions:                                              # optional: what readers ask
//!   - "kubectl run is forbidden, why?"
//! tags: [kubectl, pods]                                    # optional
//! errors: ['No matching networkpolicy found']              # optional: messages it answers
//! platform_versions: ">=0.19"                              # optional: a semver range
//! related: [kubectl-run-recipe]                            # optional: slugs of other entries
//! ---
//! The answer, in Markdown.
//! ```
//!
//! The shipped entries (`content/faq/*.md`) are compiled into the binary by `build.rs`. An
//! operator's folder (`faq_dir`) adds entries, and replaces a shipped one with the same slug.
//! Every problem is an error that names the file and the field, found at start-up rather than
//! when a reader opens the entry.

use semver::VersionReq;
use std::{
    collections::{BTreeMap, HashSet},
    path::Path,
};
use yaml_rust2::{Yaml, YamlLoader};

mod builtin {
    // `BUILTIN: &[(&str, &str)]`: (path as shown in messages, file contents), by file name.
    include!(concat!(env!("OUT_DIR"), "/faq_builtin.rs"));
}

/// Limits that keep one bad file from making pages or the index unreasonable.
const MAX_TITLE: usize = 200;
const MAX_CATEGORY: usize = 100;
const MAX_SLUG: usize = 100;
const MAX_TAG: usize = 64;
const MAX_ERROR: usize = 1_000;
const MAX_LIST: usize = 100;
const MAX_BODY_BYTES: usize = 256 * 1024;
const FIELDS: &[&str] = &[
    "title",
    "slug",
    "category",
    "questions",
    "tags",
    "errors",
    "platform_versions",
    "related",
];

/// A problem with one entry file. Its message names the file and, where there is one, the
/// front-matter field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("FAQ entry {file}: {problem}")]
pub struct ContentError {
    pub file: String,
    pub problem: String,
}

impl ContentError {
    fn new(file: &str, problem: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            problem: problem.into(),
        }
    }

    fn field(file: &str, field: &str, problem: impl std::fmt::Display) -> Self {
        Self::new(file, format!("field `{field}` {problem}"))
    }
}

/// One entry, parsed and checked.
#[derive(Debug, Clone)]
pub struct Document {
    /// Where it came from, for messages: `content/faq/NAME.md` or the operator's file path.
    pub file: String,
    pub title: String,
    pub slug: String,
    pub category: String,
    /// The questions the entry answers, worded as readers ask them: searched almost as strongly
    /// as the title, never shown.
    pub questions: Vec<String>,
    pub tags: Vec<String>,
    pub errors: Vec<String>,
    /// The platform versions it applies to, as written and parsed.
    pub platform_versions: Option<(String, VersionReq)>,
    pub related: Vec<String>,
    /// The Markdown after the front matter.
    pub body: String,
}

/// The entries compiled into the binary.
pub fn builtin() -> Result<Vec<Document>, ContentError> {
    builtin::BUILTIN
        .iter()
        .map(|(file, text)| parse(file, text))
        .collect()
}

/// Every `*.md` file directly in `dir`, in file-name order.
pub fn from_dir(dir: &Path) -> Result<Vec<Document>, ContentError> {
    let shown = dir.display().to_string();
    let listing = std::fs::read_dir(dir)
        .map_err(|error| ContentError::new(&shown, format!("cannot read the folder: {error}")))?;
    let mut paths = Vec::new();
    for item in listing {
        let path = item
            .map_err(|error| ContentError::new(&shown, format!("cannot read the folder: {error}")))?
            .path();
        if path.extension().is_some_and(|ext| ext == "md") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|error| ContentError::new(&file, format!("cannot be read: {error}")))?;
            parse(&file, &text)
        })
        .collect()
}

/// The shipped entries with the operator's added, or replacing those with the same slug. Fails
/// when one source has two entries with one slug, or an entry relates to a slug nobody has.
pub fn merge(
    builtin: Vec<Document>,
    operator: Vec<Document>,
) -> Result<Vec<Document>, ContentError> {
    let mut merged: BTreeMap<String, Document> = BTreeMap::new();
    for source in [builtin, operator] {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for document in source {
            if let Some(other) = seen.insert(document.slug.clone(), document.file.clone()) {
                return Err(ContentError::field(
                    &document.file,
                    "slug",
                    format!("{:?} is already the slug of {other}", document.slug),
                ));
            }
            merged.insert(document.slug.clone(), document);
        }
    }
    let slugs: HashSet<&str> = merged.keys().map(String::as_str).collect();
    for document in merged.values() {
        if let Some(missing) = document
            .related
            .iter()
            .find(|slug| !slugs.contains(slug.as_str()))
        {
            return Err(ContentError::field(
                &document.file,
                "related",
                format!("names {missing:?}, but no entry has that slug"),
            ));
        }
    }
    Ok(merged.into_values().collect())
}

/// Parses one entry file. `file` is only used in messages.
pub fn parse(file: &str, text: &str) -> Result<Document, ContentError> {
    let text = text.replace("\r\n", "\n");
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let rest = text.strip_prefix("---\n").ok_or_else(|| {
        ContentError::new(
            file,
            "must start with front matter: a line `---`, the fields, a line `---`",
        )
    })?;
    let (front, body) = match rest.find("\n---\n") {
        Some(end) => (&rest[..end], &rest[end + 5..]),
        None => match rest.strip_suffix("\n---") {
            Some(front) => (front, ""),
            None => {
                return Err(ContentError::new(
                    file,
                    "the front matter has no closing line `---`",
                ));
            }
        },
    };
    let yaml = YamlLoader::load_from_str(front).map_err(|error| {
        ContentError::new(file, format!("the front matter is not valid YAML: {error}"))
    })?;
    let Some(Yaml::Hash(fields)) = yaml.into_iter().next() else {
        return Err(ContentError::new(
            file,
            "the front matter must be `field: value` lines",
        ));
    };
    for key in fields.keys() {
        match key.as_str() {
            Some(name) if FIELDS.contains(&name) => {}
            Some(name) => {
                return Err(ContentError::field(
                    file,
                    name,
                    format!("is not known; the fields are {}", FIELDS.join(", ")),
                ));
            }
            None => {
                return Err(ContentError::new(
                    file,
                    "every front-matter key must be text",
                ));
            }
        }
    }
    let get = |name: &str| fields.get(&Yaml::String(name.to_owned()));

    let title = required_text(file, "title", get("title"), MAX_TITLE)?;
    let slug = required_text(file, "slug", get("slug"), MAX_SLUG)?;
    check_slug(&slug).map_err(|problem| ContentError::field(file, "slug", problem))?;
    let category = required_text(file, "category", get("category"), MAX_CATEGORY)?;
    let questions = text_list(file, "questions", get("questions"), MAX_TITLE)?;
    let tags = text_list(file, "tags", get("tags"), MAX_TAG)?;
    let errors = text_list(file, "errors", get("errors"), MAX_ERROR)?;
    let related = text_list(file, "related", get("related"), MAX_SLUG)?;
    for other in &related {
        check_slug(other).map_err(|problem| {
            ContentError::field(file, "related", format!("has {other:?}, which {problem}"))
        })?;
    }
    let platform_versions = match get("platform_versions") {
        None | Some(Yaml::Null) => None,
        Some(Yaml::String(range)) => {
            let parsed = VersionReq::parse(range.trim()).map_err(|error| {
                ContentError::field(
                    file,
                    "platform_versions",
                    format!("{range:?} is not a version range such as \">=0.19\": {error}"),
                )
            })?;
            Some((range.trim().to_owned(), parsed))
        }
        Some(other) => {
            return Err(ContentError::field(
                file,
                "platform_versions",
                format!(
                    "must be a quoted version range such as \">=0.19\", not {}",
                    describe(other)
                ),
            ));
        }
    };
    let body = body.trim();
    if body.is_empty() {
        return Err(ContentError::new(
            file,
            "has no text after the front matter",
        ));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(ContentError::new(
            file,
            format!("its text is longer than {} KiB", MAX_BODY_BYTES / 1024),
        ));
    }
    Ok(Document {
        file: file.to_owned(),
        title,
        slug,
        category,
        questions,
        tags,
        errors,
        platform_versions,
        related,
        body: body.to_owned(),
    })
}

fn required_text(
    file: &str,
    field: &str,
    value: Option<&Yaml>,
    max: usize,
) -> Result<String, ContentError> {
    match value {
        None | Some(Yaml::Null) => Err(ContentError::field(file, field, "is missing")),
        Some(value) => {
            text(value, max).map_err(|problem| ContentError::field(file, field, problem))
        }
    }
}

fn text_list(
    file: &str,
    field: &str,
    value: Option<&Yaml>,
    max: usize,
) -> Result<Vec<String>, ContentError> {
    let items = match value {
        None | Some(Yaml::Null) => return Ok(Vec::new()),
        Some(Yaml::Array(items)) => items,
        Some(other) => {
            return Err(ContentError::field(
                file,
                field,
                format!("must be a list such as [a, b], not {}", describe(other)),
            ));
        }
    };
    if items.len() > MAX_LIST {
        return Err(ContentError::field(
            file,
            field,
            format!("has {} items; at most {MAX_LIST} are allowed", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            text(item, max).map_err(|problem| {
                ContentError::field(file, field, format!("item {}: {problem}", i + 1))
            })
        })
        .collect()
}

/// A non-empty single value as text. Numbers are accepted as written (a tag `2024`).
fn text(value: &Yaml, max: usize) -> Result<String, String> {
    let text = match value {
        Yaml::String(text) | Yaml::Real(text) => text.trim().to_owned(),
        Yaml::Integer(number) => number.to_string(),
        other => return Err(format!("must be text, not {}", describe(other))),
    };
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let length = text.chars().count();
    if length > max {
        return Err(format!(
            "is {length} characters long; at most {max} are allowed"
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err("must not contain control characters".to_owned());
    }
    Ok(text)
}

/// Slugs become addresses (`/faq/SLUG`): lower-case letters, digits and single hyphens.
fn check_slug(slug: &str) -> Result<(), String> {
    let valid = !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{slug:?} is not a slug: use lower-case letters, digits and single hyphens"
        ))
    }
}

fn describe(value: &Yaml) -> &'static str {
    match value {
        Yaml::Real(_) | Yaml::Integer(_) => "a number",
        Yaml::String(_) => "text",
        Yaml::Boolean(_) => "true/false",
        Yaml::Array(_) => "a list",
        Yaml::Hash(_) => "a mapping",
        Yaml::Null => "empty",
        Yaml::Alias(_) | Yaml::BadValue => "an unsupported value",
    }
}

#[cfg(test)]
mod tests;
