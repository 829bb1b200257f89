//! `audit_log`: each action on Box, written before each request is sent and
//! after Box answers (so an interruption leaves a row to resume from), and
//! the lease that lets one process at a time send an entry's steps.

use crate::store::{count, Millis, Store, StoreResult};

/// An audit row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub audit_id: i64,
    pub connection_id: String,
    pub batch_id: Option<i64>,
    pub policy_id: Option<i64>,
    pub actor: String,
    pub requested_at: Millis,
    pub finished_at: Option<Millis>,
    pub kind: String,
    pub item_type: String,
    pub item_id: String,
    pub item_name: Option<String>,
    pub item_path: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
    pub acting_as: Option<String>,
    pub state: String,
    pub request: String,
    pub changes: String,
    pub steps: String,
    pub steps_done: i64,
    pub before: String,
    pub after: Option<String>,
    pub box_answer: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_hint: Option<String>,
    pub recovered: bool,
}

/// A confirmed action, as first written (state `pending` or `refused`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    pub connection_id: String,
    pub batch_id: Option<i64>,
    pub policy_id: Option<i64>,
    pub actor: String,
    pub requested_at: Millis,
    pub kind: String,
    pub item_type: String,
    pub item_id: String,
    pub item_name: Option<String>,
    pub item_path: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
    pub acting_as: Option<String>,
    pub state: String,
    pub request: String,
    pub changes: String,
    pub steps: String,
    pub before: String,
}

/// Where an action stands after a step, or at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditUpdate {
    pub audit_id: i64,
    pub state: String,
    pub steps: String,
    pub steps_done: i64,
    pub box_answer: String,
    pub after: Option<String>,
    pub error: Option<(String, String, String)>,
    pub finished_at: Option<Millis>,
    pub recovered: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub batch_id: Option<i64>,
    pub item_id: Option<String>,
    pub state: Option<String>,
}

/// This process's claim on an audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLease {
    pub token: String,
    pub host: String,
    pub pid: i64,
    pub expires_at: Millis,
}

/// What a claim on an audit entry found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditClaim {
    /// This process works the entry until the lease expires.
    Claimed,
    /// Another process does: its host and pid, and until when.
    HeldBy {
        host: String,
        pid: i64,
        expires_at: Millis,
    },
    /// Nothing is left to send (finished, or no such entry).
    Finished,
}

/// `SELECT <every audit column> FROM audit_log <rest>` into an [`AuditRecord`].
macro_rules! select_audit {
    ($rest:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            AuditRecord,
            r#"SELECT audit_id AS "audit_id!", connection_id, batch_id, policy_id, actor,
                      requested_at AS "requested_at: Millis", finished_at AS "finished_at: Millis",
                      kind, item_type, item_id, item_name, item_path, owner_id, owner_login,
                      acting_as, state, request, changes, steps, steps_done, before, after,
                      box_answer, error_code, error_message, error_hint,
                      recovered AS "recovered: bool"
               FROM audit_log "# + $rest
            $(, $arg)*
        )
    };
}

impl Store {
    pub async fn insert_audit(&self, entry: NewAudit) -> StoreResult<i64> {
        self.write(entry, |e, conn| {
            Box::pin(async move {
                let id = sqlx::query_scalar!(
                    r#"INSERT INTO audit_log (connection_id, batch_id, policy_id, actor, requested_at,
                           finished_at, kind, item_type, item_id, item_name, item_path, owner_id,
                           owner_login, acting_as, state, request, changes, steps, before)
                       VALUES (?, ?, ?, ?, ?, CASE WHEN ? = 'refused' THEN ? END, ?, ?, ?, ?, ?, ?,
                               ?, ?, ?, ?, ?, ?, ?)
                       RETURNING audit_id AS "audit_id!""#,
                    e.connection_id,
                    e.batch_id,
                    e.policy_id,
                    e.actor,
                    e.requested_at,
                    e.state,
                    e.requested_at,
                    e.kind,
                    e.item_type,
                    e.item_id,
                    e.item_name,
                    e.item_path,
                    e.owner_id,
                    e.owner_login,
                    e.acting_as,
                    e.state,
                    e.request,
                    e.changes,
                    e.steps,
                    e.before
                )
                .fetch_one(&mut *conn)
                .await?;
                Ok(id)
            })
        })
        .await
    }

    /// Records a step's outcome, or the action's end. Committed before the
    /// next request is sent.
    pub async fn update_audit(&self, update: AuditUpdate) -> StoreResult<()> {
        self.write(update, |u, conn| {
            Box::pin(async move {
                let (code, message, hint) = match &u.error {
                    Some((c, m, h)) => (Some(c.as_str()), Some(m.as_str()), Some(h.as_str())),
                    None => (None, None, None),
                };
                sqlx::query!(
                    "UPDATE audit_log SET state = ?, steps = ?, steps_done = ?, box_answer = ?,
                         after = COALESCE(?, after), error_code = ?, error_message = ?,
                         error_hint = ?, finished_at = ?, recovered = (recovered OR ?)
                     WHERE audit_id = ?",
                    u.state,
                    u.steps,
                    u.steps_done,
                    u.box_answer,
                    u.after,
                    code,
                    message,
                    hint,
                    u.finished_at,
                    u.recovered,
                    u.audit_id
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Records what Box said about the item just before the first request
    /// (`before`, JSON), once the live state is read.
    pub async fn set_audit_before(&self, audit_id: i64, before: String) -> StoreResult<()> {
        self.write((audit_id, before), |(id, before), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "UPDATE audit_log SET before = ? WHERE audit_id = ?",
                    before,
                    id
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn audit_entry(&self, audit_id: i64) -> StoreResult<Option<AuditRecord>> {
        let row = select_audit!("WHERE audit_id = ?", audit_id)
            .fetch_optional(self.pool())
            .await;
        self.noted(row)
    }

    /// Actions of this connection that were confirmed but not finished
    /// (the process died, or the network went, while they were sent).
    pub async fn unfinished_audits(&self, connection_id: &str) -> StoreResult<Vec<AuditRecord>> {
        let rows = select_audit!(
            "WHERE connection_id = ? AND state IN ('pending', 'sending') ORDER BY audit_id",
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// The audit log, newest first, every connection's (it outlives them).
    pub async fn audit_page(
        &self,
        q: &AuditQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<AuditRecord>> {
        let rows = select_audit!(
            "WHERE (?1 IS NULL OR batch_id = ?1) AND (?2 IS NULL OR item_id = ?2)
               AND (?3 IS NULL OR state = ?3)
             ORDER BY audit_id DESC LIMIT ?4 OFFSET ?5",
            q.batch_id,
            q.item_id,
            q.state,
            limit,
            offset
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// The audit log in id order after `after`, for exports of any size.
    pub async fn audit_after(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        let rows = select_audit!("WHERE audit_id > ? ORDER BY audit_id LIMIT ?", after, limit)
            .fetch_all(self.pool())
            .await;
        self.noted(rows)
    }

    pub async fn audit_total(&self, q: &AuditQuery) -> StoreResult<u64> {
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM audit_log
               WHERE (?1 IS NULL OR batch_id = ?1) AND (?2 IS NULL OR item_id = ?2)
                 AND (?3 IS NULL OR state = ?3)"#,
            q.batch_id,
            q.item_id,
            q.state
        )
        .fetch_one(self.pool())
        .await;
        Ok(count(self.noted(n)?))
    }

    pub async fn unfinished_audit_count(&self, connection_id: &str) -> StoreResult<u64> {
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM audit_log
               WHERE connection_id = ? AND state IN ('pending', 'sending')"#,
            connection_id
        )
        .fetch_one(self.pool())
        .await;
        Ok(count(self.noted(n)?))
    }

    /// Takes the entry for this process unless a live one holds it: free,
    /// its lease expired, already this lease's, or held by a process of
    /// this host that `alive` says is gone (a crash).
    pub async fn claim_audit(
        &self,
        audit_id: i64,
        lease: AuditLease,
        now: Millis,
        alive: fn(&str, i64) -> bool,
    ) -> StoreResult<AuditClaim> {
        self.write(
            (audit_id, lease, now, alive),
            |(id, lease, now, alive), conn| {
                Box::pin(async move {
                    let Some(row) = sqlx::query!(
                        r#"SELECT state, lease_token, lease_host, lease_pid,
                              lease_expires_at AS "lease_expires_at: Millis"
                       FROM audit_log WHERE audit_id = ?"#,
                        id
                    )
                    .fetch_optional(&mut *conn)
                    .await?
                    else {
                        return Ok(AuditClaim::Finished);
                    };
                    if row.state != "pending" && row.state != "sending" {
                        return Ok(AuditClaim::Finished);
                    }
                    if let (Some(token), Some(host), Some(pid), Some(expires_at)) = (
                        row.lease_token,
                        row.lease_host,
                        row.lease_pid,
                        row.lease_expires_at,
                    ) {
                        let held = token != lease.token
                            && expires_at > *now
                            && (host != lease.host || alive(&host, pid));
                        if held {
                            return Ok(AuditClaim::HeldBy {
                                host,
                                pid,
                                expires_at,
                            });
                        }
                    }
                    sqlx::query!(
                        "UPDATE audit_log SET lease_token = ?, lease_host = ?, lease_pid = ?,
                         lease_expires_at = ?
                     WHERE audit_id = ?",
                        lease.token,
                        lease.host,
                        lease.pid,
                        lease.expires_at,
                        id
                    )
                    .execute(&mut *conn)
                    .await?;
                    Ok(AuditClaim::Claimed)
                })
            },
        )
        .await
    }

    /// Extends this lease; `false` when it is no longer this process's.
    pub async fn renew_audit_lease(
        &self,
        audit_id: i64,
        token: &str,
        expires_at: Millis,
    ) -> StoreResult<bool> {
        let data = (audit_id, token.to_owned(), expires_at);
        self.write(data, |(id, token, expires_at), conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    "UPDATE audit_log SET lease_expires_at = ? WHERE audit_id = ? AND lease_token = ?",
                    expires_at,
                    id,
                    token
                )
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() > 0)
            })
        })
        .await
    }

    /// Lets go of this lease (another process may take the entry at once).
    pub async fn release_audit_lease(&self, audit_id: i64, token: &str) -> StoreResult<()> {
        self.write((audit_id, token.to_owned()), |(id, token), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "UPDATE audit_log SET lease_token = NULL, lease_host = NULL, lease_pid = NULL,
                         lease_expires_at = NULL
                     WHERE audit_id = ? AND lease_token = ?",
                    id,
                    token
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }
}
