//! A live connection: its token manager, its Box client, the client's call
//! figures and a watcher that mirrors token changes into the store.
//!
//! Calls are counted in memory ([`LiveCalls`], read by health) as they
//! happen; their rows go to the store's call log in batches from a flusher
//! task (every [`FLUSH_EVERY`], every [`FLUSH_AT_ROWS`] rows, and on
//! [`Session::flush_calls`]), so no Box call waits on SQLite.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use crate::auth::TokenManager;
use crate::box_api::{ApiCall, BoxClient, CallRecorder};
use crate::health::{CallSignal, LiveCalls, HEALTH_WINDOW};
use crate::ipc::Health;
use crate::store::{ApiCallRecord, Store};

use super::{App, Inner};

/// Buffered call rows are written at least this often...
pub(super) const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// ...or as soon as this many are waiting.
pub(super) const FLUSH_AT_ROWS: usize = 300;
/// If the store keeps failing, the oldest unwritten rows beyond this go.
const MAX_UNWRITTEN_ROWS: usize = 20_000;

pub(super) struct Session {
    pub connection_id: String,
    pub datacenter_id: String,
    pub tokens: Arc<TokenManager>,
    pub client: Arc<BoxClient>,
    pub calls: Arc<SessionCalls>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Session {
    pub fn start(
        app: App,
        store: Store,
        connection_id: String,
        datacenter_id: String,
        tokens: Arc<TokenManager>,
        api_url: &str,
    ) -> Arc<Session> {
        let calls = SessionCalls::start(store.clone(), &connection_id, Arc::downgrade(&app.inner));
        let client = Arc::new(BoxClient::new(api_url, tokens.clone()).with_recorder(calls.clone()));
        let mut status = tokens.watch_status();
        let id = connection_id.clone();
        let watcher = tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let current = status.borrow_and_update().clone();
                app.on_token_status(&store, &id, current).await;
            }
        });
        Arc::new(Session {
            connection_id,
            datacenter_id,
            tokens,
            client,
            calls,
            watcher,
        })
    }

    pub fn stop(&self) {
        self.watcher.abort();
    }

    /// Writes every buffered call row to the store now (call before exit).
    pub async fn flush_calls(&self) {
        self.calls.flush().await;
    }
}

impl App {
    /// Health of the current connection: call figures from the live
    /// session's memory when it is that connection's, else from the store.
    pub(super) async fn health_of(&self, store: &Store) -> Option<Health> {
        let facts = self.token_facts().await;
        let session = self.inner.session.lock().await.clone();
        let live = session.as_ref().map(|s| &*s.calls.live);
        crate::health::read_with(store, None, facts, live, Utc::now())
            .await
            .ok()
    }
}

enum Flush {
    /// The buffer reached [`FLUSH_AT_ROWS`].
    Full,
    /// Someone waits for the rows to be written.
    Now(oneshot::Sender<()>),
}

/// The client's recorder: counts each call for health and queues its row.
pub(super) struct SessionCalls {
    connection_id: String,
    pub live: Arc<LiveCalls>,
    buffer: Arc<Mutex<Vec<ApiCallRecord>>>,
    flusher: mpsc::UnboundedSender<Flush>,
    /// Weak: the app owns the session that owns this recorder.
    app: Weak<Inner>,
    /// What health last showed of calls; a change is announced.
    signal: Mutex<CallSignal>,
}

impl SessionCalls {
    fn start(store: Store, connection_id: &str, app: Weak<Inner>) -> Arc<SessionCalls> {
        let live = Arc::new(LiveCalls::new(connection_id));
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run_flusher(
            store,
            connection_id.to_owned(),
            live.clone(),
            buffer.clone(),
            rx,
        ));
        Arc::new(SessionCalls {
            connection_id: connection_id.to_owned(),
            live,
            buffer,
            flusher: tx,
            app,
            signal: Mutex::new(CallSignal::default()),
        })
    }

    async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.flusher.send(Flush::Now(ack)).is_ok() {
            let _ = done.await;
        }
    }
}

impl CallRecorder for SessionCalls {
    fn record(&self, call: ApiCall) {
        let record = ApiCallRecord {
            connection_id: Some(self.connection_id.clone()),
            at: call.at,
            method: call.method,
            endpoint: call.endpoint,
            status: call.status,
            latency_ms: call.latency_ms,
            rate_limited: call.rate_limited,
            error_code: call.error_code.map(|c| format!("{c:?}")),
        };
        let signal = self.live.push(&record);
        let queued = {
            let mut buffer = self.buffer.lock().expect("call buffer lock");
            buffer.push(record);
            buffer.len()
        };
        if queued == FLUSH_AT_ROWS {
            let _ = self.flusher.send(Flush::Full);
        }
        // Offline and the rate-limit warning follow from the call figures;
        // only a change in them is announced (with the whole snapshot, since
        // the connection's state follows health), never a query per call.
        let changed = {
            let mut last = self.signal.lock().expect("signal lock");
            std::mem::replace(&mut *last, signal) != signal
        };
        if changed {
            if let (Some(inner), Ok(rt)) =
                (self.app.upgrade(), tokio::runtime::Handle::try_current())
            {
                rt.spawn(async move { App { inner }.emit_snapshot().await });
            }
        }
    }
}

/// Seeds the live figures with the store's last hour (an earlier run's
/// calls), then writes buffered rows in batches until the recorder is gone.
async fn run_flusher(
    store: Store,
    connection_id: String,
    live: Arc<LiveCalls>,
    buffer: Arc<Mutex<Vec<ApiCallRecord>>>,
    mut requests: mpsc::UnboundedReceiver<Flush>,
) {
    let earlier = store
        .api_calls_since(Utc::now() - HEALTH_WINDOW, Some(&connection_id))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("could not read the call log for health: {e}");
            Vec::new()
        });
    live.seed(&earlier);
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                Some(Flush::Full) => write_buffered(&store, &buffer).await,
                Some(Flush::Now(ack)) => {
                    write_buffered(&store, &buffer).await;
                    let _ = ack.send(());
                }
                None => {
                    write_buffered(&store, &buffer).await;
                    return;
                }
            },
            _ = tick.tick() => write_buffered(&store, &buffer).await,
        }
    }
}

/// One transaction for everything buffered; on failure the rows wait for
/// the next flush (the oldest dropped past [`MAX_UNWRITTEN_ROWS`]).
async fn write_buffered(store: &Store, buffer: &Mutex<Vec<ApiCallRecord>>) {
    let rows = std::mem::take(&mut *buffer.lock().expect("call buffer lock"));
    if rows.is_empty() {
        return;
    }
    if let Err(e) = store.record_api_calls(&rows).await {
        tracing::warn!("could not log {} Box calls for health: {e}", rows.len());
        let mut waiting = buffer.lock().expect("call buffer lock");
        let mut rows = rows;
        rows.append(&mut waiting);
        let excess = rows.len().saturating_sub(MAX_UNWRITTEN_ROWS);
        rows.drain(..excess);
        *waiting = rows;
    }
}
