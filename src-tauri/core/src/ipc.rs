//! What crosses IPC: the state snapshot the UI starts from and the events
//! pushed after it. TypeScript types are generated from these (ts-rs) into
//! `ui/src/lib/bindings/` by `cargo test -p connector-core`.
//! Nothing here may carry a secret: tokens and client secrets stay in `auth`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use crate::datacenter::CustomSettings;
use crate::datacenter::DataCenter;
use crate::error::UserError;
use crate::health::Health;
use crate::store;

pub mod findings;
pub mod govern;
pub mod scan;
pub use scan::{
    CollaborationView, EventDay, EventRow, EventsProgress, FileDetail, FileHistoryEntry,
    QueueEntry, ScanProgress, ScanSettingView, ScanState, ScanStatus, ThroughputPoint,
};

/// Everything the UI shows, in one value. Sent once at start-up and again
/// (whole) in `CoreEvent::SnapshotChanged` whenever it changes.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Snapshot {
    pub datacenters: Vec<DataCenterView>,
    /// Id of the data center the admin picked (`sandbox` until they pick another).
    pub selected_datacenter: String,
    /// The seed's step 1 (allowlist the API key), shown beside the key.
    pub allowlist_steps: Vec<String>,
    pub connection: ConnectionView,
    /// Present while a sign-in is waiting for the browser.
    pub sign_in: Option<SignInView>,
    /// `None` while the database cannot be opened.
    pub health: Option<Health>,
    /// The last API test, from the store: shown offline too.
    pub last_api_test: Option<ApiTestReport>,
    pub database: DatabaseStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DataCenterView {
    #[serde(flatten)]
    pub profile: DataCenter,
    /// Whether a client secret for this data center is in the keychain
    /// (the sandbox brings its own, so it is always true there).
    pub has_client_secret: bool,
    /// For Custom: the client id and URLs the admin entered (no secret).
    pub custom: Option<CustomSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConnectionState {
    NotConnected,
    /// A sign-in is in progress (browser open, waiting for the callback).
    Connecting,
    Connected,
    /// Box refused the stored tokens (`invalid_grant`, app removed...): sign in again.
    NeedsReconnect,
    /// Tokens are fine but Box could not be reached.
    Offline,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConnectionView {
    pub state: ConnectionState,
    /// Data center of the current (or last) connection.
    pub datacenter_id: Option<String>,
    pub account: Option<AccountView>,
    /// One sentence on what the admin does next in this state.
    pub what_to_do: String,
    /// Why the last connect / refresh failed, if it did.
    pub error: Option<UserError>,
    /// What `what_to_do` says, for callers that word it their own way (the CLI).
    #[serde(skip)]
    #[ts(skip)]
    pub advice: crate::wording::Advice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccountView {
    pub user_id: String,
    pub name: String,
    pub login: String,
    /// `admin`, `coadmin` or `user`.
    pub role: String,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
}

/// A sign-in waiting for the browser: the UI offers "copy sign-in link" and
/// "paste the redirect URL" from this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SignInView {
    pub datacenter_id: String,
    pub authorize_url: String,
    pub redirect_uri: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// False when the browser could not be opened: the UI stresses the copy link.
    pub browser_opened: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CheckStatus {
    Pending,
    Running,
    Pass,
    Warn,
    Fail,
    /// Not run because an earlier check failed.
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ApiCheckId {
    TokenValid,
    Role,
    EnterpriseEvents,
    UsersListable,
    ActAsUser,
    /// Box accepts writes from the connection (`root_readwrite`); run only
    /// while governance is on.
    WriteScope,
}

impl ApiCheckId {
    /// Every check, in the order the API test runs them.
    pub const ALL: [ApiCheckId; 6] = [
        ApiCheckId::TokenValid,
        ApiCheckId::Role,
        ApiCheckId::EnterpriseEvents,
        ApiCheckId::UsersListable,
        ApiCheckId::ActAsUser,
        ApiCheckId::WriteScope,
    ];

    /// Whether the check runs only while governance is on (absent otherwise,
    /// rather than shown as skipped).
    pub fn only_with_governance(self) -> bool {
        self == ApiCheckId::WriteScope
    }

    /// The id as stored and serialized (`token_valid`, `role`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ApiCheckId::TokenValid => "token_valid",
            ApiCheckId::Role => "role",
            ApiCheckId::EnterpriseEvents => "enterprise_events",
            ApiCheckId::UsersListable => "users_listable",
            ApiCheckId::ActAsUser => "act_as_user",
            ApiCheckId::WriteScope => "write_scope",
        }
    }
}

// The one mapping between a check's status as shown and as stored: only
// finished checks (pass, warn, fail) are kept.
impl From<store::CheckStatus> for CheckStatus {
    fn from(stored: store::CheckStatus) -> Self {
        match stored {
            store::CheckStatus::Pass => CheckStatus::Pass,
            store::CheckStatus::Warn => CheckStatus::Warn,
            store::CheckStatus::Fail => CheckStatus::Fail,
        }
    }
}

impl CheckStatus {
    /// The stored form, `None` for a status that is not a result.
    pub fn stored(self) -> Option<store::CheckStatus> {
        match self {
            CheckStatus::Pass => Some(store::CheckStatus::Pass),
            CheckStatus::Warn => Some(store::CheckStatus::Warn),
            CheckStatus::Fail => Some(store::CheckStatus::Fail),
            CheckStatus::Pending | CheckStatus::Running | CheckStatus::Skipped => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApiCheck {
    pub id: ApiCheckId,
    pub label: String,
    pub status: CheckStatus,
    /// What was found ("Signed in as admin@example.com (admin)").
    pub detail: Option<String>,
    /// Box's own error message, when Box refused.
    pub box_error: Option<String>,
    /// What the admin does about a warning or failure.
    pub fix: Option<String>,
}

/// One run of the API test (the seed's step 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApiTestReport {
    pub datacenter_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Worst status over the checks once finished; `running` before.
    pub outcome: CheckStatus,
    pub checks: Vec<ApiCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DatabaseState {
    Ok,
    Corrupt,
    TooNew,
    Unavailable,
}

/// The local database. When it is not `ok` the app still starts, says what is
/// wrong and offers `move_database_aside` (never deletes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DatabaseStatus {
    pub state: DatabaseState,
    pub path: String,
    pub error: Option<UserError>,
}

/// Pushed to the UI (Tauri Channel) and the CLI (broadcast).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum CoreEvent {
    /// The whole state after any change; the UI may simply replace its copy.
    SnapshotChanged {
        snapshot: Box<Snapshot>,
    },
    /// A sign-in is waiting: the URL for "copy sign-in link".
    SignInStarted {
        sign_in: SignInView,
    },
    /// The browser hit the callback: the shell brings its window to the front.
    BringToFront,
    /// The sign-in finished; `error` is set when it failed.
    SignInFinished {
        error: Option<UserError>,
    },
    /// One check of a running API test changed.
    ApiTestProgress {
        report: ApiTestReport,
    },
    ApiTestFinished {
        report: ApiTestReport,
    },
    HealthChanged {
        health: Box<Health>,
    },
    /// The scan's progress, a few times a second at most while it runs.
    ScanProgress {
        status: Box<ScanStatus>,
    },
    /// A bulk action's progress, a few times a second at most.
    ActionProgress {
        progress: govern::BulkProgress,
    },
    /// An action finished (done, unchanged, refused or failed).
    ActionFinished {
        entry: Box<govern::AuditEntry>,
    },
    /// Policies matched new findings: the shell also shows a desktop notification.
    AlertsRaised {
        alerts: Vec<govern::Alert>,
    },
}
