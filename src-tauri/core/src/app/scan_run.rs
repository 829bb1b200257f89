//! The scan as a flow of the app: the event feed and the scanner of the
//! current connection, run together under the data dir's scanner lock (so
//! the window and the CLI never scan at once), paused and resumed through
//! the store (so either one's switch stops the other's scanner), waiting
//! out a dead network and starting again by itself when it returns.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::error::{ErrorCode, UserError};
use crate::events::{EventFeed, EventsConfig};
use crate::inspect::content::{DEFAULT_MAX_FILE_MB, DEFAULT_MEMORY_BUDGET_MB, DEFAULT_TIMEOUT};
use crate::inspect::detect::{Confidence, DetectorId};
use crate::inspect::findings::DetectorPolicy;
use crate::inspect::isolation::DEFAULT_MAX_MEMORY_MB;
use crate::ipc::{CoreEvent, ScanSettingView, ScanStatus};
use crate::scan::{HeldBy, ScanConfig, Scanner, ScannerLock};
use crate::store::{setting_keys, Millis, Store};

use super::App;

/// How often a running scan looks at the pause switch (the other process may
/// have flipped it) and how often progress reaches subscribers at most.
const PAUSE_POLL: Duration = Duration::from_secs(1);
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// Waits between attempts while Box cannot be reached: doubling up to the cap.
const OFFLINE_FIRST_WAIT: Duration = Duration::from_secs(2);
const OFFLINE_MAX_WAIT: Duration = Duration::from_secs(60);
/// Every file is looked at again this often (a new walk of every tree,
/// which also finds what no event announced), unless the setting says
/// otherwise (0: never).
const DEFAULT_RESCAN_HOURS: u64 = 7 * 24;
/// How often the window's supervisor checks for a connection to scan.
const SUPERVISOR_POLL: Duration = Duration::from_secs(3);

/// What `run_scan` does once the backlog is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Backfill and full scan, until the queue is empty; then return.
    UntilIdle,
    /// Then keep following live events until cancelled.
    Follow,
}

/// A scan setting: its key, default, bounds and what it means.
struct ScanSetting {
    key: String,
    default: u64,
    min: u64,
    max: u64,
    meaning: String,
}

fn setting(key: &str, default: u64, range: (u64, u64), meaning: &str) -> ScanSetting {
    ScanSetting {
        key: key.to_owned(),
        default,
        min: range.0,
        max: range.1,
        meaning: meaning.to_owned(),
    }
}

/// Every scan and inspection setting, in the order they are shown.
fn scan_settings_table() -> Vec<ScanSetting> {
    let mut all = vec![
        setting(
            setting_keys::BACKFILL_DAYS,
            60,
            (0, 365),
            "Days of enterprise events read from before the connection (Box keeps 365)",
        ),
        setting(
            setting_keys::POLL_INTERVAL_SECS,
            10,
            (1, 3600),
            "Seconds between reads of the live event stream",
        ),
        setting(
            setting_keys::RESCAN_INTERVAL_HOURS,
            DEFAULT_RESCAN_HOURS,
            (0, 24 * 365),
            "Hours between walks of every tree, which rescan files no event announced (0: never)",
        ),
        setting(
            setting_keys::INSPECT_CONTENT,
            1,
            (0, 1),
            "Read file content for sensitive data (0: exposure only, nothing downloaded)",
        ),
        setting(
            setting_keys::INSPECT_MAX_FILE_MB,
            DEFAULT_MAX_FILE_MB,
            (1, 100 * 1024),
            "Files larger than this many MB are not downloaded (shown as not inspected: too large)",
        ),
        setting(
            setting_keys::INSPECT_TIMEOUT_SECS,
            DEFAULT_TIMEOUT.as_secs(),
            (1, 3600),
            "Seconds one file's text extraction may take before its reader is stopped (timeout, tried again later)",
        ),
        setting(
            setting_keys::INSPECT_MAX_MEMORY_MB,
            DEFAULT_MAX_MEMORY_MB,
            (64, 64 * 1024),
            "MB of memory one file's reader may use before it is stopped (limit exceeded)",
        ),
        setting(
            setting_keys::INSPECT_MEMORY_BUDGET_MB,
            DEFAULT_MEMORY_BUDGET_MB,
            (1, 64 * 1024),
            "MB of file content downloaded and read at once, at most (larger files wait their turn)",
        ),
    ];
    for detector in DetectorId::ALL {
        let name = detector.label();
        all.push(setting(
            &setting_keys::detector_min_count(detector.as_str()),
            1,
            (1, 1_000_000),
            &format!("{name}: matches in one file needed for a finding"),
        ));
        let default = DetectorPolicy::default_for(detector.as_str());
        all.push(setting(
            &setting_keys::detector_min_confidence(detector.as_str()),
            u64::from(default.min_confidence == Confidence::High),
            (0, 1),
            &format!(
                "{name}: 0 counts every match, 1 only those with a keyword of its kind nearby"
            ),
        ));
    }
    all
}

/// Who runs the scanner, written into the lock file for the other to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannerRole {
    App,
    Cli,
}

impl ScannerRole {
    fn as_str(self) -> &'static str {
        match self {
            ScannerRole::App => "app",
            ScannerRole::Cli => "cli",
        }
    }
}

impl App {
    /// Pauses the current connection's scan: the running scanner (in this
    /// process or another) stops sending requests within a second.
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

    /// The scan's settings as they stand (defaults where none is set).
    pub async fn scan_settings(&self) -> Result<Vec<ScanSettingView>, UserError> {
        let store = self.require_store().await?;
        let mut out = Vec::new();
        for s in scan_settings_table() {
            out.push(ScanSettingView {
                value: setting_u64(&store, &s.key).await.unwrap_or(s.default),
                key: s.key,
                default: s.default,
                meaning: s.meaning,
            });
        }
        Ok(out)
    }

    /// Changes one of the scan's settings; a running scan takes it up on
    /// its next start (pause and resume to apply it at once).
    pub async fn set_scan_setting(&self, key: &str, value: u64) -> Result<(), UserError> {
        let table = scan_settings_table();
        let Some(setting) = table.iter().find(|s| s.key == key) else {
            let keys: Vec<&str> = table.iter().map(|s| s.key.as_str()).collect();
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                format!("There is no scan setting \"{key}\"."),
                format!("Use one of: {}.", keys.join(", ")),
            ));
        };
        if !(setting.min..=setting.max).contains(&value) {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{key} must be between {} and {} (got {value}).",
                    setting.min, setting.max
                ),
                format!("{}.", setting.meaning),
            ));
        }
        let store = self.require_store().await?;
        store.set_setting(key, &value.to_string()).await?;
        Ok(())
    }

    /// The window calls this once: from then on the scanner runs whenever a
    /// connection is connected, stops on pause or disconnect, and starts
    /// again after a reconnect, a resume or the network's return.
    pub async fn start_background_scanning(&self) {
        self.start_background_governance();
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                let cancel = CancellationToken::new();
                match app
                    .run_scan(ScanMode::Follow, ScannerRole::App, cancel)
                    .await
                {
                    Ok(()) => {}
                    Err(err) if err.code == ErrorCode::NotConnected => {}
                    Err(err) => tracing::warn!(%err, "the scanner stopped"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(SUPERVISOR_POLL) => {}
                    _ = app.inner.scan_wake.notified() => {}
                }
            }
        });
    }

    /// Runs the current connection's event feed and scanner in this process
    /// until `mode` says stop or `cancel` fires. Refused while another
    /// process runs them; waits (and says so) while paused or offline.
    pub async fn run_scan(
        &self,
        mode: ScanMode,
        role: ScannerRole,
        cancel: CancellationToken,
    ) -> Result<(), UserError> {
        let store = self.require_store().await?;
        let record = store
            .current_connection(None)
            .await?
            .ok_or_else(crate::auth::tokens::not_connected)?;
        let _lock = match ScannerLock::try_acquire(&self.inner.config.data_dir, role.as_str()) {
            Ok(guard) => {
                self.set_runtime(|r| r.elsewhere = None);
                guard
            }
            Err(held) => {
                let err = held_elsewhere(&held);
                self.set_runtime(|r| r.elsewhere = Some(err.message.clone()));
                self.announce_scan().await;
                return Err(err);
            }
        };
        let progress = self.spawn_progress(cancel.clone());
        // Policies run wherever the scanner runs, on the findings it opens.
        let policies = cancel.child_token();
        let policy_run = tokio::spawn({
            let (app, policies) = (self.clone(), policies.clone());
            async move { app.run_policies(policies).await }
        });
        let result = self
            .scan_while_connected(&store, &record.id, mode, &cancel)
            .await;
        policies.cancel();
        let _ = policy_run.await;
        progress.abort();
        self.announce_scan().await;
        result
    }

    async fn scan_while_connected(
        &self,
        store: &Store,
        connection_id: &str,
        mode: ScanMode,
        cancel: &CancellationToken,
    ) -> Result<(), UserError> {
        let mut offline_wait = OFFLINE_FIRST_WAIT;
        loop {
            if cancel.is_cancelled() {
                return Ok(());
            }
            // Another connection took over (a reconnect to another enterprise).
            match store.current_connection(None).await? {
                Some(r) if r.id == connection_id => {}
                _ => return Ok(()),
            }
            if self.is_paused(store, connection_id).await? {
                self.announce_scan().await;
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = self.inner.scan_wake.notified() => {}
                    _ = tokio::time::sleep(PAUSE_POLL) => {}
                }
                continue;
            }
            match self.scan_once(store, connection_id, mode, cancel).await {
                Ok(()) => {
                    self.set_runtime(|r| {
                        r.offline = false;
                        r.last_error = None;
                    });
                    return Ok(());
                }
                Err(Stop::Paused) => continue,
                Err(Stop::Failed(err)) if is_passing(&err) => {
                    // Nothing was lost: cursors, frontier and leases are in
                    // the store. Wait, then pick up where it stopped.
                    tracing::info!(%err, wait = ?offline_wait, "Box is unreachable or holding back; the scan waits");
                    self.set_runtime(|r| {
                        r.offline = err.code == ErrorCode::Network;
                        r.last_error = Some(err.clone());
                    });
                    self.announce_scan().await;
                    tokio::select! {
                        _ = cancel.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(offline_wait) => {}
                    }
                    offline_wait = (offline_wait * 2).min(OFFLINE_MAX_WAIT);
                }
                Err(Stop::Failed(err)) => {
                    self.set_runtime(|r| {
                        r.offline = false;
                        r.last_error = Some(err.clone());
                    });
                    return Err(err);
                }
            }
        }
    }

    /// One go of feed + scanner, ended by `mode`, a cancel, a pause or an error.
    async fn scan_once(
        &self,
        store: &Store,
        connection_id: &str,
        mode: ScanMode,
        cancel: &CancellationToken,
    ) -> Result<(), Stop> {
        let client = self.box_client().await.map_err(Stop::Failed)?;
        let me = client.me(None).await.map_err(|e| Stop::Failed(e.user))?;
        // Box answered: whatever stopped the last go is over.
        self.set_runtime(|r| {
            r.offline = false;
            r.last_error = None;
        });
        let clock = self.inner.config.clock.clone();
        let feed = Arc::new(EventFeed::new(
            client.clone(),
            store.clone(),
            connection_id.to_owned(),
            self.events_config(store).await,
            clock.clone(),
        ));
        let scanner = Arc::new(Scanner::new(
            client,
            store.clone(),
            connection_id.to_owned(),
            me,
            self.scan_config(store).await,
            clock,
        ));
        // A child token: a pause ends this go without ending the caller's run.
        let go = cancel.child_token();
        let pause_watch = {
            let app = self.clone();
            let store = store.clone();
            let id = connection_id.to_owned();
            let go = go.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = go.cancelled() => return false,
                        _ = app.inner.scan_wake.notified() => {}
                        _ = tokio::time::sleep(PAUSE_POLL) => {}
                    }
                    if app.is_paused(&store, &id).await.unwrap_or(false) {
                        go.cancel();
                        return true;
                    }
                }
            })
        };
        let waker = scanner.waker();
        let on_effects: Arc<dyn Fn() + Send + Sync> = Arc::new(move || waker.notify_one());
        let result = match mode {
            ScanMode::Follow => {
                let feed_run = feed.run(go.clone(), on_effects);
                let scan_run = scanner.run(false, go.clone());
                // Either one failing ends the go (the other is cancelled).
                let outcome = tokio::select! {
                    r = feed_run => r,
                    r = scan_run => r,
                };
                go.cancel();
                outcome
            }
            ScanMode::UntilIdle => self.until_idle(&feed, &scanner, &go).await,
        };
        go.cancel();
        let paused = pause_watch.await.unwrap_or(false);
        match result {
            Err(err) => Err(Stop::Failed(err)),
            Ok(()) if paused => Err(Stop::Paused),
            Ok(()) => Ok(()),
        }
    }

    /// The backfill and the full scan, then the live events that arrived
    /// meanwhile, until a live poll brings nothing that needs a rescan.
    async fn until_idle(
        &self,
        feed: &EventFeed,
        scanner: &Scanner,
        go: &CancellationToken,
    ) -> Result<(), UserError> {
        let (backfilled, scanned) = tokio::join!(feed.backfill(go), scanner.run(true, go.clone()));
        backfilled?;
        scanned?;
        loop {
            if go.is_cancelled() {
                return Ok(());
            }
            let new = feed.poll_live_once().await?;
            scanner.run(true, go.clone()).await?;
            if new == 0 {
                return Ok(());
            }
        }
    }

    async fn is_paused(&self, store: &Store, connection_id: &str) -> Result<bool, UserError> {
        Ok(store
            .scan_state(connection_id)
            .await?
            .is_some_and(|s| s.paused))
    }

    async fn events_config(&self, store: &Store) -> EventsConfig {
        let mut config = EventsConfig::default();
        if let Some(days) = setting_u64(store, setting_keys::BACKFILL_DAYS).await {
            config.backfill_days = days.clamp(0, 365) as u32;
        }
        if let Some(secs) = setting_u64(store, setting_keys::POLL_INTERVAL_SECS).await {
            config.poll_interval = Duration::from_secs(secs.max(1));
        }
        config
    }

    async fn scan_config(&self, store: &Store) -> ScanConfig {
        let hours = setting_u64(store, setting_keys::RESCAN_INTERVAL_HOURS)
            .await
            .unwrap_or(DEFAULT_RESCAN_HOURS);
        let mut config = ScanConfig {
            rescan_interval: (hours > 0).then(|| Duration::from_secs(hours * 3600)),
            ..ScanConfig::default()
        };
        if let Some(on) = setting_u64(store, setting_keys::INSPECT_CONTENT).await {
            config.content.enabled = on != 0;
        }
        if let Some(mb) = setting_u64(store, setting_keys::INSPECT_MAX_FILE_MB).await {
            config.content.max_file_bytes = mb.max(1) * 1024 * 1024;
        }
        if let Some(secs) = setting_u64(store, setting_keys::INSPECT_TIMEOUT_SECS).await {
            config.content.limits.timeout = Duration::from_secs(secs.max(1));
        }
        if let Some(mb) = setting_u64(store, setting_keys::INSPECT_MAX_MEMORY_MB).await {
            config.content.readers.max_memory_mb = mb.max(64);
        }
        if let Some(mb) = setting_u64(store, setting_keys::INSPECT_MEMORY_BUDGET_MB).await {
            config.content.memory_budget_bytes = mb.max(1) * 1024 * 1024;
        }
        // Downloads are spooled next to the database, not in a shared /tmp.
        config.content.temp_dir = Some(self.inner.config.data_dir.join("tmp"));
        // What the scanner works on right now, for the next one after a crash.
        config.journal = Some(self.inner.config.data_dir.join("scan-journal"));
        for detector in DetectorId::ALL {
            let id = detector.as_str();
            let default = DetectorPolicy::default_for(id);
            let mut rule = default;
            if let Some(n) = setting_u64(store, &setting_keys::detector_min_count(id)).await {
                rule.min_count = n.max(1);
            }
            match setting_u64(store, &setting_keys::detector_min_confidence(id)).await {
                Some(1) => rule.min_confidence = Confidence::High,
                Some(0) => rule.min_confidence = Confidence::Low,
                _ => {}
            }
            if rule != default {
                config.detectors.insert(id.to_owned(), rule);
            }
        }
        config
    }

    fn set_runtime(&self, change: impl FnOnce(&mut super::scan_view::ScanRuntime)) {
        change(&mut self.inner.scan_runtime.lock().expect("scan runtime lock"));
    }

    /// Sends the status to subscribers while the scan runs, at most every
    /// [`PROGRESS_EVERY`] and only when it changed.
    fn spawn_progress(&self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut last: Option<ScanStatus> = None;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(PROGRESS_EVERY) => {}
                }
                let status = app.scan_status().await;
                if last.as_ref() != Some(&status) {
                    last = Some(status.clone());
                    app.emit(CoreEvent::ScanProgress {
                        status: Box::new(status),
                    });
                }
            }
        })
    }

    /// Tells subscribers where the scan stands.
    pub(super) async fn announce_scan(&self) {
        let status = self.scan_status().await;
        self.emit(CoreEvent::ScanProgress {
            status: Box::new(status),
        });
    }
}

/// Why one go of the scan ended early.
enum Stop {
    Paused,
    Failed(UserError),
}

/// Errors that pass by themselves: no network (shown as offline), or Box
/// holding the scan back longer than a request waits (a long `retry-after`).
fn is_passing(err: &UserError) -> bool {
    matches!(err.code, ErrorCode::Network | ErrorCode::RateLimited)
}

fn held_elsewhere(held: &HeldBy) -> UserError {
    let who = match held.role.as_str() {
        "app" => "the Box Connector window",
        "cli" => "box-connector-cli",
        _ => "another Box Connector process",
    };
    UserError::new(
        ErrorCode::ScannerElsewhere,
        format!(
            "The scan of this data folder already runs in {who} (process {}).",
            held.pid
        ),
        "Watch it there, or stop that process first; `status`, `queue`, `events` and `file` work meanwhile.",
    )
}

async fn setting_u64(store: &Store, key: &str) -> Option<u64> {
    store.setting(key).await.ok().flatten()?.trim().parse().ok()
}
