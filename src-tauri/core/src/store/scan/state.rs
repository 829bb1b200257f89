//! `scan_state`: the scan's own state for one connection (paused, the walk
//! generation, the users listing's marker, when the full scan completed).

use super::counts::{count_in, ensure_counts_in, InventoryCounts};
use crate::store::{Millis, Store, StoreResult};

/// The scan's own state for one connection (`scan_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanStateRecord {
    /// The admin paused the scan (the app or the CLI): no requests go out.
    pub paused: bool,
    pub generation: i64,
    pub users_marker: Option<String>,
    pub users_listed_at: Option<Millis>,
    pub started_at: Millis,
    pub full_scan_completed_at: Option<Millis>,
    pub connected_role: Option<String>,
    pub generation_started_at: Option<Millis>,
    pub generation_done_at: Option<Millis>,
}

impl Store {
    /// The scan's state, `None` before the first run.
    pub async fn scan_state(&self, connection_id: &str) -> StoreResult<Option<ScanStateRecord>> {
        let row = sqlx::query_as!(
            ScanStateRecord,
            r#"SELECT paused AS "paused: bool", generation, users_marker, users_listed_at AS "users_listed_at: Millis",
                   started_at AS "started_at: Millis",
                   full_scan_completed_at AS "full_scan_completed_at: Millis", connected_role,
                   generation_started_at AS "generation_started_at: Millis",
                   generation_done_at AS "generation_done_at: Millis"
               FROM scan_state WHERE connection_id = ?"#,
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    /// Creates the scan's state on the first run and records who is
    /// connected (a co-admin's scan skips other admins' content).
    pub async fn begin_scan(
        &self,
        connection_id: &str,
        connected_role: Option<String>,
        now: Millis,
    ) -> StoreResult<ScanStateRecord> {
        let data = (connection_id.to_owned(), connected_role, now);
        self.write(data, |(id, role, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO scan_state (connection_id, started_at, generation_started_at, updated_at)
                     VALUES (?, ?, ?, ?) ON CONFLICT (connection_id) DO NOTHING",
                    id,
                    now,
                    now,
                    now
                )
                .execute(&mut *conn)
                .await?;
                // The row may have been made by a pause before any scan ran.
                sqlx::query!(
                    "UPDATE scan_state SET connected_role = ?, updated_at = ?,
                         generation_started_at = COALESCE(generation_started_at, ?)
                     WHERE connection_id = ?",
                    role,
                    now,
                    now,
                    id
                )
                .execute(&mut *conn)
                .await?;
                ensure_counts_in(conn, id).await
            })
        })
        .await?;
        Ok(self
            .scan_state(connection_id)
            .await?
            .expect("the scan state was just written"))
    }

    /// Pauses or resumes the scan of a connection; remembered across restarts.
    pub async fn set_scan_paused(
        &self,
        connection_id: &str,
        paused: bool,
        now: Millis,
    ) -> StoreResult<()> {
        let row = (connection_id.to_owned(), paused, now);
        self.write(row, |(id, paused, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO scan_state (connection_id, paused, started_at, updated_at)
                     VALUES (?1, ?2, ?3, ?3)
                     ON CONFLICT (connection_id) DO UPDATE SET paused = ?2, updated_at = ?3",
                    id,
                    paused,
                    now,
                )
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The current generation's walk is over (users listed, trees walked,
    /// queue drained): noted once, and the first time as the full scan's end.
    pub async fn generation_done(&self, connection_id: &str, now: Millis) -> StoreResult<()> {
        self.write((connection_id.to_owned(), now), |(id, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "UPDATE scan_state SET generation_done_at = COALESCE(generation_done_at, ?),
                         full_scan_completed_at = COALESCE(full_scan_completed_at, ?), updated_at = ?
                     WHERE connection_id = ?",
                    now,
                    now,
                    now,
                    id
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Starts the next walk generation (a periodic rescan): users are
    /// listed again and every walked user's root is pending again; folders
    /// are re-listed as the walk reaches them.
    pub async fn start_generation(&self, connection_id: &str, now: Millis) -> StoreResult<i64> {
        self.write((connection_id.to_owned(), now), |(id, now), conn| {
            Box::pin(async move {
                let generation = sqlx::query_scalar!(
                    "UPDATE scan_state SET generation = generation + 1, users_marker = NULL,
                         users_listed_at = NULL, generation_started_at = ?,
                         generation_done_at = NULL, updated_at = ?
                     WHERE connection_id = ? RETURNING generation",
                    now,
                    now,
                    id
                )
                .fetch_one(&mut *conn)
                .await?;
                let undone = sqlx::query!(
                    "UPDATE scan_users SET walk_state = 'pending', generation = ?
                     WHERE connection_id = ? AND walk_state = 'done'",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?
                .rows_affected() as i64;
                sqlx::query!(
                    "UPDATE scan_users SET generation = ? WHERE connection_id = ?",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?;
                let roots_undone = sqlx::query!(
                    "UPDATE folders SET walk_state = 'pending', walk_marker = NULL,
                         walk_generation = ?, walk_attempts = 0, walk_error = NULL
                     WHERE connection_id = ? AND folder_id LIKE 'root:%' AND walk_state = 'done'",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?
                .rows_affected() as i64;
                sqlx::query!(
                    "UPDATE folders SET walk_state = 'pending', walk_marker = NULL,
                         walk_generation = ?, walk_attempts = 0, walk_error = NULL
                     WHERE connection_id = ? AND folder_id LIKE 'root:%'",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?;
                count_in(
                    conn,
                    id,
                    InventoryCounts {
                        users_done: -undone,
                        folders_done: -roots_undone,
                        ..Default::default()
                    },
                )
                .await?;
                Ok(generation)
            })
        })
        .await
    }
}
