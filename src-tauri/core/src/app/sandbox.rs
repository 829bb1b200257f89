//! The Sandbox data center: an already running box-sandbox named by
//! `BOX_CONNECTOR_SANDBOX_URL`, or one started inside the app on first use.

use crate::error::{ErrorCode, UserError};
use crate::keychain::Sensitive;

use super::AppConfig;

pub const SANDBOX_URL_ENV: &str = "BOX_CONNECTOR_SANDBOX_URL";

/// The sandbox's well-known demo client (not a secret: it only opens the sandbox).
const SANDBOX_CLIENT_ID: &str = "sandbox-client";
const SANDBOX_CLIENT_SECRET: &str = "sandbox-secret";

pub(super) struct SandboxEndpoint {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Sensitive<String>,
}

#[derive(Default)]
pub(super) struct SandboxSlot {
    base_url: tokio::sync::Mutex<Option<String>>,
}

impl SandboxSlot {
    pub async fn ensure(&self, config: &AppConfig) -> Result<SandboxEndpoint, UserError> {
        let mut slot = self.base_url.lock().await;
        if slot.is_none() {
            *slot = Some(match &config.sandbox_url {
                Some(url) => url.trim_end_matches('/').to_string(),
                None => start_embedded().await?,
            });
        }
        Ok(SandboxEndpoint {
            base_url: slot.clone().unwrap_or_default(),
            client_id: SANDBOX_CLIENT_ID.into(),
            client_secret: Sensitive::new(SANDBOX_CLIENT_SECRET.into()),
        })
    }
}

async fn start_embedded() -> Result<String, UserError> {
    Err(UserError::new(
        ErrorCode::SandboxUnavailable,
        "The built-in sandbox is not available in this build.",
        "Start one with `box-sandbox` and set BOX_CONNECTOR_SANDBOX_URL to its address.",
    ))
}
