//! The CLI's exit codes, in one place: scripts branch on these, so change
//! none; `--help`, the man page and the README list them from here.

use connector_core::error::ErrorCode;
use connector_core::ipc::{ConnectionState, DatabaseState};

/// The command did its work.
pub const DONE: u8 = 0;
/// The command failed (the error says why), or the API test found a failure.
pub const FAILED: u8 = 1;
/// The command line was wrong (clap's own exit code for usage errors).
pub const USAGE: u8 = 2;
/// There is no connection: connect first.
pub const NOT_CONNECTED: u8 = 3;
/// Box no longer accepts the sign-in: connect again.
pub const NEEDS_RECONNECT: u8 = 4;
/// Box cannot be reached.
pub const OFFLINE: u8 = 5;
/// The local database is damaged, newer than this version, or cannot be opened.
pub const DATABASE: u8 = 6;

/// Every code with what it means, as `--help` and the man page show them.
pub const TABLE: [(u8, &str); 7] = [
    (DONE, "done"),
    (
        FAILED,
        "failed (the error says why), or the API test found a failure",
    ),
    (USAGE, "usage: the command line was wrong"),
    (
        NOT_CONNECTED,
        "not connected: run `box-connector-cli connect`",
    ),
    (
        NEEDS_RECONNECT,
        "needs reconnect: Box no longer accepts the sign-in",
    ),
    (OFFLINE, "offline: Box cannot be reached"),
    (
        DATABASE,
        "database problem (damaged, newer than this version, or cannot be opened)",
    ),
];

/// The `after_help` text: the exit codes.
pub fn help() -> String {
    let mut text = String::from("Exit codes:\n");
    for (code, meaning) in TABLE {
        text.push_str(&format!("  {code}  {meaning}\n"));
    }
    text
}

/// The exit code for a command that ended with this error.
pub fn for_error(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::NotConnected => NOT_CONNECTED,
        ErrorCode::NeedsReconnect => NEEDS_RECONNECT,
        ErrorCode::Network => OFFLINE,
        ErrorCode::DatabaseCorrupt | ErrorCode::DatabaseTooNew | ErrorCode::DatabaseUnavailable => {
            DATABASE
        }
        _ => FAILED,
    }
}

/// The exit code `status` ends with: 0 only when the connection can be used.
pub fn for_state(database: DatabaseState, connection: ConnectionState) -> u8 {
    if database != DatabaseState::Ok {
        return DATABASE;
    }
    match connection {
        ConnectionState::Connected => DONE,
        ConnectionState::NotConnected | ConnectionState::Connecting => NOT_CONNECTED,
        ConnectionState::NeedsReconnect => NEEDS_RECONNECT,
        ConnectionState::Offline => OFFLINE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_and_listed_in_help() {
        let help = help();
        for (i, (code, meaning)) in TABLE.iter().enumerate() {
            assert_eq!(*code as usize, i, "codes run 0..=6 in order");
            assert!(help.contains(&format!("  {code}  {meaning}")), "{help}");
        }
    }

    #[test]
    fn errors_and_states_map_to_their_codes() {
        assert_eq!(for_error(ErrorCode::NotConnected), NOT_CONNECTED);
        assert_eq!(for_error(ErrorCode::NeedsReconnect), NEEDS_RECONNECT);
        assert_eq!(for_error(ErrorCode::Network), OFFLINE);
        assert_eq!(for_error(ErrorCode::DatabaseTooNew), DATABASE);
        assert_eq!(for_error(ErrorCode::SignInDenied), FAILED);
        assert_eq!(
            for_state(DatabaseState::Corrupt, ConnectionState::Connected),
            DATABASE
        );
        assert_eq!(
            for_state(DatabaseState::Ok, ConnectionState::Offline),
            OFFLINE
        );
        assert_eq!(
            for_state(DatabaseState::Ok, ConnectionState::Connected),
            DONE
        );
    }
}
