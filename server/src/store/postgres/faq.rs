//! The FAQ's feedback tables on PostgreSQL: votes and unanswered searches.

use super::PgStore;
use crate::store::{
    StoreError, database_error,
    faq::{
        FaqStore, MAX_UNANSWERED_ROWS, ONE_VOTE_PER_VOTER, UnansweredSearch, VoteTally,
        check_query, check_slug, page_size,
    },
};
use app::{features::faq::model::VoteOutcome, ports::VoterId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl FaqStore for PgStore {
    async fn record_faq_vote(
        &self,
        slug: &str,
        voter: &VoterId,
        helpful: bool,
    ) -> Result<VoteOutcome, StoreError> {
        check_slug(slug)?;
        let inserted =
            sqlx::query("INSERT INTO faq_votes (slug, voter, helpful) VALUES ($1, $2, $3)")
                .bind(slug)
                .bind(voter.as_str())
                .bind(helpful)
                .execute(&mut *self.connection().await?)
                .await;
        match inserted {
            Ok(_) => Ok(VoteOutcome::Recorded),
            Err(sqlx::Error::Database(error)) if error.constraint() == Some(ONE_VOTE_PER_VOTER) => {
                let changed = sqlx::query(
                    "UPDATE faq_votes SET helpful = $3, voted_at = now()
                     WHERE slug = $1 AND voter = $2 AND helpful <> $3",
                )
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
        sqlx::query_scalar("SELECT helpful FROM faq_votes WHERE slug = $1 AND voter = $2")
            .bind(slug)
            .bind(voter.as_str())
            .fetch_optional(&mut *self.connection().await?)
            .await
            .map_err(database_error)
    }

    async fn faq_vote_tallies(&self) -> Result<Vec<VoteTally>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT slug,
                    COUNT(*) FILTER (WHERE helpful),
                    COUNT(*) FILTER (WHERE NOT helpful)
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
        let counted = sqlx::query(
            "UPDATE faq_unanswered_searches SET count = count + 1, last_seen = now()
             WHERE query = $1",
        )
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
            "INSERT INTO faq_unanswered_searches (query)
             SELECT $1 WHERE (SELECT COUNT(*) FROM faq_unanswered_searches) < $2
             ON CONFLICT (query) DO UPDATE
             SET count = faq_unanswered_searches.count + 1, last_seen = now()",
        )
        .bind(query)
        .bind(MAX_UNANSWERED_ROWS)
        .execute(&mut *self.connection().await?)
        .await
        .map_err(database_error)?;
        Ok(())
    }

    async fn unanswered_searches(&self, limit: u32) -> Result<Vec<UnansweredSearch>, StoreError> {
        let rows: Vec<(String, i64, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT query, count, first_seen, last_seen FROM faq_unanswered_searches
             ORDER BY count DESC, last_seen DESC, query LIMIT $1",
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
