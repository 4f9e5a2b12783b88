//! Who has access to which namespace: the subjects of the access RoleBindings (`workload-admin`,
//! `extra-workload-admins`, …) matched against a portal user's username and IdP groups.
//!
//! Kubernetes cannot list who is in a group, so the portal reasons in the same terms the API
//! server does: a user may use a namespace when a `User` subject names their username or a
//! `Group` subject names one of their groups (after the API server's OIDC prefixes), or the
//! built-in `system:authenticated` group that every logged-in user carries.
//!
//! Everything here is pure: the server fills an [`AccessSnapshot`] from its reflector caches and
//! the pages ask it questions.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The group every authenticated user is in, whatever the identity provider says.
pub const AUTHENTICATED_GROUP: &str = "system:authenticated";

/// The kind of a RoleBinding subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

impl SubjectKind {
    /// The kind as a RoleBinding names it; `None` for anything Kubernetes does not define.
    pub fn parse(kind: &str) -> Option<Self> {
        match kind {
            "User" => Some(Self::User),
            "Group" => Some(Self::Group),
            "ServiceAccount" => Some(Self::ServiceAccount),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::ServiceAccount => "ServiceAccount",
        }
    }
}

/// One subject of a RoleBinding, exactly as the cluster has it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    /// A ServiceAccount's namespace (the binding's own when the subject leaves it out).
    pub namespace: Option<String>,
}

impl Subject {
    /// The name as `kubectl` and the API server's authorizer would show it: a ServiceAccount is
    /// `system:serviceaccount:NAMESPACE:NAME`; users and groups are their name.
    pub fn display_name(&self) -> String {
        match (self.kind, &self.namespace) {
            (SubjectKind::ServiceAccount, Some(namespace)) => {
                format!("system:serviceaccount:{namespace}:{}", self.name)
            }
            _ => self.name.clone(),
        }
    }
}

/// One access RoleBinding in one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub namespace: String,
    pub name: String,
    /// `ClusterRole` or `Role`.
    pub role_kind: String,
    pub role_name: String,
    pub subjects: Vec<Subject>,
}

/// How the API server names portal users: kube-apiserver's `--oidc-username-prefix` and
/// `--oidc-groups-prefix` (for example `oidc:`), put in front of the IdP's names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectPrefixes {
    pub username: String,
    pub groups: String,
}

/// Who is asking, in IdP terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub username: String,
    pub groups: Vec<String>,
    pub is_admin: bool,
}

/// Why a viewer may use a namespace: one matching subject of one binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    /// The RoleBinding's name.
    pub binding: String,
    /// The ClusterRole (or Role) it binds.
    pub role: String,
    pub via: Via,
}

/// The subject that matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Via {
    /// The username itself, as the subject names it (with any prefix).
    User(String),
    /// One of the viewer's groups, as the subject names it (with any prefix).
    Group(String),
}

/// A namespace the viewer may use, and every reason why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyNamespace {
    pub namespace: String,
    pub grants: Vec<Grant>,
}

/// The viewer's names as the API server sees them: prefixed username, prefixed groups and the
/// implicit `system:authenticated`.
#[derive(Debug, Clone)]
pub struct Matcher<'a> {
    username: String,
    groups: HashSet<String>,
    snapshot: &'a AccessSnapshot,
}

impl<'a> Matcher<'a> {
    /// The grants of one binding for this viewer, in subject order.
    pub fn grants(&self, binding: &Binding) -> Vec<Grant> {
        binding
            .subjects
            .iter()
            .filter_map(|subject| self.via(subject))
            .map(|via| Grant {
                binding: binding.name.clone(),
                role: binding.role_name.clone(),
                via,
            })
            .collect()
    }

    /// Whether `subject` is this viewer. ServiceAccounts are never a person; a `User` subject
    /// named `system:serviceaccount:…` only matches a username spelled exactly that way.
    pub fn via(&self, subject: &Subject) -> Option<Via> {
        match subject.kind {
            SubjectKind::User if subject.name == self.username => {
                Some(Via::User(subject.name.clone()))
            }
            SubjectKind::Group if self.groups.contains(&subject.name) => {
                Some(Via::Group(subject.name.clone()))
            }
            _ => None,
        }
    }

    /// Every namespace the viewer may use, in name order, with the reasons. Looks up only the
    /// namespaces whose bindings name the viewer (through the snapshot's subject index), so the
    /// cost follows the viewer's namespaces, not the cluster's size.
    pub fn my_namespaces(&self) -> Vec<MyNamespace> {
        let user = (SubjectKind::User, self.username.clone());
        let candidates: BTreeSet<&String> = std::iter::once(&user)
            .filter_map(|key| self.snapshot.by_subject.get(key))
            .chain(self.groups.iter().filter_map(|group| {
                self.snapshot
                    .by_subject
                    .get(&(SubjectKind::Group, group.clone()))
            }))
            .flatten()
            .collect();
        candidates
            .into_iter()
            .filter(|namespace| self.snapshot.namespaces.contains(*namespace))
            .filter_map(|namespace| {
                let bindings = self.snapshot.bindings.get(namespace)?;
                let grants: Vec<Grant> = bindings.iter().flat_map(|b| self.grants(b)).collect();
                (!grants.is_empty()).then(|| MyNamespace {
                    namespace: namespace.clone(),
                    grants,
                })
            })
            .collect()
    }
}

/// The access bindings and namespaces of the cluster at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessSnapshot {
    /// Every namespace that exists.
    namespaces: BTreeSet<String>,
    /// The access bindings per namespace, in binding-name order.
    bindings: BTreeMap<String, Vec<Binding>>,
    prefixes: SubjectPrefixes,
    /// The binding whose absence the administrators' page points out (`workload-admin`).
    primary_binding: String,
    /// Users and groups → the namespaces whose bindings name them, for [`Matcher::my_namespaces`].
    by_subject: HashMap<(SubjectKind, String), BTreeSet<String>>,
}

/// A namespace's access page: its bindings, for a viewer allowed to see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceAccess {
    pub namespace: String,
    pub bindings: Vec<Binding>,
    /// The viewer's own grants here (empty for an administrator without access of their own).
    pub grants: Vec<Grant>,
}

/// One cell of the administrators' matrix: `subject` may use `namespace` through `binding`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MatrixEntry {
    pub subject: Subject,
    pub namespace: String,
    pub binding: String,
    pub role: String,
}

/// One row of the matrix: a subject and the namespaces it may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixRow {
    pub subject: Subject,
    /// `(namespace, binding)` pairs, in namespace order.
    pub namespaces: Vec<(String, String)>,
}

/// Rows of the matrix laid out as a grid: a row per namespace, a column per subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub columns: Vec<Subject>,
    pub rows: Vec<GridRow>,
}

/// One namespace of a [`Grid`]: for each column, the bindings that give that subject access
/// here (empty: no access).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    pub namespace: String,
    pub cells: Vec<Vec<String>>,
}

impl Grid {
    /// The most subjects (columns) a grid shows; past it the rows stay a list.
    pub const MAX_COLUMNS: usize = 12;
    /// The most namespaces (rows) a grid shows.
    pub const MAX_ROWS: usize = 150;

    /// `rows` as a grid, or `None` when they are too many (columns or namespaces) to read as
    /// one, or when there are none.
    pub fn of(rows: &[MatrixRow]) -> Option<Self> {
        if rows.is_empty() || rows.len() > Self::MAX_COLUMNS {
            return None;
        }
        let mut by_namespace: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
        for (column, row) in rows.iter().enumerate() {
            for (namespace, binding) in &row.namespaces {
                let cells = by_namespace
                    .entry(namespace.as_str())
                    .or_insert_with(|| vec![Vec::new(); rows.len()]);
                if !cells[column].contains(binding) {
                    cells[column].push(binding.clone());
                }
            }
            if by_namespace.len() > Self::MAX_ROWS {
                return None;
            }
        }
        Some(Self {
            columns: rows.iter().map(|row| row.subject.clone()).collect(),
            rows: by_namespace
                .into_iter()
                .map(|(namespace, cells)| GridRow {
                    namespace: namespace.to_owned(),
                    cells,
                })
                .collect(),
        })
    }
}

/// The administrators' view, filtered by a search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    pub groups: Vec<MatrixRow>,
    pub users: Vec<MatrixRow>,
    pub service_accounts: Vec<MatrixRow>,
    /// Namespaces (matching the search) that have no primary (`workload-admin`) binding.
    pub without_primary_binding: Vec<String>,
    /// How many namespaces exist, and how many have at least one access binding.
    pub namespace_count: usize,
}

impl AccessSnapshot {
    /// A snapshot of `namespaces` and the access `bindings` in them. `primary_binding` is the
    /// binding every user namespace should have (`workload-admin`).
    pub fn new(
        namespaces: impl IntoIterator<Item = String>,
        bindings: impl IntoIterator<Item = Binding>,
        prefixes: SubjectPrefixes,
        primary_binding: impl Into<String>,
    ) -> Self {
        let mut by_namespace: BTreeMap<String, Vec<Binding>> = BTreeMap::new();
        for binding in bindings {
            by_namespace
                .entry(binding.namespace.clone())
                .or_default()
                .push(binding);
        }
        let mut by_subject: HashMap<(SubjectKind, String), BTreeSet<String>> = HashMap::new();
        for list in by_namespace.values_mut() {
            list.sort_by(|a, b| a.name.cmp(&b.name));
            for binding in list.iter() {
                for subject in &binding.subjects {
                    if subject.kind != SubjectKind::ServiceAccount {
                        by_subject
                            .entry((subject.kind, subject.name.clone()))
                            .or_default()
                            .insert(binding.namespace.clone());
                    }
                }
            }
        }
        Self {
            namespaces: namespaces.into_iter().collect(),
            bindings: by_namespace,
            prefixes,
            primary_binding: primary_binding.into(),
            by_subject,
        }
    }

    pub fn namespace_count(&self) -> usize {
        self.namespaces.len()
    }

    pub fn binding_count(&self) -> usize {
        self.bindings.values().map(Vec::len).sum()
    }

    /// The viewer's names as the API server sees them.
    pub fn matcher(&self, viewer: &Viewer) -> Matcher<'_> {
        let mut groups: HashSet<String> = viewer
            .groups
            .iter()
            .map(|group| format!("{}{group}", self.prefixes.groups))
            .collect();
        groups.insert(AUTHENTICATED_GROUP.to_owned());
        Matcher {
            username: format!("{}{}", self.prefixes.username, viewer.username),
            groups,
            snapshot: self,
        }
    }

    /// The namespaces the viewer may use (administrators too: this is their own access).
    pub fn my_namespaces(&self, viewer: &Viewer) -> Vec<MyNamespace> {
        self.matcher(viewer).my_namespaces()
    }

    /// A namespace's access, when the viewer may see it: administrators see every namespace that
    /// exists, developers the ones they may use. `None` alike for a namespace that does not exist
    /// and one the viewer may not see, so the answer never tells one from the other.
    pub fn namespace(&self, viewer: &Viewer, namespace: &str) -> Option<NamespaceAccess> {
        if !self.namespaces.contains(namespace) {
            return None;
        }
        let bindings = self.bindings.get(namespace).cloned().unwrap_or_default();
        let matcher = self.matcher(viewer);
        let grants: Vec<Grant> = bindings.iter().flat_map(|b| matcher.grants(b)).collect();
        (viewer.is_admin || !grants.is_empty()).then(|| NamespaceAccess {
            namespace: namespace.to_owned(),
            bindings,
            grants,
        })
    }

    /// Every (subject, namespace, binding) of the cluster, in namespace then subject order.
    pub fn entries(&self) -> Vec<MatrixEntry> {
        let mut entries: Vec<MatrixEntry> = self
            .bindings
            .iter()
            .filter(|(namespace, _)| self.namespaces.contains(*namespace))
            .flat_map(|(_, bindings)| bindings)
            .flat_map(|binding| {
                binding.subjects.iter().map(|subject| MatrixEntry {
                    subject: subject.clone(),
                    namespace: binding.namespace.clone(),
                    binding: binding.name.clone(),
                    role: binding.role_name.clone(),
                })
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.namespace, &a.subject, &a.binding).cmp(&(&b.namespace, &b.subject, &b.binding))
        });
        entries.dedup();
        entries
    }

    /// The entries whose subject or namespace contains `search` (case-insensitive, trimmed;
    /// empty for all): what the matrix shows and the CSV exports.
    pub fn entries_matching(&self, search: &str) -> Vec<MatrixEntry> {
        let hit = search_matcher(search);
        let mut entries = self.entries();
        entries.retain(|entry| hit(&entry.subject.display_name()) || hit(&entry.namespace));
        entries
    }

    /// The administrators' matrix. `search` (case-insensitive, trimmed; empty for everything)
    /// keeps the rows whose subject or namespace contains it.
    pub fn matrix(&self, search: &str) -> Matrix {
        let hit = search_matcher(search);
        let mut rows: BTreeMap<Subject, Vec<(String, String)>> = BTreeMap::new();
        for entry in self.entries_matching(search) {
            rows.entry(entry.subject)
                .or_default()
                .push((entry.namespace, entry.binding));
        }
        let mut matrix = Matrix {
            namespace_count: self.namespaces.len(),
            ..Matrix::default()
        };
        for (subject, namespaces) in rows {
            let row = MatrixRow {
                subject: subject.clone(),
                namespaces,
            };
            match subject.kind {
                SubjectKind::Group => matrix.groups.push(row),
                SubjectKind::User => matrix.users.push(row),
                SubjectKind::ServiceAccount => matrix.service_accounts.push(row),
            }
        }
        matrix.without_primary_binding =
            self.namespaces
                .iter()
                .filter(|namespace| hit(namespace))
                .filter(|namespace| {
                    !self.bindings.get(*namespace).is_some_and(|bindings| {
                        bindings.iter().any(|b| b.name == self.primary_binding)
                    })
                })
                .cloned()
                .collect();
        matrix
    }

    /// Groups that bindings name but that no logged-in user has carried: `seen` are the IdP
    /// groups recorded at login (without prefix). Kubernetes' own `system:` groups are left out,
    /// since no identity provider hands them out.
    pub fn groups_never_seen(&self, seen: &HashSet<String>) -> Vec<String> {
        let groups: BTreeSet<String> = self
            .entries()
            .into_iter()
            .filter(|entry| entry.subject.kind == SubjectKind::Group)
            .map(|entry| entry.subject.name)
            .filter(|name| !name.starts_with("system:"))
            .filter(|name| {
                let idp_name = name
                    .strip_prefix(self.prefixes.groups.as_str())
                    .unwrap_or(name);
                !seen.contains(idp_name)
            })
            .collect();
        groups.into_iter().collect()
    }
}

/// "Contains the search", case-insensitively; everything matches an empty search.
fn search_matcher(search: &str) -> impl Fn(&str) -> bool {
    let needle = search.trim().to_lowercase();
    move |text: &str| needle.is_empty() || text.to_lowercase().contains(&needle)
}

/// The administrators' CSV export: one row per subject, namespace and binding.
pub fn matrix_csv(entries: &[MatrixEntry]) -> String {
    let mut out = String::from("namespace,subject_kind,subject,rolebinding,clusterrole\r\n");
    for entry in entries {
        let cells = [
            entry.namespace.clone(),
            entry.subject.kind.as_str().to_owned(),
            entry.subject.display_name(),
            entry.binding.clone(),
            entry.role.clone(),
        ];
        out.push_str(&super::csv::record(&cells));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::Group,
            name: name.into(),
            namespace: None,
        }
    }
    fn user(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::User,
            name: name.into(),
            namespace: None,
        }
    }
    fn service_account(namespace: &str, name: &str) -> Subject {
        Subject {
            kind: SubjectKind::ServiceAccount,
            name: name.into(),
            namespace: Some(namespace.into()),
        }
    }
    fn binding(namespace: &str, name: &str, subjects: Vec<Subject>) -> Binding {
        Binding {
            namespace: namespace.into(),
            name: name.into(),
            role_kind: "ClusterRole".into(),
            role_name: "admin".into(),
            subjects,
        }
    }
    fn viewer(username: &str, groups: &[&str]) -> Viewer {
        Viewer {
            username: username.into(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            is_admin: false,
        }
    }
    fn snapshot(namespaces: &[&str], bindings: Vec<Binding>) -> AccessSnapshot {
        AccessSnapshot::new(
            namespaces.iter().map(|n| (*n).to_owned()),
            bindings,
            SubjectPrefixes::default(),
            "workload-admin",
        )
    }
    fn names(list: &[MyNamespace]) -> Vec<&str> {
        list.iter().map(|n| n.namespace.as_str()).collect()
    }

    fn cluster() -> AccessSnapshot {
        snapshot(
            &["shop", "blog", "data", "empty"],
            vec![
                binding("shop", "workload-admin", vec![group("team-a")]),
                binding(
                    "blog",
                    "workload-admin",
                    vec![group("team-b"), user("alice")],
                ),
                binding("blog", "extra-workload-admins", vec![group("team-a")]),
                binding(
                    "data",
                    "workload-admin",
                    vec![service_account("ci", "deployer")],
                ),
            ],
        )
    }

    #[test]
    fn a_group_member_sees_the_namespaces_of_their_groups_with_the_reason() {
        let mine = cluster().my_namespaces(&viewer("bob", &["team-b"]));
        assert_eq!(names(&mine), ["blog"]);
        assert_eq!(
            mine[0].grants,
            [Grant {
                binding: "workload-admin".into(),
                role: "admin".into(),
                via: Via::Group("team-b".into())
            }]
        );
    }

    #[test]
    fn every_grant_is_listed_user_and_groups_in_every_binding() {
        let mine = cluster().my_namespaces(&viewer("alice", &["team-a"]));
        assert_eq!(names(&mine), ["blog", "shop"]);
        let blog: Vec<_> = mine[0].grants.iter().map(|g| g.via.clone()).collect();
        assert_eq!(
            blog,
            [Via::Group("team-a".into()), Via::User("alice".into())],
            "extra-workload-admins sorts before workload-admin"
        );
    }

    #[test]
    fn nobody_matches_without_a_subject_naming_them() {
        assert!(
            cluster()
                .my_namespaces(&viewer("dave", &["team-c"]))
                .is_empty()
        );
    }

    #[test]
    fn matching_is_exact_and_case_sensitive() {
        let s = snapshot(
            &["ns"],
            vec![binding(
                "ns",
                "workload-admin",
                vec![group("Team-A"), user("alice ")],
            )],
        );
        assert!(s.my_namespaces(&viewer("alice", &["team-a"])).is_empty());
        assert!(s.my_namespaces(&viewer("alic", &["team"])).is_empty());
    }

    #[test]
    fn kinds_do_not_cross_a_group_named_like_a_user_is_not_the_user() {
        let s = snapshot(
            &["ns"],
            vec![binding(
                "ns",
                "workload-admin",
                vec![group("alice"), user("team-a")],
            )],
        );
        assert!(s.my_namespaces(&viewer("alice", &["team-a"])).is_empty());
    }

    #[test]
    fn service_accounts_are_never_a_person() {
        let s = snapshot(
            &["ns"],
            vec![binding(
                "ns",
                "workload-admin",
                vec![service_account("ci", "deployer")],
            )],
        );
        assert!(
            s.my_namespaces(&viewer("system:serviceaccount:ci:deployer", &[]))
                .is_empty()
        );
        assert!(s.my_namespaces(&viewer("deployer", &["ci"])).is_empty());
    }

    #[test]
    fn a_user_subject_with_colons_matches_only_that_exact_username() {
        let s = snapshot(
            &["ns"],
            vec![binding(
                "ns",
                "workload-admin",
                vec![user("system:serviceaccount:ci:deployer")],
            )],
        );
        assert_eq!(
            names(&s.my_namespaces(&viewer("system:serviceaccount:ci:deployer", &[]))),
            ["ns"]
        );
        assert!(s.my_namespaces(&viewer("deployer", &[])).is_empty());
    }

    #[test]
    fn the_api_servers_oidc_prefixes_are_applied_to_the_viewers_names() {
        let s = AccessSnapshot::new(
            ["ns".to_owned(), "plain".to_owned()],
            vec![
                binding(
                    "ns",
                    "workload-admin",
                    vec![group("oidc:team-a"), user("oidc:bob")],
                ),
                binding("plain", "workload-admin", vec![group("team-a")]),
            ],
            SubjectPrefixes {
                username: "oidc:".into(),
                groups: "oidc:".into(),
            },
            "workload-admin",
        );
        let alice = s.my_namespaces(&viewer("alice", &["team-a"]));
        assert_eq!(names(&alice), ["ns"], "an unprefixed group is not hers");
        assert_eq!(alice[0].grants[0].via, Via::Group("oidc:team-a".into()));
        assert_eq!(names(&s.my_namespaces(&viewer("bob", &[]))), ["ns"]);
    }

    #[test]
    fn system_authenticated_gives_every_logged_in_user_access() {
        let s = snapshot(
            &["open"],
            vec![binding(
                "open",
                "workload-admin",
                vec![group(AUTHENTICATED_GROUP)],
            )],
        );
        let mine = s.my_namespaces(&viewer("anyone", &[]));
        assert_eq!(names(&mine), ["open"]);
        assert_eq!(
            mine[0].grants[0].via,
            Via::Group(AUTHENTICATED_GROUP.into())
        );
    }

    #[test]
    fn unicode_and_very_long_names_match_exactly() {
        let long = "g".repeat(5000);
        let s = snapshot(
            &["ns"],
            vec![binding(
                "ns",
                "workload-admin",
                vec![group("équipe-α"), group(&long)],
            )],
        );
        assert_eq!(names(&s.my_namespaces(&viewer("x", &["équipe-α"]))), ["ns"]);
        assert_eq!(names(&s.my_namespaces(&viewer("x", &[&long]))), ["ns"]);
        assert!(s.my_namespaces(&viewer("x", &["equipe-α"])).is_empty());
    }

    #[test]
    fn bindings_in_namespaces_that_no_longer_exist_grant_nothing() {
        let s = snapshot(
            &[],
            vec![binding("gone", "workload-admin", vec![group("team-a")])],
        );
        assert!(s.my_namespaces(&viewer("alice", &["team-a"])).is_empty());
        assert!(s.entries().is_empty());
    }

    #[test]
    fn a_developer_sees_a_namespace_page_only_where_they_have_access() {
        let s = cluster();
        let bob = viewer("bob", &["team-b"]);
        let page = s.namespace(&bob, "blog").expect("bob may see blog");
        assert_eq!(page.bindings.len(), 2, "every binding, not only his");
        assert_eq!(page.grants.len(), 1);
        assert_eq!(s.namespace(&bob, "shop"), None);
    }

    #[test]
    fn missing_and_forbidden_namespaces_are_indistinguishable() {
        let s = cluster();
        let bob = viewer("bob", &["team-b"]);
        assert_eq!(s.namespace(&bob, "shop"), s.namespace(&bob, "no-such-ns"));
        assert_eq!(s.namespace(&bob, "empty"), None);
    }

    #[test]
    fn administrators_see_every_existing_namespace_and_nothing_else() {
        let s = cluster();
        let root = Viewer {
            is_admin: true,
            ..viewer("root", &["platform-admins"])
        };
        let empty = s.namespace(&root, "empty").expect("admins see all");
        assert!(empty.bindings.is_empty() && empty.grants.is_empty());
        assert!(s.namespace(&root, "shop").is_some());
        assert_eq!(s.namespace(&root, "no-such-ns"), None);
    }

    #[test]
    fn the_matrix_has_one_row_per_subject_by_kind() {
        let m = cluster().matrix("");
        let group_rows: Vec<_> = m
            .groups
            .iter()
            .map(|r| (r.subject.name.as_str(), r.namespaces.len()))
            .collect();
        assert_eq!(group_rows, [("team-a", 2), ("team-b", 1)]);
        assert_eq!(m.users.len(), 1);
        assert_eq!(
            m.service_accounts[0].subject.display_name(),
            "system:serviceaccount:ci:deployer"
        );
        assert_eq!(m.namespace_count, 4);
        assert_eq!(m.without_primary_binding, ["empty"]);
    }

    #[test]
    fn the_matrix_search_matches_subjects_or_namespaces_case_insensitively() {
        let s = cluster();
        let m = s.matrix("  TEAM-B ");
        assert_eq!(m.groups.len(), 1);
        assert!(m.users.is_empty());
        let m = s.matrix("blog");
        assert_eq!(m.groups.len(), 2);
        assert_eq!(m.users.len(), 1);
        assert!(m.without_primary_binding.is_empty());
        assert_eq!(s.matrix("emp").without_primary_binding, ["empty"]);
        let m = s.matrix("nothing-matches");
        assert!(m.groups.is_empty() && m.users.is_empty() && m.service_accounts.is_empty());
    }

    #[test]
    fn a_namespace_with_only_the_extra_binding_lacks_the_primary_one() {
        let s = snapshot(
            &["ns"],
            vec![binding("ns", "extra-workload-admins", vec![group("x")])],
        );
        assert_eq!(s.matrix("").without_primary_binding, ["ns"]);
    }

    #[test]
    fn groups_never_seen_at_login_are_pointed_out() {
        let s = snapshot(
            &["a", "b"],
            vec![
                binding(
                    "a",
                    "workload-admin",
                    vec![group("team-a"), group("ghosts")],
                ),
                binding(
                    "b",
                    "workload-admin",
                    vec![group(AUTHENTICATED_GROUP), user("ghosts-user")],
                ),
            ],
        );
        let seen: HashSet<String> = ["team-a".to_owned()].into();
        assert_eq!(s.groups_never_seen(&seen), ["ghosts"]);
    }

    #[test]
    fn groups_never_seen_compares_without_the_oidc_prefix() {
        let s = AccessSnapshot::new(
            ["a".to_owned()],
            vec![binding(
                "a",
                "workload-admin",
                vec![group("oidc:team-a"), group("oidc:old")],
            )],
            SubjectPrefixes {
                username: String::new(),
                groups: "oidc:".into(),
            },
            "workload-admin",
        );
        let seen: HashSet<String> = ["team-a".to_owned()].into();
        assert_eq!(s.groups_never_seen(&seen), ["oidc:old"]);
    }

    #[test]
    fn the_csv_has_a_header_and_one_row_per_subject_and_binding() {
        let csv = matrix_csv(&cluster().entries());
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines[0],
            "namespace,subject_kind,subject,rolebinding,clusterrole"
        );
        assert_eq!(lines.len(), 1 + 5);
        assert!(lines.contains(
            &"data,ServiceAccount,system:serviceaccount:ci:deployer,workload-admin,admin"
        ));
        assert!(lines.contains(&"blog,User,alice,workload-admin,admin"));
    }

    #[test]
    fn subject_kinds_round_trip_and_unknown_kinds_are_refused() {
        for kind in [
            SubjectKind::User,
            SubjectKind::Group,
            SubjectKind::ServiceAccount,
        ] {
            assert_eq!(SubjectKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SubjectKind::parse("user"), None);
    }

    fn matrix_row(subject: Subject, namespaces: &[(&str, &str)]) -> MatrixRow {
        MatrixRow {
            subject,
            namespaces: namespaces
                .iter()
                .map(|(namespace, binding)| ((*namespace).into(), (*binding).into()))
                .collect(),
        }
    }

    #[test]
    fn a_grid_has_a_row_per_namespace_and_a_column_per_subject() {
        let rows = vec![
            matrix_row(
                group("team-a"),
                &[
                    ("shop", "workload-admin"),
                    ("shop", "extra-workload-admins"),
                    ("web", "workload-admin"),
                ],
            ),
            matrix_row(group("team-b"), &[("api", "workload-admin")]),
        ];
        let grid = Grid::of(&rows).expect("small enough");
        assert_eq!(grid.columns, vec![group("team-a"), group("team-b")]);
        let cells: Vec<(&str, Vec<Vec<String>>)> = grid
            .rows
            .iter()
            .map(|row| (row.namespace.as_str(), row.cells.clone()))
            .collect();
        assert_eq!(
            cells,
            vec![
                ("api", vec![vec![], vec!["workload-admin".to_owned()]]),
                (
                    "shop",
                    vec![
                        vec![
                            "workload-admin".to_owned(),
                            "extra-workload-admins".to_owned()
                        ],
                        vec![]
                    ]
                ),
                ("web", vec![vec!["workload-admin".to_owned()], vec![]]),
            ]
        );
    }

    #[test]
    fn too_many_subjects_or_namespaces_or_none_stay_a_list() {
        assert_eq!(Grid::of(&[]), None);
        let wide: Vec<MatrixRow> = (0..=Grid::MAX_COLUMNS)
            .map(|i| matrix_row(group(&format!("g{i}")), &[("shop", "workload-admin")]))
            .collect();
        assert_eq!(Grid::of(&wide), None);
        assert!(Grid::of(&wide[..Grid::MAX_COLUMNS]).is_some());
        let names: Vec<String> = (0..=Grid::MAX_ROWS).map(|i| format!("ns-{i:04}")).collect();
        let pairs: Vec<(&str, &str)> = names
            .iter()
            .map(|name| (name.as_str(), "workload-admin"))
            .collect();
        assert_eq!(Grid::of(&[matrix_row(group("team-a"), &pairs)]), None);
        assert!(Grid::of(&[matrix_row(group("team-a"), &pairs[..Grid::MAX_ROWS])]).is_some());
    }
}
