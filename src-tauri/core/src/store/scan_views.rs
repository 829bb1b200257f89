//! What the scan screens and the CLI read: counters, the front of the
//! queue, events, the charts' series and one file's story. Reads only, on
//! the reader connections, each an indexed lookup or a bounded range, so
//! they stay fast at millions of files and work with the network down.

use super::{Millis, Store, StoreResult};

/// The O(1) counters (`scan_counts`), zero before anything was counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanCounts {
    pub users_total: u64,
    pub users_done: u64,
    pub users_skipped: u64,
    pub folders_total: u64,
    pub folders_done: u64,
    pub files_discovered: u64,
    pub files_scanned: u64,
    pub files_queued: u64,
    pub files_failed: u64,
    pub events_ingested: u64,
    pub last_event_at: Option<Millis>,
}

/// `scan_state` of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanStateRecord {
    pub paused: bool,
    pub generation: i64,
    pub users_listed_at: Option<Millis>,
    pub started_at: Millis,
    pub full_scan_completed_at: Option<Millis>,
    pub connected_role: Option<String>,
}

/// Where one event stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStreamRow {
    pub stream: String,
    pub window_start: Option<Millis>,
    pub window_end: Option<Millis>,
    pub completed_at: Option<Millis>,
    /// Backfill: the newest `created_at` saved so far.
    pub reached_at: Option<Millis>,
    pub last_polled_at: Option<Millis>,
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub event_id: String,
    pub event_type: String,
    pub kind: String,
    pub created_at: Millis,
    pub item_type: Option<String>,
    pub item_id: Option<String>,
    pub item_name: Option<String>,
    pub actor_login: Option<String>,
}

/// Events of one unix day (`created_at / 86_400_000`) and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDayCount {
    pub day: i64,
    pub kind: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteCount {
    /// Unix minute (`ms / 60_000`).
    pub minute: i64,
    pub files_scanned: u64,
    pub folders_listed: u64,
}

/// A file as the inventory holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub file_id: String,
    pub name: Option<String>,
    pub path: Option<String>,
    pub owner_login: Option<String>,
    pub size: Option<i64>,
    pub sha1: Option<String>,
    pub etag: Option<String>,
    pub scanned_etag: Option<String>,
    /// JSON as Box gave it.
    pub shared_link: Option<String>,
    pub discovered_at: Millis,
    pub last_scanned_at: Option<Millis>,
    pub removed_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollaborationRecord {
    pub collaboration_id: String,
    pub grantee_type: Option<String>,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
}

/// One scan of an item (`item_scans`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemScanRecord {
    pub at: Millis,
    pub outcome: String,
    pub reason: String,
    pub etag: Option<String>,
    pub detail: Option<String>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store {
    pub async fn scan_counts(&self, connection_id: &str) -> StoreResult<ScanCounts> {
        let row = sqlx::query!(
            r#"SELECT users_total, users_done, folders_total, folders_done,
                      files_discovered, files_scanned, files_queued, files_failed,
                      events_ingested, last_event_at AS "last_event_at: Millis"
               FROM scan_counts WHERE connection_id = ?"#,
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        let skipped = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM scan_users
               WHERE connection_id = ? AND walk_state = 'skipped'"#,
            connection_id
        )
        .fetch_one(self.pool())
        .await;
        let users_skipped = count(self.noted(skipped)?);
        Ok(match self.noted(row)? {
            None => ScanCounts {
                users_skipped,
                ..ScanCounts::default()
            },
            Some(r) => ScanCounts {
                users_total: count(r.users_total),
                users_done: count(r.users_done),
                users_skipped,
                folders_total: count(r.folders_total),
                folders_done: count(r.folders_done),
                files_discovered: count(r.files_discovered),
                files_scanned: count(r.files_scanned),
                files_queued: count(r.files_queued),
                files_failed: count(r.files_failed),
                events_ingested: count(r.events_ingested),
                last_event_at: r.last_event_at,
            },
        })
    }

    pub async fn scan_state(&self, connection_id: &str) -> StoreResult<Option<ScanStateRecord>> {
        let row = sqlx::query!(
            r#"SELECT paused AS "paused: bool", generation,
                      users_listed_at AS "users_listed_at: Millis",
                      started_at AS "started_at: Millis",
                      full_scan_completed_at AS "full_scan_completed_at: Millis",
                      connected_role
               FROM scan_state WHERE connection_id = ?"#,
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.map(|r| ScanStateRecord {
            paused: r.paused,
            generation: r.generation,
            users_listed_at: r.users_listed_at,
            started_at: r.started_at,
            full_scan_completed_at: r.full_scan_completed_at,
            connected_role: r.connected_role,
        }))
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

    pub async fn event_stream_rows(&self, connection_id: &str) -> StoreResult<Vec<EventStreamRow>> {
        let rows = sqlx::query!(
            r#"SELECT stream, window_start AS "window_start: Millis",
                      window_end AS "window_end: Millis",
                      completed_at AS "completed_at: Millis",
                      reached_at AS "reached_at: Millis",
                      last_polled_at AS "last_polled_at: Millis"
               FROM event_streams WHERE connection_id = ?"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| EventStreamRow {
                stream: r.stream,
                window_start: r.window_start,
                window_end: r.window_end,
                completed_at: r.completed_at,
                reached_at: r.reached_at,
                last_polled_at: r.last_polled_at,
            })
            .collect())
    }

    /// How long the newest event of the live stream took to reach us
    /// (ingested − created, ms): the event lag. Looks at the newest 1000
    /// rows only (a bounded read at any size); `None` when none of them
    /// came live, e.g. while the backfill is still pouring in.
    pub async fn live_event_delay(&self, connection_id: &str) -> StoreResult<Option<i64>> {
        let delay = sqlx::query_scalar!(
            r#"SELECT ingested_at - created_at AS "delay!: i64" FROM events
               WHERE connection_id = ?1 AND stream = 'admin_logs_streaming'
                 AND id > (SELECT COALESCE(MAX(id), 0) FROM events) - 1000
               ORDER BY id DESC LIMIT 1"#,
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(delay)
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

    /// Events newest first, at or after `since`, of one kind or all.
    pub async fn recent_events(
        &self,
        connection_id: &str,
        since: Option<Millis>,
        kind: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        let since = since.map(Millis::as_millis).unwrap_or(i64::MIN);
        let limit = i64::from(limit);
        let rows = sqlx::query_as!(
            EventRecord,
            r#"SELECT event_id, event_type, kind, created_at AS "created_at: Millis",
                      item_type, item_id, item_name, actor_login
               FROM events
               WHERE connection_id = ?1 AND created_at >= ?2 AND (?3 IS NULL OR kind = ?3)
               ORDER BY created_at DESC, id DESC
               LIMIT ?4"#,
            connection_id,
            since,
            kind,
            limit
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// Events per day and kind from unix day `from_day` on.
    pub async fn event_day_counts(
        &self,
        connection_id: &str,
        from_day: i64,
    ) -> StoreResult<Vec<EventDayCount>> {
        let rows = sqlx::query!(
            r#"SELECT day, kind, count FROM event_days
               WHERE connection_id = ?1 AND day >= ?2 ORDER BY day"#,
            connection_id,
            from_day
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| EventDayCount {
                day: r.day,
                kind: r.kind,
                count: count(r.count),
            })
            .collect())
    }

    /// Scan throughput per minute from unix minute `from_minute` on.
    pub async fn scan_minute_counts(
        &self,
        connection_id: &str,
        from_minute: i64,
    ) -> StoreResult<Vec<MinuteCount>> {
        let rows = sqlx::query!(
            r#"SELECT minute, files_scanned, folders_listed FROM scan_minutes
               WHERE connection_id = ?1 AND minute >= ?2 ORDER BY minute"#,
            connection_id,
            from_minute
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| MinuteCount {
                minute: r.minute,
                files_scanned: count(r.files_scanned),
                folders_listed: count(r.folders_listed),
            })
            .collect())
    }

    pub async fn file_record(
        &self,
        connection_id: &str,
        file_id: &str,
    ) -> StoreResult<Option<FileRecord>> {
        let row = sqlx::query!(
            r#"SELECT file_id, name, path, owner_login, size, sha1, etag, scanned_etag, shared_link,
                      discovered_at AS "discovered_at: Millis",
                      last_scanned_at AS "last_scanned_at: Millis",
                      removed_at AS "removed_at: Millis"
               FROM files WHERE connection_id = ?1 AND file_id = ?2"#,
            connection_id,
            file_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.map(|r| FileRecord {
            file_id: r.file_id,
            name: r.name,
            path: r.path,
            owner_login: r.owner_login,
            size: r.size,
            sha1: r.sha1,
            etag: r.etag,
            scanned_etag: r.scanned_etag,
            shared_link: r.shared_link,
            discovered_at: r.discovered_at,
            last_scanned_at: r.last_scanned_at,
            removed_at: r.removed_at,
        }))
    }

    pub async fn item_collaborations(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Vec<CollaborationRecord>> {
        let rows = sqlx::query!(
            r#"SELECT collaboration_id, grantee_type, login, name, role, status FROM collaborations
               WHERE connection_id = ?1 AND item_type = ?2 AND item_id = ?3
               ORDER BY login, collaboration_id"#,
            connection_id,
            item_type,
            item_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| CollaborationRecord {
                collaboration_id: r.collaboration_id,
                grantee_type: r.grantee_type,
                login: r.login,
                name: r.name,
                role: r.role,
                status: r.status,
            })
            .collect())
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

    /// Each scan of an item, oldest first.
    pub async fn item_scans(
        &self,
        connection_id: &str,
        item_id: &str,
    ) -> StoreResult<Vec<ItemScanRecord>> {
        let rows = sqlx::query!(
            r#"SELECT at AS "at: Millis", outcome, reason, etag, detail FROM item_scans
               WHERE connection_id = ?1 AND item_id = ?2 ORDER BY at, id"#,
            connection_id,
            item_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| ItemScanRecord {
                at: r.at,
                outcome: r.outcome,
                reason: r.reason,
                etag: r.etag,
                detail: r.detail,
            })
            .collect())
    }

    /// Every event that names an item, oldest first (ids are per type: a
    /// login event names a user by the same kind of number).
    pub async fn item_events(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Vec<EventRecord>> {
        let rows = sqlx::query_as!(
            EventRecord,
            r#"SELECT event_id, event_type, kind, created_at AS "created_at: Millis",
                      item_type, item_id, item_name, actor_login
               FROM events WHERE connection_id = ?1 AND item_id = ?2 AND item_type = ?3
               ORDER BY created_at, id"#,
            connection_id,
            item_id,
            item_type
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }
}
