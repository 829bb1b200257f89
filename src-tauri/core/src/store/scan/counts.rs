//! `scan_counts` and `scan_minutes`: the O(1) counters and the per-minute
//! throughput the screens read. Each counter moves in the transaction that
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

pub(crate) async fn ensure_counts_in(conn: &mut SqliteConnection, connection_id: &str) -> StoreResult<()> {
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
}
