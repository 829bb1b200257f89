//! The Sandbox data center: an already running box-sandbox named by
//! `BOX_CONNECTOR_SANDBOX_URL`, or one started inside the app on first use.
//!
//! Core does not depend on box-sandbox: the shell and the CLI hand it an
//! [`EmbeddedBox`] that starts one (box-sandbox's), so editing the sandbox
//! rebuilds only what runs it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use crate::error::{ErrorCode, UserError};
use crate::keychain::Sensitive;

use super::AppConfig;

pub const SANDBOX_URL_ENV: &str = "BOX_CONNECTOR_SANDBOX_URL";

/// The sandbox's demo client (box-sandbox's defaults): public knowledge,
/// the same in every sandbox, so not a secret.
const SANDBOX_CLIENT_ID: &str = "sandbox-client";
const SANDBOX_CLIENT_SECRET: &str = "sandbox-secret";

/// Why an embedded Box did not start, in its own words.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// Starts a Box inside this process for the Sandbox data center.
/// Any `Fn(PathBuf) -> impl Future<Output = Result<RunningBox, StartError>>` is one.
pub trait EmbeddedBox: Send + Sync {
    /// Starts a Box that keeps what it issued (its tokens) at `state_path`,
    /// so a sign-in outlives a restart of the app.
    fn start(
        &self,
        state_path: PathBuf,
    ) -> Pin<Box<dyn Future<Output = Result<RunningBox, StartError>> + Send>>;
}

impl<F, Fut> EmbeddedBox for F
where
    F: Fn(PathBuf) -> Fut + Send + Sync,
    Fut: Future<Output = Result<RunningBox, StartError>> + Send + 'static,
{
    fn start(
        &self,
        state_path: PathBuf,
    ) -> Pin<Box<dyn Future<Output = Result<RunningBox, StartError>> + Send>> {
        Box::pin(self(state_path))
    }
}

/// A started embedded Box: where it listens, and the server, which stops
/// when dropped (with the app).
pub struct RunningBox {
    base_url: String,
    _server: Box<dyn Send>,
}

impl RunningBox {
    pub fn new(base_url: String, server: impl Send + 'static) -> RunningBox {
        RunningBox {
            base_url,
            _server: Box::new(server),
        }
    }
}

pub(super) struct SandboxEndpoint {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Sensitive<String>,
}

pub(super) struct SandboxSlot {
    /// `None`: this app cannot start a sandbox of its own (a library user
    /// that did not supply one), only use the one at `sandbox_url`.
    embedded: Option<std::sync::Arc<dyn EmbeddedBox>>,
    running: tokio::sync::Mutex<Option<Running>>,
}

enum Running {
    External(String),
    Embedded(RunningBox),
}

impl SandboxSlot {
    pub fn new(embedded: Option<std::sync::Arc<dyn EmbeddedBox>>) -> SandboxSlot {
        SandboxSlot {
            embedded,
            running: Default::default(),
        }
    }

    pub async fn ensure(&self, config: &AppConfig) -> Result<SandboxEndpoint, UserError> {
        let mut slot = self.running.lock().await;
        if slot.is_none() {
            *slot = Some(match &config.sandbox_url {
                Some(url) => Running::External(url.trim_end_matches('/').to_string()),
                None => Running::Embedded(self.start_embedded(&config.data_dir).await?),
            });
        }
        let base_url = match slot.as_ref() {
            Some(Running::External(url)) => url.clone(),
            Some(Running::Embedded(running)) => running.base_url.clone(),
            None => unreachable!("set above"),
        };
        Ok(SandboxEndpoint {
            base_url,
            client_id: SANDBOX_CLIENT_ID.into(),
            client_secret: Sensitive::new(SANDBOX_CLIENT_SECRET.into()),
        })
    }

    async fn start_embedded(&self, data_dir: &Path) -> Result<RunningBox, UserError> {
        let Some(embedded) = &self.embedded else {
            return Err(UserError::new(
                ErrorCode::SandboxUnavailable,
                "This build of Box Connector has no built-in sandbox.",
                format!(
                    "Start one (`box-sandbox --port 8080`) and set {SANDBOX_URL_ENV}=http://127.0.0.1:8080, or pick a Box data center."
                ),
            ));
        };
        let state_path = server_state_path(data_dir);
        if let Some(dir) = state_path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        embedded.start(state_path).await.map_err(|e| {
            UserError::new(
                ErrorCode::SandboxUnavailable,
                format!("The built-in sandbox could not start: {e}."),
                "Restart Box Connector; if it persists, pick a Box data center instead.",
            )
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

    #[test]
    fn the_demo_client_is_the_sandboxes() {
        let defaults = box_sandbox::SandboxConfig::default();
        assert_eq!(SANDBOX_CLIENT_ID, defaults.client_id);
        assert_eq!(SANDBOX_CLIENT_SECRET, defaults.client_secret);
    }
}
