//! `policies` and the `alerts` they raise on findings.

use crate::store::{count, Millis, Store, StoreResult};

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

impl Store {
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
        Ok(count(self.noted(n)?))
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
        Ok(count(self.noted(n)?))
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
}
