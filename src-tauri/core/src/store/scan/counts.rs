//! `scan_counts`, `scan_minutes` and `inspect_reason_counts`: the O(1)
//! counters and the per-minute throughput the screens read (the scan's and
//! the content inspection's). Each counter moves in the transaction that
//! changes what it counts, by `rows_affected`, so it stays exact.

use sqlx::sqlite::SqliteConnection;

use crate::store::{count, Millis, Store, StoreResult};

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

/// The full scan's counters this module keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InventoryCounts {
    pub users_total: i64,
    pub users_done: i64,
    pub folders_total: i64,
    pub folders_done: i64,
    pub files_discovered: i64,
    pub files_scanned: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteCount {
    /// Unix minute (`ms / 60_000`).
    pub minute: i64,
    pub files_scanned: u64,
    pub folders_listed: u64,
}

pub(crate) fn minute_of(at: Millis) -> i64 {
    at.as_millis().div_euclid(60_000)
}

pub(crate) async fn ensure_counts_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT OR IGNORE INTO scan_counts (connection_id) VALUES (?)",
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds to the counters (negative to take away).
pub(crate) async fn count_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    delta: InventoryCounts,
) -> StoreResult<()> {
    if delta == InventoryCounts::default() {
        return Ok(());
    }
    ensure_counts_in(conn, connection_id).await?;
    sqlx::query!(
        "UPDATE scan_counts SET users_total = users_total + ?, users_done = users_done + ?,
             folders_total = folders_total + ?, folders_done = folders_done + ?,
             files_discovered = files_discovered + ?, files_scanned = files_scanned + ?
         WHERE connection_id = ?",
        delta.users_total,
        delta.users_done,
        delta.folders_total,
        delta.folders_done,
        delta.files_discovered,
        delta.files_scanned,
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn minute_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    at: Millis,
    files_scanned: i64,
    folders_listed: i64,
) -> StoreResult<()> {
    if files_scanned == 0 && folders_listed == 0 {
        return Ok(());
    }
    let minute = minute_of(at);
    sqlx::query!(
        "INSERT INTO scan_minutes (connection_id, minute, files_scanned, folders_listed)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (connection_id, minute) DO UPDATE SET
             files_scanned = files_scanned + excluded.files_scanned,
             folders_listed = folders_listed + excluded.folders_listed",
        connection_id,
        minute,
        files_scanned,
        folders_listed
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inspection counters to add to `scan_counts` / `scan_minutes`.
#[derive(Debug, Clone, Default)]
pub(crate) struct InspectDelta {
    /// Files entering (or leaving) each state: these count files, not
    /// inspections, so "pending" is scanned minus both.
    pub inspected: i64,
    pub not_inspected: i64,
    /// Inspections done (for the rate).
    pub inspections: i64,
    pub cache_hits: i64,
    pub downloads: i64,
    pub bytes: i64,
    /// Files per "not inspected" reason, entering (+1) or leaving (-1).
    pub reasons: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionCounts {
    pub files_scanned: u64,
    pub files_inspected: u64,
    pub files_not_inspected: u64,
    pub cache_hits: u64,
    pub downloads: u64,
    pub bytes_downloaded: u64,
}

/// Adds inspection counters, in the caller's transaction.
pub(crate) async fn count_inspections_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    delta: InspectDelta,
    now: Millis,
) -> StoreResult<()> {
    if delta.inspections == 0 {
        return Ok(());
    }
    for (code, change) in &delta.reasons {
        sqlx::query!(
            "INSERT INTO inspect_reason_counts (connection_id, code, files) VALUES (?, ?, ?)
             ON CONFLICT (connection_id, code) DO UPDATE SET files = files + excluded.files",
            connection_id,
            code,
            change
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query!(
        "INSERT INTO scan_counts (connection_id) VALUES (?) ON CONFLICT (connection_id) DO NOTHING",
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE scan_counts SET files_inspected = files_inspected + ?,
             files_not_inspected = files_not_inspected + ?, content_cache_hits = content_cache_hits + ?,
             content_downloads = content_downloads + ?, bytes_downloaded = bytes_downloaded + ?
         WHERE connection_id = ?",
        delta.inspected,
        delta.not_inspected,
        delta.cache_hits,
        delta.downloads,
        delta.bytes,
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    let minute = now.as_millis() / 60_000;
    let files = delta.inspections;
    sqlx::query!(
        "INSERT INTO scan_minutes (connection_id, minute, files_inspected, bytes_downloaded)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (connection_id, minute) DO UPDATE SET
             files_inspected = files_inspected + excluded.files_inspected,
             bytes_downloaded = bytes_downloaded + excluded.bytes_downloaded",
        connection_id,
        minute,
        files,
        delta.bytes
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
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

    /// The counters this module keeps.
    pub async fn inventory_counts(&self, connection_id: &str) -> StoreResult<InventoryCounts> {
        let row = sqlx::query_as!(
            InventoryCounts,
            "SELECT users_total, users_done, folders_total, folders_done, files_discovered,
                 files_scanned FROM scan_counts WHERE connection_id = ?",
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.unwrap_or_default())
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

    pub async fn inspection_counts(&self, connection_id: &str) -> StoreResult<InspectionCounts> {
        let row = sqlx::query!(
            "SELECT files_scanned, files_inspected, files_not_inspected, content_cache_hits,
                    content_downloads, bytes_downloaded
             FROM scan_counts WHERE connection_id = ?",
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self
            .noted(row)?
            .map(|r| InspectionCounts {
                files_scanned: count(r.files_scanned),
                files_inspected: count(r.files_inspected),
                files_not_inspected: count(r.files_not_inspected),
                cache_hits: count(r.content_cache_hits),
                downloads: count(r.content_downloads),
                bytes_downloaded: count(r.bytes_downloaded),
            })
            .unwrap_or_default())
    }

    /// Files per "not inspected" reason, most common first.
    pub async fn not_inspected_reasons(
        &self,
        connection_id: &str,
    ) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query!(
            "SELECT code, files FROM inspect_reason_counts
             WHERE connection_id = ? AND files > 0 ORDER BY files DESC, code",
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| (r.code, count(r.files)))
            .collect())
    }

    /// Inspections and bytes per minute since `since` (for rate and ETA).
    pub async fn inspection_minutes(
        &self,
        connection_id: &str,
        since_minute: i64,
    ) -> StoreResult<Vec<(i64, u64, u64)>> {
        let rows = sqlx::query!(
            "SELECT minute, files_inspected, bytes_downloaded FROM scan_minutes
             WHERE connection_id = ? AND minute >= ? ORDER BY minute",
            connection_id,
            since_minute
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| {
                (
                    r.minute,
                    count(r.files_inspected),
                    count(r.bytes_downloaded),
                )
            })
            .collect())
    }
}
