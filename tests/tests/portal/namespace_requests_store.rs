//! The namespace request store, the same cases on SQLite and on a real PostgreSQL: the unique
//! open name, the per-user limit, compare-and-set transitions with their audit events, the admin
//! queue's order, filters and keyset pages, and provisioning claims.

use app::domain::namespace_request::CheckedRequest;
use app::domain::{IllegalTransition, NamespaceName, NamingPolicy, RequestEvent, RequestStatus};
use portal_tests::{TestDatabase, on_every_backend};
use server::store::Database;
use server::store::{AuditQuery, AuditStore, NamespaceRequestStore, QueueQuery, RequestStoreError};
use std::{collections::BTreeMap, sync::Arc};

on_every_backend!(
    a_request_is_stored_exactly_as_made_with_its_created_event,
    one_open_request_per_name_and_closed_requests_free_it,
    the_open_request_limit_counts_per_user,
    concurrent_requests_of_one_user_never_pass_the_limit,
    transitions_are_compare_and_set_and_audited,
    a_thousand_concurrent_approvals_approve_once,
    the_queue_lists_pending_first_then_oldest_and_pages_by_keyset,
    the_queue_filters_by_status_group_and_name,
    claims_hand_each_request_to_one_worker_until_the_lease_runs_out,
    only_the_claiming_worker_finishes_and_a_retry_is_claimed_again,
);

struct Stores {
    _database: Database,
    requests: Arc<dyn NamespaceRequestStore>,
    audit: Arc<dyn AuditStore>,
}

async fn stores(db: &TestDatabase) -> Stores {
    let database = Database::connect(&db.config()).await.expect("connects");
    database.migrate().await.expect("migrates");
    Stores {
        requests: database.stores().namespace_requests,
        audit: database.stores().audit,
        _database: database,
    }
}

fn new(name: &str, requester: &str, groups: &[&str]) -> CheckedRequest {
    CheckedRequest {
        name: NamespaceName::parse(name, &NamingPolicy::default()).expect("a valid name"),
        requester: requester.into(),
        purpose: format!("the {name} service"),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        labels: BTreeMap::new(),
    }
}

async fn timeline(stores: &Stores, id: i64) -> Vec<(String, String)> {
    let mut events = stores
        .audit
        .audit_events(&AuditQuery {
            subject: Some(format!("namespace_request/{id}")),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .expect("lists");
    events.reverse();
    events
        .into_iter()
        .map(|event| (event.actor, event.action))
        .collect()
}

async fn a_request_is_stored_exactly_as_made_with_its_created_event(db: TestDatabase) {
    let stores = stores(&db).await;
    let mut made = new("team-a-shop", "alice", &["team-a", "ünïcode:group"]);
    made.labels.insert("cost-center".into(), "cc-1234".into());
    let stored = stores
        .requests
        .create_namespace_request(&made, 3)
        .await
        .expect("stored");
    assert_eq!(stored.name.as_str(), "team-a-shop");
    assert_eq!(stored.requester, "alice");
    assert_eq!(stored.purpose, "the team-a-shop service");
    assert_eq!(stored.groups, ["team-a", "ünïcode:group"]);
    assert_eq!(stored.labels, made.labels);
    assert_eq!(stored.status, RequestStatus::Pending);
    assert_eq!(stored.decided_by, None);
    let again = stores
        .requests
        .namespace_request(stored.id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(again, stored);
    assert_eq!(
        timeline(&stores, stored.id).await,
        [("alice".to_owned(), "namespace_request.created".to_owned())]
    );
    assert!(
        stores
            .requests
            .namespace_request(stored.id + 1000)
            .await
            .expect("reads")
            .is_none()
    );
}

async fn one_open_request_per_name_and_closed_requests_free_it(db: TestDatabase) {
    let stores = stores(&db).await;
    let first = stores
        .requests
        .create_namespace_request(&new("shop", "alice", &["team-a"]), 10)
        .await
        .expect("stored");
    let taken = stores
        .requests
        .create_namespace_request(&new("shop", "bob", &["team-b"]), 10)
        .await
        .expect_err("the name is held");
    assert!(
        matches!(&taken, RequestStoreError::NameTaken(name) if name == "shop"),
        "{taken:?}"
    );
    // Nothing of the refused request was kept: no row, no groups, no audit event.
    assert!(
        stores
            .requests
            .namespace_requests_of("bob", 10)
            .await
            .expect("lists")
            .is_empty()
    );
    let events = stores
        .audit
        .audit_events(&AuditQuery {
            actor: Some("bob".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("lists");
    assert!(events.is_empty(), "{events:?}");

    stores
        .requests
        .transition_namespace_request(first.id, RequestEvent::Cancel, "alice", "")
        .await
        .expect("cancelled");
    stores
        .requests
        .create_namespace_request(&new("shop", "bob", &["team-b"]), 10)
        .await
        .expect("a cancelled request frees the name");
}

async fn the_open_request_limit_counts_per_user(db: TestDatabase) {
    let stores = stores(&db).await;
    for name in ["a-1", "a-2"] {
        stores
            .requests
            .create_namespace_request(&new(name, "alice", &["team-a"]), 2)
            .await
            .expect("under the limit");
    }
    let refused = stores
        .requests
        .create_namespace_request(&new("a-3", "alice", &["team-a"]), 2)
        .await
        .expect_err("over the limit");
    assert!(
        matches!(refused, RequestStoreError::TooManyOpen(2)),
        "{refused:?}"
    );
    assert_eq!(
        stores
            .requests
            .open_namespace_requests("alice")
            .await
            .expect("counts"),
        2
    );
    // Someone else is not affected.
    stores
        .requests
        .create_namespace_request(&new("b-1", "bob", &["team-b"]), 2)
        .await
        .expect("bob has none open");
    // A rejected request no longer counts.
    let mine = stores
        .requests
        .namespace_requests_of("alice", 10)
        .await
        .expect("lists");
    stores
        .requests
        .transition_namespace_request(mine[0].id, RequestEvent::Reject, "root", "no")
        .await
        .expect("rejected");
    stores
        .requests
        .create_namespace_request(&new("a-3", "alice", &["team-a"]), 2)
        .await
        .expect("room again");
}

async fn concurrent_requests_of_one_user_never_pass_the_limit(db: TestDatabase) {
    let stores = stores(&db).await;
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let requests = stores.requests.clone();
            tokio::spawn(async move {
                requests
                    .create_namespace_request(&new(&format!("c-{n}"), "carol", &["team-a"]), 3)
                    .await
            })
        })
        .collect();
    let mut stored = 0;
    for task in tasks {
        match task.await.expect("joins") {
            Ok(_) => stored += 1,
            Err(RequestStoreError::TooManyOpen(3)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(stored, 3);
    assert_eq!(
        stores
            .requests
            .open_namespace_requests("carol")
            .await
            .expect("counts"),
        3
    );
}

async fn transitions_are_compare_and_set_and_audited(db: TestDatabase) {
    let stores = stores(&db).await;
    let request = stores
        .requests
        .create_namespace_request(&new("team-a-web", "alice", &["team-a"]), 3)
        .await
        .expect("stored");
    let approved = stores
        .requests
        .transition_namespace_request(request.id, RequestEvent::Approve, "root", "")
        .await
        .expect("approved");
    assert_eq!(approved.status, RequestStatus::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("root"));

    for event in [
        RequestEvent::Approve,
        RequestEvent::Reject,
        RequestEvent::Cancel,
    ] {
        let refused = stores
            .requests
            .transition_namespace_request(request.id, event, "root", "late")
            .await
            .expect_err("not pending any more");
        assert!(
            matches!(
                refused,
                RequestStoreError::Illegal(IllegalTransition {
                    from: RequestStatus::Approved,
                    event: e,
                }) if e == event
            ),
            "{refused:?}"
        );
    }
    let missing = stores
        .requests
        .transition_namespace_request(request.id + 99, RequestEvent::Approve, "root", "")
        .await
        .expect_err("no such request");
    assert!(
        matches!(missing, RequestStoreError::NotFound),
        "{missing:?}"
    );

    let rejected = stores
        .requests
        .create_namespace_request(&new("team-a-old", "alice", &["team-a"]), 3)
        .await
        .expect("stored");
    let rejected = stores
        .requests
        .transition_namespace_request(rejected.id, RequestEvent::Reject, "root", "use team-a-web")
        .await
        .expect("rejected");
    assert_eq!(rejected.status, RequestStatus::Rejected);
    assert_eq!(rejected.reason, "use team-a-web");
    assert_eq!(
        timeline(&stores, request.id).await,
        [
            ("alice".to_owned(), "namespace_request.created".to_owned()),
            ("root".to_owned(), "namespace_request.approved".to_owned()),
        ],
        "refused transitions leave no trace"
    );
}

async fn a_thousand_concurrent_approvals_approve_once(db: TestDatabase) {
    let stores = stores(&db).await;
    let request = stores
        .requests
        .create_namespace_request(&new("contended", "alice", &["team-a"]), 3)
        .await
        .expect("stored");
    let tasks: Vec<_> = (0..1000)
        .map(|n| {
            let requests = stores.requests.clone();
            tokio::spawn(async move {
                requests
                    .transition_namespace_request(
                        request.id,
                        RequestEvent::Approve,
                        &format!("admin-{n}"),
                        "",
                    )
                    .await
            })
        })
        .collect();
    let mut approved = 0;
    for task in tasks {
        match task.await.expect("joins") {
            Ok(_) => approved += 1,
            Err(RequestStoreError::Illegal(IllegalTransition {
                from: RequestStatus::Approved,
                ..
            })) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(approved, 1);
    let approvals = timeline(&stores, request.id)
        .await
        .into_iter()
        .filter(|(_, action)| action == "namespace_request.approved")
        .count();
    assert_eq!(approvals, 1);

    // And of many workers claiming at once, exactly one gets it.
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let requests = stores.requests.clone();
            tokio::spawn(async move {
                requests
                    .claim_namespace_request(&format!("worker-{n}"), 1_000, 60_000)
                    .await
            })
        })
        .collect();
    let mut claimed = 0;
    for task in tasks {
        if task.await.expect("joins").expect("claims").is_some() {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1);
}

async fn the_queue_lists_pending_first_then_oldest_and_pages_by_keyset(db: TestDatabase) {
    let stores = stores(&db).await;
    let mut ids = Vec::new();
    for n in 0..7 {
        let request = stores
            .requests
            .create_namespace_request(&new(&format!("q-{n}"), &format!("user-{n}"), &["g"]), 3)
            .await
            .expect("stored");
        ids.push(request.id);
    }
    // q-0 and q-3 are decided: they go after every pending request.
    for (index, event) in [(0, RequestEvent::Approve), (3, RequestEvent::Reject)] {
        stores
            .requests
            .transition_namespace_request(ids[index], event, "root", "decided")
            .await
            .expect("decided");
    }
    let mut names = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let (page, next) = stores
            .requests
            .namespace_request_queue(&QueueQuery {
                after,
                limit: 3,
                ..QueueQuery::default()
            })
            .await
            .expect("lists");
        pages += 1;
        assert!(page.len() <= 3);
        names.extend(page.into_iter().map(|r| r.name.to_string()));
        match next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(names, ["q-1", "q-2", "q-4", "q-5", "q-6", "q-0", "q-3"]);
    assert_eq!(pages, 3);
}

async fn the_queue_filters_by_status_group_and_name(db: TestDatabase) {
    let stores = stores(&db).await;
    let shop = stores
        .requests
        .create_namespace_request(&new("team-a-shop", "alice", &["team-a"]), 3)
        .await
        .expect("stored");
    stores
        .requests
        .create_namespace_request(&new("team-b-shop", "bob", &["team-b"]), 3)
        .await
        .expect("stored");
    stores
        .requests
        .create_namespace_request(&new("team-a-blog", "carol", &["team-a", "team-b"]), 3)
        .await
        .expect("stored");
    stores
        .requests
        .transition_namespace_request(shop.id, RequestEvent::Approve, "root", "")
        .await
        .expect("approved");
    let names = |query: QueueQuery| {
        let requests = stores.requests.clone();
        async move {
            let (page, _) = requests
                .namespace_request_queue(&QueueQuery { limit: 50, ..query })
                .await
                .expect("lists");
            page.into_iter()
                .map(|r| r.name.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names(QueueQuery {
            status: Some(RequestStatus::Pending),
            ..QueueQuery::default()
        })
        .await,
        ["team-b-shop", "team-a-blog"]
    );
    assert_eq!(
        names(QueueQuery {
            group: Some("team-b".into()),
            ..QueueQuery::default()
        })
        .await,
        ["team-b-shop", "team-a-blog"]
    );
    assert_eq!(
        names(QueueQuery {
            name: Some("shop".into()),
            ..QueueQuery::default()
        })
        .await,
        ["team-b-shop", "team-a-shop"]
    );
    // Text that means something to SQL LIKE or to the query is matched literally.
    for literal in ["%", "_", "'", "\\", "shop' OR '1'='1"] {
        assert!(
            names(QueueQuery {
                name: Some(literal.into()),
                ..QueueQuery::default()
            })
            .await
            .is_empty(),
            "{literal:?}"
        );
    }
    assert!(
        names(QueueQuery {
            group: Some("team".into()),
            ..QueueQuery::default()
        })
        .await
        .is_empty(),
        "groups match exactly"
    );
}

async fn claims_hand_each_request_to_one_worker_until_the_lease_runs_out(db: TestDatabase) {
    let stores = stores(&db).await;
    assert!(
        stores
            .requests
            .claim_namespace_request("w1", 0, 1000)
            .await
            .expect("claims")
            .is_none(),
        "nothing to do"
    );
    let request = stores
        .requests
        .create_namespace_request(&new("leased", "alice", &["team-a"]), 3)
        .await
        .expect("stored");
    assert!(
        stores
            .requests
            .claim_namespace_request("w1", 0, 1000)
            .await
            .expect("claims")
            .is_none(),
        "a pending request is not provisioned"
    );
    stores
        .requests
        .transition_namespace_request(request.id, RequestEvent::Approve, "root", "")
        .await
        .expect("approved");
    let claimed = stores
        .requests
        .claim_namespace_request("w1", 10_000, 1000)
        .await
        .expect("claims")
        .expect("the approved request");
    assert_eq!(claimed.id, request.id);
    assert_eq!(claimed.status, RequestStatus::Provisioning);
    // While w1's lease holds, nobody else gets it.
    assert!(
        stores
            .requests
            .claim_namespace_request("w2", 10_500, 1000)
            .await
            .expect("claims")
            .is_none()
    );
    // w1 died: after its lease, w2 resumes.
    let resumed = stores
        .requests
        .claim_namespace_request("w2", 11_001, 1000)
        .await
        .expect("claims")
        .expect("resumed");
    assert_eq!(resumed.id, request.id);
    let started: Vec<_> = timeline(&stores, request.id)
        .await
        .into_iter()
        .filter(|(_, action)| action == "namespace_request.provisioning_started")
        .collect();
    assert_eq!(started.len(), 2);
}

async fn only_the_claiming_worker_finishes_and_a_retry_is_claimed_again(db: TestDatabase) {
    let stores = stores(&db).await;
    let request = stores
        .requests
        .create_namespace_request(&new("finished", "alice", &["team-a"]), 3)
        .await
        .expect("stored");
    stores
        .requests
        .transition_namespace_request(request.id, RequestEvent::Approve, "root", "")
        .await
        .expect("approved");
    stores
        .requests
        .claim_namespace_request("w1", 0, 60_000)
        .await
        .expect("claims")
        .expect("claimed");
    let lost = stores
        .requests
        .finish_namespace_request(request.id, "w2", Ok(()))
        .await
        .expect_err("w2 holds no claim");
    assert!(matches!(lost, RequestStoreError::ClaimLost), "{lost:?}");
    let failed = stores
        .requests
        .finish_namespace_request(request.id, "w1", Err("the API server is down".into()))
        .await
        .expect("failed");
    assert_eq!(failed.status, RequestStatus::Failed);
    assert_eq!(failed.reason, "the API server is down");
    assert!(
        stores
            .requests
            .claim_namespace_request("w1", 0, 60_000)
            .await
            .expect("claims")
            .is_none(),
        "a failed request waits for an administrator"
    );
    stores
        .requests
        .transition_namespace_request(request.id, RequestEvent::Retry, "root", "")
        .await
        .expect("retried");
    stores
        .requests
        .claim_namespace_request("w2", 0, 60_000)
        .await
        .expect("claims")
        .expect("the retried request");
    let ready = stores
        .requests
        .finish_namespace_request(request.id, "w2", Ok(()))
        .await
        .expect("ready");
    assert_eq!(ready.status, RequestStatus::Ready);
    assert_eq!(ready.reason, "", "the old failure is cleared");
    let actions: Vec<String> = timeline(&stores, request.id)
        .await
        .into_iter()
        .map(|(_, action)| action.trim_start_matches("namespace_request.").to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "created",
            "approved",
            "provisioning_started",
            "provisioning_failed",
            "retried",
            "provisioning_started",
            "provisioning_succeeded"
        ]
    );
}
