//! Box's token endpoint: authorization-code exchange, refresh and revoke,
//! with client authentication by form fields (client_secret_post), and
//! Box's token errors mapped to what the admin should do.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::clock::SharedClock;
use crate::datacenter::Endpoints;
use crate::error::{ErrorCode, UserError};
use crate::keychain::Sensitive;

use super::token_set::TokenSet;

/// The troubleshooting table's fix for a refresh token Box no longer accepts.
pub const RECONNECT_HINT: &str = "Reconnect: click Connect and sign in to Box again. \
     (Box answered {\"error\":\"invalid_grant\",\"error_description\":\"Invalid refresh token\"}: \
     the saved sign-in is no longer valid.)";

pub const ALLOWLIST_HINT: &str = "A Box admin must allow the app: Admin Console → Apps → Custom Apps → Settings; \
     if \"Disable unpublished apps by default\" is selected, add the API key under \"Except for\"; Save. \
     Then connect again.";

#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    pub endpoints: Endpoints,
    pub client_id: String,
    client_secret: Sensitive<String>,
    /// Stamps issued tokens (their expiry is "sent at" + `expires_in`).
    clock: SharedClock,
}

/// The token endpoint's success body.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: Sensitive<String>,
    pub refresh_token: Option<Sensitive<String>>,
    pub expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct TokenErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Which grant a token call was for; errors read differently for each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    Code,
    Refresh,
}

impl OAuthClient {
    pub fn new(
        http: reqwest::Client,
        endpoints: Endpoints,
        client_id: String,
        client_secret: Sensitive<String>,
    ) -> Self {
        OAuthClient {
            http,
            endpoints,
            client_id,
            client_secret,
            clock: SharedClock::system(),
        }
    }

    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// A client for token calls: short timeouts, the code lives 30 seconds.
    pub fn default_http() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("BoxConnector/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("reqwest client builds with static settings")
    }

    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: Option<&Sensitive<String>>,
    ) -> Result<TokenSet, UserError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        if let Some(v) = pkce_verifier {
            form.push(("code_verifier", v.expose()));
        }
        self.token_call(&form, Grant::Code).await
    }

    pub async fn refresh(&self, refresh_token: &Sensitive<String>) -> Result<TokenSet, UserError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose().as_str()),
        ];
        self.token_call(&form, Grant::Refresh).await
    }

    /// Revokes a token (Box revokes the whole grant). Best effort for the
    /// caller: a network failure is reported, Box's "already invalid" is not.
    /// Without a revoke URL nothing is sent anywhere: the caller reports that
    /// the sign-in was only removed locally.
    pub async fn revoke(&self, token: &Sensitive<String>) -> Result<(), UserError> {
        let Some(revoke_url) = self.endpoints.revoke_url.as_deref() else {
            return Err(UserError::new(
                ErrorCode::RevokeSkipped,
                "The sign-in was removed from this computer but not revoked at the server: the Custom data center has no revoke URL (and its token URL does not end in /token).",
                "Revoke the app's access in your OAuth server's console, or enter its revoke URL (CLI: --revoke-url) before disconnecting next time.",
            ));
        };
        let form = [
            ("token", token.expose().as_str()),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose().as_str()),
        ];
        let resp = self
            .http
            .post(revoke_url)
            .form(&form)
            .send()
            .await
            .map_err(network_error)?;
        let status = resp.status();
        if status.is_success() || status.as_u16() == 400 {
            Ok(())
        } else {
            Err(UserError::new(
                ErrorCode::BoxApi,
                format!("Box did not revoke the sign-in (HTTP {}).", status.as_u16()),
                "The local sign-in was removed anyway. To be sure, remove the app under Box → Account Settings → Apps.",
            ))
        }
    }

    async fn token_call(
        &self,
        grant_form: &[(&str, &str)],
        grant: Grant,
    ) -> Result<TokenSet, UserError> {
        let mut form: Vec<(&str, &str)> = grant_form.to_vec();
        form.push(("client_id", &self.client_id));
        form.push(("client_secret", self.client_secret.expose()));
        let sent_at = self.clock.now();
        let resp = self
            .http
            .post(&self.endpoints.token_url)
            .form(&form)
            .send()
            .await
            .map_err(network_error)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(network_error)?;
        if status.is_success() {
            let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|_| malformed())?;
            return Ok(token_set_from(parsed, sent_at, None));
        }
        Err(match serde_json::from_slice::<TokenErrorBody>(&body) {
            Ok(err) => map_token_error(
                status.as_u16(),
                &err.error,
                err.error_description.as_deref(),
                grant,
            ),
            Err(_) if status.is_server_error() => UserError::new(
                ErrorCode::BoxApi,
                format!("Box's sign-in service failed (HTTP {}).", status.as_u16()),
                "Wait a minute and try again.",
            ),
            Err(_) => malformed(),
        })
    }
}

/// Builds the stored token set from a token response. A response without a
/// refresh token keeps the previous one (some servers do not rotate).
pub fn token_set_from(
    resp: TokenResponse,
    issued_at: DateTime<Utc>,
    previous_refresh: Option<&Sensitive<String>>,
) -> TokenSet {
    // Bounded, so a server's absurd `expires_in` cannot overflow the date.
    let expires_in = resp.expires_in.unwrap_or(3600).clamp(1, 366 * 24 * 3600);
    let refresh_token = resp
        .refresh_token
        .or_else(|| previous_refresh.cloned())
        .unwrap_or_else(|| Sensitive::new(String::new()));
    TokenSet {
        access_token: resp.access_token,
        refresh_token,
        access_expires_at: issued_at + chrono::Duration::seconds(expires_in),
        access_issued_at: issued_at,
        refresh_issued_at: issued_at,
    }
}

fn map_token_error(status: u16, error: &str, description: Option<&str>, grant: Grant) -> UserError {
    let desc = description.unwrap_or("");
    let raw = match description {
        Some(d) => format!("{{\"error\":\"{error}\",\"error_description\":\"{d}\"}}"),
        None => format!("{{\"error\":\"{error}\"}}"),
    };
    match (error, grant) {
        ("invalid_grant", Grant::Refresh) => UserError::new(
            ErrorCode::NeedsReconnect,
            format!("Box no longer accepts the saved sign-in: {raw}. The refresh token is no longer valid."),
            RECONNECT_HINT,
        ),
        ("invalid_grant", Grant::Code) => UserError::new(
            ErrorCode::SignInInvalidCallback,
            format!("Box refused the sign-in code: {raw}."),
            "Click Connect again and finish signing in; the code from Box is valid for 30 seconds and only once.",
        ),
        ("unauthorized_client", _) => UserError::new(
            ErrorCode::AppDisabledByAdmin,
            format!("Box refused the app: {raw}. This app is not authorized by the enterprise admin."),
            ALLOWLIST_HINT,
        ),
        ("invalid_client", _) => UserError::new(
            ErrorCode::InvalidInput,
            format!("Box rejected the app's client id or client secret: {raw}."),
            "Enter the client secret for this data center again (it must belong to the API key shown), then connect.",
        ),
        _ if status == 401 => UserError::new(
            ErrorCode::NeedsReconnect,
            format!("Unauthorized - Cannot authorize with this service: {raw}."),
            "The Box admin may have removed the app. Reconnect; if it fails again, check the app is allowed in the Admin Console.",
        ),
        _ => UserError::new(
            ErrorCode::BoxApi,
            format!("Box's sign-in service answered HTTP {status}: {raw}."),
            if desc.is_empty() { "Try again; if it persists, reconnect." } else { "Check the message above, then connect again." },
        ),
    }
}

pub fn network_error(err: reqwest::Error) -> UserError {
    let what = if err.is_timeout() {
        "timed out"
    } else {
        "could not be reached"
    };
    UserError::new(
        ErrorCode::Network,
        format!("Box {what}."),
        "Check this computer's internet connection (and proxy or firewall), then try again.",
    )
}

pub fn malformed() -> UserError {
    UserError::new(
        ErrorCode::MalformedResponse,
        "Failed to parse response from Box.",
        "This is usually temporary: run the API test again.",
    )
}
