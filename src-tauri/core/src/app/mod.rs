//! The facade the desktop shell and the CLI call. It owns the store, the
//! keychain, the embedded sandbox and the live connection, and tells its
//! subscribers about every change with a `CoreEvent`.

mod browser;
mod sandbox;
mod session;
mod target;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{broadcast, RwLock};
use tokio_util::sync::CancellationToken;

use crate::api_test;
use crate::auth::loopback::{self, LoopbackSignIn, RedirectSubmitter, SignInRequest};
use crate::auth::tokens::{
    blocking, not_connected, KeychainVault, TokenManager, TokenStatus, TokenVault,
};
use crate::auth::DEFAULT_SCOPE;
use crate::box_api::BoxClient;
use crate::datacenter::{self, EndpointSource, ALLOWLIST_STEPS};
use crate::error::{ErrorCode, UserError};
use crate::health::{Health, HealthState, TokenFacts};
use crate::ipc::{
    AccountView, ApiCheck, ApiCheckId, ApiTestReport, CheckStatus, ConnectionState, ConnectionView,
    CoreEvent, CustomSettings, DataCenterView, DatabaseState, DatabaseStatus, SignInView, Snapshot,
};
use crate::keychain::{Keychain, Sensitive};
use crate::store::{self, setting_keys, ApiCheckRecord, ConnectionRecord, Store, StoreOpenError};

pub use browser::{BrowserLauncher, BROWSER_ENV};
pub use sandbox::SANDBOX_URL_ENV;
use session::Session;
use target::Target;

pub const DATA_DIR_ENV: &str = "BOX_CONNECTOR_DATA_DIR";
/// Overrides the keychain service (tests give each run its own).
pub const KEYCHAIN_SERVICE_ENV: &str = "BOX_CONNECTOR_KEYCHAIN_SERVICE";
pub const SANDBOX_ID: &str = "sandbox";
pub const CUSTOM_ID: &str = "custom";

/// The keychain service: the app identifier, separate for dev builds so a
/// dev build never touches a release build's entries.
pub fn default_keychain_service() -> &'static str {
    if cfg!(debug_assertions) {
        "com.boxconnector.app.dev"
    } else {
        "com.boxconnector.app"
    }
}

#[derive(Debug, Clone)]
pub struct AppConfig {
    pub data_dir: PathBuf,
    pub keychain_service: String,
    pub browser: BrowserLauncher,
    /// How long a sign-in waits for the browser (default 5 minutes).
    pub sign_in_timeout: Duration,
    /// An already running sandbox to use for the Sandbox data center
    /// (`BOX_CONNECTOR_SANDBOX_URL`); `None` starts one inside the app.
    pub sandbox_url: Option<String>,
}

impl AppConfig {
    /// Defaults with the environment overrides the shell and the CLI honour:
    /// `BOX_CONNECTOR_DATA_DIR`, `BOX_CONNECTOR_BROWSER`, `BOX_CONNECTOR_SANDBOX_URL`,
    /// `BOX_CONNECTOR_KEYCHAIN_SERVICE`.
    pub fn from_env(default_data_dir: PathBuf) -> AppConfig {
        let data_dir = std::env::var_os(DATA_DIR_ENV)
            .map(PathBuf::from)
            .unwrap_or(default_data_dir);
        AppConfig {
            data_dir,
            keychain_service: std::env::var(KEYCHAIN_SERVICE_ENV)
                .ok()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| default_keychain_service().to_string()),
            browser: BrowserLauncher::from_env(),
            sign_in_timeout: loopback::DEFAULT_TIMEOUT,
            sandbox_url: std::env::var(SANDBOX_URL_ENV)
                .ok()
                .filter(|s| !s.trim().is_empty()),
        }
    }
}

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: AppConfig,
    keychain: Keychain,
    db_path: PathBuf,
    store: RwLock<Option<Store>>,
    db_status: std::sync::Mutex<DatabaseStatus>,
    events: broadcast::Sender<CoreEvent>,
    ui: std::sync::Mutex<UiState>,
    session: tokio::sync::Mutex<Option<Arc<Session>>>,
    sandbox: sandbox::SandboxSlot,
    /// The health last announced with `CoreEvent::HealthChanged`, without
    /// its per-call figures (so every call does not count as a change).
    last_health: std::sync::Mutex<Option<Health>>,
}

#[derive(Default)]
struct UiState {
    selected: String,
    /// Data centers whose client secret is in the keychain.
    secrets_present: HashSet<String>,
    sign_in: Option<SignInView>,
    sign_in_cancel: Option<CancellationToken>,
    submitter: Option<RedirectSubmitter>,
    /// The last connect / refresh / disconnect failure, until the next success.
    last_error: Option<UserError>,
    running_test: Option<ApiTestReport>,
}

impl App {
    /// Opens the app's state. A broken database does not fail this: the
    /// snapshot reports it and `move_database_aside` offers the way out.
    pub async fn open(config: AppConfig) -> Result<App, UserError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            UserError::new(
                ErrorCode::DatabaseUnavailable,
                format!("The data folder {} could not be created ({e}).", config.data_dir.display()),
                "Check the folder's permissions and free disk space, or pick another with --data-dir.",
            )
        })?;
        let db_path = config.data_dir.join(store::DATABASE_FILE_NAME);
        let (store, status) = open_store(&db_path).await;
        let keychain = Keychain::new(&config.keychain_service);

        let kc = keychain.clone();
        let secrets_present: HashSet<String> = tokio::task::spawn_blocking(move || {
            datacenter::all()
                .into_iter()
                .filter(|dc| dc.endpoints != EndpointSource::Sandbox)
                .filter(|dc| matches!(kc.get(&target::client_secret_account(&dc.id)), Ok(Some(_))))
                .map(|dc| dc.id)
                .collect()
        })
        .await
        .unwrap_or_default();

        let saved = match &store {
            Some(s) => s
                .setting(setting_keys::SELECTED_DATACENTER)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        // The Sandbox is the default until Box credentials are set up.
        let selected = saved
            .filter(|id| datacenter::by_id(id).is_some())
            .or_else(|| {
                datacenter::all()
                    .into_iter()
                    .find(|dc| {
                        dc.endpoints == EndpointSource::Box && secrets_present.contains(&dc.id)
                    })
                    .map(|dc| dc.id)
            })
            .unwrap_or_else(|| SANDBOX_ID.to_string());

        let (events, _) = broadcast::channel(256);
        Ok(App {
            inner: Arc::new(Inner {
                keychain,
                db_path,
                store: RwLock::new(store),
                db_status: std::sync::Mutex::new(status),
                events,
                ui: std::sync::Mutex::new(UiState {
                    selected,
                    secrets_present,
                    ..UiState::default()
                }),
                session: tokio::sync::Mutex::new(None),
                sandbox: sandbox::SandboxSlot::default(),
                last_health: std::sync::Mutex::new(None),
                config,
            }),
        })
    }

    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.inner.events.subscribe()
    }

    fn emit(&self, event: CoreEvent) {
        // No subscriber is fine (the CLI often has none).
        let _ = self.inner.events.send(event);
    }

    async fn emit_snapshot(&self) {
        let snapshot = self.snapshot().await;
        let health = snapshot.health.clone();
        self.emit(CoreEvent::SnapshotChanged {
            snapshot: Box::new(snapshot),
        });
        if let Some(h) = health {
            self.note_health(h);
        }
    }

    /// Health without the per-call figures (call counts, latency, seconds
    /// left on the access token), which change with every call.
    fn stable_health(health: &Health) -> Health {
        let mut stable = health.clone();
        stable.last_hour = crate::health::call_stats(&[], Utc::now());
        stable.access_token_expires_in_secs = None;
        stable
    }

    /// Emits `HealthChanged` when the health differs from the last one
    /// announced in anything but the per-call figures.
    fn note_health(&self, health: Health) {
        let stable = Self::stable_health(&health);
        {
            let mut last = self.inner.last_health.lock().expect("health lock");
            if last.as_ref() == Some(&stable) {
                return;
            }
            *last = Some(stable);
        }
        self.emit(CoreEvent::HealthChanged {
            health: Box::new(health),
        });
    }

    /// Re-reads health from the store after a Box call that may have changed
    /// it (no answer, a 429, or the first answer after those). A change is
    /// announced with the whole snapshot too, since the connection's state
    /// (connected / offline) follows health.
    async fn check_health(&self) {
        let Some(store) = self.store().await else {
            return;
        };
        let Ok(health) = store
            .health(None, self.token_facts().await, Utc::now())
            .await
        else {
            return;
        };
        let stable = Self::stable_health(&health);
        let changed = self.inner.last_health.lock().expect("health lock").as_ref() != Some(&stable);
        if changed {
            self.emit_snapshot().await;
        }
    }

    async fn store(&self) -> Option<Store> {
        self.inner.store.read().await.clone()
    }

    async fn require_store(&self) -> Result<Store, UserError> {
        match self.store().await {
            Some(s) => Ok(s),
            None => Err(self
                .inner
                .db_status
                .lock()
                .expect("db status lock")
                .error
                .clone()
                .unwrap_or_else(|| {
                    UserError::new(
                        ErrorCode::DatabaseUnavailable,
                        "The local database is not open.",
                        "Restart Box Connector.",
                    )
                })),
        }
    }

    pub fn selected_datacenter(&self) -> String {
        self.inner.ui.lock().expect("ui lock").selected.clone()
    }

    // ---- snapshot -------------------------------------------------------

    pub async fn snapshot(&self) -> Snapshot {
        let store = self.store().await;
        let custom = match &store {
            Some(s) => target::custom_settings(s).await,
            None => None,
        };
        let record = match &store {
            Some(s) => s.current_connection(None).await.ok().flatten(),
            None => None,
        };
        let health = match &store {
            Some(s) => s
                .health(None, self.token_facts().await, Utc::now())
                .await
                .ok(),
            None => None,
        };
        let stored_test = match (&store, &record) {
            (Some(s), Some(r)) => s.latest_api_test_run(&r.id).await.ok().flatten(),
            _ => None,
        };
        let ui = self.inner.ui.lock().expect("ui lock");
        let datacenters = datacenter::all()
            .into_iter()
            .map(|dc| DataCenterView {
                has_client_secret: dc.endpoints == EndpointSource::Sandbox
                    || ui.secrets_present.contains(&dc.id),
                custom: if dc.endpoints == EndpointSource::Custom {
                    custom.clone()
                } else {
                    None
                },
                profile: dc,
            })
            .collect();
        let last_api_test = ui
            .running_test
            .clone()
            .or_else(|| stored_test.map(|run| report_from_store(&run, record.as_ref())));
        Snapshot {
            datacenters,
            selected_datacenter: ui.selected.clone(),
            allowlist_steps: ALLOWLIST_STEPS.iter().map(|s| s.to_string()).collect(),
            connection: connection_view(record.as_ref(), health.as_ref(), &ui),
            sign_in: ui.sign_in.clone(),
            health,
            last_api_test,
            database: self.inner.db_status.lock().expect("db status lock").clone(),
        }
    }

    async fn token_facts(&self) -> TokenFacts {
        let session = self.inner.session.lock().await.clone();
        match session.map(|s| s.tokens.status()) {
            Some(TokenStatus::Valid {
                access_expires_at,
                refresh_issued_at,
            }) => TokenFacts {
                access_token_expires_at: Some(access_expires_at),
                refresh_token_issued_at: Some(refresh_issued_at),
                refresh_token_present: Some(true),
            },
            _ => TokenFacts::default(),
        }
    }

    // ---- settings -------------------------------------------------------

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

    // ---- connect --------------------------------------------------------

    /// Signs in to the selected data center: loopback listener, browser,
    /// one valid callback, code exchange, tokens to the keychain. Resolves
    /// when the sign-in ends (connected, denied, timed out, cancelled).
    pub async fn connect(&self) -> Result<ConnectionView, UserError> {
        let result = self.connect_inner().await;
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

    async fn connect_inner(&self) -> Result<(), UserError> {
        let dc_id = self.selected_datacenter();
        let store = self.require_store().await?;
        let target = self.resolve_target(&dc_id).await?;
        // Fail before the browser opens if the tokens could not be kept.
        let kc = self.inner.keychain.clone();
        blocking(move || kc.probe()).await?;

        let sign_in = LoopbackSignIn::start(&SignInRequest {
            authorize_url: target.endpoints.authorize_url.clone(),
            client_id: target.client_id.clone(),
            scope: Some(DEFAULT_SCOPE.to_string()),
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
        let oauth = target.oauth_client();
        let install_store = store.clone();
        sign_in
            .finish(
                self.inner.config.sign_in_timeout,
                cancel,
                || app.emit(CoreEvent::BringToFront),
                |code, redirect_uri, verifier| async move {
                    let tokens = oauth
                        .exchange_code(&code, &redirect_uri, verifier.as_ref())
                        .await?;
                    self.install_connection(&install_store, &target, tokens)
                        .await
                },
            )
            .await?;
        self.retire_other_connections(&store, &dc_id).await;
        Ok(())
    }

    /// The app has one active connection: once a new sign-in is in place,
    /// every other data center's connection is revoked at its server, its
    /// keychain entry removed and its row marked disconnected, so it can
    /// neither resurface as connected nor leave a live token behind.
    async fn retire_other_connections(&self, store: &Store, keep: &str) {
        let others = match store.connections().await {
            Ok(all) => all
                .into_iter()
                .filter(|r| r.id != keep && r.state != store::ConnectionState::Disconnected)
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!("could not list earlier connections to retire: {e}");
                return;
            }
        };
        let label = datacenter::by_id(keep)
            .map(|d| d.label)
            .unwrap_or_else(|| keep.to_string());
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
    async fn retire_connection(
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
                    Arc::new(TokenManager::new(target.oauth_client(), vault, None))
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

    /// After a successful exchange: keychain first, then the store row, then
    /// the account facts from `/users/me`.
    async fn install_connection(
        &self,
        store: &Store,
        target: &Target,
        tokens: crate::auth::TokenSet,
    ) -> Result<(), UserError> {
        let connection_id = target.datacenter_id.clone();
        let vault: Arc<dyn TokenVault> = Arc::new(KeychainVault::new(
            self.inner.keychain.clone(),
            &connection_id,
        ));
        let to_save = tokens.clone();
        let v = vault.clone();
        blocking(move || v.save(&to_save)).await?;

        let now = Utc::now();
        let mut record = ConnectionRecord {
            id: connection_id.clone(),
            datacenter_id: target.datacenter_id.clone(),
            client_id: target.client_id.clone(),
            authorize_url: target.endpoints.authorize_url.clone(),
            token_url: target.endpoints.token_url.clone(),
            revoke_url: target.endpoints.revoke_url.clone().unwrap_or_default(),
            api_url: target.endpoints.api_url.clone(),
            account_id: None,
            account_login: None,
            account_name: None,
            role: None,
            enterprise_id: None,
            enterprise_name: None,
            state: store::ConnectionState::Connected,
            state_reason: None,
            connected_at: now,
            access_token_expires_at: Some(tokens.access_expires_at),
            refresh_token_issued_at: Some(tokens.refresh_issued_at),
            last_success_at: None,
            updated_at: now,
        };
        store.save_connection(&record).await?;

        let manager = Arc::new(TokenManager::new(
            target.oauth_client(),
            vault,
            Some(tokens),
        ));
        let session = Session::start(
            self.clone(),
            store.clone(),
            connection_id,
            target.datacenter_id.clone(),
            manager,
            &target.endpoints.api_url,
        );
        if let Some(old) = self.inner.session.lock().await.replace(session.clone()) {
            old.stop();
        }
        // Account facts are nice to have; a failure here shows in health and the API test.
        if let Ok(me) = session.client.me(None).await {
            record.account_id = Some(me.id.clone());
            record.account_login = me.login.clone();
            record.account_name = me.name.clone();
            record.role = me.role.clone();
            record.enterprise_id = me.enterprise.as_ref().map(|e| e.id.clone());
            record.enterprise_name = me.enterprise.as_ref().and_then(|e| e.name.clone());
            record.last_success_at = Some(Utc::now());
            record.updated_at = Utc::now();
            store.save_connection(&record).await?;
        }
        Ok(())
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

    // ---- using the connection --------------------------------------------

    /// The Box client of the current connection, built on first use.
    pub async fn box_client(&self) -> Result<Arc<BoxClient>, UserError> {
        Ok(self.session().await?.client.clone())
    }

    async fn session(&self) -> Result<Arc<Session>, UserError> {
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
        let manager = Arc::new(TokenManager::new(target.oauth_client(), vault, tokens));
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

    /// Runs the API test checklist, pushing progress; the result is stored.
    pub async fn run_api_test(&self) -> Result<ApiTestReport, UserError> {
        let session = match self.session().await {
            Ok(s) => s,
            Err(e) => {
                self.inner.ui.lock().expect("ui lock").last_error = Some(e.clone());
                self.emit_snapshot().await;
                return Err(e);
            }
        };
        let app = self.clone();
        let progress = move |report: &ApiTestReport| {
            app.inner.ui.lock().expect("ui lock").running_test = Some(report.clone());
            app.emit(CoreEvent::ApiTestProgress {
                report: report.clone(),
            });
        };
        let outcome = api_test::run(&session.client, &session.datacenter_id, &progress).await;
        let report = outcome.report;
        // The session's watcher mirrors this too, but a short-lived process
        // (the CLI) may exit first: a dead sign-in must reach the store now.
        if let status @ TokenStatus::NeedsReconnect(_) = session.tokens.status() {
            if let Some(store) = self.store().await {
                self.on_token_status(&store, &session.connection_id, status)
                    .await;
            }
        }

        if let Some(store) = self.store().await {
            // The row is saved first: `save_connection` replaces the row, and
            // the replace cascades to the connection's API test runs.
            if let Some(me) = outcome.me {
                if let Ok(Some(mut record)) = store.connection(&session.connection_id).await {
                    record.account_id = Some(me.id.clone());
                    record.account_login = me.login.clone().or(record.account_login);
                    record.account_name = me.name.clone().or(record.account_name);
                    record.role = me.role.clone().or(record.role);
                    record.enterprise_id = me
                        .enterprise
                        .as_ref()
                        .map(|e| e.id.clone())
                        .or(record.enterprise_id);
                    record.enterprise_name = me
                        .enterprise
                        .as_ref()
                        .and_then(|e| e.name.clone())
                        .or(record.enterprise_name);
                    record.updated_at = Utc::now();
                    store.save_connection(&record).await?;
                }
            }
            self.store_api_test(&store, &session.connection_id, &report)
                .await?;
        }
        self.inner.ui.lock().expect("ui lock").running_test = None;
        self.emit(CoreEvent::ApiTestFinished {
            report: report.clone(),
        });
        self.emit_snapshot().await;
        Ok(report)
    }

    async fn store_api_test(
        &self,
        store: &Store,
        connection_id: &str,
        report: &ApiTestReport,
    ) -> Result<(), UserError> {
        let run_id = store
            .start_api_test_run(connection_id, report.started_at)
            .await?;
        for check in &report.checks {
            let status = match check.status {
                CheckStatus::Pass => store::CheckStatus::Pass,
                CheckStatus::Warn => store::CheckStatus::Warn,
                CheckStatus::Fail => store::CheckStatus::Fail,
                // Skipped checks are not stored; they are re-derived when read.
                _ => continue,
            };
            store
                .record_api_check(
                    run_id,
                    &ApiCheckRecord {
                        check_id: check_id_str(check.id).to_string(),
                        label: check.label.clone(),
                        status,
                        detail: check.detail.clone(),
                        box_error: check.box_error.clone(),
                        fix: check.fix.clone(),
                    },
                )
                .await?;
        }
        store
            .finish_api_test_run(run_id, report.finished_at.unwrap_or_else(Utc::now))
            .await?;
        Ok(())
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

    // ---- database ------------------------------------------------------------

    /// Renames a broken database file (never deletes it) and starts a fresh one.
    pub async fn move_database_aside(&self) -> Result<PathBuf, UserError> {
        let mut slot = self.inner.store.write().await;
        if let Some(s) = slot.take() {
            s.close().await;
        }
        let moved = store::move_aside(&self.inner.db_path)?;
        let (store, status) = open_store(&self.inner.db_path).await;
        *slot = store;
        *self.inner.db_status.lock().expect("db status lock") = status;
        drop(slot);
        self.emit_snapshot().await;
        Ok(moved)
    }

    /// Called by the session when the token manager changes state.
    async fn on_token_status(&self, store: &Store, connection_id: &str, status: TokenStatus) {
        let now = Utc::now();
        match &status {
            TokenStatus::Valid {
                access_expires_at,
                refresh_issued_at,
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
            TokenStatus::Missing => {}
        }
        self.emit_snapshot().await;
    }
}

async fn open_store(path: &std::path::Path) -> (Option<Store>, DatabaseStatus) {
    let path_text = path.display().to_string();
    match Store::open(path).await {
        Ok(s) => (
            Some(s),
            DatabaseStatus {
                state: DatabaseState::Ok,
                path: path_text,
                error: None,
            },
        ),
        Err(err) => {
            let state = match &err {
                StoreOpenError::TooNew { .. } => DatabaseState::TooNew,
                StoreOpenError::Corrupt { .. } | StoreOpenError::MigrationFailed { .. } => {
                    DatabaseState::Corrupt
                }
                StoreOpenError::Unavailable { .. } => DatabaseState::Unavailable,
            };
            (
                None,
                DatabaseStatus {
                    state,
                    path: path_text,
                    error: Some(err.into()),
                },
            )
        }
    }
}

fn unknown_datacenter(id: &str) -> UserError {
    let ids: Vec<String> = datacenter::all().into_iter().map(|d| d.id).collect();
    UserError::new(
        ErrorCode::UnknownDatacenter,
        format!("There is no data center \"{id}\"."),
        format!("Pick one of: {}.", ids.join(", ")),
    )
}

fn check_id_str(id: ApiCheckId) -> &'static str {
    match id {
        ApiCheckId::TokenValid => "token_valid",
        ApiCheckId::Role => "role",
        ApiCheckId::EnterpriseEvents => "enterprise_events",
        ApiCheckId::UsersListable => "users_listable",
        ApiCheckId::ActAsUser => "act_as_user",
    }
}

const CHECK_ORDER: [ApiCheckId; 5] = [
    ApiCheckId::TokenValid,
    ApiCheckId::Role,
    ApiCheckId::EnterpriseEvents,
    ApiCheckId::UsersListable,
    ApiCheckId::ActAsUser,
];

/// A stored run as the UI shows it; checks not stored were skipped.
fn report_from_store(run: &store::ApiTestRun, record: Option<&ConnectionRecord>) -> ApiTestReport {
    let checks = CHECK_ORDER
        .iter()
        .map(
            |&id| match run.checks.iter().find(|c| c.check_id == check_id_str(id)) {
                Some(c) => ApiCheck {
                    id,
                    label: c.label.clone(),
                    status: match c.status {
                        store::CheckStatus::Pass => CheckStatus::Pass,
                        store::CheckStatus::Warn => CheckStatus::Warn,
                        store::CheckStatus::Fail => CheckStatus::Fail,
                    },
                    detail: c.detail.clone(),
                    box_error: c.box_error.clone(),
                    fix: c.fix.clone(),
                },
                None => ApiCheck {
                    id,
                    label: api_test::label(id).to_string(),
                    status: CheckStatus::Skipped,
                    detail: Some("Not run: an earlier check failed.".into()),
                    box_error: None,
                    fix: None,
                },
            },
        )
        .collect::<Vec<_>>();
    ApiTestReport {
        datacenter_id: record.map(|r| r.datacenter_id.clone()).unwrap_or_default(),
        started_at: run.started_at,
        finished_at: run.finished_at,
        outcome: match run.outcome {
            Some(store::CheckStatus::Pass) => CheckStatus::Pass,
            Some(store::CheckStatus::Warn) => CheckStatus::Warn,
            Some(store::CheckStatus::Fail) => CheckStatus::Fail,
            None => CheckStatus::Running,
        },
        checks,
    }
}

fn connection_view(
    record: Option<&ConnectionRecord>,
    health: Option<&Health>,
    ui: &UiState,
) -> ConnectionView {
    let account = record.and_then(|r| {
        Some(AccountView {
            user_id: r.account_id.clone()?,
            name: r.account_name.clone().unwrap_or_default(),
            login: r.account_login.clone().unwrap_or_default(),
            role: r.role.clone().unwrap_or_default(),
            enterprise_id: r.enterprise_id.clone(),
            enterprise_name: r.enterprise_name.clone(),
        })
    });
    let (state, what_to_do) = if ui.sign_in.is_some() {
        (
            ConnectionState::Connecting,
            "Sign in to Box in the browser and click Allow. If no browser opened, copy the sign-in link.".to_string(),
        )
    } else {
        let state = match (record.map(|r| r.state), health.map(|h| h.state)) {
            (None, _) | (Some(store::ConnectionState::Disconnected), _) => {
                ConnectionState::NotConnected
            }
            (Some(store::ConnectionState::NeedsReconnect), _)
            | (_, Some(HealthState::NeedsReconnect)) => ConnectionState::NeedsReconnect,
            (_, Some(HealthState::Offline)) => ConnectionState::Offline,
            _ => ConnectionState::Connected,
        };
        let what = health
            .map(|h| h.what_to_do.clone())
            .unwrap_or_else(|| match state {
                ConnectionState::NotConnected => {
                    "Choose your Box data center and click Connect.".into()
                }
                ConnectionState::NeedsReconnect => {
                    "Click Reconnect and sign in to Box again.".into()
                }
                ConnectionState::Offline => "Check this computer's internet connection.".into(),
                _ => "Nothing to do: the connection works.".into(),
            });
        (state, what)
    };
    ConnectionView {
        state,
        datacenter_id: record.map(|r| r.datacenter_id.clone()),
        account,
        what_to_do,
        error: ui.last_error.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    /// The shell runs these as async Tauri commands, which need `Send` futures.
    #[allow(dead_code, clippy::let_underscore_future)]
    fn facade_futures_are_send(app: &App) {
        assert_send(App::open(AppConfig::from_env(PathBuf::new())));
        assert_send(app.snapshot());
        assert_send(app.select_datacenter("sandbox"));
        assert_send(app.set_client_secret("eu1", Sensitive::new(String::new())));
        assert_send(app.set_custom_settings(CustomSettings {
            client_id: String::new(),
            authorize_url: None,
            token_url: None,
            api_url: None,
            revoke_url: None,
        }));
        assert_send(app.connect());
        assert_send(app.run_api_test());
        assert_send(app.disconnect());
        assert_send(app.move_database_aside());
        assert_send(app.box_client());
    }

    #[test]
    fn sign_in_waits_five_minutes_by_default() {
        let config = AppConfig::from_env(PathBuf::from("/nonexistent"));
        assert_eq!(config.sign_in_timeout, Duration::from_secs(5 * 60));
    }

    #[tokio::test]
    async fn opens_on_the_sandbox_with_every_data_center_and_no_connection() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(AppConfig {
            data_dir: dir.path().join("data"),
            keychain_service: "com.boxconnector.app.unit-test".into(),
            browser: BrowserLauncher::Disabled,
            sign_in_timeout: Duration::from_secs(5),
            sandbox_url: Some("http://127.0.0.1:9".into()),
        })
        .await
        .unwrap();
        let snap = app.snapshot().await;
        assert_eq!(snap.selected_datacenter, "sandbox");
        assert_eq!(snap.datacenters.len(), 8);
        assert!(
            snap.datacenters
                .iter()
                .find(|d| d.profile.id == "sandbox")
                .unwrap()
                .has_client_secret
        );
        assert_eq!(snap.connection.state, ConnectionState::NotConnected);
        assert_eq!(snap.database.state, DatabaseState::Ok);
        assert_eq!(snap.allowlist_steps.len(), 3);
        let err = app.select_datacenter("mars").await.unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownDatacenter);
        app.select_datacenter("EU1").await.unwrap();
        assert_eq!(app.snapshot().await.selected_datacenter, "eu1");
        // Remembered across restarts.
        drop(app);
        let again = App::open(AppConfig {
            data_dir: dir.path().join("data"),
            keychain_service: "com.boxconnector.app.unit-test".into(),
            browser: BrowserLauncher::Disabled,
            sign_in_timeout: Duration::from_secs(5),
            sandbox_url: None,
        })
        .await
        .unwrap();
        assert_eq!(again.selected_datacenter(), "eu1");
        assert_eq!(
            again.run_api_test().await.unwrap_err().code,
            ErrorCode::NotConnected
        );
    }

    #[tokio::test]
    async fn a_corrupt_database_still_opens_and_can_be_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(
            data.join(store::DATABASE_FILE_NAME),
            b"this is not sqlite at all, not even close....",
        )
        .unwrap();
        let app = App::open(AppConfig {
            data_dir: data.clone(),
            keychain_service: "com.boxconnector.app.unit-test".into(),
            browser: BrowserLauncher::Disabled,
            sign_in_timeout: Duration::from_secs(5),
            sandbox_url: None,
        })
        .await
        .unwrap();
        let snap = app.snapshot().await;
        assert_eq!(snap.database.state, DatabaseState::Corrupt);
        assert_eq!(
            snap.database.error.as_ref().unwrap().code,
            ErrorCode::DatabaseCorrupt
        );
        assert!(snap.health.is_none());
        assert_eq!(
            app.connect().await.unwrap_err().code,
            ErrorCode::DatabaseCorrupt
        );
        let moved = app.move_database_aside().await.unwrap();
        assert!(moved.exists(), "the old file is kept");
        assert_eq!(app.snapshot().await.database.state, DatabaseState::Ok);
    }
}
