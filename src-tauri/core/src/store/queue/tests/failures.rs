//! Failures, backoff, leases taken back and items that crash their worker.

use super::*;

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
