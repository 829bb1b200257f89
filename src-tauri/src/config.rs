//! Where the app keeps its things, with the environment overrides the
//! end-to-end tests and the CLI share: BOX_CONNECTOR_DATA_DIR (each test gets
//! its own; logs go to its `logs/`). BOX_CONNECTOR_BROWSER (the program that
//! opens sign-in URLs) is read by core's `AppConfig::from_env`.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};

pub const DATA_DIR_ENV: &str = "BOX_CONNECTOR_DATA_DIR";

#[derive(Debug, Clone)]
pub struct ShellConfig {
    pub data_dir: PathBuf,
    /// The app identifier: dev builds (`com.boxconnector.app.dev`) get their
    /// own keychain entries, like their own data dir.
    pub keychain_service: String,
}

impl ShellConfig {
    pub fn resolve(app: &AppHandle) -> tauri::Result<Self> {
        let data_dir = match data_dir_override() {
            Some(dir) => dir,
            None => app.path().app_data_dir()?,
        };
        std::fs::create_dir_all(&data_dir)?;
        Ok(ShellConfig {
            data_dir,
            keychain_service: app.config().identifier.clone(),
        })
    }
}

pub fn data_dir_override() -> Option<PathBuf> {
    non_empty_env(DATA_DIR_ENV).map(PathBuf::from)
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
