//! Enterprise events and the cursors of the two streams that deliver them.
//!
//! A page is saved with its stream's cursor in one transaction, so after a
//! crash the feed asks again from the last page saved and the result is each
//! event once. Events are unique per connection by Box's `event_id`:
//! `INSERT OR IGNORE` makes a repeat (the live stream repeats entries, and
//! overlaps the backfill) cost nothing, and only rows really inserted count
//! in `event_days` and `scan_counts`. The INSERT is built per page size, so
//! it is checked at run time (the store tests run it).

//!
//! `streams` holds the cursors (`event_streams`); this file the `events`
//! rows, their per-day counts (`event_days`) and their reads.

mod streams;

pub use streams::{EventStream, EventStreamRecord, GapStart, StreamsStart};

use std::collections::BTreeMap;

use sqlx::sqlite::SqliteConnection;

use super::{count, Millis, Store, StoreResult};

/// One event as it is stored (`kind` is `events::EventKind::as_str`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: String,
    pub event_type: String,
    pub kind: &'static str,
    pub created_at: Millis,
    pub item_type: Option<String>,
    pub item_id: Option<String>,
    pub item_name: Option<String>,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_login: Option<String>,
    /// The queue must act on it (kept only if this delivery inserts the row).
    pub pending_effect: bool,
}

/// One page of a stream, to save with the cursor that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub stream: EventStream,
    /// The position the page was asked from: the cursor moves only if it is
    /// still there (another feed on the same data did not move it meanwhile).
    pub from_position: Option<String>,
    pub next_position: Option<String>,
    pub events: Vec<NewEvent>,
    /// Backfill: this was the empty page that ends it.
    pub completed: bool,
    /// Entries of the page that could not be stored (no id or type).
    pub skipped_malformed: u32,
}

/// What saving a page changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageSaved {
    /// Events new to the store (repeats are not counted).
    pub inserted: u64,
    /// Of those, how many wait for the queue to act.
    pub pending: u64,
}

/// The outcome of saving a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Page(PageSaved),
    /// The stream's cursor was no longer where the page started (a run that
    /// was stopped had a save in flight, or another feed runs on the same
    /// data): nothing was saved; ask again from where the cursor is now.
    CursorMoved,
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

const DAY_MILLIS: i64 = 86_400_000;

/// Rows per INSERT (15 binds each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 500;

/// Saves a page and moves its stream's cursor, in the caller's transaction.
pub(crate) async fn save_page_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    page: &EventPage,
    now: Millis,
) -> StoreResult<Saved> {
    let stream = page.stream.as_str();
    let delivered_by = page.stream.box_stream();
    let reached = page
        .events
        .iter()
        .map(|e| e.created_at)
        .max()
        .filter(|_| page.stream == EventStream::AdminLogs);
    let moved = sqlx::query!(
        "UPDATE event_streams SET
             position = ?3,
             completed_at = CASE WHEN ?4 THEN ?5 ELSE completed_at END,
             reached_at = CASE WHEN ?6 IS NULL THEN reached_at
                               ELSE MAX(COALESCE(reached_at, ?6), ?6) END,
             last_polled_at = ?5, updated_at = ?5,
             skipped_malformed = skipped_malformed + ?8
         WHERE connection_id = ?1 AND stream = ?2 AND position IS ?7",
        connection_id,
        stream,
        page.next_position,
        page.completed,
        now,
        reached,
        page.from_position,
        page.skipped_malformed,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved == 0 {
        // Nothing written: the page is the other writer's to have saved.
        return Ok(Saved::CursorMoved);
    }

    let mut saved = PageSaved::default();
    let mut days: BTreeMap<(i64, String), i64> = BTreeMap::new();
    let mut newest: Option<Millis> = None;
    for chunk in page.events.chunks(ROWS_PER_INSERT) {
        // One statement per chunk, not per row (a page is up to 500); its
        // RETURNING lists only the rows really inserted, repeats left out.
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT OR IGNORE INTO events
                 (connection_id, event_id, event_type, kind, created_at, ingested_at, stream,
                  item_type, item_id, item_name, parent_id, owner_id, actor_id, actor_login,
                  pending_effect) ",
        );
        insert.push_values(chunk, |mut row, e| {
            row.push_bind(connection_id)
                .push_bind(&e.event_id)
                .push_bind(&e.event_type)
                .push_bind(e.kind)
                .push_bind(e.created_at)
                .push_bind(now)
                .push_bind(delivered_by)
                .push_bind(&e.item_type)
                .push_bind(&e.item_id)
                .push_bind(&e.item_name)
                .push_bind(&e.parent_id)
                .push_bind(&e.owner_id)
                .push_bind(&e.actor_id)
                .push_bind(&e.actor_login)
                .push_bind(e.pending_effect);
        });
        insert.push(" RETURNING kind, created_at, pending_effect");
        let inserted: Vec<(String, Millis, bool)> =
            insert.build_query_as().fetch_all(&mut *conn).await?;
        for (kind, created_at, pending) in inserted {
            saved.inserted += 1;
            saved.pending += u64::from(pending);
            let day = created_at.as_millis().div_euclid(DAY_MILLIS);
            *days.entry((day, kind)).or_default() += 1;
            newest = newest.max(Some(created_at));
        }
    }
    if saved.inserted == 0 {
        return Ok(Saved::Page(saved));
    }
    for ((day, kind), count) in days {
        sqlx::query!(
            "INSERT INTO event_days (connection_id, day, kind, count) VALUES (?, ?, ?, ?)
             ON CONFLICT (connection_id, day, kind) DO UPDATE SET count = count + excluded.count",
            connection_id,
            day,
            kind,
            count,
        )
        .execute(&mut *conn)
        .await?;
    }
    let inserted = saved.inserted as i64;
    sqlx::query!(
        "INSERT OR IGNORE INTO scan_counts (connection_id) VALUES (?)",
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE scan_counts SET events_ingested = events_ingested + ?2,
             last_event_at = MAX(COALESCE(last_event_at, ?3), ?3)
         WHERE connection_id = ?1",
        connection_id,
        inserted,
        newest,
    )
    .execute(&mut *conn)
    .await?;
    Ok(Saved::Page(saved))
}

impl Store {
    /// Saves one page of events and its stream's cursor in one transaction.
    pub async fn save_event_page(
        &self,
        connection_id: &str,
        page: EventPage,
        now: Millis,
    ) -> StoreResult<Saved> {
        self.write((connection_id.to_owned(), page), move |(id, page), conn| {
            Box::pin(save_page_in(conn, id, page, now))
        })
        .await
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

    /// The owner of the item an event touched, as the event said.
    pub async fn event_owner(
        &self,
        connection_id: &str,
        event_id: &str,
    ) -> StoreResult<Option<String>> {
        let owner = sqlx::query_scalar!(
            "SELECT owner_id FROM events WHERE connection_id = ? AND event_id = ?",
            connection_id,
            event_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(owner)?.flatten())
    }

    /// Whether live events wait for the queue to act on them.
    pub async fn event_effects_pending(&self, connection_id: &str) -> StoreResult<bool> {
        let pending = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM events WHERE connection_id = ? AND pending_effect = 1)
                   AS "pending!: bool""#,
            connection_id
        )
        .fetch_one(self.pool())
        .await;
        self.noted(pending)
    }
}

#[cfg(test)]
mod tests;
