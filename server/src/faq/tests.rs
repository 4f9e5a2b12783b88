//! Unit tests of `faq`.

use super::*;

fn shipped(version: Option<&str>) -> FaqLibrary {
    let documents =
        content::merge(content::builtin().expect("parses"), Vec::new()).expect("merges");
    FaqLibrary::build(
        documents,
        version.map(|v| Version::parse(v).expect("a version")),
    )
    .expect("builds")
}

fn first(library: &FaqLibrary, query: &str) -> Option<String> {
    library
        .search(query)
        .hits
        .first()
        .map(|hit| hit.entry.slug.clone())
}

#[test]
fn every_shipped_entry_is_browsable_without_a_platform_version() {
    let library = shipped(None);
    let overview = library.overview();
    assert_eq!(overview.hidden, 0);
    assert_eq!(overview.platform_version, None);
    let count: usize = overview.categories.iter().map(|c| c.entries.len()).sum();
    assert_eq!(count, 28);
    let psa = library.entry("pod-security-restricted").expect("exists");
    assert_eq!(psa.summary.versions.as_deref(), Some(">=0.30"));
    assert_eq!(psa.does_not_apply_to, None);
}

#[test]
fn entries_for_other_platform_versions_are_hidden_but_reachable() {
    let library = shipped(Some("0.29.0"));
    let overview = library.overview();
    // pod-security-restricted and deployment-accepted-pods-refused (>=0.30) do not apply to
    // 0.29; sub-namespaces-hnc (>=0.25) and delegate-access-extra-workload-admins (>=0.29) do.
    assert_eq!(overview.hidden, 2);
    assert!(
        overview
            .categories
            .iter()
            .flat_map(|c| &c.entries)
            .all(|e| e.slug != "pod-security-restricted")
    );
    assert_ne!(
        first(&library, "violates PodSecurity restricted").as_deref(),
        Some("pod-security-restricted")
    );
    let entry = library
        .entry("pod-security-restricted")
        .expect("still reachable");
    assert_eq!(entry.does_not_apply_to.as_deref(), Some("0.29.0"));
    let runasnonroot = library.entry("runasnonroot-errors").expect("exists");
    assert!(
        runasnonroot
            .related
            .iter()
            .all(|r| r.slug != "pod-security-restricted")
    );

    let newer = shipped(Some("0.34.0"));
    assert_eq!(newer.overview().hidden, 0);
    assert_eq!(
        first(&newer, "violates PodSecurity restricted").as_deref(),
        Some("pod-security-restricted")
    );
}

/// The questions of the original FAQ, verbatim, and the entry that answers each.
pub(crate) const SEED_QUESTIONS: &[(&str, &str)] = &[
    ("Why can't I kubectl run?", "kubectl-run-refused"),
    (
        "How do I give access to a new application developer to a Compliant Kubernetes environment?",
        "give-developer-access",
    ),
    ("How do I add a new namespace?", "new-namespace"),
    (
        "Why can't I access my cluster? 'Bad Request Unregistered redirect_uri (\"http://localhost:18000\").'",
        "unregistered-redirect-uri",
    ),
    (
        "Why can't I access Kibana or Elasticsearch?",
        "opensearch-instead-of-kibana",
    ),
    ("What is encrypted at rest?", "encryption-at-rest"),
    (
        "Why does Compliant Kubernetes not offer encryption-at-rest at the platform level?",
        "why-no-vm-disk-encryption",
    ),
];

#[test]
fn every_seed_question_is_answered_by_the_first_result() {
    let library = shipped(None);
    let mut wrong = Vec::new();
    for (question, expected) in SEED_QUESTIONS {
        let words: String = question
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '\'' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        for query in [question.to_string(), words.to_lowercase()] {
            let found = first(&library, &query);
            if found.as_deref() != Some(expected) {
                wrong.push(format!("{query:?} → {found:?}, expected {expected}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_error_message_finds_an_entry_that_answers_it_first() {
    let library = shipped(None);
    let mut wrong = Vec::new();
    for record in library.entries.values() {
        for error in &record.errors {
            let answering: Vec<&str> = library
                .entries
                .values()
                .filter(|other| other.errors.contains(error))
                .map(|other| other.summary.slug.as_str())
                .collect();
            // The message alone, and as part of a longer line the way tools print it.
            for query in [
                error.clone(),
                format!("Error from kubectl: {error} (see logs)"),
            ] {
                let found = first(&library, &query);
                if !found
                    .as_deref()
                    .is_some_and(|slug| answering.contains(&slug))
                {
                    wrong.push(format!(
                        "{query:?} → {found:?}, expected one of {answering:?}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_entry_is_found_first_by_its_own_title() {
    let library = shipped(None);
    let wrong: Vec<_> = library
        .entries
        .values()
        .filter_map(|record| {
            let found = first(&library, &record.summary.title);
            (found.as_deref() != Some(&record.summary.slug))
                .then(|| format!("{:?} → {found:?}", record.summary.title))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn recorded_queries_are_normalised() {
    assert_eq!(
        recordable_query("  How   do I\tFOO? "),
        Some("how do i foo?".into())
    );
    assert_eq!(recordable_query("?!* ::"), None);
    assert_eq!(recordable_query(""), None);
    let long = recordable_query(&"ab ".repeat(500)).expect("recordable");
    assert_eq!(long.chars().count(), MAX_RECORDED_QUERY);
}

#[test]
fn helpfulness_lists_the_least_helpful_first_and_unvoted_last() {
    let library = shipped(None);
    let tallies: BTreeMap<String, (u64, u64)> = [
        ("node-reboots".to_owned(), (9, 1)),
        ("namespace-names".to_owned(), (1, 3)),
        ("access-page".to_owned(), (2, 2)),
    ]
    .into();
    let rows = library.helpfulness(&tallies);
    let order: Vec<_> = rows.iter().take(3).map(|r| r.entry.slug.as_str()).collect();
    assert_eq!(order, ["namespace-names", "access-page", "node-reboots"]);
    assert_eq!(rows.len(), 28);
    assert!(rows[3..].iter().all(|r| r.helpful + r.not_helpful == 0));
}

/// Remembered searches stay bounded, forget the oldest first, and answer what a fresh search
/// answers.
#[test]
fn remembered_searches_are_bounded_and_the_same_as_fresh_ones() {
    let library = shipped(None);
    let mut recent = RecentSearches::default();
    for n in 0..REMEMBERED_SEARCHES + 3 {
        recent.remember(&format!("query {n}"), &SearchResults::default());
    }
    assert_eq!(recent.results.len(), REMEMBERED_SEARCHES);
    assert_eq!(recent.order.len(), REMEMBERED_SEARCHES);
    assert!(!recent.results.contains_key("query 0"));
    assert!(
        recent
            .results
            .contains_key(&format!("query {}", REMEMBERED_SEARCHES + 2))
    );

    let query = "why cant i kubectl run";
    let fresh = library.search(query);
    recent.remember(query, &fresh);
    assert_eq!(recent.results.get(query), Some(&fresh));
    assert_eq!(recent.results.len(), REMEMBERED_SEARCHES);
}

#[test]
fn connection_questions_find_the_traffic_check_entry() {
    let library = shipped(None);
    for query in [
        "my frontend cannot reach the API, which policy drops it?",
        "which networkpolicy blocks my traffic",
        "test a network policy before I apply it",
        "picture of allowed flows in my namespace",
    ] {
        assert_eq!(
            first(&library, query).as_deref(),
            Some("traffic-check"),
            "{query}"
        );
    }
}
