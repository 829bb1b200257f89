//! The event feed against the sandbox: the backfill ingests exactly the
//! window's admin_logs, each once; the live stream delivers what changes
//! after the position was taken exactly once even when it repeats and
//! reorders entries, with an effect for modify / share / delete and none for
//! reads; and failures are errors that name the request, never skipped pages.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use box_connector_e2e::events::*;
use box_sandbox::SandboxConfig;
use connector_core::clock::ManualClock;
use connector_core::events::CancellationToken;
use connector_core::store::EventStream;
use connector_core::ErrorCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_ingests_exactly_the_windows_admin_logs_each_once() {
    let sb = start_sandbox(small_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "a.sqlite3").await;
    let clock = ManualClock::starting_now();
    let calls = Arc::new(EventCalls {
        seen: Default::default(),
        at_call: Box::new(|_| {}),
    });
    let client = client_for(
        &sb.base_url(),
        &admin_access_token(&sb),
        fast_retry(),
        Some(calls.clone()),
    );
    let feed = feed(client, &store, &clock);
    feed.backfill(&CancellationToken::new()).await.unwrap();

    let (from, to, live_from, _) = stored_window(&store).await;
    let now = clock_secs(&clock);
    assert_eq!(from, now - 7 * 86_400, "the window is the 7 days before");
    assert!(
        to >= now && to <= now + 61,
        "it ends at the live position (plus skew margin)"
    );
    let log = sandbox_log(&sb);
    let expected: BTreeMap<_, _> = log
        .iter()
        .filter(|(_, e)| e.at >= from && e.at <= to)
        .collect();
    let older = log.values().filter(|e| e.at < from).count();
    assert!(older > 0, "the sandbox has history before the window too");
    assert!(
        (100..2000).contains(&expected.len()),
        "a few hundred events: {}",
        expected.len()
    );

    let stored = stored_events(&store).await;
    let ids: BTreeSet<_> = stored.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), stored.len(), "each once");
    assert_eq!(
        ids,
        expected.keys().map(|k| k.as_str()).collect::<BTreeSet<_>>(),
        "exactly the window's events"
    );
    for e in &stored {
        let truth = expected[&e.event_id];
        assert_eq!(e.event_type, truth.event_type);
        assert_eq!(
            e.kind,
            connector_core::events::classify(&e.event_type).as_str()
        );
        assert_eq!(e.created_at, truth.at * 1000);
        assert_eq!(e.stream, "admin_logs");
        match &truth.item {
            Some((t, id)) => {
                assert_eq!(
                    (e.item_type.as_deref(), e.item_id.as_ref()),
                    (Some(*t), Some(id))
                );
                assert!(e.item_name.is_some() && e.owner_id.is_some(), "{e:?}");
            }
            None => assert_eq!(e.item_type.as_deref(), Some("user"), "{e:?}"),
        }
        assert!(e.actor_id.is_some());
        // The past must not reorder the scan; only what may be live keeps its effect.
        let may_be_live = truth.at >= live_from;
        assert_eq!(
            e.pending_effect,
            may_be_live && moves_queue(&e.event_type) && truth.item.is_some(),
            "{e:?}"
        );
    }
    let ((ingested, last_event_at), days) = counters(&store).await;
    assert_eq!(ingested as usize, expected.len());
    assert_eq!(last_event_at, expected.values().map(|e| e.at * 1000).max());
    assert_eq!(
        days.iter().map(|d| d.2).sum::<i64>() as usize,
        expected.len()
    );
    let cursor = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    assert!(cursor.completed_at.is_some());
    assert_eq!(
        cursor.reached_at.map(|t| t.timestamp()),
        expected.values().map(|e| e.at).max()
    );

    // Pages of 40, the empty page that ends it, and the live position.
    let requests = *calls.seen.lock().unwrap();
    let pages = expected.len().div_ceil(40);
    assert_eq!(requests, pages + 2, "{} events", expected.len());
    // Done is done: running it again asks Box nothing.
    feed.backfill(&CancellationToken::new()).await.unwrap();
    assert_eq!(*calls.seen.lock().unwrap(), requests);
    println!(
        "backfill: {} events in the window ({} older left out), {} requests",
        expected.len(),
        older,
        requests
    );
    sb.stop().await;
}

fn clock_secs(clock: &ManualClock) -> i64 {
    use connector_core::clock::Clock;
    clock.now().timestamp()
}

/// Changes through the sandbox's write API (as Box's own SDK would send
/// them), each as the file's owner: rename, share, invite, download, delete.
async fn change_files(sb: &box_sandbox::SandboxHandle, token: &str) -> Vec<(String, &'static str)> {
    let (files, other_login) = {
        let world = sb.state().world.read().unwrap();
        let ent = &world.ent;
        let files: Vec<(String, String)> = (0..ent.files.parent.len() as u32)
            .filter(|&f| ent.file_alive(f))
            .take(5)
            .map(|f| {
                (
                    ent.file_box_id(f),
                    ent.accounts[ent.file_owner(f) as usize].id.to_string(),
                )
            })
            .collect();
        (files, world.ent.accounts[2].login.clone())
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let api = format!("{}/2.0", sb.base_url());
    let mut done = Vec::new();
    for (i, (file, owner)) in files.iter().enumerate() {
        let file_url = format!("{api}/files/{file}");
        let (request, event_type) = match i {
            0 => (
                http.put(&file_url).json(&json!({"name": "renamed.txt"})),
                "RENAME",
            ),
            1 => (
                http.put(&file_url)
                    .json(&json!({"shared_link": {"access": "open"}})),
                "SHARE",
            ),
            2 => (
                http.post(format!("{api}/collaborations")).json(&json!({
                    "item": {"type": "file", "id": file},
                    "accessible_by": {"type": "user", "login": other_login},
                    "role": "editor"})),
                "COLLABORATION_INVITE",
            ),
            3 => (http.get(format!("{file_url}/content")), "DOWNLOAD"),
            _ => (http.delete(&file_url), "DELETE"),
        };
        let resp = request
            .bearer_auth(token)
            .header("as-user", owner)
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success() || resp.status().is_redirection(),
            "{event_type}: {}",
            resp.status()
        );
        done.push((file.clone(), event_type));
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_changes_arrive_once_through_a_disordered_stream_and_only_changes_wait_for_the_queue()
{
    let sb = start_sandbox(SandboxConfig {
        streaming_disorder_rate: 0.6,
        ..small_config()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "b.sqlite3").await;
    let clock = ManualClock::starting_now();
    let token = admin_access_token(&sb);
    let feed = feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &store,
        &clock,
    );
    feed.start().await.unwrap();
    let (_, _, _, position) = stored_window(&store).await;

    let changed = change_files(&sb, &token).await;
    // Previews, edits, uploads and more from the sandbox's own activity.
    box_sandbox::activity::burst(sb.state(), 150);

    let new = drain_live(&feed).await.unwrap();
    let log = sandbox_log(&sb);
    let after: BTreeMap<_, _> = log.iter().filter(|(_, e)| e.index >= position).collect();
    assert!(after.len() >= 150, "{}", after.len());
    let stored = stored_events(&store).await;
    assert_eq!(new, stored.len());
    assert!(!stored.is_empty());
    let (_, _, live_from, _) = stored_window(&store).await;
    let ids: BTreeSet<_> = stored.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), stored.len(), "each once");
    let missing: Vec<_> = after.keys().filter(|k| !ids.contains(k.as_str())).collect();
    assert!(missing.is_empty(), "every change arrives: {missing:?}");
    // The stream may repeat the entry just before its start (Box's stream
    // repeats entries): a real event, stored once, never an invented one.
    let before: Vec<_> = stored
        .iter()
        .filter(|e| !after.contains_key(&e.event_id))
        .collect();
    assert!(before.len() <= 1, "{before:?}");
    for e in &stored {
        let truth = &log[&e.event_id];
        assert!(truth.index + 1 >= position, "{e:?}");
        assert_eq!(e.event_type, truth.event_type);
        assert_eq!(e.stream, "admin_logs_streaming");
        assert_eq!(
            e.pending_effect,
            moves_queue(&e.event_type) && truth.item.is_some() && truth.at >= live_from,
            "{e:?}"
        );
    }
    for (file, event_type) in &changed {
        let e = stored
            .iter()
            .find(|e| e.item_id.as_ref() == Some(file) && e.event_type == *event_type)
            .unwrap_or_else(|| panic!("{event_type} on {file} was ingested"));
        let reads = *event_type == "DOWNLOAD";
        assert_eq!(e.pending_effect, !reads, "{e:?}");
        assert_eq!(e.kind, if reads { "read" } else { e.kind.as_str() });
    }
    let reads: Vec<_> = stored.iter().filter(|e| e.kind == "read").collect();
    assert!(
        reads.iter().any(|e| e.event_type == "PREVIEW"),
        "the activity previewed something"
    );
    assert!(reads.iter().all(|e| !e.pending_effect));
    // Nothing more: another poll brings nothing and moves nothing.
    assert_eq!(feed.poll_live_once().await.unwrap(), 0);
    let ((ingested, _), _) = counters(&store).await;
    assert_eq!(ingested as usize, stored.len());
    println!(
        "live: {} events after the position, {} with an effect",
        stored.len(),
        stored.iter().filter(|e| e.pending_effect).count()
    );
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_wakes_the_scanner_when_a_change_waits_for_the_queue() {
    let sb = start_sandbox(small_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "r.sqlite3").await;
    let clock = ManualClock::starting_now();
    let token = admin_access_token(&sb);
    let feed = feed(
        client_for(&sb.base_url(), &token, fast_retry(), None),
        &store,
        &clock,
    );
    feed.start().await.unwrap();
    let changed = change_files(&sb, &token).await;
    let feed = Arc::new(feed);
    let cancel = CancellationToken::new();
    let woken = Arc::new(tokio::sync::Notify::new());
    let w = woken.clone();
    let on_effects = Arc::new(move || w.notify_one());
    let (f, c) = (feed.clone(), cancel.clone());
    let run = tokio::spawn(async move { f.run(c, on_effects).await });
    let wanted: BTreeSet<_> = changed
        .iter()
        .filter(|(_, t)| *t != "DOWNLOAD")
        .map(|(file, t)| (file.clone(), t.to_string()))
        .collect();
    // Each wake-up means a page stored events the queue must act on; wait
    // for the wake-up after which all the changes are there.
    let all_there = async {
        loop {
            woken.notified().await;
            let pending: BTreeSet<_> = stored_events(&store)
                .await
                .into_iter()
                .filter(|e| e.pending_effect)
                .map(|e| (e.item_id.unwrap(), e.event_type))
                .collect();
            if wanted.is_subset(&pending) {
                return;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), all_there)
        .await
        .expect("the changes arrive and wake the scanner");
    cancel.cancel();
    run.await.unwrap().unwrap();
    sb.stop().await;
}

/// A hand-written /events server for answers the sandbox never gives.
async fn serve_events(
    answer: impl Fn(&BTreeMap<String, String>, usize) -> (u16, String) + Send + Sync + 'static,
) -> String {
    let answer = Arc::new(answer);
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route(
        "/2.0/events",
        get(move |Query(q): Query<BTreeMap<String, String>>| {
            let answer = answer.clone();
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if q.get("stream_position").map(String::as_str) == Some("now") {
                    return (
                        axum::http::StatusCode::OK,
                        r#"{"chunk_size":0,"next_stream_position":"1000","entries":[]}"#
                            .to_string(),
                    );
                }
                let (status, body) = answer(&q, n);
                (axum::http::StatusCode::from_u16(status).unwrap(), body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

fn entry(id: Option<&str>, event_type: Option<&str>) -> Value {
    let mut e = json!({"type": "event", "created_at": "2026-11-30T10:00:00Z",
        "created_by": {"type": "user", "id": "11", "login": "a@example.com"},
        "source": {"item_type": "file", "item_id": "77", "item_name": "x.txt"}});
    if let Some(id) = id {
        e["event_id"] = json!(id);
    }
    if let Some(t) = event_type {
        e["event_type"] = json!(t);
    }
    e
}

#[tokio::test]
async fn a_malformed_page_is_an_error_naming_the_request_and_nothing_is_skipped() {
    let origin =
        serve_events(|_, _| (200, r#"{"chunk_size":2,"entries":[{"event_id":"#.into())).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "m.sqlite3").await;
    let clock = ManualClock::starting_now();
    let feed = feed(client_for(&origin, "t", fast_retry(), None), &store, &clock);
    let err = feed.backfill(&CancellationToken::new()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedResponse, "{err:?}");
    assert!(err.message.contains("GET /events"), "{err:?}");
    assert!(err.message.contains("admin_logs"), "{err:?}");
    let cursor = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (cursor.position, cursor.completed_at),
        (None, None),
        "the page is asked again"
    );
    assert!(stored_events(&store).await.is_empty());
}

#[tokio::test]
async fn entries_without_id_or_type_are_logged_and_counted_and_the_page_kept() {
    let origin = serve_events(|q, _| {
        let body = match q.get("stream_position").map(String::as_str) {
            None => json!({"chunk_size": 3, "next_stream_position": "1", "entries": [
                entry(Some("e1"), Some("EDIT")), entry(None, Some("EDIT")), entry(Some("e3"), None)]}),
            _ => json!({"chunk_size": 0, "next_stream_position": "1", "entries": []}),
        };
        (200, body.to_string())
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "e.sqlite3").await;
    let clock = ManualClock::starting_now();
    let feed = feed(client_for(&origin, "t", fast_retry(), None), &store, &clock);
    feed.backfill(&CancellationToken::new()).await.unwrap();
    assert_eq!(feed.skipped_malformed(), 2);
    let cursor = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        cursor.skipped_malformed, 2,
        "kept, so the loss stays visible"
    );
    let stored = stored_events(&store).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event_id, "e1");
}

#[tokio::test]
async fn a_stream_position_that_does_not_advance_is_an_error_not_a_loop() {
    let origin = serve_events(|_, _| {
        let body = json!({"chunk_size": 1, "next_stream_position": "5", "entries": [entry(Some("e1"), Some("EDIT"))]});
        (200, body.to_string())
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "p.sqlite3").await;
    let clock = ManualClock::starting_now();
    let feed = feed(client_for(&origin, "t", fast_retry(), None), &store, &clock);
    let err = feed.backfill(&CancellationToken::new()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedResponse);
    assert!(err.message.contains("stream_position 5"), "{err:?}");
    assert_eq!(
        stored_events(&store).await.len(),
        1,
        "the first page was kept"
    );
}

#[tokio::test]
async fn server_errors_after_the_retries_are_returned_and_the_cursor_stays() {
    let origin = serve_events(|_, _| {
        (
            503,
            r#"{"type":"error","status":503,"code":"unavailable","message":"down"}"#.into(),
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "s.sqlite3").await;
    let clock = ManualClock::starting_now();
    let feed = feed(client_for(&origin, "t", fast_retry(), None), &store, &clock);
    let err = feed.poll_live_once().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BoxApi, "{err:?}");
    assert!(
        err.message
            .contains("admin_logs_streaming, stream_position 1000"),
        "{err:?}"
    );
    let live = store
        .event_stream(CONN, EventStream::AdminLogsStreaming)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.position.as_deref(), Some("1000"));
    assert_eq!(live.last_polled_at, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_waits_for_the_history_to_settle_before_it_ends() {
    let empty_pages = Arc::new(tokio::sync::Notify::new());
    let seen = empty_pages.clone();
    let origin = serve_events(move |q, _| {
        let body = match q.get("stream_position").map(String::as_str) {
            None => json!({"chunk_size": 1, "next_stream_position": "1",
                           "entries": [entry(Some("e1"), Some("EDIT"))]}),
            _ => {
                seen.notify_one();
                json!({"chunk_size": 0, "next_stream_position": "1", "entries": []})
            }
        };
        (200, body.to_string())
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "settle.sqlite3").await;
    let clock = ManualClock::starting_now();
    let config = connector_core::events::EventsConfig {
        history_settle: std::time::Duration::from_secs(300),
        ..events_config()
    };
    let feed = Arc::new(feed_with(
        client_for(&origin, "t", fast_retry(), None),
        &store,
        &clock,
        config,
    ));
    let f = feed.clone();
    let task = tokio::spawn(async move { f.backfill(&CancellationToken::new()).await });
    // At the end of the history, but too soon after connecting: asked again.
    for _ in 0..3 {
        empty_pages.notified().await;
    }
    let cursor = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cursor.completed_at, None);
    assert!(!task.is_finished());
    clock.advance_secs(301);
    task.await.unwrap().unwrap();
    let cursor = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    assert!(cursor.completed_at.is_some());
    assert_eq!(stored_events(&store).await.len(), 1);
}

/// Box keeps the live stream 14 days: a feed not read for longer (a laptop
/// away for two weeks) reads the missed time from admin_logs, then goes on
/// live from a new position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_left_unread_past_its_retention_is_filled_from_the_history() {
    use connector_core::clock::Clock;
    let clock = ManualClock::starting_now();
    let t0 = clock.now();
    let missed_at = (t0 + chrono::Duration::days(5)).to_rfc3339();
    let gap_queries = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = gap_queries.clone();
    let tips = Arc::new(AtomicUsize::new(0));
    let origin = serve_events(move |q, _| {
        let at = |id: &str, t: &str| {
            let mut e = entry(Some(id), Some("EDIT"));
            e["created_at"] = json!(t);
            e
        };
        let page = |next: &str, entries: Vec<Value>| {
            json!({"chunk_size": entries.len(), "next_stream_position": next, "entries": entries})
        };
        let position = q.get("stream_position").map(String::as_str);
        let body = if q["stream_type"] == "admin_logs_streaming" {
            match position {
                Some("1000") => page("1001", vec![at("live-1", &t0.to_rfc3339())]),
                Some("2000") => page("2001", vec![at("live-2", &t0.to_rfc3339())]),
                Some(p) => page(p, vec![]),
                None => page("0", vec![]),
            }
        } else {
            let after: chrono::DateTime<chrono::Utc> = q["created_after"].parse().unwrap();
            let gap = after > t0 - chrono::Duration::days(1);
            match (gap, position) {
                (true, None) => {
                    seen.lock().unwrap().push((q["created_after"].clone(), q["created_before"].clone()));
                    page("1", vec![at("missed", &missed_at)])
                }
                (_, p) => page(p.unwrap_or("0"), vec![]),
            }
        };
        (200, body.to_string())
    })
    .await;
    // serve_events answers `now` with 1000; the second tip must be 2000.
    let origin = tip_proxy(origin, tips.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, "gap.sqlite3").await;
    let feed = feed(client_for(&origin, "t", fast_retry(), None), &store, &clock);
    feed.backfill(&CancellationToken::new()).await.unwrap();
    assert_eq!(feed.poll_live_once().await.unwrap(), 1);
    let read_at = store
        .event_stream(CONN, EventStream::AdminLogsStreaming)
        .await
        .unwrap()
        .unwrap()
        .last_polled_at
        .unwrap();

    clock.advance(chrono::Duration::days(15));
    assert_eq!(
        feed.poll_live_once().await.unwrap(),
        1,
        "live again, from the new position"
    );
    let ids: BTreeSet<_> = stored_events(&store)
        .await
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(ids, ["live-1", "live-2", "missed"].map(String::from).into());
    let missed = stored_events(&store)
        .await
        .into_iter()
        .find(|e| e.event_id == "missed")
        .unwrap();
    assert_eq!(missed.stream, "admin_logs");
    assert!(missed.pending_effect, "a change while away moves the queue");
    let gap = store
        .event_stream(CONN, EventStream::AdminLogsGap)
        .await
        .unwrap()
        .unwrap();
    assert!(gap.completed_at.is_some());
    let asked = gap_queries.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    let after: chrono::DateTime<chrono::Utc> = asked[0].0.parse().unwrap();
    let before: chrono::DateTime<chrono::Utc> = asked[0].1.parse().unwrap();
    assert_eq!(
        after.timestamp(),
        read_at.timestamp() - 60,
        "from the last read (less the skew margin)"
    );
    assert!(before >= clock.now(), "to now");
    assert_eq!(
        tips.load(Ordering::SeqCst),
        2,
        "a second live position was taken"
    );
}

/// Answers `stream_position=now` with 1000, then 2000, …; forwards the rest.
async fn tip_proxy(upstream: String, tips: Arc<AtomicUsize>) -> String {
    let http = reqwest::Client::new();
    let app = Router::new().route(
        "/2.0/events",
        get(move |Query(q): Query<BTreeMap<String, String>>| {
            let (http, upstream, tips) = (http.clone(), upstream.clone(), tips.clone());
            async move {
                if q.get("stream_position").map(String::as_str) == Some("now") {
                    let n = tips.fetch_add(1, Ordering::SeqCst) + 1;
                    return json!({"chunk_size": 0, "next_stream_position": (n * 1000).to_string(), "entries": []})
                        .to_string();
                }
                http.get(format!("{upstream}/2.0/events"))
                    .query(&q)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}
