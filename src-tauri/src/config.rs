//! Where the app keeps its things, with the environment overrides the
//! end-to-end tests and the CLI share: BOX_CONNECTOR_DATA_DIR (each test gets
//! its own; logs go to its `logs/`). BOX_CONNECTOR_BROWSER (the program that
//! opens sign-in URLs) is read by core's `AppConfig::from_env`.

use std::path::PathBuf;

use connector_core::app;

#[derive(Debug, Clone)]
pub struct ShellConfig {
    pub data_dir: PathBuf,
}

impl ShellConfig {
    /// The data dir, created. The keychain service is core's (its default
    /// per build kind, or `BOX_CONNECTOR_KEYCHAIN_SERVICE`), as for the CLI.
    pub fn resolve() -> std::io::Result<Self> {
        let data_dir = data_dir();
        std::fs::create_dir_all(&data_dir)?;
        Ok(ShellConfig { data_dir })
    }
}

/// `BOX_CONNECTOR_DATA_DIR`, else core's default for this build kind (the
/// CLI of the same build kind uses the same folder and keychain service).
pub fn data_dir() -> PathBuf {
    non_empty_env(app::DATA_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(app::default_data_dir)
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
