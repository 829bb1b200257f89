//! The manager that keeps one connection's token pair fresh, shared safely
//! with every other process that uses the same keychain entry (the app and
//! the CLI may run at once).
//!
//! Order of operations on refresh (the point of this module):
//! 1. one refresh at a time: in this process an async mutex (waiters reuse
//!    its result), across processes the refresh lock file in the data dir;
//! 2. under both, the keychain is re-read: if another process already
//!    rotated, its pair is used and Box is not asked;
//! 3. Box answers with a new pair and invalidates the old refresh token;
//! 4. the new pair is written to the keychain BEFORE the access token is
//!    used, so a crash after step 3 never leaves the only valid refresh
//!    token in memory. If that write fails, the pair is kept and used all
//!    the same (the keychain's pair is spent, this one is the only valid
//!    one), the status says the write is pending, and it is retried on the
//!    next refresh and, with backoff, on the next use;
//! 5. `invalid_grant` re-reads the keychain before "needs reconnect": a
//!    process that lost a refresh race picks up the winner's pair.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{watch, Mutex};

use crate::clock::SharedClock;
use crate::error::{ErrorCode, UserError};
use crate::keychain::{Keychain, Sensitive};

use super::failpoint;
use super::oauth::{OAuthClient, RECONNECT_HINT};
use super::refresh_lock::RefreshLock;
use super::token_set::TokenSet;

/// Where a connection's tokens persist. The app uses the keychain; the trait
/// exists so the manager's ordering can be tested without one.
pub trait TokenVault: Send + Sync + 'static {
    fn load(&self) -> Result<Option<TokenSet>, UserError>;
    fn save(&self, tokens: &TokenSet) -> Result<(), UserError>;
    fn clear(&self) -> Result<(), UserError>;
}

/// One keychain entry per connection: account `connection:<connection id>`
/// (the id names the data center and the enterprise).
pub struct KeychainVault {
    keychain: Keychain,
    account: String,
}

impl KeychainVault {
    pub fn new(keychain: Keychain, connection_id: &str) -> Self {
        KeychainVault {
            keychain,
            account: Self::account_for(connection_id),
        }
    }

    pub fn account_for(connection_id: &str) -> String {
        format!("connection:{connection_id}")
    }
}

impl TokenVault for KeychainVault {
    fn load(&self) -> Result<Option<TokenSet>, UserError> {
        Ok(self
            .keychain
            .get(&self.account)?
            .and_then(|s| TokenSet::from_secret(&s)))
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), UserError> {
        self.keychain.set(&self.account, &tokens.to_secret())
    }

    fn clear(&self) -> Result<(), UserError> {
        self.keychain.delete(&self.account)
    }
}

/// What the manager knows without a secret: shown as connection health.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenStatus {
    Valid {
        access_expires_at: DateTime<Utc>,
        refresh_issued_at: DateTime<Utc>,
        /// The pair in use could not be written to the keychain (why, and
        /// what to do). It is kept in memory and the write is retried; if the
        /// process ends first, the next start needs a reconnect.
        keychain_write_pending: Option<UserError>,
    },
    /// Box refused the refresh token; only a new sign-in helps.
    NeedsReconnect(UserError),
    Missing,
}

struct Cached {
    tokens: Option<TokenSet>,
    /// Bumped on every change, so a waiter can tell someone else refreshed.
    generation: u64,
    /// Set while `tokens` is missing from the keychain.
    unsaved: Option<Unsaved>,
}

/// A rotated pair whose keychain write failed: the keychain still holds the
/// pair it replaced, whose refresh token Box has already spent.
#[derive(Clone)]
struct Unsaved {
    spent_refresh_token: Sensitive<String>,
    error: UserError,
    failures: u32,
    retry_at: DateTime<Utc>,
}

/// The newest valid pair found under the refresh lock.
struct Newest {
    tokens: TokenSet,
    unsaved: Option<Unsaved>,
}

/// The longest wait between two retries of a failed keychain write.
const MAX_WRITE_BACKOFF_SECS: i64 = 300;

pub struct TokenManager {
    oauth: OAuthClient,
    vault: Arc<dyn TokenVault>,
    clock: SharedClock,
    /// Shared with other processes; `None` serializes refreshes in this
    /// manager only.
    cross_process: Option<RefreshLock>,
    cached: std::sync::Mutex<Cached>,
    refresh_lock: Mutex<()>,
    status: watch::Sender<TokenStatus>,
}

/// A token handed to a request, with the generation it came from so a 401
/// can ask for a refresh of exactly that token.
#[derive(Clone, Debug)]
pub struct LeasedToken {
    pub token: Sensitive<String>,
    generation: u64,
}

impl TokenManager {
    pub fn new(oauth: OAuthClient, vault: Arc<dyn TokenVault>, initial: Option<TokenSet>) -> Self {
        let status = match &initial {
            Some(t) => valid_status(t, None),
            None => TokenStatus::Missing,
        };
        TokenManager {
            oauth,
            vault,
            clock: SharedClock::system(),
            cross_process: None,
            cached: std::sync::Mutex::new(Cached {
                tokens: initial,
                generation: 0,
                unsaved: None,
            }),
            refresh_lock: Mutex::new(()),
            status: watch::channel(status).0,
        }
    }

    /// The clock that decides when a token is due and stamps new ones
    /// (given to the OAuth client too).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.oauth = self.oauth.with_clock(clock.clone());
        self.clock = clock;
        self
    }

    /// Refresh under `lock` too, the lock every process using this
    /// connection's keychain entry takes.
    pub fn with_refresh_lock(mut self, lock: RefreshLock) -> Self {
        self.cross_process = Some(lock);
        self
    }

    pub fn oauth(&self) -> &OAuthClient {
        &self.oauth
    }

    pub fn status(&self) -> TokenStatus {
        self.status.borrow().clone()
    }

    pub fn watch_status(&self) -> watch::Receiver<TokenStatus> {
        self.status.subscribe()
    }

    /// A usable access token, refreshing first if it is (nearly) expired.
    pub async fn access_token(&self) -> Result<LeasedToken, UserError> {
        let now = self.clock.now();
        let (current, generation, write_due) = {
            let c = self.cached.lock().expect("token cache lock");
            let due = c.unsaved.as_ref().is_some_and(|u| now >= u.retry_at);
            (c.tokens.clone(), c.generation, due)
        };
        match current {
            Some(t) if !t.needs_refresh(now) => {
                if write_due {
                    // Best effort: the pair in memory stays usable whatever
                    // the keychain does.
                    if let Ok(leased) = self.refresh_after(generation, None).await {
                        return Ok(leased);
                    }
                }
                Ok(LeasedToken {
                    token: t.access_token,
                    generation,
                })
            }
            _ => self.refresh_after(generation, None).await,
        }
    }

    /// Before the process exits: one more try at a keychain write that
    /// failed. Returns why it still failed: the rotated pair then dies with
    /// this process, and the admin must be told.
    pub async fn save_pending_now(&self) -> Option<UserError> {
        let generation = {
            let mut c = self.cached.lock().expect("token cache lock");
            let now = self.clock.now();
            c.unsaved.as_mut()?.retry_at = now;
            c.generation
        };
        let _ = self.refresh_after(generation, None).await;
        match self.status() {
            TokenStatus::Valid {
                keychain_write_pending,
                ..
            } => keychain_write_pending,
            _ => None,
        }
    }

    /// Box answered 401 to `rejected`: refresh unless someone already did.
    pub async fn refresh_rejected(&self, rejected: &LeasedToken) -> Result<LeasedToken, UserError> {
        self.refresh_after(rejected.generation, Some(&rejected.token))
            .await
    }

    #[cfg(test)]
    fn current(&self) -> (Option<TokenSet>, u64) {
        let c = self.cached.lock().expect("token cache lock");
        (c.tokens.clone(), c.generation)
    }

    /// A pair can be handed out: not due, and not the token Box just refused.
    fn usable(&self, tokens: &TokenSet, rejected: Option<&Sensitive<String>>) -> bool {
        !tokens.needs_refresh(self.clock.now())
            && rejected.is_none_or(|r| r.expose() != tokens.access_token.expose())
    }

    /// Single-flight refresh. `seen` is the generation the caller found
    /// stale; if the cache moved on while it waited for the lock, the newer
    /// token is used and Box is not asked again.
    async fn refresh_after(
        &self,
        seen: u64,
        rejected: Option<&Sensitive<String>>,
    ) -> Result<LeasedToken, UserError> {
        let _in_process = self.refresh_lock.lock().await;
        {
            let c = self.cached.lock().expect("token cache lock");
            if c.generation != seen {
                if let Some(t) = c.tokens.as_ref().filter(|t| self.usable(t, rejected)) {
                    return Ok(LeasedToken {
                        token: t.access_token.clone(),
                        generation: c.generation,
                    });
                }
            }
        }
        if let TokenStatus::NeedsReconnect(err) = self.status() {
            return Err(err);
        }
        let _cross_process = match &self.cross_process {
            Some(lock) => Some(lock.acquire().await?),
            None => None,
        };
        let Newest { tokens, unsaved } = self.newest_pair().await?;
        let unsaved = match unsaved {
            // The keychain must not keep a spent refresh token: write again.
            Some(u) => self.save_or_keep(&tokens, u).await,
            None => None,
        };
        if self.usable(&tokens, rejected) {
            return Ok(self.install(tokens, unsaved));
        }
        self.rotate(tokens, unsaved, rejected).await
    }

    /// Under the refresh lock: the newest valid pair, from the keychain
    /// (another process may have rotated) unless the one in memory is newer
    /// because its keychain write failed.
    async fn newest_pair(&self) -> Result<Newest, UserError> {
        let (cached, unsaved) = {
            let c = self.cached.lock().expect("token cache lock");
            (c.tokens.clone(), c.unsaved.clone())
        };
        let stored = self.load().await;
        let (Some(unsaved), Some(ours)) = (unsaved, cached) else {
            return match stored? {
                Some(tokens) => Ok(Newest {
                    tokens,
                    unsaved: None,
                }),
                None => Err(self.forget_missing()),
            };
        };
        match stored {
            // Unreadable, or still the spent pair: ours is the newest known.
            Err(_) => Ok(Newest {
                tokens: ours,
                unsaved: Some(unsaved),
            }),
            Ok(Some(s)) if s.refresh_token.expose() == unsaved.spent_refresh_token.expose() => {
                Ok(Newest {
                    tokens: ours,
                    unsaved: Some(unsaved),
                })
            }
            // Ours got there after all, or another process has moved on
            // (a new sign-in): never overwrite a newer pair with ours.
            Ok(Some(s)) => Ok(Newest {
                tokens: if s.same_refresh_token(&ours) { ours } else { s },
                unsaved: None,
            }),
            Ok(None) => Err(self.forget_missing()),
        }
    }

    /// Refreshes `base` at Box and keeps the new pair. On `invalid_grant`
    /// the keychain is read once more: if another process spent `base`'s
    /// refresh token and saved its pair, that pair is used.
    async fn rotate(
        &self,
        mut base: TokenSet,
        mut unsaved: Option<Unsaved>,
        rejected: Option<&Sensitive<String>>,
    ) -> Result<LeasedToken, UserError> {
        let mut reread = true;
        loop {
            match self.oauth.refresh(&base.refresh_token).await {
                Ok(fresh) => {
                    let fresh = keep_unrotated_refresh_token(fresh, &base);
                    // The keychain holds the spent pair still, if an earlier write failed.
                    let keychain_holds = match unsaved {
                        Some(u) => u.spent_refresh_token,
                        None => base.refresh_token,
                    };
                    return Ok(self.persist(fresh, keychain_holds).await);
                }
                Err(err) if err.code == ErrorCode::NeedsReconnect && reread => {
                    reread = false;
                    let spent = unsaved
                        .as_ref()
                        .map(|u| u.spent_refresh_token.expose().clone());
                    match self.load().await {
                        Ok(Some(winner))
                            if !winner.same_refresh_token(&base)
                                && Some(winner.refresh_token.expose()) != spent.as_ref() =>
                        {
                            tracing::info!(
                                "the refresh token was spent by another process; using its pair"
                            );
                            if self.usable(&winner, rejected) {
                                return Ok(self.install(winner, None));
                            }
                            base = winner;
                            unsaved = None;
                        }
                        _ => return Err(self.mark_needs_reconnect(err)),
                    }
                }
                Err(err) if err.code == ErrorCode::NeedsReconnect => {
                    return Err(self.mark_needs_reconnect(err))
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Keychain first, then use. A failed write keeps the pair: Box has
    /// already spent the refresh token the keychain holds.
    async fn persist(&self, fresh: TokenSet, keychain_holds: Sensitive<String>) -> LeasedToken {
        // The one window no ordering can close: if the process dies right
        // here, Box has already rotated. Under strict rotation the old
        // refresh token in the keychain is dead and the new one existed only
        // in this process's memory, so the next run gets `invalid_grant` and
        // ends in "needs reconnect" (the admin signs in again). Under grace
        // rotation Box answers the old token with the same new pair until
        // that pair is used, so the next run simply refreshes again.
        failpoint::hit(failpoint::AFTER_REFRESH_BEFORE_KEYCHAIN);
        match self.save(&fresh).await {
            Ok(()) => {
                failpoint::hit(failpoint::AFTER_KEYCHAIN_BEFORE_USE);
                self.install(fresh, None)
            }
            Err(error) => {
                let unsaved = Unsaved {
                    spent_refresh_token: keychain_holds,
                    error: error.clone(),
                    failures: 0,
                    retry_at: self.clock.now(),
                };
                let unsaved = self.failed_again(unsaved, error);
                self.install(fresh, Some(unsaved))
            }
        }
    }

    /// Retries the write of the pair only this process holds.
    async fn save_or_keep(&self, tokens: &TokenSet, unsaved: Unsaved) -> Option<Unsaved> {
        match self.save(tokens).await {
            Ok(()) => {
                tracing::info!("the renewed sign-in is now saved in the keychain");
                None
            }
            Err(error) => Some(self.failed_again(unsaved, error)),
        }
    }

    /// Counts a failed write and schedules the next try (1 s, 2 s, 4 s, … 5 min).
    fn failed_again(&self, mut unsaved: Unsaved, error: UserError) -> Unsaved {
        unsaved.failures += 1;
        let backoff = 1i64
            .checked_shl(unsaved.failures.saturating_sub(1).min(16))
            .unwrap_or(MAX_WRITE_BACKOFF_SECS)
            .min(MAX_WRITE_BACKOFF_SECS);
        unsaved.retry_at = self.clock.now() + chrono::Duration::seconds(backoff);
        tracing::warn!(
            failures = unsaved.failures,
            "the renewed sign-in could not be saved to the keychain; it stays in memory and the write is retried in {backoff} s: {}",
            error.message
        );
        unsaved.error = UserError::new(
            error.code,
            format!(
                "The renewed sign-in could not be saved to the system keychain ({}). Box Connector keeps using it and tries again; if it quits before then, you will have to reconnect.",
                error.message
            ),
            error.hint,
        );
        unsaved
    }

    fn install(&self, tokens: TokenSet, unsaved: Option<Unsaved>) -> LeasedToken {
        let mut c = self.cached.lock().expect("token cache lock");
        c.generation += 1;
        self.status.send_replace(valid_status(
            &tokens,
            unsaved.as_ref().map(|u| u.error.clone()),
        ));
        let leased = LeasedToken {
            token: tokens.access_token.clone(),
            generation: c.generation,
        };
        c.tokens = Some(tokens);
        c.unsaved = unsaved;
        leased
    }

    fn mark_needs_reconnect(&self, err: UserError) -> UserError {
        self.status
            .send_replace(TokenStatus::NeedsReconnect(err.clone()));
        err
    }

    /// The keychain entry is gone (disconnected elsewhere).
    fn forget_missing(&self) -> UserError {
        self.cached.lock().expect("token cache lock").unsaved = None;
        self.status.send_replace(TokenStatus::Missing);
        not_connected()
    }

    async fn load(&self) -> Result<Option<TokenSet>, UserError> {
        let vault = self.vault.clone();
        blocking(move || vault.load()).await
    }

    async fn save(&self, tokens: &TokenSet) -> Result<(), UserError> {
        let vault = self.vault.clone();
        let to_save = tokens.clone();
        blocking(move || vault.save(&to_save)).await
    }

    /// Disconnect: revoke at Box (best effort), then remove the keychain entry.
    /// Returns the revoke error, if any, after the local entry is gone.
    pub async fn revoke_and_forget(&self) -> Result<Option<UserError>, UserError> {
        let _in_process = self.refresh_lock.lock().await;
        // So another process's refresh cannot write its pair back after the
        // entry is gone. Disconnect goes ahead even if the lock is stuck.
        let _cross_process = match &self.cross_process {
            Some(lock) => lock.acquire().await.ok(),
            None => None,
        };
        let (cached, only_in_memory) = {
            let c = self.cached.lock().expect("token cache lock");
            (c.tokens.clone(), c.unsaved.is_some())
        };
        let stored = self.load().await.ok().flatten();
        // A pair only in memory is the live one; the keychain's is spent.
        let tokens = if only_in_memory {
            cached
        } else {
            stored.or(cached)
        };
        let revoke_error = match tokens {
            Some(t) => self.oauth.revoke(&t.refresh_token).await.err(),
            None => None,
        };
        let vault = self.vault.clone();
        blocking(move || vault.clear()).await?;
        let mut c = self.cached.lock().expect("token cache lock");
        c.tokens = None;
        c.unsaved = None;
        c.generation += 1;
        self.status.send_replace(TokenStatus::Missing);
        Ok(revoke_error)
    }
}

fn valid_status(tokens: &TokenSet, keychain_write_pending: Option<UserError>) -> TokenStatus {
    TokenStatus::Valid {
        access_expires_at: tokens.access_expires_at,
        refresh_issued_at: tokens.refresh_issued_at,
        keychain_write_pending,
    }
}

/// A server that did not rotate answers without a refresh token: the old
/// one stays in use.
fn keep_unrotated_refresh_token(fresh: TokenSet, base: &TokenSet) -> TokenSet {
    if fresh.refresh_token.expose().is_empty() {
        TokenSet {
            refresh_token: base.refresh_token.clone(),
            refresh_issued_at: base.refresh_issued_at,
            ..fresh
        }
    } else {
        fresh
    }
}

pub fn not_connected() -> UserError {
    UserError::new(
        ErrorCode::NotConnected,
        "Box Connector is not connected to Box.",
        "Pick a data center and click Connect.",
    )
}

pub fn needs_reconnect(message: impl Into<String>) -> UserError {
    UserError::new(ErrorCode::NeedsReconnect, message, RECONNECT_HINT)
}

/// Runs a keychain call (synchronous platform API) off the async runtime.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UserError> + Send + 'static,
) -> Result<T, UserError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
        Err(UserError::new(
            ErrorCode::Internal,
            "The keychain call stopped unexpectedly.",
            "Try again; if it persists, restart Box Connector.",
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use axum::routing::post;
    use axum::{Form, Router};

    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::datacenter::Endpoints;

    /// Counts saves; can be told to fail them (a keychain that went away).
    #[derive(Default)]
    struct TestVault {
        tokens: std::sync::Mutex<Option<TokenSet>>,
        saves: AtomicUsize,
        save_attempts: AtomicUsize,
        fail_saves: AtomicBool,
    }

    impl TestVault {
        fn holding(tokens: TokenSet) -> Arc<TestVault> {
            let vault = TestVault::default();
            vault.tokens.lock().unwrap().replace(tokens);
            Arc::new(vault)
        }

        fn refresh_token(&self) -> String {
            self.load().unwrap().unwrap().refresh_token.expose().clone()
        }
    }

    impl TokenVault for TestVault {
        fn load(&self) -> Result<Option<TokenSet>, UserError> {
            Ok(self.tokens.lock().unwrap().clone())
        }
        fn save(&self, tokens: &TokenSet) -> Result<(), UserError> {
            self.save_attempts.fetch_add(1, Ordering::SeqCst);
            if self.fail_saves.load(Ordering::SeqCst) {
                return Err(UserError::new(
                    ErrorCode::KeychainLocked,
                    "locked",
                    "unlock it",
                ));
            }
            self.saves.fetch_add(1, Ordering::SeqCst);
            *self.tokens.lock().unwrap() = Some(tokens.clone());
            Ok(())
        }
        fn clear(&self) -> Result<(), UserError> {
            *self.tokens.lock().unwrap() = None;
            Ok(())
        }
    }

    fn pair(access: &str, refresh: &str, issued: DateTime<Utc>, life_secs: i64) -> TokenSet {
        TokenSet {
            access_token: Sensitive::new(access.into()),
            refresh_token: Sensitive::new(refresh.into()),
            access_expires_at: issued + chrono::Duration::seconds(life_secs),
            access_issued_at: issued,
            refresh_issued_at: issued,
        }
    }

    fn expired(clock: &ManualClock) -> TokenSet {
        pair(
            "old-access",
            "old-refresh",
            clock.now() - chrono::Duration::hours(1),
            3599,
        )
    }

    /// A token endpoint with strict rotation, like Box: only the newest
    /// refresh token is accepted, and each use replaces it. Slow enough
    /// that callers pile up. `on_refused` runs before an `invalid_grant`.
    struct StrictServer {
        origin: String,
        calls: Arc<AtomicUsize>,
    }

    async fn strict_server(
        first_refresh_token: &str,
        on_refused: Arc<dyn Fn() + Send + Sync>,
    ) -> StrictServer {
        let calls = Arc::new(AtomicUsize::new(0));
        let live = Arc::new(std::sync::Mutex::new(first_refresh_token.to_string()));
        let counted = calls.clone();
        let app = Router::new().route(
            "/oauth2/token",
            post(move |Form(form): Form<HashMap<String, String>>| {
                let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
                let live = live.clone();
                let on_refused = on_refused.clone();
                async move {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    let accepted = {
                        let mut live = live.lock().unwrap();
                        let ok = form.get("refresh_token") == Some(&*live);
                        if ok {
                            *live = format!("refresh-{n}");
                        }
                        ok
                    };
                    if !accepted {
                        on_refused();
                        return (
                            axum::http::StatusCode::BAD_REQUEST,
                            axum::Json(serde_json::json!({"error":"invalid_grant","error_description":"Invalid refresh token"})),
                        );
                    }
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(serde_json::json!({
                            "access_token": format!("access-{n}"),
                            "refresh_token": format!("refresh-{n}"),
                            "expires_in": 3600
                        })),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        StrictServer { origin, calls }
    }

    impl StrictServer {
        async fn start() -> StrictServer {
            strict_server("old-refresh", Arc::new(|| {})).await
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    fn oauth(origin: &str) -> OAuthClient {
        OAuthClient::new(
            OAuthClient::default_http(),
            Endpoints::under_origin(origin),
            "cid".into(),
            Sensitive::new("secret".into()),
        )
    }

    /// A manager whose cache and keychain both hold an expired pair.
    fn manager(origin: &str, vault: Arc<TestVault>, clock: &ManualClock) -> TokenManager {
        vault.tokens.lock().unwrap().replace(expired(clock));
        TokenManager::new(oauth(origin), vault, Some(expired(clock)))
            .with_clock(clock.clone().into())
    }

    fn pending_write(m: &TokenManager) -> Option<UserError> {
        match m.status() {
            TokenStatus::Valid {
                keychain_write_pending,
                ..
            } => keychain_write_pending,
            other => panic!("not valid: {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_on_an_expired_token_share_one_refresh() {
        let server = StrictServer::start().await;
        let clock = ManualClock::starting_now();
        let vault = Arc::new(TestVault::default());
        let m = Arc::new(manager(&server.origin, vault.clone(), &clock));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let m = m.clone();
                tokio::spawn(async move { m.access_token().await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().token.expose(), "access-1");
        }
        assert_eq!(server.calls(), 1);
        assert_eq!(vault.saves.load(Ordering::SeqCst), 1);
        assert_eq!(vault.refresh_token(), "refresh-1");
    }

    /// Two managers on one keychain entry and one lock file stand for the
    /// app and the CLI: the second to get the lock finds the first one's
    /// pair in the keychain and does not spend the (dead) old token.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_processes_sharing_the_lock_file_refresh_once() {
        let server = StrictServer::start().await;
        let clock = ManualClock::starting_now();
        let dir = tempfile::tempdir().unwrap();
        let vault = Arc::new(TestVault::default());
        let lock = RefreshLock::for_connection(dir.path(), "sandbox");
        let app = Arc::new(
            manager(&server.origin, vault.clone(), &clock).with_refresh_lock(lock.clone()),
        );
        let cli = Arc::new(manager(&server.origin, vault.clone(), &clock).with_refresh_lock(lock));
        let (a, b) = tokio::join!(
            tokio::spawn({
                let app = app.clone();
                async move { app.access_token().await }
            }),
            tokio::spawn({
                let cli = cli.clone();
                async move { cli.access_token().await }
            }),
        );
        let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
        assert_eq!(a.token.expose(), "access-1");
        assert_eq!(b.token.expose(), "access-1");
        assert_eq!(server.calls(), 1, "one refresh at Box");
        assert_eq!(vault.refresh_token(), "refresh-1");
        assert!(matches!(cli.status(), TokenStatus::Valid { .. }));
        assert!(matches!(app.status(), TokenStatus::Valid { .. }));
    }

    /// A process without the lock (an older build) spent the refresh token
    /// first and saved its pair: `invalid_grant` is not the end.
    #[tokio::test]
    async fn invalid_grant_after_a_lost_race_picks_up_the_winners_pair() {
        let clock = ManualClock::starting_now();
        let vault = Arc::new(TestVault::default());
        let winner = pair("winner-access", "winner-refresh", clock.now(), 3600);
        let server = strict_server("someone-elses", {
            let vault = vault.clone();
            let winner = winner.clone();
            Arc::new(move || *vault.tokens.lock().unwrap() = Some(winner.clone()))
        })
        .await;
        let m = manager(&server.origin, vault.clone(), &clock);
        let leased = m.access_token().await.expect("the winner's pair is used");
        assert_eq!(leased.token.expose(), "winner-access");
        assert_eq!(server.calls(), 1, "no second call at Box");
        assert!(matches!(m.status(), TokenStatus::Valid { .. }));
        assert_eq!(vault.refresh_token(), "winner-refresh");
    }

    #[tokio::test]
    async fn a_rotated_pair_is_kept_and_used_when_the_keychain_write_fails() {
        let server = StrictServer::start().await;
        let clock = ManualClock::starting_now();
        let vault = Arc::new(TestVault::default());
        let m = manager(&server.origin, vault.clone(), &clock);
        vault.fail_saves.store(true, Ordering::SeqCst);

        // Box has rotated: the new pair is the only valid one, so it is used.
        let leased = m.access_token().await.expect("the rotated pair is used");
        assert_eq!(leased.token.expose(), "access-1");
        assert_eq!(server.calls(), 1);
        let pending = pending_write(&m).expect("the status says the write is pending");
        assert_eq!(pending.code, ErrorCode::KeychainLocked);
        assert!(
            pending.message.contains("could not be saved"),
            "{pending:?}"
        );
        assert_eq!(
            vault.refresh_token(),
            "old-refresh",
            "the keychain write failed"
        );

        // Within the backoff the keychain is left alone.
        let attempts = vault.save_attempts.load(Ordering::SeqCst);
        m.access_token().await.unwrap();
        assert_eq!(vault.save_attempts.load(Ordering::SeqCst), attempts);

        // After it, the next use writes again; still failing, it still works.
        clock.advance_secs(1);
        assert_eq!(m.access_token().await.unwrap().token.expose(), "access-1");
        assert_eq!(vault.save_attempts.load(Ordering::SeqCst), attempts + 1);
        assert!(pending_write(&m).is_some());

        // The next refresh spends the pair in memory, not the keychain's
        // spent one (the strict server would answer invalid_grant).
        clock.advance_secs(3600);
        let leased = m
            .access_token()
            .await
            .expect("refreshes with the kept pair");
        assert_eq!(leased.token.expose(), "access-2");
        assert_eq!(server.calls(), 2);

        // Once the keychain works again the pair lands there.
        vault.fail_saves.store(false, Ordering::SeqCst);
        clock.advance_secs(MAX_WRITE_BACKOFF_SECS);
        assert_eq!(m.access_token().await.unwrap().token.expose(), "access-2");
        assert_eq!(vault.refresh_token(), "refresh-2");
        assert_eq!(pending_write(&m), None, "the warning is gone");
        assert_eq!(server.calls(), 2);
    }

    #[tokio::test]
    async fn before_exit_a_pending_write_is_tried_at_once_and_a_failure_is_reported() {
        let server = StrictServer::start().await;
        let clock = ManualClock::starting_now();
        let vault = Arc::new(TestVault::default());
        let m = manager(&server.origin, vault.clone(), &clock);
        assert_eq!(m.save_pending_now().await, None, "nothing pending");

        vault.fail_saves.store(true, Ordering::SeqCst);
        m.access_token().await.unwrap();
        let attempts = vault.save_attempts.load(Ordering::SeqCst);
        // Still inside the backoff, yet tried now: the process is leaving.
        let still = m.save_pending_now().await.expect("still unsaved: said so");
        assert_eq!(still.code, ErrorCode::KeychainLocked);
        assert_eq!(vault.save_attempts.load(Ordering::SeqCst), attempts + 1);

        vault.fail_saves.store(false, Ordering::SeqCst);
        assert_eq!(m.save_pending_now().await, None);
        assert_eq!(
            vault.refresh_token(),
            "refresh-1",
            "the rotated pair is saved"
        );
        assert_eq!(server.calls(), 1, "no refresh at Box for it");
    }

    #[tokio::test]
    async fn a_pending_write_never_overwrites_a_newer_pair_in_the_keychain() {
        let server = StrictServer::start().await;
        let clock = ManualClock::starting_now();
        let vault = Arc::new(TestVault::default());
        let m = manager(&server.origin, vault.clone(), &clock);
        vault.fail_saves.store(true, Ordering::SeqCst);
        m.access_token().await.unwrap();
        assert!(pending_write(&m).is_some());

        // Meanwhile the admin signed in again from the CLI.
        let newer = pair("cli-access", "cli-refresh", clock.now(), 3600);
        *vault.tokens.lock().unwrap() = Some(newer);
        vault.fail_saves.store(false, Ordering::SeqCst);
        clock.advance_secs(2);
        assert_eq!(m.access_token().await.unwrap().token.expose(), "cli-access");
        assert_eq!(vault.refresh_token(), "cli-refresh");
        assert_eq!(pending_write(&m), None);
    }

    #[tokio::test]
    async fn the_injected_clock_decides_when_a_refresh_is_due() {
        let server = StrictServer::start().await;
        let clock = ManualClock::starting_now();
        let fresh = pair("old-access", "old-refresh", clock.now(), 3600);
        let vault = TestVault::holding(fresh.clone());
        let m = TokenManager::new(oauth(&server.origin), vault.clone(), Some(fresh))
            .with_clock(clock.clone().into());
        assert_eq!(m.access_token().await.unwrap().token.expose(), "old-access");
        clock.advance_secs(3000);
        assert_eq!(m.access_token().await.unwrap().token.expose(), "old-access");
        assert_eq!(server.calls(), 0);
        clock.advance_secs(300);
        assert_eq!(m.access_token().await.unwrap().token.expose(), "access-1");
        assert_eq!(server.calls(), 1);
        let stored = vault.load().unwrap().unwrap();
        assert_eq!(stored.access_issued_at, clock.now(), "stamped by the clock");
        assert_eq!(
            stored.access_expires_at,
            clock.now() + chrono::Duration::seconds(3600)
        );
    }

    #[tokio::test]
    async fn a_401_refreshes_even_when_the_clock_says_the_token_is_fresh() {
        let server = StrictServer::start().await;
        let clock = ManualClock::starting_now();
        let fresh = pair("old-access", "old-refresh", clock.now(), 3600);
        let vault = TestVault::holding(fresh.clone());
        let m = TokenManager::new(oauth(&server.origin), vault, Some(fresh))
            .with_clock(clock.clone().into());
        let leased = m.access_token().await.unwrap();
        let again = m.refresh_rejected(&leased).await.unwrap();
        assert_eq!(again.token.expose(), "access-1");
        // A second 401 for the same old lease reuses the refresh.
        assert_eq!(
            m.refresh_rejected(&leased).await.unwrap().token.expose(),
            "access-1"
        );
        assert_eq!(server.calls(), 1);
    }

    #[tokio::test]
    async fn invalid_grant_marks_needs_reconnect_and_stops_asking() {
        let server = strict_server("some-other-token", Arc::new(|| {})).await;
        let clock = ManualClock::starting_now();
        let m = manager(&server.origin, Arc::new(TestVault::default()), &clock);
        let err = m.access_token().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NeedsReconnect);
        assert!(err.hint.contains("Reconnect"));
        assert!(matches!(m.status(), TokenStatus::NeedsReconnect(_)));
        assert_eq!(
            m.access_token().await.unwrap_err().code,
            ErrorCode::NeedsReconnect
        );
        assert_eq!(server.calls(), 1, "a dead refresh token is not retried");
        assert_eq!(m.current().0.unwrap().access_token.expose(), "old-access");
    }

    #[tokio::test]
    async fn without_a_revoke_url_disconnect_sends_nothing_and_still_forgets() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let app = Router::new().fallback(move || {
            c.fetch_add(1, Ordering::SeqCst);
            async { "ok" }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut endpoints = Endpoints::under_origin(&origin);
        endpoints.revoke_url = None;
        let clock = ManualClock::starting_now();
        let vault = TestVault::holding(expired(&clock));
        let oauth = OAuthClient::new(
            OAuthClient::default_http(),
            endpoints,
            "cid".into(),
            Sensitive::new("secret".into()),
        );
        let m = TokenManager::new(oauth, vault.clone(), Some(expired(&clock)));
        let warning = m.revoke_and_forget().await.unwrap().expect("says so");
        assert_eq!(warning.code, ErrorCode::RevokeSkipped);
        assert!(warning.message.contains("not revoked"), "{warning:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "no request at all");
        assert!(vault.load().unwrap().is_none(), "keychain entry removed");
        assert_eq!(m.status(), TokenStatus::Missing);
    }
}
