//! Findings as policies and the policy runner see them.

use super::*;

/// A finding row as the scan writes it (only what the policy cursor reads).
async fn raw_finding(store: &Store, file_id: &str) -> i64 {
    let mut tx = store.begin_write().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO findings (connection_id, file_id, kind, via_key, severity, severity_rank,
             reached_via, opened_at, last_seen_at)
         VALUES ('c1', ?, 'public_link', 'file', 'high', 3, 'its own open link', 0, 0)
         RETURNING finding_id",
    )
    .bind(file_id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_policy_acts_only_on_findings_opened_after_it_was_enabled_and_re_enabling_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let acts_after = |store: Store, id: i64| async move {
        let p = store.policies().await.unwrap();
        p.into_iter()
            .find(|p| p.policy_id == id)
            .unwrap()
            .acts_after
    };
    let old = raw_finding(&store, "f1").await;
    let now = Millis::from(at(1_764_000_000));
    let id = store
        .add_policy("p", "{}", Some("remove_link"), true, 7, now)
        .await
        .unwrap();
    assert_eq!(
        acts_after(store.clone(), id).await,
        old,
        "what exists is not acted on"
    );
    assert_eq!(store.policies().await.unwrap()[0].daily_cap, 7);
    let newer = raw_finding(&store, "f2").await;
    store.set_policy_enabled(id, true).await.unwrap();
    assert_eq!(
        acts_after(store.clone(), id).await,
        old,
        "still on: unchanged"
    );
    store.set_policy_enabled(id, false).await.unwrap();
    assert_eq!(acts_after(store.clone(), id).await, old);
    store.set_policy_enabled(id, true).await.unwrap();
    assert_eq!(
        acts_after(store.clone(), id).await,
        newer,
        "re-enabled: from now on"
    );
    store.close().await;
}

#[tokio::test]
async fn the_store_tells_this_process_when_findings_open_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let mut opened = store.findings_opened();
    store.set_setting("k", "v").await.unwrap();
    assert!(
        !opened.has_changed().unwrap(),
        "a write that opens no finding"
    );
    // Rolled back: nothing opened.
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query(
        "INSERT INTO findings (connection_id, file_id, kind, via_key, severity, severity_rank,
             reached_via, opened_at, last_seen_at)
         VALUES ('c1', 'f0', 'public_link', 'file', 'high', 3, 'x', 0, 0)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(!opened.has_changed().unwrap(), "a rolled-back finding");
    raw_finding(&store, "f1").await;
    tokio::time::timeout(std::time::Duration::from_secs(5), opened.changed())
        .await
        .expect("told at the commit")
        .unwrap();
    store.close().await;
}
