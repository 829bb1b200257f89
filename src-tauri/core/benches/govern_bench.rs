//! Governance benchmark (`make bench`): what a bulk action costs.
//!
//! A sandbox enterprise with Box-like answers (20 ms each, a per-user limit
//! of 600 requests a minute, `as-user` charged to the owner) is scanned;
//! then "remove the link" runs over its linked items the way a confirmed
//! bulk action does (each item read again, changed, read back, recorded),
//! once one item at a time (the baseline) and once eight at a time across
//! owners, as the app runs it. Prints items per second, the ratio, and
//! requests per item.
//!
//! `cargo bench -p connector-core --bench govern_bench [-- --items 300]`

use connector_core::testing::{self, arg};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use box_sandbox::{Sandbox, SandboxConfig};
use chrono::Utc;
use connector_core::box_api::{ApiCall, BoxClient, CallRecorder, Rate, User};
use connector_core::clock::SharedClock;
use connector_core::govern::{self, policy, Admin, Governor};
use connector_core::inspect::findings::FindingPolicy;
use connector_core::ipc::govern::{ActionKind, AuditState};
use connector_core::scan::{CancellationToken, ScanConfig, Scanner};
use connector_core::store::Store;
use futures_util::StreamExt;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

const CONN: &str = "bench";

#[derive(Default)]
struct Count(AtomicU64);

impl CallRecorder for Count {
    fn record(&self, _call: ApiCall) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// A client for the sandbox's admin, with the client's per-user pace at the
/// sandbox's limit (as the app sets it for Box's).
async fn admin_client(
    sb: &box_sandbox::SandboxHandle,
    count: Arc<Count>,
) -> Result<(Arc<BoxClient>, User), BenchError> {
    let pair = sb.issue_tokens_lasting("admin", 36_000);
    let tokens = testing::token_set(&pair.access_token, &pair.refresh_token, 36_000);
    let client = testing::sandbox_client(&sb.base_url(), tokens)
        .with_recorder(count)
        .with_user_rate(Rate {
            per_second: 10.0,
            burst: 10,
        })
        .with_global_rate(None);
    let me = client.me(None).await?;
    Ok((Arc::new(client), me))
}

async fn run(
    g: &Arc<Governor>,
    ids: Vec<i64>,
    at_once: usize,
) -> Result<(Duration, usize), BenchError> {
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(ids.into_iter().map(|id| {
        let g = g.clone();
        async move { g.resume(id).await }
    }))
    .buffer_unordered(at_once)
    .collect()
    .await;
    let mut done = 0;
    for r in results {
        if r?.state == AuditState::Done {
            done += 1;
        }
    }
    Ok((started.elapsed(), done))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BenchError> {
    // Scans read files in children of this very binary, as in the app.
    connector_core::inspect::isolation::serve_if_requested();
    let items = arg("--items", 300) as usize;
    let sb = Sandbox::start(SandboxConfig {
        users: 20,
        files: 3_000,
        shared_link_rate: 0.5,
        history_days: 1,
        reads_per_user_per_day: 0.0,
        rate_limit_per_minute: 600,
        as_user_counts_against_target: true,
        ..SandboxConfig::default()
    })
    .await?;
    let count = Arc::new(Count::default());
    let (client, me) = admin_client(&sb, count.clone()).await?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("bench.sqlite3")).await?;
    let mut config = ScanConfig::default();
    config.content.enabled = false;
    let scanner = Scanner::new(
        client.clone(),
        store.clone(),
        CONN.into(),
        me.clone(),
        config,
        SharedClock::system(),
    );
    scanner.run(true, CancellationToken::new()).await?;
    // Box-like answers from here on.
    sb.state().control.lock().unwrap().faults.latency_ms = 20;

    let mut domains: BTreeSet<String> = store.enterprise_domains(CONN).await?.into_iter().collect();
    if let Some((_, d)) = me.login.as_deref().and_then(|l| l.rsplit_once('@')) {
        domains.insert(d.to_owned());
    }
    let g = Arc::new(Governor {
        client,
        store: store.clone(),
        connection_id: CONN.into(),
        admin: Admin {
            id: me.id.clone(),
            login: me.login.clone(),
            role: me.role.clone(),
        },
        can_write: true,
        policy: FindingPolicy {
            internal_domains: domains,
            detectors: Default::default(),
        },
        actor: govern::actor_label(me.login.as_deref()),
    });
    let findings = store
        .findings_after(CONN, &Default::default(), 0, 1_000_000)
        .await?;
    let mut targets = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &findings {
        if let Some(req) = policy::action_for(ActionKind::RemoveLink, f) {
            if seen.insert((req.item_type.as_str(), req.item_id.clone())) {
                targets.push(req);
            }
        }
    }
    let items = items.min(targets.len() / 2);
    let batch = store
        .create_batch(
            CONN,
            "remove-link",
            "{}",
            (2 * items) as i64,
            Utc::now().into(),
        )
        .await?;
    let mut ids = Vec::new();
    for req in targets.iter().take(2 * items) {
        let state = g.read_stored(req.item_type, &req.item_id).await?;
        let p = g.preview_on(req, state, String::new()).await?;
        ids.push(g.record_pending(&p.preview, Some(batch), None).await?);
    }
    let (serial_ids, bulk_ids) = ids.split_at(items);
    let before = count.0.load(Ordering::Relaxed);
    let (serial, serial_done) = run(&g, serial_ids.to_vec(), 1).await?;
    let serial_requests = count.0.load(Ordering::Relaxed) - before;
    let before = count.0.load(Ordering::Relaxed);
    let (bulk, bulk_done) = run(&g, bulk_ids.to_vec(), 8).await?;
    let bulk_requests = count.0.load(Ordering::Relaxed) - before;
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!("bulk remove-link over {items} items each (20 ms answers, 600 requests/min per user, as-user charged to the owner):");
    println!(
        "  one at a time: {:.1} items/s ({} done in {:.1} s), {:.2} requests per item",
        rate(serial_done, serial),
        serial_done,
        serial.as_secs_f64(),
        serial_requests as f64 / items as f64
    );
    println!(
        "  eight at once across owners: {:.1} items/s ({} done in {:.1} s), {:.2} requests per item",
        rate(bulk_done, bulk),
        bulk_done,
        bulk.as_secs_f64(),
        bulk_requests as f64 / items as f64
    );
    println!(
        "  ratio: {:.1}x the one-at-a-time rate",
        rate(bulk_done, bulk) / rate(serial_done, serial)
    );
    Ok(())
}
