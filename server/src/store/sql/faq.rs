//! The FAQ's feedback tables on either backend: votes and unanswered searches.

use super::SqlStore;
use crate::store::{
    StoreError, database_error,
    dialect::{Dialect, Sql},
    faq::{
        FaqStore, MAX_UNANSWERED_ROWS, ONE_VOTE_PER_VOTER, UnansweredSearch, VoteTally,
        check_query, check_slug, page_size,
    },
};
use app::{features::faq::model::VoteOutcome, ports::VoterId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl<DB: Dialect> FaqStore for SqlStore<DB> {
    async fn record_faq_vote(
        &self,
        slug: &str,
        voter: &VoterId,
        helpful: bool,
    ) -> Result<VoteOutcome, StoreError> {
        check_slug(slug)?;
        let mut insert =
            Sql::<DB>::new("INSERT INTO faq_votes (slug, voter, helpful, voted_at) VALUES (");
        insert
            .push_bind(slug)
            .push(", ")
            .push_bind(voter.as_str())
            .push(", ")
            .push_bind(helpful)
            .push(", ")
            .push_now()
            .push(")");
        match insert.execute(&mut *self.connection().await?).await {
            Ok(_) => Ok(VoteOutcome::Recorded),
            // This reader's earlier vote for the entry.
            Err(sqlx::Error::Database(error)) if DB::violates(&*error, ONE_VOTE_PER_VOTER) => {
                let mut update = Sql::<DB>::new("UPDATE faq_votes SET helpful = ");
                update
                    .push_bind(helpful)
                    .push(", voted_at = ")
                    .push_now()
                    .push(" WHERE slug = ")
                    .push_bind(slug)
                    .push(" AND voter = ")
                    .push_bind(voter.as_str())
                    .push(" AND helpful <> ")
                    .push_bind(helpful);
                let changed = update
                    .execute(&mut *self.connection().await?)
                    .await
                    .map_err(database_error)?;
                Ok(if changed == 0 {
                    VoteOutcome::Unchanged
                } else {
                    VoteOutcome::Changed
                })
            }
            Err(error) => Err(database_error(error)),
        }
    }

    async fn faq_vote(&self, slug: &str, voter: &VoterId) -> Result<Option<bool>, StoreError> {
        Sql::<DB>::new("SELECT helpful FROM faq_votes WHERE slug = $1 AND voter = $2")
            .bind(slug)
            .bind(voter.as_str())
            .fetch_optional_scalar(&mut *self.connection().await?)
            .await
            .map_err(database_error)
    }

    async fn faq_vote_tallies(&self) -> Result<Vec<VoteTally>, StoreError> {
        let rows: Vec<(String, i64, i64)> = Sql::<DB>::new(format!(
            "SELECT slug, {}, {} FROM faq_votes GROUP BY slug ORDER BY slug",
            DB::count_where("helpful"),
            DB::count_where("NOT helpful"),
        ))
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
        let mut count =
            Sql::<DB>::new("UPDATE faq_unanswered_searches SET count = count + 1, last_seen = ");
        count.push_now().push(" WHERE query = ").push_bind(query);
        let counted = count
            .execute(&mut *self.connection().await?)
            .await
            .map_err(database_error)?;
        if counted > 0 {
            return Ok(());
        }
        // A new query is kept only while the table is below its cap; ON CONFLICT covers a second
        // request that inserted the same query in between.
        let mut insert = Sql::<DB>::new(
            "INSERT INTO faq_unanswered_searches (query, count, first_seen, last_seen) SELECT ",
        );
        insert
            .push_bind(query)
            .push(", 1, ")
            .push_now()
            .push(", ")
            .push_now()
            .push(" WHERE (SELECT COUNT(*) FROM faq_unanswered_searches) < ")
            .push_bind(MAX_UNANSWERED_ROWS)
            .push(
                " ON CONFLICT (query) DO UPDATE \
                 SET count = faq_unanswered_searches.count + 1, last_seen = excluded.last_seen",
            );
        insert
            .execute(&mut *self.connection().await?)
            .await
            .map_err(database_error)?;
        Ok(())
    }

    async fn unanswered_searches(&self, limit: u32) -> Result<Vec<UnansweredSearch>, StoreError> {
        let rows: Vec<(String, i64, DateTime<Utc>, DateTime<Utc>)> = Sql::<DB>::new(
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
