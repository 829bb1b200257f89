//! What tests and benchmarks need to drive core without the OS around it:
//! tokens held in memory, a store in a temporary folder, a Box client signed
//! in with a token pair it is handed, and sample IPC values.
//!
//! Built for core's own tests and, with the `testing` feature, for the other
//! crates' tests and benches. It takes what it needs as plain values (a base
//! URL, a token pair), so it does not depend on the sandbox: the sandbox
//! issues the tokens (`box_sandbox::SandboxHandle::issue_tokens`), the
//! end-to-end crate puts the two together. The benches share it too.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::Utc;

use crate::auth::{OAuthClient, TokenManager, TokenSet, TokenVault};
use crate::box_api::{BoxClient, Rate};
use crate::datacenter::Endpoints;
use crate::ipc::{ScanState, ScanStatus};
use crate::keychain::Sensitive;
use crate::store::Store;
use crate::UserError;

/// The OAuth client the sandbox knows (its `SandboxConfig` default, and
/// the Sandbox data center's API key).
pub const SANDBOX_CLIENT_ID: &str = "sandbox-client";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-secret";

/// No limit a test or a bench would reach: the client's limiter out of the way.
pub const UNLIMITED: Rate = Rate {
    per_second: 1e6,
    burst: 1_000_000,
};

/// Tokens held in memory: for tests and benches that are not about the
/// keychain (and machines that have none).
#[derive(Default)]
pub struct MemoryVault(Mutex<Option<TokenSet>>);

impl MemoryVault {
    pub fn holding(tokens: TokenSet) -> Arc<MemoryVault> {
        Arc::new(MemoryVault(Mutex::new(Some(tokens))))
    }
}

impl TokenVault for MemoryVault {
    fn load(&self) -> Result<Option<TokenSet>, UserError> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn save(&self, tokens: &TokenSet) -> Result<(), UserError> {
        *self.0.lock().unwrap() = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), UserError> {
        *self.0.lock().unwrap() = None;
        Ok(())
    }
}

/// A token pair issued now, its access token valid for `access_secs`.
pub fn token_set(access: &str, refresh: &str, access_secs: i64) -> TokenSet {
    let now = Utc::now();
    TokenSet {
        access_token: Sensitive::new(access.into()),
        refresh_token: Sensitive::new(refresh.into()),
        access_expires_at: now + chrono::Duration::seconds(access_secs),
        access_issued_at: now,
        refresh_issued_at: now,
    }
}

/// A Box client of the server at `origin` (the sandbox, or any server that
/// speaks Box's API under Box's paths) holding `tokens` in a
/// [`MemoryVault`], signed in as the OAuth client `client_id`. Its retries
/// and rates are the client's defaults: the caller sets what it tests.
pub fn client_with(
    origin: &str,
    client_id: &str,
    client_secret: &str,
    tokens: TokenSet,
) -> BoxClient {
    let endpoints = Endpoints::under_origin(origin);
    let oauth = OAuthClient::new(
        OAuthClient::default_http(),
        endpoints.clone(),
        client_id.into(),
        Sensitive::new(client_secret.into()),
    );
    let vault = MemoryVault::holding(tokens.clone());
    let manager = Arc::new(TokenManager::new(oauth, vault, Some(tokens)));
    BoxClient::new(&endpoints.api_url, manager)
}

/// [`client_with`] the sandbox's OAuth client: a client signed in to the
/// sandbox at `origin` with a pair it issued.
pub fn sandbox_client(origin: &str, tokens: TokenSet) -> BoxClient {
    client_with(origin, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, tokens)
}

/// The store file a test keeps in `dir`.
pub async fn open_store_in(dir: &Path) -> Store {
    Store::open(dir.join("connector.sqlite3"))
        .await
        .expect("store opens")
}

/// A store in a temporary folder, removed with it.
pub struct TempStore {
    pub store: Store,
    pub dir: tempfile::TempDir,
}

impl TempStore {
    pub async fn open() -> TempStore {
        let dir = tempfile::tempdir().expect("a temporary folder");
        TempStore {
            store: open_store_in(dir.path()).await,
            dir,
        }
    }
}

impl std::ops::Deref for TempStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// A scan status as the window receives it: the scan `state` with
/// `files_scanned` of `files_discovered`, everything else empty (no users
/// or folders counted, nothing queued or failed, no events yet). Tests set
/// what else they look at.
pub fn scan_status(state: ScanState, files_scanned: u64, files_discovered: u64) -> ScanStatus {
    let mut status = ScanStatus::not_started(Some("sandbox:enterprise:1".into()));
    status.scan.state = state;
    status.scan.files_scanned = files_scanned;
    status.scan.files_discovered = files_discovered;
    status
}

/// A bench's `--name value` option from the command line, else `default`
/// (`cargo bench --bench scan_bench -- --users 100`).
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
