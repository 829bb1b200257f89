use chrono::DateTime;

use super::*;

const CONN: &str = "sandbox:enterprise:1";

fn at(secs: i64) -> Millis {
    Millis::from(DateTime::from_timestamp(secs, 0).unwrap())
}

fn event(id: &str, kind: &'static str, created: i64, pending: bool) -> NewEvent {
    NewEvent {
        event_id: id.into(),
        event_type: kind.to_ascii_uppercase(),
        kind,
        created_at: at(created),
        item_type: Some("file".into()),
        item_id: Some(format!("f-{id}")),
        item_name: None,
        parent_id: None,
        owner_id: None,
        actor_id: Some("11".into()),
        actor_login: None,
        pending_effect: pending,
    }
}

async fn started_store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(dir.path().join("db.sqlite3")).await.unwrap();
    let start = StreamsStart {
        live_position: "100".into(),
        window_start: at(1_000),
        window_end: at(900_000),
        live_from: at(899_000),
    };
    assert!(store
        .start_event_streams(CONN, start.clone(), at(5))
        .await
        .unwrap());
    store
}

async fn counts(store: &Store) -> (i64, Option<i64>) {
    let row = sqlx::query!(
        "SELECT events_ingested, last_event_at FROM scan_counts WHERE connection_id = ?",
        CONN
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    (row.events_ingested, row.last_event_at)
}

async fn days(store: &Store) -> Vec<(i64, String, i64)> {
    sqlx::query!(
        "SELECT day, kind, count FROM event_days WHERE connection_id = ? ORDER BY day, kind",
        CONN
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.day, r.kind, r.count))
    .collect()
}

fn live_page(from: &str, to: &str, events: Vec<NewEvent>) -> EventPage {
    EventPage {
        stream: EventStream::AdminLogsStreaming,
        from_position: Some(from.into()),
        next_position: Some(to.into()),
        events,
        completed: false,
        skipped_malformed: 0,
    }
}

#[tokio::test]
async fn a_repeated_event_is_stored_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = started_store(&dir).await;
    let first = vec![
        event("a", "modify", 86_400, true),
        event("b", "read", 86_400 + 5, false),
        // A page may hold the same entry twice.
        event("a", "modify", 86_400, true),
    ];
    let saved = store
        .save_event_page(CONN, live_page("100", "102", first), at(10))
        .await
        .unwrap();
    assert_eq!(
        saved,
        Saved::Page(PageSaved {
            inserted: 2,
            pending: 1
        })
    );
    // The next page repeats "b" and brings "c", a day later.
    let second = vec![
        event("b", "read", 86_400 + 5, false),
        event("c", "share", 2 * 86_400, true),
    ];
    let saved = store
        .save_event_page(CONN, live_page("102", "103", second), at(11))
        .await
        .unwrap();
    assert_eq!(
        saved,
        Saved::Page(PageSaved {
            inserted: 1,
            pending: 1
        })
    );
    assert_eq!(counts(&store).await, (3, Some(2 * 86_400 * 1000)));
    assert_eq!(
        days(&store).await,
        vec![
            (1, "modify".into(), 1),
            (1, "read".into(), 1),
            (2, "share".into(), 1)
        ]
    );
    let cursor = store
        .event_stream(CONN, EventStream::AdminLogsStreaming)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cursor.position.as_deref(), Some("103"));
    assert_eq!(cursor.last_polled_at, Some(at(11).to_datetime()));
}

#[tokio::test]
async fn a_repeat_never_takes_over_the_first_deliverys_effect() {
    let dir = tempfile::tempdir().unwrap();
    let store = started_store(&dir).await;
    let backfill = EventPage {
        stream: EventStream::AdminLogs,
        from_position: None,
        next_position: Some("7".into()),
        events: vec![event("a", "modify", 50_000, false)],
        completed: false,
        skipped_malformed: 0,
    };
    store.save_event_page(CONN, backfill, at(10)).await.unwrap();
    let live = live_page("100", "101", vec![event("a", "modify", 50_000, true)]);
    let saved = store.save_event_page(CONN, live, at(11)).await.unwrap();
    assert_eq!(saved, Saved::Page(PageSaved::default()));
    let row = sqlx::query!(
        "SELECT stream, pending_effect FROM events WHERE connection_id = ? AND event_id = 'a'",
        CONN
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!((row.stream.as_str(), row.pending_effect), ("admin_logs", 0));
}

#[tokio::test]
async fn a_page_from_a_stale_cursor_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = started_store(&dir).await;
    let stale = live_page("99", "101", vec![event("a", "modify", 1, true)]);
    let saved = store.save_event_page(CONN, stale, at(10)).await.unwrap();
    assert_eq!(saved, Saved::CursorMoved);
    let n = sqlx::query_scalar!("SELECT COUNT(*) FROM events")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    let cursor = store
        .event_stream(CONN, EventStream::AdminLogsStreaming)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cursor.position.as_deref(), Some("100"));
}

#[tokio::test]
async fn the_streams_start_once_and_the_backfill_records_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = started_store(&dir).await;
    let again = StreamsStart {
        live_position: "999".into(),
        window_start: at(2),
        window_end: at(3),
        live_from: at(3),
    };
    assert!(!store.start_event_streams(CONN, again, at(6)).await.unwrap());
    let backfill = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            backfill.position,
            backfill.window_start,
            backfill.window_end,
            backfill.completed_at
        ),
        (
            None,
            Some(at(1_000).to_datetime()),
            Some(at(900_000).to_datetime()),
            None
        )
    );
    let live = store
        .event_stream(CONN, EventStream::AdminLogsStreaming)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.position.as_deref(), Some("100"));
    assert_eq!(live.live_from, Some(at(899_000).to_datetime()));

    let page = |from: Option<&str>, to: &str, events, completed| EventPage {
        stream: EventStream::AdminLogs,
        from_position: from.map(str::to_owned),
        next_position: Some(to.to_owned()),
        events,
        completed,
        skipped_malformed: 1,
    };
    let events = vec![
        event("a", "other", 2_000, false),
        event("b", "other", 3_000, false),
    ];
    store
        .save_event_page(CONN, page(None, "2", events, false), at(10))
        .await
        .unwrap();
    store
        .save_event_page(CONN, page(Some("2"), "2", vec![], true), at(12))
        .await
        .unwrap();
    let done = store
        .event_stream(CONN, EventStream::AdminLogs)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.reached_at, Some(at(3_000).to_datetime()));
    assert_eq!(done.completed_at, Some(at(12).to_datetime()));
    assert_eq!(done.position.as_deref(), Some("2"));
    assert_eq!(done.skipped_malformed, 2, "one per page saved");
}
