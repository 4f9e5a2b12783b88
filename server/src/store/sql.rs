//! The one store type. [`SqlStore`] implements every storage trait once, generic over the
//! backend's [`Dialect`] (those impls are in `sql/`); [`Connected`] is a backend as the
//! [`Database`](super::Database) holds it: that store, the [`Stores`] over it (built once, at
//! connect), its migrations, its readiness and the figures `/metrics` reads.

use super::{
    AuditStore, FaqStore, NamespaceRequestStore, SeenGroupStore, StoreError, Stores,
    dialect::{Dialect, Sql},
};
use crate::metrics::DatabaseStats;
use async_trait::async_trait;
use futures::future::BoxFuture;
use sqlx::{Pool, Postgres, Sqlite, pool::PoolConnection};
use std::sync::Arc;

/// The audit trail.
mod audit;
/// The FAQ's feedback tables.
mod faq;
/// Namespace requests.
mod namespace_requests;
/// The IdP groups seen at login.
mod seen_groups;

/// Every store, over one connection pool of backend `DB`.
#[derive(Debug)]
pub struct SqlStore<DB: sqlx::Database> {
    pool: Pool<DB>,
}

/// The stores on SQLite (connecting: `sqlite.rs`).
pub type SqliteStore = SqlStore<Sqlite>;
/// The stores on PostgreSQL (connecting: `postgres.rs`).
pub type PgStore = SqlStore<Postgres>;

impl<DB: sqlx::Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
        }
    }
}

impl<DB: sqlx::Database> SqlStore<DB> {
    pub(super) fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }

    /// The connection pool, for components that keep their own tables (sessions).
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// A connection for one query or transaction of a store (see [`super::connection`]).
    pub(super) async fn connection(&self) -> Result<PoolConnection<DB>, StoreError> {
        super::connection(&self.pool).await
    }
}

/// What a backend does besides speaking its dialect: its own migrations (`migrations/sqlite`,
/// `migrations/postgres`) and how it tells which are applied. Connecting takes different
/// settings per backend, so that is each backend's `SqlStore::connect`.
pub(crate) trait Backend: Dialect {
    /// The newest migration this binary carries.
    fn latest_known() -> i64;
    /// Applies every migration this binary carries that the database does not have yet.
    fn migrate(pool: &Pool<Self>) -> BoxFuture<'_, anyhow::Result<()>>;
    /// The newest migration applied, or `None` before the first.
    fn latest_applied_migration(
        pool: &Pool<Self>,
    ) -> BoxFuture<'_, Result<Option<i64>, sqlx::Error>>;
}

/// The newest migration `migrator` carries.
pub(crate) fn newest(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0)
}

/// Applies every migration of `migrator` the database does not have yet. A newer release may
/// have applied migrations this binary does not carry: they are ignored, so a rollback (or an
/// old replica during a rollout) starts on the new schema.
pub(crate) async fn apply<DB>(
    mut migrator: sqlx::migrate::Migrator,
    pool: &Pool<DB>,
) -> anyhow::Result<()>
where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
{
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}

/// A connected backend: its store and the [`Stores`] over it.
#[derive(Debug)]
pub struct Connected<DB: sqlx::Database> {
    store: SqlStore<DB>,
    stores: Stores,
}

impl<DB: sqlx::Database> Clone for Connected<DB> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            stores: self.stores.clone(),
        }
    }
}

impl<DB: sqlx::Database> Connected<DB> {
    /// The connection pool, for components that keep their own tables (sessions).
    pub fn pool(&self) -> &Pool<DB> {
        self.store.pool()
    }
}

impl<DB: Backend> From<SqlStore<DB>> for Connected<DB> {
    fn from(store: SqlStore<DB>) -> Self {
        let stores = Stores {
            audit: Arc::new(store.clone()) as Arc<dyn AuditStore>,
            namespace_requests: Arc::new(store.clone()) as Arc<dyn NamespaceRequestStore>,
            faq: Arc::new(store.clone()) as Arc<dyn FaqStore>,
            seen_groups: Arc::new(store.clone()) as Arc<dyn SeenGroupStore>,
        };
        Self { store, stores }
    }
}

/// What the [`Database`](super::Database) does with its backend, whichever it is.
#[async_trait]
pub(super) trait Lifecycle: Send + Sync {
    fn stores(&self) -> &Stores;
    async fn migrate(&self) -> anyhow::Result<()>;
    /// The newest migration applied (`None`: none yet) and the newest this binary carries.
    async fn migrations(&self) -> (Result<Option<i64>, sqlx::Error>, i64);
    async fn stats(&self) -> DatabaseStats;
    async fn close(&self);
}

#[async_trait]
impl<DB: Backend> Lifecycle for Connected<DB> {
    fn stores(&self) -> &Stores {
        &self.stores
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        DB::migrate(self.pool()).await
    }

    async fn migrations(&self) -> (Result<Option<i64>, sqlx::Error>, i64) {
        (
            DB::latest_applied_migration(self.pool()).await,
            DB::latest_known(),
        )
    }

    async fn stats(&self) -> DatabaseStats {
        const BY_STATUS: &str = "SELECT status, count(*) FROM namespace_requests GROUP BY status";
        const OLDEST_APPROVED: &str = "SELECT min(updated_at) FROM namespace_requests \
             WHERE status IN ('approved', 'provisioning')";
        let pool = self.pool();
        let (in_use, idle, max) = (
            pool.size().saturating_sub(pool.num_idle() as u32),
            pool.num_idle(),
            pool.options().get_max_connections(),
        );
        let (requests_by_status, oldest_approved_ms) = match self.store.connection().await {
            Ok(mut connection) => {
                let by_status = Sql::<DB>::new(BY_STATUS)
                    .fetch_all(&mut connection)
                    .await
                    .map_err(|error| error.to_string());
                let oldest = Sql::<DB>::new(OLDEST_APPROVED)
                    .fetch_scalar::<Option<chrono::DateTime<chrono::Utc>>>(&mut connection)
                    .await
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
    }

    async fn close(&self) {
        self.pool().close().await;
    }
}
