//! What the scan shows the UI and the CLI: its progress, the queue, the
//! events, one file's story. All of it is read from the store, so it is the
//! same with the network down. The CLI's `--json` output is these types as
//! they serialize here: their keys are a stable interface.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::UserError;

/// Where the scan stands, as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ScanState {
    /// No connection, or connected and never started.
    NotStarted,
    /// Backfilling events, walking trees or working the queue.
    Running,
    /// The admin paused it; nothing is sent to Box.
    Paused,
    /// Box cannot be reached; it resumes by itself when it can.
    Offline,
    /// The full scan is done and the queue is empty: following live events.
    Idle,
    /// Another process (the app or the CLI) runs this data dir's scanner.
    ElsewhereRunning,
    /// The connection needs the admin (reconnect, missing rights).
    NeedsAttention,
}

/// The full scan's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ScanProgress {
    pub state: ScanState,
    pub users_total: u64,
    pub users_done: u64,
    /// Users whose content this connection may not read (other admins, for a co-admin).
    pub users_skipped: u64,
    pub folders_total: u64,
    pub folders_done: u64,
    pub files_discovered: u64,
    pub files_scanned: u64,
    pub files_queued: u64,
    /// Files that failed every attempt (a visible error state, never dropped).
    pub files_failed: u64,
    /// Files scanned per minute, over the last few minutes.
    pub files_per_minute: f64,
    /// Seconds until the queue is empty at that rate; `None` while unknown.
    pub eta_seconds: Option<u64>,
    pub started_at: Option<DateTime<Utc>>,
    pub full_scan_completed_at: Option<DateTime<Utc>>,
    /// Set for a co-admin connection: what is not scanned and why.
    pub skipped_note: Option<String>,
    pub last_error: Option<UserError>,
}

/// The event feeds' progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EventsProgress {
    pub ingested: u64,
    /// Start and end of the backfill window (the days before connecting).
    pub backfill_from: Option<DateTime<Utc>>,
    pub backfill_to: Option<DateTime<Utc>>,
    /// Share of the backfill window covered, 0..=1.
    pub backfill_done_ratio: f64,
    pub backfill_completed_at: Option<DateTime<Utc>>,
    /// The newest event's `created_at`.
    pub last_event_at: Option<DateTime<Utc>>,
    /// When the live stream was last read.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// Seconds between the newest event and the last poll (how far behind Box we are).
    pub lag_seconds: Option<f64>,
}

/// `status`: the scan and the events of the current connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ScanStatus {
    /// `None` when there is no connection.
    pub connection_id: Option<String>,
    pub scan: ScanProgress,
    pub events: EventsProgress,
    /// Content and exposure inspection of the scanned files (absent in a
    /// status written before inspection existed).
    #[serde(default)]
    pub inspection: super::findings::InspectionProgress,
}

impl ScanStatus {
    /// A scan that has not started: nothing counted yet.
    pub fn not_started(connection_id: Option<String>) -> ScanStatus {
        ScanStatus {
            connection_id,
            scan: ScanProgress {
                state: ScanState::NotStarted,
                users_total: 0,
                users_done: 0,
                users_skipped: 0,
                folders_total: 0,
                folders_done: 0,
                files_discovered: 0,
                files_scanned: 0,
                files_queued: 0,
                files_failed: 0,
                files_per_minute: 0.0,
                eta_seconds: None,
                started_at: None,
                full_scan_completed_at: None,
                skipped_note: None,
                last_error: None,
            },
            events: EventsProgress {
                ingested: 0,
                backfill_from: None,
                backfill_to: None,
                backfill_done_ratio: 0.0,
                backfill_completed_at: None,
                last_event_at: None,
                last_polled_at: None,
                lag_seconds: None,
            },
            inspection: Default::default(),
        }
    }
}

/// One row of the queue, front first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QueueEntry {
    pub file_id: String,
    /// `file` or `folder`.
    pub item_type: String,
    pub name: Option<String>,
    pub path: Option<String>,
    pub owner_login: Option<String>,
    pub priority: i64,
    /// `full_scan`, `event`, `changed_etag` or `periodic`.
    pub reason: String,
    /// For an event: its type (e.g. `EDIT`) and id.
    pub reason_detail: Option<String>,
    /// `queued`, `leased` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub enqueued_at: DateTime<Utc>,
}

/// One ingested event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EventRow {
    pub event_id: String,
    pub event_type: String,
    /// `modify`, `share`, `read`, `delete` or `other`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub item_type: Option<String>,
    pub item_id: Option<String>,
    pub item_name: Option<String>,
    pub actor_login: Option<String>,
}

/// Events of one day by kind (the timeline chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EventDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub modify: u64,
    pub share: u64,
    pub read: u64,
    pub delete: u64,
    pub other: u64,
}

/// Scan throughput of one minute (the throughput chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ThroughputPoint {
    pub minute: DateTime<Utc>,
    pub files_scanned: u64,
    pub folders_listed: u64,
}

/// A collaboration on a file or folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CollaborationView {
    pub collaboration_id: String,
    /// `user` or `group`.
    pub grantee_type: Option<String>,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    /// `accepted`, `pending` or `rejected`.
    pub status: Option<String>,
}

/// One entry of a file's history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FileHistoryEntry {
    pub at: DateTime<Utc>,
    /// `discovered`, `event`, `scanned`, `failed` or `removed`.
    pub what: String,
    /// The event's type, the scan's reason, or the error.
    pub detail: Option<String>,
    pub event_id: Option<String>,
}

/// `file FILE_ID`: what the scan knows of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FileDetail {
    pub file_id: String,
    pub name: Option<String>,
    pub path: Option<String>,
    pub owner_login: Option<String>,
    pub size: Option<u64>,
    pub sha1: Option<String>,
    pub etag: Option<String>,
    pub scanned_etag: Option<String>,
    pub discovered_at: DateTime<Utc>,
    pub last_scanned_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
    /// The shared link as Box gave it (`access`, `permissions`, `unshared_at`...).
    #[ts(type = "Record<string, unknown> | null")]
    pub shared_link: Option<serde_json::Value>,
    pub collaborations: Vec<CollaborationView>,
    /// Its place in the queue, when it has one.
    pub queued: Option<QueueEntry>,
    pub history: Vec<FileHistoryEntry>,
}

/// One of the scan's settings, with its meaning and default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ScanSettingView {
    /// `scan.backfill_days`, `scan.poll_interval_secs` or `scan.rescan_interval_hours`.
    pub key: String,
    pub value: u64,
    pub default: u64,
    pub meaning: String,
}
