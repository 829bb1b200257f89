//! Governance's switch and least privilege: the app signs in read-only
//! ([`DEFAULT_SCOPE`]) until the admin turns governance on, which signs in
//! once more asking Box for [`GOVERN_SCOPE`] (`root_readwrite`). What a
//! connection may do is what its row says it was signed in with.

use crate::auth::{scopes_can_write, DEFAULT_SCOPE, GOVERN_SCOPE};
use crate::error::{ErrorCode, UserError};
use crate::ipc::govern::GovernanceStatus;
use crate::store::{setting_keys, ConnectionRecord};
use crate::wording;

use super::App;

/// The scopes a connection row was signed in with; an old row (NULL) was
/// signed in with the read-only default.
pub fn record_scopes(record: &ConnectionRecord) -> &str {
    record.scopes.as_deref().unwrap_or(DEFAULT_SCOPE)
}

impl App {
    /// The switch, the current connection's scopes and whether they let the
    /// app write. Works offline: it reads the store only.
    pub async fn governance_status(&self) -> Result<GovernanceStatus, UserError> {
        let store = self.require_store().await?;
        let enabled = self.governance_enabled().await;
        let scopes: Vec<String> = match store.current_connection(None).await? {
            Some(record) => record_scopes(&record)
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            None => Vec::new(),
        };
        let can_write = scopes_can_write(&scopes.join(" "));
        let (open_alerts, interrupted) = self.governance_counts().await;
        Ok(GovernanceStatus {
            enabled,
            scopes,
            can_write,
            open_alerts,
            interrupted,
        })
    }

    /// Turns governance on: signs in again to the current connection's data
    /// center asking Box for [`GOVERN_SCOPE`] (the browser opens, as for
    /// Connect, and Box asks the admin to allow changing files). Only when
    /// that sign-in ends connected is the switch set; the new connection row
    /// keeps the wider scopes. Nothing else runs. Signing in as another
    /// enterprise replaces the connection as Connect does (the old one is
    /// retired with "Replaced by the connection to …").
    pub async fn enable_governance(&self) -> Result<GovernanceStatus, UserError> {
        let store = self.require_store().await?;
        let current = store.current_connection(None).await?.ok_or_else(|| {
            UserError::new(
                ErrorCode::NotConnected,
                "Governance needs a connection to Box.",
                format!(
                    "Connect first, then turn governance on. {}",
                    wording::GOVERNANCE_WHY
                ),
            )
        })?;
        if self.selected_datacenter() != current.datacenter_id {
            self.select_datacenter(&current.datacenter_id).await?;
        }
        self.connect_with_scope(GOVERN_SCOPE)
            .await
            .map_err(wording::governance_sign_in_failed)?;
        store
            .set_setting(setting_keys::GOVERNANCE_ENABLED, "true")
            .await?;
        self.emit_snapshot().await;
        self.governance_status().await
    }

    /// Turns governance off: the switch only. Nothing is signed in or out,
    /// so the wider token stays until the next sign-in (Connect then asks
    /// for the read-only [`DEFAULT_SCOPE`] again); governance refuses every
    /// action from now on all the same.
    pub async fn disable_governance(&self) -> Result<GovernanceStatus, UserError> {
        let store = self.require_store().await?;
        store
            .set_setting(setting_keys::GOVERNANCE_ENABLED, "false")
            .await?;
        self.emit_snapshot().await;
        self.governance_status().await
    }

    /// Whether the current connection was signed in with `root_readwrite`.
    pub async fn connection_can_write(&self) -> bool {
        let Some(store) = self.store().await else {
            return false;
        };
        match store.current_connection(None).await {
            Ok(Some(record)) => scopes_can_write(record_scopes(&record)),
            _ => false,
        }
    }

    /// The switch as stored ("true"); off when unset or unreadable.
    pub(super) async fn governance_enabled(&self) -> bool {
        let Some(store) = self.store().await else {
            return false;
        };
        store
            .setting(setting_keys::GOVERNANCE_ENABLED)
            .await
            .ok()
            .flatten()
            .as_deref()
            == Some("true")
    }
}
