//! Unit tests of `content`.

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
    assert_eq!(shipped.len(), 28);
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
