//! The storage behaviour every backend must have. Each case runs on a fresh SQLite file and on a
//! fresh database on a real PostgreSQL server.

use app::features::faq::model::VoteOutcome;
use app::ports::VoterId;
use portal_tests::{TestDatabase, on_every_backend};
use server::store::{AuditQuery, AuditStore, FaqStore, NewAuditEvent, SeenGroupStore, StoreError};
use server::store::{Database, Readiness};
use std::sync::Arc;

on_every_backend!(
    a_fresh_database_is_not_ready_until_migrated,
    migrating_twice_changes_nothing,
    audit_events_come_back_newest_first_exactly_as_recorded,
    audit_events_filter_by_actor_and_subject,
    audit_events_page_by_keyset,
    invalid_audit_events_are_refused_and_nothing_is_stored,
    the_audit_trail_is_append_only,
    faq_votes_are_one_per_voter_and_entry_and_can_be_changed,
    faq_vote_tallies_count_each_entry,
    invalid_faq_votes_are_refused_and_nothing_is_stored,
    unanswered_searches_are_counted_most_frequent_first,
    invalid_unanswered_searches_are_refused_and_nothing_is_stored,
    unanswered_searches_stop_taking_new_queries_at_ten_thousand,
    groups_seen_at_login_are_recorded_once_each_with_the_latest_time,
    invalid_seen_groups_are_refused_and_nothing_is_stored,
);

async fn migrated(db: &TestDatabase) -> (Database, Arc<dyn AuditStore>) {
    let database = Database::connect(&db.config()).await.expect("connects");
    database.migrate().await.expect("migrates");
    let store = database.stores().audit;
    (database, store)
}

fn event(actor: &str, action: &str, subject: &str, detail: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.into(),
        action: action.into(),
        subject: subject.into(),
        detail: detail.into(),
    }
}

fn all() -> AuditQuery {
    AuditQuery {
        limit: 100,
        ..AuditQuery::default()
    }
}

async fn a_fresh_database_is_not_ready_until_migrated(db: TestDatabase) {
    let database = Database::connect(&db.config()).await.expect("connects");
    assert!(matches!(
        database.readiness().await,
        Readiness::NotMigrated { applied: None, .. }
    ));
    database.migrate().await.expect("migrates");
    assert_eq!(database.readiness().await, Readiness::Ready);
}

async fn migrating_twice_changes_nothing(db: TestDatabase) {
    let (database, store) = migrated(&db).await;
    store
        .record_audit_event(event("alice", "test", "x", ""))
        .await
        .expect("records");
    database
        .migrate()
        .await
        .expect("a second migration run is a no-op");
    assert_eq!(store.audit_events(&all()).await.expect("lists").len(), 1);
    assert_eq!(database.readiness().await, Readiness::Ready);
}

async fn audit_events_come_back_newest_first_exactly_as_recorded(db: TestDatabase) {
    let (_database, store) = migrated(&db).await;
    let first = store
        .record_audit_event(event(
            "alice",
            "namespace_request.created",
            "namespace_request/1",
            "purpose: shop",
        ))
        .await
        .expect("records");
    let unusual = "oidc:Ünïcødé 用户 'quotes' \"double\" <tag> ; DROP TABLE audit_events; --";
    let second = store
        .record_audit_event(event(
            unusual,
            "namespace_request.approved",
            "namespace_request/1",
            "line1\nline2",
        ))
        .await
        .expect("records");
    assert!(second.id > first.id);

    let listed = store.audit_events(&all()).await.expect("lists");
    assert_eq!(listed, vec![second.clone(), first.clone()]);
    assert_eq!(listed[0].actor, unusual);
    assert_eq!(listed[0].detail, "line1\nline2");
}

async fn audit_events_filter_by_actor_and_subject(db: TestDatabase) {
    let (_database, store) = migrated(&db).await;
    for (actor, subject) in [("alice", "a"), ("bob", "a"), ("alice", "b")] {
        store
            .record_audit_event(event(actor, "test", subject, ""))
            .await
            .expect("records");
    }
    let by_alice = AuditQuery {
        actor: Some("alice".into()),
        ..all()
    };
    let subjects: Vec<_> = store
        .audit_events(&by_alice)
        .await
        .expect("lists")
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(subjects, ["b", "a"]);

    let on_a = AuditQuery {
        subject: Some("a".into()),
        ..all()
    };
    let actors: Vec<_> = store
        .audit_events(&on_a)
        .await
        .expect("lists")
        .into_iter()
        .map(|e| e.actor)
        .collect();
    assert_eq!(actors, ["bob", "alice"]);
}

async fn audit_events_page_by_keyset(db: TestDatabase) {
    let (_database, store) = migrated(&db).await;
    for n in 0..7 {
        store
            .record_audit_event(event("alice", "test", &n.to_string(), ""))
            .await
            .expect("records");
    }
    let mut seen = Vec::new();
    let mut before_id = None;
    loop {
        let page = store
            .audit_events(&AuditQuery {
                before_id,
                limit: 3,
                ..AuditQuery::default()
            })
            .await
            .expect("lists");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        before_id = page.last().map(|e| e.id);
        seen.extend(page.into_iter().map(|e| e.subject));
    }
    assert_eq!(seen, ["6", "5", "4", "3", "2", "1", "0"]);

    // A limit of zero or a huge one is clamped, not an error.
    let zero = store
        .audit_events(&AuditQuery {
            limit: 0,
            ..AuditQuery::default()
        })
        .await;
    assert_eq!(zero.expect("lists").len(), 1);
    let huge = store
        .audit_events(&AuditQuery {
            limit: u32::MAX,
            ..AuditQuery::default()
        })
        .await;
    assert_eq!(huge.expect("lists").len(), 7);
}

async fn invalid_audit_events_are_refused_and_nothing_is_stored(db: TestDatabase) {
    let (_database, store) = migrated(&db).await;
    let cases = [
        (event("", "test", "x", ""), "actor must not be empty"),
        (event("alice", "", "x", ""), "action must not be empty"),
        (
            event(&"a".repeat(257), "test", "x", ""),
            "actor is 257 characters long",
        ),
        (
            event("alice", "test", &"s".repeat(513), ""),
            "subject is 513 characters long",
        ),
        (
            event("alice", "test", "x", &"d".repeat(8193)),
            "detail is 8193 characters long",
        ),
        (
            event("alice", "test", "x", "nul\0byte"),
            "detail contains a NUL character",
        ),
    ];
    for (bad, expected) in cases {
        let error = store
            .record_audit_event(bad)
            .await
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains(expected),
            "{error:?} should mention {expected:?}"
        );
    }
    assert!(store.audit_events(&all()).await.expect("lists").is_empty());

    // The limit counts characters, not bytes: 256 multi-byte characters are fine.
    store
        .record_audit_event(event(&"ü".repeat(256), "test", "x", ""))
        .await
        .expect("accepted");
}

async fn the_audit_trail_is_append_only(db: TestDatabase) {
    let (_database, store) = migrated(&db).await;
    store
        .record_audit_event(event("alice", "test", "x", "original"))
        .await
        .expect("records");

    let update = "UPDATE audit_events SET detail = 'rewritten'";
    let delete = "DELETE FROM audit_events";
    if db.url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("connects");
        assert!(
            sqlx::query(update).execute(&pool).await.is_err(),
            "UPDATE must be refused"
        );
        assert!(
            sqlx::query(delete).execute(&pool).await.is_err(),
            "DELETE must be refused"
        );
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("connects");
        assert!(
            sqlx::query(update).execute(&pool).await.is_err(),
            "UPDATE must be refused"
        );
        assert!(
            sqlx::query(delete).execute(&pool).await.is_err(),
            "DELETE must be refused"
        );
    }
    let events = store.audit_events(&all()).await.expect("lists");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail, "original");
}

async fn faq_store(db: &TestDatabase) -> (Database, Arc<dyn FaqStore>) {
    let (database, _) = migrated(db).await;
    let store = database.stores().faq;
    (database, store)
}

async fn faq_votes_are_one_per_voter_and_entry_and_can_be_changed(db: TestDatabase) {
    let (_database, store) = faq_store(&db).await;
    let alice = VoterId::random();
    let bob = VoterId::random();
    let vote = |voter: &VoterId, slug: &'static str, helpful: bool| {
        let (store, voter) = (store.clone(), voter.clone());
        async move {
            store
                .record_faq_vote(slug, &voter, helpful)
                .await
                .expect("votes")
        }
    };
    assert_eq!(
        store
            .faq_vote("new-namespace", &alice)
            .await
            .expect("reads"),
        None
    );
    assert_eq!(
        vote(&alice, "new-namespace", true).await,
        VoteOutcome::Recorded
    );
    assert_eq!(
        vote(&alice, "new-namespace", true).await,
        VoteOutcome::Unchanged
    );
    assert_eq!(
        vote(&alice, "new-namespace", false).await,
        VoteOutcome::Changed
    );
    assert_eq!(
        store
            .faq_vote("new-namespace", &alice)
            .await
            .expect("reads"),
        Some(false)
    );
    // Another reader, or another entry, is another vote.
    assert_eq!(
        vote(&bob, "new-namespace", true).await,
        VoteOutcome::Recorded
    );
    assert_eq!(
        vote(&alice, "node-reboots", true).await,
        VoteOutcome::Recorded
    );

    let tallies = store.faq_vote_tallies().await.expect("tallies");
    let counts: Vec<_> = tallies
        .iter()
        .map(|t| (t.slug.as_str(), t.helpful, t.not_helpful))
        .collect();
    assert_eq!(counts, [("new-namespace", 1, 1), ("node-reboots", 1, 0)]);
}

async fn faq_vote_tallies_count_each_entry(db: TestDatabase) {
    let (_database, store) = faq_store(&db).await;
    assert!(store.faq_vote_tallies().await.expect("tallies").is_empty());
    for n in 0..5 {
        store
            .record_faq_vote("access-page", &VoterId::random(), n % 2 == 0)
            .await
            .expect("votes");
    }
    let tallies = store.faq_vote_tallies().await.expect("tallies");
    assert_eq!(tallies.len(), 1);
    assert_eq!((tallies[0].helpful, tallies[0].not_helpful), (3, 2));
}

async fn invalid_faq_votes_are_refused_and_nothing_is_stored(db: TestDatabase) {
    let (_database, store) = faq_store(&db).await;
    let voter = VoterId::random();
    for slug in ["", &"s".repeat(101), "nul\0byte"] {
        let error = store
            .record_faq_vote(slug, &voter, true)
            .await
            .expect_err("refused");
        assert!(
            matches!(error, StoreError::Rejected(_)),
            "{slug:?}: {error}"
        );
    }
    assert!(store.faq_vote_tallies().await.expect("tallies").is_empty());
    // The limit counts characters: 100 multi-byte characters are fine.
    store
        .record_faq_vote(&"ü".repeat(100), &voter, true)
        .await
        .expect("accepted");
}

async fn unanswered_searches_are_counted_most_frequent_first(db: TestDatabase) {
    let (_database, store) = faq_store(&db).await;
    let unusual = "how do i 'quote' \"this\"; drop table faq_votes; -- ünïcødé 用户";
    for query in [
        "velero restore",
        "istio",
        "velero restore",
        unusual,
        "velero restore",
        unusual,
    ] {
        store
            .record_unanswered_search(query)
            .await
            .expect("records");
    }
    let listed = store.unanswered_searches(10).await.expect("lists");
    let counts: Vec<_> = listed.iter().map(|s| (s.query.as_str(), s.count)).collect();
    assert_eq!(counts, [("velero restore", 3), (unusual, 2), ("istio", 1)]);
    assert!(listed.iter().all(|s| s.first_seen <= s.last_seen));

    let limited = store.unanswered_searches(1).await.expect("lists");
    assert_eq!(limited.len(), 1);
    // A limit of zero is clamped to one row, not an error.
    assert_eq!(store.unanswered_searches(0).await.expect("lists").len(), 1);
}

async fn invalid_unanswered_searches_are_refused_and_nothing_is_stored(db: TestDatabase) {
    let (_database, store) = faq_store(&db).await;
    for query in ["", &"q".repeat(201), "nul\0byte"] {
        let error = store
            .record_unanswered_search(query)
            .await
            .expect_err("refused");
        assert!(
            matches!(error, StoreError::Rejected(_)),
            "{query:?}: {error}"
        );
    }
    assert!(
        store
            .unanswered_searches(10)
            .await
            .expect("lists")
            .is_empty()
    );
    store
        .record_unanswered_search(&"ü".repeat(200))
        .await
        .expect("200 characters are fine");
}

/// The 10,000 distinct queries the unanswered-searches table keeps (anyone can search, so the
/// table must not grow without bound).
const UNANSWERED_CAP: usize = 10_000;

async fn unanswered_searches_stop_taking_new_queries_at_ten_thousand(db: TestDatabase) {
    let (_database, store) = faq_store(&db).await;
    let record = |query: String| {
        let store = store.clone();
        async move {
            store
                .record_unanswered_search(&query)
                .await
                .expect("records")
        }
    };
    for n in 0..UNANSWERED_CAP - 1 {
        record(format!("filler {n:05}")).await;
    }
    // The last free row is taken…
    for _ in 0..3 {
        record("the ten-thousandth".to_owned()).await;
    }
    // …then a new query is dropped without an error, however often it comes…
    for _ in 0..5 {
        record("one too many".to_owned()).await;
    }
    // …while known ones are still counted.
    for _ in 0..3 {
        record("filler 00042".to_owned()).await;
    }
    let listed = store.unanswered_searches(10).await.expect("lists");
    let counts: Vec<_> = listed
        .iter()
        .take(2)
        .map(|s| (s.query.as_str(), s.count))
        .collect();
    assert_eq!(counts, [("filler 00042", 4), ("the ten-thousandth", 3)]);
    assert!(
        listed.iter().all(|s| s.query != "one too many"),
        "a query past the cap is not kept: {listed:?}"
    );
}
async fn seen_group_store(db: &TestDatabase) -> (Database, Arc<dyn SeenGroupStore>) {
    let database = Database::connect(&db.config()).await.expect("connects");
    database.migrate().await.expect("migrates");
    let store = database.stores().seen_groups;
    (database, store)
}

async fn groups_seen_at_login_are_recorded_once_each_with_the_latest_time(db: TestDatabase) {
    let (_database, store) = seen_group_store(&db).await;
    assert!(store.seen_groups().await.expect("reads").is_empty());
    store
        .record_seen_groups(&["team-b".into(), "team-a".into()])
        .await
        .expect("records");
    let first = store.seen_groups().await.expect("reads");
    let names: Vec<&str> = first.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["team-a", "team-b"], "by name");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let odd = "oidc:équipe α/β 🚀".to_owned();
    store
        .record_seen_groups(&["team-a".into(), odd])
        .await
        .expect("records");
    store
        .record_seen_groups(&[])
        .await
        .expect("no groups is fine");
    let second = store.seen_groups().await.expect("reads");
    let names: Vec<&str> = second.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["oidc:équipe α/β 🚀", "team-a", "team-b"]);
    let a_then = first.iter().find(|g| g.name == "team-a").expect("team-a");
    let a_now = second.iter().find(|g| g.name == "team-a").expect("team-a");
    let b_then = first.iter().find(|g| g.name == "team-b").expect("team-b");
    let b_now = second.iter().find(|g| g.name == "team-b").expect("team-b");
    assert!(a_now.last_seen > a_then.last_seen, "seen again: later time");
    assert_eq!(
        b_now.last_seen, b_then.last_seen,
        "not seen again: unchanged"
    );
}

async fn invalid_seen_groups_are_refused_and_nothing_is_stored(db: TestDatabase) {
    let (_database, store) = seen_group_store(&db).await;
    for bad in [String::new(), "x".repeat(1025), "a\0b".into()] {
        let result = store.record_seen_groups(&["fine".into(), bad]).await;
        assert!(matches!(result, Err(StoreError::Rejected(_))), "{result:?}");
    }
    let too_many: Vec<String> = (0..1001).map(|i| format!("g{i}")).collect();
    assert!(matches!(
        store.record_seen_groups(&too_many).await,
        Err(StoreError::Rejected(_))
    ));
    assert!(store.seen_groups().await.expect("reads").is_empty());
    let longest = "y".repeat(1024);
    store
        .record_seen_groups(std::slice::from_ref(&longest))
        .await
        .expect("1024 characters fit");
    assert_eq!(store.seen_groups().await.expect("reads")[0].name, longest);
}
