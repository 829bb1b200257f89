//! The one place that puts the app's states into words, for both places they
//! are read: the window, whose hints name its buttons ("click Connect"), and
//! the CLI, whose hints name its commands (`box-connector-cli connect ...`).
//! Health, the snapshot and the CLI all take their words from here, so the
//! two never drift apart.

mod notices;
mod scan;

use std::path::Path;

use crate::datacenter;
use crate::error::{ErrorCode, UserError};
use crate::ipc::{Advice, CheckStatus, ConnectionState, DatabaseState};

pub use notices::{
    alert_file, alerts_body, alerts_title, full_scan_complete_body, scan_stopped_body,
    FULL_SCAN_COMPLETE_TITLE, NEEDS_ATTENTION_TITLE,
};
pub use scan::{scan_sentence, thousands};

/// The CLI's name, as the admin types it.
pub const CLI: &str = "box-connector-cli";

/// Why turning governance on signs in once more: said before the browser
/// opens (the CLI prints it) and in the error of a sign-in that did not end
/// with Allow.
pub const GOVERNANCE_WHY: &str = "Turning governance on signs in to Box once more to ask for \
permission to change files and folders (root_readwrite): removing links and collaborators and \
quarantining items need it. Nothing is changed until you confirm an action.";

/// The API test's `write_scope` check, passed.
pub const WRITE_SCOPE_PASSED: &str = "Box accepts writes from this connection.";

/// The API test's `write_scope` check, failed on Box's `insufficient_scope`.
pub const WRITE_SCOPE_FIX: &str =
    "Turn governance on again so Box asks you to allow writing (root_readwrite).";

/// A governance sign-in that did not end connected: governance stays off,
/// and why it was asked is said again beside what went wrong.
pub fn governance_sign_in_failed(err: UserError) -> UserError {
    UserError::new(
        err.code,
        format!("Governance stays off: {}", err.message),
        format!("{GOVERNANCE_WHY} {}", err.hint).trim().to_string(),
    )
}

/// Where the words are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The desktop window: hints name its buttons.
    Window,
    /// A terminal: hints name `box-connector-cli` commands.
    Cli,
}

/// The words both the window and the CLI use for a connection state.
pub fn state_words(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::NotConnected => "not connected",
        ConnectionState::Connecting => "connecting",
        ConnectionState::Connected => "connected",
        ConnectionState::NeedsReconnect => "needs reconnect",
        ConnectionState::Offline => "offline",
    }
}

/// The advice that fits a state when nothing more specific is known.
pub fn advice_for(state: ConnectionState) -> Advice {
    match state {
        ConnectionState::NotConnected => Advice::Connect,
        ConnectionState::Connecting => Advice::FinishSignIn,
        ConnectionState::Connected => Advice::Nothing,
        ConnectionState::NeedsReconnect => Advice::Reconnect { box_said: None },
        ConnectionState::Offline => Advice::CheckNetwork,
    }
}

/// A check's or test's result in words ("pass", "warn", "fail"...).
pub fn check_words(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pending => "pending",
        CheckStatus::Running => "running",
        CheckStatus::Pass => "pass",
        CheckStatus::Warn => "warn",
        CheckStatus::Fail => "fail",
        CheckStatus::Skipped => "skipped",
    }
}

/// `box-connector-cli connect --datacenter <id>`, with the id when known.
fn connect_command(datacenter: Option<&str>) -> String {
    match datacenter {
        Some(id) => format!("`{CLI} connect --datacenter {id}`"),
        None => format!("`{CLI} connect --datacenter ID`"),
    }
}

fn datacenter_ids() -> String {
    datacenter::all()
        .into_iter()
        .map(|dc| dc.id)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Advice {
    /// One sentence on what to do, for `audience`. `datacenter` is the
    /// connection's data center, named in the CLI's commands when known.
    pub fn what_to_do(&self, audience: Audience, datacenter: Option<&str>) -> String {
        let connect = connect_command(datacenter);
        match (self, audience) {
            (Advice::Connect, Audience::Window) => {
                "Choose your Box data center and click Connect to sign in as a Box admin.".into()
            }
            (Advice::Connect, Audience::Cli) => format!(
                "Run {} to sign in as a Box admin (ID is one of {}).",
                connect_command(None),
                datacenter_ids()
            ),
            (Advice::ConnectAgain, Audience::Window) => {
                "This connection was disconnected. Click Connect to sign in again.".into()
            }
            (Advice::ConnectAgain, Audience::Cli) => {
                format!("This connection was disconnected. Run {connect} to sign in again.")
            }
            (Advice::FinishSignIn, Audience::Window) => "Sign in to Box in the browser and click \
                 Allow. If no browser opened, copy the sign-in link."
                .into(),
            (Advice::FinishSignIn, Audience::Cli) => "Sign in to Box in the browser and click \
                 Allow. If no browser opened, open the link printed above, or paste here the \
                 address the browser shows after Allow."
                .into(),
            (Advice::Reconnect { box_said }, _) => {
                let base = "Box no longer accepts this sign-in (the refresh token expired, was \
                            revoked or was already used).";
                let action = match audience {
                    Audience::Window => {
                        "Click Reconnect and sign in again as a Box admin.".to_owned()
                    }
                    Audience::Cli => {
                        format!("Reconnect: run {connect} and sign in again as a Box admin.")
                    }
                };
                match box_said.as_deref().filter(|r| !r.is_empty()) {
                    Some(reason) => format!("{base} {action} Box said: {reason}"),
                    None => format!("{base} {action}"),
                }
            }
            (Advice::ReconnectKeychainMissing, Audience::Window) => {
                "The sign-in for this \
                 connection is missing from the system keychain. Click Reconnect and sign in again."
                    .into()
            }
            (Advice::ReconnectKeychainMissing, Audience::Cli) => format!(
                "The sign-in for this connection is missing from the system keychain. \
                 Reconnect: run {connect} and sign in again."
            ),
            (Advice::ReconnectExpired, Audience::Window) => "Box ends a sign-in after 60 days \
                 without use, and this one has run out. Click Reconnect and sign in again as a \
                 Box admin."
                .into(),
            (Advice::ReconnectExpired, Audience::Cli) => format!(
                "Box ends a sign-in after 60 days without use, and this one has run out. \
                 Reconnect: run {connect} and sign in again as a Box admin."
            ),
            (Advice::CheckNetwork, Audience::Window) => "Box cannot be reached. Check your \
                 internet connection, VPN or proxy; the app retries on its own and nothing needs \
                 to be reconnected."
                .into(),
            (Advice::CheckNetwork, Audience::Cli) => format!(
                "Box cannot be reached. Check your internet connection, VPN or proxy \
                 (HTTPS_PROXY in this terminal), then run `{CLI} test-api`; nothing needs to be \
                 reconnected."
            ),
            (Advice::Nothing, Audience::Window) => "Nothing to do: the connection works.".into(),
            (Advice::Nothing, Audience::Cli) => format!(
                "Nothing to do: the connection works (`{CLI} test-api` checks what it may do)."
            ),
        }
    }
}

/// The database's state in a few words ("damaged", ...).
pub fn database_words(state: DatabaseState) -> &'static str {
    match state {
        DatabaseState::Ok => "ok",
        DatabaseState::Corrupt => "damaged",
        DatabaseState::TooNew => "written by a newer version of Box Connector",
        DatabaseState::Unavailable => "cannot be opened",
    }
}

/// The window's button that moves a broken database aside.
pub const MOVE_ASIDE_BUTTON: &str = "Move the file aside and start fresh";

/// What to do about a database that is not ok, for `audience`.
pub fn database_hint(state: DatabaseState, audience: Audience, path: &Path) -> String {
    let move_aside = match audience {
        Audience::Window => format!("Click \u{201c}{MOVE_ASIDE_BUTTON}\u{201d}"),
        Audience::Cli => format!("Run `{CLI} database move-aside`"),
    };
    let kept = "the old file is kept next to it (nothing is deleted)";
    match state {
        DatabaseState::Ok => String::new(),
        DatabaseState::Corrupt => {
            let check = match audience {
                Audience::Window => String::new(),
                Audience::Cli => format!(" `{CLI} database check` lists what is damaged."),
            };
            format!("{move_aside} to start with an empty database; {kept}.{check}")
        }
        DatabaseState::TooNew => format!(
            "Use the newer Box Connector, or: {} to start with an empty database here; {kept}.",
            lowercase_first(&move_aside)
        ),
        DatabaseState::Unavailable => {
            let retry = match audience {
                Audience::Window => "then restart Box Connector".to_owned(),
                Audience::Cli => "then run the command again (or pick another folder with \
                                  --data-dir)"
                    .to_owned(),
            };
            format!(
                "Check that {} and its folder exist and are readable and writable by you, that \
                 the disk is not full and that no other Box Connector is stuck opening it; \
                 {retry}. If the file itself is the problem: {} to start with an empty \
                 database; {kept}.",
                path.display(),
                lowercase_first(&move_aside)
            )
        }
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn database_state_of(code: ErrorCode) -> Option<DatabaseState> {
    match code {
        ErrorCode::DatabaseCorrupt => Some(DatabaseState::Corrupt),
        ErrorCode::DatabaseTooNew => Some(DatabaseState::TooNew),
        ErrorCode::DatabaseUnavailable => Some(DatabaseState::Unavailable),
        _ => None,
    }
}

/// An error as a terminal user reads it: the hints that name the window's
/// buttons get the command to run instead (or beside them, where the hint
/// carries more than the button). `datacenter` and `database` are what the
/// CLI knows of the connection and the database file.
pub fn for_cli(mut err: UserError, datacenter: Option<&str>, database: &Path) -> UserError {
    let connect = connect_command(datacenter);
    if let Some(state) = database_state_of(err.code) {
        err.hint = database_hint(state, Audience::Cli, database);
        return err;
    }
    match err.code {
        ErrorCode::NotConnected => {
            err.hint = Advice::Connect.what_to_do(Audience::Cli, datacenter);
        }
        ErrorCode::NeedsReconnect | ErrorCode::AppDisabledByAdmin | ErrorCode::NoEnterprise => {
            err.hint = format!("{} From this terminal: run {connect}.", err.hint);
        }
        ErrorCode::SignInDenied
        | ErrorCode::SignInTimedOut
        | ErrorCode::SignInCancelled
        | ErrorCode::SignInInvalidCallback => {
            err.hint = format!("{} From this terminal: run {connect} again.", err.hint);
        }
        ErrorCode::ClientSecretMissing => {
            err.hint = format!(
                "{} From this terminal: put it in an environment variable and pass \
                 --client-secret-env VAR to `{CLI} connect`.",
                err.hint
            );
        }
        _ => {}
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_ADVICE: [Advice; 8] = [
        Advice::Connect,
        Advice::ConnectAgain,
        Advice::FinishSignIn,
        Advice::Reconnect { box_said: None },
        Advice::ReconnectKeychainMissing,
        Advice::ReconnectExpired,
        Advice::CheckNetwork,
        Advice::Nothing,
    ];

    #[test]
    fn the_window_names_buttons_and_the_cli_names_commands() {
        for advice in ALL_ADVICE {
            let window = advice.what_to_do(Audience::Window, Some("eu1"));
            let cli = advice.what_to_do(Audience::Cli, Some("eu1"));
            assert!(!window.contains(CLI), "{advice:?}: {window}");
            assert!(
                !cli.contains("click Connect") && !cli.contains("Click"),
                "{advice:?}: {cli}"
            );
            if !matches!(advice, Advice::FinishSignIn) {
                assert!(cli.contains(CLI), "{advice:?} names a command: {cli}");
            }
        }
        let reconnect = Advice::Reconnect {
            box_said: Some("invalid_grant".into()),
        };
        let cli = reconnect.what_to_do(Audience::Cli, Some("eu1"));
        assert!(
            cli.contains("connect --datacenter eu1") && cli.contains("Box said: invalid_grant"),
            "{cli}"
        );
        assert!(Advice::Connect
            .what_to_do(Audience::Cli, None)
            .contains("us1, us2"));
    }

    #[test]
    fn every_broken_database_hint_names_the_way_out() {
        let path = Path::new("/data/box-connector.sqlite3");
        for state in [
            DatabaseState::Corrupt,
            DatabaseState::TooNew,
            DatabaseState::Unavailable,
        ] {
            let cli = database_hint(state, Audience::Cli, path);
            assert!(
                cli.contains("`box-connector-cli database move-aside`"),
                "{cli}"
            );
            let window = database_hint(state, Audience::Window, path);
            assert!(window.contains(MOVE_ASIDE_BUTTON), "{window}");
            assert!(!window.contains(CLI), "{window}");
        }
    }

    #[test]
    fn cli_errors_name_commands() {
        let path = Path::new("/d/db");
        let err = for_cli(
            UserError::new(ErrorCode::NotConnected, "Not connected.", "Click Connect."),
            Some("eu1"),
            path,
        );
        assert!(err.hint.contains("box-connector-cli connect"), "{err:?}");
        let err = for_cli(
            UserError::new(ErrorCode::DatabaseCorrupt, "Damaged.", "Move it aside."),
            None,
            path,
        );
        assert!(err.hint.contains("database move-aside"), "{err:?}");
        assert_eq!(err.message, "Damaged.");
    }

    #[test]
    fn states_read_as_the_window_shows_them() {
        assert_eq!(state_words(ConnectionState::NotConnected), "not connected");
        assert_eq!(
            state_words(ConnectionState::NeedsReconnect),
            "needs reconnect"
        );
        assert_eq!(state_words(ConnectionState::Offline), "offline");
    }
}
