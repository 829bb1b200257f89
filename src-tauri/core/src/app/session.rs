//! A live connection: its token manager, its Box client (which logs every
//! call to the store) and a watcher that mirrors token changes into the store.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use crate::auth::TokenManager;
use crate::box_api::{ApiCall, BoxClient, CallRecorder};
use crate::store::{ApiCallRecord, Store};

use super::{App, Inner};

pub(super) struct Session {
    pub connection_id: String,
    pub datacenter_id: String,
    pub tokens: Arc<TokenManager>,
    pub client: Arc<BoxClient>,
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
        let recorder = Arc::new(StoreRecorder {
            store: store.clone(),
            connection_id: connection_id.clone(),
            app: Arc::downgrade(&app.inner),
            unsettled: AtomicBool::new(false),
        });
        let client = Arc::new(BoxClient::new(api_url, tokens.clone()).with_recorder(recorder));
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
            watcher,
        })
    }

    pub fn stop(&self) {
        self.watcher.abort();
    }
}

/// Writes each Box call to the store's call log (health reads it back),
/// and has the app re-check health after a call that may have changed it.
struct StoreRecorder {
    store: Store,
    connection_id: String,
    /// Weak: the app owns the session that owns this recorder.
    app: Weak<Inner>,
    /// The previous call got no answer or was rate-limited, so the next one
    /// (success or not) may change health again.
    unsettled: AtomicBool,
}

impl CallRecorder for StoreRecorder {
    fn record(&self, call: ApiCall) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
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
            if let Err(e) = self.store.record_api_call(&record).await {
                tracing::warn!("could not log a Box call for health: {e}");
                return;
            }
            // Offline and rate-limit warnings come from the call log; normal
            // answers after normal answers change nothing worth announcing.
            let troubled = record.status.is_none() || record.rate_limited;
            let was_troubled = self.unsettled.swap(troubled, Ordering::SeqCst);
            if troubled || was_troubled {
                if let Some(inner) = self.app.upgrade() {
                    App { inner }.check_health().await;
                }
            }
        })
    }
}
