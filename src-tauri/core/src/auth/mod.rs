//! Signing in to Box and keeping the connection signed in.
//!
//! - `pkce`: the S256 code verifier / challenge pair.
//! - `loopback`: the one-shot callback listener on 127.0.0.1 (RFC 8252).
//! - `oauth`: the token endpoint (code exchange, refresh, revoke), hand-rolled
//!   over reqwest because Box wants client_secret_post and its own error texts
//!   mapped to the troubleshooting table.
//! - `tokens`: the token set kept in the keychain and the token manager
//!   (refresh ahead of expiry and on 401, single-flight, keychain before use).

pub mod failpoint;
pub mod loopback;
pub mod oauth;
pub mod pkce;
pub mod tokens;

pub use loopback::{LoopbackSignIn, RedirectSubmitter, SignInRequest};
pub use oauth::{OAuthClient, TokenResponse};
pub use tokens::{KeychainVault, TokenManager, TokenSet, TokenStatus, TokenVault};

/// Scopes the connector asks for: files, users, enterprise events.
/// Box ignores scopes the app is not configured for, so asking is harmless.
pub const DEFAULT_SCOPE: &str = "root_readonly manage_managed_users manage_enterprise_properties";
