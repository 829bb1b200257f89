//! Secrets (tokens, client secrets) live in the OS keychain and nowhere else:
//! Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
//!
//! There is deliberately no fallback. If the keychain is missing or locked the
//! caller gets `KeychainUnavailable` / `KeychainLocked` with a hint naming the
//! fix; a secret is never kept in memory-only or file storage instead.
//!
//! All calls are synchronous (the platform APIs are); async callers wrap them
//! in `tokio::task::spawn_blocking`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ErrorCode, UserError};

/// A value that must not leak: `Debug` and `Display` print `<redacted>`,
/// serializing fails, and reading it takes an explicit `.expose()`.
#[derive(Clone, Default)]
pub struct Sensitive<T>(T);

pub const REDACTED: &str = "<redacted>";

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// The secret itself. Call it at the one place the value is needed
    /// (an HTTP header, a keychain write), never to log or display it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_exposed(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Sensitive(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Refuses, so a secret can never end up in JSON, IPC or a config file by
/// accident (e.g. a `#[derive(Serialize)]` struct that grew a token field).
impl<T> Serialize for Sensitive<T> {
    fn serialize<S: Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "refusing to serialize a Sensitive value (a secret)",
        ))
    }
}

/// Reading is allowed: token responses arrive as JSON.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Sensitive)
    }
}

/// One keychain "service" (the app identifier, e.g. `com.boxconnector.app`);
/// entries inside it are keyed by account name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keychain {
    service: String,
}

/// The account used by [`Keychain::probe`]; it is removed again at once.
const PROBE_ACCOUNT: &str = "keychain-probe";

impl Keychain {
    pub fn new(service: &str) -> Keychain {
        Keychain {
            service: service.to_owned(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// The secret stored for `account`, or `None` when there is none.
    pub fn get(&self, account: &str) -> Result<Option<Sensitive<String>>, UserError> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(Sensitive(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_error(err, "read", account)),
        }
    }

    /// Creates or replaces the secret for `account`.
    pub fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), UserError> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(|err| map_error(err, "write", account))
    }

    /// Removes the secret for `account`; removing a missing entry succeeds.
    pub fn delete(&self, account: &str) -> Result<(), UserError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_error(err, "delete", account)),
        }
    }

    /// Checks the keychain can really be written and read (a locked
    /// collection reads "nothing found" but refuses writes), by storing and
    /// removing a throwaway entry.
    pub fn probe(&self) -> Result<(), UserError> {
        let marker = Sensitive("probe".to_owned());
        self.set(PROBE_ACCOUNT, &marker)?;
        let read_back = self.get(PROBE_ACCOUNT)?;
        self.delete(PROBE_ACCOUNT)?;
        match read_back {
            Some(value) if value.expose() == marker.expose() => Ok(()),
            _ => Err(UserError::new(
                ErrorCode::KeychainUnavailable,
                "The system keychain accepted a test entry but did not return it.",
                unavailable_hint(),
            )),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, UserError> {
        platform_entry(&self.service, account).map_err(|err| map_error(err, "open", account))
    }
}

/// Linux: the Secret Service store, named explicitly so no build of keyring
/// can quietly pick its in-memory mock instead.
#[cfg(target_os = "linux")]
fn platform_entry(service: &str, account: &str) -> keyring::Result<keyring::Entry> {
    let credential =
        keyring::secret_service::SsCredential::new_with_target(None, service, account)?;
    Ok(keyring::Entry::new_with_credential(Box::new(credential)))
}

/// macOS / Windows: the native store, the only one the features enable.
#[cfg(not(target_os = "linux"))]
fn platform_entry(service: &str, account: &str) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(service, account)
}

fn unavailable_hint() -> &'static str {
    if cfg!(target_os = "linux") {
        "Start and unlock a Secret Service keyring (GNOME Keyring or KWallet) in your desktop \
         session, then try again. On a headless Linux session run the app inside \
         `dbus-run-session` and start the keyring with `gnome-keyring-daemon --unlock \
         --components=secrets` (it reads the unlock password on stdin)."
    } else if cfg!(target_os = "macos") {
        "Open Keychain Access, make sure the login keychain exists and is unlocked, then try again."
    } else {
        "Make sure Windows Credential Manager is available for your account, then try again."
    }
}

fn locked_hint() -> &'static str {
    if cfg!(target_os = "linux") {
        "Unlock your keyring (GNOME Keyring: Passwords and Keys → Login → Unlock; KWallet: open \
         it and unlock) and allow Box Connector when asked, then try again."
    } else {
        "Unlock your keychain and allow Box Connector when the system asks, then try again."
    }
}

/// Turns a keyring error into a `UserError`. Messages name the operation and
/// the account, never the secret (keyring's `BadEncoding` carries the bytes,
/// so its payload is dropped here).
fn map_error(err: keyring::Error, operation: &str, account: &str) -> UserError {
    match err {
        keyring::Error::NoStorageAccess(detail) => UserError::new(
            ErrorCode::KeychainLocked,
            format!(
                "The system keychain is locked or refused access, so the entry \"{account}\" \
                 could not be {operation_done} ({detail}).",
                operation_done = done(operation)
            ),
            locked_hint(),
        ),
        keyring::Error::PlatformFailure(detail) => UserError::new(
            ErrorCode::KeychainUnavailable,
            format!(
                "The system keychain is not available, so the entry \"{account}\" could not be \
                 {operation_done} ({detail}).",
                operation_done = done(operation)
            ),
            unavailable_hint(),
        ),
        keyring::Error::BadEncoding(_) => UserError::new(
            ErrorCode::Internal,
            format!("The keychain entry \"{account}\" is not valid text."),
            "Disconnect and connect again to replace the entry.",
        ),
        keyring::Error::Ambiguous(items) => UserError::new(
            ErrorCode::Internal,
            format!(
                "The keychain holds {} entries named \"{account}\" for this app.",
                items.len()
            ),
            "Remove the duplicate entries with your keychain manager (e.g. Seahorse), then connect again.",
        ),
        other => UserError::new(
            ErrorCode::Internal,
            format!(
                "The keychain could not {operation} the entry \"{account}\": {other}."
            ),
            "This is a bug in Box Connector; please report it.",
        ),
    }
}

fn done(operation: &str) -> &'static str {
    match operation {
        "read" => "read",
        "write" => "saved",
        "delete" => "removed",
        _ => "opened",
    }
}
