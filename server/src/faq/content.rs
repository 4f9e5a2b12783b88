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
mod tests {
    use super::*;

    const GOOD: &str = "---\ntitle: \"A title\"\nslug: a-title\ncategory: Things\n\
        questions:\n  - \"Why does it break?\"\n  - it broke, now what\n\
        tags: [one, two]\nerrors:\n  - 'Error: it broke (\"x\")'\nplatform_versions: \">=0.19\"\n\
        related: [other]\n---\n\nThe answer.\n";

    fn error(front: &str) -> String {
        parse("faq/x.md", &format!("---\n{front}\n---\nBody.\n"))
            .expect_err("refused")
            .to_string()
    }

    /// The message names the file and the field.
    fn assert_names(message: &str, field: &str) {
        assert!(message.contains("faq/x.md"), "no file in {message:?}");
        assert!(
            message.contains(&format!("`{field}`")),
            "no `{field}` in {message:?}"
        );
    }

    const BASE: &str = "title: T\nslug: s\ncategory: C";

    #[test]
    fn a_complete_entry_parses() {
        let document = parse("faq/a.md", GOOD).expect("parses");
        assert_eq!(document.title, "A title");
        assert_eq!(document.slug, "a-title");
        assert_eq!(document.category, "Things");
        assert_eq!(
            document.questions,
            ["Why does it break?", "it broke, now what"]
        );
        assert_eq!(document.tags, ["one", "two"]);
        assert_eq!(document.errors, ["Error: it broke (\"x\")"]);
        assert_eq!(document.related, ["other"]);
        let (text, range) = document.platform_versions.expect("a range");
        assert_eq!(text, ">=0.19");
        assert!(range.matches(&semver::Version::new(0, 34, 0)));
        assert!(!range.matches(&semver::Version::new(0, 18, 2)));
        assert_eq!(document.body, "The answer.");
    }

    #[test]
    fn optional_fields_may_be_left_out_and_crlf_files_work() {
        let document = parse(
            "faq/a.md",
            "---\r\ntitle: T\r\nslug: s\r\ncategory: C\r\n---\r\nBody\r\n",
        )
        .expect("parses");
        assert!(
            document.questions.is_empty()
                && document.tags.is_empty()
                && document.errors.is_empty()
                && document.related.is_empty()
        );
        assert!(document.platform_versions.is_none());
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            ("slug: s\ncategory: C", "title"),
            ("title: ''\nslug: s\ncategory: C", "title"),
            ("title: [a]\nslug: s\ncategory: C", "title"),
            ("title: T\ncategory: C", "slug"),
            ("title: T\nslug: Not A Slug\ncategory: C", "slug"),
            ("title: T\nslug: a--b\ncategory: C", "slug"),
            ("title: T\nslug: s", "category"),
            ("title: T\nslug: s\ncategory: {a: b}", "category"),
            (&format!("{BASE}\nquestions: 'one question'"), "questions"),
            (
                &format!("{BASE}\nquestions: [{}]", "x".repeat(201)),
                "questions",
            ),
            (&format!("{BASE}\ntags: one"), "tags"),
            (&format!("{BASE}\ntags: [ok, [nested]]"), "tags"),
            (&format!("{BASE}\ntags: [ok, '']"), "tags"),
            (&format!("{BASE}\nerrors: 'a single string'"), "errors"),
            (
                &format!("{BASE}\nerrors: [{}]", "x".repeat(1_001)),
                "errors",
            ),
            (
                &format!("{BASE}\nplatform_versions: 0.19"),
                "platform_versions",
            ),
            (
                &format!("{BASE}\nplatform_versions: 'newest'"),
                "platform_versions",
            ),
            (
                &format!("{BASE}\nplatform_versions: '>=0.19 <'"),
                "platform_versions",
            ),
            (&format!("{BASE}\nrelated: [Bad Slug]"), "related"),
            (&format!("{BASE}\nrelated: other"), "related"),
            (&format!("{BASE}\ntitel: typo"), "titel"),
        ];
        for (front, field) in cases {
            assert_names(&error(front), field);
        }
    }

    #[test]
    fn a_file_without_front_matter_or_body_is_refused() {
        for (text, expected) in [
            ("Just text", "must start with front matter"),
            ("---\ntitle: T\n", "no closing line"),
            ("---\n- a\n- b\n---\nBody", "`field: value` lines"),
            ("---\ntitle: [unclosed\n---\nBody", "not valid YAML"),
            (
                "---\ntitle: T\nslug: s\ncategory: C\n---\n   \n",
                "no text after the front matter",
            ),
        ] {
            let message = parse("faq/x.md", text).expect_err("refused").to_string();
            assert!(
                message.contains("faq/x.md") && message.contains(expected),
                "{message}"
            );
        }
    }

    fn document(file: &str, slug: &str, related: &[&str]) -> Document {
        let mut document = parse(file, GOOD).expect("parses");
        document.slug = slug.to_owned();
        document.title = format!("Title of {slug} from {file}");
        document.related = related.iter().map(|s| (*s).to_owned()).collect();
        document
    }

    #[test]
    fn operator_entries_add_to_and_replace_the_shipped_ones() {
        let merged = merge(
            vec![
                document("content/a.md", "a", &[]),
                document("content/b.md", "b", &["a"]),
            ],
            vec![
                document("/etc/faq/b.md", "b", &["c"]),
                document("/etc/faq/c.md", "c", &[]),
            ],
        )
        .expect("merges");
        let titles: Vec<_> = merged.iter().map(|d| d.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Title of a from content/a.md",
                "Title of b from /etc/faq/b.md",
                "Title of c from /etc/faq/c.md"
            ]
        );
    }

    #[test]
    fn duplicate_slugs_and_unknown_related_entries_are_named() {
        let duplicate = merge(
            vec![],
            vec![
                document("/etc/faq/one.md", "a", &[]),
                document("/etc/faq/two.md", "a", &[]),
            ],
        )
        .expect_err("refused")
        .to_string();
        assert!(
            duplicate.contains("/etc/faq/two.md") && duplicate.contains("/etc/faq/one.md"),
            "{duplicate}"
        );
        assert!(duplicate.contains("`slug`"), "{duplicate}");

        let unknown = merge(vec![document("content/a.md", "a", &["nobody"])], vec![])
            .expect_err("refused")
            .to_string();
        assert!(
            unknown.contains("content/a.md")
                && unknown.contains("`related`")
                && unknown.contains("nobody"),
            "{unknown}"
        );
    }

    #[test]
    fn every_shipped_entry_parses_and_relates_to_existing_entries() {
        let shipped = builtin().expect("the shipped entries parse");
        assert_eq!(shipped.len(), 27);
        let merged = merge(shipped, Vec::new()).expect("related slugs exist");
        assert!(merged.iter().all(|d| d.file.starts_with("content/faq/")));
    }

    #[test]
    fn an_operator_folder_is_read_and_its_bad_files_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("a.md"), GOOD).expect("write");
        std::fs::write(dir.path().join("notes.txt"), "ignored").expect("write");
        let documents = from_dir(dir.path()).expect("reads");
        assert_eq!(documents.len(), 1);
        assert!(documents[0].file.ends_with("a.md"));

        std::fs::write(dir.path().join("b.md"), "---\ntitle: T\n---\nBody").expect("write");
        let message = from_dir(dir.path()).expect_err("refused").to_string();
        assert!(
            message.contains("b.md") && message.contains("`slug`"),
            "{message}"
        );

        let missing = from_dir(&dir.path().join("nope"))
            .expect_err("refused")
            .to_string();
        assert!(
            missing.contains("nope") && missing.contains("cannot read the folder"),
            "{missing}"
        );
    }
}
