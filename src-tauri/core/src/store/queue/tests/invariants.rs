//! What holds whatever happens: nothing lost or duplicated across reopens,
//! exact counters, an index behind every statement.

use super::*;

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
