//! The scan as the UI and the CLI see it: status, queue, events, charts and
//! one file's story, built from the store alone (so all of it works with the
//! network down) plus what the running scanner knows of itself.

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::{ErrorCode, UserError};
use crate::ipc::{
    CollaborationView, EventDay, EventRow, EventsProgress, FileDetail, FileHistoryEntry,
    QueueEntry, ScanProgress, ScanState, ScanStatus, ThroughputPoint,
};
use crate::store::{self, EventRecord, EventStream, Millis, QueueRow, Store};

use super::App;

fn opt_datetime(at: Option<Millis>) -> Option<DateTime<Utc>> {
    at.map(Millis::to_datetime)
}

/// The rate behind the ETA is taken over this many recent minutes.
const RATE_WINDOW_MINUTES: i64 = 5;
const MS_PER_DAY: i64 = 86_400_000;
const MS_PER_MINUTE: i64 = 60_000;

impl App {
    /// Where the scan of the current connection stands. Never fails: without
    /// a database or a connection it says "not started".
    pub async fn scan_status(&self) -> ScanStatus {
        let Some(store) = self.store().await else {
            return ScanStatus::not_started(None);
        };
        let Ok(Some(record)) = store.current_connection(None).await else {
            return ScanStatus::not_started(None);
        };
        let runtime = self
            .inner
            .scan_runtime
            .lock()
            .expect("scan runtime lock")
            .clone();
        match status_of(&store, &record, &runtime, self.inner.config.clock.now()).await {
            Ok(status) => status,
            Err(err) => {
                let mut status = ScanStatus::not_started(Some(record.id.clone()));
                status.scan.last_error = Some(err.into());
                status
            }
        }
    }

    /// The queue, front first.
    pub async fn scan_queue(&self, limit: u32) -> Result<Vec<QueueEntry>, UserError> {
        let (store, id) = self.scanned_connection().await?;
        Ok(store
            .queue_front(&id, limit)
            .await?
            .into_iter()
            .map(queue_entry)
            .collect())
    }

    /// Events newest first, since `since`, of one kind (`modify`, `share`,
    /// `read`, `delete`, `other`) or all.
    pub async fn scan_events(
        &self,
        since: Option<DateTime<Utc>>,
        kind: Option<String>,
        limit: u32,
    ) -> Result<Vec<EventRow>, UserError> {
        if let Some(k) = &kind {
            if !["modify", "share", "read", "delete", "other"].contains(&k.as_str()) {
                return Err(UserError::new(
                    ErrorCode::InvalidInput,
                    format!("There is no event kind \"{k}\"."),
                    "Use one of: modify, share, read, delete, other.",
                ));
            }
        }
        let (store, id) = self.scanned_connection().await?;
        Ok(store
            .recent_events(&id, since.map(Millis::from), kind.as_deref(), limit)
            .await?
            .into_iter()
            .map(event_row)
            .collect())
    }

    /// The events of the backfill window (or the last 60 days) per day and
    /// kind, every day present (zeros included) so the chart has no holes.
    pub async fn event_days(&self) -> Result<Vec<EventDay>, UserError> {
        let (store, id) = self.scanned_connection().await?;
        let now = self.inner.config.clock.now();
        let streams = store.event_streams(&id).await?;
        let from = streams
            .iter()
            .find(|s| s.stream == EventStream::AdminLogs)
            .and_then(|s| s.window_start)
            .map(|at| at.timestamp_millis())
            .unwrap_or_else(|| Millis::from(now - TimeDelta::days(60)).as_millis());
        let first_day = from.div_euclid(MS_PER_DAY);
        let last_day = Millis::from(now).as_millis().div_euclid(MS_PER_DAY);
        let counts = store.event_day_counts(&id, first_day).await?;
        let mut days: Vec<EventDay> = (first_day..=last_day.max(first_day))
            .map(|day| EventDay {
                day: day_label(day),
                modify: 0,
                share: 0,
                read: 0,
                delete: 0,
                other: 0,
            })
            .collect();
        for c in counts {
            let Some(slot) = usize::try_from(c.day - first_day)
                .ok()
                .and_then(|i| days.get_mut(i))
            else {
                continue;
            };
            match c.kind.as_str() {
                "modify" => slot.modify += c.count,
                "share" => slot.share += c.count,
                "read" => slot.read += c.count,
                "delete" => slot.delete += c.count,
                _ => slot.other += c.count,
            }
        }
        Ok(days)
    }

    /// Files scanned and folders listed per minute over the last `minutes`.
    pub async fn scan_throughput(&self, minutes: u32) -> Result<Vec<ThroughputPoint>, UserError> {
        let (store, id) = self.scanned_connection().await?;
        let now = Millis::from(self.inner.config.clock.now()).as_millis();
        let from = now.div_euclid(MS_PER_MINUTE) - i64::from(minutes);
        Ok(store
            .scan_minute_counts(&id, from)
            .await?
            .into_iter()
            .map(|m| ThroughputPoint {
                minute: DateTime::from_timestamp_millis(m.minute * MS_PER_MINUTE)
                    .unwrap_or_default(),
                files_scanned: m.files_scanned,
                folders_listed: m.folders_listed,
            })
            .collect())
    }

    /// What the scan knows of one file, with its history; `None` when the
    /// scan has not met it.
    pub async fn file_detail(&self, file_id: &str) -> Result<Option<FileDetail>, UserError> {
        let (store, id) = self.scanned_connection().await?;
        let Some(file) = store.file_record(&id, file_id).await? else {
            return Ok(None);
        };
        let collaborations = store
            .item_collaborations(&id, "file", file_id)
            .await?
            .into_iter()
            .map(|c| CollaborationView {
                collaboration_id: c.collaboration_id,
                grantee_type: c.grantee_type,
                login: c.login,
                name: c.name,
                role: c.role,
                status: c.status,
            })
            .collect();
        let queued = store
            .queue_row(&id, "file", file_id)
            .await?
            .map(queue_entry);
        let mut history = vec![FileHistoryEntry {
            at: file.discovered_at.into(),
            what: "discovered".into(),
            detail: None,
            event_id: None,
        }];
        history.extend(
            store
                .item_events(&id, "file", file_id)
                .await?
                .into_iter()
                .map(|e| FileHistoryEntry {
                    at: e.created_at.into(),
                    what: "event".into(),
                    detail: Some(e.event_type),
                    event_id: Some(e.event_id),
                }),
        );
        history.extend(store.item_scans(&id, file_id).await?.into_iter().map(|s| {
            FileHistoryEntry {
                at: s.at.into(),
                what: s.outcome,
                detail: Some(match s.detail {
                    Some(d) => format!("{}: {d}", s.reason),
                    None => s.reason,
                }),
                event_id: None,
            }
        }));
        history.extend(
            store
                .file_inspections(&id, file_id)
                .await?
                .into_iter()
                .map(|i| FileHistoryEntry {
                    at: i.at.into(),
                    what: match i.outcome.as_str() {
                        "cached" => "inspected (same content as before, no download)".into(),
                        "not_inspected" => "not inspected".into(),
                        _ => "inspected".into(),
                    },
                    detail: Some(match (i.code, i.detail) {
                        (Some(code), Some(detail)) => format!("{code}: {detail}"),
                        _ => format!(
                            "{} finding(s) open{}",
                            i.findings_open,
                            if i.bytes > 0 {
                                format!(", {} bytes read", i.bytes)
                            } else {
                                String::new()
                            }
                        ),
                    }),
                    event_id: None,
                }),
        );
        history.sort_by_key(|h| h.at);
        Ok(Some(FileDetail {
            file_id: file.file_id,
            name: file.name,
            path: file.path,
            owner_login: file.owner_login,
            size: file.size.and_then(|s| u64::try_from(s).ok()),
            sha1: file.sha1,
            etag: file.etag,
            scanned_etag: file.scanned_etag,
            discovered_at: file.discovered_at.into(),
            last_scanned_at: opt_datetime(file.last_scanned_at),
            removed_at: opt_datetime(file.removed_at),
            shared_link: file
                .shared_link
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            collaborations,
            queued,
            history,
        }))
    }

    /// The store and the id of the connection whose scan is shown.
    async fn scanned_connection(&self) -> Result<(Store, String), UserError> {
        let store = self.require_store().await?;
        let record = store
            .current_connection(None)
            .await?
            .ok_or_else(crate::auth::tokens::not_connected)?;
        Ok((store, record.id))
    }
}

/// What the running scanner knows that the store does not.
#[derive(Debug, Clone, Default)]
pub(super) struct ScanRuntime {
    /// Box could not be reached on the last try; the scanner retries.
    pub offline: bool,
    /// Another process holds this data dir's scanner (its pid and role).
    pub elsewhere: Option<String>,
    pub last_error: Option<UserError>,
}

async fn status_of(
    store: &Store,
    record: &store::ConnectionRecord,
    runtime: &ScanRuntime,
    now: DateTime<Utc>,
) -> Result<ScanStatus, store::StoreError> {
    let id = &record.id;
    let counts = store.scan_counts(id).await?;
    let state_row = store.scan_state(id).await?;
    let streams = store.event_streams(id).await?;
    let files_per_minute = recent_rate(store, id, now).await?;
    let eta_seconds = (files_per_minute > 0.0 && counts.files_queued > 0)
        .then(|| (counts.files_queued as f64 / files_per_minute * 60.0).ceil() as u64);

    let backfill = streams.iter().find(|s| s.stream == EventStream::AdminLogs);
    let live = streams
        .iter()
        .find(|s| s.stream == EventStream::AdminLogsStreaming);
    let backfill_done_ratio = match backfill {
        None => 0.0,
        Some(b) if b.completed_at.is_some() => 1.0,
        Some(b) => match (b.window_start, b.window_end) {
            (Some(start), Some(end)) if end > start => {
                let reached = b.reached_at.unwrap_or(start).timestamp_millis();
                ((reached - start.timestamp_millis()) as f64
                    / (end.timestamp_millis() - start.timestamp_millis()) as f64)
                    .clamp(0.0, 1.0)
            }
            _ => 0.0,
        },
    };
    let last_polled_at = live.and_then(|l| l.last_polled_at);
    let lag_seconds = store
        .live_event_delay(id)
        .await?
        .map(|ms| ms.max(0) as f64 / 1000.0);

    let complete = state_row
        .as_ref()
        .and_then(|s| s.full_scan_completed_at)
        .is_some();
    let state = if record.state == store::ConnectionState::NeedsReconnect {
        ScanState::NeedsAttention
    } else if state_row.as_ref().is_some_and(|s| s.paused) {
        ScanState::Paused
    } else if runtime.offline {
        ScanState::Offline
    } else if runtime.elsewhere.is_some() && state_row.is_none() {
        ScanState::ElsewhereRunning
    } else if state_row.is_none() && streams.is_empty() {
        ScanState::NotStarted
    } else if complete && counts.files_queued == 0 && backfill_done_ratio >= 1.0 {
        ScanState::Idle
    } else {
        ScanState::Running
    };
    let skipped_note = (counts.users_skipped > 0).then(|| {
        format!(
            "{} users' content is not scanned: this is a co-admin connection, and a co-admin \
             cannot act as an admin or another co-admin. Connect as the primary admin to scan everything.",
            counts.users_skipped
        )
    });
    Ok(ScanStatus {
        connection_id: Some(id.clone()),
        scan: ScanProgress {
            state,
            users_total: counts.users_total,
            users_done: counts.users_done,
            users_skipped: counts.users_skipped,
            folders_total: counts.folders_total,
            folders_done: counts.folders_done,
            files_discovered: counts.files_discovered,
            files_scanned: counts.files_scanned,
            files_queued: counts.files_queued,
            files_failed: counts.files_failed,
            files_per_minute,
            eta_seconds,
            started_at: state_row.as_ref().map(|s| s.started_at.into()),
            full_scan_completed_at: state_row
                .as_ref()
                .and_then(|s| opt_datetime(s.full_scan_completed_at)),
            skipped_note,
            last_error: runtime.last_error.clone(),
        },
        events: EventsProgress {
            ingested: counts.events_ingested,
            backfill_from: backfill.and_then(|b| b.window_start),
            backfill_to: backfill.and_then(|b| b.window_end),
            backfill_done_ratio,
            backfill_completed_at: backfill.and_then(|b| b.completed_at),
            last_event_at: opt_datetime(counts.last_event_at),
            last_polled_at,
            lag_seconds,
        },
        inspection: super::findings_view::inspection_progress(store, id, now).await?,
    })
}

/// Files scanned per minute over the last few minutes: the count divided by
/// the time since the window began or the first scan in it, whichever is
/// later, so the first minute of a scan already has a rate.
async fn recent_rate(
    store: &Store,
    id: &str,
    now: DateTime<Utc>,
) -> Result<f64, store::StoreError> {
    let now_ms = Millis::from(now).as_millis();
    let window_start = now_ms - RATE_WINDOW_MINUTES * MS_PER_MINUTE;
    let minutes = store
        .scan_minute_counts(id, window_start.div_euclid(MS_PER_MINUTE))
        .await?;
    let total: u64 = minutes.iter().map(|m| m.files_scanned).sum();
    let Some(first) = minutes.iter().find(|m| m.files_scanned > 0) else {
        return Ok(0.0);
    };
    let since = (first.minute * MS_PER_MINUTE).max(window_start);
    // At least 10 s, so one early burst does not read as a huge rate.
    let elapsed_minutes = ((now_ms - since).max(10_000)) as f64 / MS_PER_MINUTE as f64;
    Ok(total as f64 / elapsed_minutes)
}

fn day_label(day: i64) -> String {
    DateTime::from_timestamp_millis(day * MS_PER_DAY)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

fn queue_entry(row: QueueRow) -> QueueEntry {
    let reason_detail = match (row.reason_detail, row.reason_event_id) {
        (Some(detail), Some(event)) => Some(format!("{detail} (event {event})")),
        (detail, event) => detail.or(event),
    };
    QueueEntry {
        file_id: row.item_id,
        item_type: row.item_type,
        name: row.name,
        path: row.path,
        owner_login: row.owner_login,
        priority: row.priority,
        reason: row.reason,
        reason_detail,
        state: row.state,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        last_error: row.last_error,
        enqueued_at: row.enqueued_at.into(),
    }
}

fn event_row(e: EventRecord) -> EventRow {
    EventRow {
        event_id: e.event_id,
        event_type: e.event_type,
        kind: e.kind,
        created_at: e.created_at.into(),
        item_type: e.item_type,
        item_id: e.item_id,
        item_name: e.item_name,
        actor_login: e.actor_login,
    }
}
