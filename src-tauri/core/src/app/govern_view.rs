//! Governance as the window and the CLI drive it: previews (kept in memory
//! until confirmed), the confirmation that sends, bulk actions, the audit
//! log and its export, policies and their alerts. The rules live in
//! `crate::govern`; this is the flow around them.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::error::{ErrorCode, UserError};
use crate::govern::{self, policy, Admin, Governor, PreviewRecord};
use crate::inspect::findings::FindingPolicy;
use crate::ipc::findings::{ExportFormat, ExportReport, FindingsFilter};
use crate::ipc::govern::{
    ActionKind, ActionPreview, ActionRequest, Alert, AuditEntry, AuditFilter, AuditPage,
    AuditState, BulkPreview, BulkProgress, NewPolicy, Policy, PolicyDryRun, PolicyMatch,
    DEFAULT_DAILY_CAP,
};
use crate::ipc::CoreEvent;
use crate::store::governance::{AuditQuery, PolicyRecord};
use crate::store::FindingRecord;
use crate::store::Millis;

use super::export::ExportFile;
use super::findings_view::{query_of, row_of};
use super::App;

/// A preview not confirmed within this is shown again before acting.
const PREVIEW_LIFETIME: chrono::Duration = chrono::Duration::minutes(15);
/// A bulk action covers at most this many items (preview them in parts).
pub const BULK_LIMIT: usize = 10_000;
/// Items of a bulk action in flight at once (across owners: Box's limits are per user).
const BULK_CONCURRENCY: usize = 8;
/// While Box cannot be reached, unfinished actions are tried again this often.
const RESUME_RETRY: std::time::Duration = std::time::Duration::from_secs(30);
/// Progress events at most this often.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

#[derive(Default)]
pub(super) struct Previews {
    single: HashMap<String, PreviewRecord>,
    bulk: HashMap<String, (BulkPreview, DateTime<Utc>)>,
}

fn new_id() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

fn expired() -> UserError {
    UserError::new(
        ErrorCode::PreviewExpired,
        "This preview is no longer valid (it was confirmed already, or is too old).",
        "Preview the action again: it shows what Box says now.",
    )
}

fn policy_of(m: &PolicyMatch) -> String {
    serde_json::to_string(m).unwrap_or_else(|_| "{}".into())
}

const AUDIT_CSV_HEADER: [&str; 14] = [
    "audit_id",
    "requested_at",
    "finished_at",
    "actor",
    "action",
    "state",
    "item_type",
    "item_id",
    "path",
    "owner_login",
    "acting_as",
    "changes",
    "box_answer",
    "error",
];

fn audit_csv(e: &AuditEntry) -> [String; 14] {
    [
        e.audit_id.to_string(),
        e.requested_at.to_rfc3339(),
        e.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        e.actor.clone(),
        e.kind.as_str().into(),
        AuditState::as_str(e.state).into(),
        e.item.item_type.as_str().into(),
        e.item.item_id.clone(),
        e.item.path.clone().unwrap_or_default(),
        e.item.owner_login.clone().unwrap_or_default(),
        e.acting_as.clone().unwrap_or_default(),
        e.changes
            .iter()
            .map(|c| c.description.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        e.box_answer.join("; "),
        e.error
            .as_ref()
            .map(|x| format!("{} {}", x.message, x.hint))
            .unwrap_or_default(),
    ]
}

fn policy_of_record(p: PolicyRecord) -> Policy {
    Policy {
        policy_id: p.policy_id,
        name: p.name,
        enabled: p.enabled,
        matches: serde_json::from_str(&p.matches).unwrap_or_default(),
        action: p.action.as_deref().and_then(ActionKind::parse),
        auto_act: p.auto_act,
        created_at: p.created_at.into(),
        daily_cap: u32::try_from(p.daily_cap).unwrap_or(0),
    }
}

/// Why an acting policy left a match alone: it was open before the policy
/// was enabled (the admin previews those in bulk instead).
const BACKLOG_NOTE: &str = "Not acted on: the finding was open before the policy was enabled. Act on such matches as a bulk action after its preview (the findings view's bulk action, or `policy backlog <id>` in a terminal).";

fn cap_note(cap: i64) -> String {
    format!("Not acted on: the policy's daily cap ({cap} actions in 24 hours) was reached. Raise the cap or act on it yourself.")
}

fn no_policy(id: i64) -> UserError {
    UserError::new(
        ErrorCode::InvalidInput,
        format!("There is no policy {id}."),
        "List the policies to see their ids.",
    )
}

/// The items `kind` changes to fix `findings`: one request per item (and
/// collaboration), at most [`BULK_LIMIT`].
fn targets_of(
    findings: impl IntoIterator<Item = FindingRecord>,
    kind: ActionKind,
    seen: &mut std::collections::HashSet<(crate::ipc::govern::ItemType, String, Option<String>)>,
    targets: &mut Vec<ActionRequest>,
) -> bool {
    for f in findings {
        let Some(req) = policy::action_for(kind, &f) else {
            continue;
        };
        let key = (
            req.item_type,
            req.item_id.clone(),
            req.collaboration_id.clone(),
        );
        if seen.insert(key) {
            targets.push(req);
            if targets.len() >= BULK_LIMIT {
                return false;
            }
        }
    }
    true
}

impl App {
    /// Who acts and through which client; needs a live connection.
    pub(super) async fn governor(&self) -> Result<Governor, UserError> {
        let client = self.box_client().await?;
        let store = self.require_store().await?;
        let record = store
            .current_connection(None)
            .await?
            .ok_or_else(crate::auth::tokens::not_connected)?;
        let mut domains: BTreeSet<String> = store
            .enterprise_domains(&record.id)
            .await?
            .into_iter()
            .collect();
        if let Some((_, d)) = record
            .account_login
            .as_deref()
            .and_then(|l| l.rsplit_once('@'))
        {
            domains.insert(d.to_ascii_lowercase());
        }
        // Off means off: the wider sign-in stays until the next one, unused.
        let can_write = self.governance_enabled().await && self.connection_can_write().await;
        Ok(Governor {
            client,
            store,
            connection_id: record.id.clone(),
            admin: Admin {
                id: record.account_id.clone().unwrap_or_default(),
                login: record.account_login.clone(),
                role: record.role.clone(),
            },
            can_write,
            policy: FindingPolicy {
                internal_domains: domains,
                detectors: Default::default(),
            },
            actor: govern::actor_label(record.account_login.as_deref()),
        })
    }

    /// What `request` would change, read from Box now. Sends no change.
    pub async fn preview_action(&self, request: ActionRequest) -> Result<ActionPreview, UserError> {
        let g = self.governor().await?;
        let record = g.preview(&request, new_id()).await?;
        let preview = record.preview.clone();
        self.inner
            .previews
            .lock()
            .expect("previews lock")
            .single
            .insert(preview.preview_id.clone(), record);
        Ok(preview)
    }

    /// The admin's confirmation of a preview: records the action, sends it,
    /// and queues the item for a rescan. A refused preview is recorded as
    /// refused and sends nothing.
    pub async fn perform_action(&self, preview_id: &str) -> Result<AuditEntry, UserError> {
        let record = {
            let mut previews = self.inner.previews.lock().expect("previews lock");
            previews.single.remove(preview_id).ok_or_else(expired)?
        };
        if Utc::now() - record.made_at > PREVIEW_LIFETIME {
            return Err(expired());
        }
        let g = self.governor().await?;
        self.confirmed(&g, &record.preview, None).await
    }

    /// Records a confirmed preview and sends it (a refused one is recorded
    /// as refused, and nothing is sent); tells the subscribers.
    async fn confirmed(
        &self,
        g: &Governor,
        preview: &ActionPreview,
        policy_id: Option<i64>,
    ) -> Result<AuditEntry, UserError> {
        let audit_id = g.record_pending(preview, None, policy_id).await?;
        let entry = if preview.refused.is_some() {
            g.entry(audit_id).await?
        } else {
            g.perform_pending(audit_id).await?
        };
        self.emit(CoreEvent::ActionFinished {
            entry: Box::new(entry.clone()),
        });
        Ok(entry)
    }

    /// Preview and perform in one call, for the CLI's `--yes` and policies.
    pub async fn act_now(
        &self,
        request: ActionRequest,
        policy_id: Option<i64>,
    ) -> Result<AuditEntry, UserError> {
        let g = self.governor().await?;
        let record = g.preview(&request, new_id()).await?;
        self.confirmed(&g, &record.preview, policy_id).await
    }

    /// What `kind` would change on every item behind the findings `filter`
    /// matches, from what the scan stored (each item is read from Box again
    /// just before it is changed, and changed no further than shown here).
    pub async fn preview_bulk(
        &self,
        filter: FindingsFilter,
        kind: ActionKind,
    ) -> Result<BulkPreview, UserError> {
        let g = self.governor().await?;
        let q = query_of(&filter);
        let mut targets: Vec<ActionRequest> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut after = 0i64;
        loop {
            let page = g
                .store
                .findings_after(&g.connection_id, &q, after, 1000)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.finding_id;
            if !targets_of(page, kind, &mut seen, &mut targets) {
                break;
            }
        }
        self.bulk_preview_of(&g, targets, filter, kind).await
    }

    /// The matches an acting policy found open when it was enabled, which
    /// it never acts on by itself: a bulk preview the admin may confirm
    /// (`perform_bulk`) like any other.
    pub async fn preview_policy_backlog(&self, policy_id: i64) -> Result<BulkPreview, UserError> {
        let store = self.require_store().await?;
        let record = store
            .policies()
            .await?
            .into_iter()
            .find(|p| p.policy_id == policy_id)
            .ok_or_else(|| no_policy(policy_id))?;
        let kind = record
            .action
            .as_deref()
            .and_then(ActionKind::parse)
            .ok_or_else(|| {
                UserError::new(
                    ErrorCode::InvalidInput,
                    format!("Policy {policy_id} takes no action: it only raises alerts."),
                    "Preview a bulk action from the findings instead.",
                )
            })?;
        let matches: PolicyMatch = serde_json::from_str(&record.matches).unwrap_or_default();
        let g = self.governor().await?;
        let (found, _) =
            policy::matching_after(&g.store, &g.connection_id, &matches, 0, usize::MAX).await?;
        let backlog = found
            .into_iter()
            .filter(|f| f.finding_id <= record.acts_after);
        let mut targets = Vec::new();
        targets_of(
            backlog,
            kind,
            &mut std::collections::HashSet::new(),
            &mut targets,
        );
        let filter = FindingsFilter {
            kind: (matches.kinds.len() == 1).then(|| matches.kinds[0]),
            detector: (matches.detectors.len() == 1).then(|| matches.detectors[0].clone()),
            owner_login: matches.owner_login.clone(),
            file_has_detector: matches.file_has_detector.clone(),
            ..FindingsFilter::default()
        };
        self.bulk_preview_of(&g, targets, filter, kind).await
    }

    /// Previews `targets` from what the scan stored and keeps the preview
    /// until it is confirmed.
    async fn bulk_preview_of(
        &self,
        g: &Governor,
        targets: Vec<ActionRequest>,
        filter: FindingsFilter,
        kind: ActionKind,
    ) -> Result<BulkPreview, UserError> {
        let mut items = Vec::with_capacity(targets.len());
        for req in targets {
            let state = g.read_stored(req.item_type, &req.item_id).await?;
            items.push(g.preview_on(&req, state, String::new()).await?.preview);
        }
        // Each item gets an id of its own (the list's keys), under the batch's.
        let bulk_id = new_id();
        for (i, item) in items.iter_mut().enumerate() {
            item.preview_id = format!("{bulk_id}-{i}");
        }
        let refused = items.iter().filter(|p| p.refused.is_some()).count() as u64;
        let will_change = items
            .iter()
            .filter(|p| p.refused.is_none() && !p.changes.is_empty())
            .count() as u64;
        let preview = BulkPreview {
            preview_id: bulk_id,
            filter,
            kind,
            items,
            will_change,
            refused,
        };
        self.inner
            .previews
            .lock()
            .expect("previews lock")
            .bulk
            .insert(preview.preview_id.clone(), (preview.clone(), Utc::now()));
        Ok(preview)
    }

    /// Confirms a bulk preview: every item is recorded before the first is
    /// sent, then they run in the background; progress comes as
    /// `ActionProgress` events. Returns the batch as it starts.
    pub async fn perform_bulk(&self, preview_id: &str) -> Result<BulkProgress, UserError> {
        let batch_id = self.start_bulk(preview_id).await?;
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.run_bulk(batch_id).await {
                tracing::warn!("bulk action {batch_id} stopped: {e}");
            }
        });
        self.bulk_progress(batch_id)
            .await?
            .ok_or_else(|| UserError::new(ErrorCode::Internal, "The batch vanished.", "Try again."))
    }

    /// Records the confirmed bulk action's items (all of them, before any
    /// is sent) and returns its batch id.
    pub async fn start_bulk(&self, preview_id: &str) -> Result<i64, UserError> {
        let (preview, made_at) = {
            let mut previews = self.inner.previews.lock().expect("previews lock");
            previews.bulk.remove(preview_id).ok_or_else(expired)?
        };
        if Utc::now() - made_at > PREVIEW_LIFETIME {
            return Err(expired());
        }
        let g = self.governor().await?;
        let batch_id = g
            .store
            .create_batch(
                &g.connection_id,
                preview.kind.as_str(),
                &serde_json::to_string(&preview.filter).unwrap_or_default(),
                preview.items.len() as i64,
                Millis::from(Utc::now()),
            )
            .await?;
        for item in &preview.items {
            g.record_pending(item, Some(batch_id), None).await?;
        }
        Ok(batch_id)
    }

    /// Sends a batch's pending items (also after a restart), several owners
    /// at once; a failure on one is recorded and the rest go on.
    pub async fn run_bulk(&self, batch_id: i64) -> Result<BulkProgress, UserError> {
        let g = Arc::new(self.governor().await?);
        let pending: Vec<i64> = g
            .store
            .audit_page(
                &AuditQuery {
                    batch_id: Some(batch_id),
                    ..AuditQuery::default()
                },
                u32::MAX,
                0,
            )
            .await?
            .into_iter()
            .filter(|r| r.state == "pending" || r.state == "sending")
            .map(|r| r.audit_id)
            .rev()
            .collect();
        let mut last_emit = std::time::Instant::now();
        let mut results = futures_util::stream::iter(pending.into_iter().map(|id| {
            let g = g.clone();
            async move { g.resume(id).await }
        }))
        .buffer_unordered(BULK_CONCURRENCY);
        while let Some(result) = results.next().await {
            if let Err(e) = result {
                tracing::warn!("a bulk item stopped: {e}");
            }
            if last_emit.elapsed() >= PROGRESS_EVERY {
                last_emit = std::time::Instant::now();
                if let Some(progress) = self.bulk_progress(batch_id).await? {
                    self.emit(CoreEvent::ActionProgress { progress });
                }
            }
        }
        drop(results);
        let counts = g.store.batch_counts(batch_id).await?;
        if counts.unfinished == 0 {
            g.store
                .finish_batch(batch_id, Millis::from(Utc::now()))
                .await?;
        }
        let progress = self.bulk_progress(batch_id).await?.ok_or_else(expired)?;
        self.emit(CoreEvent::ActionProgress {
            progress: progress.clone(),
        });
        Ok(progress)
    }

    pub async fn bulk_progress(&self, batch_id: i64) -> Result<Option<BulkProgress>, UserError> {
        let store = self.require_store().await?;
        let Some(batch) = store.batch(batch_id).await? else {
            return Ok(None);
        };
        let c = store.batch_counts(batch_id).await?;
        let total = u64::try_from(batch.total).unwrap_or(0);
        let finished = c.done + c.unchanged + c.failed + c.refused;
        let started: DateTime<Utc> = batch.started_at.into();
        let elapsed = (Utc::now() - started).num_milliseconds().max(1) as f64 / 1000.0;
        let eta_seconds = (finished > 0 && finished < total && batch.finished_at.is_none())
            .then(|| ((total - finished) as f64 * elapsed / finished as f64).ceil() as u64);
        Ok(Some(BulkProgress {
            batch_id,
            kind: ActionKind::parse(&batch.kind).unwrap_or(ActionKind::RemoveLink),
            total,
            done: c.done,
            unchanged: c.unchanged,
            failed: c.failed,
            refused: c.refused,
            started_at: started,
            finished_at: batch.finished_at.map(Into::into),
            eta_seconds,
        }))
    }

    /// Actions (and bulk batches) an earlier process left unfinished, taken
    /// up again: each unconfirmed step is checked against Box before it is
    /// sent again, so none is done twice.
    pub async fn resume_interrupted_actions(&self) -> Result<Vec<AuditEntry>, UserError> {
        let g = self.governor().await?;
        let mut out = g.resume_all().await?;
        for batch in g.store.unfinished_batches(&g.connection_id).await? {
            let counts = g.store.batch_counts(batch.batch_id).await?;
            if counts.unfinished == 0 {
                g.store
                    .finish_batch(batch.batch_id, Millis::from(Utc::now()))
                    .await?;
            }
        }
        // Only what finished now (an entry still waiting for Box stays quiet).
        out.retain(|e| e.recovered || e.state.is_final());
        for e in &out {
            self.emit(CoreEvent::ActionFinished {
                entry: Box::new(e.clone()),
            });
        }
        Ok(out)
    }

    /// The audit log, newest first. Offline: read from the store only.
    pub async fn audit(
        &self,
        filter: AuditFilter,
        offset: u32,
        limit: u32,
    ) -> Result<AuditPage, UserError> {
        let store = self.require_store().await?;
        let q = AuditQuery {
            batch_id: filter.batch_id,
            item_id: filter.item_id.filter(|i| !i.is_empty()),
            state: filter.state.map(|s| s.as_str().to_owned()),
        };
        let rows = store.audit_page(&q, limit.clamp(1, 1000), offset).await?;
        Ok(AuditPage {
            total: store.audit_total(&q).await?,
            rows: rows.into_iter().map(govern::audit_entry_of).collect(),
        })
    }

    /// The whole audit log to `path` (CSV or JSON), whole or not at all.
    pub async fn export_audit(
        &self,
        format: ExportFormat,
        path: &Path,
    ) -> Result<ExportReport, UserError> {
        let store = self.require_store().await?;
        let mut file = ExportFile::create(path, format, &AUDIT_CSV_HEADER)?;
        let mut after = 0i64;
        loop {
            let page = store.audit_after(after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.audit_id;
            for r in page {
                file.push(audit_csv, &govern::audit_entry_of(r))?;
            }
        }
        file.finish()
    }

    pub async fn policies(&self) -> Result<Vec<Policy>, UserError> {
        let store = self.require_store().await?;
        Ok(store
            .policies()
            .await?
            .into_iter()
            .map(policy_of_record)
            .collect())
    }

    pub async fn add_policy(&self, new: NewPolicy) -> Result<Policy, UserError> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                "A policy needs a name.",
                "Name it after what it catches, e.g. \"Public links on card files\".",
            ));
        }
        if new.auto_act && new.action.is_none() {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                "A policy that acts on its own needs an action.",
                "Choose the action, or leave \"act automatically\" off to only raise alerts.",
            ));
        }
        let store = self.require_store().await?;
        let id = store
            .add_policy(
                name,
                &policy_of(&new.matches),
                new.action.map(|a| a.as_str()),
                new.auto_act,
                i64::from(new.daily_cap.unwrap_or(DEFAULT_DAILY_CAP)),
                Millis::from(Utc::now()),
            )
            .await?;
        self.policy_by_id(id).await
    }

    async fn policy_by_id(&self, id: i64) -> Result<Policy, UserError> {
        self.policies()
            .await?
            .into_iter()
            .find(|p| p.policy_id == id)
            .ok_or_else(|| no_policy(id))
    }

    pub async fn remove_policy(&self, policy_id: i64) -> Result<(), UserError> {
        let store = self.require_store().await?;
        if !store.remove_policy(policy_id).await? {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                format!("There is no policy {policy_id}."),
                "List the policies to see their ids.",
            ));
        }
        Ok(())
    }

    pub async fn set_policy_enabled(
        &self,
        policy_id: i64,
        enabled: bool,
    ) -> Result<Policy, UserError> {
        let store = self.require_store().await?;
        store.set_policy_enabled(policy_id, enabled).await?;
        self.policy_by_id(policy_id).await
    }

    /// What a rule would match today: nothing is raised or sent.
    pub async fn test_policy(&self, matches: PolicyMatch) -> Result<PolicyDryRun, UserError> {
        let (store, id) = self.findings_connection().await?;
        let (all, _) = policy::matching_after(&store, &id, &matches, 0, usize::MAX).await?;
        Ok(PolicyDryRun {
            matched: all.len() as u64,
            sample: all.into_iter().take(20).map(row_of).collect(),
        })
    }

    /// Runs every enabled policy over the findings opened since it last
    /// looked: new matches raise alerts (one per policy and finding, ever),
    /// and a policy set to act takes its action on each finding opened
    /// after it was enabled, up to its daily cap; the alerts it does not act
    /// on say why. One process evaluates at a time. Returns the new alerts.
    pub async fn evaluate_policies(&self) -> Result<Vec<Alert>, UserError> {
        let _one_evaluator = self.policies_lock().await?;
        let (store, conn) = self.findings_connection().await?;
        let mut raised = Vec::new();
        let day_ago = Millis::from(Utc::now() - chrono::Duration::hours(24));
        for record in store.policies().await?.into_iter().filter(|r| r.enabled) {
            let through = record.evaluated_through;
            let (acts_after, cap) = (record.acts_after, record.daily_cap);
            let p = policy_of_record(record);
            let (found, cursor) =
                policy::matching_after(&store, &conn, &p.matches, through, usize::MAX).await?;
            let ids: Vec<i64> = found.iter().map(|f| f.finding_id).collect();
            let new_alerts = store
                .raise_alerts(
                    &conn,
                    p.policy_id,
                    ids,
                    cursor.max(through),
                    Millis::from(Utc::now()),
                )
                .await?;
            if new_alerts.is_empty() {
                continue;
            }
            let alerts = self.alerts_of(&store, &conn, &new_alerts).await?;
            if let (true, Some(kind)) = (p.auto_act, p.action) {
                let mut used = store.policy_actions_since(p.policy_id, day_ago).await?;
                let mut capped = 0;
                for alert in &alerts {
                    if alert.finding.finding_id <= acts_after {
                        store.set_alert_note(alert.alert_id, BACKLOG_NOTE).await?;
                        continue;
                    }
                    let Some(record) = store.finding(&conn, alert.finding.finding_id).await? else {
                        continue;
                    };
                    let Some(req) = policy::action_for(kind, &record) else {
                        continue;
                    };
                    if used >= u64::try_from(cap).unwrap_or(0) {
                        store.set_alert_note(alert.alert_id, &cap_note(cap)).await?;
                        capped += 1;
                        continue;
                    }
                    used += 1;
                    match self.act_now(req, Some(p.policy_id)).await {
                        Ok(entry) => {
                            store
                                .set_alert_audit(alert.alert_id, entry.audit_id)
                                .await?
                        }
                        Err(e) => tracing::warn!("policy {} could not act: {e}", p.policy_id),
                    }
                }
                if capped > 0 {
                    tracing::warn!(
                        "policy {} reached its daily cap of {cap} actions: {capped} matches not acted on",
                        p.policy_id
                    );
                }
            }
            raised.extend(self.alerts_of(&store, &conn, &new_alerts).await?);
        }
        if !raised.is_empty() {
            self.emit(CoreEvent::AlertsRaised {
                alerts: raised.clone(),
            });
        }
        Ok(raised)
    }

    async fn alerts_of(
        &self,
        store: &crate::store::Store,
        conn: &str,
        ids: &[i64],
    ) -> Result<Vec<Alert>, UserError> {
        let mut out = Vec::new();
        for a in store.alerts_by_id(ids).await? {
            let Some(f) = store.finding(conn, a.finding_id).await? else {
                continue;
            };
            out.push(Alert {
                alert_id: a.alert_id,
                policy_id: a.policy_id,
                policy_name: a.policy_name,
                finding: row_of(f),
                raised_at: a.raised_at.into(),
                audit_id: a.audit_id,
                acknowledged: a.acknowledged_at.is_some(),
                note: a.note,
            });
        }
        Ok(out)
    }

    pub async fn alerts(
        &self,
        include_acknowledged: bool,
        limit: u32,
    ) -> Result<Vec<Alert>, UserError> {
        let (store, conn) = self.findings_connection().await?;
        let ids: Vec<i64> = store
            .alerts(&conn, include_acknowledged, limit.clamp(1, 1000))
            .await?
            .into_iter()
            .map(|a| a.alert_id)
            .collect();
        self.alerts_of(&store, &conn, &ids).await
    }

    pub async fn acknowledge_alerts(&self, alert_ids: Vec<i64>) -> Result<(), UserError> {
        let store = self.require_store().await?;
        store
            .acknowledge_alerts(alert_ids, Millis::from(Utc::now()))
            .await?;
        Ok(())
    }

    /// The window's governance in the background: actions an earlier run
    /// left unfinished are taken up once Box can be reached. (Policies run
    /// beside the scanner, wherever it runs: `policy_run`.)
    pub(super) fn start_background_governance(&self) {
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                if app.governance_enabled().await && app.connection_can_write().await {
                    match app.resume_interrupted_actions().await {
                        Ok(_) => return,
                        Err(e) if e.code == ErrorCode::NotConnected => {}
                        Err(e) => tracing::info!("interrupted actions wait: {e}"),
                    }
                }
                tokio::time::sleep(RESUME_RETRY).await;
            }
        });
    }

    /// Open alerts and unfinished actions, for `GovernanceStatus`.
    pub(super) async fn governance_counts(&self) -> (u64, u64) {
        let Ok((store, conn)) = self.findings_connection().await else {
            return (0, 0);
        };
        (
            store.open_alert_count(&conn).await.unwrap_or(0),
            store.unfinished_audit_count(&conn).await.unwrap_or(0),
        )
    }
}
