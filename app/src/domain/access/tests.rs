//! Unit tests of `access`.

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
    assert!(
        lines.contains(
            &"data,ServiceAccount,system:serviceaccount:ci:deployer,workload-admin,admin"
        )
    );
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

#[test]
fn a_namespace_is_usable_with_its_labels_only_by_those_who_may_use_it() {
    let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    };
    let shop = labels(&[("pod-security.kubernetes.io/enforce", "baseline")]);
    let snapshot = cluster().with_labels([("shop".to_owned(), shop.clone())]);
    let bob = viewer("bob", &["team-a"]);
    assert_eq!(snapshot.usable_namespace(&bob, "shop"), Some(shop.clone()));
    assert_eq!(snapshot.usable_namespaces(&bob), ["blog", "shop"]);
    // Another team's, one that does not exist: the same answer.
    let carol = viewer("carol", &["team-b"]);
    assert_eq!(snapshot.usable_namespace(&carol, "shop"), None);
    assert_eq!(snapshot.usable_namespace(&carol, "missing"), None);
    assert_eq!(snapshot.usable_namespaces(&carol), ["blog"]);
    // Labels not read are no labels; an administrator may use every namespace that exists.
    assert_eq!(
        snapshot.usable_namespace(&carol, "blog"),
        Some(BTreeMap::new())
    );
    let root = Viewer {
        is_admin: true,
        ..viewer("root", &[])
    };
    assert_eq!(snapshot.usable_namespace(&root, "shop"), Some(shop));
    assert_eq!(snapshot.usable_namespace(&root, "missing"), None);
    assert_eq!(
        snapshot.usable_namespaces(&root),
        ["blog", "data", "empty", "shop"]
    );
}
