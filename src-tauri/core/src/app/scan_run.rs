//! The scan as a flow of the app: pausing and resuming it (remembered in
//! the store, so the app's scanner and the CLI's obey the same switch).

use crate::error::UserError;
use crate::ipc::CoreEvent;
use crate::store::Millis;

use super::App;

impl App {
    /// Pauses the current connection's scan: the running scanner (in this
    /// process or another) stops sending requests within a second or two.
    pub async fn pause_scan(&self) -> Result<(), UserError> {
        self.set_paused(true).await
    }

    pub async fn resume_scan(&self) -> Result<(), UserError> {
        self.set_paused(false).await
    }

    async fn set_paused(&self, paused: bool) -> Result<(), UserError> {
        let store = self.require_store().await?;
        let record = store
            .current_connection(None)
            .await?
            .ok_or_else(crate::auth::tokens::not_connected)?;
        let now = Millis::from(self.inner.config.clock.now());
        store.set_scan_paused(&record.id, paused, now).await?;
        self.inner.scan_wake.notify_waiters();
        self.announce_scan().await;
        Ok(())
    }

    /// Tells subscribers where the scan stands.
    pub(super) async fn announce_scan(&self) {
        let status = self.scan_status().await;
        self.emit(CoreEvent::ScanProgress {
            status: Box::new(status),
        });
    }
}
