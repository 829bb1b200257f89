//! Signing in: the loopback flow, the code exchange and installing the new
//! connection (keychain first, then the store, then the account facts).

use std::sync::Arc;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::auth::loopback::{LoopbackSignIn, SignInRequest};
use crate::auth::refresh_lock::RefreshLock;
use crate::auth::tokens::{blocking, KeychainVault, TokenManager, TokenVault};
use crate::auth::{TokenSet, DEFAULT_SCOPE, GOVERN_SCOPE};
use crate::box_api::User;
use crate::error::{ErrorCode, UserError};
use crate::ipc::{ConnectionView, CoreEvent, SignInView};
use crate::store::{self, ConnectionRecord, Store};

use super::session::Session;
use super::target::Target;
use super::App;

impl App {
    /// Signs in to the selected data center: loopback listener, browser,
    /// one valid callback, code exchange, tokens to the keychain. Resolves
    /// when the sign-in ends (connected, denied, timed out, cancelled).
    /// Asks Box for the read-only [`DEFAULT_SCOPE`], or for [`GOVERN_SCOPE`]
    /// while governance is on (so a reconnect keeps the write scope).
    pub async fn connect(&self) -> Result<ConnectionView, UserError> {
        let scope = self.sign_in_scope().await;
        self.connect_with_scope(scope).await
    }

    /// The scopes a plain sign-in asks for: the governance switch decides.
    async fn sign_in_scope(&self) -> &'static str {
        if self.governance_enabled().await {
            GOVERN_SCOPE
        } else {
            DEFAULT_SCOPE
        }
    }

    /// [`App::connect`] asking Box for `scope` (space-separated); the
    /// connection row keeps what was asked.
    pub(super) async fn connect_with_scope(
        &self,
        scope: &str,
    ) -> Result<ConnectionView, UserError> {
        let result = self.connect_inner(scope).await;
        {
            let mut ui = self.inner.ui.lock().expect("ui lock");
            ui.sign_in = None;
            ui.sign_in_cancel = None;
            ui.submitter = None;
            ui.last_error = result.as_ref().err().cloned();
        }
        self.emit(CoreEvent::SignInFinished {
            error: result.as_ref().err().cloned(),
        });
        self.emit_snapshot().await;
        result?;
        Ok(self.snapshot().await.connection)
    }

    pub(super) async fn connect_inner(&self, scope: &str) -> Result<(), UserError> {
        let dc_id = self.selected_datacenter();
        let store = self.require_store().await?;
        let target = self.resolve_target(&dc_id).await?;
        // Fail before the browser opens if the tokens could not be kept.
        let kc = self.inner.keychain.clone();
        blocking(move || kc.probe()).await?;

        let sign_in = LoopbackSignIn::start(&SignInRequest {
            authorize_url: target.endpoints.authorize_url.clone(),
            client_id: target.client_id.clone(),
            scope: Some(scope.to_string()),
            pkce: target.pkce,
        })
        .await?;
        let cancel = CancellationToken::new();
        let started_at = Utc::now();
        let mut view = SignInView {
            datacenter_id: dc_id.clone(),
            authorize_url: sign_in.authorize_url.clone(),
            redirect_uri: sign_in.redirect_uri.clone(),
            started_at,
            expires_at: started_at
                + chrono::Duration::from_std(self.inner.config.sign_in_timeout)
                    .unwrap_or(chrono::Duration::minutes(5)),
            browser_opened: false,
        };
        {
            let mut ui = self.inner.ui.lock().expect("ui lock");
            if let Some(previous) = ui.sign_in_cancel.replace(cancel.clone()) {
                previous.cancel();
            }
            ui.submitter = Some(sign_in.submitter());
            ui.sign_in = Some(view.clone());
        }
        let opened = self.inner.config.browser.open(&sign_in.authorize_url);
        if let Err(why) = &opened {
            tracing::warn!("browser did not open: {why}");
        }
        view.browser_opened = opened.is_ok();
        self.inner.ui.lock().expect("ui lock").sign_in = Some(view.clone());
        self.emit(CoreEvent::SignInStarted { sign_in: view });
        self.emit_snapshot().await;

        let app = self.clone();
        let oauth = target
            .oauth_client()
            .with_clock(self.inner.config.clock.clone());
        let install_store = store.clone();
        let connection = sign_in
            .finish(
                self.inner.config.sign_in_timeout,
                cancel,
                || app.emit(CoreEvent::BringToFront),
                |code, redirect_uri, verifier| async move {
                    let tokens = oauth
                        .exchange_code(&code, &redirect_uri, verifier.as_ref())
                        .await?;
                    self.install_connection(&install_store, &target, tokens, scope)
                        .await
                },
            )
            .await
            .map(|connection_id| (connection_id, store))?;
        let (connection_id, store) = connection;
        self.retire_other_connections(&store, &connection_id).await;
        Ok(())
    }

    /// After a successful exchange. The tokens go to the keychain before
    /// anything else (under a provisional entry, since the connection's
    /// identity is the account's enterprise and only Box can say which that
    /// is); `/users/me` names the enterprise; a grant this sign-in replaces
    /// (the same enterprise connected before) is revoked now that the new
    /// one has worked; the tokens move to the connection's entry; the row is
    /// saved. A kill at any point leaves no live grant that nothing holds:
    /// a provisional pair left behind is revoked by the next sign-in.
    /// `scope` is what the sign-in asked for; the row keeps it.
    /// Returns the connection id.
    pub(super) async fn install_connection(
        &self,
        store: &Store,
        target: &Target,
        tokens: TokenSet,
        scope: &str,
    ) -> Result<String, UserError> {
        let keychain = self.inner.keychain.clone();
        let data_dir = &self.inner.config.data_dir;
        let provisional_id = format!("{}:signing-in", target.datacenter_id);
        let provisional: Arc<dyn TokenVault> =
            Arc::new(KeychainVault::new(keychain.clone(), &provisional_id));
        // The provisional entry is shared by every process signing in to
        // this data center: one sign-in at a time.
        let _signing_in = RefreshLock::for_connection(data_dir, &provisional_id)
            .acquire()
            .await?;
        let (v, to_save) = (provisional.clone(), tokens.clone());
        let stale = blocking(move || {
            let stale = v.load().ok().flatten();
            v.save(&to_save)?;
            Ok(stale)
        })
        .await?;
        if let Some(stale) = stale {
            // A sign-in that died before it finished: give its grant back.
            let _ = target.oauth_client().revoke(&stale.refresh_token).await;
        }

        // A session of its own for the one call that names the account, so
        // the call counts in health like every other. Its manager takes no
        // refresh lock: the sign-in lock above already keeps others out.
        let probe = Session::start(
            self.clone(),
            store.clone(),
            provisional_id.clone(),
            target.datacenter_id.clone(),
            Arc::new(
                TokenManager::new(
                    target.oauth_client(),
                    provisional.clone(),
                    Some(tokens.clone()),
                )
                .with_clock(self.inner.config.clock.clone()),
            ),
            &target.endpoints.api_url,
        );
        let me = probe.client.me(None).await;
        probe.stop();
        // Its call row must be in the store before it is reassigned below.
        probe.flush_calls().await;
        let me = match me {
            Ok(me) => me,
            Err(err) => {
                // Without an identity the sign-in cannot be kept: give the
                // grant back rather than leave it live and unused.
                let _ = probe.tokens.revoke_and_forget().await;
                return Err(UserError::new(
                    err.user.code,
                    format!(
                        "Box accepted the sign-in but did not say which account and enterprise it is: {}",
                        err.user.message
                    ),
                    "Click Connect to try again.",
                ));
            }
        };
        let connection_id = connection_id_for(&target.datacenter_id, &me);
        let vault: Arc<dyn TokenVault> =
            Arc::new(KeychainVault::new(keychain.clone(), &connection_id));
        // The connection's own lock: no refresh of the pair being replaced
        // (by the old session or the CLI) can land between read and write.
        let _connection_lock = RefreshLock::for_connection(data_dir, &connection_id)
            .acquire()
            .await?;
        let (v, p) = (vault.clone(), provisional.clone());
        let (tokens, replaced) = blocking(move || {
            // The provisional entry is the latest pair: a refresh during the
            // probe rotated it there.
            Ok((p.load()?.unwrap_or(tokens), v.load().ok().flatten()))
        })
        .await?;
        // Revoked before its entry is overwritten: a kill after this leaves
        // at worst a dead pair in the keychain (reconnect), never a live
        // grant that nothing holds.
        if let Some(old) =
            replaced.filter(|old| old.refresh_token.expose() != tokens.refresh_token.expose())
        {
            if let Err(e) = target.oauth_client().revoke(&old.refresh_token).await {
                tracing::warn!(
                    "the sign-in this one replaced was not revoked: {}",
                    e.message
                );
            }
        }
        let (v, p, to_save) = (vault.clone(), provisional.clone(), tokens.clone());
        blocking(move || {
            v.save(&to_save)?;
            p.clear()
        })
        .await?;
        store
            .reassign_api_calls(&provisional_id, &connection_id)
            .await?;

        let now = Utc::now();
        let record = ConnectionRecord {
            id: connection_id.clone(),
            datacenter_id: target.datacenter_id.clone(),
            client_id: target.client_id.clone(),
            authorize_url: target.endpoints.authorize_url.clone(),
            token_url: target.endpoints.token_url.clone(),
            revoke_url: target.endpoints.revoke_url.clone().unwrap_or_default(),
            api_url: target.endpoints.api_url.clone(),
            account_id: Some(me.id.clone()),
            account_login: me.login.clone(),
            account_name: me.name.clone(),
            role: me.role.clone(),
            enterprise_id: me.enterprise.as_ref().map(|e| e.id.clone()),
            enterprise_name: me.enterprise.as_ref().and_then(|e| e.name.clone()),
            state: store::ConnectionState::Connected,
            state_reason: None,
            connected_at: now,
            access_token_expires_at: Some(tokens.access_expires_at),
            refresh_token_issued_at: Some(tokens.refresh_issued_at),
            last_success_at: Some(now),
            updated_at: now,
            scopes: Some(scope.to_string()),
        };
        store.save_connection(&record).await?;

        let manager = self.token_manager(
            target.oauth_client(),
            &connection_id,
            vault,
            Some(tokens.clone()),
        );
        let session = Session::start(
            self.clone(),
            store.clone(),
            connection_id.clone(),
            target.datacenter_id.clone(),
            manager,
            &target.endpoints.api_url,
        );
        if let Some(old) = self.inner.session.lock().await.replace(session) {
            old.stop();
        }
        Ok(connection_id)
    }

    pub fn cancel_connect(&self) {
        if let Some(c) = self
            .inner
            .ui
            .lock()
            .expect("ui lock")
            .sign_in_cancel
            .clone()
        {
            c.cancel();
        }
    }

    /// The paste path: the address the browser showed after Allow.
    pub fn submit_redirect_url(&self, url: &str) -> Result<(), UserError> {
        let submitter = self.inner.ui.lock().expect("ui lock").submitter.clone();
        match submitter {
            Some(s) => s.submit(url),
            None => Err(UserError::new(
                ErrorCode::InvalidInput,
                "No sign-in is waiting for a redirect address.",
                "Click Connect first, then paste the address the browser shows after you click Allow.",
            )),
        }
    }

    /// The sign-in link of the sign-in in progress ("copy sign-in link").
    pub fn sign_in_link(&self) -> Option<String> {
        self.inner
            .ui
            .lock()
            .expect("ui lock")
            .sign_in
            .as_ref()
            .map(|s| s.authorize_url.clone())
    }
}

/// A connection is an enterprise on a data center: its events, queue and
/// findings never mix with another enterprise's. An account outside any
/// enterprise (which the API test flags) is its own identity.
pub fn connection_id_for(datacenter_id: &str, me: &User) -> String {
    match &me.enterprise {
        Some(enterprise) => format!("{datacenter_id}:enterprise:{}", enterprise.id),
        None => format!("{datacenter_id}:user:{}", me.id),
    }
}
