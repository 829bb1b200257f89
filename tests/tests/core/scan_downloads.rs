//! Downloads over a bad link, in a whole scan: a download that stalls is
//! that file's failure, retried later; the run goes on and nothing else is
//! fetched again.

use std::sync::Arc;
use std::time::Duration;

use box_connector_e2e::scan::*;
use box_sandbox::Faults;
use connector_core::box_api::{RetryPolicy, Timeouts};

fn content_requests(requests: &Requests) -> u64 {
    requests
        .by_endpoint
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with("/content"))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_download_costs_that_file_a_retry_never_the_run() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, requests, me) = client_for(&sb, "admin").await;
    // Test-sized patience: a body silent for 300 ms has stalled, and is not
    // resumed, so each stall fails its file.
    let client = Arc::into_inner(client)
        .expect("the only handle")
        .with_timeouts(Timeouts {
            idle: Some(Duration::from_millis(300)),
            ..Timeouts::default()
        })
        .with_retry(RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(100),
            max_resumes: 0,
            ..RetryPolicy::default()
        });
    let client = Arc::new(client);
    const STALLS: u32 = 2;
    sb.state().control.lock().unwrap().faults = Faults {
        download_cuts: STALLS,
        download_cut_after_bytes: 0,
        download_cut_stalls: true,
        ..Faults::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    // One run: a stall never stops it (the old client called it the
    // network failing, and the run ended there).
    run_to_idle(&scanner(&client, &store, &me, quick_config()), 1).await;

    assert_eq!(
        sb.state().control.lock().unwrap().faults.download_cuts,
        0,
        "both downloads stalled"
    );
    let depth = store.queue_depth(CONNECTION).await.unwrap();
    assert_eq!((depth.queued, depth.failed), (0, 0), "retried and done");
    let counts = store.inspection_counts(CONNECTION).await.unwrap();
    assert!(counts.files_inspected > 100, "{counts:?}");
    // Every content was fetched once, but for the two stalled ones' retries:
    // no finished download was thrown away with its batch.
    assert_eq!(
        content_requests(&requests),
        counts.downloads + u64::from(STALLS),
        "{counts:?}"
    );
    sb.stop().await;
}
