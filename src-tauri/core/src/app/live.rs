//! The live connection: the session cache (token manager and Box client,
//! built on first use from the store and the keychain) and what happens
//! when its token state changes.

use std::sync::Arc;

use chrono::Utc;

use crate::auth::tokens::{
    blocking, not_connected, KeychainVault, TokenManager, TokenStatus, TokenVault,
};
use crate::auth::{OAuthClient, RefreshLock, TokenSet};
use crate::box_api::BoxClient;
use crate::error::UserError;
use crate::store::{self, Store};

use super::session::Session;
use super::App;

impl App {
    /// The Box client of the current connection, built on first use.
    pub async fn box_client(&self) -> Result<Arc<BoxClient>, UserError> {
        Ok(self.session().await?.client.clone())
    }

    pub(super) async fn session(&self) -> Result<Arc<Session>, UserError> {
        let mut slot = self.inner.session.lock().await;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let store = self.require_store().await?;
        let record = store
            .current_connection(None)
            .await?
            .ok_or_else(not_connected)?;
        if record.state == store::ConnectionState::NeedsReconnect {
            return Err(crate::auth::tokens::needs_reconnect(
                record
                    .state_reason
                    .clone()
                    .unwrap_or_else(|| "Box no longer accepts the saved sign-in.".into()),
            ));
        }
        let target = self.resolve_target(&record.datacenter_id).await?;
        let vault: Arc<dyn TokenVault> =
            Arc::new(KeychainVault::new(self.inner.keychain.clone(), &record.id));
        let v = vault.clone();
        let tokens = blocking(move || v.load()).await?;
        if tokens.is_none() {
            let err = crate::auth::tokens::needs_reconnect(
                "The sign-in for this connection is missing from the system keychain.",
            );
            let _ = store
                .set_connection_state(
                    &record.id,
                    store::ConnectionState::NeedsReconnect,
                    Some(&err.message),
                    Utc::now(),
                )
                .await;
            return Err(err);
        }
        let manager = self.token_manager(target.oauth_client(), &record.id, vault, tokens);
        let session = Session::start(
            self.clone(),
            store,
            record.id.clone(),
            record.datacenter_id.clone(),
            manager,
            &target.endpoints.api_url,
        );
        *slot = Some(session.clone());
        Ok(session)
    }

    /// Before the process exits (the CLI after each command, the window on
    /// quit): the buffered call rows go to the store, a keychain write that
    /// failed is tried once more, and the store is closed cleanly (so the
    /// next start skips the integrity check). Returns why the rotated
    /// sign-in still is not saved: it dies with this process, so the caller
    /// must say so.
    pub async fn shutdown(&self) -> Option<UserError> {
        let session = self.inner.session.lock().await.take();
        let unsaved = match &session {
            Some(session) => {
                session.flush_calls().await;
                session.stop();
                session.tokens.save_pending_now().await
            }
            None => None,
        };
        if let Some(store) = self.inner.store.write().await.take() {
            store.close().await;
        }
        unsaved
    }

    /// A connection's token manager: the app's clock, and the refresh lock
    /// every process using this connection's keychain entry shares.
    pub(super) fn token_manager(
        &self,
        oauth: OAuthClient,
        connection_id: &str,
        vault: Arc<dyn TokenVault>,
        tokens: Option<TokenSet>,
    ) -> Arc<TokenManager> {
        let lock = RefreshLock::for_connection(&self.inner.config.data_dir, connection_id);
        Arc::new(
            TokenManager::new(oauth, vault, tokens)
                .with_clock(self.inner.config.clock.clone())
                .with_refresh_lock(lock),
        )
    }

    /// Called by the session when the token manager changes state.
    pub(super) async fn on_token_status(
        &self,
        store: &Store,
        connection_id: &str,
        status: TokenStatus,
    ) {
        let now = Utc::now();
        match &status {
            TokenStatus::Valid {
                access_expires_at,
                refresh_issued_at,
                ..
            } => {
                let _ = store
                    .record_token_refresh(
                        connection_id,
                        *access_expires_at,
                        Some(*refresh_issued_at),
                        now,
                    )
                    .await;
            }
            TokenStatus::NeedsReconnect(err) => {
                let _ = store
                    .set_connection_state(
                        connection_id,
                        store::ConnectionState::NeedsReconnect,
                        Some(&err.message),
                        now,
                    )
                    .await;
                self.inner.ui.lock().expect("ui lock").last_error = Some(err.clone());
                // The next use rebuilds the session from the store's state.
                self.inner.session.lock().await.take();
            }
            // Disconnected (here or by the CLI): the next use rebuilds the
            // session from the store, so a connection made elsewhere shows.
            TokenStatus::Missing => {
                self.inner.session.lock().await.take();
            }
        }
        self.emit_snapshot().await;
    }
}
