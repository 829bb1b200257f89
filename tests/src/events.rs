//! Shared by the events_* tests: a small sandbox enterprise in-process, a
//! Box client holding a real token pair for its admin, a store in a temp
//! dir, and the sandbox's own event log as the ground truth to compare with.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use box_sandbox::{SandboxConfig, SandboxHandle};
use chrono::{DateTime, Utc};
use connector_core::box_api::{ApiCall, BoxClient, CallRecorder, Rate, RetryPolicy};
use connector_core::clock::{ManualClock, SharedClock};
use connector_core::events::{classify, EventFeed, EventsConfig};
use connector_core::store::{EventStream, Store};
use connector_core::testing;
use connector_core::UserError;

pub use crate::sandbox::start_sandbox;

pub const CONN: &str = "sandbox:enterprise:events-test";

/// A few hundred events: 6 users, 10 days of history, a 7-day window.
pub fn small_config() -> SandboxConfig {
    SandboxConfig {
        users: 8,
        coadmins: 1,
        files: 150,
        history_days: 10,
        reads_per_user_per_day: 6.0,
        // The sandbox's rate limit is not under test here.
        rate_limit_per_minute: 0,
        activity_manual_ticks: true,
        streaming_disorder_rate: 0.0,
        ..SandboxConfig::default()
    }
}

pub fn events_config() -> EventsConfig {
    EventsConfig {
        backfill_days: 7,
        poll_interval: Duration::from_millis(10),
        // Small pages, so a few hundred events make many of them.
        page_limit: 40,
        ..EventsConfig::default()
    }
}

/// A fresh access token of the sandbox's admin (valid an hour).
pub fn admin_access_token(sb: &SandboxHandle) -> String {
    sb.issue_tokens("admin").access_token
}

/// A client of `origin` with `access` (no refresh needed), retrying fast.
pub fn client_for(
    origin: &str,
    access: &str,
    retry: RetryPolicy,
    recorder: Option<Arc<dyn CallRecorder>>,
) -> BoxClient {
    let tokens = testing::token_set(access, "unused", 3600);
    let mut client = testing::sandbox_client(origin, tokens)
        .with_retry(retry)
        .with_user_rate(Rate {
            per_second: 100_000.0,
            burst: 100_000,
        })
        .with_global_rate(None);
    if let Some(r) = recorder {
        client = client.with_recorder(r);
    }
    client
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

pub async fn open_store(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(dir.path().join(name))
        .await
        .expect("store opens")
}

pub fn feed(client: BoxClient, store: &Store, clock: &ManualClock) -> EventFeed {
    feed_with(client, store, clock, events_config())
}

pub fn feed_with(
    client: BoxClient,
    store: &Store,
    clock: &ManualClock,
    config: EventsConfig,
) -> EventFeed {
    EventFeed::new(
        Arc::new(client),
        store.clone(),
        CONN.into(),
        config,
        SharedClock::from(clock.clone()),
    )
}

/// Pages of 10: many pages (and many places to fail) from a few hundred events.
pub fn tiny_pages() -> EventsConfig {
    EventsConfig {
        page_limit: 10,
        ..events_config()
    }
}

/// Polls the live stream until a page brings nothing new.
pub async fn drain_live(feed: &EventFeed) -> Result<usize, UserError> {
    let mut total = 0;
    loop {
        match feed.poll_live_once().await? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

/// One stored event, every column but `ingested_at` (a time of arrival).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct StoredEvent {
    pub event_id: String,
    pub event_type: String,
    pub kind: String,
    pub created_at: i64,
    pub stream: String,
    pub item_type: Option<String>,
    pub item_id: Option<String>,
    pub item_name: Option<String>,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_login: Option<String>,
    pub pending_effect: bool,
}

pub async fn stored_events(store: &Store) -> Vec<StoredEvent> {
    sqlx::query_as(
        "SELECT event_id, event_type, kind, created_at, stream, item_type, item_id, item_name,
                parent_id, owner_id, actor_id, actor_login, pending_effect
         FROM events WHERE connection_id = ? ORDER BY event_id",
    )
    .bind(CONN)
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// (events_ingested, last_event_at) and the event_days rows.
pub async fn counters(store: &Store) -> ((i64, Option<i64>), Vec<(i64, String, i64)>) {
    let counts: (i64, Option<i64>) = sqlx::query_as(
        "SELECT events_ingested, last_event_at FROM scan_counts WHERE connection_id = ?",
    )
    .bind(CONN)
    .fetch_optional(store.pool())
    .await
    .unwrap()
    .unwrap_or((0, None));
    let days: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT day, kind, count FROM event_days WHERE connection_id = ? ORDER BY day, kind",
    )
    .bind(CONN)
    .fetch_all(store.pool())
    .await
    .unwrap();
    (counts, days)
}

/// What the sandbox's log holds: event id → (index, type, unix seconds).
#[derive(Debug, Clone)]
pub struct TruthEvent {
    pub index: usize,
    pub event_type: &'static str,
    pub at: i64,
    /// `file` / `folder` id, when it is about an item.
    pub item: Option<(&'static str, String)>,
}

pub fn sandbox_log(sb: &SandboxHandle) -> BTreeMap<String, TruthEvent> {
    use box_sandbox::events::Subject;
    let world = sb.state().world.read().unwrap();
    let seed = world.ent.seed;
    world
        .events
        .entries
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let item = match e.subject {
                Subject::File(f) => Some(("file", world.ent.file_box_id(f))),
                Subject::Folder(d) => Some(("folder", world.ent.folder_box_id(d))),
                Subject::User => None,
            };
            (
                box_sandbox::api::events::event_id(seed, index),
                TruthEvent {
                    index,
                    event_type: e.kind.as_str(),
                    at: e.at,
                    item,
                },
            )
        })
        .collect()
}

/// The backfill window and live start the feed stored, as unix seconds.
pub async fn stored_window(store: &Store) -> (i64, i64, i64, usize) {
    let backfill = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .expect("started");
    let live = store
        .event_stream(CONN, EventStream::AdminLogsStreaming)
        .await
        .unwrap()
        .expect("started");
    let secs = |t: Option<DateTime<Utc>>| t.unwrap().timestamp();
    (
        secs(backfill.window_start),
        secs(backfill.window_end),
        secs(live.live_from),
        live_start_position(store).await,
    )
}

/// The position the live stream started from (the sandbox's log index).
async fn live_start_position(store: &Store) -> usize {
    // The position taken at connect time is the first one the live row had;
    // live rows' events all come after it, so it is the lowest index any
    // live-delivered event can have. Tests read it before any live poll.
    let live = store
        .event_stream(CONN, EventStream::AdminLogsStreaming)
        .await
        .unwrap()
        .unwrap();
    live.position.unwrap().parse().unwrap()
}

/// Whether an event of this type should wait for the queue when live.
pub fn moves_queue(event_type: &str) -> bool {
    classify(event_type).moves_the_queue()
}

/// Counts the /events calls a client makes and runs `at_call` on each.
pub struct EventCalls {
    pub seen: Mutex<usize>,
    pub at_call: Box<dyn Fn(usize) + Send + Sync>,
}

impl CallRecorder for EventCalls {
    fn record(&self, call: ApiCall) {
        if call.endpoint == "/events" {
            let n = {
                let mut seen = self.seen.lock().unwrap();
                *seen += 1;
                *seen
            };
            (self.at_call)(n);
        }
    }
}
