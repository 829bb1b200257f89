//! The typed Box client. Every call goes through one request loop ([`BoxClient::execute`]):
//! 1. take a slot from the limiter (the acting user's bucket inside the global cap);
//! 2. send with a fresh token; a 401 refreshes once (single-flight) and resends;
//! 3. report the attempt to the recorder (in memory, no I/O on this path);
//! 4. a 429 pauses that user's bucket for its `retry-after`; 5xx, 202 and network
//!    errors back off with full jitter, retried only where [`retry::may_retry`] allows;
//! 5. map what is left to a typed [`ApiError`] carrying Box's code, message and request id.
//!
//! Deadlines ([`Timeouts`]) cover a whole JSON call but only the headers of a
//! download: its body has an idle timeout and a minimum rate instead.

mod calls;
mod download;
mod endpoints;
mod error;
pub mod limiter;
pub mod models;
mod paging;
mod request;
pub mod retry;
mod timeouts;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::auth::TokenManager;
use crate::error::ErrorCode;

pub use calls::{ApiCall, CallRecorder};
pub use download::Download;
pub use endpoints::AdminLogsQuery;
pub use error::{error_from, ApiError, ApiErrorKind};
pub use limiter::{Limiter, Rate, DEFAULT_GLOBAL_REQUESTS_PER_SECOND, DEFAULT_REQUESTS_PER_SECOND};
pub use models::{BoxErrorBody, EventsPage, User, UsersPage, USER_FIELDS};
pub use request::{Fetched, RequestOptions};
pub use retry::{retry_after, RetryPolicy};
pub use timeouts::{MinRate, Timeouts};

/// Sends of a read whose body does not parse, before it is reported.
pub const MALFORMED_ATTEMPTS: u32 = 3;

pub struct BoxClient {
    http: reqwest::Client,
    api_url: String,
    tokens: Arc<TokenManager>,
    recorder: Option<Arc<dyn CallRecorder>>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    /// `http` came from `with_http_client`: its settings are the caller's.
    custom_http: bool,
    limiter: Limiter,
    /// The signed-in admin's id: `as-user` naming it is the admin's own bucket.
    self_user_id: std::sync::RwLock<Option<String>>,
}

/// One request as the loop sends it (the path is under the API base).
pub(crate) struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(&'a str, String)],
    pub options: &'a RequestOptions,
    pub json: Option<&'a serde_json::Value>,
}

/// What the loop hands back on success.
pub(crate) enum Answer {
    /// The whole body (metadata: small).
    Body(Bytes),
    /// 304 to an `If-None-Match`.
    NotModified,
    /// Headers only; the body is the caller's to stream.
    Streaming(reqwest::Response),
    /// A 3xx with its `Location` (downloads follow it themselves).
    Redirect(String),
}

/// How the caller wants a successful body.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    Whole,
    Stream,
}

/// One attempt's result, before the loop decides what to do with it.
enum Attempt {
    Done(Answer),
    Failed {
        failure: retry::Failure,
        error: ApiError,
        retry_after: Option<Duration>,
    },
}

impl BoxClient {
    pub fn new(api_url: &str, tokens: Arc<TokenManager>) -> Self {
        let timeouts = Timeouts::default();
        BoxClient {
            http: default_http(&timeouts),
            api_url: api_url.trim_end_matches('/').to_string(),
            tokens,
            recorder: None,
            retry: RetryPolicy::default(),
            timeouts,
            custom_http: false,
            limiter: Limiter::new(
                Rate::per_second(DEFAULT_REQUESTS_PER_SECOND),
                Some(Rate::per_second(DEFAULT_GLOBAL_REQUESTS_PER_SECOND)),
            ),
            self_user_id: std::sync::RwLock::new(None),
        }
    }

    /// Sends through `http` instead of the default client (proxy, pool
    /// settings, connect timeout). It must not follow redirects (downloads
    /// do that), and should have no total `timeout`: it would cut download
    /// bodies. The deadlines of [`Timeouts`] still apply, all but `connect`.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self.custom_http = true;
        self
    }

    /// How long calls and download bodies may take (see [`Timeouts`]).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        if !self.custom_http && timeouts.connect != self.timeouts.connect {
            self.http = default_http(&timeouts);
        }
        self.timeouts = timeouts;
        self
    }

    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    pub fn with_recorder(mut self, recorder: Arc<dyn CallRecorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Requests per second per acting user (burst: one second's worth).
    pub fn with_rate(self, requests_per_second: f64) -> Self {
        self.limiter
            .set_user_rate(Rate::per_second(requests_per_second));
        self
    }

    /// Requests per second of all users together; `None` lifts the cap.
    pub fn with_global_rate(self, rate: Option<Rate>) -> Self {
        self.limiter.set_global_rate(rate);
        self
    }

    pub fn with_user_rate(self, rate: Rate) -> Self {
        self.limiter.set_user_rate(rate);
        self
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Tells the client who the signed-in admin is, so `as-user: <admin>`
    /// shares the admin's bucket. `me(None)` sets it too.
    pub fn set_self_user_id(&self, id: &str) {
        *self.self_user_id.write().expect("self id lock") = Some(id.to_owned());
    }

    /// The limiter bucket of a call made as `as_user`.
    fn bucket_of(&self, as_user: Option<&str>) -> String {
        match as_user {
            None => limiter::SELF_USER.to_owned(),
            Some(u) => {
                let me = self.self_user_id.read().expect("self id lock");
                if me.as_deref() == Some(u) {
                    limiter::SELF_USER.to_owned()
                } else {
                    u.to_owned()
                }
            }
        }
    }

    /// A JSON answer, parsed; a body that does not parse names the request.
    ///
    /// A body that does not parse is most often a cut-off one (a proxy, a
    /// reset mid-body), so a read is sent again, after a backoff, up to
    /// [`MALFORMED_ATTEMPTS`] times before the error is reported; a write is
    /// not, since it may have applied.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        req: &Request<'_>,
    ) -> Result<Fetched<T>, ApiError> {
        let rereadable = req.method == Method::GET || req.method == Method::HEAD;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let body = match self.execute(req, Read::Whole).await? {
                Answer::Body(body) => body,
                Answer::NotModified => return Ok(Fetched::NotModified),
                Answer::Streaming(_) | Answer::Redirect(_) => {
                    return Err(error::error_from(StatusCode::FOUND, b""))
                }
            };
            match serde_json::from_slice(&body) {
                Ok(value) => return Ok(Fetched::Fresh(value)),
                Err(e) if rereadable && attempt < MALFORMED_ATTEMPTS => {
                    tracing::warn!(
                        request = %format!("{} {}", req.method, req.path),
                        attempt,
                        error = %e,
                        "Box sent a body that does not parse; asking again"
                    );
                    let wait = self.retry.backoff(attempt, &mut rand::thread_rng());
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    return Err(error::malformed(
                        &format!("{} {}", req.method, req.path),
                        &e,
                    ))
                }
            }
        }
    }

    /// The request loop (see the module header).
    pub(crate) async fn execute(&self, req: &Request<'_>, read: Read) -> Result<Answer, ApiError> {
        let url = format!("{}{}", self.api_url, req.path);
        let bucket = self.bucket_of(req.options.as_user.as_deref());
        let mut token = self.tokens.access_token().await?;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if req.options.urgent && attempt == 1 {
                self.limiter.acquire_urgent(&bucket).await;
            } else {
                self.limiter.acquire(&bucket).await;
            }
            let (failure, error, retry_after) =
                match self.attempt(req, &url, token.token.expose(), read).await {
                    Attempt::Done(answer) => return Ok(answer),
                    Attempt::Failed {
                        failure,
                        error,
                        retry_after,
                    } => (failure, error, retry_after),
                };
            let status = match failure {
                retry::Failure::Status(s) => Some(s),
                _ => None,
            };
            if status == Some(StatusCode::UNAUTHORIZED) && !refreshed {
                // The token died early (revoked, clock skew): refresh once.
                token = self.tokens.refresh_rejected(&token).await?;
                refreshed = true;
                attempt -= 1;
                continue;
            }
            let limit = match failure {
                // Nothing listening (no network, proxy down): give up sooner.
                retry::Failure::Connect => self.retry.max_attempts.min(3),
                _ => self.retry.max_attempts,
            };
            if attempt >= limit || !retry::may_retry(&req.method, failure, retry_after) {
                return Err(error);
            }
            if status == Some(StatusCode::TOO_MANY_REQUESTS) {
                // Every request of this user waits, not only this one.
                let wait = match retry_after {
                    Some(d) if d > self.retry.max_retry_after => {
                        self.limiter.pause(&bucket, self.retry.max_retry_after);
                        return Err(error);
                    }
                    Some(d) => d,
                    None => self.retry.backoff(attempt, &mut rand::thread_rng()),
                };
                self.limiter.pause(&bucket, wait);
                continue;
            }
            let wait = match retry_after {
                Some(d) if d > self.retry.max_retry_after => return Err(error),
                Some(d) => d,
                None => self.retry.backoff(attempt, &mut rand::thread_rng()),
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// One send: builds the request, reads what `read` asks for, records it.
    async fn attempt(&self, req: &Request<'_>, url: &str, token: &str, read: Read) -> Attempt {
        let mut builder = self
            .http
            .request(req.method.clone(), url)
            .query(req.query)
            .bearer_auth(token);
        let o = req.options;
        if let Some(fields) = &o.fields {
            builder = builder.query(&[("fields", fields)]);
        }
        if let Some(u) = &o.as_user {
            builder = builder.header("as-user", u);
        }
        if let Some(r) = &o.range {
            builder = builder.header(reqwest::header::RANGE, r);
        }
        if let Some(etag) = &o.if_none_match {
            builder = builder.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(body) = req.json {
            builder = builder.json(body);
        }
        // A whole answer has the request's deadline; a streamed one (a
        // download) only until its headers: `download.rs` watches its body.
        let headers_deadline = match (read, self.timeouts.request) {
            (Read::Whole, Some(d)) => {
                builder = builder.timeout(d);
                None
            }
            (_, d) => d,
        };
        let started = Instant::now();
        let sent = send_within(builder, headers_deadline).await;
        let latency_ms = started.elapsed().as_millis().min(u32::MAX as u128) as u32;
        let record = |status: Option<u16>, code: Option<ErrorCode>| {
            self.record(&req.method, req.path, status, latency_ms, code)
        };
        let resp = match sent {
            Ok(r) => r,
            Err(err) => {
                let error = err.to_error();
                record(None, Some(error.user.code));
                let failure = if err.is_connect() {
                    retry::Failure::Connect
                } else {
                    retry::Failure::Transport
                };
                return Attempt::Failed {
                    failure,
                    error,
                    retry_after: None,
                };
            }
        };
        let status = resp.status();
        let code = status.as_u16();
        let retry_after = retry::retry_after(resp.headers());
        if status == StatusCode::NOT_MODIFIED {
            record(Some(code), None);
            return Attempt::Done(Answer::NotModified);
        }
        if status.is_redirection() {
            if let Some(location) = location(resp.headers()) {
                record(Some(code), None);
                return Attempt::Done(Answer::Redirect(location));
            }
        }
        let ready =
            status.is_success() && !(status == StatusCode::ACCEPTED && retry_after.is_some());
        if ready && read == Read::Stream {
            record(Some(code), None);
            return Attempt::Done(Answer::Streaming(resp));
        }
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(err) => {
                let error = error::network(&err);
                record(Some(code), Some(error.user.code));
                return Attempt::Failed {
                    failure: retry::Failure::Transport,
                    error,
                    retry_after: None,
                };
            }
        };
        if ready {
            record(Some(code), None);
            return Attempt::Done(Answer::Body(body));
        }
        let error = error::error_from(status, &body);
        record(Some(code), Some(error.user.code));
        Attempt::Failed {
            failure: retry::Failure::Status(status),
            error,
            retry_after,
        }
    }

    fn record(
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
            });
        }
    }
}

/// Why a send got no answer.
pub(crate) enum NotSent {
    Http(reqwest::Error),
    /// No headers before the deadline.
    TimedOut,
}

impl NotSent {
    /// The connection was never made (DNS, refused, connect timeout).
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, NotSent::Http(e) if e.is_connect())
    }

    pub(crate) fn to_error(&self) -> ApiError {
        match self {
            NotSent::Http(e) => error::network(e),
            NotSent::TimedOut => error::timed_out(),
        }
    }
}

/// Sends, waiting at most `deadline` for the answer's headers.
pub(crate) async fn send_within(
    builder: reqwest::RequestBuilder,
    deadline: Option<Duration>,
) -> Result<reqwest::Response, NotSent> {
    match deadline {
        Some(d) => match tokio::time::timeout(d, builder.send()).await {
            Ok(sent) => sent.map_err(NotSent::Http),
            Err(_) => Err(NotSent::TimedOut),
        },
        None => builder.send().await.map_err(NotSent::Http),
    }
}

/// The client's own reqwest client: a connect timeout but no total one
/// (that would cover download bodies too), and no redirects: downloads
/// follow Box's 302 themselves (without the token, re-asking when the link
/// expired); nothing else redirects.
fn default_http(timeouts: &Timeouts) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("BoxConnector/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client builds with static settings")
}

fn location(headers: &HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests;
