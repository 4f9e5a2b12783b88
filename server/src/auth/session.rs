//! Sessions in the portal's own database, so they survive restarts and are shared by replicas.
//!
//! tower-sessions' sqlx stores are one type per backend; [`SessionBackend`] picks the one that
//! matches the configured database and forwards to it.

use crate::store::Database;
use async_trait::async_trait;
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Debug, Clone)]
pub enum SessionBackend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionBackend {
    /// The store for `database`, with its table created when missing.
    pub async fn for_database(database: &Database) -> anyhow::Result<Self> {
        let backend = match database {
            Database::Sqlite(store) => Self::Sqlite(SqliteStore::new(store.pool().clone())),
            Database::Postgres(store) => Self::Postgres(PostgresStore::new(store.pool().clone())),
        };
        match &backend {
            Self::Sqlite(store) => store.migrate().await?,
            Self::Postgres(store) => store.migrate().await?,
        }
        Ok(backend)
    }

    /// Removes expired sessions every `period`, until the process stops.
    pub fn spawn_expired_deletion(&self, period: std::time::Duration) {
        let backend = self.clone();
        tokio::spawn(async move {
            let result = match backend {
                Self::Sqlite(store) => store.continuously_delete_expired(period).await,
                Self::Postgres(store) => store.continuously_delete_expired(period).await,
            };
            if let Err(error) = result {
                tracing::error!(%error, "deleting expired sessions stopped");
            }
        });
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}
