//! Shared by the scan tests: an in-process sandbox enterprise, a Box client
//! signed in as one of its accounts (counting every request it sends), a
//! store in a temp dir, and what the enterprise says a scan must find.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use box_sandbox::enterprise::{AccountKind, Role};
use box_sandbox::{SandboxConfig, SandboxHandle};
use connector_core::box_api::{ApiCall, BoxClient, CallRecorder, RetryPolicy, User};
use connector_core::clock::SharedClock;
use connector_core::scan::{CancellationToken, ScanConfig, Scanner};
use connector_core::store::Store;
use connector_core::testing::UNLIMITED;

pub use crate::sandbox::{new_version, start_sandbox, upload, upload_to};
pub use connector_core::testing::open_store_in;

pub const CONNECTION: &str = "sandbox:enterprise:test";

/// Tens of users, a few hundred files, a few levels of folders.
pub fn small_enterprise() -> SandboxConfig {
    SandboxConfig {
        seed: 8,
        users: 24,
        coadmins: 2,
        files: 400,
        folder_depth: 2,
        folder_fanout: 3,
        history_days: 1,
        reads_per_user_per_day: 0.0,
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    }
}

/// Every attempt the client sends, by endpoint.
#[derive(Default)]
pub struct Requests {
    pub total: AtomicU64,
    pub by_endpoint: Mutex<BTreeMap<String, u64>>,
}

impl CallRecorder for Requests {
    fn record(&self, call: ApiCall) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let key = call
            .endpoint
            .split('/')
            .map(|p| {
                if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) {
                    "{id}"
                } else {
                    p
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        *self.by_endpoint.lock().unwrap().entry(key).or_default() += 1;
    }
}

impl Requests {
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

/// A client signed in to `sb` as `login` ("admin", "coadmin", ...), with
/// the limiter out of the way and quick retries.
pub async fn client_for(sb: &SandboxHandle, login: &str) -> (Arc<BoxClient>, Arc<Requests>, User) {
    // Scans read files in children of the real CLI, as the app's do.
    crate::use_cli_as_extractor();
    let requests = Arc::new(Requests::default());
    let client = crate::sandbox::signed_in_client(sb, login)
        .with_recorder(requests.clone())
        .with_retry(RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(100),
            ..RetryPolicy::default()
        })
        .with_user_rate(UNLIMITED)
        .with_global_rate(None);
    let me = client.me(None).await.expect("me");
    requests.total.store(0, Ordering::Relaxed);
    requests.by_endpoint.lock().unwrap().clear();
    (Arc::new(client), requests, me)
}

pub fn quick_config() -> ScanConfig {
    ScanConfig {
        walkers: 8,
        workers: 2,
        claim_batch: 64,
        idle_poll: Duration::from_millis(20),
        ..ScanConfig::default()
    }
}

/// The scan without content inspection: the listing's lower bound alone
/// (content requests are counted by the inspection tests).
pub fn listing_only_config() -> ScanConfig {
    let mut config = quick_config();
    config.content.enabled = false;
    config
}

pub fn scanner(client: &Arc<BoxClient>, store: &Store, me: &User, config: ScanConfig) -> Scanner {
    Scanner::new(
        client.clone(),
        store.clone(),
        CONNECTION.into(),
        me.clone(),
        config,
        SharedClock::system(),
    )
}

/// Runs the scanner until idle, starting it again after an error (a
/// fault-injected network error stops a run, by design); gives up after
/// `tries`.
pub async fn run_to_idle(scanner: &Scanner, tries: usize) -> usize {
    for attempt in 1..=tries {
        match scanner.run(true, CancellationToken::new()).await {
            Ok(()) => return attempt,
            Err(e) => eprintln!("run {attempt} stopped: {e:?}"),
        }
    }
    panic!("the scan did not finish in {tries} runs");
}

/// What a complete scan must find, read from the enterprise itself.
pub struct Expected {
    pub files: BTreeSet<String>,
    /// (item_type, item_id, collaboration_id, login, role, status)
    pub collaborations: BTreeSet<(String, String, String, String, String, String)>,
    /// User pages + one page per 1000 entries of each folder (at least one)
    /// + one collaborations page per item that has collaborations.
    pub lower_bound: u64,
    pub folders: usize,
    pub skipped_users: BTreeSet<String>,
}

/// Walks the enterprise as the scan must: the roots of every managed user
/// `connected_login` may act as, each folder once.
pub fn expected(sb: &SandboxHandle, connected_login: &str) -> Expected {
    let truth = sb.ground_truth();
    let world = sb.state().world.read().unwrap();
    let ent = &world.ent;
    let me = ent.find_login(connected_login).unwrap();
    let coadmin = ent.accounts[me as usize].role == Role::Coadmin;
    let managed: Vec<u32> = (0..ent.accounts.len() as u32)
        .filter(|&u| ent.accounts[u as usize].kind == AccountKind::Managed)
        .collect();
    let skipped: BTreeSet<String> = managed
        .iter()
        .filter(|&&u| coadmin && u != me && ent.accounts[u as usize].role != Role::User)
        .map(|&u| ent.accounts[u as usize].id.to_string())
        .collect();
    let mut lower_bound = (managed.len() as u64).div_ceil(1000).max(1);
    let mut seen = HashSet::new();
    let mut walk: VecDeque<(u32, u32)> = VecDeque::new();
    for &u in &managed {
        if !skipped.contains(&ent.accounts[u as usize].id.to_string()) {
            seen.insert(u);
            walk.push_back((u, u));
        }
    }
    let mut files = BTreeSet::new();
    let mut with_collabs = BTreeSet::new();
    while let Some((folder, viewer)) = walk.pop_front() {
        let (subfolders, folder_files) = ent.folder_items(folder, viewer);
        let entries = (subfolders.len() + folder_files.len()) as u64;
        lower_bound += entries.div_ceil(1000).max(1);
        if ent.has_collaborations(folder, false) {
            lower_bound += 1;
            with_collabs.insert(("folder".to_string(), ent.folder_box_id(folder)));
        }
        for sub in subfolders {
            if seen.insert(sub) {
                walk.push_back((sub, viewer));
            }
        }
        for f in folder_files {
            if files.insert(ent.file_box_id(f)) && ent.has_collaborations(f, true) {
                lower_bound += 1;
                with_collabs.insert(("file".to_string(), ent.file_box_id(f)));
            }
        }
    }
    let collaborations = truth
        .collaborations
        .iter()
        .filter(|c| with_collabs.contains(&(c.item_type.to_string(), c.item_id.clone())))
        .map(|c| {
            (
                c.item_type.to_string(),
                c.item_id.clone(),
                c.collaboration_id.clone(),
                c.collaborator_login.clone(),
                c.role.to_string(),
                c.status.to_string(),
            )
        })
        .collect();
    Expected {
        files,
        collaborations,
        lower_bound,
        folders: seen.len(),
        skipped_users: skipped,
    }
}

/// The files table, one line per row, for comparing two scans.
pub async fn files_table(store: &Store) -> Vec<String> {
    type Text = Option<String>;
    type Int = Option<i64>;
    type FileRow = (
        String,
        Text,
        Text,
        Text,
        Text,
        Text,
        Text,
        Int,
        Int,
        Text,
        Int,
    );
    let rows: Vec<FileRow> = sqlx::query_as(
        "SELECT file_id, name, path, owner_id, etag, sha1, shared_link, size,
             has_collaborations, scanned_etag, removed_at
         FROM files WHERE connection_id = ? ORDER BY file_id",
    )
    .bind(CONNECTION)
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.into_iter().map(|r| format!("{r:?}")).collect()
}

pub async fn collaborations_table(
    store: &Store,
) -> BTreeSet<(String, String, String, String, String, String)> {
    type CollabRow = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<CollabRow> = sqlx::query_as(
        "SELECT item_type, item_id, collaboration_id, login, role, status
             FROM collaborations WHERE connection_id = ?",
    )
    .bind(CONNECTION)
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(t, i, c, l, r, s)| {
            (
                t,
                i,
                c,
                l.unwrap_or_default(),
                r.unwrap_or_default(),
                s.unwrap_or_default(),
            )
        })
        .collect()
}

pub async fn scalar(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(CONNECTION)
        .fetch_one(store.pool())
        .await
        .unwrap()
}
