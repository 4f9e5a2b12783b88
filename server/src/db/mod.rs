//! The portal's database: SQLite (embedded, the default) or PostgreSQL (production, and required
//! for more than one replica), chosen by the URL's scheme at start-up.
//!
//! Each backend has its own migrations (`migrations/sqlite`, `migrations/postgres`) and its own
//! [`Store`] implementation; the behavioural test suite runs the same cases against both.

/// Limits and names the FAQ feedback tables share on both backends.
mod faq;
/// What the namespace request tables share on both backends.
mod namespace_requests;
mod postgres;
/// Limits of the groups-seen-at-login table, shared by both backends.
mod seen_groups;
mod sqlite;

use crate::config::Config;
use crate::metrics::DatabaseStats;
use anyhow::Context;
use app::ports::{
    AuditQuery, FaqStore, NamespaceRequestStore, NewAuditEvent, SeenGroupStore, Store, StoreError,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
use sqlx::pool::PoolConnection;
use std::sync::Arc;

/// Longest values the audit trail accepts; the same limits are CHECK constraints in the schema.
pub(crate) const MAX_ACTOR: usize = 256;
pub(crate) const MAX_ACTION: usize = 128;
pub(crate) const MAX_SUBJECT: usize = 512;
pub(crate) const MAX_DETAIL: usize = 8192;
/// The most rows one listing returns, whatever the caller asks for.
pub(crate) const MAX_PAGE: u32 = 500;

/// A connected database of either kind.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Whether the database can serve the portal right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The database answers, but migrations this binary needs have not been applied.
    NotMigrated {
        applied: Option<i64>,
        expected: i64,
    },
    Unreachable(String),
}

impl Database {
    /// Connects to the database the configuration names. Fails with a one-line reason when the
    /// URL is not understood, the SQLite file cannot be created, or PostgreSQL does not answer.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let url = config.database_url();
        let max = config.database_max_connections;
        if let Some(path) = url.strip_prefix("sqlite:") {
            Ok(Self::Sqlite(SqliteStore::connect(path, max).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(PgStore::connect(url, max).await?))
        } else {
            anyhow::bail!(
                "database_url must start with sqlite: or postgres:// (got a URL starting with {:?})",
                url.split(':').next().unwrap_or_default()
            )
        }
    }

    /// Applies every migration this binary carries that the database does not have yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(store) => store.migrate().await,
            Self::Postgres(store) => store.migrate().await,
        }
        .context("could not apply database migrations")
    }

    /// Reachable, and migrated at least to the version this binary expects? A newer schema (the
    /// next release migrated while this replica still runs) is ready: migrations only expand
    /// the schema while an older release may still run on it (see the README).
    pub async fn readiness(&self) -> Readiness {
        let (applied, expected) = match self {
            Self::Sqlite(store) => (
                store.latest_applied_migration().await,
                sqlite::latest_known(),
            ),
            Self::Postgres(store) => (
                store.latest_applied_migration().await,
                postgres::latest_known(),
            ),
        };
        match applied {
            Err(error) => Readiness::Unreachable(error.to_string()),
            Ok(Some(applied)) if applied >= expected => Readiness::Ready,
            Ok(applied) => Readiness::NotMigrated { applied, expected },
        }
    }

    /// The store the app's server functions use.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(store) => Arc::new(store.clone()),
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }

    /// The store of the FAQ's feedback (votes, unanswered searches).
    pub fn faq_store(&self) -> Arc<dyn FaqStore> {
        match self {
            Self::Sqlite(store) => Arc::new(store.clone()),
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }

    /// The store of namespace requests.
    pub fn namespace_requests(&self) -> Arc<dyn NamespaceRequestStore> {
        match self {
            Self::Sqlite(store) => Arc::new(store.clone()),
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }

    /// The groups users carried at login, for the access view.
    pub fn seen_group_store(&self) -> Arc<dyn SeenGroupStore> {
        match self {
            Self::Sqlite(store) => Arc::new(store.clone()),
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }

    /// What `/metrics` reads when scraped: namespace requests by status, the age of the oldest
    /// approved request not yet provisioned (Unix milliseconds), and the connection pool.
    pub async fn stats(&self) -> DatabaseStats {
        const BY_STATUS: &str = "SELECT status, count(*) FROM namespace_requests GROUP BY status";
        const OLDEST_APPROVED: &str = "SELECT min(updated_at) FROM namespace_requests \
             WHERE status IN ('approved', 'provisioning')";
        // The same queries and pool readings on either backend; only the pool's type differs.
        macro_rules! stats_of {
            ($pool:expr) => {{
                let pool = $pool;
                let (in_use, idle, max) = (
                    pool.size().saturating_sub(pool.num_idle() as u32),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                );
                let (requests_by_status, oldest_approved_ms) = match connection(pool).await {
                    Ok(mut connection) => {
                        let by_status = sqlx::query_as(BY_STATUS)
                            .fetch_all(&mut *connection)
                            .await
                            .map_err(|error| error.to_string());
                        let oldest: Result<Option<chrono::DateTime<chrono::Utc>>, _> =
                            sqlx::query_scalar(OLDEST_APPROVED)
                                .fetch_one(&mut *connection)
                                .await;
                        let oldest = oldest
                            .map(|at| at.map(|at| at.timestamp_millis()))
                            .map_err(|error| error.to_string());
                        (by_status, oldest)
                    }
                    Err(error) => (Err(error.to_string()), Err(error.to_string())),
                };
                DatabaseStats {
                    requests_by_status,
                    oldest_approved_ms,
                    in_use,
                    idle,
                    max,
                }
            }};
        }
        match self {
            Self::Sqlite(store) => stats_of!(store.pool()),
            Self::Postgres(store) => stats_of!(store.pool()),
        }
    }

    /// Closes every connection (at shutdown, so SQLite checkpoints its WAL).
    pub async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

#[async_trait::async_trait]
impl crate::metrics::Readings for Database {
    async fn database(&self) -> DatabaseStats {
        self.stats().await
    }
}

/// Takes a connection from `pool`, showing on `/metrics` who waits for one and how long that
/// took. Every store query takes its connection here, never from the pool directly (the session
/// store and migrations do, and are not counted).
pub(crate) async fn connection<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Result<PoolConnection<DB>, StoreError> {
    let _waiting = crate::metrics::database_acquire();
    pool.acquire().await.map_err(database_error)
}

/// Checks an audit event against the limits before it reaches the database, so the caller gets
/// a message that says which field is wrong instead of a constraint name.
pub(crate) fn check_audit_event(event: &NewAuditEvent) -> Result<(), StoreError> {
    let checks = [
        ("actor", &event.actor, 1, MAX_ACTOR),
        ("action", &event.action, 1, MAX_ACTION),
        ("subject", &event.subject, 0, MAX_SUBJECT),
        ("detail", &event.detail, 0, MAX_DETAIL),
    ];
    for (field, value, min, max) in checks {
        let len = value.chars().count();
        if len < min {
            return Err(StoreError::Rejected(format!(
                "audit event {field} must not be empty"
            )));
        }
        if len > max {
            return Err(StoreError::Rejected(format!(
                "audit event {field} is {len} characters long; at most {max} are allowed"
            )));
        }
        if value.contains('\0') {
            return Err(StoreError::Rejected(format!(
                "audit event {field} contains a NUL character"
            )));
        }
    }
    Ok(())
}

/// The page size to use for a query that asked for `limit` rows.
pub(crate) fn page_size(query: &AuditQuery) -> i64 {
    i64::from(query.limit.clamp(1, MAX_PAGE))
}

pub(crate) fn database_error(error: sqlx::Error) -> StoreError {
    StoreError::Database(Box::new(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample's value as `/metrics` renders it.
    fn sample(line_start: &str) -> f64 {
        crate::metrics::rendered()
            .lines()
            .find_map(|line| line.strip_prefix(line_start))
            .map_or(0.0, |value| value.trim().parse().expect("a number"))
    }

    #[tokio::test]
    async fn a_caller_waiting_for_a_connection_is_shown_as_pending_until_it_gets_one() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("portal.db");
        let store = SqliteStore::connect(path.to_str().expect("UTF-8"), 1)
            .await
            .expect("opens");
        store.migrate().await.expect("migrates");
        let query = AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        };
        let pending = || sample("portal_database_connections_pending ");
        let acquires = || sample("portal_database_acquire_duration_seconds_count ");

        let before = acquires();
        store.audit_events(&query).await.expect("reads");
        assert_eq!(acquires(), before + 1.0, "every store query is timed");
        assert_eq!(pending(), 0.0);

        // The pool's only connection is held, so the next query waits until it is returned.
        let held = store.connection().await.expect("a connection");
        let waiting = tokio::spawn({
            let store = store.clone();
            let query = query.clone();
            async move { store.audit_events(&query).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "it cannot finish without a connection"
        );
        assert_eq!(pending(), 1.0, "{}", crate::metrics::rendered());
        drop(held);
        waiting.await.expect("joins").expect("reads");
        assert_eq!(pending(), 0.0, "{}", crate::metrics::rendered());
        let slow = sample("portal_database_acquire_duration_seconds_bucket{le=\"0.025\"} ");
        assert!(
            acquires() - slow >= 1.0,
            "the wait of about 50 ms is in the histogram:\n{}",
            crate::metrics::rendered()
        );
    }
}
