//! Box's OAuth 2.0 endpoints on the `oauth2` crate: the authorize URL (with
//! `state` and PKCE S256), the authorization-code exchange and the refresh,
//! with client authentication by form fields (client_secret_post, as Box
//! wants). What is ours sits on top: every token leaves this module as a
//! `Sensitive<String>`, and Box's token errors become the troubleshooting
//! table's fixes under stable codes (for which the HTTP status is noted,
//! since oauth2 reads only the body).
//!
//! Revoke is a plain form POST beside them: oauth2 refuses a revocation URL
//! that is not https (RFC 7009 §2), and the embedded Sandbox serves on
//! `http://127.0.0.1`.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicClient, BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::http::StatusCode;
use oauth2::{
    AccessToken, AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndpointNotSet, EndpointSet, HttpClientError, HttpRequest, HttpResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardRevocableToken, TokenUrl,
};
use serde::{Deserialize, Serialize};

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

/// Random bytes in a sign-in's `state`: 24 make 32 URL-safe characters.
const STATE_BYTES: u32 = 24;

/// What to put in the authorize URL.
pub struct SignInRequest {
    pub authorize_url: String,
    pub client_id: String,
    pub scope: Option<String>,
    pub pkce: bool,
}

/// A sign-in's authorize URL and the secrets the callback and the code
/// exchange check it against.
pub struct Authorization {
    pub url: String,
    pub state: Sensitive<String>,
    pub pkce_verifier: Option<Sensitive<String>>,
}

/// The authorize URL for `req` sending the admin back to `redirect_uri`: a
/// fresh `state`, and a PKCE S256 pair (32 random bytes, a 43-character
/// verifier) where the data center supports it.
pub fn authorization(req: &SignInRequest, redirect_uri: &str) -> Result<Authorization, UserError> {
    let auth_url = AuthUrl::new(req.authorize_url.clone()).map_err(|_| {
        UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "The authorize URL \"{}\" is not a valid address.",
                req.authorize_url
            ),
            "Check the data center's authorize URL (Custom settings).",
        )
    })?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| {
        UserError::new(
            ErrorCode::Internal,
            format!("Sign-in failed: the callback address {redirect_uri} is not valid."),
            "Click Connect again.",
        )
    })?;
    let client = BasicClient::new(ClientId::new(req.client_id.clone())).set_auth_uri(auth_url);
    let mut request = client
        .authorize_url(|| CsrfToken::new_random_len(STATE_BYTES))
        .set_redirect_uri(Cow::Owned(redirect));
    if let Some(scope) = &req.scope {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let mut pkce_verifier = None;
    if req.pkce {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        request = request.set_pkce_challenge(challenge);
        pkce_verifier = Some(Sensitive::new(verifier.into_secret()));
    }
    let (url, state) = request.url();
    Ok(Authorization {
        url: url.to_string(),
        state: Sensitive::new(state.into_secret()),
        pkce_verifier,
    })
}

#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    pub endpoints: Endpoints,
    pub client_id: String,
    client_secret: Sensitive<String>,
    /// Stamps issued tokens (their expiry is "sent at" + `expires_in`).
    clock: SharedClock,
}

/// The token endpoint's success body, as oauth2 reads it. Its own type
/// rather than oauth2's standard one so an answer without `token_type`
/// (Box always sends "bearer") still reads, and a negative `expires_in`
/// is clamped, not refused. Turned into a `TokenSet` at once.
#[derive(Debug, Deserialize, Serialize)]
struct TokenResponse {
    access_token: AccessToken,
    #[serde(skip, default = "bearer")]
    token_type: BasicTokenType,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default)]
    expires_in: Option<i64>,
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

impl oauth2::TokenResponse for TokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        None
    }
}

/// An oauth2 client for the token endpoint (no authorize, revoke, device or
/// introspection endpoints: those are not asked of it).
type TokenClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

type TokenError = RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>;

/// Which grant a token call was for; errors read differently for each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    Code,
    Refresh,
}

/// The reqwest client oauth2 sends through, noting the answer's HTTP status.
struct NotingStatus<'a> {
    http: &'a reqwest::Client,
    status: Mutex<Option<StatusCode>>,
}

impl<'a> NotingStatus<'a> {
    fn new(http: &'a reqwest::Client) -> Self {
        NotingStatus {
            http,
            status: Mutex::new(None),
        }
    }

    fn status(&self) -> Option<StatusCode> {
        *self.status.lock().expect("status lock")
    }
}

impl<'c> AsyncHttpClient<'c> for NotingStatus<'_> {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.http.call(request).await?;
            *self.status.lock().expect("status lock") = Some(response.status());
            Ok(response)
        })
    }
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

    /// A client for token calls: short timeouts (the code lives 30
    /// seconds), and no redirects, as oauth2 asks: a token endpoint that
    /// redirects must not get the code or the secret sent on elsewhere.
    pub fn default_http() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("BoxConnector/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("reqwest client builds with static settings")
    }

    fn token_client(&self) -> Result<TokenClient, UserError> {
        // An address that does not parse could not be reached either.
        let token_url =
            TokenUrl::new(self.endpoints.token_url.clone()).map_err(|_| unreachable_error())?;
        Ok(oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().clone()))
            // Box wants client_secret_post, not HTTP Basic.
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(token_url))
    }

    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: Option<&Sensitive<String>>,
    ) -> Result<TokenSet, UserError> {
        let client = self.token_client()?;
        let redirect =
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| unreachable_error())?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_redirect_uri(Cow::Owned(redirect));
        if let Some(v) = pkce_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(v.expose().clone()));
        }
        let http = NotingStatus::new(&self.http);
        let sent_at = self.clock.now();
        let answer = request.request_async(&http).await;
        issued(answer, http.status(), sent_at, Grant::Code)
    }

    pub async fn refresh(&self, refresh_token: &Sensitive<String>) -> Result<TokenSet, UserError> {
        let client = self.token_client()?;
        let refresh_token = RefreshToken::new(refresh_token.expose().clone());
        let http = NotingStatus::new(&self.http);
        let sent_at = self.clock.now();
        let answer = client
            .exchange_refresh_token(&refresh_token)
            .request_async(&http)
            .await;
        issued(answer, http.status(), sent_at, Grant::Refresh)
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
}

/// The token set from oauth2's answer to a token call sent at `sent_at`,
/// or Box's refusal in the troubleshooting table's words.
fn issued(
    answer: Result<TokenResponse, TokenError>,
    status: Option<StatusCode>,
    sent_at: DateTime<Utc>,
    grant: Grant,
) -> Result<TokenSet, UserError> {
    let err = match answer {
        Ok(resp) => return Ok(token_set_from(resp, sent_at)),
        Err(err) => err,
    };
    let status = status.map_or(0, |s| s.as_u16());
    Err(match err {
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => network_error(*e),
        RequestTokenError::Request(_) => unreachable_error(),
        RequestTokenError::ServerResponse(body) => map_token_error(
            status,
            body.error().as_ref(),
            body.error_description().map(String::as_str),
            grant,
        ),
        // Not an OAuth answer at all: Box's service failed, or the body is
        // not what a token endpoint sends.
        _ if (500..600).contains(&status) => UserError::new(
            ErrorCode::BoxApi,
            format!("Box's sign-in service failed (HTTP {status})."),
            "Wait a minute and try again.",
        ),
        _ => malformed(),
    })
}

/// Builds the stored token set from a token response. A response without a
/// refresh token leaves it empty: the token manager keeps the previous one
/// (some servers do not rotate).
fn token_set_from(resp: TokenResponse, issued_at: DateTime<Utc>) -> TokenSet {
    // Bounded, so a server's absurd `expires_in` cannot overflow the date.
    let expires_in = resp.expires_in.unwrap_or(3600).clamp(1, 366 * 24 * 3600);
    let refresh_token = resp
        .refresh_token
        .map_or_else(String::new, RefreshToken::into_secret);
    TokenSet {
        access_token: Sensitive::new(resp.access_token.into_secret()),
        refresh_token: Sensitive::new(refresh_token),
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

fn network_error(err: reqwest::Error) -> UserError {
    if err.is_timeout() {
        unreachable("timed out")
    } else {
        unreachable_error()
    }
}

/// What a request that never got an answer says (an address that does not
/// parse is one of those).
fn unreachable_error() -> UserError {
    unreachable("could not be reached")
}

fn unreachable(what: &str) -> UserError {
    UserError::new(
        ErrorCode::Network,
        format!("Box {what}."),
        "Check this computer's internet connection (and proxy or firewall), then try again.",
    )
}

fn malformed() -> UserError {
    UserError::new(
        ErrorCode::MalformedResponse,
        "Failed to parse response from Box.",
        "This is usually temporary: run the API test again.",
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn request(pkce: bool) -> SignInRequest {
        SignInRequest {
            authorize_url: "https://account.box.com/api/oauth2/authorize".into(),
            client_id: "cid".into(),
            scope: Some("root_readonly manage_managed_users".into()),
            pkce,
        }
    }

    fn query(url: &str) -> HashMap<String, String> {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[test]
    fn s256_matches_the_rfc_7636_example() {
        // RFC 7636 appendix B: what the sandbox and Box check the verifier with.
        let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_and_states_are_long_enough_and_unique() {
        let redirect = "http://127.0.0.1:5000/callback";
        let a = authorization(&request(true), redirect).unwrap();
        let b = authorization(&request(true), redirect).unwrap();
        let (va, vb) = (a.pkce_verifier.unwrap(), b.pkce_verifier.unwrap());
        assert_eq!(va.expose().len(), 43);
        assert_ne!(va.expose(), vb.expose());
        assert_eq!(a.state.expose().len(), 32);
        assert_ne!(a.state.expose(), b.state.expose());
        let q = query(&a.url);
        assert_eq!(&q["state"], a.state.expose());
        assert_eq!(q["scope"], "root_readonly manage_managed_users");
        assert_eq!(q["redirect_uri"], redirect);
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            va.expose().clone(),
        ));
        assert_eq!(q["code_challenge"], challenge.as_str());
    }

    #[test]
    fn without_pkce_the_url_has_no_challenge_and_a_bad_authorize_url_is_refused() {
        let a = authorization(&request(false), "http://127.0.0.1:5000/callback").unwrap();
        assert!(a.pkce_verifier.is_none());
        assert!(!query(&a.url).contains_key("code_challenge"));
        let mut bad = request(true);
        bad.authorize_url = "not a url".into();
        let err = authorization(&bad, "http://127.0.0.1:5000/callback")
            .err()
            .expect("refused");
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }

    #[test]
    fn a_token_answer_without_token_type_reads_and_its_expiry_is_bounded() {
        let resp: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","refresh_token":"r","expires_in":-5}"#)
                .unwrap();
        let now = Utc::now();
        let set = token_set_from(resp, now);
        assert_eq!(set.access_token.expose(), "a");
        assert_eq!(set.refresh_token.expose(), "r");
        assert_eq!(set.access_expires_at, now + chrono::Duration::seconds(1));
    }
}
