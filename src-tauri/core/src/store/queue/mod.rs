//! The scan queue: one row per file or folder waiting to be scanned, with
//! its priority, state, attempts, lease and the reason it waits (full scan,
//! which event, changed etag, periodic rescan).
//!
//! - Lower priority numbers go first ([`priority`]); FIFO (by `enqueued_at`,
//!   to the millisecond) within a priority. An enqueue of an item already
//!   queued only ever moves it forward (never demotes) and bumps its
//!   `version`, so a worker holding it puts it back on [`Store::complete`]
//!   instead of deleting it: a change seen while the item was being scanned
//!   is scanned again.
//! - Workers claim in batches under a lease (one `UPDATE … RETURNING`).
//!   Every lease is a live worker's until it expires ([`Store::reclaim_expired`])
//!   or a scanner starts holding the data dir's scanner lock: then any lease
//!   is a dead scanner's and [`Store::reclaim_all_leases`] takes them all back.
//! - An attempt is counted when it is claimed, before any work starts, so
//!   a scanner that dies mid-item leaves a trace: its leases, reclaimed by
//!   the next scanner, become `crashes`. An item with a crash is a suspect:
//!   it is claimed alone, and only when no other row is ready, so its next
//!   death is its own and never costs the rest of the scan; at
//!   [`MAX_CRASHES`] it is set aside as `failed` with the reason, never
//!   claimed again until [`Store::retry_failed`]. Work handed back on
//!   purpose (a stop, a pause, the network went down) does not count
//!   ([`Store::release`], [`Store::release_all_leases`]).
//! - A failed attempt waits out an exponential backoff with jitter; after
//!   `max_attempts` the row stays as `failed` with its last error (visible,
//!   never dropped) until [`Store::retry_failed`].
//! - `scan_counts.files_queued` / `files_failed` count the `file` rows (any
//!   state / state `failed`) and are kept exact by the statement that
//!   changes them, in the same transaction (rows affected or returned).
//! - Every statement reaches rows through an index: the claim index
//!   `(connection_id, state, priority, enqueued_at, not_before)` or the
//!   primary key `(connection_id, item_type, item_id)` (see the
//!   `EXPLAIN QUERY PLAN` test). Batches travel as one JSON array bound to
//!   one parameter (`json_each`), so a batch of any size is one statement.

//!
//! This file holds the rows and the writes that add, finish and fail them;
//! `lease` the claims and the leases taken back, `events` what live events
//! do to the queue, `views` the reads.

mod events;
mod lease;
mod views;

pub use views::{QueueDepth, QueueRow};

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteConnection;

use super::{Millis, Store, StoreError, StoreResult};

/// Queue priorities: lower goes first.
pub mod priority {
    /// A modify or share event: scanned right away.
    pub const EVENT: i64 = 0;
    pub const CHANGED_ETAG: i64 = 10;
    pub const FULL_SCAN: i64 = 50;
    pub const PERIODIC: i64 = 90;
}

/// Claims that ended with the scanner gone (a crash, a kill) before an
/// item is set aside instead of claimed again: a file that crashes the
/// scanner must never crash it for ever. All but the first were solo.
pub const MAX_CRASHES: i64 = 3;

/// The first retry waits up to this long; each further failure doubles it.
pub const BACKOFF_BASE: Duration = Duration::from_secs(2);

/// No retry waits longer than this.
pub const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    File,
    Folder,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::File => "file",
            ItemKind::Folder => "folder",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "file" => Some(ItemKind::File),
            "folder" => Some(ItemKind::Folder),
            _ => None,
        }
    }
}

/// Why an item is queued (shown in the UI and the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueReason {
    FullScan,
    Event,
    ChangedEtag,
    Periodic,
}

impl QueueReason {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueReason::FullScan => "full_scan",
            QueueReason::Event => "event",
            QueueReason::ChangedEtag => "changed_etag",
            QueueReason::Periodic => "periodic",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "full_scan" => Some(QueueReason::FullScan),
            "event" => Some(QueueReason::Event),
            "changed_etag" => Some(QueueReason::ChangedEtag),
            "periodic" => Some(QueueReason::Periodic),
            _ => None,
        }
    }
}

/// An item to queue (or to move forward, if it is queued already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueue {
    pub item: ItemKind,
    pub item_id: String,
    pub priority: i64,
    pub reason: QueueReason,
    /// For [`QueueReason::Event`]: Box's event_id.
    pub reason_event_id: Option<String>,
    /// For [`QueueReason::Event`]: the event type (e.g. `EDIT`).
    pub reason_detail: Option<String>,
}

impl Enqueue {
    /// A file found by the full scan's walk.
    pub fn full_scan(file_id: impl Into<String>) -> Self {
        Enqueue {
            item: ItemKind::File,
            item_id: file_id.into(),
            priority: priority::FULL_SCAN,
            reason: QueueReason::FullScan,
            reason_event_id: None,
            reason_detail: None,
        }
    }

    /// An item a modify or share event touched: to the front.
    pub fn event(
        item: ItemKind,
        item_id: impl Into<String>,
        event_id: impl Into<String>,
        event_type: impl Into<String>,
    ) -> Self {
        Enqueue {
            item,
            item_id: item_id.into(),
            priority: priority::EVENT,
            reason: QueueReason::Event,
            reason_event_id: Some(event_id.into()),
            reason_detail: Some(event_type.into()),
        }
    }
}

/// A row a worker holds under a lease. Hand it back to [`Store::complete`]
/// or [`Store::fail`] as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub item: ItemKind,
    pub item_id: String,
    pub priority: i64,
    pub reason: QueueReason,
    pub reason_event_id: Option<String>,
    pub reason_detail: Option<String>,
    /// Attempts so far, this one included (counted at the claim).
    pub attempts: u32,
    /// The row's version when claimed: complete deletes only this version.
    pub version: i64,
}

/// What one [`Store::apply_event_effects`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventEffects {
    /// Queue rows added or moved forward by modify / share events.
    pub bumped: u64,
    /// Delete events applied (the item taken out of the queue, a file
    /// marked removed with a `removed` entry in its history).
    pub removed: u64,
    /// More events still wait for their effect (the limit was reached).
    pub pending_left: bool,
}

/// The longest wait after failed attempt number `attempt` (1-based):
/// `BACKOFF_BASE · 2^(attempt-1)`, capped at [`BACKOFF_MAX`].
pub fn backoff_cap(attempt: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(BACKOFF_MAX)
}

/// The wait after failed attempt `attempt`: uniform in `[cap/2, cap]`, so
/// items failing together do not come back together, yet never at once.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let cap = backoff_cap(attempt).as_millis() as u64;
    Duration::from_millis(rand::thread_rng().gen_range(cap / 2..=cap))
}

pub(crate) fn plus(at: Millis, by: Duration) -> Millis {
    let by = TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX);
    at.to_datetime()
        .checked_add_signed(by)
        .map_or(at, Millis::from)
}

pub(crate) fn bad_value(column: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("scan_queue.{column} holds an unknown value {value:?}").into(),
    ))
}

/// Adds to the connection's file counters (creating its row first).
pub(crate) async fn add_file_counts(
    conn: &mut SqliteConnection,
    connection_id: &str,
    queued: i64,
    failed: i64,
) -> StoreResult<()> {
    if queued == 0 && failed == 0 {
        return Ok(());
    }
    sqlx::query!(
        "INSERT OR IGNORE INTO scan_counts (connection_id) VALUES (?)",
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE scan_counts SET files_queued = files_queued + ?2, files_failed = files_failed + ?3 \
         WHERE connection_id = ?1",
        connection_id,
        queued,
        failed,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counter deltas for `n` rows of `kind` (only files are counted).
pub(crate) fn file_rows(kind: ItemKind, n: u64) -> i64 {
    match kind {
        ItemKind::File => n as i64,
        ItemKind::Folder => 0,
    }
}

/// Groups claimed rows by kind, keeping their order.
pub(crate) fn by_kind<'a, T>(
    rows: impl IntoIterator<Item = &'a T>,
    kind: impl Fn(&T) -> ItemKind,
) -> Vec<(ItemKind, Vec<&'a T>)>
where
    T: 'a,
{
    let mut groups: Vec<(ItemKind, Vec<&'a T>)> = Vec::new();
    for row in rows {
        let k = kind(row);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((k, vec![row])),
        }
    }
    groups
}

/// Queues `items` inside the caller's transaction: a new row each, or, for
/// an item queued already, its row moved to the lower priority with that
/// reason (`version`+1, `enqueued_at` now); a higher or equal priority
/// leaves the row as it is. A leased row keeps its lease (its worker's
/// complete then requeues it); a failed row moved forward gets a fresh
/// start (queued, attempts 0). Returns the rows added or moved.
pub(crate) async fn enqueue_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    items: &[Enqueue],
    now: Millis,
) -> StoreResult<u64> {
    // One entry per item, the lowest priority (the first on a tie).
    let mut best: HashMap<(ItemKind, &str), usize> = HashMap::with_capacity(items.len());
    let mut order: Vec<&Enqueue> = Vec::with_capacity(items.len());
    for item in items {
        match best.get(&(item.item, item.item_id.as_str())) {
            Some(&at) if order[at].priority <= item.priority => {}
            Some(&at) => order[at] = item,
            None => {
                best.insert((item.item, &item.item_id), order.len());
                order.push(item);
            }
        }
    }
    // Items sharing kind, priority and reason go in one statement each
    // (a full scan's batch is one group).
    type GroupKey<'a> = (ItemKind, i64, QueueReason, Option<&'a str>, Option<&'a str>);
    let mut groups: Vec<(GroupKey, Vec<&str>)> = Vec::new();
    let mut group_of: HashMap<GroupKey, usize> = HashMap::new();
    for item in order {
        let key = (
            item.item,
            item.priority,
            item.reason,
            item.reason_event_id.as_deref(),
            item.reason_detail.as_deref(),
        );
        let at = *group_of.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(&item.item_id);
    }

    let (mut changed, mut queued, mut failed) = (0u64, 0i64, 0i64);
    for ((kind, priority, reason, event_id, detail), ids) in groups {
        let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Refused(e.to_string()))?;
        let (kind_str, reason) = (kind.as_str(), reason.as_str());
        let restarted = sqlx::query!(
            "UPDATE scan_queue SET priority = ?4, reason = ?5, reason_event_id = ?6, \
                 reason_detail = ?7, version = version + 1, enqueued_at = ?8, \
                 state = 'queued', attempts = 0, crashes = 0, not_before = 0 \
             WHERE connection_id = ?1 AND item_type = ?2 \
               AND item_id IN (SELECT value FROM json_each(?3)) \
               AND priority > ?4 AND state = 'failed'",
            connection_id,
            kind_str,
            ids,
            priority,
            reason,
            event_id,
            detail,
            now,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let moved = sqlx::query!(
            "UPDATE scan_queue SET priority = ?4, reason = ?5, reason_event_id = ?6, \
                 reason_detail = ?7, version = version + 1, enqueued_at = ?8 \
             WHERE connection_id = ?1 AND item_type = ?2 \
               AND item_id IN (SELECT value FROM json_each(?3)) \
               AND priority > ?4 AND state <> 'failed'",
            connection_id,
            kind_str,
            ids,
            priority,
            reason,
            event_id,
            detail,
            now,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let inserted = sqlx::query!(
            "INSERT INTO scan_queue (connection_id, item_type, item_id, priority, reason, \
                 reason_event_id, reason_detail, enqueued_at) \
             SELECT ?1, ?2, value, ?4, ?5, ?6, ?7, ?8 FROM json_each(?3) WHERE true \
             ON CONFLICT (connection_id, item_type, item_id) DO NOTHING",
            connection_id,
            kind_str,
            ids,
            priority,
            reason,
            event_id,
            detail,
            now,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        changed += restarted + moved + inserted;
        queued += file_rows(kind, inserted);
        failed -= file_rows(kind, restarted);
    }
    add_file_counts(conn, connection_id, queued, failed).await?;
    Ok(changed)
}

/// Takes one item out of the queue, whatever its state, inside the
/// caller's transaction. Returns whether it was queued.
pub(crate) async fn remove_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    item: ItemKind,
    item_id: &str,
) -> StoreResult<bool> {
    let kind = item.as_str();
    let state = sqlx::query_scalar!(
        "DELETE FROM scan_queue WHERE connection_id = ?1 AND item_type = ?2 AND item_id = ?3 \
         RETURNING state",
        connection_id,
        kind,
        item_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(state) = state else {
        return Ok(false);
    };
    let failed = if state == "failed" { 1 } else { 0 };
    add_file_counts(
        conn,
        connection_id,
        -file_rows(item, 1),
        -file_rows(item, failed),
    )
    .await?;
    Ok(true)
}

/// Finishes claimed rows inside the caller's transaction: each is deleted,
/// unless it changed while leased (its version moved: an event bumped it),
/// then it goes back to the queue with the priority it has now.
pub(crate) async fn complete_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    done: &[Claimed],
) -> StoreResult<()> {
    let mut queued = 0i64;
    for (kind, rows) in by_kind(done, |c| c.item) {
        let batch: Vec<(&str, i64)> = rows
            .iter()
            .map(|c| (c.item_id.as_str(), c.version))
            .collect();
        let batch =
            serde_json::to_string(&batch).map_err(|e| StoreError::Refused(e.to_string()))?;
        let kind_str = kind.as_str();
        // A row that failed meanwhile (its lease expired and another worker
        // failed it for good) stays visible as failed.
        let deleted = sqlx::query!(
            "DELETE FROM scan_queue WHERE connection_id = ?1 AND item_type = ?2 \
               AND (item_id, version) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?3)) \
               AND state <> 'failed'",
            connection_id,
            kind_str,
            batch,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        // What was not deleted changed while leased: back to the queue.
        // (`+state`: reach the rows by primary key, not by the claim index.)
        if deleted < rows.len() as u64 {
            sqlx::query!(
                "UPDATE scan_queue SET state = 'queued', lease_owner = NULL, \
                     lease_expires_at = NULL, attempts = 0 \
                 WHERE connection_id = ?1 AND item_type = ?2 \
                   AND item_id IN (SELECT value ->> 0 FROM json_each(?3)) AND +state = 'leased'",
                connection_id,
                kind_str,
                batch,
            )
            .execute(&mut *conn)
            .await?;
        }
        queued -= file_rows(kind, deleted);
    }
    add_file_counts(conn, connection_id, queued, 0).await
}

/// Records failed attempts inside the caller's transaction (the claim
/// counted them): the error kept, and either back to the queue after a
/// backoff or, at `max_attempts`, state `failed`. Rows no longer leased (taken out or
/// reclaimed meanwhile) are left alone.
pub(crate) async fn fail_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    failed: &[(Claimed, String)],
    max_attempts: u32,
    now: Millis,
) -> StoreResult<()> {
    let max_attempts = i64::from(max_attempts.max(1));
    let mut gave_up = 0i64;
    for (claimed, error) in failed {
        let not_before = plus(now, backoff(claimed.attempts.max(1)));
        let kind = claimed.item.as_str();
        let state = sqlx::query_scalar!(
            "UPDATE scan_queue SET last_error = ?4, \
                 lease_owner = NULL, lease_expires_at = NULL, \
                 state = CASE WHEN attempts >= ?5 THEN 'failed' ELSE 'queued' END, \
                 not_before = CASE WHEN attempts >= ?5 THEN not_before ELSE ?6 END \
             WHERE connection_id = ?1 AND item_type = ?2 AND item_id = ?3 AND state = 'leased' \
             RETURNING state",
            connection_id,
            kind,
            claimed.item_id,
            error,
            max_attempts,
            not_before,
        )
        .fetch_optional(&mut *conn)
        .await?;
        if state.as_deref() == Some("failed") {
            gave_up += file_rows(claimed.item, 1);
        }
    }
    add_file_counts(conn, connection_id, 0, gave_up).await
}

impl Store {
    /// Queues items (see [`enqueue_in`]) as of now. Returns the rows added
    /// or moved forward. One transaction: keep batches to thousands.
    pub async fn enqueue(&self, connection_id: &str, items: Vec<Enqueue>) -> StoreResult<u64> {
        self.enqueue_at(connection_id, items, Millis::from(Utc::now()))
            .await
    }

    /// [`Store::enqueue`] with the time given (tests, an injected clock).
    pub async fn enqueue_at(
        &self,
        connection_id: &str,
        items: Vec<Enqueue>,
        now: Millis,
    ) -> StoreResult<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let data = (connection_id.to_owned(), items, now);
        self.write(data, |(connection_id, items, now), conn| {
            Box::pin(enqueue_in(conn, connection_id, items, *now))
        })
        .await
    }

    /// Takes an item out of the queue; returns whether it was there.
    pub async fn remove(
        &self,
        connection_id: &str,
        item: ItemKind,
        item_id: &str,
    ) -> StoreResult<bool> {
        let data = (connection_id.to_owned(), item, item_id.to_owned());
        self.write(data, |(connection_id, item, item_id), conn| {
            Box::pin(remove_in(conn, connection_id, *item, item_id))
        })
        .await
    }

    /// Finishes claimed rows (see [`complete_in`]).
    pub async fn complete(&self, connection_id: &str, done: &[Claimed]) -> StoreResult<()> {
        if done.is_empty() {
            return Ok(());
        }
        let data = (connection_id.to_owned(), done.to_vec());
        self.write(data, |(connection_id, done), conn| {
            Box::pin(complete_in(conn, connection_id, done))
        })
        .await
    }

    /// Records failed attempts (see [`fail_in`]).
    pub async fn fail(
        &self,
        connection_id: &str,
        failed: &[(Claimed, String)],
        max_attempts: u32,
        now: Millis,
    ) -> StoreResult<()> {
        if failed.is_empty() {
            return Ok(());
        }
        let data = (connection_id.to_owned(), failed.to_vec(), max_attempts, now);
        self.write(data, |(connection_id, failed, max_attempts, now), conn| {
            Box::pin(fail_in(conn, connection_id, failed, *max_attempts, *now))
        })
        .await
    }

    /// Queues, at the periodic rescan's priority, every file whose content
    /// verdict came from a reader older than `version` (done once per
    /// version: the setting remembers it). Returns the files queued.
    pub async fn queue_stale_content(
        &self,
        connection_id: &str,
        version: i64,
        now: Millis,
    ) -> StoreResult<u64> {
        let data = (connection_id.to_owned(), version, now);
        self.write(data, |(connection_id, version, now), conn| {
            Box::pin(async move {
                let key = format!("inspect.requeued_for_version.{connection_id}");
                let done = sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", key)
                    .fetch_optional(&mut *conn)
                    .await?;
                if done.and_then(|v| v.parse::<i64>().ok()) >= Some(*version) {
                    return Ok(0);
                }
                let detail = "read again by a newer reader";
                let queued = sqlx::query!(
                    "INSERT INTO scan_queue (connection_id, item_type, item_id, priority, reason, \
                         reason_detail, enqueued_at) \
                     SELECT f.connection_id, 'file', f.file_id, ?3, 'periodic', ?4, ?5 \
                     FROM content_results c \
                     JOIN files f ON f.connection_id = c.connection_id AND f.inspected_sha1 = c.sha1 \
                     WHERE c.connection_id = ?1 AND c.extractor_version < ?2 AND f.removed_at IS NULL \
                     ON CONFLICT (connection_id, item_type, item_id) DO NOTHING",
                    connection_id,
                    version,
                    priority::PERIODIC,
                    detail,
                    now,
                )
                .execute(&mut *conn)
                .await?
                .rows_affected();
                add_file_counts(conn, connection_id, queued as i64, 0).await?;
                let value = version.to_string();
                sqlx::query!(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    key,
                    value,
                    now,
                )
                .execute(&mut *conn)
                .await?;
                Ok(queued)
            })
        })
        .await
    }

    /// Puts every failed row back in the queue with its attempts reset
    /// (its last error stays until the next attempt replaces it).
    pub async fn retry_failed(&self, connection_id: &str) -> StoreResult<u64> {
        self.write(connection_id.to_owned(), |connection_id, conn| {
            Box::pin(async move {
                let kinds = sqlx::query_scalar!(
                    "UPDATE scan_queue SET state = 'queued', attempts = 0, crashes = 0, not_before = 0 \
                     WHERE connection_id = ?1 AND (item_type, item_id) IN ( \
                         SELECT item_type, item_id FROM scan_queue \
                         WHERE connection_id = ?1 AND state = 'failed') \
                     RETURNING item_type",
                    connection_id,
                )
                .fetch_all(&mut *conn)
                .await?;
                let files = kinds.iter().filter(|k| *k == "file").count() as i64;
                add_file_counts(conn, connection_id, 0, -files).await?;
                Ok(kinds.len() as u64)
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests;
