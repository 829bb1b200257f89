//! What governance shows the UI and the CLI: an action's preview, the audit
//! log, bulk progress, policies and their alerts. A preview is computed
//! before anything is sent; the audit log is what was sent and what Box
//! answered. The CLI's `--json` output is these types as they serialize.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::UserError;
use crate::ipc::findings::{FindingKind, FindingsFilter, Severity};

/// What the admin can do to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ActionKind {
    /// Remove the item's own shared link.
    RemoveLink,
    /// Narrow the link (open → company → collaborators), turn off download,
    /// set an expiry.
    RestrictLink,
    /// Remove one collaboration (by its id).
    RemoveCollaborator,
    /// Remove every collaborator of the item whose login is outside the enterprise.
    RemoveExternal,
    /// Move the item into the admin's quarantine folder, without its link and
    /// collaborators; they are recorded to be put back by `Restore`.
    Quarantine,
    /// Put a quarantined item back where it was, with its link and collaborators.
    Restore,
}

impl ActionKind {
    pub const ALL: [ActionKind; 6] = [
        ActionKind::RemoveLink,
        ActionKind::RestrictLink,
        ActionKind::RemoveCollaborator,
        ActionKind::RemoveExternal,
        ActionKind::Quarantine,
        ActionKind::Restore,
    ];

    /// The CLI's and the store's name (`remove-link` …).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::RemoveLink => "remove-link",
            ActionKind::RestrictLink => "restrict-link",
            ActionKind::RemoveCollaborator => "remove-collaborator",
            ActionKind::RemoveExternal => "remove-external",
            ActionKind::Quarantine => "quarantine",
            ActionKind::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        ActionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.as_str().replace('-', "_") == s)
    }
}

/// Link access, narrowest last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LinkAccess {
    Open,
    Company,
    Collaborators,
}

impl LinkAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAccess::Open => "open",
            LinkAccess::Company => "company",
            LinkAccess::Collaborators => "collaborators",
        }
    }
}

/// `file` or `folder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ItemType {
    File,
    Folder,
}

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::File => "file",
            ItemType::Folder => "folder",
        }
    }

    pub fn parse(s: &str) -> Option<ItemType> {
        match s {
            "file" => Some(ItemType::File),
            "folder" => Some(ItemType::Folder),
            _ => None,
        }
    }
}

/// One action the admin asks for, before its preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ActionRequest {
    pub kind: ActionKind,
    pub item_type: ItemType,
    pub item_id: String,
    /// `RestrictLink`: the access to narrow to (never wider than the current).
    #[serde(default)]
    pub access: Option<LinkAccess>,
    /// `RestrictLink`: turn off download through the link.
    #[serde(default)]
    pub disable_download: bool,
    /// `RestrictLink`: the link stops working then.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// `RemoveCollaborator`: which collaboration.
    #[serde(default)]
    pub collaboration_id: Option<String>,
}

/// One change an action makes, as the preview shows it and the audit keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PlannedChange {
    /// In words: "Remove the open link (can download) of Q3.xlsx".
    pub description: String,
    /// `shared_link`, `collaboration`, `location` or `folder`.
    pub target: String,
    /// What it is now, and what it will be (`null`: none).
    #[ts(type = "unknown")]
    pub before: serde_json::Value,
    #[ts(type = "unknown")]
    pub after: serde_json::Value,
}

/// The item an action is about, as Box says it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ActionItem {
    pub item_type: ItemType,
    pub item_id: String,
    pub name: Option<String>,
    pub path: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
}

/// What an action will do, computed before anything is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ActionPreview {
    /// Hand this to `perform_action` to confirm; it expires after a few minutes.
    pub preview_id: String,
    pub request: ActionRequest,
    pub item: ActionItem,
    /// Whose `as-user` the changes are sent as (the owner's login).
    pub acting_as: Option<String>,
    /// Empty when there is nothing to change (then nothing is sent).
    pub changes: Vec<PlannedChange>,
    /// Set when the action may not be taken: nothing will be sent.
    pub refused: Option<UserError>,
    pub warnings: Vec<String>,
}

/// Where an audit entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuditState {
    /// Confirmed, not yet sent.
    Pending,
    /// Sent (or being sent); Box's answer not yet recorded.
    Sending,
    /// Box made every change.
    Done,
    /// Nothing needed changing when it was sent (already as asked).
    Unchanged,
    /// Refused before sending (role, scope, changed since the preview).
    Refused,
    /// Box refused, or the network failed; what is known is recorded.
    Failed,
}

impl AuditState {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditState::Pending => "pending",
            AuditState::Sending => "sending",
            AuditState::Done => "done",
            AuditState::Unchanged => "unchanged",
            AuditState::Refused => "refused",
            AuditState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditState> {
        [
            AuditState::Pending,
            AuditState::Sending,
            AuditState::Done,
            AuditState::Unchanged,
            AuditState::Refused,
            AuditState::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Whether the entry is finished (nothing more will be sent for it).
    pub fn is_final(self) -> bool {
        !matches!(self, AuditState::Pending | AuditState::Sending)
    }
}

/// One action in the audit log, kept when findings close.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditEntry {
    pub audit_id: i64,
    /// Set for an action that is part of a bulk action.
    pub batch_id: Option<i64>,
    /// Set for an action a policy took on its own.
    pub policy_id: Option<i64>,
    /// Who in the app: the OS user and the connected Box account.
    pub actor: String,
    pub requested_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub kind: ActionKind,
    pub item: ActionItem,
    pub acting_as: Option<String>,
    pub state: AuditState,
    /// What the preview showed and the action was to change.
    pub changes: Vec<PlannedChange>,
    /// The item's sharing before and after, as Box said (link, collaborators, parent).
    #[ts(type = "unknown")]
    pub before: serde_json::Value,
    #[ts(type = "unknown")]
    pub after: serde_json::Value,
    /// Box's answers, one line per request: status and request id.
    pub box_answer: Vec<String>,
    pub error: Option<UserError>,
    /// Recovered on a later start after an interruption.
    pub recovered: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditFilter {
    pub batch_id: Option<i64>,
    pub item_id: Option<String>,
    pub state: Option<AuditState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditPage {
    pub rows: Vec<AuditEntry>,
    pub total: u64,
}

/// A bulk action over the findings a filter matches, before it is confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BulkPreview {
    pub preview_id: String,
    pub filter: FindingsFilter,
    pub kind: ActionKind,
    /// Every item it will act on, each with its changes (from the last scan;
    /// each is checked against Box again just before it is sent).
    pub items: Vec<ActionPreview>,
    /// Items with changes, and items refused before sending.
    pub will_change: u64,
    pub refused: u64,
}

/// A bulk action under way or finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BulkProgress {
    pub batch_id: i64,
    pub kind: ActionKind,
    pub total: u64,
    pub done: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub refused: u64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub eta_seconds: Option<u64>,
}

/// Which findings a policy matches. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PolicyMatch {
    #[serde(default)]
    pub kinds: Vec<FindingKind>,
    #[serde(default)]
    pub detectors: Vec<String>,
    /// `high` matches high-confidence content findings only.
    #[serde(default)]
    pub min_confidence: Option<String>,
    #[serde(default)]
    pub min_severity: Option<Severity>,
    /// Files that also hold a content finding of this detector (e.g. a public
    /// link on a file holding card numbers).
    #[serde(default)]
    pub file_has_detector: Option<String>,
    #[serde(default)]
    pub owner_login: Option<String>,
    /// Box path prefix (`All Files/Finance`).
    #[serde(default)]
    pub path_prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Policy {
    pub policy_id: i64,
    pub name: String,
    pub enabled: bool,
    pub matches: PolicyMatch,
    /// The action taken on a match, only when `auto_act` is on.
    pub action: Option<ActionKind>,
    pub auto_act: bool,
    pub created_at: DateTime<Utc>,
    /// An acting policy takes at most this many actions a day; past it,
    /// its alerts say so and nothing more is sent.
    pub daily_cap: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewPolicy {
    pub name: String,
    pub matches: PolicyMatch,
    #[serde(default)]
    pub action: Option<ActionKind>,
    #[serde(default)]
    pub auto_act: bool,
    /// Actions a day at most (default [`DEFAULT_DAILY_CAP`]).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub daily_cap: Option<u32>,
}

/// An acting policy's actions a day unless the admin sets another cap (as
/// Defender for Cloud Apps caps admin quarantine).
pub const DEFAULT_DAILY_CAP: u32 = 100;

/// What a rule would match today (a dry run: nothing is raised or sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PolicyDryRun {
    pub matched: u64,
    /// The first matches.
    pub sample: Vec<crate::ipc::findings::FindingRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Alert {
    pub alert_id: i64,
    pub policy_id: i64,
    pub policy_name: String,
    pub finding: crate::ipc::findings::FindingRow,
    pub raised_at: DateTime<Utc>,
    /// The audit entry of the action the policy took, if it acts.
    pub audit_id: Option<i64>,
    pub acknowledged: bool,
    /// Why an acting policy did not act (the finding was open before the
    /// policy was enabled, or its daily cap was reached).
    pub note: Option<String>,
}

/// Governance's switch and what Box granted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GovernanceStatus {
    /// The admin turned governance on (and Box was asked for `root_readwrite`).
    pub enabled: bool,
    /// The scopes the connection was signed in with.
    pub scopes: Vec<String>,
    /// Whether the connection may write (`root_readwrite` granted).
    pub can_write: bool,
    /// Alerts not yet acknowledged.
    pub open_alerts: u64,
    /// Actions interrupted earlier and being looked at again.
    pub interrupted: u64,
}
