//! The SQLite backend: one file, WAL journal, a busy timeout and foreign keys on; its migrations,
//! and how its SQL differs from PostgreSQL's.

use super::{
    dialect::{Claimed, Dialect, Sql, Unique},
    sql::{Backend, SqlStore},
};
use anyhow::Context;
use chrono::Utc;
use futures::future::BoxFuture;
use sqlx::{
    Sqlite, SqliteConnection, SqlitePool,
    error::{DatabaseError, ErrorKind},
    migrate::Migrator,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
        SqliteSynchronous,
    },
};
use std::{path::Path, str::FromStr, time::Duration};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

impl SqlStore<Sqlite> {
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
        Ok(Self::new(pool))
    }
}

impl Backend for Sqlite {
    fn latest_known() -> i64 {
        super::sql::newest(&MIGRATOR)
    }

    fn migrate(pool: &SqlitePool) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(super::sql::apply(
            sqlx::migrate!("../migrations/sqlite"),
            pool,
        ))
    }

    fn latest_applied_migration(
        pool: &SqlitePool,
    ) -> BoxFuture<'_, Result<Option<i64>, sqlx::Error>> {
        Box::pin(async move {
            let table_exists: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_optional(pool)
            .await?;
            if table_exists.is_none() {
                return Ok(None);
            }
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(pool)
                .await
        })
    }
}

impl Dialect for Sqlite {
    /// Takes the database's write lock up front (waiting up to the busy timeout).
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const REQUEST_SELECT: &'static str = "SELECT r.id, r.name, r.requester, r.purpose, r.labels, \
         (SELECT json_group_array(group_name) FROM \
           (SELECT group_name FROM namespace_request_groups g WHERE g.request_id = r.id \
            ORDER BY group_name)) AS group_list, \
         r.status, r.reason, r.decided_by, r.created_at, r.updated_at, r.queue_rank \
         FROM namespace_requests r";
    const POSITION: &'static str = "instr";

    fn push_now(sql: &mut Sql<Self>) {
        let now = sql.now();
        sql.push_bind(now);
    }

    fn push_starts_with(sql: &mut Sql<Self>, column: &str, prefix: &str) {
        sql.push(format_args!("substr({column}, 1, length("))
            .push_bind(prefix)
            .push(")) = ")
            .push_bind(prefix);
    }

    fn push_json(sql: &mut Sql<Self>, json: String) {
        sql.push_bind(json);
    }

    fn count_where(condition: &str) -> String {
        format!("SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)")
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    fn violates(error: &dyn DatabaseError, unique: Unique) -> bool {
        error.kind() == ErrorKind::UniqueViolation
            && unique
                .sqlite_columns
                .is_none_or(|columns| error.message().contains(columns))
    }

    fn lock_requester<'c>(
        _tx: &'c mut SqliteConnection,
        _requester: &'c str,
    ) -> BoxFuture<'c, Result<(), sqlx::Error>> {
        // The `BEGIN IMMEDIATE` transaction already holds the only write lock.
        Box::pin(async { Ok(()) })
    }

    fn claim_next<'c>(
        tx: &'c mut SqliteConnection,
        worker: &'c str,
        now_ms: i64,
        lease_ms: i64,
    ) -> BoxFuture<'c, Result<Option<Claimed>, sqlx::Error>> {
        Box::pin(async move {
            let candidate: Option<Claimed> = sqlx::query_as(
                "SELECT id, status, claimed_by FROM namespace_requests
                 WHERE status = 'approved'
                    OR (status = 'provisioning' AND (claimed_until IS NULL OR claimed_until < ?))
                 ORDER BY id LIMIT 1",
            )
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, ..)) = candidate else {
                return Ok(None);
            };
            sqlx::query(
                "UPDATE namespace_requests
                 SET status = 'provisioning', updated_at = ?, claimed_by = ?, claimed_until = ?
                 WHERE id = ?",
            )
            .bind(Utc::now())
            .bind(worker)
            .bind(now_ms.saturating_add(lease_ms))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            Ok(candidate)
        })
    }
}
