//! The platform's words for things readers call something else.
//!
//! A reader asks about "luks on worker nodes" or "port already in use"; the entries say "disk
//! encryption" and "port 8000". Each row below is a set of phrases readers use (matched as whole
//! words in the query, lower case, punctuation as spaces, *before* stop words are dropped, so
//! "who is in" and "in use" can be phrases) and the words the entries use for the same thing,
//! which are then searched too, weighted below the reader's own words.
//!
//! The table is small on purpose: it names the platform's vocabulary (Kubernetes objects,
//! Welkin's components, the identity provider), not English at large. Questions an entry answers
//! belong in its `questions:` front matter, not here.

use super::text::normalise;
use aho_corasick::{AhoCorasick, MatchKind};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// (phrases readers use, the words the entries use).
const ALIASES: &[(&[&str], &str)] = &[
    // Disk encryption
    (
        &[
            "luks",
            "cryptsetup",
            "dm crypt",
            "dmcrypt",
            "tpm",
            "full disk encryption",
            "disk encryption",
            "encrypt the disks",
            "encrypt the disk",
            "encrypt disks",
            "encrypted disks",
            "bitlocker",
        ],
        "disk encryption vm luks cryptsetup tpm",
    ),
    // A port kubelogin needs is taken
    (
        &[
            "address already in use",
            "already in use",
            "port in use",
            "port is in use",
            "port busy",
            "port is busy",
            "port taken",
            "bind failed",
            "failed to bind",
            "bind address",
        ],
        "port 8000 18000 kubelogin",
    ),
    // Who may use a namespace
    (
        &[
            "who is in",
            "who has access",
            "who can access",
            "who can use",
            "members",
        ],
        "access group",
    ),
    (
        &["permissions", "permission", "rights", "allowed to use"],
        "access",
    ),
    (
        &["role binding", "rolebinding", "rolebindings"],
        "rolebinding workload-admin",
    ),
    (
        &[
            "delegate",
            "delegation",
            "hand over",
            "co admin",
            "another admin",
        ],
        "extra-workload-admins",
    ),
    // The identity provider and its groups
    (
        &[
            "okta",
            "azure ad",
            "entra",
            "keycloak",
            "active directory",
            "ldap",
            "google workspace",
            "identity provider",
            "sso",
        ],
        "idp group",
    ),
    (&["team", "teams"], "group"),
    // A project is a namespace here
    (
        &[
            "project",
            "projects",
            "workspace",
            "tenant",
            "space for my app",
        ],
        "namespace",
    ),
    (
        &[
            "child namespace",
            "sub namespace",
            "subnamespace",
            "nested namespace",
            "kubectl hns",
            "hierarchical",
        ],
        "hnc sub-namespaces",
    ),
    // Logging in
    (
        &[
            "oidc",
            "openid",
            "callback",
            "redirect",
            "redirect uri",
            "sign in",
            "log in",
            "signin",
            "token expired",
        ],
        "login oidc kubelogin dex",
    ),
    (
        &["oidc login", "oidc_login", "kubectl oidc login"],
        "kubelogin oidc-login",
    ),
    (&["kube config", "kubectl config"], "kubeconfig"),
    // Abbreviations
    (&["ns"], "namespace"),
    (&["np"], "networkpolicy"),
    (
        &["pvc", "pvcs", "volumes", "persistent volume"],
        "persistentvolumeclaims",
    ),
    (&["pdb"], "poddisruptionbudget"),
    (&["sa", "service account"], "serviceaccount"),
    (
        &[
            "ci",
            "cd",
            "pipeline",
            "gitlab",
            "github actions",
            "argocd",
            "argo cd",
            "flux",
            "gitops",
        ],
        "service accounts automation",
    ),
    (
        &[
            "new hire",
            "new colleague",
            "new team member",
            "onboard",
            "onboarding",
            "colleague",
        ],
        "new developer access",
    ),
    // Logs
    (
        &[
            "kibana",
            "elasticsearch",
            "elastic",
            "elk",
            "logs",
            "logging",
            "log search",
        ],
        "opensearch dashboards logs",
    ),
    // Admission
    (
        &[
            "policy engine",
            "opa",
            "gatekeeper",
            "constraint",
            "constraints",
            "admission controller",
            "webhook",
            "rejected",
            "denied",
            "blocked by policy",
        ],
        "admission gatekeeper",
    ),
    (
        &[
            "psa",
            "pss",
            "pod security",
            "pod security standard",
            "pod security standards",
            "podsecurity",
        ],
        "pod security restricted",
    ),
    (
        &["root user", "as root", "uid 0", "runasuser", "run as root"],
        "runasnonroot root",
    ),
    // Networking
    (
        &[
            "netpol",
            "netpols",
            "network policy",
            "network policies",
            "firewall",
            "firewall rules",
        ],
        "networkpolicy",
    ),
    (
        &[
            "cannot reach",
            "can t reach",
            "can not reach",
            "can t talk",
            "cannot talk",
            "can t connect",
            "cannot connect",
            "unreachable",
            "connection refused",
            "connection timed out",
            "connections time out",
            "connections just time out",
            "timed out",
        ],
        "networkpolicy traffic allow",
    ),
    (
        &[
            "name resolution",
            "resolve",
            "nslookup",
            "getaddrinfo",
            "eai again",
            "coredns",
            "kube dns",
            "look up hostnames",
            "look up host names",
            "lookup hostnames",
        ],
        "dns",
    ),
    (
        &[
            "i o timeout",
            "io timeout",
            "hangs",
            "just hangs",
            "waits and",
            "gives up",
        ],
        "timeouts",
    ),
    (
        &[
            "simulate",
            "dry run",
            "before deploying",
            "before applying",
            "would it be allowed",
        ],
        "what-if check",
    ),
    (&["outgoing", "outbound"], "egress"),
    (
        &["deny all", "default deny", "deny everything", "block all"],
        "default-deny",
    ),
    (&["incoming", "inbound"], "ingress"),
    // Images
    (
        &[
            "registry",
            "container registry",
            "docker hub",
            "dockerhub",
            "upload my image",
            "upload image",
            "push image",
        ],
        "harbor image push",
    ),
    // Node maintenance
    (
        &[
            "drained",
            "drain",
            "cordon",
            "cordoned",
            "schedulingdisabled",
            "evicted",
            "eviction",
            "patching",
            "maintenance window",
            "restarting",
        ],
        "node reboots",
    ),
];

/// The table, ready to match queries.
pub struct Synonyms {
    /// Every phrase, padded with spaces so it matches whole words only …
    matcher: AhoCorasick,
    /// … and, per phrase, the analysed words of its row.
    adds: Vec<usize>,
    rows: Vec<Vec<String>>,
}

impl std::fmt::Debug for Synonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synonyms")
            .field("rows", &self.rows.len())
            .finish_non_exhaustive()
    }
}

impl Synonyms {
    /// The shipped table, its entry words run through `analyzer` (the index's).
    pub fn new(analyzer: &TextAnalyzer) -> Self {
        let mut patterns = Vec::new();
        let mut adds = Vec::new();
        let mut rows = Vec::new();
        for (row, (phrases, words)) in ALIASES.iter().enumerate() {
            let mut analyzer = analyzer.clone();
            let mut stream = analyzer.token_stream(words);
            let mut stems = Vec::new();
            while let Some(token) = stream.next() {
                if !stems.contains(&token.text) {
                    stems.push(token.text.clone());
                }
            }
            rows.push(stems);
            for phrase in *phrases {
                patterns.push(format!(" {} ", normalise(phrase)));
                adds.push(row);
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("the synonym table's phrases are few and short");
        Self {
            matcher,
            adds,
            rows,
        }
    }

    /// The analysed words to search besides the query's own, for the phrases `query` contains,
    /// in table order, without duplicates.
    pub fn expand(&self, query: &str) -> Vec<String> {
        let haystack = format!(" {} ", normalise(query));
        let mut rows: Vec<usize> = self
            .matcher
            .find_overlapping_iter(&haystack)
            .filter_map(|found| self.adds.get(found.pattern().as_usize()).copied())
            .collect();
        rows.sort_unstable();
        rows.dedup();
        let mut words: Vec<String> = Vec::new();
        for row in rows {
            for word in &self.rows[row] {
                if !words.contains(word) {
                    words.push(word.clone());
                }
            }
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(query: &str) -> Vec<String> {
        Synonyms::new(&super::super::search::analyzer()).expand(query)
    }

    #[test]
    fn phrases_match_whole_words_with_their_stop_words() {
        assert!(expand("LUKS on worker nodes").contains(&"encrypt".to_owned()));
        assert!(expand("bind: address already in use").contains(&"8000".to_owned()));
        assert!(expand("who is in my namespace").contains(&"access".to_owned()));
        // Inside a longer word, a phrase does not count.
        assert!(expand("tpmx").is_empty());
        assert!(expand("nothing here").is_empty());
    }

    #[test]
    fn a_row_is_added_once() {
        let words = expand("luks cryptsetup tpm");
        let mut unique = words.clone();
        unique.dedup();
        assert_eq!(words, unique);
    }
}
