//! The facade the desktop shell and the CLI call. It owns the store, the
//! keychain, the embedded sandbox and the live connection, and tells its
//! subscribers about every change with a `CoreEvent`. Each flow is its own
//! module: `connect` (sign-in), `retire` (disconnect and replaced
//! connections), `live` (the session cache), `api_test_run`, `governance`
//! (the switch and the write scope), `settings`,
//! `database`, `view` (the snapshot), `bus` (events to subscribers), `feed`
//! (events as a subscriber reads them: throttled, resynced when behind) and
//! `notices` (which changes the desktop announces).

mod api_test_run;
mod browser;
mod bus;
mod config;
mod connect;
mod database;
mod export;
mod feed;
mod findings_view;
mod govern_view;
mod governance;
mod live;
pub mod notices;
mod policy_run;
mod retire;
mod sandbox;
mod scan_run;
mod scan_view;
mod session;
mod settings;
mod target;
mod view;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{broadcast, RwLock};
use tokio_util::sync::CancellationToken;

use crate::auth::loopback::RedirectSubmitter;
use crate::datacenter;
use crate::error::{ErrorCode, UserError};
use crate::ipc::{ApiTestReport, CoreEvent, DatabaseStatus, EndpointSource, Health, SignInView};
use crate::keychain::Keychain;
use crate::store::{self, setting_keys, Store};

pub use browser::{BrowserLauncher, BROWSER_ENV};
pub use config::{
    default_data_dir, default_identifier, default_keychain_service, AppConfig, CUSTOM_ID,
    DATA_DIR_ENV, KEYCHAIN_SERVICE_ENV, SANDBOX_ID,
};
use database::open_store;
pub use feed::{EventFeed, PROGRESS_INTERVAL};
pub use sandbox::{EmbeddedBox, RunningBox, StartError, SANDBOX_URL_ENV};
pub use scan_run::{ScanMode, ScannerRole};
use session::Session;

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
    scan_runtime: std::sync::Mutex<scan_view::ScanRuntime>,
    /// Woken on pause / resume so the scanner looks at the switch at once.
    scan_wake: tokio::sync::Notify,
    /// Previews shown and not yet confirmed (they expire).
    previews: std::sync::Mutex<govern_view::Previews>,
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
    /// The Sandbox data center uses `config.sandbox_url` only: this app
    /// starts no sandbox of its own (see [`App::open_with_embedded_box`]).
    pub async fn open(config: AppConfig) -> Result<App, UserError> {
        App::open_inner(config, None).await
    }

    /// As [`App::open`], and the Sandbox data center starts `embedded` in
    /// this process when no `sandbox_url` is set (the shell and the CLI pass
    /// box-sandbox's).
    pub async fn open_with_embedded_box(
        config: AppConfig,
        embedded: Arc<dyn EmbeddedBox>,
    ) -> Result<App, UserError> {
        App::open_inner(config, Some(embedded)).await
    }

    async fn open_inner(
        config: AppConfig,
        embedded: Option<Arc<dyn EmbeddedBox>>,
    ) -> Result<App, UserError> {
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
                sandbox: sandbox::SandboxSlot::new(embedded),
                last_health: std::sync::Mutex::new(None),
                scan_runtime: Default::default(),
                scan_wake: tokio::sync::Notify::new(),
                previews: Default::default(),
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

    pub(super) async fn store(&self) -> Option<Store> {
        self.inner.store.read().await.clone()
    }

    pub(super) async fn require_store(&self) -> Result<Store, UserError> {
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
}

fn unknown_datacenter(id: &str) -> UserError {
    let ids: Vec<String> = datacenter::all().into_iter().map(|d| d.id).collect();
    UserError::new(
        ErrorCode::UnknownDatacenter,
        format!("There is no data center \"{id}\"."),
        format!("Pick one of: {}.", ids.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ipc::{ConnectionState, CustomSettings, DatabaseState};
    use crate::keychain::Sensitive;

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
            clock: Default::default(),
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
            clock: Default::default(),
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
            clock: Default::default(),
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
