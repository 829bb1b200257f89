//! What the scan screens and the CLI read of the queue: its depth, its
//! front, one item's row. Each an indexed range or lookup.

use serde::Serialize;

use crate::store::{Millis, Store, StoreResult};

/// One queue row with what the inventory knows of its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub item_type: String,
    pub item_id: String,
    pub name: Option<String>,
    pub path: Option<String>,
    pub owner_login: Option<String>,
    pub priority: i64,
    pub reason: String,
    pub reason_event_id: Option<String>,
    pub reason_detail: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub enqueued_at: Millis,
}

/// Rows in the queue by state (files and folders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QueueDepth {
    pub queued: u64,
    pub leased: u64,
    pub failed: u64,
}

impl Store {
    /// Rows by state, in O(leased + folders) whatever the queue's size: the
    /// file rows come from the counters, only leases and folder rows are
    /// counted.
    pub async fn queue_depth(&self, connection_id: &str) -> StoreResult<QueueDepth> {
        let row = sqlx::query!(
            r#"SELECT
                 (SELECT COALESCE(SUM(files_queued), 0) FROM scan_counts WHERE connection_id = ?1)
                     AS "files!: i64",
                 (SELECT COALESCE(SUM(files_failed), 0) FROM scan_counts WHERE connection_id = ?1)
                     AS "files_failed!: i64",
                 (SELECT COUNT(*) FROM scan_queue WHERE connection_id = ?1 AND item_type = 'folder')
                     AS "folders!: i64",
                 (SELECT COUNT(*) FROM scan_queue
                  WHERE connection_id = ?1 AND item_type = 'folder' AND state = 'failed')
                     AS "folders_failed!: i64",
                 (SELECT COUNT(*) FROM scan_queue WHERE connection_id = ?1 AND state = 'leased')
                     AS "leased!: i64""#,
            connection_id,
        )
        .fetch_one(self.pool())
        .await;
        let row = self.noted(row)?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let failed = count(row.files_failed + row.folders_failed);
        let leased = count(row.leased);
        let total = count(row.files + row.folders);
        Ok(QueueDepth {
            queued: total.saturating_sub(leased + failed),
            leased,
            failed,
        })
    }

    /// The front of the queue: what workers hold, then what waits in claim
    /// order, then what failed. One indexed range per state (no sort of the
    /// whole queue, however long it is).
    pub async fn queue_front(&self, connection_id: &str, limit: u32) -> StoreResult<Vec<QueueRow>> {
        let mut out = Vec::new();
        for state in ["leased", "queued", "failed"] {
            let room = i64::from(limit) - out.len() as i64;
            if room <= 0 {
                break;
            }
            out.extend(self.queue_rows_in_state(connection_id, state, room).await?);
        }
        Ok(out)
    }

    async fn queue_rows_in_state(
        &self,
        connection_id: &str,
        state: &str,
        limit: i64,
    ) -> StoreResult<Vec<QueueRow>> {
        let rows = sqlx::query_as!(
            QueueRow,
            r#"SELECT q.item_type, q.item_id, q.priority, q.reason, q.reason_event_id,
                      q.reason_detail, q.state, q.attempts, q.last_error,
                      q.enqueued_at AS "enqueued_at: Millis",
                      COALESCE(f.name, d.name) AS "name?: String",
                      COALESCE(f.path, d.path) AS "path?: String",
                      COALESCE(f.owner_login, d.owner_login) AS "owner_login?: String"
               FROM scan_queue q
               LEFT JOIN files f ON q.item_type = 'file'
                    AND f.connection_id = q.connection_id AND f.file_id = q.item_id
               LEFT JOIN folders d ON q.item_type = 'folder'
                    AND d.connection_id = q.connection_id AND d.folder_id = q.item_id
               WHERE q.connection_id = ?1 AND q.state = ?2
               ORDER BY q.priority, q.enqueued_at
               LIMIT ?3"#,
            connection_id,
            state,
            limit
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// The queue row of one item, if it has one.
    pub async fn queue_row(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Option<QueueRow>> {
        let row = sqlx::query_as!(
            QueueRow,
            r#"SELECT q.item_type, q.item_id, q.priority, q.reason, q.reason_event_id,
                      q.reason_detail, q.state, q.attempts, q.last_error,
                      q.enqueued_at AS "enqueued_at: Millis",
                      f.name AS "name?: String", f.path AS "path?: String",
                      f.owner_login AS "owner_login?: String"
               FROM scan_queue q
               LEFT JOIN files f ON f.connection_id = q.connection_id AND f.file_id = q.item_id
               WHERE q.connection_id = ?1 AND q.item_type = ?2 AND q.item_id = ?3"#,
            connection_id,
            item_type,
            item_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }
}
