//! The FAQ's feedback tables on SQLite: votes and unanswered searches.

use super::SqliteStore;
use crate::store::{
    StoreError, database_error,
    faq::{
        FaqStore, MAX_UNANSWERED_ROWS, UnansweredSearch, VoteTally, check_query, check_slug,
        page_size,
    },
};
use app::{features::faq::model::VoteOutcome, ports::VoterId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::error::ErrorKind;

#[async_trait]
impl FaqStore for SqliteStore {
    async fn record_faq_vote(
        &self,
        slug: &str,
        voter: &VoterId,
        helpful: bool,
    ) -> Result<VoteOutcome, StoreError> {
        check_slug(slug)?;
        let now = Utc::now();
        let inserted = sqlx::query(
            "INSERT INTO faq_votes (slug, voter, helpful, voted_at) VALUES (?, ?, ?, ?)",
        )
        .bind(slug)
        .bind(voter.as_str())
        .bind(helpful)
        .bind(now)
        .execute(&mut *self.connection().await?)
        .await;
        match inserted {
            Ok(_) => Ok(VoteOutcome::Recorded),
            // SQLite names no constraint; faq_votes has one unique constraint (see
            // `ONE_VOTE_PER_VOTER`), so a unique violation is this reader's earlier vote.
            Err(sqlx::Error::Database(error)) if error.kind() == ErrorKind::UniqueViolation => {
                let changed = sqlx::query(
                    "UPDATE faq_votes SET helpful = ?, voted_at = ?
                     WHERE slug = ? AND voter = ? AND helpful <> ?",
                )
                .bind(helpful)
                .bind(now)
                .bind(slug)
                .bind(voter.as_str())
                .bind(helpful)
                .execute(&mut *self.connection().await?)
                .await
                .map_err(database_error)?;
                Ok(if changed.rows_affected() == 0 {
                    VoteOutcome::Unchanged
                } else {
                    VoteOutcome::Changed
                })
            }
            Err(error) => Err(database_error(error)),
        }
    }

    async fn faq_vote(&self, slug: &str, voter: &VoterId) -> Result<Option<bool>, StoreError> {
        sqlx::query_scalar("SELECT helpful FROM faq_votes WHERE slug = ? AND voter = ?")
            .bind(slug)
            .bind(voter.as_str())
            .fetch_optional(&mut *self.connection().await?)
            .await
            .map_err(database_error)
    }

    async fn faq_vote_tallies(&self) -> Result<Vec<VoteTally>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT slug,
                    SUM(CASE WHEN helpful THEN 1 ELSE 0 END),
                    SUM(CASE WHEN helpful THEN 0 ELSE 1 END)
             FROM faq_votes GROUP BY slug ORDER BY slug",
        )
        .fetch_all(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        Ok(rows
            .into_iter()
            .map(|(slug, helpful, not_helpful)| VoteTally {
                slug,
                helpful,
                not_helpful,
            })
            .collect())
    }

    async fn record_unanswered_search(&self, query: &str) -> Result<(), StoreError> {
        check_query(query)?;
        let now = Utc::now();
        let counted = sqlx::query(
            "UPDATE faq_unanswered_searches SET count = count + 1, last_seen = ? WHERE query = ?",
        )
        .bind(now)
        .bind(query)
        .execute(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        if counted.rows_affected() > 0 {
            return Ok(());
        }
        // A new query is kept only while the table is below its cap; ON CONFLICT covers a second
        // request that inserted the same query in between.
        sqlx::query(
            "INSERT INTO faq_unanswered_searches (query, count, first_seen, last_seen)
             SELECT ?, 1, ?, ? WHERE (SELECT COUNT(*) FROM faq_unanswered_searches) < ?
             ON CONFLICT (query) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
        )
        .bind(query)
        .bind(now)
        .bind(now)
        .bind(MAX_UNANSWERED_ROWS)
        .execute(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        Ok(())
    }

    async fn unanswered_searches(&self, limit: u32) -> Result<Vec<UnansweredSearch>, StoreError> {
        let rows: Vec<(String, i64, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT query, count, first_seen, last_seen FROM faq_unanswered_searches
             ORDER BY count DESC, last_seen DESC, query LIMIT ?",
        )
        .bind(page_size(limit))
        .fetch_all(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        Ok(rows
            .into_iter()
            .map(|(query, count, first_seen, last_seen)| UnansweredSearch {
                query,
                count,
                first_seen,
                last_seen,
            })
            .collect())
    }
}
