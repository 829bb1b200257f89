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
        match riding_out_restarts(|| self.entry(account)?.get_password()) {
            Ok(secret) => Ok(Some(Sensitive(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_error(err, "read", account)),
        }
    }

    /// Creates or replaces the secret for `account`.
    pub fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<(), UserError> {
        riding_out_restarts(|| self.entry(account)?.set_password(secret.expose()))
            .map_err(|err| map_error(err, "write", account))
    }

    /// Removes the secret for `account`; removing a missing entry succeeds.
    pub fn delete(&self, account: &str) -> Result<(), UserError> {
        match riding_out_restarts(|| self.entry(account)?.delete_credential()) {
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

    fn entry(&self, account: &str) -> keyring::Result<keyring::Entry> {
        platform_entry(&self.service, account)
    }
}

/// Attempts at one keychain call when the Secret Service vanished under it.
const RESTART_ATTEMPTS: u32 = 3;

/// Runs a keychain call again when the keyring daemon went away in the
/// middle of it (it crashed or was restarted: D-Bus starts it again on the
/// next call), instead of failing the sign-in or the refresh it served.
/// Any other failure (locked, refused) is returned at once.
fn riding_out_restarts<T>(mut call: impl FnMut() -> keyring::Result<T>) -> keyring::Result<T> {
    let mut attempt = 1;
    loop {
        match call() {
            Err(keyring::Error::PlatformFailure(detail))
                if attempt < RESTART_ATTEMPTS && is_lost_connection(&detail.to_string()) =>
            {
                tracing::warn!(
                    attempt,
                    "the keychain service went away mid-call; asking again"
                );
                std::thread::sleep(std::time::Duration::from_millis(250 * u64::from(attempt)));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// D-Bus's words for "the service that was answering is gone", and the
/// Secret Service's for "this session died with the daemon that opened it"
/// (a call that reached the restarted daemon with the old session).
fn is_lost_connection(detail: &str) -> bool {
    const LOST: [&str; 6] = [
        "noreply",
        "no reply",
        "serviceunknown",
        "disconnected",
        "name has no owner",
        "session wrapping the secret does not exist",
    ];
    let detail = detail.to_ascii_lowercase().replace('.', "");
    LOST.iter()
        .any(|word| detail.contains(&word.replace('.', "")))
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
         it and unlock) and allow Box Connector when asked, then try again. On a headless \
         session start the keyring unlocked with `gnome-keyring-daemon --replace --unlock \
         --components=secrets` (it reads the password on stdin)."
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
        // gnome-keyring reports a locked collection as a plain D-Bus failure
        // ("Cannot create an item in a locked collection").
        keyring::Error::PlatformFailure(detail)
            if detail.to_string().to_ascii_lowercase().contains("locked") =>
        {
            UserError::new(
                ErrorCode::KeychainLocked,
                format!(
                    "The system keychain is locked, so the entry \"{account}\" could not be \
                     {operation_done} ({detail}).",
                    operation_done = done(operation)
                ),
                locked_hint(),
            )
        }
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

#[cfg(test)]
mod tests {
    //! Tests touching the keychain run against a real Secret Service:
    //! `scripts/with-keyring.sh cargo test -p connector-core` (a private
    //! D-Bus session with a throwaway unlocked gnome-keyring).

    use std::process::Command;

    use super::*;

    const SERVICE: &str = "com.boxconnector.app.test";

    /// Fails (never skips) when the harness is missing, so a plain
    /// `cargo test` cannot report keychain tests as passing.
    fn require_harness() {
        assert!(
            std::env::var("BOX_CONNECTOR_TEST_KEYRING").as_deref() == Ok("1"),
            "this test needs a real keyring: run it as \
             `scripts/with-keyring.sh cargo test -p connector-core` (or `make test`)"
        );
    }

    fn unique_account(name: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("{name}-{}-{nanos}", std::process::id())
    }

    /// Runs one `#[ignore]`d helper test of this binary in a child process.
    fn run_helper(helper: &str, envs: &[(&str, &str)]) -> std::process::Output {
        let mut command = Command::new(std::env::current_exe().expect("test binary path"));
        command.args([
            &format!("keychain::tests::{helper}"),
            "--exact",
            "--ignored",
            "--nocapture",
        ]);
        for (key, value) in envs {
            command.env(key, value);
        }
        command.output().expect("run helper process")
    }

    #[test]
    fn sensitive_never_shows_its_value() {
        let secret = Sensitive::new("hunter2-refresh-token".to_owned());
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(secret.expose(), "hunter2-refresh-token");

        #[derive(Debug, Serialize)]
        struct Tokens {
            account: String,
            refresh_token: Sensitive<String>,
        }
        let tokens = Tokens {
            account: "admin".into(),
            refresh_token: secret.clone(),
        };
        let debug = format!("{tokens:?} {tokens:#?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains(REDACTED));

        let err = serde_json::to_string(&tokens).expect_err("serializing a secret must fail");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(serde_json::to_value(&secret).is_err());
    }

    #[test]
    fn a_keyring_that_restarts_mid_call_is_asked_again_and_a_locked_one_is_not() {
        let lost = || {
            keyring::Error::PlatformFailure(Box::new(std::io::Error::other(
                "org.freedesktop.DBus.Error.NoReply: Remote peer disconnected",
            )))
        };
        let mut calls = 0;
        let value = riding_out_restarts(|| {
            calls += 1;
            if calls < 3 {
                Err(lost())
            } else {
                Ok("back")
            }
        });
        assert_eq!((value.unwrap(), calls), ("back", 3));

        // The restarted daemon does not know the session the old one opened.
        let mut calls = 0;
        let value = riding_out_restarts(|| {
            calls += 1;
            if calls < 2 {
                Err(keyring::Error::PlatformFailure(Box::new(
                    std::io::Error::other(
                        "DBus error: The session wrapping the secret does not exist",
                    ),
                )))
            } else {
                Ok("again")
            }
        });
        assert_eq!((value.unwrap(), calls), ("again", 2));

        let mut calls = 0;
        let gone_for_good = riding_out_restarts(|| -> keyring::Result<()> {
            calls += 1;
            Err(lost())
        });
        assert!(gone_for_good.is_err());
        assert_eq!(calls, RESTART_ATTEMPTS);

        let mut calls = 0;
        let locked = riding_out_restarts(|| -> keyring::Result<()> {
            calls += 1;
            Err(keyring::Error::PlatformFailure(Box::new(
                std::io::Error::other("Cannot create an item in a locked collection"),
            )))
        });
        assert!(locked.is_err());
        assert_eq!(calls, 1, "a locked keyring is not a restart");
    }

    #[test]
    fn sensitive_can_be_read_from_json() {
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: Sensitive<String>,
        }
        let parsed: TokenResponse = serde_json::from_str(r#"{"access_token":"abc123"}"#).unwrap();
        assert_eq!(parsed.access_token.expose(), "abc123");
    }

    #[test]
    fn set_get_delete_round_trip() {
        require_harness();
        let keychain = Keychain::new(SERVICE);
        let account = unique_account("round-trip");
        assert_eq!(
            keychain.get(&account).unwrap().map(Sensitive::into_exposed),
            None
        );

        keychain
            .set(&account, &Sensitive::new("first".into()))
            .unwrap();
        assert_eq!(keychain.get(&account).unwrap().unwrap().expose(), "first");
        keychain
            .set(&account, &Sensitive::new("rotated".into()))
            .unwrap();
        assert_eq!(keychain.get(&account).unwrap().unwrap().expose(), "rotated");

        // Services are separate namespaces.
        assert!(Keychain::new("com.boxconnector.other")
            .get(&account)
            .unwrap()
            .is_none());

        keychain.delete(&account).unwrap();
        assert!(keychain.get(&account).unwrap().is_none());
        keychain
            .delete(&account)
            .expect("deleting a missing entry succeeds");
        keychain.probe().expect("probe on a working keychain");
    }

    #[test]
    fn value_written_by_one_process_is_read_by_another() {
        require_harness();
        let keychain = Keychain::new(SERVICE);
        let account = unique_account("cross-process");

        // Child writes, we read: an in-memory store could not pass this.
        let out = run_helper(
            "helper_write_secret",
            &[
                ("HELPER_ACCOUNT", &account),
                ("HELPER_SECRET", "from-the-child"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            keychain.get(&account).unwrap().unwrap().expose(),
            "from-the-child"
        );

        // We write, the child reads.
        keychain
            .set(&account, &Sensitive::new("from-the-parent".into()))
            .unwrap();
        let out = run_helper(
            "helper_expect_secret",
            &[
                ("HELPER_ACCOUNT", &account),
                ("HELPER_SECRET", "from-the-parent"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        keychain.delete(&account).unwrap();
    }

    #[test]
    fn no_dbus_is_keychain_unavailable_not_a_silent_success() {
        require_harness();
        let out = run_helper(
            "helper_report_set_error",
            &[
                (
                    "DBUS_SESSION_BUS_ADDRESS",
                    "unix:path=/nonexistent/box-connector-test-bus",
                ),
                ("HELPER_ACCOUNT", &unique_account("no-dbus")),
                ("HELPER_SECRET", "never-stored-secret"),
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("KEYCHAIN_ERROR="))
            .unwrap_or_else(|| panic!("helper reported no error: {stdout}"));
        let error: UserError = serde_json::from_str(line).unwrap();
        assert_eq!(error.code, ErrorCode::KeychainUnavailable, "{error:?}");
        assert!(
            error.hint.contains("gnome-keyring-daemon --unlock"),
            "{}",
            error.hint
        );
        assert!(!line.contains("never-stored-secret"), "{line}");
    }

    /// A session bus whose keyring was never unlocked (gnome-keyring gets
    /// started on demand without a login collection, as on a fresh headless
    /// login): writing must fail with a keychain error, never "succeed".
    #[test]
    fn keyring_never_unlocked_is_an_error_not_a_success() {
        require_harness();
        let home = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let out = Command::new("dbus-run-session")
            .arg("--")
            .arg(&exe)
            .args([
                "keychain::tests::helper_report_set_error",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", home.path())
            .env("HELPER_ACCOUNT", unique_account("never-unlocked"))
            .env("HELPER_SECRET", "never-stored-secret")
            .output()
            .expect("run dbus-run-session");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("KEYCHAIN_ERROR="))
            .unwrap_or_else(|| panic!("helper reported no error: {stdout}"));
        let error: UserError = serde_json::from_str(line).unwrap();
        assert!(
            matches!(
                error.code,
                ErrorCode::KeychainLocked | ErrorCode::KeychainUnavailable
            ),
            "{error:?}"
        );
        assert!(
            error.hint.contains("gnome-keyring-daemon"),
            "{}",
            error.hint
        );
        assert!(!line.contains("never-stored-secret"));
    }

    /// A keyring of its own (locking the shared one would disturb the other
    /// tests): write an entry, lock the collection as a screen lock would,
    /// then read and write must say "locked", not fail obscurely or hang.
    #[test]
    fn locked_keyring_is_keychain_locked() {
        require_harness();
        let harness = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/with-keyring.sh");
        let exe = std::env::current_exe().unwrap();
        let account = unique_account("locked");
        let script = format!(
            "set -e
             HELPER_SECRET=before-lock '{exe}' keychain::tests::helper_write_secret --exact --ignored
             dbus-send --session --dest=org.freedesktop.secrets --type=method_call --print-reply \
               /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock \
               array:objpath:/org/freedesktop/secrets/aliases/default >/dev/null
             HELPER_SECRET=after-lock '{exe}' keychain::tests::helper_report_locked \
               --exact --ignored --nocapture",
            exe = exe.display()
        );
        let out = Command::new(harness)
            .args(["bash", "-c", &script])
            .env_remove("BOX_CONNECTOR_TEST_KEYRING")
            // No display: the unlock prompt cannot appear, as on a locked headless session.
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("HELPER_ACCOUNT", &account)
            .output()
            .expect("run nested keyring session");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let errors: Vec<UserError> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("KEYCHAIN_ERROR="))
            .map(|json| serde_json::from_str(json).unwrap())
            .collect();
        assert_eq!(errors.len(), 2, "{stdout}");
        for error in &errors {
            assert_eq!(error.code, ErrorCode::KeychainLocked, "{error:?}");
            assert!(error.hint.contains("Unlock"), "{}", error.hint);
            assert!(
                !error.message.contains("after-lock") && !error.message.contains("before-lock")
            );
        }
    }

    // Helpers run only in child processes spawned above (hence ignored).

    fn helper_env(key: &str) -> String {
        std::env::var(key).unwrap_or_else(|_| panic!("{key} not set: run via its parent test"))
    }

    #[test]
    #[ignore = "helper: run by value_written_by_one_process_is_read_by_another"]
    fn helper_write_secret() {
        Keychain::new(SERVICE)
            .set(
                &helper_env("HELPER_ACCOUNT"),
                &Sensitive::new(helper_env("HELPER_SECRET")),
            )
            .unwrap();
    }

    #[test]
    #[ignore = "helper: run by value_written_by_one_process_is_read_by_another"]
    fn helper_expect_secret() {
        let found = Keychain::new(SERVICE)
            .get(&helper_env("HELPER_ACCOUNT"))
            .unwrap();
        assert_eq!(found.unwrap().expose(), &helper_env("HELPER_SECRET"));
    }

    #[test]
    #[ignore = "helper: run by the no-D-Bus and never-unlocked tests"]
    fn helper_report_set_error() {
        let keychain = Keychain::new(SERVICE);
        let secret = Sensitive::new(helper_env("HELPER_SECRET"));
        let err = keychain
            .set(&helper_env("HELPER_ACCOUNT"), &secret)
            .expect_err("writing without a Secret Service must fail");
        println!("KEYCHAIN_ERROR={}", serde_json::to_string(&err).unwrap());
        assert!(keychain.probe().is_err(), "probe must fail too");
    }

    #[test]
    #[ignore = "helper: run by locked_keyring_is_keychain_locked"]
    fn helper_report_locked() {
        let keychain = Keychain::new(SERVICE);
        let account = helper_env("HELPER_ACCOUNT");
        let read = keychain
            .get(&account)
            .expect_err("reading a locked keychain must fail");
        println!("KEYCHAIN_ERROR={}", serde_json::to_string(&read).unwrap());
        let secret = Sensitive::new(helper_env("HELPER_SECRET"));
        let write = keychain
            .set(&account, &secret)
            .expect_err("writing a locked keychain must fail");
        println!("KEYCHAIN_ERROR={}", serde_json::to_string(&write).unwrap());
    }
}
