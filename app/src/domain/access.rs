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
//!
//! Just over 400 lines: the snapshot and the questions the pages ask it (one namespace, the
//! matrix, the CSV rows) share one index and are read together.

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

/// What the access view reads and how it matches users (from the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSettings {
    /// The access RoleBindings' names; the first is the one every namespace should have.
    pub binding_names: Vec<String>,
    /// The API server's OIDC username and groups prefixes.
    pub prefixes: SubjectPrefixes,
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
    /// Each namespace's labels, where they were read (Pod Security levels, what Gatekeeper's
    /// `namespaceSelector`s match).
    labels: HashMap<String, BTreeMap<String, String>>,
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
            labels: HashMap::new(),
        }
    }

    /// The same snapshot with the namespaces' labels, by namespace name.
    pub fn with_labels(
        mut self,
        labels: impl IntoIterator<Item = (String, BTreeMap<String, String>)>,
    ) -> Self {
        self.labels = labels.into_iter().collect();
        self
    }

    /// The namespaces `viewer` may use, by name: their own, or every one for an administrator.
    pub fn usable_namespaces(&self, viewer: &Viewer) -> Vec<String> {
        if viewer.is_admin {
            return self.namespaces.iter().cloned().collect();
        }
        self.my_namespaces(viewer)
            .into_iter()
            .map(|mine| mine.namespace)
            .collect()
    }

    /// A namespace `viewer` may use (an administrator: any that exists), with its labels (empty
    /// when none were read); `None` alike for one that does not exist and one the viewer may
    /// not use, as [`AccessSnapshot::namespace`] answers.
    pub fn usable_namespace(
        &self,
        viewer: &Viewer,
        namespace: &str,
    ) -> Option<BTreeMap<String, String>> {
        self.namespace(viewer, namespace)?;
        Some(self.labels.get(namespace).cloned().unwrap_or_default())
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
mod tests;
