//! Claim order, bumps and per-connection queues.

use super::*;

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
