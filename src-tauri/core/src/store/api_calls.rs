//! The Box API call log behind connection health. Each call is one row;
//! rows older than [`API_CALL_RETENTION`] are pruned.

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

impl Store {
    /// Logs one call; a successful one also stamps the connection's
    /// `last_success_at`, in the same transaction.
    pub async fn record_api_call(&self, call: &ApiCallRecord) -> StoreResult<()> {
        self.write(call.clone(), |call, conn| {
            Box::pin(async move {
                let at = Millis::from(call.at);
                let id = sqlx::query_scalar!(
                    r#"INSERT INTO api_calls
                       (connection_id, at, method, endpoint, status, latency_ms, rate_limited, error_code)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id AS "id!""#,
                    call.connection_id,
                    at,
                    call.method,
                    call.endpoint,
                    call.status,
                    call.latency_ms,
                    call.rate_limited,
                    call.error_code,
                )
                .fetch_one(&mut *conn)
                .await?;
                if let (true, Some(connection_id)) = (call.is_success(), &call.connection_id) {
                    sqlx::query!(
                        "UPDATE connections SET last_success_at = MAX(COALESCE(last_success_at, 0), ?) \
                         WHERE id = ?",
                        at,
                        connection_id,
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                if id % PRUNE_EVERY == 0 {
                    let before = Millis::from(call.at - API_CALL_RETENTION);
                    sqlx::query!("DELETE FROM api_calls WHERE at < ?", before)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .await
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
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE api_calls SET connection_id = ?2 WHERE connection_id = ?1")
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
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
