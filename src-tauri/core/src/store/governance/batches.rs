//! `batches`: bulk actions, each a set of audit entries.

use crate::store::{count, Millis, Store, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    pub batch_id: i64,
    pub connection_id: String,
    pub kind: String,
    pub total: i64,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
}

/// How many of a batch's entries are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub recorded: u64,
    pub done: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub refused: u64,
    pub unfinished: u64,
}

impl Store {
    pub async fn create_batch(
        &self,
        connection_id: &str,
        kind: &str,
        filter: &str,
        total: i64,
        now: Millis,
    ) -> StoreResult<i64> {
        let data = (
            connection_id.to_owned(),
            kind.to_owned(),
            filter.to_owned(),
            total,
            now,
        );
        self.write(data, |(id, kind, filter, total, now), conn| {
            Box::pin(async move {
                let batch = sqlx::query_scalar!(
                    r#"INSERT INTO action_batches (connection_id, kind, filter, total, started_at)
                       VALUES (?, ?, ?, ?, ?) RETURNING batch_id AS "batch_id!""#,
                    id,
                    kind,
                    filter,
                    total,
                    now
                )
                .fetch_one(&mut *conn)
                .await?;
                Ok(batch)
            })
        })
        .await
    }

    pub async fn finish_batch(&self, batch_id: i64, now: Millis) -> StoreResult<()> {
        self.write((batch_id, now), |(batch, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "UPDATE action_batches SET finished_at = COALESCE(finished_at, ?) WHERE batch_id = ?",
                    now,
                    batch
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn batch(&self, batch_id: i64) -> StoreResult<Option<BatchRecord>> {
        let row = sqlx::query_as!(
            BatchRecord,
            r#"SELECT batch_id AS "batch_id!", connection_id, kind, total,
                      started_at AS "started_at: Millis", finished_at AS "finished_at: Millis"
               FROM action_batches WHERE batch_id = ?"#,
            batch_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    pub async fn batch_counts(&self, batch_id: i64) -> StoreResult<BatchCounts> {
        let rows = sqlx::query!(
            r#"SELECT state, COUNT(*) AS "n!: i64" FROM audit_log WHERE batch_id = ? GROUP BY state"#,
            batch_id
        )
        .fetch_all(self.pool())
        .await;
        let mut counts = BatchCounts::default();
        for r in self.noted(rows)? {
            let n = count(r.n);
            counts.recorded += n;
            match r.state.as_str() {
                "done" => counts.done += n,
                "unchanged" => counts.unchanged += n,
                "failed" => counts.failed += n,
                "refused" => counts.refused += n,
                _ => counts.unfinished += n,
            }
        }
        Ok(counts)
    }

    /// Batches left unfinished by an earlier process.
    pub async fn unfinished_batches(&self, connection_id: &str) -> StoreResult<Vec<BatchRecord>> {
        let rows = sqlx::query_as!(
            BatchRecord,
            r#"SELECT batch_id AS "batch_id!", connection_id, kind, total,
                      started_at AS "started_at: Millis", finished_at AS "finished_at: Millis"
               FROM action_batches WHERE connection_id = ? AND finished_at IS NULL
               ORDER BY batch_id"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }
}
