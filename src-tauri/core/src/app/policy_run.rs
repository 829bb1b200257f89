//! Policies run wherever the scanner runs: beside `run_scan`, in the window
//! and in a headless `scan --follow` alike. Evaluation is driven by the
//! findings this process's scanner opens (the store's notification), not a
//! timer, so an acting policy removes a new public link within the poll
//! interval and a few seconds. One process evaluates at a time: a lock file
//! in the data dir, held for the length of one evaluation (a manual
//! `policy run` waits for the scanner's evaluation to end, and the other
//! way round).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::error::{ErrorCode, UserError};
use crate::scan::{ScannerLock, ScannerLockGuard};

use super::App;

/// The policies' lock file in the data dir.
pub const POLICIES_LOCK_FILE: &str = "policies.lock";
/// How long an evaluation waits for another process's to end.
const LOCK_WAIT: Duration = Duration::from_secs(60);
const LOCK_POLL: Duration = Duration::from_millis(100);
/// Findings open in bursts while a scan runs: after an evaluation, wait
/// this long for the rest of the burst before looking again.
const SETTLE: Duration = Duration::from_millis(250);

impl App {
    /// Evaluates the enabled policies once now and again each time this
    /// process opens findings, until `cancel` (findings opened just before
    /// it are still looked at).
    pub async fn run_policies(&self, cancel: CancellationToken) {
        let Some(store) = self.store().await else {
            return;
        };
        let mut opened = store.findings_opened();
        loop {
            opened.borrow_and_update();
            match self.evaluate_policies().await {
                Ok(_) => {}
                Err(e) if e.code == ErrorCode::NotConnected => {}
                Err(e) => tracing::warn!("policies: {e}"),
            }
            if cancel.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = cancel.cancelled() => {
                    if !opened.has_changed().unwrap_or(false) {
                        return;
                    }
                }
                changed = opened.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = tokio::time::sleep(SETTLE) => {}
                    }
                }
            }
        }
    }

    /// The lock that lets one process evaluate the policies at a time.
    pub(super) async fn policies_lock(&self) -> Result<ScannerLockGuard, UserError> {
        let dir = &self.inner.config.data_dir;
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match ScannerLock::try_acquire_named(dir, POLICIES_LOCK_FILE, "policies") {
                Ok(guard) => return Ok(guard),
                Err(held) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!("policies are being evaluated by process {}", held.pid);
                    tokio::time::sleep(LOCK_POLL).await;
                }
                Err(held) => {
                    return Err(UserError::new(
                        ErrorCode::InvalidInput,
                        format!(
                        "The policies are being evaluated by another Box Connector process ({}).",
                        held.pid
                    ),
                        "Try again once it has finished (an evaluation takes seconds).",
                    ))
                }
            }
        }
    }
}
