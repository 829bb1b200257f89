//! Crash points for tests: `BOX_CONNECTOR_FAILPOINT=<name>` makes the process
//! abort at the named point, as a kill would. Tests use it to prove that a
//! crash between "Box rotated the refresh token" and "the keychain has it"
//! loses nothing.

pub const ENV: &str = "BOX_CONNECTOR_FAILPOINT";

/// After Box answered a refresh, before the new tokens are in the keychain.
pub const AFTER_REFRESH_BEFORE_KEYCHAIN: &str = "after_refresh_before_keychain";
/// After the keychain has the new tokens, before the access token is used.
pub const AFTER_KEYCHAIN_BEFORE_USE: &str = "after_keychain_before_use";

pub fn hit(name: &str) {
    if std::env::var(ENV).map(|v| v == name).unwrap_or(false) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}
