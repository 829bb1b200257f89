//! What the store tells this process as it happens: findings opened. The
//! single write connection notes each row SQLite inserts into `findings`
//! (an update hook) and passes the news on when that transaction commits
//! (a commit hook; a rollback drops it). So whoever watches (the policies)
//! wakes when findings open, not on a timer, and never for a rolled-back
//! write. Other processes' writes are theirs to announce: findings open
//! where the scanner runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sqlx::sqlite::{SqliteOperation, SqlitePool};
use tokio::sync::watch;

#[derive(Debug)]
pub(super) struct FindingsOpened {
    /// A finding was inserted in the transaction now open.
    pending: AtomicBool,
    /// Counts the commits that opened findings.
    commits: watch::Sender<u64>,
}

impl FindingsOpened {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(FindingsOpened {
            pending: AtomicBool::new(false),
            commits: watch::channel(0).0,
        })
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// Hooks the store's one write connection (kept for the store's life).
    pub(super) async fn install(self: &Arc<Self>, writer: &SqlitePool) -> sqlx::Result<()> {
        let mut conn = writer.acquire().await?;
        let mut handle = conn.lock_handle().await?;
        let seen = self.clone();
        handle.set_update_hook(move |row| {
            if matches!(row.operation, SqliteOperation::Insert) && row.table == "findings" {
                seen.pending.store(true, Ordering::Relaxed);
            }
        });
        let kept = self.clone();
        handle.set_commit_hook(move || {
            if kept.pending.swap(false, Ordering::Relaxed) {
                kept.commits.send_modify(|n| *n = n.wrapping_add(1));
            }
            true
        });
        let dropped = self.clone();
        handle.set_rollback_hook(move || dropped.pending.store(false, Ordering::Relaxed));
        Ok(())
    }
}
