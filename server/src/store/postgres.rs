//! The PostgreSQL backend, for production and for more than one replica: connecting, its
//! migrations, and how its SQL differs from SQLite's.

use super::{
    dialect::{Claimed, Dialect, Sql, Unique},
    sql::{Backend, SqlStore},
};
use anyhow::Context;
use futures::future::BoxFuture;
use sqlx::{
    PgConnection, PgPool, Postgres,
    error::DatabaseError,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult},
};
use std::{str::FromStr, time::Duration};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

impl SqlStore<Postgres> {
    /// Connects to PostgreSQL. The error names the host and port, never the password.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .context("database_url is not a valid PostgreSQL URL")?
            .application_name("welkin-portal");
        let target = format!("{}:{}", options.get_host(), options.get_port());
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .with_context(|| format!("could not connect to PostgreSQL at {target}"))?;
        Ok(Self::new(pool))
    }
}

impl Backend for Postgres {
    fn latest_known() -> i64 {
        super::sql::newest(&MIGRATOR)
    }

    fn migrate(pool: &PgPool) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(super::sql::apply(
            sqlx::migrate!("../migrations/postgres"),
            pool,
        ))
    }

    fn latest_applied_migration(pool: &PgPool) -> BoxFuture<'_, Result<Option<i64>, sqlx::Error>> {
        Box::pin(async move {
            let table: Option<String> =
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                    .fetch_one(pool)
                    .await?;
            if table.is_none() {
                return Ok(None);
            }
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await
        })
    }
}

impl Dialect for Postgres {
    /// Status changes are compare-and-sets, so a plain transaction suffices; the per-requester
    /// limit takes a lock of its own ([`Dialect::lock_requester`]).
    const BEGIN_WRITE: &'static str = "BEGIN";
    const REQUEST_SELECT: &'static str = "SELECT r.id, r.name, r.requester, r.purpose, \
         r.labels::text AS labels, \
         (SELECT coalesce(json_agg(g.group_name ORDER BY g.group_name), '[]'::json)::text \
          FROM namespace_request_groups g WHERE g.request_id = r.id) AS group_list, \
         r.status, r.reason, r.decided_by, r.created_at, r.updated_at, \
         r.queue_rank::bigint AS queue_rank \
         FROM namespace_requests r";
    const POSITION: &'static str = "strpos";

    fn push_now(sql: &mut Sql<Self>) {
        // The database's clock, which every replica shares.
        sql.push("now()");
    }

    fn push_starts_with(sql: &mut Sql<Self>, column: &str, prefix: &str) {
        sql.push(format_args!("starts_with({column}, "))
            .push_bind(prefix)
            .push(")");
    }

    fn push_json(sql: &mut Sql<Self>, json: String) {
        sql.push_bind(json).push("::jsonb");
    }

    fn count_where(condition: &str) -> String {
        format!("COUNT(*) FILTER (WHERE {condition})")
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    fn violates(error: &dyn DatabaseError, unique: Unique) -> bool {
        error.constraint() == Some(unique.name)
    }

    fn lock_requester<'c>(
        tx: &'c mut PgConnection,
        requester: &'c str,
    ) -> BoxFuture<'c, Result<(), sqlx::Error>> {
        // One requester's creations queue up behind each other, so two at once cannot both pass
        // the limit; everyone else's go ahead.
        Box::pin(async move {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 42))")
                .bind(format!("namespace-requests-of:{requester}"))
                .execute(tx)
                .await?;
            Ok(())
        })
    }

    fn claim_next<'c>(
        tx: &'c mut PgConnection,
        worker: &'c str,
        now_ms: i64,
        lease_ms: i64,
    ) -> BoxFuture<'c, Result<Option<Claimed>, sqlx::Error>> {
        // SKIP LOCKED: a request another replica is claiming right now is passed over, not waited
        // for; the claim itself (claimed_by, claimed_until) keeps it theirs afterwards.
        Box::pin(async move {
            sqlx::query_as(
                "WITH next AS (
                     SELECT id, status, claimed_by FROM namespace_requests
                     WHERE status = 'approved'
                        OR (status = 'provisioning'
                            AND (claimed_until IS NULL OR claimed_until < $3))
                     ORDER BY id LIMIT 1
                     FOR UPDATE SKIP LOCKED)
                 UPDATE namespace_requests r
                 SET status = 'provisioning', updated_at = now(), claimed_by = $1,
                     claimed_until = $2
                 FROM next WHERE r.id = next.id
                 RETURNING r.id, next.status, next.claimed_by",
            )
            .bind(worker)
            .bind(now_ms.saturating_add(lease_ms))
            .bind(now_ms)
            .fetch_optional(tx)
            .await
        })
    }
}
