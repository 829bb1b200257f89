//! The single writer: group commit, failures and panics kept to their own
//! write, no SQLITE_BUSY with writers in two processes.

use super::*;

/// Two stores (as two app processes would) and many tasks each doing
/// read-then-write transactions on the same file: with `BEGIN IMMEDIATE`
/// and the busy timeout every write lands; none fails with SQLITE_BUSY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_hit_sqlite_busy() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let first = Store::open(&path).await.unwrap();
    let second = Store::open(&path).await.unwrap();
    first.set_setting("counter", "0").await.unwrap();

    const TASKS: usize = 16;
    const INCREMENTS: usize = 25;
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = if task % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        handles.push(tokio::spawn(async move {
            for _ in 0..INCREMENTS {
                let mut tx = store.begin_write().await?;
                let (value,): (String,) =
                    sqlx::query_as("SELECT value FROM settings WHERE key = 'counter'")
                        .fetch_one(&mut *tx)
                        .await?;
                let next = value.parse::<i64>().unwrap() + 1;
                tokio::task::yield_now().await;
                sqlx::query("UPDATE settings SET value = ? WHERE key = 'counter'")
                    .bind(next.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok::<(), StoreError>(())
        }));
    }
    for handle in handles {
        handle.await.unwrap().expect("no writer may fail");
    }
    let total = second.setting("counter").await.unwrap().unwrap();
    assert_eq!(total, (TASKS * INCREMENTS).to_string(), "lost updates");
    tokio::join!(first.close(), second.close());
}

/// Waits (yielding, no timer) until `n` writes are queued behind the one
/// the writer task holds.
async fn until_queued(store: &Store, n: usize) {
    while store.inner.writer.queued() < n {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_small_writes_share_transactions_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let before = store.write_stats();
    const TASKS: usize = 16;
    const WRITES: usize = 50;
    // Held while the 16 first writes queue: they must then share one commit.
    let held = store.begin_write().await.unwrap();
    let handles: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..WRITES {
                    store
                        .set_setting(&format!("t{task:02}.{i:02}"), &i.to_string())
                        .await?;
                }
                Ok::<(), StoreError>(())
            })
        })
        .collect();
    until_queued(&store, TASKS - 1).await;
    drop(held);
    for handle in handles {
        handle.await.unwrap().expect("every write lands");
    }
    assert_eq!(store.settings().await.unwrap().len(), TASKS * WRITES);
    let stats = store.write_stats();
    let (writes, transactions) = (
        stats.writes - before.writes,
        stats.transactions - before.transactions,
    );
    assert_eq!(writes, (TASKS * WRITES) as u64);
    assert!(
        transactions <= writes - (TASKS as u64 - 1),
        "16 writers at once must share commits: {writes} writes in {transactions} transactions"
    );
    store.close().await;
}

#[tokio::test]
async fn a_failing_write_fails_alone_and_the_rest_of_its_batch_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    store
        .save_connection(&sample_connection("c1"))
        .await
        .unwrap();
    let run = store
        .start_api_test_run("c1", at(1_764_000_000))
        .await
        .unwrap();
    let check = ApiCheckRecord {
        check_id: "token_valid".into(),
        label: "Token".into(),
        status: CheckStatus::Pass,
        detail: None,
        box_error: None,
        fix: None,
    };

    // Hold the write connection so the three writes queue into one batch.
    let held = store.begin_write().await.unwrap();
    let first = tokio::spawn({
        let store = store.clone();
        async move { store.set_setting("before", "kept").await }
    });
    let failing = tokio::spawn({
        let (store, check) = (store.clone(), check.clone());
        // No run 999: the foreign key fails this write, and only it.
        async move { store.record_api_check(999, &check).await }
    });
    let last = tokio::spawn({
        let (store, check) = (store.clone(), check.clone());
        async move { store.record_api_check(run, &check).await }
    });
    until_queued(&store, 2).await;
    let before = store.write_stats();
    drop(held);

    first.await.unwrap().expect("the first write commits");
    let err = failing.await.unwrap().expect_err("the bad write fails");
    assert!(
        matches!(err, StoreError::Database(_)),
        "its own error: {err:?}"
    );
    assert!(!err.is_corruption());
    last.await.unwrap().expect("the write after it commits too");

    assert_eq!(
        store.setting("before").await.unwrap().as_deref(),
        Some("kept")
    );
    let latest = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(latest.checks, vec![check]);
    let (checks,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_test_checks")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(checks, 1, "nothing of the failed write stayed");
    let stats = store.write_stats();
    assert_eq!(
        (
            stats.writes - before.writes,
            stats.transactions - before.transactions
        ),
        (2, 1),
        "the two good writes committed together after the retry"
    );
    store.close().await;
}

#[tokio::test]
async fn a_write_that_panics_fails_alone_as_a_bug_and_the_writer_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    // Hold the write connection so the three writes queue into one batch.
    let held = store.begin_write().await.unwrap();
    let first = tokio::spawn({
        let store = store.clone();
        async move { store.set_setting("before", "kept").await }
    });
    let panicking = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .write(true, |explode, conn| {
                    Box::pin(async move {
                        // A statement first: it must not stay.
                        sqlx::query("INSERT INTO settings VALUES ('half', 'done', 0)")
                            .execute(&mut *conn)
                            .await?;
                        if *explode {
                            panic!("a bug in a write");
                        }
                        Ok(())
                    })
                })
                .await
        }
    });
    let last = tokio::spawn({
        let store = store.clone();
        async move { store.set_setting("after", "kept").await }
    });
    until_queued(&store, 2).await;
    drop(held);

    first.await.unwrap().expect("the write before it commits");
    let err = panicking
        .await
        .unwrap()
        .expect_err("the panicking write fails");
    assert!(matches!(err, StoreError::Panicked(_)), "{err:?}");
    assert!(err.to_string().contains("a bug in a write"), "{err}");
    let shown = crate::error::UserError::from(err);
    assert_eq!(shown.code, crate::error::ErrorCode::Internal, "{shown:?}");
    assert!(shown.hint.contains("not a disk problem"), "{shown:?}");
    last.await.unwrap().expect("the write after it commits too");

    assert_eq!(
        store.setting("half").await.unwrap(),
        None,
        "nothing of it stayed"
    );
    assert_eq!(
        store.setting("before").await.unwrap().as_deref(),
        Some("kept")
    );
    assert_eq!(
        store.setting("after").await.unwrap().as_deref(),
        Some("kept")
    );
    // The writer is alive: later writes land, and no damage was noted.
    store
        .set_setting("later", "v")
        .await
        .expect("later writes go on");
    assert!(store.corruption().is_none());
    store.close().await;
}

#[tokio::test]
async fn a_failure_of_the_whole_batch_fails_every_write_in_it_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    // The write connection refuses all writes while `query_only` is on: a
    // failure no single write caused.
    let mut conn = store.inner.write_connection.acquire().await.unwrap();
    sqlx::query("PRAGMA query_only = ON")
        .execute(&mut *conn)
        .await
        .unwrap();
    let writes: Vec<_> = (0..3)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.set_setting(&format!("k{i}"), "v").await })
        })
        .collect();
    until_queued(&store, 2).await;
    // Released with query_only still on; turned off again below.
    drop(conn);
    for write in writes {
        let err = write.await.unwrap().expect_err("nothing may be saved");
        assert!(matches!(err, StoreError::WriteFailed(_)), "{err:?}");
        assert!(err.to_string().contains("not saved"), "{err}");
    }
    assert!(store.settings().await.unwrap().is_empty());

    let mut conn = store.inner.write_connection.acquire().await.unwrap();
    sqlx::query("PRAGMA query_only = OFF")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    store
        .set_setting("after", "v")
        .await
        .expect("writes work again");
    store.close().await;
}

#[tokio::test]
async fn readers_cannot_write_and_writes_after_close_fail() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let err = sqlx::query("INSERT INTO settings VALUES ('k', 'v', 0)")
        .execute(store.pool())
        .await
        .expect_err("the read pool is read-only");
    assert!(err.to_string().contains("readonly"), "{err}");
    store.close().await;
    let err = store.set_setting("k", "v").await.expect_err("closed");
    assert!(
        matches!(err, StoreError::Database(sqlx::Error::PoolClosed)),
        "{err:?}"
    );
}
