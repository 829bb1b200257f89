//! What crosses IPC: the state snapshot the UI starts from and the events
//! pushed after it. TypeScript types are generated from these (ts-rs) into
//! `ui/src/lib/bindings/` by `cargo test -p connector-core`.
//! Nothing here may carry a secret: tokens and client secrets stay in `auth`.
//!
//! A leaf: these types depend on `error` alone, so every module may use them
//! (`wording` words them, `health` and `app` fill them) and none of them
//! leads back up (`scripts/module-cycles.py` checks there is no circle).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::UserError;

pub mod findings;
pub mod govern;
pub mod health;
pub mod scan;
pub use health::{CallStats, Health, HealthState, LastApiTest};
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

/// Where a profile's endpoints come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EndpointSource {
    /// Box's public endpoints.
    Box,
    /// The embedded box-sandbox; its URLs are known only once it listens.
    Sandbox,
    /// Supplied by the admin (their own Box app or another OAuth 2.0 server).
    Custom,
}

/// One selectable data center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DataCenter {
    /// Stable id used in the store, the keychain and the CLI (`us1`, `sandbox`...).
    pub id: String,
    pub label: String,
    pub description: String,
    /// The client id the admin allowlists in Box's admin console.
    /// `None` for Custom, where the admin brings their own.
    pub api_key: Option<String>,
    pub endpoints: EndpointSource,
    /// Whether the authorize request carries a PKCE S256 challenge.
    /// Box does not document PKCE, so only profiles known to support it send one.
    pub pkce: bool,
}

/// The admin's own app (Custom data center). The client secret is not here:
/// it lives in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomSettings {
    pub client_id: String,
    /// Empty fields fall back to Box's public endpoints — but only while every
    /// address given is Box's own: a credential never goes to a host the admin
    /// did not name (see [`CustomSettings::endpoints`]).
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub api_url: Option<String>,
    /// Where Disconnect revokes the sign-in. Empty: beside the token URL when
    /// that ends in `/token`, else the sign-in is not revoked at Disconnect
    /// (the local copy is still removed).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub revoke_url: Option<String>,
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
    pub advice: Advice,
}

/// What the admin does next: one per situation the connection can be in.
/// Health and the snapshot carry it beside their (window) sentence so the
/// CLI can say the same thing in its own terms; `wording` puts it into words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Advice {
    /// Never connected on this computer.
    #[default]
    Connect,
    /// The connection was disconnected.
    ConnectAgain,
    /// A sign-in is waiting for the browser.
    FinishSignIn,
    /// Box refused the sign-in (expired, revoked, already used).
    Reconnect { box_said: Option<String> },
    /// The keychain no longer holds the sign-in.
    ReconnectKeychainMissing,
    /// The refresh token outlived Box's 60 days.
    ReconnectExpired,
    /// Box cannot be reached.
    CheckNetwork,
    /// The connection works.
    Nothing,
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
