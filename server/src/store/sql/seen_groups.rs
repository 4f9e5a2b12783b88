//! The groups seen at login, on either backend.

use super::SqlStore;
use crate::store::{
    StoreError, database_error,
    dialect::{Dialect, Sql},
    seen_groups::{SeenGroup, SeenGroupStore, check_groups},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl<DB: Dialect> SeenGroupStore for SqlStore<DB> {
    async fn record_seen_groups(&self, groups: &[String]) -> Result<(), StoreError> {
        check_groups(groups)?;
        let now = Utc::now();
        let mut connection = self.connection().await?;
        let mut transaction = sqlx::Connection::begin(&mut *connection)
            .await
            .map_err(database_error)?;
        for group in groups {
            Sql::<DB>::new(
                "INSERT INTO seen_groups (group_name, last_seen) VALUES ($1, $2)
                 ON CONFLICT (group_name) DO UPDATE SET last_seen = excluded.last_seen",
            )
            .bind(group)
            .bind(now)
            .execute(&mut transaction)
            .await
            .map_err(database_error)?;
        }
        transaction.commit().await.map_err(database_error)
    }

    async fn seen_groups(&self) -> Result<Vec<SeenGroup>, StoreError> {
        let rows: Vec<(String, DateTime<Utc>)> =
            Sql::<DB>::new("SELECT group_name, last_seen FROM seen_groups ORDER BY group_name")
                .fetch_all(&mut *self.connection().await?)
                .await
                .map_err(database_error)?;
        Ok(rows
            .into_iter()
            .map(|(name, last_seen)| SeenGroup { name, last_seen })
            .collect())
    }
}
