//! Enterprise events and the cursors of the two streams that deliver them.
//!
//! A page is saved with its stream's cursor in one transaction, so after a
//! crash the feed asks again from the last page saved and the result is each
//! event once. Events are unique per connection by Box's `event_id`:
//! `INSERT OR IGNORE` makes a repeat (the live stream repeats entries, and
//! overlaps the backfill) cost nothing, and only rows really inserted count
//! in `event_days` and `scan_counts`. The INSERT is built per page size, so
//! it is checked at run time (the store tests run it).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;

use super::time::opt_datetime;
use super::{count, Millis, Store, StoreResult};

/// Which stream a cursor or an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStream {
    /// `admin_logs`: the backfill of the days before connecting.
    AdminLogs,
    /// `admin_logs_streaming`: live, from the position taken at connect time.
    AdminLogsStreaming,
    /// `admin_logs` again, over a time the live stream was not read for
    /// longer than Box keeps it.
    AdminLogsGap,
}

impl EventStream {
    /// The cursor row's name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventStream::AdminLogs => "admin_logs",
            EventStream::AdminLogsStreaming => "admin_logs_streaming",
            EventStream::AdminLogsGap => "admin_logs_gap",
        }
    }

    /// The Box stream that serves it (the `events.stream` column).
    pub fn box_stream(self) -> &'static str {
        match self {
            EventStream::AdminLogs | EventStream::AdminLogsGap => "admin_logs",
            EventStream::AdminLogsStreaming => "admin_logs_streaming",
        }
    }
}

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

/// Where a stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStreamRecord {
    pub stream: EventStream,
    /// The next `stream_position` to ask for (`None`: from the start).
    pub position: Option<String>,
    /// Backfill: the window asked for.
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    /// Backfill: when the empty page that ends it came back.
    pub completed_at: Option<DateTime<Utc>>,
    /// Backfill: the newest `created_at` saved so far.
    pub reached_at: Option<DateTime<Utc>>,
    /// Live: events created since then keep their effect whichever stream
    /// delivers them first.
    pub live_from: Option<DateTime<Utc>>,
    pub last_polled_at: Option<DateTime<Utc>>,
    /// Entries skipped because they had no `event_id` or `event_type`.
    pub skipped_malformed: u64,
    pub updated_at: DateTime<Utc>,
}

/// The first run's decisions, saved together: the live position taken and
/// the backfill window that ends where it begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamsStart {
    pub live_position: String,
    pub window_start: Millis,
    pub window_end: Millis,
    pub live_from: Millis,
}

/// A gap in the live stream: its new position, and the window of
/// admin_logs that covers what it may have lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapStart {
    pub live_position: String,
    pub window_start: Millis,
    pub window_end: Millis,
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

/// Creates both streams' rows in the caller's transaction, unless they
/// exist; returns whether it did.
pub(crate) async fn start_streams_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    start: &StreamsStart,
    now: Millis,
) -> StoreResult<bool> {
    let backfill = EventStream::AdminLogs.as_str();
    let live = EventStream::AdminLogsStreaming.as_str();
    let created = sqlx::query!(
        "INSERT OR IGNORE INTO event_streams
             (connection_id, stream, position, live_from, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        connection_id,
        live,
        start.live_position,
        start.live_from,
        now,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if created == 0 {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO event_streams
             (connection_id, stream, position, window_start, window_end, updated_at)
         VALUES (?1, ?2, NULL, ?3, ?4, ?5)
         ON CONFLICT (connection_id, stream) DO UPDATE SET
             position = NULL, window_start = excluded.window_start,
             window_end = excluded.window_end, completed_at = NULL, reached_at = NULL,
             updated_at = excluded.updated_at",
        connection_id,
        backfill,
        start.window_start,
        start.window_end,
        now,
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Moves the live cursor to a new position and opens (or widens) the gap
/// window to read through admin_logs, in the caller's transaction; false
/// when the live cursor was no longer at `from_position` (nothing changed).
pub(crate) async fn open_gap_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    from_position: Option<&str>,
    gap: &GapStart,
    now: Millis,
) -> StoreResult<bool> {
    let live = EventStream::AdminLogsStreaming.as_str();
    let moved = sqlx::query!(
        "UPDATE event_streams SET position = ?3, last_polled_at = ?4, updated_at = ?4
         WHERE connection_id = ?1 AND stream = ?2 AND position IS ?5",
        connection_id,
        live,
        gap.live_position,
        now,
        from_position,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved == 0 {
        return Ok(false);
    }
    let stream = EventStream::AdminLogsGap.as_str();
    // A gap not yet read is widened, not replaced: it is read again from
    // the start (repeats cost nothing).
    sqlx::query!(
        "INSERT INTO event_streams
             (connection_id, stream, position, window_start, window_end, updated_at)
         VALUES (?1, ?2, NULL, ?3, ?4, ?5)
         ON CONFLICT (connection_id, stream) DO UPDATE SET
             position = NULL,
             window_start = CASE WHEN completed_at IS NULL
                                 THEN MIN(window_start, excluded.window_start)
                                 ELSE excluded.window_start END,
             window_end = excluded.window_end, completed_at = NULL,
             updated_at = excluded.updated_at",
        connection_id,
        stream,
        gap.window_start,
        gap.window_end,
        now,
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

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
    /// Saves the first run's live position and backfill window together,
    /// unless a run already did (then it returns false and changes nothing).
    pub async fn start_event_streams(
        &self,
        connection_id: &str,
        start: StreamsStart,
        now: Millis,
    ) -> StoreResult<bool> {
        self.write(
            (connection_id.to_owned(), start),
            move |(id, start), conn| Box::pin(start_streams_in(conn, id, start, now)),
        )
        .await
    }

    /// Moves the live stream past a gap and opens the gap's window, in one
    /// transaction; false when another run moved the live cursor first.
    pub async fn open_event_gap(
        &self,
        connection_id: &str,
        from_position: Option<String>,
        gap: GapStart,
        now: Millis,
    ) -> StoreResult<bool> {
        let data = (connection_id.to_owned(), from_position, gap);
        self.write(data, move |(id, from, gap), conn| {
            Box::pin(open_gap_in(conn, id, from.as_deref(), gap, now))
        })
        .await
    }

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

    /// Where one stream stands; `None` before the first run.
    pub async fn event_stream(
        &self,
        connection_id: &str,
        stream: EventStream,
    ) -> StoreResult<Option<EventStreamRecord>> {
        let name = stream.as_str();
        let row = sqlx::query!(
            r#"SELECT position, window_start AS "window_start?: Millis",
                      window_end AS "window_end?: Millis", completed_at AS "completed_at?: Millis",
                      reached_at AS "reached_at?: Millis", live_from AS "live_from?: Millis",
                      last_polled_at AS "last_polled_at?: Millis", skipped_malformed,
                      updated_at AS "updated_at: Millis"
               FROM event_streams WHERE connection_id = ? AND stream = ?"#,
            connection_id,
            name,
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.map(|r| EventStreamRecord {
            stream,
            position: r.position,
            window_start: opt_datetime(r.window_start),
            window_end: opt_datetime(r.window_end),
            completed_at: opt_datetime(r.completed_at),
            reached_at: opt_datetime(r.reached_at),
            live_from: opt_datetime(r.live_from),
            last_polled_at: opt_datetime(r.last_polled_at),
            skipped_malformed: r.skipped_malformed.max(0) as u64,
            updated_at: r.updated_at.to_datetime(),
        }))
    }
}

impl Store {
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
mod tests {
    use super::*;

    const CONN: &str = "sandbox:enterprise:1";

    fn at(secs: i64) -> Millis {
        Millis::from(DateTime::from_timestamp(secs, 0).unwrap())
    }

    fn event(id: &str, kind: &'static str, created: i64, pending: bool) -> NewEvent {
        NewEvent {
            event_id: id.into(),
            event_type: kind.to_ascii_uppercase(),
            kind,
            created_at: at(created),
            item_type: Some("file".into()),
            item_id: Some(format!("f-{id}")),
            item_name: None,
            parent_id: None,
            owner_id: None,
            actor_id: Some("11".into()),
            actor_login: None,
            pending_effect: pending,
        }
    }

    async fn started_store(dir: &tempfile::TempDir) -> Store {
        let store = Store::open(dir.path().join("db.sqlite3")).await.unwrap();
        let start = StreamsStart {
            live_position: "100".into(),
            window_start: at(1_000),
            window_end: at(900_000),
            live_from: at(899_000),
        };
        assert!(store
            .start_event_streams(CONN, start.clone(), at(5))
            .await
            .unwrap());
        store
    }

    async fn counts(store: &Store) -> (i64, Option<i64>) {
        let row = sqlx::query!(
            "SELECT events_ingested, last_event_at FROM scan_counts WHERE connection_id = ?",
            CONN
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        (row.events_ingested, row.last_event_at)
    }

    async fn days(store: &Store) -> Vec<(i64, String, i64)> {
        sqlx::query!(
            "SELECT day, kind, count FROM event_days WHERE connection_id = ? ORDER BY day, kind",
            CONN
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.day, r.kind, r.count))
        .collect()
    }

    fn live_page(from: &str, to: &str, events: Vec<NewEvent>) -> EventPage {
        EventPage {
            stream: EventStream::AdminLogsStreaming,
            from_position: Some(from.into()),
            next_position: Some(to.into()),
            events,
            completed: false,
            skipped_malformed: 0,
        }
    }

    #[tokio::test]
    async fn a_repeated_event_is_stored_and_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = started_store(&dir).await;
        let first = vec![
            event("a", "modify", 86_400, true),
            event("b", "read", 86_400 + 5, false),
            // A page may hold the same entry twice.
            event("a", "modify", 86_400, true),
        ];
        let saved = store
            .save_event_page(CONN, live_page("100", "102", first), at(10))
            .await
            .unwrap();
        assert_eq!(
            saved,
            Saved::Page(PageSaved {
                inserted: 2,
                pending: 1
            })
        );
        // The next page repeats "b" and brings "c", a day later.
        let second = vec![
            event("b", "read", 86_400 + 5, false),
            event("c", "share", 2 * 86_400, true),
        ];
        let saved = store
            .save_event_page(CONN, live_page("102", "103", second), at(11))
            .await
            .unwrap();
        assert_eq!(
            saved,
            Saved::Page(PageSaved {
                inserted: 1,
                pending: 1
            })
        );
        assert_eq!(counts(&store).await, (3, Some(2 * 86_400 * 1000)));
        assert_eq!(
            days(&store).await,
            vec![
                (1, "modify".into(), 1),
                (1, "read".into(), 1),
                (2, "share".into(), 1)
            ]
        );
        let cursor = store
            .event_stream(CONN, EventStream::AdminLogsStreaming)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cursor.position.as_deref(), Some("103"));
        assert_eq!(cursor.last_polled_at, Some(at(11).to_datetime()));
    }

    #[tokio::test]
    async fn a_repeat_never_takes_over_the_first_deliverys_effect() {
        let dir = tempfile::tempdir().unwrap();
        let store = started_store(&dir).await;
        let backfill = EventPage {
            stream: EventStream::AdminLogs,
            from_position: None,
            next_position: Some("7".into()),
            events: vec![event("a", "modify", 50_000, false)],
            completed: false,
            skipped_malformed: 0,
        };
        store.save_event_page(CONN, backfill, at(10)).await.unwrap();
        let live = live_page("100", "101", vec![event("a", "modify", 50_000, true)]);
        let saved = store.save_event_page(CONN, live, at(11)).await.unwrap();
        assert_eq!(saved, Saved::Page(PageSaved::default()));
        let row = sqlx::query!(
            "SELECT stream, pending_effect FROM events WHERE connection_id = ? AND event_id = 'a'",
            CONN
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!((row.stream.as_str(), row.pending_effect), ("admin_logs", 0));
    }

    #[tokio::test]
    async fn a_page_from_a_stale_cursor_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = started_store(&dir).await;
        let stale = live_page("99", "101", vec![event("a", "modify", 1, true)]);
        let saved = store.save_event_page(CONN, stale, at(10)).await.unwrap();
        assert_eq!(saved, Saved::CursorMoved);
        let n = sqlx::query_scalar!("SELECT COUNT(*) FROM events")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(n, 0);
        let cursor = store
            .event_stream(CONN, EventStream::AdminLogsStreaming)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cursor.position.as_deref(), Some("100"));
    }

    #[tokio::test]
    async fn the_streams_start_once_and_the_backfill_records_its_progress() {
        let dir = tempfile::tempdir().unwrap();
        let store = started_store(&dir).await;
        let again = StreamsStart {
            live_position: "999".into(),
            window_start: at(2),
            window_end: at(3),
            live_from: at(3),
        };
        assert!(!store.start_event_streams(CONN, again, at(6)).await.unwrap());
        let backfill = store
            .event_stream(CONN, EventStream::AdminLogs)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                backfill.position,
                backfill.window_start,
                backfill.window_end,
                backfill.completed_at
            ),
            (
                None,
                Some(at(1_000).to_datetime()),
                Some(at(900_000).to_datetime()),
                None
            )
        );
        let live = store
            .event_stream(CONN, EventStream::AdminLogsStreaming)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(live.position.as_deref(), Some("100"));
        assert_eq!(live.live_from, Some(at(899_000).to_datetime()));

        let page = |from: Option<&str>, to: &str, events, completed| EventPage {
            stream: EventStream::AdminLogs,
            from_position: from.map(str::to_owned),
            next_position: Some(to.to_owned()),
            events,
            completed,
            skipped_malformed: 1,
        };
        let events = vec![
            event("a", "other", 2_000, false),
            event("b", "other", 3_000, false),
        ];
        store
            .save_event_page(CONN, page(None, "2", events, false), at(10))
            .await
            .unwrap();
        store
            .save_event_page(CONN, page(Some("2"), "2", vec![], true), at(12))
            .await
            .unwrap();
        let done = store
            .event_stream(CONN, EventStream::AdminLogs)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.reached_at, Some(at(3_000).to_datetime()));
        assert_eq!(done.completed_at, Some(at(12).to_datetime()));
        assert_eq!(done.position.as_deref(), Some("2"));
        assert_eq!(done.skipped_malformed, 2, "one per page saved");
    }
}
