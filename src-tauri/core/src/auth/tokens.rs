//! The token set of one connection and the manager that keeps it fresh.
//!
//! Order of operations on refresh (the point of this module):
//! 1. only one refresh runs at a time (an async mutex; waiters reuse its result);
//! 2. the keychain is re-read first — another process may already have refreshed;
//! 3. Box answers with a new pair and invalidates the old refresh token;
//! 4. the new pair is written to the keychain BEFORE the access token is used,
//!    so a crash after step 3 never leaves the only valid refresh token in memory.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Mutex};

use crate::error::{ErrorCode, UserError};
use crate::keychain::{Keychain, Sensitive};

use super::failpoint;
use super::oauth::{OAuthClient, RECONNECT_HINT};

/// One connection's tokens. Debug is redacted field by field.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub access_token: Sensitive<String>,
    pub refresh_token: Sensitive<String>,
    pub access_expires_at: DateTime<Utc>,
    pub access_issued_at: DateTime<Utc>,
    /// When the current refresh token was issued (its 60-day life starts here).
    pub refresh_issued_at: DateTime<Utc>,
}

/// The keychain entry's shape. Private: the only place a token is turned into
/// text is the keychain write.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access_token: String,
    refresh_token: String,
    access_expires_at: DateTime<Utc>,
    access_issued_at: DateTime<Utc>,
    refresh_issued_at: DateTime<Utc>,
}

impl TokenSet {
    pub fn to_secret(&self) -> Sensitive<String> {
        let stored = StoredTokens {
            access_token: self.access_token.expose().clone(),
            refresh_token: self.refresh_token.expose().clone(),
            access_expires_at: self.access_expires_at,
            access_issued_at: self.access_issued_at,
            refresh_issued_at: self.refresh_issued_at,
        };
        Sensitive::new(serde_json::to_string(&stored).expect("plain struct serializes"))
    }

    pub fn from_secret(secret: &Sensitive<String>) -> Option<TokenSet> {
        let s: StoredTokens = serde_json::from_str(secret.expose()).ok()?;
        Some(TokenSet {
            access_token: Sensitive::new(s.access_token),
            refresh_token: Sensitive::new(s.refresh_token),
            access_expires_at: s.access_expires_at,
            access_issued_at: s.access_issued_at,
            refresh_issued_at: s.refresh_issued_at,
        })
    }

    /// Refresh when less than a tenth of the token's life (at most 5 minutes)
    /// is left, so a request never goes out with a token about to die.
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        let life = self.access_expires_at - self.access_issued_at;
        let margin = std::cmp::min(life / 10, chrono::Duration::minutes(5));
        now + margin >= self.access_expires_at
    }
}

/// Where a connection's tokens persist. The app uses the keychain; the trait
/// exists so the manager's ordering can be tested without one.
pub trait TokenVault: Send + Sync + 'static {
    fn load(&self) -> Result<Option<TokenSet>, UserError>;
    fn save(&self, tokens: &TokenSet) -> Result<(), UserError>;
    fn clear(&self) -> Result<(), UserError>;
}

/// One keychain entry per connection: account `connection:<datacenter id>`.
pub struct KeychainVault {
    keychain: Keychain,
    account: String,
}

impl KeychainVault {
    pub fn new(keychain: Keychain, datacenter_id: &str) -> Self {
        KeychainVault {
            keychain,
            account: Self::account_for(datacenter_id),
        }
    }

    pub fn account_for(datacenter_id: &str) -> String {
        format!("connection:{datacenter_id}")
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
    },
    /// Box refused the refresh token; only a new sign-in helps.
    NeedsReconnect(UserError),
    Missing,
}

struct Cached {
    tokens: Option<TokenSet>,
    /// Bumped on every change, so a waiter can tell someone else refreshed.
    generation: u64,
}

pub struct TokenManager {
    oauth: OAuthClient,
    vault: Arc<dyn TokenVault>,
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
            Some(t) => TokenStatus::Valid {
                access_expires_at: t.access_expires_at,
                refresh_issued_at: t.refresh_issued_at,
            },
            None => TokenStatus::Missing,
        };
        TokenManager {
            oauth,
            vault,
            cached: std::sync::Mutex::new(Cached {
                tokens: initial,
                generation: 0,
            }),
            refresh_lock: Mutex::new(()),
            status: watch::channel(status).0,
        }
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
        let (current, generation) = self.current();
        match current {
            Some(t) if !t.needs_refresh(Utc::now()) => Ok(LeasedToken {
                token: t.access_token,
                generation,
            }),
            _ => self.refresh_after(generation).await,
        }
    }

    /// Box answered 401 to `rejected`: refresh unless someone already did.
    pub async fn refresh_rejected(&self, rejected: &LeasedToken) -> Result<LeasedToken, UserError> {
        self.refresh_after(rejected.generation).await
    }

    fn current(&self) -> (Option<TokenSet>, u64) {
        let c = self.cached.lock().expect("token cache lock");
        (c.tokens.clone(), c.generation)
    }

    /// Single-flight refresh. `seen` is the generation the caller found
    /// stale; if the cache moved on while it waited for the lock, the newer
    /// token is used and Box is not asked again.
    async fn refresh_after(&self, seen: u64) -> Result<LeasedToken, UserError> {
        let _guard = self.refresh_lock.lock().await;
        let (current, generation) = self.current();
        if generation != seen {
            if let Some(t) = current.as_ref().filter(|t| !t.needs_refresh(Utc::now())) {
                return Ok(LeasedToken {
                    token: t.access_token.clone(),
                    generation,
                });
            }
        }
        if let TokenStatus::NeedsReconnect(err) = self.status() {
            return Err(err);
        }

        // Another process (the CLI beside the app) may have refreshed already.
        let vault = self.vault.clone();
        let stored = blocking(move || vault.load()).await?;
        let Some(stored) = stored else {
            self.status.send_replace(TokenStatus::Missing);
            return Err(not_connected());
        };
        let cached_access = current.as_ref().map(|t| t.access_token.expose().clone());
        if !stored.needs_refresh(Utc::now())
            && Some(stored.access_token.expose()) != cached_access.as_ref()
        {
            return Ok(self.install(stored));
        }

        let fresh = match self.oauth.refresh(&stored.refresh_token).await {
            Ok(t) => t,
            Err(err) => {
                if err.code == ErrorCode::NeedsReconnect {
                    self.status
                        .send_replace(TokenStatus::NeedsReconnect(err.clone()));
                }
                return Err(err);
            }
        };
        let fresh = if fresh.refresh_token.expose().is_empty() {
            // The server did not rotate: keep using the old refresh token.
            TokenSet {
                refresh_token: stored.refresh_token.clone(),
                refresh_issued_at: stored.refresh_issued_at,
                ..fresh
            }
        } else {
            fresh
        };

        // The one window no ordering can close: if the process dies right
        // here, Box has already rotated. Under strict rotation the old
        // refresh token in the keychain is dead and the new one existed only
        // in this process's memory, so the next run gets `invalid_grant` and
        // ends in "needs reconnect" (the admin signs in again). Under grace
        // rotation Box answers the old token with the same new pair until
        // that pair is used, so the next run simply refreshes again.
        failpoint::hit(failpoint::AFTER_REFRESH_BEFORE_KEYCHAIN);
        // Persist first: the old refresh token is already dead at Box.
        let vault = self.vault.clone();
        let to_save = fresh.clone();
        blocking(move || vault.save(&to_save)).await?;
        failpoint::hit(failpoint::AFTER_KEYCHAIN_BEFORE_USE);
        Ok(self.install(fresh))
    }

    fn install(&self, tokens: TokenSet) -> LeasedToken {
        let mut c = self.cached.lock().expect("token cache lock");
        c.generation += 1;
        self.status.send_replace(TokenStatus::Valid {
            access_expires_at: tokens.access_expires_at,
            refresh_issued_at: tokens.refresh_issued_at,
        });
        let leased = LeasedToken {
            token: tokens.access_token.clone(),
            generation: c.generation,
        };
        c.tokens = Some(tokens);
        leased
    }

    /// Disconnect: revoke at Box (best effort), then remove the keychain entry.
    /// Returns the revoke error, if any, after the local entry is gone.
    pub async fn revoke_and_forget(&self) -> Result<Option<UserError>, UserError> {
        let vault = self.vault.clone();
        let stored = blocking(move || vault.load()).await.ok().flatten();
        let tokens = stored.or_else(|| self.current().0);
        let revoke_error = match tokens {
            Some(t) => self.oauth.revoke(&t.refresh_token).await.err(),
            None => None,
        };
        let vault = self.vault.clone();
        blocking(move || vault.clear()).await?;
        let mut c = self.cached.lock().expect("token cache lock");
        c.tokens = None;
        c.generation += 1;
        self.status.send_replace(TokenStatus::Missing);
        Ok(revoke_error)
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::routing::post;
    use axum::Router;

    use super::*;
    use crate::datacenter::Endpoints;

    /// Counts saves; can be told to fail them (a keychain that went away).
    #[derive(Default)]
    struct TestVault {
        tokens: std::sync::Mutex<Option<TokenSet>>,
        saves: AtomicUsize,
        fail_saves: bool,
    }

    impl TokenVault for TestVault {
        fn load(&self) -> Result<Option<TokenSet>, UserError> {
            Ok(self.tokens.lock().unwrap().clone())
        }
        fn save(&self, tokens: &TokenSet) -> Result<(), UserError> {
            if self.fail_saves {
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

    fn expired() -> TokenSet {
        let now = Utc::now();
        TokenSet {
            access_token: Sensitive::new("old-access".into()),
            refresh_token: Sensitive::new("old-refresh".into()),
            access_expires_at: now - chrono::Duration::seconds(1),
            access_issued_at: now - chrono::Duration::hours(1),
            refresh_issued_at: now - chrono::Duration::hours(1),
        }
    }

    /// A token endpoint that rotates and counts; slow enough that callers pile up.
    async fn token_server(calls: Arc<AtomicUsize>) -> String {
        let app = Router::new().route(
            "/oauth2/token",
            post(move || {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    axum::Json(serde_json::json!({
                        "access_token": format!("access-{n}"),
                        "refresh_token": format!("refresh-{n}"),
                        "expires_in": 3600
                    }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        origin
    }

    fn manager(origin: &str, vault: Arc<TestVault>) -> TokenManager {
        vault.tokens.lock().unwrap().replace(expired());
        let oauth = OAuthClient::new(
            OAuthClient::default_http(),
            Endpoints::under_origin(origin),
            "cid".into(),
            Sensitive::new("secret".into()),
        );
        TokenManager::new(oauth, vault, Some(expired()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_on_an_expired_token_share_one_refresh() {
        let calls = Arc::new(AtomicUsize::new(0));
        let origin = token_server(calls.clone()).await;
        let vault = Arc::new(TestVault::default());
        let m = Arc::new(manager(&origin, vault.clone()));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let m = m.clone();
                tokio::spawn(async move { m.access_token().await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().token.expose(), "access-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(vault.saves.load(Ordering::SeqCst), 1);
        assert_eq!(
            vault.load().unwrap().unwrap().refresh_token.expose(),
            "refresh-1"
        );
    }

    #[tokio::test]
    async fn a_new_token_is_not_used_when_the_keychain_write_fails() {
        let calls = Arc::new(AtomicUsize::new(0));
        let origin = token_server(calls.clone()).await;
        let vault = Arc::new(TestVault {
            fail_saves: true,
            ..TestVault::default()
        });
        let m = manager(&origin, vault);
        let err = m.access_token().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::KeychainLocked);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // The unsaved pair never became the current token.
        assert_eq!(m.current().0.unwrap().access_token.expose(), "old-access");
    }

    #[tokio::test]
    async fn invalid_grant_marks_needs_reconnect_and_stops_asking() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let app = Router::new().route(
            "/oauth2/token",
            post(move || {
                c.fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        axum::http::StatusCode::BAD_REQUEST,
                        axum::Json(serde_json::json!({"error":"invalid_grant","error_description":"Invalid refresh token"})),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let m = manager(&origin, Arc::new(TestVault::default()));
        let err = m.access_token().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NeedsReconnect);
        assert!(err.hint.contains("Reconnect"));
        assert!(matches!(m.status(), TokenStatus::NeedsReconnect(_)));
        assert_eq!(
            m.access_token().await.unwrap_err().code,
            ErrorCode::NeedsReconnect
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a dead refresh token is not retried"
        );
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
        let vault = Arc::new(TestVault::default());
        vault.tokens.lock().unwrap().replace(expired());
        let oauth = OAuthClient::new(
            OAuthClient::default_http(),
            endpoints,
            "cid".into(),
            Sensitive::new("secret".into()),
        );
        let m = TokenManager::new(oauth, vault.clone(), Some(expired()));
        let warning = m.revoke_and_forget().await.unwrap().expect("says so");
        assert_eq!(warning.code, ErrorCode::RevokeSkipped);
        assert!(warning.message.contains("not revoked"), "{warning:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "no request at all");
        assert!(vault.load().unwrap().is_none(), "keychain entry removed");
        assert_eq!(m.status(), TokenStatus::Missing);
    }

    #[test]
    fn debug_output_never_shows_a_token() {
        let shown = format!("{:?}", expired());
        assert!(
            !shown.contains("old-access") && !shown.contains("old-refresh"),
            "{shown}"
        );
        let stored = expired().to_secret();
        assert_eq!(
            TokenSet::from_secret(&stored)
                .unwrap()
                .refresh_token
                .expose(),
            "old-refresh"
        );
    }
}
