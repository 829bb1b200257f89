//! Prints what the store costs on this machine, each figure next to a
//! baseline measured in the same run:
//!
//!   cargo bench -p connector-core --bench store_bench
//!
//! - logging one API call (one write through the single writer, awaited
//!   alone) vs a bare autocommit INSERT of the same row;
//! - the single writer's throughput: 1,000 small writes from 16 concurrent
//!   tasks (group commit) vs one task doing the same 1,000 writes in one
//!   transaction, and vs the same 16 tasks each committing on its own;
//! - computing health over a busy hour vs just reading that hour's rows;
//! - `Store::open` (lock, migration check; no integrity check after a clean
//!   close) of a database holding a week of calls vs a bare SQLite connect +
//!   query, and the integrity check that an open after a crash runs.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use connector_core::health::TokenFacts;
use connector_core::store::{ApiCallRecord, ConnectionRecord, ConnectionState, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::Connection;

fn call(at: chrono::DateTime<Utc>, i: u32) -> ApiCallRecord {
    ApiCallRecord {
        connection_id: Some("bench".into()),
        at,
        method: "GET".into(),
        endpoint: "/2.0/events".into(),
        status: Some(if i.is_multiple_of(50) { 429 } else { 200 }),
        latency_ms: 40 + i % 300,
        rate_limited: i.is_multiple_of(50),
        error_code: None,
    }
}

fn per_op(total: Duration, n: u32) -> f64 {
    total.as_secs_f64() * 1e6 / f64::from(n)
}

#[tokio::main]
async fn main() -> anyhow_free::Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.sqlite3");
    let store = Store::open(&path).await?;
    let now = Utc::now();
    store
        .save_connection(&ConnectionRecord {
            id: "bench".into(),
            datacenter_id: "sandbox".into(),
            client_id: "c".into(),
            authorize_url: "a".into(),
            token_url: "t".into(),
            revoke_url: "r".into(),
            api_url: "u".into(),
            account_id: None,
            account_login: None,
            account_name: None,
            role: None,
            enterprise_id: None,
            enterprise_name: None,
            state: ConnectionState::Connected,
            state_reason: None,
            connected_at: now,
            access_token_expires_at: None,
            refresh_token_issued_at: None,
            last_success_at: None,
            updated_at: now,
            scopes: None,
        })
        .await?;

    // 1. Logging calls.
    const CALLS: u32 = 2_000;
    // The store's own settings (WAL, synchronous NORMAL), so only the
    // transaction handling differs.
    let mut bare_conn = sqlx::SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal),
    )
    .await?;
    let started = Instant::now();
    for i in 0..CALLS {
        store
            .record_api_call(&call(now - TimeDelta::seconds(i64::from(i)), i))
            .await?;
    }
    let logged = started.elapsed();
    let started = Instant::now();
    for i in 0..CALLS {
        let c = call(now, i);
        sqlx::query(
            "INSERT INTO api_calls (connection_id, at, method, endpoint, status, latency_ms, rate_limited) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.connection_id)
        .bind(c.at.timestamp_millis())
        .bind(&c.method)
        .bind(&c.endpoint)
        .bind(c.status)
        .bind(c.latency_ms)
        .bind(c.rate_limited)
        .execute(&mut bare_conn)
        .await?;
    }
    let bare = started.elapsed();
    bare_conn.close().await?;
    println!(
        "record_api_call: {:.0} µs/call; bare autocommit INSERT: {:.0} µs/call; ratio {:.2}",
        per_op(logged, CALLS),
        per_op(bare, CALLS),
        logged.as_secs_f64() / bare.as_secs_f64()
    );

    // 2. The single writer's throughput.
    writer_throughput(&store).await?;

    // 3. Health over the last hour (≈3,600 + 2,000 rows in the window).
    const ROUNDS: u32 = 50;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        std::hint::black_box(
            connector_core::health::read(&store, None, TokenFacts::default(), now).await?,
        );
    }
    let health = started.elapsed();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        std::hint::black_box(
            store
                .api_calls_since(now - TimeDelta::hours(1), Some("bench"))
                .await?,
        );
    }
    let read_only = started.elapsed();
    println!(
        "health(): {:.2} ms; reading the hour's rows alone: {:.2} ms; ratio {:.2}",
        per_op(health, ROUNDS) / 1e3,
        per_op(read_only, ROUNDS) / 1e3,
        health.as_secs_f64() / read_only.as_secs_f64()
    );

    // 4. Opening a database holding a week of calls (one every 3 s).
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) \
         INSERT INTO api_calls (connection_id, at, method, endpoint, status, latency_ms, rate_limited) \
         SELECT 'bench', ? - i * 3000, 'GET', '/2.0/files/' || i, 200, 50 + i % 400, 0 FROM n",
    )
    .bind(now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    store.close().await;
    let size_mb = std::fs::metadata(&path)?.len() as f64 / 1e6;

    const OPENS: u32 = 5;
    let mut opened = Duration::ZERO;
    let mut closed = Duration::ZERO;
    for _ in 0..OPENS {
        let started = Instant::now();
        let store = Store::open(&path).await?;
        opened += started.elapsed();
        let started = Instant::now();
        store.close().await;
        closed += started.elapsed();
    }
    let started = Instant::now();
    for _ in 0..OPENS {
        let mut conn =
            sqlx::SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
                .await?;
        sqlx::query("SELECT COUNT(*) FROM settings")
            .execute(&mut conn)
            .await?;
        conn.close().await?;
    }
    let bare_open = started.elapsed();
    println!(
        "Store::open of a {size_mb:.1} MB database: {:.1} ms (close: {:.1} ms); bare connect + query: {:.1} ms; ratio {:.1}",
        per_op(opened, OPENS) / 1e3,
        per_op(closed, OPENS) / 1e3,
        per_op(bare_open, OPENS) / 1e3,
        opened.as_secs_f64() / bare_open.as_secs_f64()
    );

    let store = Store::open(&path).await?;
    let started = Instant::now();
    let problems = store.check_integrity().await?;
    let checked = started.elapsed();
    store.close().await;
    println!(
        "check_integrity (what an open after a crash adds): {:.1} ms ({}); ratio to a clean open {:.1}",
        checked.as_secs_f64() * 1e3,
        if problems.is_empty() { "sound" } else { "damaged" },
        checked.as_secs_f64() / (opened.as_secs_f64() / f64::from(OPENS))
    );
    Ok(())
}

/// 1,000 small writes (one settings upsert each) from 16 concurrent tasks
/// through the single writer, against one task doing the same 1,000 upserts
/// in one transaction, and the same 16 tasks each paying its own commit.
/// Each is run `ROUNDS` times, interleaved, and the median is printed, so
/// a burst of load on the machine does not land on one of them alone.
async fn writer_throughput(store: &Store) -> anyhow_free::Result {
    const ROUNDS: usize = 5;
    let mut batched = Vec::new();
    let mut one_tx = Vec::new();
    let mut own_tx = Vec::new();
    let before = store.write_stats();
    for round in 0..ROUNDS {
        batched.push(sixteen_tasks_batched(store, round).await?);
        one_tx.push(one_task_one_transaction(store, round).await?);
        own_tx.push(sixteen_tasks_own_transactions(store, round).await?);
    }
    let stats = store.write_stats();
    let per_batch = (stats.writes - before.writes) as f64
        / (stats.transactions - before.transactions).max(1) as f64;
    let (batched, one_tx, own_tx) = (median(batched), median(one_tx), median(own_tx));
    let per_sec = |d: Duration| WRITES as f64 / d.as_secs_f64();
    println!(
        "single writer, {WRITES} writes from {TASKS} tasks: {:.0} writes/s ({per_batch:.0} writes per \
         transaction); one task, one transaction: {:.0} writes/s; ratio {:.2} (time, batched / one transaction)",
        per_sec(batched),
        per_sec(one_tx),
        batched.as_secs_f64() / one_tx.as_secs_f64()
    );
    println!(
        "  {TASKS} tasks each committing its own transaction: {:.0} writes/s; ratio {:.2} (time, own / batched)",
        per_sec(own_tx),
        own_tx.as_secs_f64() / batched.as_secs_f64()
    );
    Ok(())
}

const WRITES: usize = 1_000;
const TASKS: usize = 16;
const UPSERT: &str = "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

fn key(kind: &str, round: usize, i: usize) -> String {
    format!("bench.{kind}.{round}.{i:04}")
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn sixteen_tasks_batched(store: &Store, round: usize) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in (task..WRITES).step_by(TASKS) {
                    store.set_setting(&key("batched", round, i), "v").await?;
                }
                Ok::<_, BenchError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

/// On a runtime worker like the writer task (not the main thread), so the
/// two pay the same wake-ups per statement.
async fn one_task_one_transaction(store: &Store, round: usize) -> Result<Duration, BenchError> {
    let store = store.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let mut tx = store.begin_write().await?;
        for i in 0..WRITES {
            sqlx::query(UPSERT)
                .bind(key("one-tx", round, i))
                .bind("v")
                .bind(Utc::now().timestamp_millis())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<_, BenchError>(started.elapsed())
    })
    .await?
}

async fn sixteen_tasks_own_transactions(
    store: &Store,
    round: usize,
) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in (task..WRITES).step_by(TASKS) {
                    let mut tx = store.begin_write().await?;
                    sqlx::query(UPSERT)
                        .bind(key("own-tx", round, i))
                        .bind("v")
                        .bind(Utc::now().timestamp_millis())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok::<_, BenchError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// The bench needs no error crate: any error just ends it with a message.
mod anyhow_free {
    pub type Result = std::result::Result<(), super::BenchError>;
}
