//! Where to go when the FAQ has no good answer: some questions are about the reader's own
//! objects ("will this manifest be accepted?", "can my frontend reach the database?"), which
//! no entry can answer but a page of the portal can. When nothing matches a query well, the
//! results page offers the closest entries and, for these kinds of query, that page.
//!
//! Pure functions over the query text, so they are tested here without a server.

use super::model::Pointer;

/// The NetworkPolicy generator.
pub const NETWORKPOLICIES_ROUTE: &str = "/networkpolicies";
/// A `kubectl run` command and NetworkPolicy the platform accepts.
pub const RUN_RECIPE_ROUTE: &str = "/networkpolicies/run";
/// Where a pasted manifest is sent: the preflight check says what the platform's Pod Security
/// will make of it and hands it back fixed.
pub const PREFLIGHT_ROUTE: &str = "/preflight";

/// What kind of question a query is, as far as pointing somewhere goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    /// A pasted Kubernetes manifest, YAML or JSON (it has `apiVersion` and `kind` keys).
    Manifest,
    /// Whether, or why not, one workload can connect to another.
    Connection,
}

/// Phrases that, anywhere in a query (lower case, punctuation as spaces), make it a question
/// about connections.
const CONNECTION_PHRASES: &[&str] = &[
    "connection refused",
    "connection timed out",
    "connection reset",
    "connect timed out",
    "connection timeout",
    "i o timeout",
    "no route to host",
    "between pods",
    "between my pods",
    "between the pods",
    "pod to pod",
    "between namespaces",
];

/// A question that starts with one of these and has one of [`REACH_VERBS`] asks whether
/// something can connect ("can the api reach redis", "why can't web talk to db").
const QUESTION_STARTS: &[&str] = &["can", "could", "does", "is", "why", "how"];
const REACH_VERBS: &[&str] = &["reach", "talk to", "connect to", "ping", "curl"];

/// The kind of `query`, if it is one the FAQ points elsewhere for.
pub fn classify(query: &str) -> Option<QueryKind> {
    if looks_like_a_manifest(query) {
        return Some(QueryKind::Manifest);
    }
    let text = format!(" {} ", words(query));
    let phrase = |phrase: &str| text.contains(&format!(" {phrase} "));
    let asks_to_reach = QUESTION_STARTS
        .iter()
        .any(|start| text.starts_with(&format!(" {start} ")))
        && REACH_VERBS.iter().any(|verb| phrase(verb));
    (asks_to_reach || CONNECTION_PHRASES.iter().any(|p| phrase(p))).then_some(QueryKind::Connection)
}

/// The pages that answer a query of this kind, most useful first.
pub fn pointers(kind: QueryKind) -> Vec<Pointer> {
    let pointer = |href: &str, label: &str, why: &str| Pointer {
        href: href.to_owned(),
        label: label.to_owned(),
        why: why.to_owned(),
    };
    match kind {
        QueryKind::Manifest => vec![
            pointer(
                PREFLIGHT_ROUTE,
                "Check it before you apply it",
                "Paste it into the preflight check: it says what Pod Security will make of each \
                 object and of the Pods a workload creates, and gives it back fixed.",
            ),
            pointer(
                NETWORKPOLICIES_ROUTE,
                "Write the NetworkPolicy for it",
                "Every Pod must be selected by a NetworkPolicy: the generator writes one for \
                 your manifest's labels, explains it and warns about common mistakes.",
            ),
            pointer(
                RUN_RECIPE_ROUTE,
                "Run it as a one-off Pod",
                "A kubectl run command with the overrides the platform asks for (Harbor image, \
                 a user that is not root, resource requests) and its NetworkPolicy.",
            ),
        ],
        QueryKind::Connection => vec![pointer(
            NETWORKPOLICIES_ROUTE,
            "Describe the connection in the NetworkPolicy generator",
            "Whether two workloads can connect depends on the NetworkPolicies that select them: \
             the generator writes the egress and ingress allows a connection needs, and explains \
             them in words.",
        )],
    }
}

/// `apiVersion` and `kind` as keys, as YAML (`apiVersion: v1`) or JSON (`"apiVersion": "v1"`)
/// writes them.
fn looks_like_a_manifest(query: &str) -> bool {
    has_key(query, "apiVersion") && has_key(query, "kind")
}

/// Whether `key` occurs as a whole word followed by a colon (after an optional closing quote and
/// spaces).
fn has_key(text: &str, key: &str) -> bool {
    text.match_indices(key).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let starts_word = before.is_none_or(|c| !c.is_alphanumeric());
        let rest = text[at + key.len()..].trim_start_matches(['"', '\'']);
        starts_word && rest.trim_start_matches([' ', '\t']).starts_with(':')
    })
}

/// Lower case, every run of characters other than letters and digits as one space.
fn words(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_manifests_are_recognised_in_yaml_and_json() {
        for manifest in [
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web",
            "---\n  apiVersion:   v1\n  kind: Pod",
            r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}}"#,
            "apiVersion: v1 kind: Service metadata: name: web",
        ] {
            assert_eq!(
                classify(manifest),
                Some(QueryKind::Manifest),
                "{manifest:?}"
            );
        }
        for not_one in [
            "what is apiVersion",
            "kind of slow pods",
            "myapiVersion: 1 kind: x",
            "apiVersion kind",
        ] {
            assert_ne!(classify(not_one), Some(QueryKind::Manifest), "{not_one:?}");
        }
    }

    #[test]
    fn connection_questions_are_recognised() {
        for question in [
            "can my frontend reach the database",
            "Can service-a talk to service-b in another namespace?",
            "why can't the api connect to redis",
            "dial tcp 10.0.3.4:5432: connect: connection refused",
            "wget: download timed out, connection timed out between pods",
            "dial tcp: i/o timeout",
        ] {
            assert_eq!(
                classify(question),
                Some(QueryKind::Connection),
                "{question:?}"
            );
        }
        for other in [
            "how do I get a new namespace",
            "can I call my namespace monitoring?",
            "where is kibana",
            "reach out to the admins",
        ] {
            assert_eq!(classify(other), None, "{other:?}");
        }
    }

    #[test]
    fn each_kind_points_to_a_page_of_the_portal() {
        let manifest = pointers(QueryKind::Manifest);
        assert_eq!(manifest[0].href, PREFLIGHT_ROUTE);
        assert!(manifest.iter().any(|p| p.href == NETWORKPOLICIES_ROUTE));
        assert!(manifest.iter().any(|p| p.href == RUN_RECIPE_ROUTE));
        assert_eq!(
            pointers(QueryKind::Connection)[0].href,
            NETWORKPOLICIES_ROUTE
        );
    }
}
