//! Unit tests of `access`.

use super::*;

#[test]
fn status_is_starting_until_every_watcher_has_listed_once_and_the_snapshot_is_built() {
    let mut health = Health {
        synced: vec![true, false],
        failing_since: vec![None, None],
        built_after_sync: false,
    };
    assert_eq!(health.status(), ClusterStatus::Starting);
    health.synced[1] = true;
    // Listed, but readers still see the snapshot from before: not connected yet.
    assert_eq!(health.status(), ClusterStatus::Starting);
    health.built_after_sync = true;
    assert_eq!(health.status(), ClusterStatus::Connected);
}

#[test]
fn status_is_unreachable_since_the_first_failure_of_any_watcher() {
    let early = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .ok();
    let late = DateTime::parse_from_rfc3339("2026-11-29T10:05:00Z")
        .map(|t| t.with_timezone(&Utc))
        .ok();
    let health = Health {
        synced: vec![true, true],
        failing_since: vec![late, early],
        built_after_sync: true,
    };
    assert_eq!(
        health.status(),
        ClusterStatus::Unreachable {
            since: "2026-11-29 10:00:00 UTC".into()
        }
    );
}
