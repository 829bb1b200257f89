//! The error every caller outside core sees: a stable `code` to branch on,
//! a `message` that says what happened, and a `hint` that says what to do next.
//! It crosses IPC as `{code, message, hint}`. Never put a secret in any field.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Stable error codes. The UI and the CLI's `--json` output branch on these,
/// so rename none; add new ones at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    Internal,
    InvalidInput,
    UnknownDatacenter,
    DatabaseCorrupt,
    DatabaseTooNew,
    DatabaseUnavailable,
    KeychainUnavailable,
    KeychainLocked,
    NotConnected,
    NeedsReconnect,
    SignInDenied,
    SignInTimedOut,
    SignInCancelled,
    SignInInvalidCallback,
    AppDisabledByAdmin,
    Network,
    RateLimited,
    BoxApi,
    MalformedResponse,
    NoEnterprise,
    /// The data center needs its client secret entered (asked once, kept in the keychain).
    ClientSecretMissing,
    /// The embedded sandbox could not start.
    SandboxUnavailable,
    /// Disconnect removed the local sign-in but did not revoke it at the
    /// server, which has no known revoke address (a warning, not a failure).
    RevokeSkipped,
    /// Another process (the window or the CLI) runs this data folder's scanner.
    ScannerElsewhere,
    /// Governance is off, or Box has not granted the write scope.
    GovernanceOff,
    /// The action may not be taken (role, owner outside, nothing to act on):
    /// nothing was sent.
    ActionRefused,
    /// The preview is too old, unknown, or the item changed since: preview again.
    PreviewExpired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct UserError {
    pub code: ErrorCode,
    pub message: String,
    pub hint: String,
}

impl UserError {
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        UserError {
            code,
            message: message.into(),
            hint: hint.into(),
        }
    }
}
