//! The full scan against an in-process sandbox enterprise:
//!
//!   cargo bench -p connector-core --bench scan_bench [-- --users 100 --files 200000
//!       --limited-users 20 --limited-files 40000 --limited-secs 60]
//!
//! Prints, against the lower bound (user pages + one page per 1000 entries
//! of each folder, at least one + one collaborations page per item that has
//! collaborations; target ≤ 1.05×):
//! 1. requests made, with no rate limit (and the raw scan rate);
//! 2. on a smaller enterprise (on 2 cores the full one is machine-bound at
//!    any limit that finishes in minutes), with the sandbox's per-user
//!    rate limit low enough to be the
//!    bottleneck, wall time against the time that limit implies for the
//!    busiest user's requests (target ≤ 1.2×), `as-user` charged to the
//!    impersonated user — what the client's limiter assumes (a bucket per
//!    acting user);
//! 3. the same on a smaller one still with `as-user` charged to the admin
//!    (one bucket for everything): with the limiter's default assumption,
//!    and with the client's global cap set to that one bucket's rate;
//! 4. the simplest sequential client (one user at a time, one request at a
//!    time) as the baseline, measured on the first users and scaled up.

use connector_core::testing::{self, arg, UNLIMITED};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use box_sandbox::enterprise::AccountKind;
use box_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use connector_core::box_api::models::{Item, ITEM_FIELDS};
use connector_core::box_api::{ApiCall, BoxClient, CallRecorder, Rate, RequestOptions, User};
use connector_core::clock::SharedClock;
use connector_core::scan::{CancellationToken, ScanConfig, Scanner};
use connector_core::store::Store;
use futures_util::TryStreamExt;

#[derive(Default)]
struct Count {
    attempts: AtomicU64,
    rate_limited: AtomicU64,
}

impl CallRecorder for Count {
    fn record(&self, call: ApiCall) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if call.rate_limited {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A client signed in as the sandbox's admin; `user_rate` per acting user,
/// `global` across all (None: unlimited).
async fn client(
    sb: &SandboxHandle,
    user_rate: Option<f64>,
    global: Option<f64>,
) -> (Arc<BoxClient>, Arc<Count>, User) {
    let pair = sb.issue_tokens_lasting("admin", 36_000);
    let tokens = testing::token_set(&pair.access_token, &pair.refresh_token, 36_000);
    let count = Arc::new(Count::default());
    let c = testing::sandbox_client(&sb.base_url(), tokens)
        .with_recorder(count.clone())
        .with_user_rate(user_rate.map(Rate::per_second).unwrap_or(UNLIMITED))
        .with_global_rate(Some(global.map(Rate::per_second).unwrap_or(UNLIMITED)));
    let me = c.me(None).await.expect("me");
    count.attempts.store(0, Ordering::Relaxed);
    (Arc::new(c), count, me)
}

/// The lower bound, in total and per walking user (who the walk charges).
struct Bound {
    total: u64,
    busiest_user: u64,
    users: usize,
    folders: usize,
    files: usize,
}

fn lower_bound(sb: &SandboxHandle, only_users: Option<usize>) -> Bound {
    let world = sb.state().world.read().unwrap();
    let ent = &world.ent;
    let managed: Vec<u32> = (0..ent.accounts.len() as u32)
        .filter(|&u| ent.accounts[u as usize].kind == AccountKind::Managed)
        .collect();
    let walked: Vec<u32> = managed
        .iter()
        .copied()
        .take(only_users.unwrap_or(usize::MAX))
        .collect();
    let mut total = (managed.len() as u64).div_ceil(1000).max(1);
    let mut per_user: HashMap<u32, u64> = HashMap::new();
    let mut seen: HashSet<u32> = walked.iter().copied().collect();
    let mut files = 0usize;
    let mut walk: VecDeque<(u32, u32)> = walked.iter().map(|&u| (u, u)).collect();
    while let Some((folder, viewer)) = walk.pop_front() {
        let (subfolders, folder_files) = ent.folder_items(folder, viewer);
        let mut n = ((subfolders.len() + folder_files.len()) as u64)
            .div_ceil(1000)
            .max(1);
        if ent.has_collaborations(folder, false) {
            n += 1;
        }
        for f in &folder_files {
            files += 1;
            if ent.has_collaborations(*f, true) {
                n += 1;
            }
        }
        total += n;
        *per_user.entry(viewer).or_default() += n;
        for sub in subfolders {
            if seen.insert(sub) {
                walk.push_back((sub, viewer));
            }
        }
    }
    Bound {
        total,
        busiest_user: per_user.values().copied().max().unwrap_or(0),
        users: walked.len(),
        folders: seen.len(),
        files,
    }
}

fn set_rate_limit(sb: &SandboxHandle, per_minute: u32) {
    sb.state().control.lock().unwrap().rate_limit_per_minute = per_minute;
    sb.state().buckets.lock().unwrap().clear();
}

/// One full scan into a fresh store: (wall time, attempts, 429s).
async fn full_scan(client: &Arc<BoxClient>, count: &Count, me: &User) -> (Duration, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("bench.sqlite3")).await.unwrap();
    let scanner = Scanner::new(
        client.clone(),
        store.clone(),
        "bench".into(),
        me.clone(),
        ScanConfig {
            walkers: 128,
            workers: 2,
            claim_batch: 512,
            ..ScanConfig::default()
        },
        SharedClock::system(),
    );
    count.attempts.store(0, Ordering::Relaxed);
    count.rate_limited.store(0, Ordering::Relaxed);
    let started = Instant::now();
    scanner
        .run(true, CancellationToken::new())
        .await
        .expect("the scan finishes");
    let took = started.elapsed();
    let counts = store.inventory_counts("bench").await.unwrap();
    assert_eq!(counts.files_discovered, counts.files_scanned);
    store.close().await;
    (
        took,
        count.attempts.load(Ordering::Relaxed),
        count.rate_limited.load(Ordering::Relaxed),
    )
}

/// The simplest client: one user after the other, one request at a time.
async fn sequential(client: &BoxClient, users: usize) -> Duration {
    let started = Instant::now();
    let mut listed = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client.users_page(1000, marker.as_deref()).await.unwrap();
        listed.extend(page.entries.into_iter().map(|u| u.id));
        marker = page.next_marker.filter(|m| !m.is_empty());
        if marker.is_none() {
            break;
        }
    }
    let mut seen = HashSet::new();
    for user in listed.into_iter().take(users) {
        let options = RequestOptions::default().as_user(user.clone());
        let mut folders = VecDeque::from([("0".to_string(), false)]);
        while let Some((folder, collaborated)) = folders.pop_front() {
            if collaborated {
                let _: Vec<_> = client
                    .folder_collaborations(&folder, &options)
                    .try_collect()
                    .await
                    .unwrap();
            }
            let items: Vec<Item> = client
                .folder_items(&folder, &options.clone().fields(ITEM_FIELDS))
                .try_collect()
                .await
                .unwrap();
            for item in items {
                match item {
                    Item::Folder(d) if seen.insert(d.id.clone()) => {
                        folders.push_back((d.id, d.has_collaborations == Some(true)))
                    }
                    Item::File(f) if f.has_collaborations == Some(true) => {
                        let _: Vec<_> = client
                            .file_collaborations(&f.id, &options)
                            .try_collect()
                            .await
                            .unwrap();
                    }
                    _ => {}
                }
            }
        }
    }
    started.elapsed()
}

fn enterprise(users: usize, files: usize, as_user_counts_against_target: bool) -> SandboxConfig {
    SandboxConfig {
        seed: 42,
        users,
        coadmins: 2,
        files,
        // 14 + 14² folders under each root: ~20k folders for 100 users.
        folder_depth: 2,
        folder_fanout: 14,
        history_days: 1,
        reads_per_user_per_day: 0.0,
        rate_limit_per_minute: 0,
        as_user_counts_against_target,
        ..SandboxConfig::default()
    }
}

/// Requests the sandbox served per acting user since the last reset: the
/// busiest user's count.
fn busiest_served(sb: &SandboxHandle) -> u64 {
    let stats = sb.state().stats.lock().unwrap();
    stats
        .by_user
        .iter()
        .filter(|(user, _)| user.as_str() != "anonymous")
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
}

fn reset_stats(sb: &SandboxHandle) {
    *sb.state().stats.lock().unwrap() = Default::default();
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // Scans read files in children of this very binary, as in the app.
    connector_core::inspect::isolation::serve_if_requested();
    let users = arg("--users", 100);
    let files = arg("--files", 200_000);
    // The rate-limited runs use a smaller enterprise: on a 2-core machine
    // the full one is bound by the machine, not the limit, at any limit that
    // finishes in minutes.
    let limited_users = arg("--limited-users", 20);
    let limited_files = arg("--limited-files", 40_000);
    let limited_secs = arg("--limited-secs", 60) as f64;

    // 1. No rate limit: requests against the lower bound, full size.
    let sb = Sandbox::start(enterprise(users, files, true))
        .await
        .unwrap();
    let bound = lower_bound(&sb, None);
    println!(
        "enterprise: {} users, {} folders, {} files; lower bound {} requests",
        bound.users, bound.folders, bound.files, bound.total
    );
    let (c, count, me) = client(&sb, None, None).await;
    let (took, made, _) = full_scan(&c, &count, &me).await;
    println!(
        "1. no rate limit: {made} requests vs lower bound {} = {:.3}x (target <= 1.05); {:.1}s, {:.0} files/s, {:.0} requests/s (machine-bound: sandbox + SQLite on this machine)",
        bound.total,
        made as f64 / bound.total as f64,
        took.as_secs_f64(),
        bound.files as f64 / took.as_secs_f64(),
        made as f64 / took.as_secs_f64()
    );
    sb.stop().await;

    // 2. A per-user limit that makes the busiest user's share take about
    //    `limited_secs`; the client's limiter is told the same rate.
    let sb = Sandbox::start(enterprise(limited_users, limited_files, true))
        .await
        .unwrap();
    let bound = lower_bound(&sb, None);
    println!(
        "limited enterprise: {} users, {} folders, {} files; lower bound {} requests, busiest user {}",
        bound.users, bound.folders, bound.files, bound.total, bound.busiest_user
    );
    // Warm the sandbox's sha1 cache so the limited run measures the limit.
    let (c, count, me) = client(&sb, None, None).await;
    full_scan(&c, &count, &me).await;
    let per_second = (bound.busiest_user as f64 / limited_secs).max(0.5);
    set_rate_limit(&sb, (per_second * 60.0).round() as u32);
    reset_stats(&sb);
    let (c, count, me) = client(&sb, Some(per_second), None).await;
    let (took, made, limited) = full_scan(&c, &count, &me).await;
    let busiest = busiest_served(&sb);
    let implied = busiest as f64 / per_second;
    println!(
        "2. as-user charged to the impersonated user (the limiter's assumption: a bucket per acting user), {per_second:.2} req/s per user: \
         {:.1}s vs {implied:.1}s the limit implies for the busiest user's {busiest} requests = {:.2}x (target <= 1.2); \
         {made} requests ({:.3}x the bound), {limited} answered 429",
        took.as_secs_f64(),
        took.as_secs_f64() / implied,
        made as f64 / bound.total as f64
    );

    // 4. The sequential baseline, on the first user, scaled to all of them.
    let sample = 1;
    let part = lower_bound(&sb, Some(sample));
    let (c, _count, _me) = client(&sb, Some(per_second), None).await;
    let seq =
        sequential(&c, sample).await.as_secs_f64() * bound.total as f64 / part.total.max(1) as f64;
    println!(
        "4. sequential client (one user, one request at a time), same limit: {seq:.0}s (scaled from {sample} user) = {:.1}x the scanner's {:.1}s",
        seq / took.as_secs_f64(),
        took.as_secs_f64()
    );
    sb.stop().await;

    // 3. `as-user` charged to the admin: one bucket for every call.
    let small_users = (limited_users / 2).max(2);
    let small_files = limited_files / 4;
    let sb = Sandbox::start(enterprise(small_users, small_files, false))
        .await
        .unwrap();
    let bound = lower_bound(&sb, None);
    let (c, count, me) = client(&sb, None, None).await;
    full_scan(&c, &count, &me).await;
    // Twice as long as the sandbox's burst (a minute's worth) covers.
    let per_second = (bound.total as f64 / (2.0 * limited_secs)).max(0.5);
    let implied = bound.total as f64 / per_second;
    println!(
        "3. as-user charged to the admin ({} users, {} folders, {} files; lower bound {}), {per_second:.2} req/s in all:",
        bound.users, bound.folders, bound.files, bound.total
    );
    set_rate_limit(&sb, (per_second * 60.0).round() as u32);
    let (c, count, me) = client(&sb, Some(per_second), None).await;
    let (took, made, limited) = full_scan(&c, &count, &me).await;
    println!(
        "   limiter as shipped (a bucket per acting user): {:.1}s vs {implied:.1}s = {:.2}x; {made} requests ({:.3}x the bound), {limited} answered 429",
        took.as_secs_f64(),
        took.as_secs_f64() / implied,
        made as f64 / bound.total as f64
    );
    set_rate_limit(&sb, (per_second * 60.0).round() as u32);
    let (c, count, me) = client(&sb, Some(per_second), Some(per_second)).await;
    let (took, made, limited) = full_scan(&c, &count, &me).await;
    println!(
        "   global cap set to that rate: {:.1}s vs {implied:.1}s = {:.2}x; {made} requests ({:.3}x the bound), {limited} answered 429",
        took.as_secs_f64(),
        took.as_secs_f64() / implied,
        made as f64 / bound.total as f64
    );
    sb.stop().await;
}
