//! What events and stale content verdicts put in the queue.

use super::*;

#[tokio::test]
async fn apply_event_effects_bumps_removes_and_leaves_read_events_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    raw(
        &store,
        "INSERT INTO files (connection_id, file_id, name, discovered_at) VALUES \
         ('sandbox:enterprise:42', 'gone', 'gone.txt', 1), \
         ('sandbox:enterprise:42', 'read', 'read.txt', 1)",
    )
    .await;
    let full: Vec<Enqueue> = ["read", "edited", "gone"]
        .into_iter()
        .map(Enqueue::full_scan)
        .collect();
    store.enqueue_at(CONN, full, ms(1_000)).await.unwrap();

    // The events module flags only modify/share/delete; the queue guards anyway.
    insert_event(&store, "e1", "PREVIEW", "read", ("file", "read")).await;
    insert_event(&store, "e2", "EDIT", "modify", ("file", "edited")).await;
    insert_event(&store, "e3", "SHARE", "share", ("folder", "d1")).await;
    insert_event(&store, "e4", "DELETE", "delete", ("file", "gone")).await;
    // An upload then its delete, in one batch: the delete wins (id order).
    insert_event(&store, "e5", "UPLOAD", "modify", ("file", "brief")).await;
    insert_event(&store, "e6", "DELETE", "delete", ("file", "brief")).await;

    let first = store.apply_event_effects(CONN, 4, ms(9_000)).await.unwrap();
    assert_eq!(
        first,
        EventEffects {
            bumped: 2,
            removed: 1,
            pending_left: true
        }
    );
    let second = store
        .apply_event_effects(CONN, 100, ms(9_000))
        .await
        .unwrap();
    assert_eq!(
        second,
        EventEffects {
            bumped: 1,
            removed: 1,
            pending_left: false
        }
    );

    let read = row(&store, ItemKind::File, "read").await.unwrap();
    assert_eq!(
        (read.priority, read.reason.as_str(), read.version),
        (priority::FULL_SCAN, "full_scan", 0)
    );
    let edited = row(&store, ItemKind::File, "edited").await.unwrap();
    assert_eq!(edited.priority, priority::EVENT);
    assert_eq!(
        (
            edited.reason_event_id.as_deref(),
            edited.reason_detail.as_deref()
        ),
        (Some("e2"), Some("EDIT"))
    );
    let folder = row(&store, ItemKind::Folder, "d1").await.unwrap();
    assert_eq!(
        (folder.priority, folder.reason.as_str()),
        (priority::EVENT, "event")
    );
    assert_eq!(row(&store, ItemKind::File, "gone").await, None);
    assert_eq!(row(&store, ItemKind::File, "brief").await, None);

    let removed_at: Option<i64> =
        sqlx::query_scalar("SELECT removed_at FROM files WHERE file_id = 'gone'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(removed_at, Some(5_000), "the event's time");
    let history: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT item_id, outcome, reason, at FROM item_scans WHERE connection_id = ? ORDER BY id",
    )
    .bind(CONN)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        history,
        [
            ("gone".into(), "removed".into(), "event".into(), 9_000),
            ("brief".into(), "removed".into(), "event".into(), 9_000)
        ]
    );
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE pending_effect = 1")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(pending, 0);
    // Each event acts once: running again changes nothing.
    let third = store
        .apply_event_effects(CONN, 100, ms(9_500))
        .await
        .unwrap();
    assert_eq!(third, EventEffects::default());
    assert_eq!(row(&store, ItemKind::Folder, "d1").await.unwrap(), folder);
    assert_counters_exact(&store).await;
    assert_eq!(counters(&store, CONN).await.0, (2, 0), "read + edited");
}

/// A verdict made by an older reader is no verdict for the current one:
/// the content is not "known" (its next file downloads it again), and the
/// files that hold it are queued once per version, behind the scan.
#[tokio::test]
async fn verdicts_of_an_older_reader_are_read_again_behind_the_scan() {
    use crate::inspect::isolation::EXTRACTOR_VERSION;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    store
        .write((), |_, conn| {
            Box::pin(async move {
                for (file, sha1) in [("old", "aaa"), ("new", "bbb"), ("gone", "aaa")] {
                    sqlx::query(
                        "INSERT INTO files (connection_id, file_id, sha1, inspected_sha1, discovered_at,
                             removed_at)
                         VALUES (?, ?, ?, ?, 0, CASE WHEN ? = 'gone' THEN 1 END)",
                    )
                    .bind(CONN)
                    .bind(file)
                    .bind(sha1)
                    .bind(sha1)
                    .bind(file)
                    .execute(&mut *conn)
                    .await?;
                }
                for (sha1, version) in [("aaa", EXTRACTOR_VERSION - 1), ("bbb", EXTRACTOR_VERSION)] {
                    sqlx::query(
                        "INSERT INTO content_results (connection_id, sha1, state, code, inspected_at,
                             extractor_version)
                         VALUES (?, ?, 'not_inspected', 'corrupt', 0, ?)",
                    )
                    .bind(CONN)
                    .bind(sha1)
                    .bind(version)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();
    assert!(!store.content_known(CONN, "aaa").await.unwrap());
    assert!(store.content_known(CONN, "bbb").await.unwrap());

    assert_eq!(
        store
            .queue_stale_content(CONN, EXTRACTOR_VERSION, ms(5))
            .await
            .unwrap(),
        1,
        "the live file with the stale verdict, not the removed one"
    );
    let queued = row(&store, ItemKind::File, "old").await.unwrap();
    assert_eq!(queued.priority, priority::PERIODIC);
    assert_eq!(
        queued.reason_detail.as_deref(),
        Some("read again by a newer reader")
    );
    assert!(row(&store, ItemKind::File, "new").await.is_none());
    // Once per version: a restart does not queue it again.
    store
        .complete(
            CONN,
            &store.claim(CONN, "w", 10, LEASE, ms(6)).await.unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .queue_stale_content(CONN, EXTRACTOR_VERSION, ms(7))
            .await
            .unwrap(),
        0
    );
    assert_counters_exact(&store).await;
}
