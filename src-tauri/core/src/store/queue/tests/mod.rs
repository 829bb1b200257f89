//! Queue tests, each on a real SQLite file in its own temp dir.

use std::collections::HashMap;
use std::time::Duration;

use chrono::DateTime;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::store::DATABASE_FILE_NAME;

mod effects;
mod failures;
mod invariants;
mod order;

const CONN: &str = "sandbox:enterprise:42";
const LEASE: Duration = Duration::from_secs(60);

fn ms(millis: i64) -> Millis {
    Millis::from(DateTime::from_timestamp_millis(millis).expect("valid instant"))
}

async fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path().join(DATABASE_FILE_NAME))
        .await
        .expect("store opens")
}

fn file(id: &str, priority: i64, reason: QueueReason) -> Enqueue {
    Enqueue {
        item: ItemKind::File,
        item_id: id.to_owned(),
        priority,
        reason,
        reason_event_id: None,
        reason_detail: None,
    }
}

fn ids(claimed: &[Claimed]) -> Vec<&str> {
    claimed.iter().map(|c| c.item_id.as_str()).collect()
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Row {
    priority: i64,
    state: String,
    reason: String,
    reason_event_id: Option<String>,
    reason_detail: Option<String>,
    attempts: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    not_before: i64,
    last_error: Option<String>,
    version: i64,
}

async fn row(store: &Store, kind: ItemKind, id: &str) -> Option<Row> {
    sqlx::query_as(
        "SELECT priority, state, reason, reason_event_id, reason_detail, attempts, lease_owner, \
                lease_expires_at, not_before, last_error, version \
         FROM scan_queue WHERE connection_id = ? AND item_type = ? AND item_id = ?",
    )
    .bind(CONN)
    .bind(kind.as_str())
    .bind(id)
    .fetch_optional(store.pool())
    .await
    .unwrap()
}

/// (files_queued, files_failed) from the counters, and the same counted.
async fn counters(store: &Store, connection_id: &str) -> ((i64, i64), (i64, i64)) {
    let kept: Option<(i64, i64)> = sqlx::query_as(
        "SELECT files_queued, files_failed FROM scan_counts WHERE connection_id = ?",
    )
    .bind(connection_id)
    .fetch_optional(store.pool())
    .await
    .unwrap();
    let counted: (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(state = 'failed'), 0) FROM scan_queue \
         WHERE connection_id = ? AND item_type = 'file'",
    )
    .bind(connection_id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    (kept.unwrap_or((0, 0)), counted)
}

async fn assert_counters_exact(store: &Store) {
    let (kept, counted) = counters(store, CONN).await;
    assert_eq!(kept, counted, "scan_counts (files_queued, files_failed)");
}

async fn raw(store: &Store, sql: &str) {
    let mut tx = store.begin_write().await.unwrap();
    sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// A live event flagged for the queue (as the events module stores one).
async fn insert_event(
    store: &Store,
    event_id: &str,
    event_type: &str,
    kind: &str,
    item: (&str, &str),
) {
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query(
        "INSERT INTO events (connection_id, event_id, event_type, kind, created_at, ingested_at, \
             stream, item_type, item_id, pending_effect) \
         VALUES (?, ?, ?, ?, 5000, 5001, 'admin_logs_streaming', ?, ?, 1)",
    )
    .bind(CONN)
    .bind(event_id)
    .bind(event_type)
    .bind(kind)
    .bind(item.0)
    .bind(item.1)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}
