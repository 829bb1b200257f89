//! Results of the API test checklist, stored so they show offline.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{time, Millis, Store, StoreResult};
use crate::ipc;

/// Ordered from best to worst, so a run's outcome is the `max` of its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    /// The name as stored and serialized (`pass`, `warn`, `fail`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }

    /// The stored form of a status as shown, `None` for one that is not a
    /// result: only finished checks (pass, warn, fail) are kept.
    pub fn of_shown(shown: ipc::CheckStatus) -> Option<CheckStatus> {
        match shown {
            ipc::CheckStatus::Pass => Some(CheckStatus::Pass),
            ipc::CheckStatus::Warn => Some(CheckStatus::Warn),
            ipc::CheckStatus::Fail => Some(CheckStatus::Fail),
            ipc::CheckStatus::Pending | ipc::CheckStatus::Running | ipc::CheckStatus::Skipped => {
                None
            }
        }
    }
}

// The one mapping back: every stored status is one the window shows.
impl From<CheckStatus> for ipc::CheckStatus {
    fn from(stored: CheckStatus) -> Self {
        match stored {
            CheckStatus::Pass => ipc::CheckStatus::Pass,
            CheckStatus::Warn => ipc::CheckStatus::Warn,
            CheckStatus::Fail => ipc::CheckStatus::Fail,
        }
    }
}

/// One check of a run, e.g. `role` → warn "co-admin".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTestRun {
    pub id: i64,
    pub connection_id: String,
    pub started_at: DateTime<Utc>,
    /// `None` while the run is in progress (or was interrupted).
    pub finished_at: Option<DateTime<Utc>>,
    /// The worst check status, once finished.
    pub outcome: Option<CheckStatus>,
    pub checks: Vec<ApiCheckRecord>,
}

impl Store {
    /// Opens a run; checks are added as they complete so progress survives.
    pub async fn start_api_test_run(
        &self,
        connection_id: &str,
        started_at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let run = (connection_id.to_owned(), Millis::from(started_at));
        self.write(run, |(connection_id, started_at), conn| {
            Box::pin(async move {
                Ok(sqlx::query_scalar!(
                    r#"INSERT INTO api_test_runs (connection_id, started_at) VALUES (?, ?)
                       RETURNING id AS "id!""#,
                    connection_id,
                    started_at,
                )
                .fetch_one(conn)
                .await?)
            })
        })
        .await
    }

    /// Appends a check to a run, after the ones already recorded.
    pub async fn record_api_check(&self, run_id: i64, check: &ApiCheckRecord) -> StoreResult<()> {
        self.write((run_id, check.clone()), |(run_id, check), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO api_test_checks \
                     (run_id, position, check_id, label, status, detail, box_error, fix) \
                     VALUES (?1, (SELECT COUNT(*) FROM api_test_checks WHERE run_id = ?1), \
                             ?2, ?3, ?4, ?5, ?6, ?7)",
                    run_id,
                    check.check_id,
                    check.label,
                    check.status,
                    check.detail,
                    check.box_error,
                    check.fix,
                )
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Closes a run; its outcome is the worst status among its checks
    /// (`fail` when it has none, since nothing was verified).
    pub async fn finish_api_test_run(
        &self,
        run_id: i64,
        finished_at: DateTime<Utc>,
    ) -> StoreResult<Option<CheckStatus>> {
        let finish = (run_id, Millis::from(finished_at));
        self.write(finish, |(run_id, finished_at), conn| {
            Box::pin(async move {
                let statuses = sqlx::query_scalar!(
                    r#"SELECT status AS "status: CheckStatus" FROM api_test_checks WHERE run_id = ?"#,
                    run_id,
                )
                .fetch_all(&mut *conn)
                .await?;
                let outcome = statuses.into_iter().max().unwrap_or(CheckStatus::Fail);
                let done = sqlx::query!(
                    "UPDATE api_test_runs SET finished_at = ?, outcome = ? WHERE id = ?",
                    finished_at,
                    outcome,
                    run_id,
                )
                .execute(&mut *conn)
                .await?;
                Ok((done.rows_affected() == 1).then_some(outcome))
            })
        })
        .await
    }

    /// The newest run for a connection, with its checks in order.
    pub async fn latest_api_test_run(
        &self,
        connection_id: &str,
    ) -> StoreResult<Option<ApiTestRun>> {
        let run = sqlx::query!(
            r#"SELECT id AS "id!", connection_id, started_at AS "started_at: Millis",
                      finished_at AS "finished_at?: Millis", outcome AS "outcome?: CheckStatus"
               FROM api_test_runs WHERE connection_id = ?
               ORDER BY started_at DESC, id DESC LIMIT 1"#,
            connection_id,
        )
        .fetch_optional(self.pool())
        .await;
        let Some(run) = self.noted(run)? else {
            return Ok(None);
        };
        let checks = sqlx::query_as!(
            ApiCheckRecord,
            r#"SELECT check_id, label, status AS "status: CheckStatus", detail, box_error, fix
               FROM api_test_checks WHERE run_id = ? ORDER BY position"#,
            run.id,
        )
        .fetch_all(self.pool())
        .await;
        Ok(Some(ApiTestRun {
            id: run.id,
            connection_id: run.connection_id,
            started_at: run.started_at.into(),
            finished_at: time::opt_datetime(run.finished_at),
            outcome: run.outcome,
            checks: self.noted(checks)?,
        }))
    }
}
