//! The PostgreSQL store, for production and for more than one replica.

use super::{
    StoreError,
    audit::{AuditQuery, AuditStore, NewAuditEvent, check_audit_event, page_size},
    database_error,
    sqlite::AuditRow,
};
use anyhow::Context;
use app::domain::audit::AuditEvent;
use async_trait::async_trait;
use sqlx::{
    PgPool, Postgres, QueryBuilder,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use std::{str::FromStr, time::Duration};

/// The FAQ's feedback tables.
mod faq;
/// Namespace requests.
mod namespace_requests;
/// The IdP groups seen at login.
mod seen_groups;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// The newest migration this binary carries.
pub(super) fn latest_known() -> i64 {
    MIGRATOR
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
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
        Ok(Self { pool })
    }

    /// The connection pool, for components that keep their own tables (sessions).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A connection for one query or transaction of a store (see [`super::connection`]).
    pub(super) async fn connection(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
        super::connection(&self.pool).await
    }

    pub(super) async fn migrate(&self) -> anyhow::Result<()> {
        // A newer release may have applied migrations this binary does not carry: they are
        // ignored, so a rollback (or an old replica during a rollout) starts on the new schema.
        let mut migrator = sqlx::migrate!("../migrations/postgres");
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn latest_applied_migration(&self) -> Result<Option<i64>, sqlx::Error> {
        let table: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(&self.pool)
                .await?;
        if table.is_none() {
            return Ok(None);
        }
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn record_audit_event(&self, event: NewAuditEvent) -> Result<AuditEvent, StoreError> {
        check_audit_event(&event)?;
        sqlx::query_as::<_, AuditRow>(
            "INSERT INTO audit_events (actor, action, subject, detail) VALUES ($1, $2, $3, $4)
             RETURNING id, occurred_at, actor, action, subject, detail",
        )
        .bind(&event.actor)
        .bind(&event.action)
        .bind(&event.subject)
        .bind(&event.detail)
        .fetch_one(&mut *self.connection().await?)
        .await
        .map(Into::into)
        .map_err(database_error)
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let mut sql = QueryBuilder::<Postgres>::new(
            "SELECT id, occurred_at, actor, action, subject, detail FROM audit_events WHERE TRUE",
        );
        if let Some(actor) = &query.actor {
            sql.push(" AND actor = ").push_bind(actor);
        }
        if let Some(subject) = &query.subject {
            sql.push(" AND subject = ").push_bind(subject);
        }
        if let Some(prefix) = &query.action_prefix {
            sql.push(" AND starts_with(action, ")
                .push_bind(prefix)
                .push(")");
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
