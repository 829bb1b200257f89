//! The Sandbox data center: an already running box-sandbox named by
//! `BOX_CONNECTOR_SANDBOX_URL`, or one started inside the app on first use.

use std::path::{Path, PathBuf};

use box_sandbox::{Sandbox, SandboxConfig, SandboxHandle};

use crate::error::{ErrorCode, UserError};
use crate::keychain::Sensitive;

use super::AppConfig;

pub const SANDBOX_URL_ENV: &str = "BOX_CONNECTOR_SANDBOX_URL";

pub(super) struct SandboxEndpoint {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Sensitive<String>,
}

#[derive(Default)]
pub(super) struct SandboxSlot {
    running: tokio::sync::Mutex<Option<Running>>,
}

enum Running {
    External(String),
    Embedded(SandboxHandle),
}

impl SandboxSlot {
    pub async fn ensure(&self, config: &AppConfig) -> Result<SandboxEndpoint, UserError> {
        let mut slot = self.running.lock().await;
        if slot.is_none() {
            *slot = Some(match &config.sandbox_url {
                Some(url) => Running::External(url.trim_end_matches('/').to_string()),
                None => Running::Embedded(start_embedded(&config.data_dir).await?),
            });
        }
        // The sandbox's demo client is public knowledge, not a secret.
        let defaults = SandboxConfig::default();
        let base_url = match slot.as_ref() {
            Some(Running::External(url)) => url.clone(),
            Some(Running::Embedded(handle)) => handle.base_url(),
            None => unreachable!("set above"),
        };
        Ok(SandboxEndpoint {
            base_url,
            client_id: defaults.client_id,
            client_secret: Sensitive::new(defaults.client_secret),
        })
    }
}

/// The sandbox plays Box's servers, so what it remembers (the tokens it
/// issued) lives beside the app's data folder, not in it.
fn server_state_path(data_dir: &Path) -> PathBuf {
    let name = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "box-connector".into());
    data_dir
        .with_file_name(format!("{name}.sandbox-server"))
        .join("issued-tokens.json")
}

async fn start_embedded(data_dir: &Path) -> Result<SandboxHandle, UserError> {
    let state_path = server_state_path(data_dir);
    if let Some(dir) = state_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let config = SandboxConfig {
        state_path: Some(state_path),
        ..SandboxConfig::default()
    };
    Sandbox::start(config).await.map_err(|e| {
        UserError::new(
            ErrorCode::SandboxUnavailable,
            format!("The built-in sandbox could not start: {e}."),
            "Restart Box Connector; if it persists, pick a Box data center instead.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_server_state_is_outside_the_data_dir() {
        let data = Path::new("/home/a/.local/share/com.boxconnector.app");
        let p = server_state_path(data);
        assert!(!p.starts_with(data), "{}", p.display());
        assert!(p.starts_with("/home/a/.local/share"));
    }
}
