//! Prints what the store costs on this machine, each figure next to a
//! baseline measured in the same run:
//!
//!   cargo run --release -p connector-core --example store_bench
//!
//! - logging one API call (its own `BEGIN IMMEDIATE` transaction, as
//!   `box_api` does) vs a bare autocommit INSERT of the same row;
//! - computing health over a busy hour vs just reading that hour's rows;
//! - `Store::open` (lock, quick integrity check, migration check) of a
//!   database holding a week of calls vs a bare SQLite connect + query.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use connector_core::health::TokenFacts;
use connector_core::store::{ApiCallRecord, ConnectionRecord, ConnectionState, Store};
use sqlx::sqlite::SqliteConnectOptions;
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
        })
        .await?;

    // 1. Logging calls.
    const CALLS: u32 = 2_000;
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
        .bind(c.at.timestamp())
        .bind(&c.method)
        .bind(&c.endpoint)
        .bind(c.status)
        .bind(c.latency_ms)
        .bind(c.rate_limited)
        .execute(store.pool())
        .await?;
    }
    let bare = started.elapsed();
    println!(
        "record_api_call: {:.0} µs/call; bare autocommit INSERT: {:.0} µs/call; ratio {:.2}",
        per_op(logged, CALLS),
        per_op(bare, CALLS),
        logged.as_secs_f64() / bare.as_secs_f64()
    );

    // 2. Health over the last hour (≈3,600 + 2,000 rows in the window).
    const ROUNDS: u32 = 50;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        std::hint::black_box(store.health(None, TokenFacts::default(), now).await?);
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

    // 3. Opening a database holding a week of calls (one every 3 s).
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) \
         INSERT INTO api_calls (connection_id, at, method, endpoint, status, latency_ms, rate_limited) \
         SELECT 'bench', ? - i * 3, 'GET', '/2.0/files/' || i, 200, 50 + i % 400, 0 FROM n",
    )
    .bind(now.timestamp())
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
    Ok(())
}

/// The example needs no error crate: any error just ends it with a message.
mod anyhow_free {
    pub type Result = std::result::Result<(), Box<dyn std::error::Error>>;
}
