//! Signing in to Box and keeping the connection signed in.
//!
//! - `loopback`: the one-shot callback listener on 127.0.0.1 (RFC 8252).
//! - `oauth`: the authorize URL (`state`, PKCE), code exchange and refresh on
//!   the `oauth2` crate, with client_secret_post as Box wants, Box's token
//!   errors mapped to the troubleshooting table, and revoke.
//! - `token_set`: one connection's token pair and its keychain form.
//! - `tokens`: the token manager (refresh ahead of expiry and on 401,
//!   single-flight within and across processes, keychain before use).
//! - `refresh_lock`: the lock file that makes a refresh single-flight across
//!   processes (the app and the CLI on one connection).
//! - `failpoint`: crash points for tests (only in builds with `failpoints`).

pub mod failpoint;
pub mod loopback;
pub mod oauth;
pub mod refresh_lock;
pub mod token_set;
pub mod tokens;

pub use loopback::{LoopbackSignIn, RedirectSubmitter, SignInRequest};
pub use oauth::OAuthClient;
pub use refresh_lock::RefreshLock;
pub use token_set::TokenSet;
pub use tokens::{KeychainVault, TokenManager, TokenStatus, TokenVault};

/// Scopes the connector asks for: files, users, enterprise events.
/// Box ignores scopes the app is not configured for, so asking is harmless.
/// Read-only on files: least privilege until the admin turns governance on.
pub const DEFAULT_SCOPE: &str = "root_readonly manage_managed_users manage_enterprise_properties";

/// Scopes a governance sign-in asks for: the same, with files read-write
/// (`root_readwrite` includes reading), so the app can act on findings.
pub const GOVERN_SCOPE: &str = "root_readwrite manage_managed_users manage_enterprise_properties";

/// The scope that lets a connection change files and folders.
pub const WRITE_SCOPE: &str = "root_readwrite";

/// Whether a space-separated scope list grants writing.
pub fn scopes_can_write(scopes: &str) -> bool {
    scopes.split_whitespace().any(|s| s == WRITE_SCOPE)
}
