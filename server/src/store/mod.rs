//! The portal's database: SQLite (embedded, the default) or PostgreSQL (production, and required
//! for more than one replica), chosen by the URL's scheme at start-up.
//!
//! One file per stored concept holds its storage trait, its row types and the rules checked
//! before a value reaches the database: [`audit`], [`namespace_requests`], [`faq`],
//! [`seen_groups`]. Their queries are written once, in `sql/`, for [`SqlStore`], generic over
//! the backend's dialect (`dialect.rs`); `sqlite.rs` and `postgres.rs` keep only connecting,
//! migrating (each backend has its own migrations, `migrations/sqlite`, `migrations/postgres`),
//! readiness and the statements that really differ. The behavioural test suite runs the same
//! cases against both.

pub mod audit;
/// What the backends spell differently, and the statement type shared queries are built with.
mod dialect;
pub mod faq;
pub mod namespace_requests;
/// The PostgreSQL backend.
mod postgres;
pub mod seen_groups;
/// The one store type, generic over the backend, and every query.
mod sql;
/// The SQLite backend.
mod sqlite;

pub use audit::{AuditQuery, AuditStore, NewAuditEvent};
pub use faq::{FaqStore, UnansweredSearch, VoteTally};
pub use namespace_requests::{NamespaceRequestStore, QueueQuery, RequestStoreError};
pub use seen_groups::{SeenGroup, SeenGroupStore};
pub use sql::{Connected, PgStore, SqlStore, SqliteStore};

use crate::config::Config;
use crate::metrics::DatabaseStats;
use anyhow::Context;
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};
use std::sync::Arc;

/// An error from a store. Its message is for logs: it may name tables or hosts, so server
/// functions map it to a safe message before anything reaches the browser.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or failed while answering.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The input breaks a rule the database enforces (a limit, a unique name …).
    #[error("rejected by the database: {0}")]
    Rejected(String),
}

/// The portal's stores, whichever backend is behind them.
#[derive(Debug, Clone)]
pub struct Stores {
    pub audit: Arc<dyn AuditStore>,
    pub namespace_requests: Arc<dyn NamespaceRequestStore>,
    pub faq: Arc<dyn FaqStore>,
    pub seen_groups: Arc<dyn SeenGroupStore>,
}

/// A connected database of either kind.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(Connected<Sqlite>),
    Postgres(Connected<Postgres>),
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
    /// Connects to the database the configuration names and builds its stores. Fails with a
    /// one-line reason when the URL is not understood, the SQLite file cannot be created, or
    /// PostgreSQL does not answer.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let url = config.database_url();
        let max = config.database_max_connections;
        if let Some(path) = url.strip_prefix("sqlite:") {
            Ok(Self::Sqlite(SqliteStore::connect(path, max).await?.into()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(PgStore::connect(url, max).await?.into()))
        } else {
            anyhow::bail!(
                "database_url must start with sqlite: or postgres:// (got a URL starting with {:?})",
                url.split(':').next().unwrap_or_default()
            )
        }
    }

    /// The backend, whichever it is; the one place that tells them apart.
    fn backend(&self) -> &dyn sql::Lifecycle {
        match self {
            Self::Sqlite(backend) => backend,
            Self::Postgres(backend) => backend,
        }
    }

    /// Applies every migration this binary carries that the database does not have yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.backend()
            .migrate()
            .await
            .context("could not apply database migrations")
    }

    /// Reachable, and migrated at least to the version this binary expects? A newer schema (the
    /// next release migrated while this replica still runs) is ready: migrations only expand
    /// the schema while an older release may still run on it (see the README).
    pub async fn readiness(&self) -> Readiness {
        let (applied, expected) = self.backend().migrations().await;
        match applied {
            Err(error) => Readiness::Unreachable(error.to_string()),
            Ok(Some(applied)) if applied >= expected => Readiness::Ready,
            Ok(applied) => Readiness::NotMigrated { applied, expected },
        }
    }

    /// Every store, over this database's one connection pool (built once, at connect).
    pub fn stores(&self) -> Stores {
        self.backend().stores().clone()
    }

    /// What `/metrics` reads when scraped: namespace requests by status, the age of the oldest
    /// approved request not yet provisioned (Unix milliseconds), and the connection pool.
    pub async fn stats(&self) -> DatabaseStats {
        self.backend().stats().await
    }

    /// Closes every connection (at shutdown, so SQLite checkpoints its WAL).
    pub async fn close(&self) {
        self.backend().close().await;
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

/// A time from the database, as the domain holds it.
pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> app::domain::Timestamp {
    app::domain::Timestamp::from_unix_millis(at.timestamp_millis())
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
        <Sqlite as sql::Backend>::migrate(store.pool())
            .await
            .expect("migrates");
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
