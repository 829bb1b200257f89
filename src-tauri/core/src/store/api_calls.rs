//! The Box API call log behind connection health. Each call is one row,
//! written in batches (the live session keeps its figures in memory and
//! flushes every few seconds); rows older than [`API_CALL_RETENTION`] are pruned.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::{Millis, Store, StoreResult};

/// How long calls are kept. Health looks at the last hour; a week leaves
/// room for diagnosing "it was slow yesterday".
pub const API_CALL_RETENTION: TimeDelta = TimeDelta::days(7);

/// Prune on every this-many inserts, so a long-running app stays bounded.
pub(super) const PRUNE_EVERY: i64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiCallRecord {
    pub connection_id: Option<String>,
    pub at: DateTime<Utc>,
    pub method: String,
    /// Path template or path without query string (no tokens, no ids needed).
    pub endpoint: String,
    /// HTTP status; `None` when no response arrived (network error, timeout).
    pub status: Option<u16>,
    pub latency_ms: u32,
    /// Box answered 429.
    pub rate_limited: bool,
    /// Box's error `code` (or the OAuth `error`), when there was one.
    pub error_code: Option<String>,
}

impl ApiCallRecord {
    pub fn is_success(&self) -> bool {
        self.status
            .is_some_and(|status| (200..400).contains(&status))
    }
}

/// Rows per INSERT statement (8 binds each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 500;

impl Store {
    /// Logs one call (tests and tools; the app batches through
    /// [`Store::record_api_calls`]).
    pub async fn record_api_call(&self, call: &ApiCallRecord) -> StoreResult<()> {
        self.record_api_calls(std::slice::from_ref(call)).await
    }

    /// Logs a batch of calls in one transaction. Each connection's
    /// `last_success_at` moves to its newest success in the batch (never
    /// back); every [`PRUNE_EVERY`] rows, rows past the retention go.
    /// The INSERT is built per batch size, so it is checked at run time.
    pub async fn record_api_calls(&self, calls: &[ApiCallRecord]) -> StoreResult<()> {
        if calls.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let mut first_id = None;
        let mut last_id = 0i64;
        for chunk in calls.chunks(ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO api_calls \
                 (connection_id, at, method, endpoint, status, latency_ms, rate_limited, error_code) ",
            );
            insert.push_values(chunk, |mut row, call| {
                row.push_bind(&call.connection_id)
                    .push_bind(Millis::from(call.at))
                    .push_bind(&call.method)
                    .push_bind(&call.endpoint)
                    .push_bind(call.status)
                    .push_bind(call.latency_ms)
                    .push_bind(call.rate_limited)
                    .push_bind(&call.error_code);
            });
            let done = insert.build().execute(&mut *tx).await?;
            // Rows of one statement get consecutive ids under the write lock.
            last_id = done.last_insert_rowid();
            first_id.get_or_insert(last_id - chunk.len() as i64 + 1);
        }
        let mut newest_success: std::collections::HashMap<&str, DateTime<Utc>> =
            std::collections::HashMap::new();
        for call in calls.iter().filter(|c| c.is_success()) {
            if let Some(id) = &call.connection_id {
                let at = newest_success.entry(id).or_insert(call.at);
                *at = (*at).max(call.at);
            }
        }
        for (connection_id, at) in newest_success {
            let at = Millis::from(at);
            sqlx::query!(
                "UPDATE connections SET last_success_at = MAX(COALESCE(last_success_at, 0), ?) \
                 WHERE id = ?",
                at,
                connection_id,
            )
            .execute(&mut *tx)
            .await?;
        }
        let first_id = first_id.unwrap_or(last_id);
        if last_id / PRUNE_EVERY > (first_id - 1) / PRUNE_EVERY {
            let newest = calls.iter().map(|c| c.at).max().unwrap_or_else(Utc::now);
            let before = Millis::from(newest - API_CALL_RETENTION);
            sqlx::query!("DELETE FROM api_calls WHERE at < ?", before)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Calls at or after `since`, oldest first; for one connection, or all.
    pub async fn api_calls_since(
        &self,
        since: DateTime<Utc>,
        connection_id: Option<&str>,
    ) -> StoreResult<Vec<ApiCallRecord>> {
        let since = Millis::from(since);
        let rows = sqlx::query!(
            r#"SELECT connection_id, at AS "at: Millis", method, endpoint,
                      status AS "status: u16", latency_ms AS "latency_ms: u32",
                      rate_limited AS "rate_limited: bool", error_code
               FROM api_calls WHERE at >= ?1 AND (?2 IS NULL OR connection_id = ?2)
               ORDER BY at, id"#,
            since,
            connection_id,
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|row| ApiCallRecord {
                connection_id: row.connection_id,
                at: row.at.into(),
                method: row.method,
                endpoint: row.endpoint,
                status: row.status,
                latency_ms: row.latency_ms,
                rate_limited: row.rate_limited,
                error_code: row.error_code,
            })
            .collect())
    }

    /// When the last call that got a successful answer was made.
    pub async fn last_successful_call(
        &self,
        connection_id: Option<&str>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let at = sqlx::query_scalar!(
            r#"SELECT MAX(at) AS "at?: Millis" FROM api_calls
               WHERE status >= 200 AND status < 400 AND (?1 IS NULL OR connection_id = ?1)"#,
            connection_id,
        )
        .fetch_one(self.pool())
        .await;
        Ok(self.noted(at)?.map(Millis::to_datetime))
    }

    /// Gives the calls logged under one connection id to another: a sign-in's
    /// calls before Box named the enterprise belong to the connection it became.
    pub async fn reassign_api_calls(&self, from: &str, to: &str) -> StoreResult<u64> {
        let ids = (from.to_owned(), to.to_owned());
        self.write(ids, |(from, to), conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    "UPDATE api_calls SET connection_id = ?2 WHERE connection_id = ?1",
                    from,
                    to,
                )
                .execute(conn)
                .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }

    /// Deletes calls older than `before`; returns how many went.
    pub async fn prune_api_calls(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.write(Millis::from(before), |before, conn| {
            Box::pin(async move {
                let done = sqlx::query!("DELETE FROM api_calls WHERE at < ?", before)
                    .execute(conn)
                    .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }
}
