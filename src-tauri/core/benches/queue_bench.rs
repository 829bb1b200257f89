//! The scan queue at one million files, each figure next to a baseline
//! measured in the same run:
//!
//!   cargo bench -p connector-core --bench queue_bench
//!
//! - enqueue rate (the full scan's batches) through `Store::enqueue`, vs the
//!   same statements on a bare sqlx connection to a second file;
//! - batched claim + complete through the Store vs the same statements on
//!   the bare connection (target ≥ 50k files/s);
//! - priority-bump latency p50/p99 (an event moving one file to the front)
//!   while a worker claims and completes (target p99 < 5 ms);
//! - the status screen's queue part: `queue_depth`, and `scan_counts` with
//!   `queue_front(50)` (the rows joined with names and paths) as the status
//!   screen reads them, idle and while the worker runs (target p99 < 20 ms).
//!
//! No timing is asserted; the figures are for the README.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use connector_core::store::{Enqueue, ItemKind, Millis, Store};
use rand::Rng;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};

const CONN: &str = "bench:enterprise:1";
const FILES: usize = 1_000_000;
/// Files per enqueue call (a few folder listings' worth).
const ENQUEUE_BATCH: usize = 5_000;
/// Files per claim, as a worker pool would take them.
const CLAIM_BATCH: usize = 1_000;
/// Files claimed and completed by each side of the comparison.
const CLAIMED: usize = 200_000;
const LEASE: Duration = Duration::from_secs(300);
const BUMPS: usize = 300;
/// Claim + complete rounds, alternating Store and bare.
const ROUNDS: usize = 10;
const STATUS_READS: usize = 300;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

fn now() -> Millis {
    Millis::from(Utc::now())
}

fn file_id(i: usize) -> String {
    format!("f{i:07}")
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at].as_secs_f64() * 1e3
}

// The queue's statements as store/queue.rs runs them (enqueue of a full
// scan's batch, claim, complete, the counters), for the bare baseline.
const INSERT: &str =
    "INSERT INTO scan_queue (connection_id, item_type, item_id, priority, reason, \
         reason_event_id, reason_detail, enqueued_at) \
     SELECT ?1, ?2, value, ?4, ?5, ?6, ?7, ?8 FROM json_each(?3) WHERE true \
     ON CONFLICT (connection_id, item_type, item_id) DO NOTHING";
const BUMP_FAILED: &str =
    "UPDATE scan_queue SET priority = ?4, reason = ?5, reason_event_id = ?6, \
         reason_detail = ?7, version = version + 1, enqueued_at = ?8, \
         state = 'queued', attempts = 0, not_before = 0 \
     WHERE connection_id = ?1 AND item_type = ?2 \
       AND item_id IN (SELECT value FROM json_each(?3)) \
       AND priority > ?4 AND state = 'failed'";
const BUMP: &str = "UPDATE scan_queue SET priority = ?4, reason = ?5, reason_event_id = ?6, \
         reason_detail = ?7, version = version + 1, enqueued_at = ?8 \
     WHERE connection_id = ?1 AND item_type = ?2 \
       AND item_id IN (SELECT value FROM json_each(?3)) \
       AND priority > ?4 AND state <> 'failed'";
const CLAIM: &str =
    "UPDATE scan_queue SET state = 'leased', lease_owner = ?2, lease_expires_at = ?3 \
     WHERE connection_id = ?1 AND (item_type, item_id) IN ( \
         SELECT item_type, item_id FROM scan_queue \
         WHERE connection_id = ?1 AND state = 'queued' AND not_before <= ?4 \
         ORDER BY priority, enqueued_at LIMIT ?5) \
     RETURNING item_type, item_id, priority, reason, reason_event_id, reason_detail, \
               attempts, version, enqueued_at";
const COMPLETE: &str = "DELETE FROM scan_queue WHERE connection_id = ?1 AND item_type = ?2 \
       AND (item_id, version) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?3)) \
       AND state <> 'failed'";
const REQUEUE: &str =
    "UPDATE scan_queue SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL \
     WHERE connection_id = ?1 AND item_type = ?2 \
       AND item_id IN (SELECT value ->> 0 FROM json_each(?3)) AND +state = 'leased'";
const COUNTS_ROW: &str = "INSERT OR IGNORE INTO scan_counts (connection_id) VALUES (?)";
const COUNTS: &str = "UPDATE scan_counts SET files_queued = files_queued + ?2, \
     files_failed = files_failed + ?3 WHERE connection_id = ?1";
#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("store.sqlite3")).await?;
    // The baseline's file gets the same schema, then a bare connection with
    // the store's settings (WAL, synchronous NORMAL).
    let bare_path = dir.path().join("bare.sqlite3");
    Store::open(&bare_path).await?.close().await;
    let mut bare = SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(&bare_path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal),
    )
    .await?;
    let ids: Vec<String> = (0..FILES).map(file_id).collect();
    println!("queue at {FILES} files ({ENQUEUE_BATCH}/enqueue, {CLAIM_BATCH}/claim)");

    // 1. Enqueue.
    let started = Instant::now();
    for (n, chunk) in ids.chunks(ENQUEUE_BATCH).enumerate() {
        let items = chunk.iter().map(Enqueue::full_scan).collect();
        store.enqueue_at(CONN, items, at(n)).await?;
    }
    let enqueued = started.elapsed();
    let started = Instant::now();
    for (n, chunk) in ids.chunks(ENQUEUE_BATCH).enumerate() {
        bare_enqueue(&mut bare, chunk, at(n)).await?;
    }
    let bare_enqueued = started.elapsed();
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "enqueue: {:.0} files/s through the Store; bare sqlx, same statements: {:.0} files/s; ratio {:.2}",
        rate(FILES, enqueued),
        rate(FILES, bare_enqueued),
        enqueued.as_secs_f64() / bare_enqueued.as_secs_f64()
    );
    // Names and paths for the status screen's join.
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO files (connection_id, file_id, name, path, owner_login, discovered_at) \
         SELECT connection_id, item_id, item_id || '.docx', 'All Files/Team ' || (rowid_ % 100) || \
             '/' || item_id || '.docx', 'user' || (rowid_ % 100) || '@example.com', 0 \
         FROM (SELECT connection_id, item_id, CAST(substr(item_id, 2) AS INTEGER) AS rowid_ \
               FROM scan_queue WHERE connection_id = ?)",
    )
    .bind(CONN)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    // 2. Claim + complete, the Store against the bare connection, in
    // alternating rounds so both see the same machine load. CPU time is
    // printed too: on a shared machine it says more than the wall clock.
    let (mut store_wall, mut bare_wall) = (Duration::ZERO, Duration::ZERO);
    let (mut store_cpu, mut bare_cpu) = (Duration::ZERO, Duration::ZERO);
    let (mut done, mut bare_done) = (0, 0);
    for _ in 0..ROUNDS {
        let (started, cpu) = (Instant::now(), cpu_time());
        let mut n = 0;
        while n < CLAIMED / ROUNDS {
            let claimed = store
                .claim(CONN, "bench", CLAIM_BATCH, LEASE, now())
                .await?;
            store.complete(CONN, &claimed).await?;
            n += claimed.len();
        }
        done += n;
        store_wall += started.elapsed();
        store_cpu += cpu_time().saturating_sub(cpu);
        let (started, cpu) = (Instant::now(), cpu_time());
        let mut n = 0;
        while n < CLAIMED / ROUNDS {
            n += bare_claim_complete(&mut bare, CLAIM_BATCH).await?;
        }
        bare_done += n;
        bare_wall += started.elapsed();
        bare_cpu += cpu_time().saturating_sub(cpu);
    }
    println!(
        "claim + complete: {:.0} files/s through the Store (target ≥ 50000); bare sqlx: {:.0} files/s; ratio {:.2}",
        rate(done, store_wall),
        rate(bare_done, bare_wall),
        store_wall.as_secs_f64() / bare_wall.as_secs_f64()
    );
    if !store_cpu.is_zero() && !bare_cpu.is_zero() {
        println!(
            "  per CPU-second (this process): Store {:.0} files, bare {:.0} files; ratio {:.2}",
            rate(done, store_cpu),
            rate(bare_done, bare_cpu),
            store_cpu.as_secs_f64() / bare_cpu.as_secs_f64()
        );
    }
    // One claim + complete of a batch alone, for scale against the bumps.
    let mut single = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        bare_claim_complete(&mut bare, CLAIM_BATCH).await?;
        single.push(started.elapsed());
    }
    println!(
        "  one bare claim + complete of {CLAIM_BATCH}: p50 {:.1} ms",
        percentile(&mut single, 0.5)
    );
    bare.close().await?;

    // 3. The status screen, idle.
    let (depth_idle, front_idle) = status_reads(&store).await?;
    let depth = store.queue_depth(CONN).await?;
    println!(
        "status screen at {} queued / {} leased / {} failed (queue_depth; scan_counts + queue_front(50)):",
        depth.queued, depth.leased, depth.failed
    );
    let mut status = vec![("idle", depth_idle, front_idle)];

    // 4. Bumps and status reads while a worker claims and completes, with
    // the worker's batch as big as above and smaller: a bump waits for the
    // transaction in flight.
    for batch in [CLAIM_BATCH, CLAIM_BATCH / 10] {
        let stop = Arc::new(AtomicBool::new(false));
        let worked = Arc::new(AtomicU64::new(0));
        let worker = {
            let (store, stop, worked) = (store.clone(), stop.clone(), worked.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let claimed = store.claim(CONN, "worker", batch, LEASE, now()).await?;
                    store.complete(CONN, &claimed).await?;
                    worked.fetch_add(claimed.len() as u64, Ordering::Relaxed);
                }
                Ok::<_, BenchError>(())
            })
        };
        let started = Instant::now();
        let mut bumps = Vec::with_capacity(BUMPS);
        for i in 0..BUMPS {
            // A file far back in the queue, edited in Box.
            let id = file_id(rand::thread_rng().gen_range(FILES * 3 / 4..FILES));
            let edit = Enqueue::event(ItemKind::File, id, format!("ev-{batch}-{i}"), "EDIT");
            let asked = Instant::now();
            store.enqueue_at(CONN, vec![edit], now()).await?;
            bumps.push(asked.elapsed());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let (depth_busy, front_busy) = status_reads(&store).await?;
        stop.store(true, Ordering::Relaxed);
        worker.await??;
        let busy = started.elapsed();
        println!(
            "priority bump while a worker claims {batch} at a time ({:.0} files/s meanwhile): \
             p50 {:.2} ms, p99 {:.2} ms (target p99 < 5)",
            worked.load(Ordering::Relaxed) as f64 / busy.as_secs_f64(),
            percentile(&mut bumps.clone(), 0.5),
            percentile(&mut bumps, 0.99),
        );
        status.push((
            if batch == CLAIM_BATCH {
                "worker running, big batches"
            } else {
                "worker running, small batches"
            },
            depth_busy,
            front_busy,
        ));
    }
    for (when, mut depth, mut front) in status {
        println!(
            "  {when}: queue_depth p50 {:.2} ms, p99 {:.2} ms; scan_counts + queue_front(50) p50 {:.2} ms, p99 {:.2} ms (target < 20)",
            percentile(&mut depth.clone(), 0.5),
            percentile(&mut depth, 0.99),
            percentile(&mut front.clone(), 0.5),
            percentile(&mut front, 0.99)
        );
    }
    store.close().await;
    Ok(())
}

/// Distinct, increasing enqueue times, one per batch.
fn at(batch: usize) -> Millis {
    Millis::from(
        DateTime::from_timestamp_millis(1_764_000_000_000 + batch as i64).unwrap_or_default(),
    )
}

async fn status_reads(store: &Store) -> Result<(Vec<Duration>, Vec<Duration>), BenchError> {
    let mut depth = Vec::with_capacity(STATUS_READS);
    let mut front = Vec::with_capacity(STATUS_READS);
    for _ in 0..STATUS_READS {
        let started = Instant::now();
        std::hint::black_box(store.queue_depth(CONN).await?);
        depth.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(store.scan_counts(CONN).await?);
        std::hint::black_box(store.queue_front(CONN, 50).await?);
        front.push(started.elapsed());
    }
    Ok((depth, front))
}

async fn bare_enqueue(
    conn: &mut SqliteConnection,
    chunk: &[String],
    at: Millis,
) -> Result<(), BenchError> {
    let ids = serde_json::to_string(chunk)?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    for sql in [BUMP_FAILED, BUMP] {
        sqlx::query(sql)
            .bind(CONN)
            .bind("file")
            .bind(&ids)
            .bind(50)
            .bind("full_scan")
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(at)
            .execute(&mut *tx)
            .await?;
    }
    let inserted = sqlx::query(INSERT)
        .bind(CONN)
        .bind("file")
        .bind(&ids)
        .bind(50)
        .bind("full_scan")
        .bind(None::<String>)
        .bind(None::<String>)
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    counts(&mut tx, inserted as i64).await?;
    tx.commit().await?;
    Ok(())
}

async fn counts(conn: &mut SqliteConnection, queued: i64) -> Result<(), BenchError> {
    sqlx::query(COUNTS_ROW)
        .bind(CONN)
        .execute(&mut *conn)
        .await?;
    sqlx::query(COUNTS)
        .bind(CONN)
        .bind(queued)
        .bind(0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One claim and its complete, each in its own transaction as the Store does.
async fn bare_claim_complete(
    conn: &mut SqliteConnection,
    batch: usize,
) -> Result<usize, BenchError> {
    use sqlx::Row;
    let now = Utc::now().timestamp_millis();
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let rows = sqlx::query(CLAIM)
        .bind(CONN)
        .bind("bench")
        .bind(now + LEASE.as_millis() as i64)
        .bind(now)
        .bind(batch as i64)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let done: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.get::<String, _>("item_id"), r.get::<i64, _>("version")))
        .collect();
    let batch = serde_json::to_string(&done)?;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let deleted = sqlx::query(COMPLETE)
        .bind(CONN)
        .bind("file")
        .bind(&batch)
        .execute(&mut *tx)
        .await?
        .rows_affected() as usize;
    if deleted < done.len() {
        sqlx::query(REQUEUE)
            .bind(CONN)
            .bind("file")
            .bind(&batch)
            .execute(&mut *tx)
            .await?;
    }
    counts(&mut tx, -(deleted as i64)).await?;
    tx.commit().await?;
    Ok(done.len())
}

/// This process's CPU time (user + system) on Linux; zero elsewhere.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command's closing parenthesis; utime and stime are
    // the 12th and 13th, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}
