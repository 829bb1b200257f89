//! The scan: every managed user, each user's folder tree walked as that
//! user, every file queued once, and the workers that scan what the queue
//! hands them, across users at once within Box's limits.
//!
//! - Users are listed page by page; each page and the next marker are one
//!   transaction, so a restart goes on from the page it stopped at.
//! - Walks run for `walkers` users at once, `folders_per_user` folders at
//!   once within a user. The frontier lives in SQLite (`folders`): a page of
//!   a listing, its files queued and the folder's next marker commit
//!   together (`store::scan`), so a crash re-lists one page at most.
//!   Pacing is the client's limiter (a bucket per acting user): the scan
//!   adds none of its own.
//! - Workers claim from the queue in batches under a lease. A file the walk
//!   listed needs no request but its collaborations (only where Box says
//!   `has_collaborations`); an event's file is fetched as its owner.
//! - Errors: Box errors are already retried by the client. What is left
//!   fails that one folder or item (retried later, 'failed' and visible
//!   after `max_attempts`); a network that is down (or a sign-in Box
//!   refuses) stops `run` with the error at once, with nothing marked
//!   failed, so the caller can say "offline" and start it again later.
//!   Nothing depends on a clean shutdown: leases of a dead scanner are
//!   reclaimed when the next one starts (it holds the [`ScannerLock`]).

mod convert;
mod journal;
mod lock;
mod queueing;
mod walk;
mod work;

pub use lock::{HeldBy, ScannerLock, ScannerLockGuard, LOCK_FILE_NAME};
/// How the caller pauses a run (`run` returns once it fires).
pub use tokio_util::sync::CancellationToken;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::box_api::{self, ApiError, BoxClient};
use crate::clock::SharedClock;
use crate::error::UserError;
use crate::inspect::content::FileInspection;
use crate::inspect::content::{ContentConfig, ContentInspector};
use crate::inspect::findings::{DetectorPolicy, FindingPolicy};
use crate::inspect::isolation::EXTRACTOR_VERSION;
use crate::store::scan::ListedUser;
use crate::store::{Millis, Store};
use journal::Journal;

/// How often a running scanner looks whether it was paused (and a paused
/// one whether it was resumed).
const PAUSE_POLL: Duration = Duration::from_secs(1);

/// Why a co-admin's scan leaves a user out (shown in the UI and the CLI).
pub const COADMIN_SKIP_REASON: &str = "another admin's content: a co-admin cannot act as an admin";

#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Users walked at once.
    pub walkers: usize,
    /// Queue workers.
    pub workers: usize,
    /// Queue rows claimed at a time.
    pub claim_batch: usize,
    pub lease: Duration,
    /// Attempts before a folder or an item is 'failed' (visible).
    pub max_attempts: u32,
    /// Re-walk everything this long after the last walk began; `None`: never.
    pub rescan_interval: Option<Duration>,
    /// Folders listed at once within one user's tree.
    pub folders_per_user: usize,
    /// Requests at once within one claimed batch (collaborations, fetches).
    pub item_concurrency: usize,
    /// How often idle workers look at the queue without being woken.
    pub idle_poll: Duration,
    /// Content inspection: on/off, size cap, extraction limits.
    pub content: ContentConfig,
    /// When a detector's matches are a finding; domains counted as internal
    /// beside the enterprise users' own.
    pub detectors: BTreeMap<String, DetectorPolicy>,
    pub extra_internal_domains: Vec<String>,
    /// Where the scanner notes the items in progress (see `journal`):
    /// after a crash only those count against their items. `None`: every
    /// lease a dead scanner held counts.
    pub journal: Option<PathBuf>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            walkers: 32,
            workers: 2,
            claim_batch: 256,
            lease: Duration::from_secs(300),
            max_attempts: 5,
            rescan_interval: None,
            folders_per_user: 4,
            item_concurrency: 8,
            idle_poll: Duration::from_millis(100),
            content: ContentConfig::default(),
            detectors: BTreeMap::new(),
            extra_internal_domains: Vec::new(),
            journal: None,
        }
    }
}

pub struct Scanner {
    client: Arc<BoxClient>,
    store: Store,
    connection_id: String,
    me: box_api::User,
    config: ScanConfig,
    clock: SharedClock,
    /// Events say "work to do" through this (see [`Scanner::waker`]).
    waker: Arc<Notify>,
    /// New queue rows (a saved page, applied event effects): workers claim.
    work_ready: Notify,
    /// Users whose content this connection does not read, with why.
    skipped: RwLock<HashMap<String, String>>,
    lease_owner: String,
    journal: Option<Journal>,
    inspector: ContentInspector,
    /// The rules' settings and the enterprise's domains (they change when
    /// users are listed).
    policy: RwLock<Arc<FindingPolicy>>,
    /// Contents being downloaded now, by sha1: a second file with the same
    /// content waits for the first one's result instead of fetching it too.
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<FileInspection>>>>,
}

/// Errors after which nothing more can be done now: no network, or a
/// sign-in Box no longer accepts. Everything else, a download that stalled
/// or was cut ([`box_api::ApiErrorKind::Transfer`]) included, fails one item.
fn is_fatal(e: &ApiError) -> bool {
    e.kind.is_connection_wide()
}

/// A Box error as one line for `walk_error` / `last_error`: the request and
/// Box's own words (no token, no query string).
fn describe(request: &str, e: &ApiError) -> String {
    let mut text = format!("{request}: {}", e.user.message);
    if let Some(id) = &e.request_id {
        text.push_str(&format!(" (request id {id})"));
    }
    text
}

impl Scanner {
    pub fn new(
        client: Arc<BoxClient>,
        store: Store,
        connection_id: String,
        me: box_api::User,
        config: ScanConfig,
        clock: SharedClock,
    ) -> Self {
        let inspector = ContentInspector::new(client.clone(), config.content.clone());
        let journal = config.journal.clone().map(Journal::new);
        Scanner {
            inspector,
            policy: RwLock::new(Arc::new(FindingPolicy::default())),
            in_flight: Mutex::new(HashMap::new()),
            client,
            store,
            connection_id,
            me,
            config,
            clock,
            waker: Arc::new(Notify::new()),
            work_ready: Notify::new(),
            skipped: RwLock::new(HashMap::new()),
            lease_owner: format!("scanner-{}", std::process::id()),
            journal,
        }
    }

    /// The most files this scanner had downloading or reading at once (the
    /// memory budget's bound, for diagnostics and tests).
    pub fn content_peak_in_flight(&self) -> usize {
        self.inspector.peak_in_flight()
    }

    /// Notify it (`notify_one`) when live events left effects to apply: the
    /// scanner applies them and claims at once instead of at its next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.waker.clone()
    }

    fn now(&self) -> Millis {
        Millis::from(self.clock.now())
    }

    fn is_coadmin(&self) -> bool {
        self.me.role.as_deref() == Some("coadmin")
    }

    /// Lists users, walks trees and works the queue (see the module
    /// header); waits while the scan is paused in the store. Returns `Ok`
    /// when `cancel` fires, or with
    /// `until_idle` once users are listed, every walk is done, nothing is
    /// claimable and no event effects are pending; `Err` when Box cannot be
    /// reached or refuses the sign-in (nothing is lost: run it again).
    pub async fn run(&self, until_idle: bool, cancel: CancellationToken) -> Result<(), UserError> {
        loop {
            // Paused (by the app or the CLI, through the store): send nothing.
            while self.paused().await? {
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(PAUSE_POLL) => {}
                }
            }
            let ended = tokio::select! {
                biased;
                _ = cancel.cancelled() => Some(Ok(())),
                // Paused while running: stop (a page in flight is saved whole
                // or not at all) and wait for the resume above.
                () = self.until_paused() => None,
                result = self.scan(until_idle) => Some(result),
            };
            // Batches a stop, a pause or another worker's error cut short
            // go back uncounted: only a scanner that dies holding them
            // counts against its items.
            self.store.release_all_leases(&self.connection_id).await?;
            if let Some(result) = ended {
                return result;
            }
        }
    }

    async fn paused(&self) -> Result<bool, UserError> {
        Ok(self
            .store
            .scan_state(&self.connection_id)
            .await?
            .is_some_and(|s| s.paused))
    }

    async fn until_paused(&self) {
        loop {
            tokio::time::sleep(PAUSE_POLL).await;
            if let Ok(true) = self.paused().await {
                return;
            }
        }
    }

    async fn scan(&self, until_idle: bool) -> Result<(), UserError> {
        // The caller holds the scanner lock: any lease is a dead scanner's,
        // and so is any download left in the spool.
        let in_progress = self.journal.as_ref().and_then(Journal::take_over);
        self.store
            .reclaim_after_crash(&self.connection_id, in_progress.as_ref())
            .await?;
        self.inspector.sweep_spool();
        if self.inspector.enabled() {
            // Verdicts of older readers are read again, behind the scan.
            self.store
                .queue_stale_content(&self.connection_id, EXTRACTOR_VERSION, self.now())
                .await?;
        }
        self.store
            .begin_scan(&self.connection_id, self.me.role.clone(), self.now())
            .await?;
        self.load_skipped().await?;
        let finished = CancellationToken::new();
        let drive = async {
            let result = self.drive(until_idle).await;
            finished.cancel();
            result
        };
        let workers = futures_util::future::try_join_all(
            (0..self.config.workers.max(1)).map(|i| self.work(i, &finished)),
        );
        let express = self.work_express(&finished);
        let effects = self.apply_effects(&finished);
        futures_util::future::try_join4(drive, workers, express, effects).await?;
        Ok(())
    }

    async fn load_skipped(&self) -> Result<(), UserError> {
        let skipped = self.store.skipped_users(&self.connection_id).await?;
        *self.skipped.write().expect("skipped users lock") = skipped;
        self.load_policy().await
    }

    /// The finding rules' settings, with the enterprise's domains as the
    /// listed users (and the connected admin) show them.
    async fn load_policy(&self) -> Result<(), UserError> {
        let mut internal: std::collections::BTreeSet<String> = self
            .store
            .enterprise_domains(&self.connection_id)
            .await?
            .into_iter()
            .collect();
        if let Some((_, domain)) = self.me.login.as_deref().and_then(|l| l.rsplit_once('@')) {
            internal.insert(domain.to_ascii_lowercase());
        }
        internal.extend(
            self.config
                .extra_internal_domains
                .iter()
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|d| !d.is_empty()),
        );
        let policy = FindingPolicy {
            internal_domains: internal,
            detectors: self.config.detectors.clone(),
        };
        *self.policy.write().expect("policy lock") = Arc::new(policy);
        Ok(())
    }

    fn policy(&self) -> Arc<FindingPolicy> {
        self.policy.read().expect("policy lock").clone()
    }

    /// Generations of walks, one after the other.
    async fn drive(&self, until_idle: bool) -> Result<(), UserError> {
        loop {
            let mut state = self
                .store
                .scan_state(&self.connection_id)
                .await?
                .expect("begin_scan wrote the state");
            if self.rescan_due(state.generation_done_at, state.generation_started_at) {
                self.store
                    .start_generation(&self.connection_id, self.now())
                    .await?;
                state = self
                    .store
                    .scan_state(&self.connection_id)
                    .await?
                    .expect("the state exists");
            }
            if state.users_listed_at.is_none() {
                self.list_users(state.users_marker.clone(), state.generation)
                    .await?;
                self.load_skipped().await?;
            }
            let users = self
                .store
                .users_to_walk(&self.connection_id, state.generation)
                .await?;
            // A bounded number of users at once.
            let mut users = users.into_iter();
            let mut walking = FuturesUnordered::new();
            loop {
                while walking.len() < self.config.walkers.max(1) {
                    let Some(user) = users.next() else { break };
                    walking.push(self.walk_user(user, state.generation));
                }
                match walking.next().await {
                    None => break,
                    Some(walked) => walked?,
                }
            }
            while !self.idle().await? {
                self.pause_a_moment().await;
            }
            if state.generation_done_at.is_none() {
                self.store
                    .generation_done(&self.connection_id, self.now())
                    .await?;
            }
            if until_idle {
                return Ok(());
            }
            // Follow: workers go on with what events queue; the next
            // generation starts when the rescan interval has passed.
            loop {
                let state = self
                    .store
                    .scan_state(&self.connection_id)
                    .await?
                    .expect("the state exists");
                if self.rescan_due(state.generation_done_at, state.generation_started_at) {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    fn rescan_due(&self, done_at: Option<Millis>, started_at: Option<Millis>) -> bool {
        let (Some(interval), Some(_), Some(started)) =
            (self.config.rescan_interval, done_at, started_at)
        else {
            return false;
        };
        let interval = interval.as_millis().min(i64::MAX as u128) as i64;
        self.now().as_millis() >= started.as_millis().saturating_add(interval)
    }

    /// Nothing claimable, nothing leased, no event effects waiting.
    async fn idle(&self) -> Result<bool, UserError> {
        let depth = self.store.queue_depth(&self.connection_id).await?;
        if depth.queued > 0 || depth.leased > 0 {
            return Ok(false);
        }
        Ok(!self
            .store
            .event_effects_pending(&self.connection_id)
            .await?)
    }

    async fn pause_a_moment(&self) {
        tokio::time::sleep(self.config.idle_poll).await;
    }

    /// Every managed user, from the saved marker on; a co-admin's scan
    /// marks other admins' and co-admins' users skipped.
    async fn list_users(
        &self,
        mut marker: Option<String>,
        generation: i64,
    ) -> Result<(), UserError> {
        loop {
            let page = self
                .client
                .users_page(1000, marker.as_deref())
                .await
                .map_err(UserError::from)?;
            let users = page
                .entries
                .into_iter()
                .map(|u| {
                    let other_admin = matches!(u.role.as_deref(), Some("admin" | "coadmin"))
                        && u.id != self.me.id;
                    ListedUser {
                        skip_reason: (self.is_coadmin() && other_admin)
                            .then(|| COADMIN_SKIP_REASON.to_owned()),
                        user_id: u.id,
                        login: u.login,
                        name: u.name,
                        role: u.role,
                        status: u.status,
                    }
                })
                .collect();
            let next = page.next_marker.filter(|m| !m.is_empty());
            self.store
                .save_users_page(
                    &self.connection_id,
                    users,
                    next.clone(),
                    generation,
                    self.now(),
                )
                .await?;
            match next {
                Some(m) => marker = Some(m),
                None => return Ok(()),
            }
        }
    }

    /// Applies live events' effects to the queue whenever woken (and at
    /// each poll), then lets the workers claim at once.
    async fn apply_effects(&self, finished: &CancellationToken) -> Result<(), UserError> {
        loop {
            loop {
                let effects = self
                    .store
                    .apply_event_effects(&self.connection_id, 500, self.now())
                    .await?;
                if effects.bumped > 0 || effects.removed > 0 {
                    self.work_ready.notify_waiters();
                }
                if !effects.pending_left {
                    break;
                }
            }
            tokio::select! {
                _ = finished.cancelled() => return Ok(()),
                _ = self.waker.notified() => {}
                _ = tokio::time::sleep(self.config.idle_poll * 5) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app spawns `run` on its runtime: its future must be `Send`
    /// (a compile-time check).
    #[allow(dead_code)]
    fn run_is_send(scanner: &'static Scanner) {
        fn is_send<T: Send>(_: T) {}
        is_send(scanner.run(true, CancellationToken::new()));
    }
}
