//! Governance: the admin's actions on Box items. The rules:
//! - nothing is sent before a preview the admin confirmed (or a policy the
//!   admin set to act on its own); the preview is computed from what Box
//!   says (or, for a bulk preview, what the scan stored), and the item is
//!   read again just before sending: nothing beyond the preview is changed;
//! - who may act is checked before anything is sent (`plan::refusal`);
//! - every change is sent as the item's owner (`as-user`) through the same
//!   client, limiter and retries as the scan;
//! - the audit row is written before the first request and after each
//!   answer, so an interrupted action is resumed on the next start without
//!   a second change (`perform`), by one process at a time (`lease`);
//! - a step Box refuses ends the action in a recorded state no broader than
//!   before: an owner invited to a holding folder is removed again, and the
//!   entry says where the item is and what to do;
//! - afterwards the item is queued for a rescan at the front, so findings
//!   close from what Box then says, never from what the app assumed.
//!
//! `item` reads an item's sharing, `plan` turns a request into changes and
//! steps, `perform` sends steps, `policy` matches findings to rules.

pub mod item;
pub mod lease;
pub mod perform;
pub mod plan;
pub mod policy;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::failpoint;
use crate::box_api::{ApiError, ApiErrorKind, BoxClient};
use crate::error::{ErrorCode, UserError};
use crate::inspect::findings::{FindingPolicy, LinkFacts};
use crate::ipc::govern::{
    ActionItem, ActionKind, ActionPreview, ActionRequest, AuditEntry, AuditState, ItemType,
    PlannedChange,
};
use crate::store::governance::{AuditRecord, AuditUpdate, NewAudit, QuarantineRecord};
use crate::store::{priority, Enqueue, ItemKind, Millis, QueueReason, Store};
use item::{collab_of_record, ItemState, LinkState};
use lease::Claim;
use perform::{Sender, StepOutcome};
use plan::{Authority, Journal, Planned, Quarantined, Step};

/// The connected account, as governance needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub id: String,
    pub login: Option<String>,
    pub role: Option<String>,
}

/// A computed preview, kept until it is confirmed or expires.
#[derive(Debug, Clone)]
pub struct PreviewRecord {
    pub preview: ActionPreview,
    pub journal: Journal,
    pub before: Option<ItemState>,
    pub made_at: DateTime<Utc>,
}

/// Who acts, on which connection, through which client.
pub struct Governor {
    pub client: Arc<BoxClient>,
    pub store: Store,
    pub connection_id: String,
    pub admin: Admin,
    /// Governance on and the write scope granted.
    pub can_write: bool,
    /// The enterprise's domains (who is external).
    pub policy: FindingPolicy,
    /// "who in the app": the OS user and the Box account.
    pub actor: String,
}

/// "<os user> as <box login>", the audit's actor.
pub fn actor_label(admin_login: Option<&str>) -> String {
    let os_user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(passwd_name)
        .unwrap_or_else(|| "unknown user".into());
    format!(
        "{os_user} as {}",
        admin_login.unwrap_or("the connected account")
    )
}

/// The process's user name from /etc/passwd, when the environment has none
/// (a desktop launcher or a service may start the app without `USER`).
#[cfg(unix)]
fn passwd_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn passwd_name() -> Option<String> {
    None
}

fn json_string<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// What the admin reads for a refusal Box sent (403, 404, 409 …).
pub fn box_refusal(e: &ApiError) -> UserError {
    let said = e
        .box_message
        .clone()
        .unwrap_or_else(|| e.user.message.clone());
    let hint = match e.kind {
        ApiErrorKind::Forbidden => {
            "Box refused the connected account: check that it is the admin (or a co-admin with \"Manage Users\"), that the app may \"Perform Actions as Users\", and that governance's write scope was granted."
        }
        ApiErrorKind::NotFound => {
            "The item is gone or was moved by someone else; it is queued for a rescan, and its findings follow what Box says."
        }
        ApiErrorKind::Conflict => {
            "Box reports a conflict (the item changed, or a name is taken): preview the action again."
        }
        _ => e.user.hint.as_str(),
    };
    UserError::new(
        ErrorCode::BoxApi,
        format!(
            "Box refused the change ({}): {said}",
            e.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no status".into())
        ),
        hint,
    )
}

impl Governor {
    /// A sender for reads (no folder is made through it).
    fn sender(&self) -> Sender<'_> {
        Sender {
            client: &self.client,
            policy: &self.policy,
            admin_id: &self.admin.id,
            quarantine_folder: None,
        }
    }

    /// A sender for an action's steps: it knows the quarantine folder the
    /// app made earlier.
    async fn acting_sender(&self) -> Result<Sender<'_>, UserError> {
        let mut sender = self.sender();
        sender.quarantine_folder = self.store.quarantine_folder(&self.connection_id).await?;
        Ok(sender)
    }

    async fn authority(&self, owner_id: Option<&str>) -> Result<Authority, UserError> {
        let owner_role = match owner_id {
            Some(o) if o == self.admin.id => self.admin.role.clone(),
            Some(o) => self.store.user_role(&self.connection_id, o).await?,
            None => None,
        };
        Ok(Authority {
            can_write: self.can_write,
            admin_id: self.admin.id.clone(),
            admin_role: self.admin.role.clone(),
            owner_role,
        })
    }

    async fn quarantined(&self, t: ItemType, id: &str) -> Result<Option<Quarantined>, UserError> {
        let Some(q) = self
            .store
            .quarantined(&self.connection_id, t.as_str(), id)
            .await?
        else {
            return Ok(None);
        };
        // Where it was and whose it was: the quarantine's own audit entry.
        let Some(entry) = self.store.audit_entry(q.audit_id).await? else {
            return Ok(None);
        };
        let before: Option<ItemState> = serde_json::from_str(&entry.before).ok();
        let journal: Journal = serde_json::from_str(&entry.steps).unwrap_or_default();
        let holding = journal.vars.get(plan::VAR_HOLDING).cloned();
        Ok(before.zip(holding).map(|(before, holding)| Quarantined {
            holding_folder_id: holding,
            original_parent_id: before.parent_id.clone().unwrap_or_default(),
            original_owner_id: before.owner_id.clone().unwrap_or_default(),
            before,
        }))
    }

    /// The owner the store knows for an item (whom to read it as).
    async fn stored_owner(&self, t: ItemType, id: &str) -> Result<Option<String>, UserError> {
        Ok(self
            .store
            .stored_item(&self.connection_id, t.as_str(), id)
            .await?
            .and_then(|i| i.owner_id)
            .filter(|o| o != &self.admin.id))
    }

    /// The item as Box says it is now (as its owner, else as the admin).
    pub async fn read_now(&self, t: ItemType, id: &str) -> Result<Option<ItemState>, UserError> {
        let owner = self.stored_owner(t, id).await?;
        Ok(self.sender().locate(t, id, &owner).await?)
    }

    /// The item as the scan stored it (for bulk previews: no request).
    pub async fn read_stored(&self, t: ItemType, id: &str) -> Result<Option<ItemState>, UserError> {
        let Some(i) = self
            .store
            .stored_item(&self.connection_id, t.as_str(), id)
            .await?
        else {
            return Ok(None);
        };
        if i.removed {
            return Ok(None);
        }
        let collabs = self
            .store
            .item_collaborations(&self.connection_id, t.as_str(), id)
            .await?;
        Ok(Some(ItemState {
            item_type: t,
            item_id: id.to_owned(),
            name: i.name,
            path: i.path,
            owner_id: i.owner_id,
            owner_login: i.owner_login,
            parent_id: i.parent_id,
            link: i
                .shared_link
                .as_deref()
                .and_then(LinkFacts::from_json)
                .map(|f| LinkState::from_facts(&f)),
            collaborations: collabs
                .iter()
                .map(|c| collab_of_record(c, &self.policy))
                .collect(),
            externally_owned: i.externally_owned,
        }))
    }

    /// The preview of `req`: what may not be done is refused from what the
    /// scan stored, without a request; the rest is read from Box now.
    pub async fn preview(
        &self,
        req: &ActionRequest,
        preview_id: String,
    ) -> Result<PreviewRecord, UserError> {
        let stored = self.read_stored(req.item_type, &req.item_id).await?;
        if let Some(s) = &stored {
            let quarantined = self.quarantined(req.item_type, &req.item_id).await?;
            let owner = quarantined
                .as_ref()
                .map(|q| q.original_owner_id.clone())
                .or_else(|| s.owner_id.clone());
            let auth = self.authority(owner.as_deref()).await?;
            if plan::refusal(&auth, owner.as_deref(), s.externally_owned).is_some() {
                return self.preview_on(req, stored, preview_id).await;
            }
        }
        let live = self.read_now(req.item_type, &req.item_id).await?;
        let mut record = self.preview_on(req, live, preview_id).await?;
        if req.kind == ActionKind::Quarantine && record.preview.refused.is_none() {
            for owner in self.sender().look_alike_quarantine_folders().await? {
                record.preview.warnings.push(format!(
                    "A folder named like \"{}\" in your root is {owner}'s, not yours: it is ignored, and the item goes to the quarantine folder Box Connector made for you.",
                    plan::QUARANTINE_FOLDER
                ));
            }
        }
        Ok(record)
    }

    /// The preview of `req` on the item in `state` (`None`: Box does not
    /// know the item). Sends nothing.
    pub async fn preview_on(
        &self,
        req: &ActionRequest,
        state: Option<ItemState>,
        preview_id: String,
    ) -> Result<PreviewRecord, UserError> {
        let now = Utc::now();
        let Some(state) = state else {
            let preview = ActionPreview {
                preview_id,
                request: req.clone(),
                item: ActionItem {
                    item_type: req.item_type,
                    item_id: req.item_id.clone(),
                    name: None,
                    path: None,
                    owner_id: None,
                    owner_login: None,
                },
                acting_as: None,
                changes: Vec::new(),
                refused: Some(UserError::new(
                    ErrorCode::ActionRefused,
                    format!("Box has no {} {} that this connection can see.", req.item_type.as_str(), req.item_id),
                    "Check the id (the findings view shows it); a deleted item has nothing left to change.",
                )),
                warnings: Vec::new(),
            };
            return Ok(PreviewRecord {
                preview,
                journal: Journal::default(),
                before: None,
                made_at: now,
            });
        };
        let quarantined = self.quarantined(req.item_type, &req.item_id).await?;
        let owner = quarantined
            .as_ref()
            .map(|q| q.original_owner_id.clone())
            .or_else(|| state.owner_id.clone());
        let ext = quarantined
            .as_ref()
            .map(|q| q.before.externally_owned)
            .unwrap_or(state.externally_owned);
        let auth = self.authority(owner.as_deref()).await?;
        let (planned, refused) = match plan::refusal(&auth, owner.as_deref(), ext) {
            Some(why) => (None, Some(why)),
            None => match plan::plan(req, &state, &self.admin.id, quarantined.as_ref()) {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(e)),
            },
        };
        let Planned {
            changes,
            journal,
            warnings,
            acting_as,
        } = planned.unwrap_or(Planned {
            changes: Vec::new(),
            journal: Journal::default(),
            warnings: Vec::new(),
            acting_as: state.owner_login.clone(),
        });
        let mut warnings = warnings;
        if refused.is_none() && changes.is_empty() && warnings.is_empty() {
            warnings.push("Nothing to change: Box already shows the item as asked.".into());
        }
        let preview = ActionPreview {
            preview_id,
            request: req.clone(),
            item: ActionItem {
                item_type: state.item_type,
                item_id: state.item_id.clone(),
                name: state.name.clone(),
                path: state.path.clone(),
                owner_id: state.owner_id.clone(),
                owner_login: state.owner_login.clone(),
            },
            acting_as,
            changes,
            refused,
            warnings,
        };
        Ok(PreviewRecord {
            preview,
            journal,
            before: Some(state),
            made_at: now,
        })
    }

    fn new_audit(
        &self,
        p: &ActionPreview,
        batch: Option<i64>,
        policy: Option<i64>,
        state: AuditState,
        before: &str,
    ) -> NewAudit {
        NewAudit {
            connection_id: self.connection_id.clone(),
            batch_id: batch,
            policy_id: policy,
            actor: self.actor.clone(),
            requested_at: Millis::from(Utc::now()),
            kind: p.request.kind.as_str().into(),
            item_type: p.item.item_type.as_str().into(),
            item_id: p.item.item_id.clone(),
            item_name: p.item.name.clone(),
            item_path: p.item.path.clone(),
            owner_id: p.item.owner_id.clone(),
            owner_login: p.item.owner_login.clone(),
            acting_as: p.acting_as.clone(),
            state: state.as_str().into(),
            request: json_string(&p.request),
            changes: json_string(&p.changes),
            steps: json_string(&Journal::default()),
            before: before.to_owned(),
        }
    }

    /// Records a confirmed action as pending (bulk actions record every
    /// item before the first is sent, so a crash loses none).
    pub async fn record_pending(
        &self,
        p: &ActionPreview,
        batch: Option<i64>,
        policy: Option<i64>,
    ) -> Result<i64, UserError> {
        let state = if p.refused.is_some() {
            AuditState::Refused
        } else {
            AuditState::Pending
        };
        let mut row = self.new_audit(p, batch, policy, state, "null");
        if let Some(why) = &p.refused {
            row.changes = json_string(&Vec::<PlannedChange>::new());
            let id = self.store.insert_audit(row).await?;
            self.finish(
                id,
                AuditState::Refused,
                &Journal::default(),
                0,
                &[],
                None,
                Some(why.clone()),
                false,
            )
            .await?;
            return Ok(id);
        }
        Ok(self.store.insert_audit(row).await?)
    }

    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        audit_id: i64,
        state: AuditState,
        journal: &Journal,
        steps_done: usize,
        answers: &[String],
        after: Option<&ItemState>,
        error: Option<UserError>,
        recovered: bool,
    ) -> Result<(), UserError> {
        self.store
            .update_audit(AuditUpdate {
                audit_id,
                state: state.as_str().into(),
                steps: json_string(journal),
                steps_done: steps_done as i64,
                box_answer: json_string(&answers),
                after: after.map(|a| a.sharing().to_string()),
                error: error.map(|e| (code_name(e.code), e.message, e.hint)),
                finished_at: state.is_final().then(|| Millis::from(Utc::now())),
                recovered,
            })
            .await?;
        Ok(())
    }

    /// Sends the pending action `audit_id`: the item is read again, changed
    /// no further than `previewed` showed, each step recorded as it lands.
    /// Another process working the entry already: it is left to that one.
    pub async fn perform_pending(&self, audit_id: i64) -> Result<AuditEntry, UserError> {
        let Some(claim) = lease::claim(&self.store, audit_id).await? else {
            return self.entry(audit_id).await;
        };
        let result = self.perform_claimed(&claim).await;
        claim.release(&self.store).await;
        result
    }

    async fn perform_claimed(&self, claim: &Claim) -> Result<AuditEntry, UserError> {
        let audit_id = claim.audit_id;
        let record = self.audit_record(audit_id).await?;
        let req: ActionRequest = serde_json::from_str(&record.request).map_err(corrupt_entry)?;
        let previewed: Vec<PlannedChange> =
            serde_json::from_str(&record.changes).map_err(corrupt_entry)?;
        let live = match self.read_now(req.item_type, &req.item_id).await {
            Ok(s) => s,
            // Box cannot be asked: the row stays pending for the next start.
            Err(e) => return self.leave_unfinished(&record, e).await,
        };
        let fresh = self.preview_on(&req, live.clone(), String::new()).await?;
        if let Some(why) = fresh.preview.refused {
            self.finish(
                audit_id,
                AuditState::Refused,
                &Journal::default(),
                0,
                &[],
                live.as_ref(),
                Some(why),
                false,
            )
            .await?;
            return self.entry(audit_id).await;
        }
        let live = live.expect("a preview without refusal has the item");
        let planned = plan::within_preview(
            Planned {
                changes: fresh.preview.changes,
                journal: fresh.journal,
                warnings: fresh.preview.warnings,
                acting_as: fresh.preview.acting_as,
            },
            &previewed,
        );
        self.store
            .update_audit(AuditUpdate {
                audit_id,
                state: AuditState::Sending.as_str().into(),
                steps: json_string(&planned.journal),
                steps_done: 0,
                box_answer: "[]".into(),
                after: None,
                error: None,
                finished_at: None,
                recovered: false,
            })
            .await?;
        // "before" is what Box said just before sending.
        self.set_before(audit_id, &live).await?;
        self.run_steps(claim, &record, planned.journal, 0, Vec::new(), false)
            .await
    }

    async fn set_before(&self, audit_id: i64, live: &ItemState) -> Result<(), UserError> {
        let before = serde_json::to_string(live).unwrap_or_default();
        self.store.set_audit_before(audit_id, before).await?;
        Ok(())
    }

    async fn leave_unfinished(
        &self,
        record: &AuditRecord,
        e: UserError,
    ) -> Result<AuditEntry, UserError> {
        let journal: Journal = serde_json::from_str(&record.steps).unwrap_or_default();
        let answers: Vec<String> = serde_json::from_str(&record.box_answer).unwrap_or_default();
        let state = AuditState::parse(&record.state).unwrap_or(AuditState::Pending);
        self.finish(
            record.audit_id,
            state,
            &journal,
            record.steps_done.max(0) as usize,
            &answers,
            None,
            Some(UserError::new(
                e.code,
                format!("Interrupted: {}", e.message),
                "It is checked against Box and finished the next time Box Connector can reach Box; nothing is sent twice.",
            )),
            false,
        )
        .await?;
        self.entry(record.audit_id).await
    }

    /// Sends steps from `from` on. `verify_first`: the step at `from` may
    /// have reached Box before an interruption, so Box is asked first.
    async fn run_steps(
        &self,
        claim: &Claim,
        record: &AuditRecord,
        mut journal: Journal,
        from: usize,
        mut answers: Vec<String>,
        verify_first: bool,
    ) -> Result<AuditEntry, UserError> {
        let audit_id = record.audit_id;
        let steps = journal.steps.clone();
        let recovered = verify_first;
        let sender = self.acting_sender().await?;
        for (i, step) in steps.iter().enumerate().skip(from) {
            // Still this process's entry (a step may have outlasted the lease).
            if !claim.renew(&self.store).await? {
                return self.entry(audit_id).await;
            }
            let outcome = sender
                .run(step, &mut journal, verify_first && i == from)
                .await;
            match outcome {
                StepOutcome::Done(line) => {
                    failpoint::hit(failpoint::AFTER_SEND_BEFORE_RECORD);
                    answers.push(line);
                    if let (Step::EnsureQuarantineFolder, Some(id)) =
                        (step, journal.vars.get(plan::VAR_QUARANTINE))
                    {
                        self.store
                            .set_quarantine_folder(
                                &self.connection_id,
                                id,
                                Millis::from(Utc::now()),
                            )
                            .await?;
                    }
                    self.finish(
                        audit_id,
                        AuditState::Sending,
                        &journal,
                        i + 1,
                        &answers,
                        None,
                        None,
                        recovered,
                    )
                    .await?;
                }
                StepOutcome::Refused(e) => {
                    answers.push(format!(
                        "{}: {} {}",
                        perform::step_name(step),
                        e.status.map(|s| s.to_string()).unwrap_or_default(),
                        e.box_code.clone().unwrap_or_default()
                    ));
                    let why = box_refusal(&e);
                    return self
                        .fail_at(record, &sender, journal, i, answers, why, recovered)
                        .await;
                }
                StepOutcome::Stopped(why) => {
                    answers.push(format!(
                        "{}: not sent: {}",
                        perform::step_name(step),
                        why.message
                    ));
                    return self
                        .fail_at(record, &sender, journal, i, answers, why, recovered)
                        .await;
                }
                StepOutcome::Unknown(e) => {
                    self.finish(
                        audit_id,
                        AuditState::Sending,
                        &journal,
                        i,
                        &answers,
                        None,
                        None,
                        recovered,
                    )
                    .await?;
                    let latest = self.audit_record(audit_id).await?;
                    return self.leave_unfinished(&latest, e.user).await;
                }
            }
        }
        let after = match self.after_from_answers(audit_id, &journal).await {
            Some(after) => Some(after),
            None => self
                .read_now(record_type(record), &record.item_id)
                .await
                .ok()
                .flatten(),
        };
        let state = if steps.is_empty() {
            AuditState::Unchanged
        } else {
            AuditState::Done
        };
        self.finish(
            audit_id,
            state,
            &journal,
            steps.len(),
            &answers,
            after.as_ref(),
            None,
            recovered,
        )
        .await?;
        self.after_done(record, &journal).await?;
        self.rescan(record).await;
        self.entry(audit_id).await
    }

    /// Ends an action whose step `failed` Box refused (or that was not sent):
    /// an owner invited to the holding folder is removed again, the
    /// quarantine record follows where the item is, and the entry says
    /// where that is and what to do.
    #[allow(clippy::too_many_arguments)]
    async fn fail_at(
        &self,
        record: &AuditRecord,
        sender: &Sender<'_>,
        mut journal: Journal,
        failed: usize,
        mut answers: Vec<String>,
        why: UserError,
        recovered: bool,
    ) -> Result<AuditEntry, UserError> {
        let steps = journal.steps.clone();
        let (done, left) = steps.split_at(failed);
        let invited = done
            .iter()
            .any(|s| matches!(s, Step::InviteToHolding { .. }))
            && journal.vars.contains_key(plan::VAR_HOLDING_INVITE);
        let take_back_pending = left.iter().any(|s| matches!(s, Step::RemoveHoldingInvite));
        let mut invite = Invite::None;
        if invited && take_back_pending {
            invite = match sender
                .run(&Step::RemoveHoldingInvite, &mut journal, false)
                .await
            {
                StepOutcome::Done(line) => {
                    answers.push(line);
                    Invite::TakenBack
                }
                _ => Invite::Left,
            };
        }
        let moved = done.iter().any(|s| matches!(s, Step::Move { .. }));
        let kind = ActionKind::parse(&record.kind);
        let quarantined = self
            .quarantined(record_type(record), &record.item_id)
            .await?;
        match (kind, moved) {
            (Some(ActionKind::Quarantine), true) => {
                self.store
                    .put_quarantine(
                        &self.connection_id,
                        QuarantineRecord {
                            item_type: record.item_type.clone(),
                            item_id: record.item_id.clone(),
                            audit_id: record.audit_id,
                            quarantined_at: Millis::from(Utc::now()),
                        },
                    )
                    .await?
            }
            (Some(ActionKind::Restore), true) => {
                self.store
                    .remove_quarantine(&self.connection_id, &record.item_type, &record.item_id)
                    .await?
            }
            _ => {}
        }
        let before: Option<ItemState> = serde_json::from_str(&record.before).ok();
        let place = Place {
            kind,
            moved,
            holding: journal.vars.get(plan::VAR_HOLDING).map(String::as_str),
            holding_name: plan::holding_name(record_type(record), &record.item_id),
            invite_id: journal
                .vars
                .get(plan::VAR_HOLDING_INVITE)
                .map(String::as_str),
            invite,
            path: before.as_ref().and_then(|b| b.path.as_deref()),
            owner: before.as_ref().and_then(|b| b.owner_login.as_deref()),
            original: quarantined.as_ref().map(|q| {
                (
                    q.original_parent_id.as_str(),
                    q.before.path.as_deref(),
                    q.before.owner_login.as_deref(),
                )
            }),
        };
        let after = self
            .read_now(record_type(record), &record.item_id)
            .await
            .ok()
            .flatten();
        let words = place.words();
        let hint = if words.is_empty() {
            why.hint
        } else {
            format!("{words} {}", why.hint)
        };
        let error = UserError::new(why.code, why.message, hint);
        self.finish(
            record.audit_id,
            AuditState::Failed,
            &journal,
            failed,
            &answers,
            after.as_ref(),
            Some(error),
            recovered,
        )
        .await?;
        self.rescan(record).await;
        self.entry(record.audit_id).await
    }

    /// The item after link and collaborator changes, from Box's answers to
    /// them (the PUT returns the link, a 204 confirms a removal): no read
    /// back. `None` when a step moved the item or its answer was not kept.
    async fn after_from_answers(&self, audit_id: i64, journal: &Journal) -> Option<ItemState> {
        let record = self.store.audit_entry(audit_id).await.ok()??;
        let mut after: ItemState = serde_json::from_str(&record.before).ok()?;
        for step in &journal.steps {
            match step {
                plan::Step::SetLink { link: None, .. } => after.link = None,
                plan::Step::SetLink { link: Some(_), .. } => {
                    let answered = journal.vars.get(plan::VAR_LINK_AFTER)?;
                    after.link = Some(serde_json::from_str(answered).ok()?);
                }
                plan::Step::RemoveCollaboration {
                    collaboration_id, ..
                } => after
                    .collaborations
                    .retain(|c| &c.collaboration_id != collaboration_id),
                _ => return None,
            }
        }
        Some(after)
    }

    /// Quarantine's bookkeeping: which entry to restore the item from.
    async fn after_done(&self, record: &AuditRecord, journal: &Journal) -> Result<(), UserError> {
        let kind = ActionKind::parse(&record.kind);
        if kind == Some(ActionKind::Quarantine) && !journal.steps.is_empty() {
            self.store
                .put_quarantine(
                    &self.connection_id,
                    QuarantineRecord {
                        item_type: record.item_type.clone(),
                        item_id: record.item_id.clone(),
                        audit_id: record.audit_id,
                        quarantined_at: Millis::from(Utc::now()),
                    },
                )
                .await?;
        }
        if kind == Some(ActionKind::Restore) && !journal.steps.is_empty() {
            self.store
                .remove_quarantine(&self.connection_id, &record.item_type, &record.item_id)
                .await?;
        }
        Ok(())
    }

    /// The item goes to the front of the scan queue: its findings follow
    /// what Box says after the change.
    async fn rescan(&self, record: &AuditRecord) {
        let item = match record_type(record) {
            ItemType::File => ItemKind::File,
            ItemType::Folder => ItemKind::Folder,
        };
        let entry = Enqueue {
            item,
            item_id: record.item_id.clone(),
            priority: priority::EVENT,
            reason: QueueReason::Event,
            reason_event_id: None,
            reason_detail: Some(format!("action #{} {}", record.audit_id, record.kind)),
        };
        if let Err(e) = self.store.enqueue(&self.connection_id, vec![entry]).await {
            tracing::warn!("could not queue item {} for a rescan: {e}", record.item_id);
        }
    }

    /// Finishes an action a previous process left unfinished: pending ones
    /// are sent as new; one caught mid-step asks Box whether that step
    /// landed before sending it again.
    pub async fn resume(&self, audit_id: i64) -> Result<AuditEntry, UserError> {
        let record = self.audit_record(audit_id).await?;
        // With governance off nothing is sent, not even to finish: the entry
        // waits, and is finished once governance is on again.
        let finished = AuditState::parse(&record.state).is_none_or(|s| s.is_final());
        if !self.can_write || finished {
            return self.entry(audit_id).await;
        }
        let Some(claim) = lease::claim(&self.store, audit_id).await? else {
            return self.entry(audit_id).await;
        };
        let result = self.resume_claimed(&claim).await;
        claim.release(&self.store).await;
        result
    }

    async fn resume_claimed(&self, claim: &Claim) -> Result<AuditEntry, UserError> {
        // Read again under the claim: another process may have moved it on.
        let record = self.audit_record(claim.audit_id).await?;
        match AuditState::parse(&record.state) {
            Some(AuditState::Pending) => self.perform_claimed(claim).await,
            Some(AuditState::Sending) => {
                let journal: Journal =
                    serde_json::from_str(&record.steps).map_err(corrupt_entry)?;
                let answers: Vec<String> =
                    serde_json::from_str(&record.box_answer).unwrap_or_default();
                let from = record.steps_done.max(0) as usize;
                self.run_steps(claim, &record, journal, from, answers, true)
                    .await
            }
            _ => self.entry(claim.audit_id).await,
        }
    }

    /// Every unfinished action of this connection, resumed in order.
    pub async fn resume_all(&self) -> Result<Vec<AuditEntry>, UserError> {
        let mut out = Vec::new();
        for r in self.store.unfinished_audits(&self.connection_id).await? {
            out.push(self.resume(r.audit_id).await?);
        }
        Ok(out)
    }

    async fn audit_record(&self, audit_id: i64) -> Result<AuditRecord, UserError> {
        self.store.audit_entry(audit_id).await?.ok_or_else(|| {
            UserError::new(
                ErrorCode::InvalidInput,
                format!("There is no audit entry {audit_id}."),
                "List the audit log to see the entries.",
            )
        })
    }

    pub async fn entry(&self, audit_id: i64) -> Result<AuditEntry, UserError> {
        Ok(audit_entry_of(self.audit_record(audit_id).await?))
    }
}

/// The owner's invitation to the holding folder after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Invite {
    None,
    TakenBack,
    /// It could not be taken back: the admin removes it.
    Left,
}

/// Where a failed action left the item, in words for the audit entry.
struct Place<'a> {
    kind: Option<ActionKind>,
    /// The move landed before the failure.
    moved: bool,
    holding: Option<&'a str>,
    holding_name: String,
    invite_id: Option<&'a str>,
    invite: Invite,
    /// Where it was and whose, before this action.
    path: Option<&'a str>,
    owner: Option<&'a str>,
    /// For a restore: the folder it came from, its path and its owner.
    original: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
}

impl Place<'_> {
    fn words(&self) -> String {
        let holding = self.holding.unwrap_or("?");
        let in_quarantine = format!(
            "in your folder {}/{} (folder id {holding})",
            plan::QUARANTINE_FOLDER,
            self.holding_name
        );
        // Whom the holding folder was shared with: the item's owner.
        let owner = match (self.kind, self.original) {
            (Some(ActionKind::Restore), Some((_, _, o))) => o,
            _ => self.owner,
        }
        .unwrap_or("its owner");
        let mut out = match (self.kind, self.moved) {
            (Some(ActionKind::Quarantine), false) => format!(
                "The item stays where it was ({}): it was not moved. What was removed before the failure stays removed. Preview the quarantine again to retry.",
                self.path.unwrap_or("its folder")
            ),
            (Some(ActionKind::Quarantine), true) => format!(
                "The item is quarantined {in_quarantine}; only the last clean-up failed."
            ),
            (Some(ActionKind::Restore), false) => {
                let (parent, path, _) = self.original.unwrap_or(("?", None, None));
                format!(
                    "The item is still {in_quarantine}. Restore it again, or move it yourself in Box to folder {parent} ({}).",
                    path.unwrap_or("where it was")
                )
            }
            (Some(ActionKind::Restore), true) => {
                let (_, path, original_owner) = self.original.unwrap_or(("?", None, None));
                format!(
                    "The item is back in {} and {} owns it again; what failed is putting its sharing back: set that in Box yourself.",
                    path.unwrap_or("its folder"),
                    original_owner.unwrap_or("its owner")
                )
            }
            // One request: Box's refusal says it all.
            _ => String::new(),
        };
        match self.invite {
            Invite::None => {}
            Invite::TakenBack => out.push_str(&format!(
                " {owner}'s invitation to the holding folder {holding} was taken back."
            )),
            Invite::Left => out.push_str(&format!(
                " {owner}'s invitation to the holding folder {holding} (collaboration {}) could not be taken back: remove it in Box.",
                self.invite_id.unwrap_or("?")
            )),
        }
        out.trim_start().to_owned()
    }
}

fn record_type(r: &AuditRecord) -> ItemType {
    ItemType::parse(&r.item_type).unwrap_or(ItemType::File)
}

fn corrupt_entry(e: serde_json::Error) -> UserError {
    UserError::new(
        ErrorCode::Internal,
        format!("An audit entry could not be read: {e}."),
        "Nothing was sent for it; report this with the audit export.",
    )
}

fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "internal".into())
}

fn error_code_of(s: &str) -> ErrorCode {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).unwrap_or(ErrorCode::Internal)
}

/// An audit row as the UI and the CLI show it.
pub fn audit_entry_of(r: AuditRecord) -> AuditEntry {
    let request: Option<ActionRequest> = serde_json::from_str(&r.request).ok();
    AuditEntry {
        audit_id: r.audit_id,
        batch_id: r.batch_id,
        policy_id: r.policy_id,
        actor: r.actor,
        requested_at: r.requested_at.into(),
        finished_at: r.finished_at.map(Into::into),
        kind: request
            .map(|q| q.kind)
            .or_else(|| ActionKind::parse(&r.kind))
            .unwrap_or(ActionKind::RemoveLink),
        item: ActionItem {
            item_type: ItemType::parse(&r.item_type).unwrap_or(ItemType::File),
            item_id: r.item_id,
            name: r.item_name,
            path: r.item_path,
            owner_id: r.owner_id,
            owner_login: r.owner_login,
        },
        acting_as: r.acting_as,
        state: AuditState::parse(&r.state).unwrap_or(AuditState::Failed),
        changes: serde_json::from_str(&r.changes).unwrap_or_default(),
        before: sharing_of(&r.before),
        after: r
            .after
            .as_deref()
            .map(sharing_or_raw)
            .unwrap_or(serde_json::Value::Null),
        box_answer: serde_json::from_str(&r.box_answer).unwrap_or_default(),
        error: r.error_message.map(|m| UserError {
            code: r
                .error_code
                .as_deref()
                .map(error_code_of)
                .unwrap_or(ErrorCode::Internal),
            message: m,
            hint: r.error_hint.unwrap_or_default(),
        }),
        recovered: r.recovered,
    }
}

/// "before" is stored as the whole ItemState; shown as its sharing.
fn sharing_of(before: &str) -> serde_json::Value {
    match serde_json::from_str::<ItemState>(before) {
        Ok(s) => s.sharing(),
        Err(_) => serde_json::from_str(before).unwrap_or(serde_json::Value::Null),
    }
}

fn sharing_or_raw(after: &str) -> serde_json::Value {
    serde_json::from_str(after).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::box_api::error_from;
    use reqwest::StatusCode;

    fn refusal_of(status: StatusCode, code: &str) -> UserError {
        let body = serde_json::json!({
            "type": "error", "status": status.as_u16(), "code": code,
            "message": "Box's own words", "request_id": "r1"
        });
        box_refusal(&error_from(status, body.to_string().as_bytes()))
    }

    #[test]
    fn box_refusals_say_what_box_said_and_what_to_do() {
        let forbidden = refusal_of(
            StatusCode::FORBIDDEN,
            "access_denied_insufficient_permissions",
        );
        assert!(forbidden.message.contains("403") && forbidden.message.contains("Box's own words"));
        assert!(
            forbidden.hint.contains("Perform Actions as Users"),
            "{forbidden:?}"
        );
        let gone = refusal_of(StatusCode::NOT_FOUND, "not_found");
        assert!(gone.hint.contains("rescan"), "{gone:?}");
        let conflict = refusal_of(StatusCode::CONFLICT, "item_name_in_use");
        assert!(
            conflict.hint.contains("preview the action again"),
            "{conflict:?}"
        );
    }

    #[test]
    fn an_audit_entry_reads_back_its_error_code() {
        for code in [
            ErrorCode::BoxApi,
            ErrorCode::GovernanceOff,
            ErrorCode::ActionRefused,
        ] {
            assert_eq!(error_code_of(&code_name(code)), code);
        }
    }
}
