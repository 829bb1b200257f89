//! Timestamps as INTEGER milliseconds, and the upgrade from seconds.

use super::*;

#[tokio::test]
async fn timestamps_keep_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let precise = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap();
    let mut record = sample_connection("c1");
    record.connected_at = precise(1_764_000_000_123);
    record.access_token_expires_at = Some(precise(1_764_003_600_456));
    store.save_connection(&record).await.unwrap();
    assert_eq!(store.connection("c1").await.unwrap(), Some(record));

    let mut first = call("c1", 1_764_100_000, Some(200), 5);
    first.at = precise(1_764_100_000_100);
    let mut second = first.clone();
    second.at = precise(1_764_100_000_900);
    store.record_api_call(&second).await.unwrap();
    store.record_api_call(&first).await.unwrap();
    assert_eq!(
        store
            .api_calls_since(precise(1_764_100_000_000), None)
            .await
            .unwrap(),
        vec![first, second.clone()],
        "calls within one second keep their order"
    );
    assert_eq!(
        store.last_successful_call(Some("c1")).await.unwrap(),
        Some(second.at)
    );
    store.close().await;
}

/// A file written by the previous version (timestamps in seconds) upgrades
/// to the same instants in milliseconds.
#[tokio::test]
async fn a_seconds_database_upgrades_to_the_same_instants() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let recent_call_secs = Utc::now().timestamp() - 60;
    {
        // The previous version's migrations: the initial one alone.
        let old = dir.path().join("old-migrations");
        std::fs::create_dir(&old).unwrap();
        let initial = "20261125000000_initial.sql";
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(initial),
            old.join(initial),
        )
        .unwrap();
        let seconds_schema = Migrator::new(old.as_path()).await.unwrap();
        assert_eq!(seconds_schema.iter().count(), 1);
        let mut conn = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
        seconds_schema.run(&mut conn).await.unwrap();
        for statement in [
            "INSERT INTO settings VALUES ('selected_datacenter', 'eu1', 1764000001)",
            "INSERT INTO connections (id, datacenter_id, client_id, authorize_url, token_url, \
             revoke_url, api_url, state, connected_at, access_token_expires_at, \
             refresh_token_issued_at, last_success_at, updated_at) \
             VALUES ('c1', 'eu1', 'cid', 'a', 't', 'r', 'u', 'connected', 1764000000, 1764003600, \
             NULL, 1764000500, 1764000100)",
            "INSERT INTO api_test_runs (connection_id, started_at, finished_at, outcome) \
             VALUES ('c1', 1764000010, 1764000020, 'warn')",
        ] {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
        // Within the call log's retention, or opening would prune it.
        sqlx::query(
            "INSERT INTO api_calls (connection_id, at, method, endpoint, status, latency_ms) \
             VALUES ('c1', ?, 'GET', '/2.0/users/me', 200, 42)",
        )
        .bind(recent_call_secs)
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }

    let store = Store::open(&path).await.expect("upgrade");
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_schema_version()
    );
    let c = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(c.connected_at, at(1_764_000_000));
    assert_eq!(c.access_token_expires_at, Some(at(1_764_003_600)));
    assert_eq!(c.refresh_token_issued_at, None);
    assert_eq!(c.last_success_at, Some(at(1_764_000_500)));
    assert_eq!(c.updated_at, at(1_764_000_100));
    let run = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(
        (run.started_at, run.finished_at),
        (at(1_764_000_010), Some(at(1_764_000_020)))
    );
    let calls = store.api_calls_since(at(0), None).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].at, at(recent_call_secs));
    let (updated,): (i64,) = sqlx::query_as("SELECT updated_at FROM settings")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(updated, 1_764_000_001_000);
    store.close().await;
}
