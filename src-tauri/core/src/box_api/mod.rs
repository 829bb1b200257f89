//! The typed Box client: every call goes through one request loop that
//! paces calls per user, attaches a fresh token (refreshing once on 401),
//! retries 429 / 5xx / 202 (honouring `retry-after`, matched case-insensitively,
//! else exponential backoff with jitter), maps failures to the
//! troubleshooting table, and records the call for connection health.

pub mod models;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::auth::oauth::{malformed, network_error};
use crate::auth::TokenManager;
use crate::error::{ErrorCode, UserError};

pub use models::{BoxErrorBody, EventsPage, User, UsersPage, USER_FIELDS};

/// One finished HTTP exchange with Box (no headers, no bodies, no tokens).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub at: DateTime<Utc>,
    pub method: String,
    /// Path without query (`/users/me`).
    pub endpoint: String,
    /// `None` when no response arrived.
    pub status: Option<u16>,
    pub latency_ms: u32,
    pub rate_limited: bool,
    pub error_code: Option<ErrorCode>,
}

/// Receives every call; the app writes them to the store's call log.
/// Awaited inline so a short-lived CLI process loses no record.
pub trait CallRecorder: Send + Sync {
    fn record(&self, call: ApiCall) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `retry-after` longer than this is not waited out.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// A failed call: what the admin reads, plus Box's own words for the API test.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub user: UserError,
    pub status: Option<u16>,
    /// Box's `code` and `message`, when Box answered with its error body.
    pub box_code: Option<String>,
    pub box_message: Option<String>,
}

impl From<ApiError> for UserError {
    fn from(e: ApiError) -> Self {
        e.user
    }
}

impl From<UserError> for ApiError {
    fn from(user: UserError) -> Self {
        ApiError {
            user,
            status: None,
            box_code: None,
            box_message: None,
        }
    }
}

/// About 1000 requests per minute per user at Box; stay just under.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 16.0;

pub struct BoxClient {
    http: reqwest::Client,
    api_url: String,
    tokens: Arc<TokenManager>,
    recorder: Option<Arc<dyn CallRecorder>>,
    retry: RetryPolicy,
    interval: Duration,
    /// Next free send slot per acting user (`None` = the signed-in admin).
    pace: tokio::sync::Mutex<HashMap<Option<String>, Instant>>,
}

impl BoxClient {
    pub fn new(api_url: &str, tokens: Arc<TokenManager>) -> Self {
        BoxClient {
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(60))
                .user_agent(concat!("BoxConnector/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("reqwest client builds with static settings"),
            api_url: api_url.trim_end_matches('/').to_string(),
            tokens,
            recorder: None,
            retry: RetryPolicy::default(),
            interval: Duration::from_secs_f64(1.0 / DEFAULT_REQUESTS_PER_SECOND),
            pace: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn with_recorder(mut self, recorder: Arc<dyn CallRecorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_rate(mut self, requests_per_second: f64) -> Self {
        self.interval = Duration::from_secs_f64(1.0 / requests_per_second.max(0.001));
        self
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    /// The signed-in user (or `as_user`), with role and enterprise.
    pub async fn me(&self, as_user: Option<&str>) -> Result<User, ApiError> {
        self.get_json("/users/me", &[("fields", USER_FIELDS.into())], as_user)
            .await
    }

    /// One page of managed users (marker pagination; `limit` ≤ 1000).
    pub async fn users_page(
        &self,
        limit: u32,
        marker: Option<&str>,
    ) -> Result<UsersPage, ApiError> {
        let mut q = vec![
            ("user_type", "managed".to_string()),
            ("usemarker", "true".to_string()),
            ("limit", limit.min(1000).to_string()),
            ("fields", USER_FIELDS.to_string()),
        ];
        if let Some(m) = marker {
            q.push(("marker", m.to_string()));
        }
        self.get_json("/users", &q, None).await
    }

    /// One page of the enterprise event stream.
    pub async fn admin_events(
        &self,
        stream_type: &str,
        stream_position: Option<&str>,
        limit: u32,
    ) -> Result<EventsPage, ApiError> {
        let mut q = vec![
            ("stream_type", stream_type.to_string()),
            ("limit", limit.min(500).to_string()),
        ];
        if let Some(p) = stream_position {
            q.push(("stream_position", p.to_string()));
        }
        self.get_json("/events", &q, None).await
    }

    /// GET `path` under the API base and parse the JSON body.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        as_user: Option<&str>,
    ) -> Result<T, ApiError> {
        let body = self.send(Method::GET, path, query, as_user).await?;
        serde_json::from_slice(&body).map_err(|_| ApiError::from(malformed()))
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        as_user: Option<&str>,
    ) -> Result<Vec<u8>, ApiError> {
        let url = format!("{}{}", self.api_url, path);
        let mut token = self.tokens.access_token().await?;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.wait_for_slot(as_user).await;
            let mut req = self
                .http
                .request(method.clone(), &url)
                .query(query)
                .bearer_auth(token.token.expose());
            if let Some(u) = as_user {
                req = req.header("as-user", u);
            }
            let started = Instant::now();
            let result = req.send().await;
            let latency_ms = started.elapsed().as_millis().min(u32::MAX as u128) as u32;

            let resp = match result {
                Ok(r) => r,
                Err(err) => {
                    // Nothing listening (no network, proxy down): give up
                    // sooner than on a dropped connection mid-request.
                    let limit = if err.is_connect() {
                        self.retry.max_attempts.min(3)
                    } else {
                        self.retry.max_attempts
                    };
                    let user = network_error(err);
                    self.record(&method, path, None, latency_ms, Some(user.code))
                        .await;
                    if attempt < limit {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(user.into());
                }
            };
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(err) => {
                    let user = network_error(err);
                    self.record(
                        &method,
                        path,
                        Some(status.as_u16()),
                        latency_ms,
                        Some(user.code),
                    )
                    .await;
                    if attempt < self.retry.max_attempts {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(user.into());
                }
            };

            let retry_after = retry_after(&headers);
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error()
                || (status == StatusCode::ACCEPTED && retry_after.is_some());
            if retryable {
                self.record(
                    &method,
                    path,
                    Some(status.as_u16()),
                    latency_ms,
                    Some(retry_code(status)),
                )
                .await;
                if attempt < self.retry.max_attempts {
                    let wait = match retry_after {
                        Some(d) if d <= self.retry.max_retry_after => d,
                        Some(_) => return Err(error_from(status, &body)),
                        None => self.backoff(attempt),
                    };
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(error_from(status, &body));
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                self.record(
                    &method,
                    path,
                    Some(401),
                    latency_ms,
                    Some(ErrorCode::NeedsReconnect),
                )
                .await;
                // The token died early (revoked, clock skew): refresh once.
                token = self.tokens.refresh_rejected(&token).await?;
                refreshed = true;
                attempt -= 1;
                continue;
            }
            if status.is_success() {
                self.record(&method, path, Some(status.as_u16()), latency_ms, None)
                    .await;
                return Ok(body.to_vec());
            }
            let err = error_from(status, &body);
            self.record(
                &method,
                path,
                Some(status.as_u16()),
                latency_ms,
                Some(err.user.code),
            )
            .await;
            return Err(err);
        }
    }

    /// Paces requests per acting user so a burst never trips Box's limit.
    async fn wait_for_slot(&self, as_user: Option<&str>) {
        let at = {
            let mut pace = self.pace.lock().await;
            let now = Instant::now();
            let next = pace.entry(as_user.map(str::to_owned)).or_insert(now);
            let at = (*next).max(now);
            *next = at + self.interval;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }

    /// Exponential backoff with full jitter: a random wait up to base·2^(n-1).
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .retry
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.retry.max_delay);
        let millis = cap.as_millis().max(1) as u64;
        Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
    }

    async fn record(
        &self,
        method: &Method,
        path: &str,
        status: Option<u16>,
        latency_ms: u32,
        error_code: Option<ErrorCode>,
    ) {
        if let Some(r) = &self.recorder {
            r.record(ApiCall {
                at: Utc::now(),
                method: method.as_str().to_string(),
                endpoint: path.to_string(),
                status,
                latency_ms,
                rate_limited: status == Some(429),
                error_code,
            })
            .await;
        }
    }
}

fn retry_code(status: StatusCode) -> ErrorCode {
    if status == StatusCode::TOO_MANY_REQUESTS {
        ErrorCode::RateLimited
    } else {
        ErrorCode::BoxApi
    }
}

/// `retry-after` in seconds. `HeaderMap` lookups ignore case, so Box's
/// lower-case header and a proxy's `Retry-After` both match.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// Maps a failed response to the troubleshooting table.
pub fn error_from(status: StatusCode, body: &[u8]) -> ApiError {
    let parsed: Option<BoxErrorBody> = serde_json::from_slice(body).ok();
    let box_code = parsed.as_ref().and_then(|b| b.code.clone());
    let box_message = parsed.as_ref().and_then(|b| b.message.clone());
    let said = box_message.clone().unwrap_or_default();
    let quoted = match (&box_code, &box_message) {
        (Some(c), Some(m)) => format!(" ({c}: {m})"),
        (None, Some(m)) => format!(" ({m})"),
        (Some(c), None) => format!(" ({c})"),
        _ => String::new(),
    };
    let code = status.as_u16();
    let user = if said.contains("without having an enterprise") {
        UserError::new(
            ErrorCode::NoEnterprise,
            "User cannot access this feature without having an enterprise: the connected Box account is not part of an enterprise.",
            "Upgrade the Box licence to an enterprise plan, then reconnect.",
        )
    } else if code == 401 {
        UserError::new(
            ErrorCode::NeedsReconnect,
            format!("Unauthorized - Cannot authorize with this service{quoted}."),
            "The Box admin may have removed the app. Reconnect: click Connect and sign in to Box again.",
        )
    } else if code == 429 {
        UserError::new(
            ErrorCode::RateLimited,
            format!("Box kept answering \"too many requests\"{quoted}."),
            "Wait a few minutes and try again; other apps may share this account's rate limit.",
        )
    } else if status.is_server_error() || code == 202 {
        UserError::new(
            ErrorCode::BoxApi,
            format!("Box had a server error (HTTP {code}){quoted}."),
            "This is on Box's side: wait a few minutes and try again.",
        )
    } else if code == 403 {
        UserError::new(
            ErrorCode::BoxApi,
            format!("Box refused the request (HTTP 403){quoted}."),
            "Connect with the Box admin account, and check the app's scopes and \"Perform Actions as Users\" setting.",
        )
    } else {
        UserError::new(
            ErrorCode::BoxApi,
            format!("Box answered HTTP {code}{quoted}."),
            "Run the API test again; if it persists, reconnect.",
        )
    };
    ApiError {
        user,
        status: Some(code),
        box_code,
        box_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_any_case() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::HeaderName::from_static("retry-after"),
            "0.5".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        let mut h = HeaderMap::new();
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn box_errors_map_to_the_troubleshooting_table() {
        let e = error_from(
            StatusCode::FORBIDDEN,
            br#"{"type":"error","status":403,"code":"forbidden","message":"User cannot access this feature without having an enterprise"}"#,
        );
        assert_eq!(e.user.code, ErrorCode::NoEnterprise);
        assert!(e.user.hint.contains("Upgrade the Box licence"));
        let e = error_from(StatusCode::UNAUTHORIZED, b"");
        assert_eq!(e.user.code, ErrorCode::NeedsReconnect);
        assert!(e
            .user
            .message
            .contains("Cannot authorize with this service"));
        let e = error_from(
            StatusCode::NOT_FOUND,
            br#"{"code":"not_found","message":"Not Found"}"#,
        );
        assert_eq!(e.box_message.as_deref(), Some("Not Found"));
        assert!(e.user.message.contains("not_found"));
    }
}
