//! `event_streams`: where each stream that delivers events stands (its
//! cursor, the backfill's window, the live stream's start), decided on the
//! first run and moved with each page saved.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;

use crate::store::time::opt_datetime;
use crate::store::{Millis, Store, StoreResult};

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

    /// The stream a cursor row's name names.
    pub fn parse(name: &str) -> Option<Self> {
        [
            EventStream::AdminLogs,
            EventStream::AdminLogsStreaming,
            EventStream::AdminLogsGap,
        ]
        .into_iter()
        .find(|stream| stream.as_str() == name)
    }

    /// The Box stream that serves it (the `events.stream` column).
    pub fn box_stream(self) -> &'static str {
        match self {
            EventStream::AdminLogs | EventStream::AdminLogsGap => "admin_logs",
            EventStream::AdminLogsStreaming => "admin_logs_streaming",
        }
    }
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

    /// Where every stream of the connection stands.
    pub async fn event_streams(&self, connection_id: &str) -> StoreResult<Vec<EventStreamRecord>> {
        let rows = sqlx::query!(
            r#"SELECT stream, position, window_start AS "window_start?: Millis",
                      window_end AS "window_end?: Millis", completed_at AS "completed_at?: Millis",
                      reached_at AS "reached_at?: Millis", live_from AS "live_from?: Millis",
                      last_polled_at AS "last_polled_at?: Millis", skipped_malformed,
                      updated_at AS "updated_at: Millis"
               FROM event_streams WHERE connection_id = ?"#,
            connection_id,
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .filter_map(|r| {
                Some(EventStreamRecord {
                    stream: EventStream::parse(&r.stream)?,
                    position: r.position,
                    window_start: opt_datetime(r.window_start),
                    window_end: opt_datetime(r.window_end),
                    completed_at: opt_datetime(r.completed_at),
                    reached_at: opt_datetime(r.reached_at),
                    live_from: opt_datetime(r.live_from),
                    last_polled_at: opt_datetime(r.last_polled_at),
                    skipped_malformed: r.skipped_malformed.max(0) as u64,
                    updated_at: r.updated_at.to_datetime(),
                })
            })
            .collect())
    }
}
