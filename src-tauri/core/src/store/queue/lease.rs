//! Claiming queue rows under a lease, and taking leases back: handed back
//! on purpose (a stop, a pause), expired, or a dead scanner's.

use std::time::Duration;

use sqlx::sqlite::SqliteConnection;

use super::{
    add_file_counts, bad_value, by_kind, plus, Claimed, ItemKind, QueueReason, MAX_CRASHES,
};
use crate::store::{Millis, Store, StoreError, StoreResult};

/// Leases back to the queue, inside the caller's transaction: all of them,
/// or those expired at `expired_at`. A lease that ends this way is a worker
/// that died holding it: the claim's attempt becomes a crash, and an item
/// with [`MAX_CRASHES`] is set aside as `failed`, saying why. `in_progress`
/// (JSON `["file 123", …]`, from the dead scanner's journal) narrows the
/// crash to the items it was working on; the others go back uncounted.
/// (Without `INDEXED BY` the planner, having no statistics, walks every
/// row of the connection instead.)
pub(crate) async fn reclaim_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    expired_at: Option<Millis>,
    in_progress: Option<String>,
) -> StoreResult<u64> {
    let set_aside = format!(
        "The scanner stopped {MAX_CRASHES} times while working on this item (a crash or a kill): \
         it was set aside so the scan could go on"
    );
    let rows = sqlx::query!(
        r#"UPDATE scan_queue SET lease_owner = NULL, lease_expires_at = NULL,
               attempts = max(attempts - 1, 0),
               crashes = crashes + suspect.yes,
               state = CASE WHEN crashes + suspect.yes >= ?3 THEN 'failed' ELSE 'queued' END,
               last_error = CASE WHEN crashes + suspect.yes >= ?3 THEN ?4 ELSE last_error END
           FROM (SELECT q.item_type AS t, q.item_id AS i,
                        (?5 IS NULL OR q.item_type || ' ' || q.item_id IN
                            (SELECT value FROM json_each(?5))) AS yes
                 FROM scan_queue q INDEXED BY scan_queue_claim
                 WHERE q.connection_id = ?1 AND q.state = 'leased'
                   AND (?2 IS NULL OR q.lease_expires_at <= ?2)) AS suspect
           WHERE scan_queue.connection_id = ?1 AND scan_queue.item_type = suspect.t
             AND scan_queue.item_id = suspect.i
           RETURNING scan_queue.item_type AS "item_type!", scan_queue.state AS "state!""#,
        connection_id,
        expired_at,
        MAX_CRASHES,
        set_aside,
        in_progress,
    )
    .fetch_all(&mut *conn)
    .await?;
    let failed_files = rows
        .iter()
        .filter(|r| r.state == "failed" && r.item_type == "file")
        .count() as i64;
    if failed_files > 0 {
        add_file_counts(conn, connection_id, 0, failed_files).await?;
    }
    Ok(rows.len() as u64)
}

/// Hands leased rows back as they were before the claim (the attempt not
/// counted), inside the caller's transaction: the work stopped for a cause
/// outside them.
pub(crate) async fn release_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    rows: &[Claimed],
) -> StoreResult<()> {
    for (kind, rows) in by_kind(rows, |c| c.item) {
        let ids: Vec<&str> = rows.iter().map(|c| c.item_id.as_str()).collect();
        let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Refused(e.to_string()))?;
        let kind_str = kind.as_str();
        sqlx::query!(
            "UPDATE scan_queue SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, \
                 attempts = max(attempts - 1, 0) \
             WHERE connection_id = ?1 AND item_type = ?2 \
               AND item_id IN (SELECT value FROM json_each(?3)) AND +state = 'leased'",
            connection_id,
            kind_str,
            ids,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Leases up to `limit` queued rows whose backoff has passed, front
    /// first (priority, then enqueued_at), to `lease_owner` until
    /// `now + lease`: one statement. Returned in queue order.
    pub async fn claim(
        &self,
        connection_id: &str,
        lease_owner: &str,
        limit: usize,
        lease: Duration,
        now: Millis,
    ) -> StoreResult<Vec<Claimed>> {
        self.claim_up_to(connection_id, lease_owner, limit, lease, now, i64::MAX)
            .await
    }

    /// [`Store::claim`] of rows at `max_priority` or before only (the
    /// scanner's express worker takes event rows this way, so an edit's
    /// rescan never waits for a full-scan batch to finish).
    pub async fn claim_up_to(
        &self,
        connection_id: &str,
        lease_owner: &str,
        limit: usize,
        lease: Duration,
        now: Millis,
        max_priority: i64,
    ) -> StoreResult<Vec<Claimed>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let data = (
            connection_id.to_owned(),
            lease_owner.to_owned(),
            plus(now, lease),
            now,
            limit,
            max_priority,
        );
        self.write(data, |(connection_id, owner, expires, now, limit, max_priority), conn| {
            Box::pin(async move {
                // The outer UPDATE finds the rows by primary key; the
                // subquery walks the claim index from the front. Suspects
                // (rows a dead scanner held) only when nothing else is
                // ready, one at a time across the scanner.
                let mut rows = Vec::new();
                for suspects in [false, true] {
                    rows = sqlx::query!(
                        r#"UPDATE scan_queue SET state = 'leased', lease_owner = ?2, lease_expires_at = ?3,
                               attempts = attempts + 1
                           WHERE connection_id = ?1 AND (item_type, item_id) IN (
                               SELECT item_type, item_id FROM scan_queue
                               WHERE connection_id = ?1 AND state = 'queued' AND not_before <= ?4
                                 AND priority <= ?6 AND (crashes > 0) = ?7
                                 AND (NOT ?7 OR NOT EXISTS (
                                     SELECT 1 FROM scan_queue held INDEXED BY scan_queue_claim
                                     WHERE held.connection_id = ?1 AND held.state = 'leased'
                                       AND held.crashes > 0))
                               ORDER BY crashes, priority, enqueued_at
                               LIMIT CASE WHEN ?7 THEN 1 ELSE ?5 END)
                           RETURNING item_type AS "item_type!", item_id AS "item_id!",
                                     priority AS "priority!", reason AS "reason!",
                                     reason_event_id, reason_detail,
                                     attempts AS "attempts!: u32", version AS "version!",
                                     enqueued_at AS "enqueued_at!: Millis""#,
                        connection_id,
                        owner,
                        expires,
                        now,
                        limit,
                        max_priority,
                        suspects,
                    )
                    .fetch_all(&mut *conn)
                    .await?;
                    if !rows.is_empty() {
                        break;
                    }
                }
                // RETURNING gives no order.
                rows.sort_by(|a, b| {
                    (a.priority, a.enqueued_at, &a.item_id).cmp(&(b.priority, b.enqueued_at, &b.item_id))
                });
                rows.into_iter()
                    .map(|row| {
                        Ok(Claimed {
                            item: ItemKind::parse(&row.item_type)
                                .ok_or_else(|| bad_value("item_type", &row.item_type))?,
                            reason: QueueReason::parse(&row.reason)
                                .ok_or_else(|| bad_value("reason", &row.reason))?,
                            item_id: row.item_id,
                            priority: row.priority,
                            reason_event_id: row.reason_event_id,
                            reason_detail: row.reason_detail,
                            attempts: row.attempts,
                            version: row.version,
                        })
                    })
                    .collect()
            })
        })
        .await
    }

    /// Hands unfinished claimed rows back uncounted (see [`release_in`]).
    pub async fn release(&self, connection_id: &str, rows: &[Claimed]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let data = (connection_id.to_owned(), rows.to_vec());
        self.write(data, |(connection_id, rows), conn| {
            Box::pin(release_in(conn, connection_id, rows))
        })
        .await
    }

    /// Hands every leased row back uncounted: for a scanner that holds the
    /// data dir's scanner lock (so every lease is its own) and stopped its
    /// workers on purpose.
    pub async fn release_all_leases(&self, connection_id: &str) -> StoreResult<u64> {
        self.write(connection_id.to_owned(), |connection_id, conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    "UPDATE scan_queue SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, \
                         attempts = max(attempts - 1, 0) \
                     WHERE connection_id = ?1 AND (item_type, item_id) IN ( \
                         SELECT item_type, item_id FROM scan_queue INDEXED BY scan_queue_claim \
                         WHERE connection_id = ?1 AND state = 'leased')",
                    connection_id,
                )
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }

    /// Returns every lease to the queue at once. For a scanner starting
    /// with the data dir's scanner lock held: any lease is a dead one's.
    pub async fn reclaim_all_leases(&self, connection_id: &str) -> StoreResult<u64> {
        self.reclaim_after_crash(connection_id, None).await
    }

    /// [`Store::reclaim_all_leases`] knowing what the dead scanner was
    /// working on (its journal): only those items count a crash.
    pub async fn reclaim_after_crash(
        &self,
        connection_id: &str,
        in_progress: Option<&std::collections::BTreeSet<(ItemKind, String)>>,
    ) -> StoreResult<u64> {
        let in_progress = in_progress
            .map(|items| {
                let keys: Vec<String> = items
                    .iter()
                    .map(|(kind, id)| format!("{} {id}", kind.as_str()))
                    .collect();
                serde_json::to_string(&keys)
            })
            .transpose()
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        self.write(
            (connection_id.to_owned(), in_progress),
            |(connection_id, in_progress), conn| {
                Box::pin(reclaim_in(conn, connection_id, None, in_progress.clone()))
            },
        )
        .await
    }

    /// Returns the leases expired at `now` to the queue (a worker that died
    /// or hung).
    pub async fn reclaim_expired(&self, connection_id: &str, now: Millis) -> StoreResult<u64> {
        self.write(
            (connection_id.to_owned(), now),
            |(connection_id, now), conn| {
                Box::pin(reclaim_in(conn, connection_id, Some(*now), None))
            },
        )
        .await
    }
}
