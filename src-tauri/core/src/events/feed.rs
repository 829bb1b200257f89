//! The event feed of one connection: the backfill (`admin_logs` over the
//! window before connecting) and the live stream (`admin_logs_streaming`
//! from the position taken at connect time), run side by side.
//!
//! No gap, no duplicate: the first run asks for the live position first and
//! only then reads the clock for the window's end, so every event is either
//! before the window's end or after the live position (or both: the overlap
//! is de-duplicated by `event_id`). Each page is saved with its cursor in
//! one transaction, so a run killed anywhere resumes from the last page
//! saved and the store ends with each event once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use super::record::to_new_event;
use crate::box_api::models::Event;
use crate::box_api::{AdminLogsQuery, ApiError, BoxClient};
use crate::clock::SharedClock;
use crate::error::{ErrorCode, UserError};
use crate::store::{
    EventPage, EventStream, GapStart, Millis, NewEvent, PageSaved, Saved, Store, StreamsStart,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsConfig {
    /// Days of history before connecting (the seed promises 60).
    pub backfill_days: u32,
    /// How often the live stream is read when it has nothing more.
    pub poll_interval: Duration,
    /// Entries per page, at most Box's 500.
    pub page_limit: u32,
    /// `admin_logs` shows events later than the live stream does: the
    /// backfill's last empty page ends it only this long after the live
    /// position was taken (until then it is asked again every
    /// `poll_interval`), so an event from just before connecting that was
    /// not in the history yet is not lost. How long Box lags is unverified;
    /// zero trusts the first empty page.
    pub history_settle: Duration,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            backfill_days: 60,
            poll_interval: Duration::from_secs(10),
            page_limit: 500,
            history_settle: Duration::ZERO,
        }
    }
}

/// This computer's clock and Box's may differ by this much: the window ends
/// this much later (the overlap is de-duplicated) and the effects of events
/// created this much before the live position are kept.
const CLOCK_SKEW_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// Box keeps `admin_logs_streaming` 14 days: a live cursor not read for
/// longer than this may point past what Box still holds, so the time since
/// it was last read is read again from `admin_logs` (a gap) and the live
/// stream starts over from a new position.
const LIVE_RETENTION_GUARD: TimeDelta = TimeDelta::days(12);

/// What the first run fixed, read back from the store (the windows are
/// read from each stream's row).
#[derive(Debug, Clone, Copy)]
struct Started {
    live_from: DateTime<Utc>,
}

/// One backfill step.
#[derive(Debug, Clone, Copy)]
enum Backfill {
    Page(PageSaved),
    /// At the end of the history, but it may still be filling in.
    Settling,
    Done,
}

/// One live poll.
#[derive(Debug, Clone, Copy, Default)]
struct LivePoll {
    saved: PageSaved,
    /// A full page that moved the position: more is waiting, ask again now.
    more: bool,
    /// Nothing saved: another writer had moved the cursor.
    cursor_moved: bool,
    /// The live cursor was too old: a gap was opened, to be read first.
    gap_opened: bool,
}

pub struct EventFeed {
    client: Arc<BoxClient>,
    store: Store,
    connection_id: String,
    config: EventsConfig,
    clock: SharedClock,
    started: OnceCell<Started>,
    skipped_malformed: AtomicU64,
}

impl EventFeed {
    pub fn new(
        client: Arc<BoxClient>,
        store: Store,
        connection_id: String,
        config: EventsConfig,
        clock: SharedClock,
    ) -> Self {
        EventFeed {
            client,
            store,
            connection_id,
            config,
            clock,
            started: OnceCell::new(),
            skipped_malformed: AtomicU64::new(0),
        }
    }

    /// Entries skipped since this feed was made because they lack an
    /// `event_id` or an `event_type` (each is logged with its request; the
    /// store keeps the total per stream, `EventStreamRecord::skipped_malformed`).
    pub fn skipped_malformed(&self) -> u64 {
        self.skipped_malformed.load(Ordering::Relaxed)
    }

    /// Takes the live position (`stream_position=now`) and fixes the backfill
    /// window on the first run; later runs read both from the store.
    pub async fn start(&self) -> Result<(), UserError> {
        self.started().await.map(|_| ())
    }

    /// Takes the live position on first run, then backfills and follows the
    /// live stream concurrently until `cancel`. `on_effects` is called after
    /// a page that stored events the queue must act on.
    pub async fn run(
        &self,
        cancel: CancellationToken,
        on_effects: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<(), UserError> {
        let started = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            started = self.started() => started?,
        };
        let backfill = self.backfill_with(EventStream::AdminLogs, &cancel, &*on_effects);
        let live = self.follow_live(&cancel, started, &*on_effects);
        tokio::try_join!(backfill, live).map(|_| ())
    }

    /// The backfill only (and a gap left open by an earlier run), to its end
    /// (or `cancel`).
    pub async fn backfill(&self, cancel: &CancellationToken) -> Result<(), UserError> {
        self.backfill_with(EventStream::AdminLogs, cancel, &|| {})
            .await?;
        self.backfill_with(EventStream::AdminLogsGap, cancel, &|| {})
            .await
    }

    /// One page of the live stream; returns how many events were new.
    pub async fn poll_live_once(&self) -> Result<usize, UserError> {
        let started = self.started().await?;
        loop {
            let poll = self.live_page(&started).await?;
            if poll.gap_opened {
                self.backfill_with(EventStream::AdminLogsGap, &CancellationToken::new(), &|| {})
                    .await?;
            } else if !poll.cursor_moved {
                return Ok(poll.saved.inserted as usize);
            }
        }
    }

    async fn started(&self) -> Result<Started, UserError> {
        self.started
            .get_or_try_init(|| self.start_streams())
            .await
            .copied()
    }

    async fn start_streams(&self) -> Result<Started, UserError> {
        if let Some(started) = self.read_started().await? {
            return Ok(started);
        }
        let asked_at = self.clock.now();
        let request = "taking the live position (admin_logs_streaming, stream_position=now)";
        let tip = self
            .client
            .admin_logs_streaming(Some("now"), 1)
            .await
            .map_err(|e| failed(e, request))?;
        let Some(position) = tip.next_stream_position else {
            return Err(malformed(format!(
                "Box answered {request} without a next_stream_position."
            )));
        };
        // Read only now: whatever happened before this moment is in the
        // window, whatever after it is after the live position.
        let t = self.clock.now();
        let start = StreamsStart {
            live_position: position.0,
            window_start: Millis::from(whole_second(
                t - TimeDelta::days(self.config.backfill_days.into()),
            )),
            window_end: Millis::from(next_whole_second(t) + CLOCK_SKEW_MARGIN),
            live_from: Millis::from(whole_second(asked_at) - CLOCK_SKEW_MARGIN),
        };
        let created = self
            .store
            .start_event_streams(&self.connection_id, start, Millis::from(t))
            .await?;
        if !created {
            tracing::info!("another run started the event streams first; using its position");
        }
        self.read_started().await?.ok_or_else(|| {
            UserError::new(
                ErrorCode::Internal,
                "The event streams were started but cannot be read back.",
                "This is a bug in Box Connector; please report it.",
            )
        })
    }

    async fn read_started(&self) -> Result<Option<Started>, UserError> {
        let id = &self.connection_id;
        let live = self
            .store
            .event_stream(id, EventStream::AdminLogsStreaming)
            .await?;
        let backfill = self.store.event_stream(id, EventStream::AdminLogs).await?;
        // Both rows are written in one transaction; a backfill row without
        // its window would be a bug, not a state to resume from.
        Ok(match (live, backfill) {
            (Some(live), Some(backfill)) if backfill.window_end.is_some() => {
                live.live_from.map(|live_from| Started { live_from })
            }
            _ => None,
        })
    }

    /// Reads `stream` (the backfill or a gap) to its end.
    async fn backfill_with(
        &self,
        stream: EventStream,
        cancel: &CancellationToken,
        on_effects: &(dyn Fn() + Send + Sync),
    ) -> Result<(), UserError> {
        let started = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            started = self.started() => started?,
        };
        loop {
            // Cancelling drops the page in flight; a save already queued
            // commits whole (page and cursor together) or not at all.
            let page = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                page = self.backfill_page(stream, &started) => page?,
            };
            match page {
                Backfill::Done => return Ok(()),
                Backfill::Page(saved) if saved.pending > 0 => on_effects(),
                Backfill::Page(_) => {}
                Backfill::Settling => tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                },
            }
        }
    }

    /// One page of the backfill or a gap, saved (the window is its row's).
    async fn backfill_page(
        &self,
        stream: EventStream,
        started: &Started,
    ) -> Result<Backfill, UserError> {
        let cursor = match self.store.event_stream(&self.connection_id, stream).await? {
            Some(cursor) => cursor,
            // No gap was ever opened.
            None if stream == EventStream::AdminLogsGap => return Ok(Backfill::Done),
            None => return Err(not_started()),
        };
        let (Some(window_start), Some(window_end)) = (cursor.window_start, cursor.window_end)
        else {
            return Err(not_started());
        };
        if cursor.completed_at.is_some() {
            return Ok(Backfill::Done);
        }
        let what = match stream {
            EventStream::AdminLogsGap => "the events missed while the live stream was not read",
            _ => "the event history",
        };
        let request = format!(
            "reading {what} (admin_logs from {} to {}, stream_position {})",
            window_start.to_rfc3339(),
            window_end.to_rfc3339(),
            cursor.position.as_deref().unwrap_or("start"),
        );
        let query = AdminLogsQuery {
            created_after: Some(window_start),
            created_before: Some(window_end),
            event_types: Vec::new(),
            stream_position: cursor.position.clone(),
            limit: self.config.page_limit,
        };
        let page = self
            .client
            .admin_logs(&query)
            .await
            .map_err(|e| failed(e, &request))?;
        let next = page.next_stream_position.map(|p| p.0);
        // Only an empty page ends it: a page may hold fewer than `limit`
        // while more remain.
        let empty = page.entries.is_empty();
        // The window ends a skew margin (and up to a second) after the live
        // position was taken; the history settles `history_settle` later.
        let settled_at =
            window_end - CLOCK_SKEW_MARGIN - TimeDelta::seconds(1) + self.config.history_settle;
        let completed = empty && self.clock.now() >= settled_at;
        if !empty && (next.is_none() || next == cursor.position) {
            return Err(malformed(format!(
                "Box answered {request} with {} events but no new stream position, \
                 so the next page would repeat this one.",
                page.entries.len()
            )));
        }
        let (events, skipped_malformed) = self.to_rows(&page.entries, stream, started, &request);
        let saved = self
            .store
            .save_event_page(
                &self.connection_id,
                EventPage {
                    stream,
                    next_position: next.or_else(|| cursor.position.clone()),
                    from_position: cursor.position,
                    events,
                    completed,
                    skipped_malformed,
                },
                Millis::from(self.clock.now()),
            )
            .await?;
        Ok(match saved {
            Saved::CursorMoved => Backfill::Page(cursor_moved(stream)),
            Saved::Page(_) if completed => Backfill::Done,
            Saved::Page(_) if empty => Backfill::Settling,
            Saved::Page(saved) => Backfill::Page(saved),
        })
    }

    async fn follow_live(
        &self,
        cancel: &CancellationToken,
        started: Started,
        on_effects: &(dyn Fn() + Send + Sync),
    ) -> Result<(), UserError> {
        // A gap an earlier run opened and did not finish comes first.
        self.backfill_with(EventStream::AdminLogsGap, cancel, on_effects)
            .await?;
        loop {
            let poll = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                poll = self.live_page(&started) => poll?,
            };
            if poll.gap_opened {
                self.backfill_with(EventStream::AdminLogsGap, cancel, on_effects)
                    .await?;
                continue;
            }
            if poll.saved.pending > 0 {
                on_effects();
            }
            if !poll.more {
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                }
            }
        }
    }

    async fn live_page(&self, started: &Started) -> Result<LivePoll, UserError> {
        let stream = EventStream::AdminLogsStreaming;
        let Some(cursor) = self.store.event_stream(&self.connection_id, stream).await? else {
            return Err(not_started());
        };
        let last_read = cursor.last_polled_at.unwrap_or(cursor.updated_at);
        if self.clock.now() - last_read > LIVE_RETENTION_GUARD {
            self.open_gap(cursor.position, last_read).await?;
            return Ok(LivePoll {
                gap_opened: true,
                ..LivePoll::default()
            });
        }
        let request = format!(
            "reading the live events (admin_logs_streaming, stream_position {})",
            cursor.position.as_deref().unwrap_or("start"),
        );
        let page = self
            .client
            .admin_logs_streaming(cursor.position.as_deref(), self.config.page_limit)
            .await
            .map_err(|e| failed(e, &request))?;
        let next = page
            .next_stream_position
            .map(|p| p.0)
            .or_else(|| cursor.position.clone());
        let more = page.entries.len() >= self.config.page_limit as usize && next != cursor.position;
        let (events, skipped_malformed) = self.to_rows(&page.entries, stream, started, &request);
        let saved = self
            .store
            .save_event_page(
                &self.connection_id,
                EventPage {
                    stream,
                    from_position: cursor.position,
                    next_position: next,
                    events,
                    completed: false,
                    skipped_malformed,
                },
                Millis::from(self.clock.now()),
            )
            .await?;
        Ok(match saved {
            Saved::Page(saved) => LivePoll {
                saved,
                more,
                ..LivePoll::default()
            },
            Saved::CursorMoved => LivePoll {
                saved: cursor_moved(stream),
                more: true,
                cursor_moved: true,
                gap_opened: false,
            },
        })
    }

    /// The live stream was last read at `last_read`, longer ago than Box
    /// keeps it: takes a new live position and opens the window from then to
    /// now on admin_logs, in one transaction (as the first run does).
    async fn open_gap(
        &self,
        from_position: Option<String>,
        last_read: DateTime<Utc>,
    ) -> Result<(), UserError> {
        let request = "taking a new live position (admin_logs_streaming, stream_position=now)";
        tracing::warn!(
            last_read = %last_read,
            "the live events were not read for longer than Box keeps them; \
             reading that time from the history instead"
        );
        let tip = self
            .client
            .admin_logs_streaming(Some("now"), 1)
            .await
            .map_err(|e| failed(e, request))?;
        let Some(position) = tip.next_stream_position else {
            return Err(malformed(format!(
                "Box answered {request} without a next_stream_position."
            )));
        };
        let t = self.clock.now();
        let gap = GapStart {
            live_position: position.0,
            window_start: Millis::from(whole_second(last_read) - CLOCK_SKEW_MARGIN),
            window_end: Millis::from(next_whole_second(t) + CLOCK_SKEW_MARGIN),
        };
        let opened = self
            .store
            .open_event_gap(&self.connection_id, from_position, gap, Millis::from(t))
            .await?;
        if !opened {
            tracing::info!("another run moved the live cursor first; using its position");
        }
        Ok(())
    }

    /// The page's entries as rows, and how many were skipped: a malformed
    /// entry is logged with its request and counted, the rest is kept.
    fn to_rows(
        &self,
        entries: &[Event],
        stream: EventStream,
        started: &Started,
        request: &str,
    ) -> (Vec<NewEvent>, u32) {
        let now = self.clock.now();
        let mut skipped = 0;
        let rows = entries
            .iter()
            .enumerate()
            .filter_map(
                |(index, e)| match to_new_event(e, stream, Some(started.live_from), now) {
                    Ok(row) => Some(row),
                    Err(why) => {
                        skipped += 1;
                        tracing::warn!(
                            request,
                            index,
                            event_id = e.event_id.as_deref(),
                            event_type = e.event_type.as_deref(),
                            "skipped an event entry: {}",
                            why.as_str()
                        );
                        None
                    }
                },
            )
            .collect();
        self.skipped_malformed
            .fetch_add(u64::from(skipped), Ordering::Relaxed);
        (rows, skipped)
    }
}

/// Another writer moved the cursor while this page was in flight (a stopped
/// run's last save landing late, or a second feed): this page is dropped and
/// the next one is asked from where the cursor is now, so nothing is lost.
fn cursor_moved(stream: EventStream) -> PageSaved {
    tracing::info!(
        stream = stream.as_str(),
        "the cursor moved under this page; reading on from where it is"
    );
    PageSaved::default()
}

/// A failed request, its message saying what the feed was doing.
fn failed(err: ApiError, request: &str) -> UserError {
    let mut user = err.user;
    user.message = format!("{} (while {request})", user.message);
    user
}

fn malformed(message: String) -> UserError {
    UserError::new(
        ErrorCode::MalformedResponse,
        message,
        "This is usually temporary: the events are read again from the same place.",
    )
}

fn not_started() -> UserError {
    UserError::new(
        ErrorCode::Internal,
        "The event streams' cursors are missing from the local database.",
        "This is a bug in Box Connector; please report it.",
    )
}

fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

fn next_whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = whole_second(t);
    if floor == t {
        t
    } else {
        floor + TimeDelta::seconds(1)
    }
}
