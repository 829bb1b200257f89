//! The feed is resumable and fault-tolerant: interrupted (cancelled, dropped
//! mid-request, or the process killed with SIGKILL) and run again, or run
//! through injected 5xx, resets and truncated bodies, it ends with exactly
//! the events of an uninterrupted, fault-free run, each once.

use std::sync::{Arc, OnceLock};

use box_connector_e2e::events::*;
use box_sandbox::{Faults, SandboxConfig};
use connector_core::box_api::{CallRecorder, RetryPolicy};
use connector_core::clock::ManualClock;
use connector_core::events::CancellationToken;
use connector_core::store::EventStream;
use tokio::io::AsyncBufReadExt;

fn config() -> SandboxConfig {
    SandboxConfig {
        streaming_disorder_rate: 0.3,
        ..small_config()
    }
}

/// The reference: backfill, then the live stream, nothing in the way.
async fn uninterrupted(
    sb: &box_sandbox::SandboxHandle,
    token: &str,
    feed: &connector_core::events::EventFeed,
) {
    let _ = (sb, token);
    feed.backfill(&CancellationToken::new()).await.unwrap();
    drain_live(feed).await.unwrap();
}

fn without_stream(mut events: Vec<StoredEvent>) -> Vec<StoredEvent> {
    // Backfill and live run side by side in `run`: which of the two delivers
    // an event of the overlap first is a race; everything else is not.
    for e in &mut events {
        e.stream.clear();
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_resumes_to_the_same_events_as_an_uninterrupted_one() {
    let sb = start_sandbox(config()).await;
    let token = admin_access_token(&sb);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::starting_now();
    let reference_store = open_store(&dir, "reference.sqlite3").await;
    let store = open_store(&dir, "interrupted.sqlite3").await;
    let reference = feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &reference_store,
        &clock,
    );
    reference.start().await.unwrap();
    feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &store,
        &clock,
    )
    .start()
    .await
    .unwrap();
    // Live changes after both positions were taken.
    box_sandbox::activity::burst(sb.state(), 150);
    uninterrupted(&sb, &token, &reference).await;

    let mut interruptions = 0;
    // Interrupt until the backfill is done and a few live polls later.
    for trial in 0..80usize {
        let done = store
            .event_stream(CONN, EventStream::AdminLogs)
            .await
            .unwrap()
            .unwrap()
            .completed_at
            .is_some();
        if done && trial >= 16 {
            break;
        }
        let stop_at = 1 + trial % 4;
        let cancel = CancellationToken::new();
        let abort: Arc<OnceLock<tokio::task::AbortHandle>> = Arc::default();
        let (c, a) = (cancel.clone(), abort.clone());
        // Even trials cancel, odd ones drop the run wherever it is.
        let recorder: Arc<dyn CallRecorder> = Arc::new(EventCalls {
            seen: Default::default(),
            at_call: Box::new(move |n| {
                if n == stop_at {
                    if trial % 2 == 0 {
                        c.cancel();
                    } else if let Some(a) = a.get() {
                        a.abort();
                    }
                }
            }),
        });
        let interrupted = Arc::new(feed_with(
            client_for(&sb.base_url(), &token, fast_retry(), Some(recorder)),
            &store,
            &clock,
            tiny_pages(),
        ));
        let (go, ready) = tokio::sync::oneshot::channel::<()>();
        let f = interrupted.clone();
        let task = tokio::spawn(async move {
            let _ = ready.await;
            f.run(cancel, Arc::new(|| {})).await
        });
        abort.set(task.abort_handle()).unwrap();
        go.send(()).unwrap();
        match task.await {
            Ok(result) => result.unwrap(),
            Err(e) => assert!(e.is_cancelled(), "{e}"),
        }
        interruptions += 1;
    }
    let backfill = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    println!(
        "after {interruptions} interruptions the backfill is {}",
        if backfill.completed_at.is_some() {
            "complete"
        } else {
            "not complete yet"
        }
    );
    let last = feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &store,
        &clock,
    );
    uninterrupted(&sb, &token, &last).await;

    let expected = stored_events(&reference_store).await;
    assert!(expected.len() > 300, "{}", expected.len());
    assert_eq!(
        without_stream(stored_events(&store).await),
        without_stream(expected)
    );
    assert_eq!(counters(&store).await, counters(&reference_store).await);
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_injected_faults_the_result_equals_the_fault_free_run() {
    let sb = start_sandbox(config()).await;
    let token = admin_access_token(&sb);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::starting_now();
    let reference_store = open_store(&dir, "reference.sqlite3").await;
    let store = open_store(&dir, "faults.sqlite3").await;
    let reference = feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &reference_store,
        &clock,
    );
    // Few attempts per request, so some failures outlast the client's
    // retries and reach the caller, which tries again as the app does.
    let retry = RetryPolicy {
        max_attempts: 3,
        ..fast_retry()
    };
    let attempts = Arc::new(Attempts::default());
    let faulty = feed_with(
        client_for(&sb.base_url(), &token, retry, Some(attempts.clone())),
        &store,
        &clock,
        tiny_pages(),
    );
    reference.start().await.unwrap();
    faulty.start().await.unwrap();
    box_sandbox::activity::burst(sb.state(), 150);
    uninterrupted(&sb, &token, &reference).await;

    sb.state().control.lock().unwrap().faults = Faults {
        p500: 0.1,
        p_truncate: 0.1,
        p_reset: 0.1,
        ..Faults::default()
    };
    let mut errors = Vec::new();
    for _ in 0..200 {
        match faulty.backfill(&CancellationToken::new()).await {
            Ok(()) => break,
            Err(e) => errors.push(e),
        }
    }
    for _ in 0..200 {
        match drain_live(&faulty).await {
            Ok(_) => break,
            Err(e) => errors.push(e),
        }
    }
    let (tried, failed) = attempts.counts();
    sb.state().control.lock().unwrap().faults = Faults::default();
    for e in &errors {
        assert!(
            matches!(
                e.code,
                connector_core::ErrorCode::Network
                    | connector_core::ErrorCode::BoxApi
                    | connector_core::ErrorCode::MalformedResponse
            ),
            "{e:?}"
        );
    }
    let expected = stored_events(&reference_store).await;
    assert!(expected.len() > 300);
    assert_eq!(stored_events(&store).await, expected);
    assert_eq!(counters(&store).await, counters(&reference_store).await);
    assert_eq!(faulty.skipped_malformed(), 0);
    assert!(failed > 0, "faults were met: {failed} of {tried}");
    println!(
        "faults: {} events equal the fault-free run; {failed} of {tried} attempts failed, \
         {} errors outlasted the client's retries",
        expected.len(),
        errors.len()
    );
    sb.stop().await;
}

/// Every attempt of a client, and those that failed (no answer, 5xx, a body cut off).
#[derive(Default)]
struct Attempts(std::sync::Mutex<(usize, usize)>);

impl Attempts {
    fn counts(&self) -> (usize, usize) {
        *self.0.lock().unwrap()
    }
}

impl CallRecorder for Attempts {
    fn record(&self, call: connector_core::box_api::ApiCall) {
        let mut c = self.0.lock().unwrap();
        c.0 += 1;
        if call.error_code.is_some() {
            c.1 += 1;
        }
    }
}

const KILL_URL: &str = "EVENTS_KILL_SANDBOX_URL";
const KILL_TOKEN: &str = "EVENTS_KILL_TOKEN";
const KILL_DB: &str = "EVENTS_KILL_DB";

/// Run by the kill test in a child process: backfill and drain the live
/// stream on the database it is given, printing a line after each /events
/// answer so the parent knows when to kill it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper: run in a child process by kill_9_anywhere_loses_and_doubles_nothing"]
async fn kill_helper_feed_until_done() {
    let (Ok(url), Ok(token), Ok(db)) = (
        std::env::var(KILL_URL),
        std::env::var(KILL_TOKEN),
        std::env::var(KILL_DB),
    ) else {
        return;
    };
    let store = connector_core::store::Store::open(&db).await.unwrap();
    let recorder: Arc<dyn CallRecorder> = Arc::new(EventCalls {
        seen: Default::default(),
        at_call: Box::new(|n| {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "event-call {n}").unwrap();
            out.flush().unwrap();
        }),
    });
    let clock = ManualClock::starting_now();
    let f = feed_with(
        client_for(&url, &token, fast_retry(), Some(recorder)),
        &store,
        &clock,
        tiny_pages(),
    );
    f.backfill(&CancellationToken::new()).await.unwrap();
    drain_live(&f).await.unwrap();
    store.close().await;
    println!("feed-done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_anywhere_loses_and_doubles_nothing() {
    let sb = start_sandbox(config()).await;
    let token = admin_access_token(&sb);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::starting_now();
    let reference_store = open_store(&dir, "reference.sqlite3").await;
    let killed_path = dir.path().join("killed.sqlite3");
    let killed_store = connector_core::store::Store::open(&killed_path)
        .await
        .unwrap();
    let reference = feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &reference_store,
        &clock,
    );
    reference.start().await.unwrap();
    feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &killed_store,
        &clock,
    )
    .start()
    .await
    .unwrap();
    killed_store.close().await;
    drop(killed_store);
    box_sandbox::activity::burst(sb.state(), 150);
    uninterrupted(&sb, &token, &reference).await;

    let exe = std::env::current_exe().unwrap();
    // The harness names a test by its module path, without the crate.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let helper = format!("{module}::kill_helper_feed_until_done");
    let (mut kills, mut finished) = (0, false);
    for trial in 0..100usize {
        // Kill after the 1st or 2nd answer: sometimes while the answer is
        // parsed, sometimes while its page is saved, sometimes later.
        let kill_at = format!("event-call {}", 1 + trial % 2);
        let mut child = tokio::process::Command::new(&exe)
            .args(["--exact", helper.as_str(), "--ignored", "--nocapture"])
            .env(KILL_URL, sb.base_url())
            .env(KILL_TOKEN, &token)
            .env(KILL_DB, &killed_path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut killed = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.trim() == kill_at {
                child.start_kill().unwrap(); // SIGKILL
                killed = true;
                break;
            }
            if line.trim() == "feed-done" {
                finished = true;
                break;
            }
        }
        let status = child.wait().await.unwrap();
        if killed {
            kills += 1;
        } else {
            assert!(status.success(), "the helper failed: {status}");
        }
        if finished {
            break;
        }
    }
    assert!(kills >= 20, "{kills} kills");
    // Whatever the last child left, one more uninterrupted run finishes it.
    let killed_store = connector_core::store::Store::open(&killed_path)
        .await
        .unwrap();
    let last = feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &killed_store,
        &clock,
    );
    uninterrupted(&sb, &token, &last).await;

    let expected = stored_events(&reference_store).await;
    assert!(expected.len() > 300);
    assert_eq!(stored_events(&killed_store).await, expected);
    assert_eq!(
        counters(&killed_store).await,
        counters(&reference_store).await
    );
    println!(
        "kill -9: {kills} kills, {} events each once",
        expected.len()
    );
    sb.stop().await;
}
