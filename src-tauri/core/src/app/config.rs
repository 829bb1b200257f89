//! What the app is opened with: the data dir, the keychain service, the
//! browser, the sign-in timeout, the sandbox to use, and the environment
//! overrides the shell, the CLI and the tests share.

use std::path::PathBuf;
use std::time::Duration;

use crate::auth::loopback;
use crate::clock::SharedClock;

use super::browser::BrowserLauncher;
use super::sandbox::SANDBOX_URL_ENV;

pub const DATA_DIR_ENV: &str = "BOX_CONNECTOR_DATA_DIR";
/// Overrides the keychain service (tests give each run its own).
pub const KEYCHAIN_SERVICE_ENV: &str = "BOX_CONNECTOR_KEYCHAIN_SERVICE";
pub const SANDBOX_ID: &str = "sandbox";
pub const CUSTOM_ID: &str = "custom";

/// The app identifier of this build kind: debug builds (the shell's and the
/// CLI's alike) are `com.boxconnector.app.dev`, so they never touch a release
/// build's data or keychain entries, and the app and the CLI of one build
/// kind always share both.
pub fn default_identifier() -> &'static str {
    if cfg!(debug_assertions) {
        "com.boxconnector.app.dev"
    } else {
        "com.boxconnector.app"
    }
}

/// The keychain service: the identifier of this build kind.
pub fn default_keychain_service() -> &'static str {
    default_identifier()
}

/// The platform's data folder (`~/.local/share` on Linux) + the identifier:
/// where Tauri's `app_data_dir` points for that identifier too.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(default_identifier())
}

#[derive(Debug, Clone)]
pub struct AppConfig {
    pub data_dir: PathBuf,
    pub keychain_service: String,
    pub browser: BrowserLauncher,
    /// How long a sign-in waits for the browser (default 5 minutes).
    pub sign_in_timeout: Duration,
    /// An already running sandbox to use for the Sandbox data center
    /// (`BOX_CONNECTOR_SANDBOX_URL`); `None` starts one inside the app.
    pub sandbox_url: Option<String>,
    /// Decides token lifetimes (tests move a manual clock).
    pub clock: SharedClock,
}

impl AppConfig {
    /// Defaults with the environment overrides the shell and the CLI honour:
    /// `BOX_CONNECTOR_DATA_DIR`, `BOX_CONNECTOR_BROWSER`, `BOX_CONNECTOR_SANDBOX_URL`,
    /// `BOX_CONNECTOR_KEYCHAIN_SERVICE`.
    pub fn from_env(default_data_dir: PathBuf) -> AppConfig {
        let data_dir = std::env::var_os(DATA_DIR_ENV)
            .map(PathBuf::from)
            .unwrap_or(default_data_dir);
        AppConfig {
            data_dir,
            keychain_service: std::env::var(KEYCHAIN_SERVICE_ENV)
                .ok()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| default_keychain_service().to_string()),
            browser: BrowserLauncher::from_env(),
            sign_in_timeout: loopback::DEFAULT_TIMEOUT,
            sandbox_url: std::env::var(SANDBOX_URL_ENV)
                .ok()
                .filter(|s| !s.trim().is_empty()),
            clock: SharedClock::system(),
        }
    }
}
