//! Ending connections: Disconnect, and retiring the ones a new sign-in replaced
//! (revoked at their server, keychain entry removed, row marked disconnected).

use std::sync::Arc;

use chrono::Utc;

use crate::auth::tokens::{blocking, not_connected, KeychainVault, TokenManager, TokenVault};
use crate::auth::OAuthClient;
use crate::datacenter::{self, Endpoints};
use crate::error::{ErrorCode, UserError};
use crate::store::{self, ConnectionRecord, Store};

use super::target::Target;
use super::{App, SANDBOX_ID};

impl App {
    /// The app has one active connection: once a new sign-in is in place,
    /// every other connection (another data center, another enterprise) is
    /// revoked at its server, its keychain entry removed and its row marked
    /// disconnected, so it can neither resurface as connected nor leave a
    /// live token behind.
    pub(super) async fn retire_other_connections(&self, store: &Store, keep: &str) {
        let all = match store.connections().await {
            Ok(all) => all,
            Err(e) => {
                tracing::warn!("could not list earlier connections to retire: {e}");
                return;
            }
        };
        let label = all
            .iter()
            .find(|r| r.id == keep)
            .map(connection_label)
            .unwrap_or_else(|| keep.to_string());
        let others = all
            .into_iter()
            .filter(|r| r.id != keep && r.state != store::ConnectionState::Disconnected);
        for old in others {
            let reason = format!("Replaced by the connection to {label}.");
            match self.retire_connection(store, &old, None, &reason).await {
                Ok(None) => {}
                Ok(Some(w)) => tracing::warn!("earlier connection {}: {}", old.id, w.message),
                Err(e) => tracing::warn!("earlier connection {}: {}", old.id, e.message),
            }
        }
    }

    /// Revokes one connection's sign-in at its server (best effort), removes
    /// its keychain entry and marks its row disconnected. `live` is the
    /// running session's token manager for that connection, if any.
    pub(super) async fn retire_connection(
        &self,
        store: &Store,
        record: &ConnectionRecord,
        live: Option<Arc<TokenManager>>,
        reason: &str,
    ) -> Result<Option<UserError>, UserError> {
        let manager = match live {
            Some(m) => Ok(m),
            None => self
                .resolve_target(&record.datacenter_id)
                .await
                .map(|target| {
                    let vault: Arc<dyn TokenVault> =
                        Arc::new(KeychainVault::new(self.inner.keychain.clone(), &record.id));
                    self.token_manager(oauth_of(record, target), &record.id, vault, None)
                }),
        };
        let warning = match manager {
            Ok(m) => m.revoke_and_forget().await?,
            Err(why) => {
                let kc = self.inner.keychain.clone();
                let account = KeychainVault::account_for(&record.id);
                blocking(move || kc.delete(&account)).await?;
                Some(UserError::new(
                    ErrorCode::RevokeSkipped,
                    format!(
                        "The sign-in was removed from this computer but not revoked at the server: {}",
                        why.message
                    ),
                    "To be sure, remove the app's access in Box → Account Settings → Apps (or your OAuth server's console).",
                ))
            }
        };
        store
            .set_connection_state(
                &record.id,
                store::ConnectionState::Disconnected,
                Some(reason),
                Utc::now(),
            )
            .await?;
        Ok(warning)
    }

    /// Revokes the sign-in at Box and removes the connection's keychain entry
    /// — for every connection not yet disconnected (normally one; databases
    /// from before connections replaced each other may hold several).
    /// The local state is cleared even when Box cannot be reached or the
    /// server has no revoke address; that case comes back as `Ok(Some(warning))`.
    pub async fn disconnect(&self) -> Result<Option<UserError>, UserError> {
        let store = self.require_store().await?;
        let active: Vec<ConnectionRecord> = store
            .connections()
            .await?
            .into_iter()
            .filter(|r| r.state != store::ConnectionState::Disconnected)
            .collect();
        if active.is_empty() {
            return Err(not_connected());
        }
        let session = self.inner.session.lock().await.take();
        if let Some(s) = &session {
            s.stop();
        }
        let mut warning = None;
        for record in &active {
            let live = session
                .as_ref()
                .filter(|s| s.connection_id == record.id)
                .map(|s| s.tokens.clone());
            let w = self
                .retire_connection(&store, record, live, "Disconnected by the admin.")
                .await?;
            warning = warning.or(w);
        }
        self.inner.ui.lock().expect("ui lock").last_error = warning.clone();
        self.emit_snapshot().await;
        Ok(warning)
    }
}

/// Where a connection's sign-in is revoked: at the server it was made with
/// (the Custom profile may point elsewhere since), except for the built-in
/// Sandbox, whose embedded server moves to a new port on every start.
fn oauth_of(record: &ConnectionRecord, target: Target) -> OAuthClient {
    if target.datacenter_id == SANDBOX_ID {
        return target.oauth_client();
    }
    let endpoints = Endpoints {
        authorize_url: record.authorize_url.clone(),
        token_url: record.token_url.clone(),
        revoke_url: Some(record.revoke_url.clone()).filter(|u| !u.is_empty()),
        api_url: record.api_url.clone(),
    };
    OAuthClient::new(
        OAuthClient::default_http(),
        endpoints,
        record.client_id.clone(),
        target.client_secret,
    )
}

/// "EU1 (Acme Corp)": the data center, and the enterprise when known.
fn connection_label(record: &ConnectionRecord) -> String {
    let datacenter = datacenter::by_id(&record.datacenter_id)
        .map(|d| d.label)
        .unwrap_or_else(|| record.datacenter_id.clone());
    match &record.enterprise_name {
        Some(name) => format!("{datacenter} ({name})"),
        None => datacenter,
    }
}
