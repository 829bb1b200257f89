//! Queue tests, each on a real SQLite file in its own temp dir.

use std::collections::HashMap;
use std::time::Duration;

use chrono::DateTime;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::store::DATABASE_FILE_NAME;

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

#[tokio::test]
async fn claims_events_before_the_full_scan_and_fifo_within_a_priority() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
        let at = ms(1_000 + i as i64);
        store
            .enqueue_at(CONN, vec![Enqueue::full_scan(id)], at)
            .await
            .unwrap();
    }
    let late = Enqueue::event(ItemKind::File, "x", "ev-1", "EDIT");
    store.enqueue_at(CONN, vec![late], ms(2_000)).await.unwrap();
    store
        .enqueue_at(
            CONN,
            vec![file("p", priority::PERIODIC, QueueReason::Periodic)],
            ms(500),
        )
        .await
        .unwrap();

    let first = store.claim(CONN, "w1", 2, LEASE, ms(3_000)).await.unwrap();
    assert_eq!(ids(&first), ["x", "a"]);
    assert_eq!(first[0].reason, QueueReason::Event);
    assert_eq!(first[0].reason_event_id.as_deref(), Some("ev-1"));
    assert_eq!(first[0].reason_detail.as_deref(), Some("EDIT"));
    let leased = row(&store, ItemKind::File, "x").await.unwrap();
    assert_eq!(leased.state, "leased");
    assert_eq!(leased.lease_owner.as_deref(), Some("w1"));
    assert_eq!(leased.lease_expires_at, Some(3_000 + 60_000));

    // Leased rows are not claimed again; the rest follow in order.
    let rest = store.claim(CONN, "w2", 10, LEASE, ms(3_000)).await.unwrap();
    assert_eq!(ids(&rest), ["b", "c", "p"]);
    assert!(store
        .claim(CONN, "w2", 10, LEASE, ms(3_000))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.queue_depth(CONN).await.unwrap(),
        QueueDepth {
            queued: 0,
            leased: 5,
            failed: 0
        }
    );
    assert_counters_exact(&store).await;
}

#[tokio::test]
async fn a_bump_never_demotes_and_takes_the_lower_priority_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .enqueue_at(CONN, vec![Enqueue::full_scan("a")], ms(1_000))
        .await
        .unwrap();
    let before = row(&store, ItemKind::File, "a").await.unwrap();

    // A later, lower-urgency reason changes nothing.
    let periodic = file("a", priority::PERIODIC, QueueReason::Periodic);
    assert_eq!(
        store
            .enqueue_at(CONN, vec![periodic], ms(2_000))
            .await
            .unwrap(),
        0
    );
    assert_eq!(row(&store, ItemKind::File, "a").await.unwrap(), before);

    // An event moves it to the front, with the event as its reason.
    let event = Enqueue::event(ItemKind::File, "a", "ev-9", "ITEM_SHARED_UPDATE");
    assert_eq!(
        store
            .enqueue_at(CONN, vec![event], ms(3_000))
            .await
            .unwrap(),
        1
    );
    let bumped = row(&store, ItemKind::File, "a").await.unwrap();
    assert_eq!(bumped.priority, priority::EVENT);
    assert_eq!(bumped.reason, "event");
    assert_eq!(bumped.reason_event_id.as_deref(), Some("ev-9"));
    assert_eq!(bumped.reason_detail.as_deref(), Some("ITEM_SHARED_UPDATE"));
    assert_eq!(bumped.version, before.version + 1);

    // ...and a full scan reaching it again does not send it back.
    store
        .enqueue_at(CONN, vec![Enqueue::full_scan("a")], ms(4_000))
        .await
        .unwrap();
    assert_eq!(row(&store, ItemKind::File, "a").await.unwrap(), bumped);

    // Within one batch, the lowest priority wins too.
    let batch = vec![
        file("b", priority::FULL_SCAN, QueueReason::FullScan),
        file("b", priority::CHANGED_ETAG, QueueReason::ChangedEtag),
        file("b", priority::PERIODIC, QueueReason::Periodic),
    ];
    assert_eq!(store.enqueue_at(CONN, batch, ms(5_000)).await.unwrap(), 1);
    let b = row(&store, ItemKind::File, "b").await.unwrap();
    assert_eq!(
        (b.priority, b.reason.as_str()),
        (priority::CHANGED_ETAG, "changed_etag")
    );
    assert_counters_exact(&store).await;
    let ((queued, _), _) = counters(&store, CONN).await;
    assert_eq!(queued, 2);
}

#[tokio::test]
async fn a_row_bumped_while_leased_is_requeued_by_complete_with_its_new_priority() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .enqueue_at(
            CONN,
            vec![Enqueue::full_scan("a"), Enqueue::full_scan("b")],
            ms(1_000),
        )
        .await
        .unwrap();
    let claimed = store.claim(CONN, "w", 10, LEASE, ms(2_000)).await.unwrap();
    assert_eq!(ids(&claimed), ["a", "b"]);

    // An edit arrives while "a" is being scanned: the scan may have read
    // the old content, so "a" must be scanned again.
    let edit = Enqueue::event(ItemKind::File, "a", "ev-1", "EDIT");
    store.enqueue_at(CONN, vec![edit], ms(2_500)).await.unwrap();
    let during = row(&store, ItemKind::File, "a").await.unwrap();
    assert_eq!(
        (during.state.as_str(), during.lease_owner.as_deref()),
        ("leased", Some("w"))
    );

    store.complete(CONN, &claimed).await.unwrap();
    assert_eq!(row(&store, ItemKind::File, "b").await, None);
    let again = row(&store, ItemKind::File, "a").await.unwrap();
    assert_eq!(again.state, "queued");
    assert_eq!(again.priority, priority::EVENT);
    assert_eq!((again.lease_owner, again.lease_expires_at), (None, None));

    let second = store.claim(CONN, "w", 10, LEASE, ms(3_000)).await.unwrap();
    assert_eq!(ids(&second), ["a"]);
    assert_eq!(second[0].reason, QueueReason::Event);
    store.complete(CONN, &second).await.unwrap();
    assert_eq!(
        store.queue_depth(CONN).await.unwrap(),
        QueueDepth::default()
    );
    assert_counters_exact(&store).await;
}

#[tokio::test]
async fn failures_back_off_with_jitter_then_stay_visible_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .enqueue_at(CONN, vec![Enqueue::full_scan("a")], ms(0))
        .await
        .unwrap();
    let mut now = 10_000;
    for attempt in 1..=3u32 {
        let claimed = store.claim(CONN, "w", 1, LEASE, ms(now)).await.unwrap();
        assert_eq!(ids(&claimed), ["a"], "attempt {attempt}");
        // Counted at the claim, before any work.
        assert_eq!(claimed[0].attempts, attempt);
        let error = format!("HTTP 500 on attempt {attempt}");
        store
            .fail(CONN, &[(claimed[0].clone(), error.clone())], 3, ms(now))
            .await
            .unwrap();
        let failed = row(&store, ItemKind::File, "a").await.unwrap();
        assert_eq!(failed.attempts, i64::from(attempt));
        assert_eq!(failed.last_error.as_deref(), Some(error.as_str()));
        assert_eq!(failed.lease_owner, None);
        if attempt < 3 {
            assert_eq!(failed.state, "queued");
            let cap = backoff_cap(attempt).as_millis() as i64;
            assert!(
                (now + cap / 2..=now + cap).contains(&failed.not_before),
                "not_before {} outside [{}, {}]",
                failed.not_before,
                now + cap / 2,
                now + cap
            );
            // Not before its backoff has passed.
            let early = store
                .claim(CONN, "w", 1, LEASE, ms(failed.not_before - 1))
                .await
                .unwrap();
            assert!(early.is_empty());
            now = failed.not_before;
        } else {
            assert_eq!(failed.state, "failed");
        }
    }
    // A failed row is never claimed, however long one waits, and is counted.
    assert!(store
        .claim(CONN, "w", 1, LEASE, ms(now + 86_400_000))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.queue_depth(CONN).await.unwrap(),
        QueueDepth {
            queued: 0,
            leased: 0,
            failed: 1
        }
    );
    assert_counters_exact(&store).await;
    assert_eq!(counters(&store, CONN).await.0, (1, 1));

    assert_eq!(store.retry_failed(CONN).await.unwrap(), 1);
    let retried = row(&store, ItemKind::File, "a").await.unwrap();
    assert_eq!((retried.state.as_str(), retried.attempts), ("queued", 0));
    assert_eq!(
        ids(&store.claim(CONN, "w", 1, LEASE, ms(now)).await.unwrap()),
        ["a"]
    );
    assert_counters_exact(&store).await;
    assert_eq!(counters(&store, CONN).await.0, (1, 0));
}

#[tokio::test]
async fn apply_event_effects_bumps_removes_and_leaves_read_events_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    raw(
        &store,
        "INSERT INTO files (connection_id, file_id, name, discovered_at) VALUES \
         ('sandbox:enterprise:42', 'gone', 'gone.txt', 1), \
         ('sandbox:enterprise:42', 'read', 'read.txt', 1)",
    )
    .await;
    let full: Vec<Enqueue> = ["read", "edited", "gone"]
        .into_iter()
        .map(Enqueue::full_scan)
        .collect();
    store.enqueue_at(CONN, full, ms(1_000)).await.unwrap();

    // The events module flags only modify/share/delete; the queue guards anyway.
    insert_event(&store, "e1", "PREVIEW", "read", ("file", "read")).await;
    insert_event(&store, "e2", "EDIT", "modify", ("file", "edited")).await;
    insert_event(&store, "e3", "SHARE", "share", ("folder", "d1")).await;
    insert_event(&store, "e4", "DELETE", "delete", ("file", "gone")).await;
    // An upload then its delete, in one batch: the delete wins (id order).
    insert_event(&store, "e5", "UPLOAD", "modify", ("file", "brief")).await;
    insert_event(&store, "e6", "DELETE", "delete", ("file", "brief")).await;

    let first = store.apply_event_effects(CONN, 4, ms(9_000)).await.unwrap();
    assert_eq!(
        first,
        EventEffects {
            bumped: 2,
            removed: 1,
            pending_left: true
        }
    );
    let second = store
        .apply_event_effects(CONN, 100, ms(9_000))
        .await
        .unwrap();
    assert_eq!(
        second,
        EventEffects {
            bumped: 1,
            removed: 1,
            pending_left: false
        }
    );

    let read = row(&store, ItemKind::File, "read").await.unwrap();
    assert_eq!(
        (read.priority, read.reason.as_str(), read.version),
        (priority::FULL_SCAN, "full_scan", 0)
    );
    let edited = row(&store, ItemKind::File, "edited").await.unwrap();
    assert_eq!(edited.priority, priority::EVENT);
    assert_eq!(
        (
            edited.reason_event_id.as_deref(),
            edited.reason_detail.as_deref()
        ),
        (Some("e2"), Some("EDIT"))
    );
    let folder = row(&store, ItemKind::Folder, "d1").await.unwrap();
    assert_eq!(
        (folder.priority, folder.reason.as_str()),
        (priority::EVENT, "event")
    );
    assert_eq!(row(&store, ItemKind::File, "gone").await, None);
    assert_eq!(row(&store, ItemKind::File, "brief").await, None);

    let removed_at: Option<i64> =
        sqlx::query_scalar("SELECT removed_at FROM files WHERE file_id = 'gone'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(removed_at, Some(5_000), "the event's time");
    let history: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT item_id, outcome, reason, at FROM item_scans WHERE connection_id = ? ORDER BY id",
    )
    .bind(CONN)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        history,
        [
            ("gone".into(), "removed".into(), "event".into(), 9_000),
            ("brief".into(), "removed".into(), "event".into(), 9_000)
        ]
    );
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE pending_effect = 1")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(pending, 0);
    // Each event acts once: running again changes nothing.
    let third = store
        .apply_event_effects(CONN, 100, ms(9_500))
        .await
        .unwrap();
    assert_eq!(third, EventEffects::default());
    assert_eq!(row(&store, ItemKind::Folder, "d1").await.unwrap(), folder);
    assert_counters_exact(&store).await;
    assert_eq!(counters(&store, CONN).await.0, (2, 0), "read + edited");
}

#[tokio::test]
async fn a_new_scanner_reclaims_a_dead_scanners_leases_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let all: Vec<Enqueue> = (0..10)
        .map(|i| Enqueue::full_scan(format!("f{i}")))
        .collect();
    store.enqueue_at(CONN, all, ms(1_000)).await.unwrap();
    let dead = store
        .claim(CONN, "pid-1 cli", 6, LEASE, ms(2_000))
        .await
        .unwrap();
    assert_eq!(dead.len(), 6);
    // The scanner dies without completing; nothing of it survives but the file.
    drop(store);

    let store = open(&dir).await;
    // Its leases have not expired, so waiting them out would take a minute.
    assert_eq!(store.reclaim_expired(CONN, ms(2_001)).await.unwrap(), 0);
    assert_eq!(store.reclaim_all_leases(CONN).await.unwrap(), 6);
    // Every row is back at once: the untouched ones first, then the dead
    // scanner's, each alone (one of them may be what killed it).
    let now = store
        .claim(CONN, "pid-2 app", 100, LEASE, ms(2_001))
        .await
        .unwrap();
    assert_eq!(ids(&now), ["f6", "f7", "f8", "f9"]);
    let mut suspects = Vec::new();
    for _ in 0..6 {
        let one = store
            .claim(CONN, "pid-2 app", 100, LEASE, ms(2_001))
            .await
            .unwrap();
        assert_eq!(one.len(), 1, "a suspect is claimed alone");
        suspects.push(one[0].item_id.clone());
        store.complete(CONN, &one).await.unwrap();
    }
    assert_eq!(suspects, ids(&dead), "front first");

    // Expired leases return on their own too.
    assert_eq!(
        store
            .reclaim_expired(CONN, ms(2_001 + 59_999))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .reclaim_expired(CONN, ms(2_001 + 60_000))
            .await
            .unwrap(),
        4
    );
    assert_eq!(store.queue_depth(CONN).await.unwrap().queued, 4);
}

#[tokio::test]
async fn claim_and_complete_across_reopens_lose_nothing_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir).await;
    let all: Vec<String> = (0..500).map(|i| format!("f{i:03}")).collect();
    store
        .enqueue_at(
            CONN,
            all.iter().map(Enqueue::full_scan).collect(),
            ms(1_000),
        )
        .await
        .unwrap();
    let mut completed: HashMap<String, u32> = HashMap::new();
    let mut round = 0;
    loop {
        let claimed = store
            .claim(CONN, "w", 40, LEASE, ms(2_000 + round))
            .await
            .unwrap();
        if claimed.is_empty() {
            break;
        }
        round += 1;
        if round % 3 == 0 {
            // Dies holding the batch, before any of it started (its
            // journal says so): a restart hands it out again, uncounted.
            if round % 2 == 0 {
                store.close().await;
            } else {
                drop(store);
            }
            store = open(&dir).await;
            store
                .reclaim_after_crash(CONN, Some(&Default::default()))
                .await
                .unwrap();
            continue;
        }
        store.complete(CONN, &claimed).await.unwrap();
        for c in claimed {
            *completed.entry(c.item_id).or_default() += 1;
        }
        if round % 4 == 0 {
            store.close().await;
            store = open(&dir).await;
        }
    }
    assert_eq!(completed.len(), all.len(), "every file completed");
    assert!(completed.values().all(|&n| n == 1), "none completed twice");
    assert_eq!(
        store.queue_depth(CONN).await.unwrap(),
        QueueDepth::default()
    );
    assert_counters_exact(&store).await;
}

#[tokio::test]
async fn counters_equal_the_rows_after_random_operations() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut held: Vec<Claimed> = Vec::new();
    let mut now = 1_000i64;
    let mut events = 0;
    let priorities = [
        (priority::EVENT, QueueReason::Event),
        (priority::CHANGED_ETAG, QueueReason::ChangedEtag),
        (priority::FULL_SCAN, QueueReason::FullScan),
        (priority::PERIODIC, QueueReason::Periodic),
    ];
    let item = |rng: &mut StdRng| {
        let kind = if rng.gen_bool(0.8) {
            ItemKind::File
        } else {
            ItemKind::Folder
        };
        (kind, format!("i{}", rng.gen_range(0..150)))
    };
    for op in 0..3_000 {
        now += rng.gen_range(0..3_000);
        match rng.gen_range(0..100) {
            0..=29 => {
                let items = (0..rng.gen_range(1..8))
                    .map(|_| {
                        let (kind, id) = item(&mut rng);
                        let (priority, reason) = priorities[rng.gen_range(0..priorities.len())];
                        Enqueue {
                            item: kind,
                            item_id: id,
                            priority,
                            reason,
                            reason_event_id: None,
                            reason_detail: None,
                        }
                    })
                    .collect();
                store.enqueue_at(CONN, items, ms(now)).await.unwrap();
            }
            30..=49 => {
                let lease = Duration::from_millis(rng.gen_range(1_000..20_000));
                held.extend(
                    store
                        .claim(CONN, "w", rng.gen_range(1..10), lease, ms(now))
                        .await
                        .unwrap(),
                );
            }
            50..=64 if !held.is_empty() => {
                let n = rng.gen_range(1..=held.len());
                let done: Vec<Claimed> = held.drain(..n).collect();
                store.complete(CONN, &done).await.unwrap();
            }
            65..=74 if !held.is_empty() => {
                let n = rng.gen_range(1..=held.len().min(3));
                let failed: Vec<(Claimed, String)> =
                    held.drain(..n).map(|c| (c, "boom".into())).collect();
                store.fail(CONN, &failed, 3, ms(now)).await.unwrap();
            }
            75..=81 => {
                let (kind, id) = item(&mut rng);
                store.remove(CONN, kind, &id).await.unwrap();
            }
            82..=86 => {
                events += 1;
                let (kind, id) = item(&mut rng);
                let (event_type, class) = [
                    ("EDIT", "modify"),
                    ("DELETE", "delete"),
                    ("PREVIEW", "read"),
                ][rng.gen_range(0..3)];
                insert_event(
                    &store,
                    &format!("e{events}"),
                    event_type,
                    class,
                    (kind.as_str(), &id),
                )
                .await;
                store
                    .apply_event_effects(CONN, rng.gen_range(1..4), ms(now))
                    .await
                    .unwrap();
            }
            87..=90 => {
                store.reclaim_expired(CONN, ms(now)).await.unwrap();
            }
            91..=93 => {
                store.reclaim_all_leases(CONN).await.unwrap();
            }
            94..=96 => {
                store.retry_failed(CONN).await.unwrap();
            }
            _ => {}
        }
        if op % 50 == 0 {
            assert_counters_exact(&store).await;
        }
    }
    assert_counters_exact(&store).await;
    // The depth agrees with the rows as well.
    let depth = store.queue_depth(CONN).await.unwrap();
    let counted: (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(state = 'queued'), 0), COALESCE(SUM(state = 'leased'), 0), \
                COALESCE(SUM(state = 'failed'), 0) FROM scan_queue WHERE connection_id = ?",
    )
    .bind(CONN)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(
        (
            depth.queued as i64,
            depth.leased as i64,
            depth.failed as i64
        ),
        counted
    );
    assert!(
        counted.0 + counted.1 + counted.2 > 0,
        "the sequence leaves rows behind"
    );
    assert!(counted.2 > 0 || depth.failed == 0);
}

#[tokio::test]
async fn connections_have_queues_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    const OTHER: &str = "sandbox:enterprise:7";
    store
        .enqueue_at(CONN, vec![Enqueue::full_scan("a")], ms(1))
        .await
        .unwrap();
    store
        .enqueue_at(OTHER, vec![Enqueue::full_scan("a")], ms(1))
        .await
        .unwrap();
    let mine = store.claim(CONN, "w", 10, LEASE, ms(2)).await.unwrap();
    assert_eq!(ids(&mine), ["a"]);
    assert_eq!(store.reclaim_all_leases(OTHER).await.unwrap(), 0);
    store.complete(CONN, &mine).await.unwrap();
    assert_eq!(store.queue_depth(OTHER).await.unwrap().queued, 1);
    assert_eq!(counters(&store, OTHER).await.0, (1, 0));
}

/// The plan of each queue statement (the same text as in queue.rs, and the
/// status screen's queue query), with nothing bound.
async fn plan(store: &Store, sql: &str) -> Vec<String> {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(store.pool())
        .await
        .unwrap_or_else(|err| panic!("{err}: {sql}"));
    rows.into_iter().map(|r| r.3).collect()
}

#[tokio::test]
async fn every_queue_statement_uses_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let statements = [
        // claim
        "UPDATE scan_queue SET state = 'leased', lease_owner = 'w', lease_expires_at = 9 \
         WHERE connection_id = 'c' AND (item_type, item_id) IN ( \
             SELECT item_type, item_id FROM scan_queue \
             WHERE connection_id = 'c' AND state = 'queued' AND not_before <= 5 \
             ORDER BY priority, enqueued_at LIMIT 100) \
         RETURNING item_type, item_id",
        // bump (enqueue of a queued item)
        "UPDATE scan_queue SET priority = 0, reason = 'event', version = version + 1, enqueued_at = 5 \
         WHERE connection_id = 'c' AND item_type = 'file' \
           AND item_id IN (SELECT value FROM json_each('[\"a\"]')) \
           AND priority > 0 AND state <> 'failed'",
        // complete
        "DELETE FROM scan_queue WHERE connection_id = 'c' AND item_type = 'file' \
           AND (item_id, version) IN (SELECT value ->> 0, value ->> 1 FROM json_each('[[\"a\",1]]')) \
           AND state <> 'failed'",
        "UPDATE scan_queue SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL \
         WHERE connection_id = 'c' AND item_type = 'file' \
           AND item_id IN (SELECT value ->> 0 FROM json_each('[[\"a\",1]]')) AND +state = 'leased'",
        // fail
        "UPDATE scan_queue SET attempts = attempts + 1, state = 'queued' \
         WHERE connection_id = 'c' AND item_type = 'file' AND item_id = 'a' AND state = 'leased'",
        // reclaim
        "UPDATE scan_queue SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL \
         WHERE connection_id = 'c' AND (item_type, item_id) IN ( \
             SELECT item_type, item_id FROM scan_queue INDEXED BY scan_queue_claim \
             WHERE connection_id = 'c' AND state = 'leased' AND (5 IS NULL OR lease_expires_at <= 5))",
        // retry_failed
        "UPDATE scan_queue SET state = 'queued', attempts = 0, not_before = 0 \
         WHERE connection_id = 'c' AND (item_type, item_id) IN ( \
             SELECT item_type, item_id FROM scan_queue WHERE connection_id = 'c' AND state = 'failed') \
         RETURNING item_type",
        // queue_depth's counts
        "SELECT (SELECT COUNT(*) FROM scan_queue WHERE connection_id = 'c' AND item_type = 'folder'), \
                (SELECT COUNT(*) FROM scan_queue WHERE connection_id = 'c' AND state = 'leased')",
        // the status screen's queue, one state at a time (scan_views::queue_front)
        "SELECT q.*, COALESCE(f.name, d.name) FROM scan_queue q \
         LEFT JOIN files f ON q.item_type = 'file' \
              AND f.connection_id = q.connection_id AND f.file_id = q.item_id \
         LEFT JOIN folders d ON q.item_type = 'folder' \
              AND d.connection_id = q.connection_id AND d.folder_id = q.item_id \
         WHERE q.connection_id = 'c' AND q.state = 'queued' ORDER BY q.priority, q.enqueued_at LIMIT 50",
    ];
    for sql in statements {
        let plan = plan(&store, sql).await;
        let text = plan.join("\n");
        for line in &plan {
            let full_scan = line.starts_with("SCAN ")
                && !line.starts_with("SCAN json_each")
                && line != "SCAN CONSTANT ROW";
            assert!(!full_scan, "a table scan:\n{text}\nin {sql}");
            assert!(!line.contains("TEMP B-TREE"), "a sort:\n{text}\nin {sql}");
        }
        let on_queue: Vec<&String> = plan
            .iter()
            .filter(|l| l.contains("scan_queue") || l.contains(" q "))
            .collect();
        assert!(!on_queue.is_empty(), "{text}");
        for line in on_queue {
            let indexed = line.contains("INDEX scan_queue_claim (connection_id=? AND state=?")
                || line.contains("PRIMARY KEY (connection_id=? AND item_type=?");
            assert!(
                indexed,
                "not by the claim index or the key:\n{text}\nin {sql}"
            );
        }
    }
}

#[tokio::test]
async fn a_late_complete_leaves_a_row_another_worker_failed_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .enqueue_at(CONN, vec![Enqueue::full_scan("a")], ms(0))
        .await
        .unwrap();
    let slow = store
        .claim(CONN, "slow", 1, Duration::from_secs(1), ms(1_000))
        .await
        .unwrap();
    // Its lease runs out; another worker takes the row and gives up on it.
    assert_eq!(store.reclaim_expired(CONN, ms(2_000)).await.unwrap(), 1);
    let other = store
        .claim(CONN, "other", 1, LEASE, ms(2_000))
        .await
        .unwrap();
    store
        .fail(CONN, &[(other[0].clone(), "HTTP 403".into())], 1, ms(2_000))
        .await
        .unwrap();
    store.complete(CONN, &slow).await.unwrap();
    let row = row(&store, ItemKind::File, "a").await.unwrap();
    assert_eq!(
        (row.state.as_str(), row.last_error.as_deref()),
        ("failed", Some("HTTP 403"))
    );
    assert_counters_exact(&store).await;
    assert_eq!(counters(&store, CONN).await.0, (1, 1));
}

/// A file whose worker dies on it (a crash or a kill mid-item, so its lease
/// is only ever reclaimed) becomes a suspect: claimed alone and only when
/// nothing else is ready, so the rest of the scan goes on, and after
/// `MAX_CRASHES` deaths it is set aside as failed with the reason: a restart
/// never dies on it again.
#[tokio::test]
async fn an_item_whose_worker_died_three_times_is_set_aside_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .enqueue_at(CONN, vec![Enqueue::full_scan("poison")], ms(0))
        .await
        .unwrap();
    store
        .enqueue_at(
            CONN,
            vec![Enqueue::full_scan("fine-1"), Enqueue::full_scan("fine-2")],
            ms(1),
        )
        .await
        .unwrap();
    // The first death takes the whole batch down with it.
    let batch = store.claim(CONN, "w", 10, LEASE, ms(1_000)).await.unwrap();
    assert_eq!(ids(&batch), ["poison", "fine-1", "fine-2"]);
    store.reclaim_all_leases(CONN).await.unwrap();
    // All three are suspects now: one at a time, whoever claims.
    let one = store.claim(CONN, "w", 10, LEASE, ms(1_000)).await.unwrap();
    assert_eq!(ids(&one), ["poison"]);
    assert!(store
        .claim(CONN, "w2", 10, LEASE, ms(1_000))
        .await
        .unwrap()
        .is_empty());
    store.reclaim_all_leases(CONN).await.unwrap();
    // The innocent ones (one death each) go first and finish.
    for want in ["fine-1", "fine-2"] {
        let claimed = store.claim(CONN, "w", 10, LEASE, ms(1_000)).await.unwrap();
        assert_eq!(ids(&claimed), [want]);
        store.complete(CONN, &claimed).await.unwrap();
    }
    // It dies once more, alone, behind the others (fewer deaths go first).
    let mut left = Vec::new();
    while let Some(c) = store
        .claim(CONN, "w", 10, LEASE, ms(1_000))
        .await
        .unwrap()
        .pop()
    {
        left.push(c.item_id.clone());
        if c.item_id == "poison" {
            store.reclaim_all_leases(CONN).await.unwrap();
        } else {
            store.complete(CONN, &[c]).await.unwrap();
        }
    }
    assert_eq!(left, ["poison"]);
    let set_aside = row(&store, ItemKind::File, "poison").await.unwrap();
    assert_eq!(set_aside.state, "failed");
    assert!(
        set_aside
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("stopped 3 times")),
        "{set_aside:?}"
    );
    assert!(
        row(&store, ItemKind::File, "fine-1").await.is_none(),
        "done"
    );
    assert!(
        row(&store, ItemKind::File, "fine-2").await.is_none(),
        "done"
    );
    assert_counters_exact(&store).await;
    assert_eq!(counters(&store, CONN).await.0, (1, 1));
}

/// A stop or a pause cuts a batch short: its rows go back as they were,
/// however often it happens.
#[tokio::test]
async fn released_rows_go_back_uncounted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .enqueue_at(
            CONN,
            vec![Enqueue::full_scan("a"), Enqueue::full_scan("b")],
            ms(0),
        )
        .await
        .unwrap();
    for _ in 0..MAX_CRASHES + 2 {
        let claimed = store.claim(CONN, "w", 2, LEASE, ms(1_000)).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|c| c.attempts == 1));
        store.release(CONN, &claimed[..1]).await.unwrap();
        store.release_all_leases(CONN).await.unwrap();
    }
    for id in ["a", "b"] {
        let r = row(&store, ItemKind::File, id).await.unwrap();
        assert_eq!((r.state.as_str(), r.attempts), ("queued", 0), "{id}");
    }
    assert_counters_exact(&store).await;
}

/// A verdict made by an older reader is no verdict for the current one:
/// the content is not "known" (its next file downloads it again), and the
/// files that hold it are queued once per version, behind the scan.
#[tokio::test]
async fn verdicts_of_an_older_reader_are_read_again_behind_the_scan() {
    use crate::inspect::isolation::EXTRACTOR_VERSION;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .write((), |_, conn| {
            Box::pin(async move {
                for (file, sha1) in [("old", "aaa"), ("new", "bbb"), ("gone", "aaa")] {
                    sqlx::query(
                        "INSERT INTO files (connection_id, file_id, sha1, inspected_sha1, discovered_at,
                             removed_at)
                         VALUES (?, ?, ?, ?, 0, CASE WHEN ? = 'gone' THEN 1 END)",
                    )
                    .bind(CONN)
                    .bind(file)
                    .bind(sha1)
                    .bind(sha1)
                    .bind(file)
                    .execute(&mut *conn)
                    .await?;
                }
                for (sha1, version) in [("aaa", EXTRACTOR_VERSION - 1), ("bbb", EXTRACTOR_VERSION)] {
                    sqlx::query(
                        "INSERT INTO content_results (connection_id, sha1, state, code, inspected_at,
                             extractor_version)
                         VALUES (?, ?, 'not_inspected', 'corrupt', 0, ?)",
                    )
                    .bind(CONN)
                    .bind(sha1)
                    .bind(version)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();
    assert!(!store.content_known(CONN, "aaa").await.unwrap());
    assert!(store.content_known(CONN, "bbb").await.unwrap());

    assert_eq!(
        store
            .queue_stale_content(CONN, EXTRACTOR_VERSION, ms(5))
            .await
            .unwrap(),
        1,
        "the live file with the stale verdict, not the removed one"
    );
    let queued = row(&store, ItemKind::File, "old").await.unwrap();
    assert_eq!(queued.priority, priority::PERIODIC);
    assert_eq!(
        queued.reason_detail.as_deref(),
        Some("read again by a newer reader")
    );
    assert!(row(&store, ItemKind::File, "new").await.is_none());
    // Once per version: a restart does not queue it again.
    store
        .complete(
            CONN,
            &store.claim(CONN, "w", 10, LEASE, ms(6)).await.unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .queue_stale_content(CONN, EXTRACTOR_VERSION, ms(7))
            .await
            .unwrap(),
        0
    );
    assert_counters_exact(&store).await;
}
