//! Results of the API test checklist, stored so they show offline.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;

use super::{Store, StoreResult};

/// Ordered from best to worst, so a run's outcome is the `max` of its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

/// One check of a run, e.g. `role` → warn "co-admin".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct ApiCheckRecord {
    /// Stable id of the check (`token_valid`, `role`, `events`, ...).
    pub check_id: String,
    pub label: String,
    pub status: CheckStatus,
    pub detail: Option<String>,
    /// Box's error as received (code and message), when the check failed on one.
    pub box_error: Option<String>,
    /// What to do, from the troubleshooting table.
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct ApiTestRun {
    pub id: i64,
    pub connection_id: String,
    pub started_at: DateTime<Utc>,
    /// `None` while the run is in progress (or was interrupted).
    pub finished_at: Option<DateTime<Utc>>,
    /// The worst check status, once finished.
    pub outcome: Option<CheckStatus>,
    #[sqlx(skip)]
    pub checks: Vec<ApiCheckRecord>,
}

impl Store {
    /// Opens a run; checks are added as they complete so progress survives.
    pub async fn start_api_test_run(
        &self,
        connection_id: &str,
        started_at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_test_runs (connection_id, started_at) VALUES (?, ?) RETURNING id",
        )
        .bind(connection_id)
        .bind(started_at.timestamp())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Appends a check to a run, after the ones already recorded.
    pub async fn record_api_check(&self, run_id: i64, check: &ApiCheckRecord) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_test_checks \
             (run_id, position, check_id, label, status, detail, box_error, fix) \
             VALUES (?1, (SELECT COUNT(*) FROM api_test_checks WHERE run_id = ?1), \
                     ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(run_id)
        .bind(&check.check_id)
        .bind(&check.label)
        .bind(check.status)
        .bind(&check.detail)
        .bind(&check.box_error)
        .bind(&check.fix)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes a run; its outcome is the worst status among its checks
    /// (`fail` when it has none, since nothing was verified).
    pub async fn finish_api_test_run(
        &self,
        run_id: i64,
        finished_at: DateTime<Utc>,
    ) -> StoreResult<Option<CheckStatus>> {
        let mut tx = self.begin_write().await?;
        let statuses: Vec<(CheckStatus,)> =
            sqlx::query_as("SELECT status FROM api_test_checks WHERE run_id = ?")
                .bind(run_id)
                .fetch_all(&mut *tx)
                .await?;
        let outcome = statuses
            .into_iter()
            .map(|(s,)| s)
            .max()
            .unwrap_or(CheckStatus::Fail);
        let done =
            sqlx::query("UPDATE api_test_runs SET finished_at = ?, outcome = ? WHERE id = ?")
                .bind(finished_at.timestamp())
                .bind(outcome)
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok((done.rows_affected() == 1).then_some(outcome))
    }

    /// The newest run for a connection, with its checks in order.
    pub async fn latest_api_test_run(
        &self,
        connection_id: &str,
    ) -> StoreResult<Option<ApiTestRun>> {
        let run: Option<ApiTestRun> = sqlx::query_as(
            "SELECT id, connection_id, started_at, finished_at, outcome FROM api_test_runs \
             WHERE connection_id = ? ORDER BY started_at DESC, id DESC LIMIT 1",
        )
        .bind(connection_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(mut run) = run else { return Ok(None) };
        run.checks = sqlx::query_as(
            "SELECT check_id, label, status, detail, box_error, fix FROM api_test_checks \
             WHERE run_id = ? ORDER BY position",
        )
        .bind(run.id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(run))
    }
}
