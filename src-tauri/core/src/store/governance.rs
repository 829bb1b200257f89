//! Governance's rows: the audit log (written before each request is sent and
//! after Box answers, so an interruption leaves a row to resume from), bulk
//! batches, quarantined items, policies and alerts. JSON columns hold what
//! the `govern` module serializes; no link URL and no secret goes in.

use super::{Millis, Store, StoreResult};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    pub batch_id: i64,
    pub connection_id: String,
    pub kind: String,
    pub total: i64,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
}

/// How many of a batch's entries are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub recorded: u64,
    pub done: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub refused: u64,
    pub unfinished: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRecord {
    pub item_type: String,
    pub item_id: String,
    pub audit_id: i64,
    pub quarantined_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub policy_id: i64,
    pub name: String,
    pub enabled: bool,
    pub matches: String,
    pub action: Option<String>,
    pub auto_act: bool,
    pub created_at: Millis,
    pub evaluated_through: i64,
    /// The policy acts only on findings with a larger id (opened after it
    /// was last enabled).
    pub acts_after: i64,
    /// Actions a day at most.
    pub daily_cap: i64,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    pub alert_id: i64,
    pub policy_id: i64,
    pub policy_name: String,
    pub finding_id: i64,
    pub raised_at: Millis,
    pub audit_id: Option<i64>,
    pub acknowledged_at: Option<Millis>,
    pub note: Option<String>,
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

/// A file or folder as the scan stored it, for a bulk preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    pub name: Option<String>,
    pub path: Option<String>,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
    pub shared_link: Option<String>,
    pub externally_owned: bool,
    pub removed: bool,
}

/// `SELECT <every alert column, with its policy's name> FROM alerts a JOIN
/// policies p <rest>` into an [`AlertRecord`].
macro_rules! select_alerts {
    ($rest:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            AlertRecord,
            r#"SELECT a.alert_id AS "alert_id!", a.policy_id, p.name AS policy_name, a.finding_id,
                      a.raised_at AS "raised_at: Millis", a.audit_id,
                      a.acknowledged_at AS "acknowledged_at: Millis", a.note
               FROM alerts a JOIN policies p ON p.policy_id = a.policy_id "# + $rest
            $(, $arg)*
        )
    };
}

fn u(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
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
        Ok(u(self.noted(n)?))
    }

    pub async fn unfinished_audit_count(&self, connection_id: &str) -> StoreResult<u64> {
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM audit_log
               WHERE connection_id = ? AND state IN ('pending', 'sending')"#,
            connection_id
        )
        .fetch_one(self.pool())
        .await;
        Ok(u(self.noted(n)?))
    }

    pub async fn create_batch(
        &self,
        connection_id: &str,
        kind: &str,
        filter: &str,
        total: i64,
        now: Millis,
    ) -> StoreResult<i64> {
        let data = (
            connection_id.to_owned(),
            kind.to_owned(),
            filter.to_owned(),
            total,
            now,
        );
        self.write(data, |(id, kind, filter, total, now), conn| {
            Box::pin(async move {
                let batch = sqlx::query_scalar!(
                    r#"INSERT INTO action_batches (connection_id, kind, filter, total, started_at)
                       VALUES (?, ?, ?, ?, ?) RETURNING batch_id AS "batch_id!""#,
                    id,
                    kind,
                    filter,
                    total,
                    now
                )
                .fetch_one(&mut *conn)
                .await?;
                Ok(batch)
            })
        })
        .await
    }

    pub async fn finish_batch(&self, batch_id: i64, now: Millis) -> StoreResult<()> {
        self.write((batch_id, now), |(batch, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "UPDATE action_batches SET finished_at = COALESCE(finished_at, ?) WHERE batch_id = ?",
                    now,
                    batch
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn batch(&self, batch_id: i64) -> StoreResult<Option<BatchRecord>> {
        let row = sqlx::query_as!(
            BatchRecord,
            r#"SELECT batch_id AS "batch_id!", connection_id, kind, total,
                      started_at AS "started_at: Millis", finished_at AS "finished_at: Millis"
               FROM action_batches WHERE batch_id = ?"#,
            batch_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    pub async fn batch_counts(&self, batch_id: i64) -> StoreResult<BatchCounts> {
        let rows = sqlx::query!(
            r#"SELECT state, COUNT(*) AS "n!: i64" FROM audit_log WHERE batch_id = ? GROUP BY state"#,
            batch_id
        )
        .fetch_all(self.pool())
        .await;
        let mut counts = BatchCounts::default();
        for r in self.noted(rows)? {
            let n = u(r.n);
            counts.recorded += n;
            match r.state.as_str() {
                "done" => counts.done += n,
                "unchanged" => counts.unchanged += n,
                "failed" => counts.failed += n,
                "refused" => counts.refused += n,
                _ => counts.unfinished += n,
            }
        }
        Ok(counts)
    }

    /// Batches left unfinished by an earlier process.
    pub async fn unfinished_batches(&self, connection_id: &str) -> StoreResult<Vec<BatchRecord>> {
        let rows = sqlx::query_as!(
            BatchRecord,
            r#"SELECT batch_id AS "batch_id!", connection_id, kind, total,
                      started_at AS "started_at: Millis", finished_at AS "finished_at: Millis"
               FROM action_batches WHERE connection_id = ? AND finished_at IS NULL
               ORDER BY batch_id"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    pub async fn put_quarantine(
        &self,
        connection_id: &str,
        q: QuarantineRecord,
    ) -> StoreResult<()> {
        self.write((connection_id.to_owned(), q), |(id, q), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO quarantine (connection_id, item_type, item_id, audit_id, quarantined_at)
                     VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT (connection_id, item_type, item_id) DO UPDATE
                     SET audit_id = excluded.audit_id, quarantined_at = excluded.quarantined_at",
                    id,
                    q.item_type,
                    q.item_id,
                    q.audit_id,
                    q.quarantined_at
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn quarantined(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Option<QuarantineRecord>> {
        let row = sqlx::query_as!(
            QuarantineRecord,
            r#"SELECT item_type, item_id, audit_id, quarantined_at AS "quarantined_at: Millis"
               FROM quarantine WHERE connection_id = ? AND item_type = ? AND item_id = ?"#,
            connection_id,
            item_type,
            item_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    pub async fn remove_quarantine(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<()> {
        let data = (
            connection_id.to_owned(),
            item_type.to_owned(),
            item_id.to_owned(),
        );
        self.write(data, |(id, t, item), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "DELETE FROM quarantine WHERE connection_id = ? AND item_type = ? AND item_id = ?",
                    id,
                    t,
                    item
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// A new policy, enabled: it acts only on findings opened from now on.
    pub async fn add_policy(
        &self,
        name: &str,
        matches: &str,
        action: Option<&str>,
        auto_act: bool,
        daily_cap: i64,
        now: Millis,
    ) -> StoreResult<i64> {
        let data = (
            name.to_owned(),
            matches.to_owned(),
            action.map(str::to_owned),
            auto_act,
            daily_cap,
            now,
        );
        self.write(data, |(name, matches, action, auto_act, cap, now), conn| {
            Box::pin(async move {
                let id = sqlx::query_scalar!(
                    r#"INSERT INTO policies (name, matches, action, auto_act, created_at,
                           daily_cap, acts_after)
                       VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(finding_id), 0) FROM findings))
                       RETURNING policy_id AS "policy_id!""#,
                    name,
                    matches,
                    action,
                    auto_act,
                    now,
                    cap
                )
                .fetch_one(&mut *conn)
                .await?;
                Ok(id)
            })
        })
        .await
    }

    pub async fn policies(&self) -> StoreResult<Vec<PolicyRecord>> {
        let rows = sqlx::query_as!(
            PolicyRecord,
            r#"SELECT policy_id AS "policy_id!", name, enabled AS "enabled: bool", matches, action,
                      auto_act AS "auto_act: bool", created_at AS "created_at: Millis",
                      evaluated_through, acts_after, daily_cap
               FROM policies ORDER BY policy_id"#
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// Removes the policy and its alerts; the audit entries of what it did stay.
    pub async fn remove_policy(&self, policy_id: i64) -> StoreResult<bool> {
        self.write(policy_id, |id, conn| {
            Box::pin(async move {
                sqlx::query!("DELETE FROM alerts WHERE policy_id = ?", id)
                    .execute(&mut *conn)
                    .await?;
                let gone = sqlx::query!("DELETE FROM policies WHERE policy_id = ?", id)
                    .execute(&mut *conn)
                    .await?;
                Ok(gone.rows_affected() > 0)
            })
        })
        .await
    }

    /// Turning a policy on again counts as enabling it: it acts only on
    /// findings opened from then on.
    pub async fn set_policy_enabled(&self, policy_id: i64, enabled: bool) -> StoreResult<bool> {
        self.write((policy_id, enabled), |(id, enabled), conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    "UPDATE policies SET enabled = ?1,
                         acts_after = CASE WHEN ?1 AND NOT enabled
                             THEN (SELECT COALESCE(MAX(finding_id), 0) FROM findings)
                             ELSE acts_after END
                     WHERE policy_id = ?2",
                    enabled,
                    id
                )
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() > 0)
            })
        })
        .await
    }

    /// Raises the alerts for findings a policy matched (one per policy and
    /// finding, ever) and moves the policy's cursor, in one transaction.
    /// Returns the ids of the alerts that are new.
    pub async fn raise_alerts(
        &self,
        connection_id: &str,
        policy_id: i64,
        finding_ids: Vec<i64>,
        evaluated_through: i64,
        now: Millis,
    ) -> StoreResult<Vec<i64>> {
        let data = (
            connection_id.to_owned(),
            policy_id,
            finding_ids,
            evaluated_through,
            now,
        );
        self.write(data, |(id, policy, findings, through, now), conn| {
            Box::pin(async move {
                let mut raised = Vec::new();
                for finding in findings {
                    let alert = sqlx::query_scalar!(
                        r#"INSERT INTO alerts (connection_id, policy_id, finding_id, raised_at)
                           VALUES (?, ?, ?, ?) ON CONFLICT (policy_id, finding_id) DO NOTHING
                           RETURNING alert_id AS "alert_id!""#,
                        id,
                        policy,
                        finding,
                        now
                    )
                    .fetch_optional(&mut *conn)
                    .await?;
                    raised.extend(alert);
                }
                sqlx::query!(
                    "UPDATE policies SET evaluated_through = MAX(evaluated_through, ?) WHERE policy_id = ?",
                    through,
                    policy
                )
                .execute(&mut *conn)
                .await?;
                Ok(raised)
            })
        })
        .await
    }

    /// Why a policy did not act on an alert's finding.
    pub async fn set_alert_note(&self, alert_id: i64, note: &str) -> StoreResult<()> {
        self.write((alert_id, note.to_owned()), |(alert, note), conn| {
            Box::pin(async move {
                sqlx::query!("UPDATE alerts SET note = ? WHERE alert_id = ?", note, alert)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Actions a policy took since `since` (for its daily cap).
    pub async fn policy_actions_since(&self, policy_id: i64, since: Millis) -> StoreResult<u64> {
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM audit_log
               WHERE policy_id = ? AND requested_at >= ?"#,
            policy_id,
            since
        )
        .fetch_one(self.pool())
        .await;
        Ok(u(self.noted(n)?))
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

    /// The quarantine folder the app made for this connection, by id.
    pub async fn quarantine_folder(&self, connection_id: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query_scalar!(
            "SELECT folder_id FROM quarantine_folders WHERE connection_id = ?",
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    pub async fn set_quarantine_folder(
        &self,
        connection_id: &str,
        folder_id: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let data = (connection_id.to_owned(), folder_id.to_owned(), now);
        self.write(data, |(id, folder, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO quarantine_folders (connection_id, folder_id, made_at)
                     VALUES (?, ?, ?)
                     ON CONFLICT (connection_id) DO UPDATE
                     SET folder_id = excluded.folder_id, made_at = excluded.made_at",
                    id,
                    folder,
                    now
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn set_alert_audit(&self, alert_id: i64, audit_id: i64) -> StoreResult<()> {
        self.write((alert_id, audit_id), |(alert, audit), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "UPDATE alerts SET audit_id = ? WHERE alert_id = ?",
                    audit,
                    alert
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn alerts(
        &self,
        connection_id: &str,
        include_acknowledged: bool,
        limit: u32,
    ) -> StoreResult<Vec<AlertRecord>> {
        let rows = select_alerts!(
            "WHERE a.connection_id = ?1 AND (?2 OR a.acknowledged_at IS NULL)
             ORDER BY a.acknowledged_at IS NOT NULL, a.alert_id DESC LIMIT ?3",
            connection_id,
            include_acknowledged,
            limit
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    pub async fn alerts_by_id(&self, alert_ids: &[i64]) -> StoreResult<Vec<AlertRecord>> {
        let mut out = Vec::with_capacity(alert_ids.len());
        for id in alert_ids {
            let row = select_alerts!("WHERE a.alert_id = ?", id)
                .fetch_optional(self.pool())
                .await;
            out.extend(self.noted(row)?);
        }
        Ok(out)
    }

    pub async fn open_alert_count(&self, connection_id: &str) -> StoreResult<u64> {
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM alerts
               WHERE connection_id = ? AND acknowledged_at IS NULL"#,
            connection_id
        )
        .fetch_one(self.pool())
        .await;
        Ok(u(self.noted(n)?))
    }

    pub async fn acknowledge_alerts(&self, alert_ids: Vec<i64>, now: Millis) -> StoreResult<()> {
        self.write((alert_ids, now), |(ids, now), conn| {
            Box::pin(async move {
                for id in ids {
                    sqlx::query!(
                        "UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, ?)
                         WHERE alert_id = ?",
                        now,
                        id
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// The item as the last scan saw it (`None`: never listed).
    pub async fn stored_item(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Option<StoredItem>> {
        let row = if item_type == "file" {
            sqlx::query_as!(
                StoredItem,
                r#"SELECT name, path, parent_id, owner_id, owner_login, shared_link,
                          COALESCE(is_externally_owned, 0) AS "externally_owned!: bool",
                          removed_at IS NOT NULL AS "removed!: bool"
                   FROM files WHERE connection_id = ? AND file_id = ?"#,
                connection_id,
                item_id
            )
            .fetch_optional(self.pool())
            .await
        } else {
            sqlx::query_as!(
                StoredItem,
                r#"SELECT name, path, parent_id, owner_id, owner_login, shared_link,
                          COALESCE(is_externally_owned, 0) AS "externally_owned!: bool",
                          FALSE AS "removed!: bool"
                   FROM folders WHERE connection_id = ? AND folder_id = ?"#,
                connection_id,
                item_id
            )
            .fetch_optional(self.pool())
            .await
        };
        self.noted(row)
    }

    /// A managed user's role as listed (`None`: not a listed managed user).
    pub async fn user_role(
        &self,
        connection_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query_scalar!(
            r#"SELECT COALESCE(role, 'user') AS "role!: String" FROM scan_users
               WHERE connection_id = ? AND user_id = ?"#,
            connection_id,
            user_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }
}
