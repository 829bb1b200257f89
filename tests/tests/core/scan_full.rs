//! The full scan against the sandbox: every file found and scanned once,
//! collaborations exactly where Box has them, requests at the lower bound;
//! a co-admin's scan skipping other admins; interrupted and fault-ridden
//! runs ending with the same files table; a dead network stopping the run
//! with nothing marked failed; periodic rescans and changed etags.

use std::time::Duration;

use box_connector_e2e::scan::*;
use box_sandbox::Faults;
use connector_core::clock::{ManualClock, SharedClock};
use connector_core::scan::{CancellationToken, ScanConfig, Scanner, COADMIN_SKIP_REASON};
use connector_core::store::queue::{priority, Enqueue, ItemKind, QueueReason};
use connector_core::ErrorCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_scan_finds_every_file_once_with_its_collaborations_at_the_lower_bound() {
    let sb = start_sandbox(small_enterprise()).await;
    let want = expected(&sb, "admin");
    let truth = sb.ground_truth();
    assert_eq!(
        want.files.len(),
        truth.files_alive,
        "every file is in a tree"
    );
    let (client, requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = scanner(&client, &store, &me, listing_only_config());
    assert_eq!(run_to_idle(&scan, 1).await, 1);

    let ids: std::collections::BTreeSet<String> = sqlx::query_scalar(
        "SELECT file_id FROM files WHERE connection_id = ? AND last_scanned_at IS NOT NULL
             AND scanned_etag = etag",
    )
    .bind(CONNECTION)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(ids, want.files, "every file discovered and scanned");
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM files WHERE connection_id = ?").await,
        want.files.len() as i64,
        "one row per file"
    );
    let scanned_twice = scalar(
        &store,
        "SELECT COUNT(*) FROM (SELECT item_id FROM item_scans WHERE connection_id = ?
             AND item_type = 'file' GROUP BY item_id HAVING COUNT(*) != 1)",
    )
    .await;
    assert_eq!(scanned_twice, 0, "each file scanned exactly once");
    assert_eq!(collaborations_table(&store).await, want.collaborations);
    assert!(!want.collaborations.is_empty());

    let counts = store.inventory_counts(CONNECTION).await.unwrap();
    assert_eq!(counts.files_discovered, want.files.len() as i64);
    assert_eq!(counts.files_scanned, want.files.len() as i64);
    assert_eq!(counts.folders_total, want.folders as i64);
    assert_eq!(counts.folders_done, want.folders as i64);
    assert_eq!(counts.users_total, counts.users_done);
    let depth = store.queue_depth(CONNECTION).await.unwrap();
    assert_eq!((depth.queued, depth.leased, depth.failed), (0, 0, 0));
    let state = store.scan_state(CONNECTION).await.unwrap().unwrap();
    assert!(state.full_scan_completed_at.is_some());

    let made = requests.total();
    println!(
        "requests {made}, lower bound {} ({:?})",
        want.lower_bound,
        requests.by_endpoint.lock().unwrap()
    );
    assert!(made >= want.lower_bound, "{made} < {}", want.lower_bound);
    assert!(
        made as f64 <= want.lower_bound as f64 * 1.05,
        "{made} requests for a lower bound of {}",
        want.lower_bound
    );

    // An event's file is fetched as its owner (one request); a 404 marks it removed.
    let some_file = want
        .files
        .iter()
        .find(|f| {
            !want
                .collaborations
                .iter()
                .any(|c| c.0 == "file" && &c.1 == *f)
        })
        .unwrap()
        .clone();
    store
        .enqueue(
            CONNECTION,
            vec![
                event_entry(ItemKind::File, &some_file),
                event_entry(ItemKind::File, "1999999999999"),
            ],
        )
        .await
        .unwrap();
    let before = requests.total();
    run_to_idle(&scan, 1).await;
    assert_eq!(
        requests.total() - before,
        2,
        "one GET per event-queued file"
    );
    let outcome: String = sqlx::query_scalar(
        "SELECT outcome FROM item_scans WHERE connection_id = ? AND item_id = '1999999999999'",
    )
    .bind(CONNECTION)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(outcome, "removed");
    let rescans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM item_scans WHERE connection_id = ? AND item_id = ? AND reason = 'event'",
    )
    .bind(CONNECTION)
    .bind(&some_file)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(rescans, 1);
    sb.stop().await;
}

fn event_entry(item: ItemKind, id: &str) -> Enqueue {
    Enqueue {
        item,
        item_id: id.into(),
        priority: priority::EVENT,
        reason: QueueReason::Event,
        reason_event_id: None,
        reason_detail: Some("EDIT".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coadmin_scan_skips_the_other_admins_and_says_why() {
    let sb = start_sandbox(small_enterprise()).await;
    let want = expected(&sb, "coadmin");
    assert_eq!(
        want.skipped_users.len(),
        2,
        "the admin and the other co-admin"
    );
    let (client, _requests, me) = client_for(&sb, "coadmin").await;
    assert_eq!(me.role.as_deref(), Some("coadmin"));
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    run_to_idle(&scanner(&client, &store, &me, quick_config()), 1).await;

    let skipped: std::collections::BTreeMap<String, String> = sqlx::query_as(
        "SELECT user_id, skip_reason FROM scan_users WHERE connection_id = ? AND walk_state = 'skipped'",
    )
    .bind(CONNECTION)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(
        skipped
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        want.skipped_users
    );
    assert!(skipped.values().all(|r| r == COADMIN_SKIP_REASON));
    let state = store.scan_state(CONNECTION).await.unwrap().unwrap();
    assert_eq!(state.connected_role.as_deref(), Some("coadmin"));
    let ids: std::collections::BTreeSet<String> = sqlx::query_scalar(
        "SELECT file_id FROM files WHERE connection_id = ? AND last_scanned_at IS NOT NULL",
    )
    .bind(CONNECTION)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(ids, want.files, "what the co-admin may read, all of it");
    let failed = scalar(
        &store,
        "SELECT COUNT(*) FROM folders WHERE connection_id = ? AND walk_state = 'failed'",
    )
    .await;
    assert_eq!(failed, 0, "no request as another admin was even tried");
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_and_fault_ridden_scans_end_with_the_same_files_table() {
    let sb = start_sandbox(small_enterprise()).await;
    let want = expected(&sb, "admin");
    let (client, _requests, me) = client_for(&sb, "admin").await;

    let plain_dir = tempfile::tempdir().unwrap();
    let plain = open_store_in(plain_dir.path()).await;
    run_to_idle(&scanner(&client, &plain, &me, quick_config()), 1).await;
    let reference = files_table(&plain).await;
    assert_eq!(reference.len(), want.files.len());

    // Paused three times mid-walk (slowed down so there is a middle).
    sb.state().control.lock().unwrap().faults = Faults {
        latency_ms: 3,
        ..Faults::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = std::sync::Arc::new(scanner(&client, &store, &me, quick_config()));
    let mut stopped_at = Vec::new();
    for stop_at in [
        want.files.len() / 5,
        want.files.len() / 2,
        want.files.len() * 4 / 5,
    ] {
        let cancel = CancellationToken::new();
        let running = {
            let (scan, cancel) = (scan.clone(), cancel.clone());
            tokio::spawn(async move { scan.run(true, cancel).await })
        };
        while store
            .inventory_counts(CONNECTION)
            .await
            .unwrap()
            .files_discovered
            < stop_at as i64
            && !running.is_finished()
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        cancel.cancel();
        running.await.unwrap().unwrap();
        let found = store
            .inventory_counts(CONNECTION)
            .await
            .unwrap()
            .files_discovered;
        stopped_at.push(found);
    }
    println!(
        "paused with {stopped_at:?} of {} files found",
        want.files.len()
    );
    assert!(
        stopped_at
            .iter()
            .any(|&n| n > 0 && n < want.files.len() as i64),
        "paused mid-walk at least once: {stopped_at:?}"
    );
    run_to_idle(&scan, 1).await;
    assert_eq!(
        files_table(&store).await,
        reference,
        "cancelled and resumed"
    );
    assert_scanned_once(&store).await;

    // About one call in ten fails (5xx, reset, truncated body).
    sb.state().control.lock().unwrap().faults = Faults {
        p500: 0.04,
        p_reset: 0.03,
        p_truncate: 0.03,
        ..Faults::default()
    };
    let faulty_dir = tempfile::tempdir().unwrap();
    let faulty = open_store_in(faulty_dir.path()).await;
    let runs = run_to_idle(&scanner(&client, &faulty, &me, quick_config()), 10).await;
    println!("with faults: {runs} run(s)");
    sb.state().control.lock().unwrap().faults = Faults::default();
    assert_eq!(files_table(&faulty).await, reference, "with faults");
    assert_scanned_once(&faulty).await;
    assert_eq!(
        collaborations_table(&faulty).await,
        collaborations_table(&plain).await
    );
    sb.stop().await;
}

async fn assert_scanned_once(store: &connector_core::store::Store) {
    let not_once = scalar(
        store,
        "SELECT COUNT(*) FROM files f WHERE connection_id = ?1 AND (last_scanned_at IS NULL OR
             (SELECT COUNT(*) FROM item_scans s WHERE s.connection_id = ?1
                  AND s.item_id = f.file_id) != 1)",
    )
    .await;
    assert_eq!(not_once, 0, "every file scanned, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_network_stops_the_run_at_once_and_marks_nothing_failed() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    sb.state().control.lock().unwrap().faults = Faults {
        latency_ms: 3,
        ..Faults::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = std::sync::Arc::new(scanner(&client, &store, &me, quick_config()));
    let running = {
        let scan = scan.clone();
        tokio::spawn(async move { scan.run(true, CancellationToken::new()).await })
    };
    while store
        .inventory_counts(CONNECTION)
        .await
        .unwrap()
        .files_discovered
        < 50
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    sb.stop().await;
    let err = tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("the run gives up promptly")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Network, "{err:?}");
    let failed_folders = scalar(
        &store,
        "SELECT COUNT(*) FROM folders WHERE connection_id = ? AND (walk_state = 'failed' OR walk_attempts > 0)",
    )
    .await;
    let failed_items = scalar(
        &store,
        "SELECT COUNT(*) FROM scan_queue WHERE connection_id = ? AND (state = 'failed' OR attempts > 0)",
    )
    .await;
    assert_eq!((failed_folders, failed_items), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_periodic_rescan_requeues_old_scans_and_changed_etags() {
    let sb = start_sandbox(small_enterprise()).await;
    let want = expected(&sb, "admin");
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let clock = ManualClock::starting_now();
    let config = ScanConfig {
        rescan_interval: Some(Duration::from_secs(3600)),
        ..quick_config()
    };
    let scan = Scanner::new(
        client.clone(),
        store.clone(),
        CONNECTION.into(),
        me.clone(),
        config,
        SharedClock::from(clock.clone()),
    );
    run_to_idle(&scan, 1).await;
    // Not due yet: nothing is queued again.
    run_to_idle(&scan, 1).await;
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM item_scans WHERE connection_id = ?"
        )
        .await,
        want.files.len() as i64
    );
    // A file edited in Box, then the interval passes.
    let edited = {
        let mut world = sb.state().world.write().unwrap();
        let ent = &mut world.ent;
        let f = ent
            .parse_file_id(want.files.iter().next().unwrap())
            .unwrap();
        let at = ent.anchor;
        ent.files.changed.touch(f, at);
        ent.file_box_id(f)
    };
    clock.advance_secs(2 * 3600);
    run_to_idle(&scan, 1).await;
    let reasons: std::collections::BTreeMap<String, i64> = sqlx::query_as(
        "SELECT reason, COUNT(*) FROM item_scans WHERE connection_id = ? GROUP BY reason",
    )
    .bind(CONNECTION)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    let n = want.files.len() as i64;
    assert_eq!(reasons.get("full_scan"), Some(&n));
    assert_eq!(reasons.get("periodic"), Some(&(n - 1)));
    assert_eq!(reasons.get("changed_etag"), Some(&1));
    let changed_reason: String = sqlx::query_scalar(
        "SELECT reason FROM item_scans WHERE connection_id = ? AND item_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(CONNECTION)
    .bind(&edited)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(changed_reason, "changed_etag");
    let state = store.scan_state(CONNECTION).await.unwrap().unwrap();
    assert_eq!(state.generation, 2);
    let counts = store.inventory_counts(CONNECTION).await.unwrap();
    assert_eq!(counts.folders_done, counts.folders_total);
    assert_eq!(counts.users_done, counts.users_total);
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_scan_sends_nothing_until_resumed() {
    let sb = start_sandbox(small_enterprise()).await;
    let want = expected(&sb, "admin");
    let (client, requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let now = connector_core::store::Millis::from(chrono::Utc::now());
    store.set_scan_paused(CONNECTION, true, now).await.unwrap();
    let scan = std::sync::Arc::new(scanner(&client, &store, &me, quick_config()));
    let running = {
        let scan = scan.clone();
        tokio::spawn(async move { scan.run(true, CancellationToken::new()).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!running.is_finished());
    assert_eq!(requests.total(), 0, "nothing is sent while paused");
    store.set_scan_paused(CONNECTION, false, now).await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("resumed and finished")
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .inventory_counts(CONNECTION)
            .await
            .unwrap()
            .files_scanned,
        want.files.len() as i64
    );
    sb.stop().await;
}
