//! box-sandbox: an emulated Box enterprise on loopback (HTTP server + deterministic
//! generator), faithful to Box's OpenAPI spec. Every test and the app's demo mode
//! talk to it as they would to Box, with only the base URLs changed.

pub mod activity;
pub mod api;
pub mod browser;
pub mod changes;
pub mod config;
pub mod content;
pub mod control;
pub mod enterprise;
pub mod error;
pub mod events;
mod names;
pub mod oauth;
pub mod rng;
pub mod routes;
mod server;
pub mod state;
pub mod tokens;
pub mod truth;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

pub use config::{Faults, NewVersionEvent, Rotation, SandboxConfig};

use crate::enterprise::Enterprise;
use crate::events::EventLog;
use crate::state::{Control, Inner, Stats, World};
use crate::tokens::TokenStore;

pub struct Sandbox;

/// A running sandbox. Dropping it without `stop` leaves the server running until
/// the runtime ends.
pub struct SandboxHandle {
    addr: SocketAddr,
    inner: Arc<Inner>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// Build the state (generate the enterprise and its history) without serving it.
pub fn build_state(config: SandboxConfig, base_url: String) -> Arc<Inner> {
    let anchor = chrono::Utc::now().timestamp();
    let ent = Enterprise::generate(&config, anchor);
    let events = EventLog::generate(&ent, &config);
    let tokens = config
        .state_path
        .as_deref()
        .map(TokenStore::load)
        .unwrap_or_default();
    let control = Control {
        faults: config.faults.clone(),
        burst_left: 0,
        disable_unpublished_apps: config.disable_unpublished_apps,
        app_exceptions: config.app_exceptions.clone(),
        rate_limit_per_minute: config.rate_limit_per_minute,
        activity_per_second: config.activity_per_second,
        streaming_disorder_rate: config.streaming_disorder_rate,
        new_version_event: config.new_version_event,
    };
    Arc::new(Inner {
        cfg: config,
        base_url,
        world: RwLock::new(World { ent, events }),
        tokens: Mutex::new(tokens),
        control: Mutex::new(control),
        buckets: Mutex::new(HashMap::new()),
        stats: Mutex::new(Stats::default()),
        ticker: Mutex::new(Default::default()),
        sha1_cache: Mutex::new(HashMap::new()),
        stopping: tokio::sync::watch::Sender::new(false),
    })
}

impl Sandbox {
    /// Generate the enterprise and serve it on 127.0.0.1 (port from the config, 0 = any).
    pub async fn start(config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let inner = tokio::task::spawn_blocking(move || build_state(config, base_url)).await?;
        let app = server::router(inner.clone());
        let activity = tokio::spawn(activity::run(inner.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
            activity.abort();
        });
        Ok(SandboxHandle {
            addr,
            inner,
            shutdown: tx,
            task,
        })
    }
}

impl SandboxHandle {
    /// "http://127.0.0.1:PORT", no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The shared state, for tests and the ground truth.
    pub fn state(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// Everything planted in the enterprise as it is now.
    pub fn ground_truth(&self) -> truth::GroundTruth {
        truth::ground_truth(&self.inner)
    }

    /// A token pair for `login` ("admin", "coadmin", or an account's login)
    /// with every scope, issued to the sandbox's own OAuth client: tests and
    /// tools sign in without a browser. The access token lasts an hour.
    pub fn issue_tokens(&self, login: &str) -> tokens::IssuedPair {
        self.issue_tokens_lasting(login, 3600)
    }

    /// As [`SandboxHandle::issue_tokens`], the access token lasting
    /// `access_secs` (the refresh token a day). Panics when no account has
    /// that login: a test asking for one has a bug.
    pub fn issue_tokens_lasting(&self, login: &str, access_secs: i64) -> tokens::IssuedPair {
        let account = self
            .inner
            .world
            .read()
            .unwrap()
            .ent
            .find_login(login)
            .unwrap_or_else(|| panic!("the sandbox has no account {login:?}"));
        self.inner.tokens.lock().unwrap().issue_pair(
            account,
            &self.inner.cfg.client_id,
            None,
            access_secs,
            86_400,
        )
    }

    /// The sandbox's own OAuth client: (client id, client secret).
    pub fn client_credentials(&self) -> (&str, &str) {
        (&self.inner.cfg.client_id, &self.inner.cfg.client_secret)
    }

    pub async fn stop(self) {
        self.inner.stopping.send_replace(true);
        let _ = self.shutdown.send(());
        // Graceful shutdown closes idle keep-alive connections; a stuck client must
        // not hold a test hostage, so give up after a moment.
        let abort = self.task.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(3), self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}
