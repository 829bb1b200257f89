//! Settings, connections, API test runs and the API call log.

use super::*;

#[tokio::test]
async fn settings_refuse_secret_looking_keys() {
    const CLIENT_ID: &str = "custom.client_id";
    const API_URL: &str = "custom.api_url";
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    for key in ["client_secret", "custom.refresh_token", "Password"] {
        let err = store.set_setting(key, "hunter2").await.expect_err(key);
        assert!(matches!(err, StoreError::Refused(_)));
    }
    assert!(store.settings().await.unwrap().is_empty());
    store.set_setting(CLIENT_ID, "abc").await.unwrap();
    store.set_setting(CLIENT_ID, "def").await.unwrap();
    store
        .set_setting(API_URL, "https://api.example/2.0")
        .await
        .unwrap();
    assert_eq!(
        store.settings().await.unwrap(),
        vec![
            (API_URL.to_owned(), "https://api.example/2.0".to_owned()),
            (CLIENT_ID.to_owned(), "def".to_owned()),
        ]
    );
    store.delete_setting(CLIENT_ID).await.unwrap();
    assert_eq!(store.setting(CLIENT_ID).await.unwrap(), None);
}

#[tokio::test]
async fn saving_a_connection_again_keeps_its_api_test_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let mut record = sample_connection("c1");
    store.save_connection(&record).await.unwrap();
    let run = store
        .start_api_test_run("c1", at(1_764_000_010))
        .await
        .unwrap();
    store
        .finish_api_test_run(run, at(1_764_000_020))
        .await
        .unwrap();

    record.role = Some("coadmin".into());
    record.updated_at = at(1_764_000_100);
    store.save_connection(&record).await.unwrap();

    assert_eq!(store.connection("c1").await.unwrap(), Some(record));
    let latest = store.latest_api_test_run("c1").await.unwrap();
    assert_eq!(
        latest.map(|r| r.id),
        Some(run),
        "history survived the update"
    );
}

#[tokio::test]
async fn connections_round_trip_and_change_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    assert_eq!(store.current_connection(None).await.unwrap(), None);

    let mut record = sample_connection("c1");
    store.save_connection(&record).await.unwrap();
    assert_eq!(
        store.connection("c1").await.unwrap().as_ref(),
        Some(&record)
    );

    let mut other = sample_connection("c2");
    other.datacenter_id = "eu1".into();
    other.updated_at = at(1_764_000_100);
    store.save_connection(&other).await.unwrap();
    assert_eq!(
        store.current_connection(None).await.unwrap().unwrap().id,
        "c2"
    );
    assert_eq!(
        store
            .current_connection(Some("sandbox"))
            .await
            .unwrap()
            .unwrap()
            .id,
        "c1"
    );
    assert_eq!(store.connections().await.unwrap().len(), 2);

    assert!(store
        .record_token_refresh(
            "c1",
            at(1_764_010_000),
            Some(at(1_764_006_400)),
            at(1_764_006_400)
        )
        .await
        .unwrap());
    let refreshed = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(refreshed.access_token_expires_at, Some(at(1_764_010_000)));
    assert_eq!(refreshed.refresh_token_issued_at, Some(at(1_764_006_400)));
    // No rotation reported: the issue time stays.
    store
        .record_token_refresh("c1", at(1_764_020_000), None, at(1_764_016_400))
        .await
        .unwrap();
    assert_eq!(
        store
            .connection("c1")
            .await
            .unwrap()
            .unwrap()
            .refresh_token_issued_at,
        Some(at(1_764_006_400))
    );

    assert!(store
        .set_connection_state(
            "c1",
            ConnectionState::NeedsReconnect,
            Some("Invalid refresh token"),
            at(1_764_020_000)
        )
        .await
        .unwrap());
    let needs = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(needs.state, ConnectionState::NeedsReconnect);
    assert_eq!(needs.state_reason.as_deref(), Some("Invalid refresh token"));
    assert!(!store
        .set_connection_state("nope", ConnectionState::Connected, None, at(0))
        .await
        .unwrap());

    store
        .set_connection_state("c2", ConnectionState::Disconnected, None, at(1_764_030_000))
        .await
        .unwrap();
    assert_eq!(
        store.current_connection(None).await.unwrap().unwrap().id,
        "c1"
    );

    record.account_name = Some("Renamed".into());
    store.save_connection(&record).await.unwrap();
    assert_eq!(
        store
            .connection("c1")
            .await
            .unwrap()
            .unwrap()
            .account_name
            .as_deref(),
        Some("Renamed")
    );
    assert!(store.delete_connection("c1").await.unwrap());
    assert_eq!(store.connection("c1").await.unwrap(), None);
}

#[tokio::test]
async fn api_test_runs_store_checks_in_order_with_worst_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    store
        .save_connection(&sample_connection("c1"))
        .await
        .unwrap();
    assert_eq!(store.latest_api_test_run("c1").await.unwrap(), None);

    let check = |id: &str, status| ApiCheckRecord {
        check_id: id.into(),
        label: format!("check {id}"),
        status,
        detail: None,
        box_error: (status == CheckStatus::Fail)
            .then(|| "403 access_denied_insufficient_permissions".into()),
        fix: (status != CheckStatus::Pass).then(|| "Sign in as the primary admin.".into()),
    };
    let old = store
        .start_api_test_run("c1", at(1_764_000_000))
        .await
        .unwrap();
    store
        .record_api_check(old, &check("token_valid", CheckStatus::Pass))
        .await
        .unwrap();
    assert_eq!(
        store
            .finish_api_test_run(old, at(1_764_000_005))
            .await
            .unwrap(),
        Some(CheckStatus::Pass)
    );

    let run = store
        .start_api_test_run("c1", at(1_764_000_100))
        .await
        .unwrap();
    let checks = vec![
        check("token_valid", CheckStatus::Pass),
        check("role", CheckStatus::Warn),
        check("events", CheckStatus::Fail),
        check("users", CheckStatus::Pass),
    ];
    for c in &checks {
        store.record_api_check(run, c).await.unwrap();
    }
    // In progress: stored and visible, without an outcome yet.
    let partial = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(
        (partial.id, partial.outcome, partial.checks.len()),
        (run, None, 4)
    );

    assert_eq!(
        store
            .finish_api_test_run(run, at(1_764_000_110))
            .await
            .unwrap(),
        Some(CheckStatus::Fail)
    );
    let latest = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(latest.checks, checks);
    assert_eq!(latest.finished_at, Some(at(1_764_000_110)));
    assert_eq!(latest.outcome, Some(CheckStatus::Fail));

    // An empty run proves nothing.
    let empty = store
        .start_api_test_run("c1", at(1_764_000_200))
        .await
        .unwrap();
    assert_eq!(
        store
            .finish_api_test_run(empty, at(1_764_000_201))
            .await
            .unwrap(),
        Some(CheckStatus::Fail)
    );

    // Deleting the connection deletes its runs (foreign keys are on).
    store.delete_connection("c1").await.unwrap();
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_test_checks")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn api_calls_are_logged_queried_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    store
        .save_connection(&sample_connection("c1"))
        .await
        .unwrap();
    let now = 1_764_100_000;
    let calls = [
        call("c1", now - 8 * 86_400, Some(200), 80), // past retention
        call("c1", now - 7200, Some(200), 90),
        call("c1", now - 1800, Some(429), 30),
        call("c1", now - 60, Some(200), 120),
        call("c1", now - 30, None, 10_000),
        call("c2", now - 10, Some(200), 50),
    ];
    for c in &calls {
        store.record_api_call(c).await.unwrap();
    }
    let last_hour = store
        .api_calls_since(at(now - 3600), Some("c1"))
        .await
        .unwrap();
    assert_eq!(last_hour, calls[2..5].to_vec());
    assert_eq!(
        store
            .api_calls_since(at(now - 3600), None)
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        store.last_successful_call(Some("c1")).await.unwrap(),
        Some(at(now - 60))
    );
    assert_eq!(
        store.last_successful_call(None).await.unwrap(),
        Some(at(now - 10))
    );
    // A success stamps the connection, and an older success never moves it back.
    assert_eq!(
        store
            .connection("c1")
            .await
            .unwrap()
            .unwrap()
            .last_success_at,
        Some(at(now - 60))
    );

    let pruned = store
        .prune_api_calls(at(now) - API_CALL_RETENTION)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(store.api_calls_since(at(0), None).await.unwrap().len(), 5);
}

/// A long-running app never calls `prune_api_calls` itself: logging prunes
/// on its own every so often, so the log stays bounded to the retention.
#[tokio::test]
async fn logging_calls_prunes_old_ones_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let now = 1_764_100_000;
    let retention = API_CALL_RETENTION.num_seconds();
    for i in 0..5 {
        store
            .record_api_call(&call("c1", now - retention - 3600 - i, Some(200), 10))
            .await
            .unwrap();
    }
    let count = |store: Store| async move {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_calls")
            .fetch_one(store.pool())
            .await
            .unwrap();
        n
    };
    for i in 5..(api_calls::PRUNE_EVERY - 1) {
        store
            .record_api_call(&call("c1", now - 60 + i % 60, Some(200), 10))
            .await
            .unwrap();
    }
    assert_eq!(
        count(store.clone()).await,
        api_calls::PRUNE_EVERY - 1,
        "nothing pruned yet"
    );
    store
        .record_api_call(&call("c1", now, Some(200), 10))
        .await
        .unwrap();
    assert_eq!(
        count(store.clone()).await,
        api_calls::PRUNE_EVERY - 5,
        "the 5 old calls went"
    );
    store.close().await;
}
