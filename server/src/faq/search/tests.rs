//! Unit tests of the FAQ search.

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

#[test]
fn of_two_pasted_messages_the_longer_decides_whatever_the_questions_say() {
    let rbac = vec!["is forbidden: User".to_owned()];
    let namespaces = vec!["cannot create resource \"namespaces\"".to_owned()];
    // The group entry's question says almost exactly what the paste says; the namespace
    // entry's message is the more specific one.
    let questions =
        vec!["Error from server: User cannot create resource at the cluster scope".to_owned()];
    let index = SearchIndex::build([
        IndexedEntry {
            questions: &questions,
            ..entry(
                "groups",
                "Why am I forbidden?",
                &rbac,
                "Refresh your token.",
            )
        },
        entry(
            "namespaces",
            "How do I get a namespace?",
            &namespaces,
            "Request one.",
        ),
    ])
    .expect("builds");
    let paste = "Error from server (Forbidden): namespaces is forbidden: User \"bob\" cannot \
                 create resource \"namespaces\" in API group \"\" at the cluster scope";
    assert_eq!(slugs(&index, paste), ["namespaces", "groups"]);
    // Either message alone still finds its own entry first.
    assert_eq!(
        slugs(
            &index,
            "pods is forbidden: User \"bob\" cannot list resource"
        )[0],
        "groups"
    );
}
