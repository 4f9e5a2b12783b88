//! The SQLite store: one file, WAL journal, a busy timeout and foreign keys on.

use super::{
    StoreError,
    audit::{AuditQuery, AuditStore, NewAuditEvent, check_audit_event, page_size},
    database_error,
};
use anyhow::Context;
use app::domain::audit::AuditEvent;
use async_trait::async_trait;
use chrono::Utc;
use sqlx::{
    QueryBuilder, Sqlite, SqlitePool,
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{path::Path, str::FromStr, time::Duration};

/// The FAQ's feedback tables.
mod faq;
/// Namespace requests.
mod namespace_requests;
/// The IdP groups seen at login.
mod seen_groups;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// The newest migration this binary carries.
pub(super) fn latest_known() -> i64 {
    MIGRATOR
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the SQLite database at `path` (`//data/portal.db` or
    /// `data/portal.db`; `:memory:` is refused because every connection would see another one).
    pub async fn connect(path: &str, max_connections: u32) -> anyhow::Result<Self> {
        let path = path.strip_prefix("//").unwrap_or(path);
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path.contains(":memory:") {
            anyhow::bail!(
                "database_url must name an SQLite file, for example sqlite://data/portal.db"
            );
        }
        if let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).with_context(|| {
                format!(
                    "could not create the folder {} for the SQLite database",
                    parent.display()
                )
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
            .with_context(|| format!("invalid SQLite path {path:?}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .with_context(|| format!("could not open the SQLite database {path}"))?;
        Ok(Self { pool })
    }

    /// The connection pool, for components that keep their own tables (sessions).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A connection for one query or transaction of a store (see [`super::connection`]).
    pub(super) async fn connection(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, StoreError> {
        super::connection(&self.pool).await
    }

    pub(super) async fn migrate(&self) -> anyhow::Result<()> {
        // A newer release may have applied migrations this binary does not carry: they are
        // ignored, so a rollback (or an old replica during a rollout) starts on the new schema.
        let mut migrator = sqlx::migrate!("../migrations/sqlite");
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn latest_applied_migration(&self) -> Result<Option<i64>, sqlx::Error> {
        let table_exists: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if table_exists.is_none() {
            return Ok(None);
        }
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&self.pool)
            .await
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<AuditEvent, StoreError> {
        check_audit_event(&event)?;
        let occurred_at = Utc::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_events (occurred_at, actor, action, subject, detail)
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(occurred_at)
        .bind(&event.actor)
        .bind(&event.action)
        .bind(&event.subject)
        .bind(&event.detail)
        .fetch_one(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        Ok(AuditEvent {
            id,
            occurred_at: super::timestamp(occurred_at),
            actor: event.actor,
            action: event.action,
            subject: event.subject,
            detail: event.detail,
        })
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "SELECT id, occurred_at, actor, action, subject, detail FROM audit_events WHERE 1 = 1",
        );
        if let Some(actor) = &query.actor {
            sql.push(" AND actor = ").push_bind(actor);
        }
        if let Some(subject) = &query.subject {
            sql.push(" AND subject = ").push_bind(subject);
        }
        if let Some(prefix) = &query.action_prefix {
            sql.push(" AND substr(action, 1, length(")
                .push_bind(prefix)
                .push(")) = ")
                .push_bind(prefix);
        }
        if let Some(before) = query.before_id {
            sql.push(" AND id < ").push_bind(before);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(page_size(query));
        sql.build_query_as::<AuditRow>()
            .fetch_all(&mut *self.connection().await?)
            .await
            .map(|rows| rows.into_iter().map(Into::into).collect())
            .map_err(database_error)
    }
}

/// A row as SQLite returns it; kept here so the shared [`AuditEvent`] carries no sqlx derive.
#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    occurred_at: chrono::DateTime<Utc>,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            occurred_at: super::timestamp(row.occurred_at),
            actor: row.actor,
            action: row.action,
            subject: row.subject,
            detail: row.detail,
        }
    }
}
