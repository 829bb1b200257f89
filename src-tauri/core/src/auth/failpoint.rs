//! Crash points for tests: `BOX_CONNECTOR_FAILPOINT=<name>` makes the process
//! abort at the named point, as a kill would. Tests use it to prove that a
//! crash between "Box rotated the refresh token" and "the keychain has it"
//! loses nothing.
//!
//! Only builds with the `failpoints` feature can abort (the e2e tests crate
//! turns it on); in every other build `hit` is empty and the variable is
//! never read.

pub const ENV: &str = "BOX_CONNECTOR_FAILPOINT";

/// Whether this build honours `BOX_CONNECTOR_FAILPOINT`.
pub const ENABLED: bool = cfg!(feature = "failpoints");

/// After Box answered a refresh, before the new tokens are in the keychain.
pub const AFTER_REFRESH_BEFORE_KEYCHAIN: &str = "after_refresh_before_keychain";
/// After the keychain has the new tokens, before the access token is used.
pub const AFTER_KEYCHAIN_BEFORE_USE: &str = "after_keychain_before_use";
/// After Box made a governance step's change, before the audit log records it.
pub const AFTER_SEND_BEFORE_RECORD: &str = "govern_after_send_before_record";

#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    if std::env::var(ENV).map(|v| v == name).unwrap_or(false) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    #[test]
    fn a_failpoint_aborts_only_in_builds_with_the_feature() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "auth::failpoint::tests::helper_hit_a_failpoint",
                "--exact",
                "--ignored",
                // libtest captures a test's stderr and loses it on abort.
                "--nocapture",
            ])
            .env(ENV, "unit_test_point")
            .output()
            .expect("run helper process");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if ENABLED {
            assert!(!out.status.success(), "must abort: {stderr}");
            assert!(stderr.contains("failpoint unit_test_point"), "{stderr}");
        } else {
            assert!(out.status.success(), "must not abort: {stderr}");
        }
    }

    #[test]
    #[ignore = "helper: run by a_failpoint_aborts_only_in_builds_with_the_feature"]
    fn helper_hit_a_failpoint() {
        hit("unit_test_point");
    }
}
