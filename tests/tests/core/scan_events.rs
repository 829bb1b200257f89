//! Live events and the scanner together: a share made through the sandbox's
//! API after the full scan is rescanned as soon as the live stream brings
//! it (the feed wakes the scanner), while a downloaded file is not.

use std::sync::Arc;
use std::time::Duration;

use box_connector_e2e::scan::*;
use connector_core::box_api::RequestOptions;
use connector_core::events::{EventFeed, EventsConfig};
use connector_core::scan::CancellationToken;
use serde_json::{json, Value};

async fn event_scans(store: &connector_core::store::Store, file_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM item_scans WHERE connection_id = ? AND item_id = ? AND reason = 'event'",
    )
    .bind(CONNECTION)
    .bind(file_id)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_file_is_rescanned_from_its_live_event_and_a_downloaded_one_is_not() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = Arc::new(scanner(&client, &store, &me, quick_config()));
    run_to_idle(&scan, 1).await;
    let feed = EventFeed::new(
        client.clone(),
        store.clone(),
        CONNECTION.into(),
        EventsConfig {
            backfill_days: 1,
            ..EventsConfig::default()
        },
        connector_core::clock::SharedClock::system(),
    );
    feed.start().await.unwrap();

    // Two files without a link, with their owners.
    let unshared: Vec<(String, String)> = sqlx::query_as(
        "SELECT file_id, owner_id FROM files WHERE connection_id = ? AND shared_link IS NULL
         ORDER BY file_id LIMIT 2",
    )
    .bind(CONNECTION)
    .fetch_all(store.pool())
    .await
    .unwrap();
    let (shared, owner) = unshared[0].clone();
    let (downloaded, downloader) = unshared[1].clone();

    let following = CancellationToken::new();
    let running = {
        let (scan, cancel) = (scan.clone(), following.clone());
        tokio::spawn(async move { scan.run(false, cancel).await })
    };
    let _: Value = client
        .send_json(
            reqwest::Method::PUT,
            &format!("/files/{shared}"),
            Some(&json!({"shared_link": {"access": "open"}})),
            &RequestOptions::default().as_user(owner),
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    // Box logs the download when the content is asked for.
    drop(
        client
            .download(&downloaded, &RequestOptions::default().as_user(downloader))
            .await
            .unwrap(),
    );

    // The live page brings SHARE and DOWNLOAD; the feed wakes the scanner.
    let new = feed.poll_live_once().await.unwrap();
    assert!(new >= 2, "{new} new events");
    scan.waker().notify_one();
    tokio::time::timeout(Duration::from_secs(20), async {
        while event_scans(&store, &shared).await == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the shared file is rescanned");
    let link: Option<String> =
        sqlx::query_scalar("SELECT shared_link FROM files WHERE connection_id = ? AND file_id = ?")
            .bind(CONNECTION)
            .bind(&shared)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert!(link.unwrap_or_default().contains("\"open\""));
    following.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(
        event_scans(&store, &downloaded).await,
        0,
        "a read requeues nothing"
    );
    sb.stop().await;
}
