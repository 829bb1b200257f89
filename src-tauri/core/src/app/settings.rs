//! The admin's choices: data center, client secrets, the Custom profile.

use crate::auth::tokens::blocking;
use crate::datacenter;
use crate::error::{ErrorCode, UserError};
use crate::ipc::CustomSettings;
use crate::keychain::Sensitive;
use crate::store::setting_keys;

use super::App;
use super::{target, unknown_datacenter};

impl App {
    pub async fn select_datacenter(&self, id: &str) -> Result<(), UserError> {
        let dc = datacenter::by_id(id).ok_or_else(|| unknown_datacenter(id))?;
        if let Some(s) = self.store().await {
            s.set_setting(setting_keys::SELECTED_DATACENTER, &dc.id)
                .await?;
        }
        self.inner.ui.lock().expect("ui lock").selected = dc.id;
        self.emit_snapshot().await;
        Ok(())
    }

    /// Keeps a data center's client secret in the keychain (asked once).
    pub async fn set_client_secret(
        &self,
        datacenter_id: &str,
        secret: Sensitive<String>,
    ) -> Result<(), UserError> {
        let dc =
            datacenter::by_id(datacenter_id).ok_or_else(|| unknown_datacenter(datacenter_id))?;
        if secret.expose().trim().is_empty() {
            return Err(UserError::new(
                ErrorCode::InvalidInput,
                "The client secret is empty.",
                "Paste the client secret of the Box app whose API key is shown.",
            ));
        }
        let kc = self.inner.keychain.clone();
        let account = target::client_secret_account(&dc.id);
        blocking(move || {
            kc.set(
                &account,
                &Sensitive::new(secret.expose().trim().to_string()),
            )
        })
        .await?;
        self.inner
            .ui
            .lock()
            .expect("ui lock")
            .secrets_present
            .insert(dc.id);
        self.emit_snapshot().await;
        Ok(())
    }

    /// The Custom data center's client id and URLs (the secret goes through
    /// `set_client_secret("custom", ..)`).
    pub async fn set_custom_settings(&self, settings: CustomSettings) -> Result<(), UserError> {
        let store = self.require_store().await?;
        target::save_custom_settings(&store, &settings).await?;
        self.emit_snapshot().await;
        Ok(())
    }
}
