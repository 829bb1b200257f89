//! `GET /files/{id}/content`: Box answers 302 to a short-lived download URL
//! (or 202 + `retry-after` just after an upload, which the request loop waits
//! out). The download URL is fetched without the token; when it has expired
//! (403/404/410 from the download host) the content endpoint is asked again.
//!
//! The body is handed back as one stream of chunks, never held whole, and
//! with no deadline of its own: it only has to keep moving (see
//! [`Timeouts`](super::Timeouts)). A body that stalls or is cut is resumed
//! where it stopped with `Range: bytes=N-` (the same URL while it lasts, else
//! a fresh one), at most [`RetryPolicy::max_resumes`](super::RetryPolicy)
//! times, so the caller sees one continuous body. A resumed answer must start
//! at N (a 206) or is the whole file again (a 200 from a host that ignores
//! `Range`, whose first N bytes are dropped). What is left after that is an
//! [`ApiErrorKind::Transfer`](super::ApiErrorKind): that file's failure.

use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use super::{
    error, send_within, Answer, ApiError, BoxClient, NotSent, Read, Request, RequestOptions,
};

/// How many fresh download URLs one download asks for before giving up.
const MAX_LINK_RENEWALS: u32 = 2;

/// A download in progress: status and length known, body still on the wire.
pub struct Download<'c> {
    /// 200, or 206 for a `Range`.
    pub status: u16,
    pub content_length: Option<u64>,
    /// `bytes a-b/total` for a 206.
    pub content_range: Option<String>,
    body: Body<'c>,
}

impl<'c> Download<'c> {
    /// The body, chunk by chunk as it arrives, resumed under the hood when
    /// the connection stalls or breaks. An error ends the stream.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, ApiError>> + Send + Unpin + 'c {
        Box::pin(futures_util::stream::unfold(
            Some(self.body),
            |body| async move {
                let mut body = body?;
                match body.next_chunk().await {
                    Ok(Some(chunk)) => Some((Ok(chunk), Some(body))),
                    Ok(None) => None,
                    Err(e) => Some((Err(e), None)),
                }
            },
        ))
    }
}

/// Where a response's bytes sit in the file.
struct Span {
    /// Offset of its first byte.
    first: u64,
    /// Offset of its last byte, when known.
    last: Option<u64>,
    /// The file's size, when known.
    total: Option<u64>,
}

impl Span {
    fn of(response: &reqwest::Response) -> Option<Span> {
        if response.status() == StatusCode::PARTIAL_CONTENT {
            let (first, last, total) = content_range(response)?;
            return Some(Span {
                first,
                last: Some(last),
                total,
            });
        }
        let total = response.content_length();
        Some(Span {
            first: 0,
            last: total.and_then(|t| t.checked_sub(1)),
            total,
        })
    }
}

/// `Content-Range: bytes a-b/total` (total may be `*`).
fn content_range(response: &reqwest::Response) -> Option<(u64, u64, Option<u64>)> {
    let v = response
        .headers()
        .get(reqwest::header::CONTENT_RANGE)?
        .to_str()
        .ok()?;
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (a <= b).then_some((a, b, total))
}

/// The body of one download, across the responses it took.
struct Body<'c> {
    client: &'c BoxClient,
    file_id: String,
    options: RequestOptions,
    /// The download URL of `response`, tried first when resuming.
    url: Option<String>,
    response: reqwest::Response,
    /// Offset in the file of the next byte the caller gets.
    next: u64,
    /// Offset of the last byte the caller gets, when known.
    last: Option<u64>,
    /// The file's size, when an answer said it: a resume must agree.
    total: Option<u64>,
    /// Bytes of `response` to drop first (a 200 to a resume is the whole file).
    skip: u64,
    resumes: u32,
    /// Time spent waiting for bytes, and bytes that came, in the current
    /// minimum-rate window.
    waited: Duration,
    received: u64,
}

impl<'c> Body<'c> {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ApiError> {
        loop {
            if self.last.is_some_and(|last| self.next > last) {
                return Ok(None);
            }
            if let Some(slow) = self.too_slow() {
                self.resume(slow).await?;
                continue;
            }
            let started = Instant::now();
            let read = match self.client.timeouts.idle {
                Some(idle) => tokio::time::timeout(idle, self.response.chunk())
                    .await
                    .map_err(|_| idle),
                None => Ok(self.response.chunk().await),
            };
            self.waited += started.elapsed();
            let problem = match read {
                Ok(Ok(Some(chunk))) => {
                    self.received += chunk.len() as u64;
                    if let Some(chunk) = self.take(chunk) {
                        return Ok(Some(chunk));
                    }
                    continue;
                }
                Ok(Ok(None)) if self.skip == 0 && self.last.is_none() => return Ok(None),
                // The body ended cleanly but short (a length we were not told).
                Ok(Ok(None)) => "ended early".to_owned(),
                // Never the error's text: it holds the pre-signed URL.
                Ok(Err(_)) => "was cut off".to_owned(),
                Err(idle) => format!("stalled (no data for {})", secs(idle)),
            };
            self.resume(problem).await?;
        }
    }

    /// The part of `chunk` the caller gets: past `skip`, up to `last`.
    fn take(&mut self, mut chunk: Bytes) -> Option<Bytes> {
        if self.skip > 0 {
            let n = self.skip.min(chunk.len() as u64);
            self.skip -= n;
            chunk = chunk.slice(n as usize..);
        }
        if let Some(last) = self.last {
            let room = (last + 1).saturating_sub(self.next);
            if (chunk.len() as u64) > room {
                chunk.truncate(room as usize);
            }
        }
        self.next += chunk.len() as u64;
        (!chunk.is_empty()).then_some(chunk)
    }

    /// "too slow" once a whole window of waiting brought too few bytes.
    fn too_slow(&mut self) -> Option<String> {
        let rate = self.client.timeouts.min_rate?;
        if self.waited < rate.window {
            return None;
        }
        let slow = rate.too_slow(self.received, self.waited);
        let what = format!(
            "was too slow ({} bytes in {}, under {} bytes/s)",
            self.received,
            secs(self.waited),
            rate.bytes_per_second
        );
        self.waited = Duration::ZERO;
        self.received = 0;
        slow.then_some(what)
    }

    /// Asks for the rest (`Range: bytes=next-`) and carries on from there.
    async fn resume(&mut self, problem: String) -> Result<(), ApiError> {
        let max = self.client.retry.max_resumes;
        if self.resumes >= max {
            let times = match max {
                0 => String::new(),
                1 => " (resumed once)".to_owned(),
                n => format!(" (resumed {n} times)"),
            };
            return Err(error::transfer(&format!("{problem}{times}")));
        }
        self.resumes += 1;
        tracing::debug!(
            file = %self.file_id,
            at = self.next,
            resume = self.resumes,
            "download {problem}; resuming"
        );
        let end = self.last.map(|l| l.to_string()).unwrap_or_default();
        let options = self
            .options
            .clone()
            .range(format!("bytes={}-{end}", self.next));
        let reused = match &self.url {
            Some(url) => self.client.fetch_download_url(url, &options).await?,
            None => None,
        };
        let (response, url) = match reused {
            Some(response) => (response, self.url.clone()),
            None => self.client.open(&self.file_id, &options).await?,
        };
        let changed = || error::transfer("stopped: the file changed while it was downloaded");
        let span = Span::of(&response).ok_or_else(changed)?;
        if self.total.is_some() && span.total.is_some() && span.total != self.total {
            return Err(changed());
        }
        let skip = match response.status() {
            StatusCode::PARTIAL_CONTENT if span.first == self.next => 0,
            StatusCode::PARTIAL_CONTENT => {
                return Err(error::transfer(&format!(
                    "resumed at byte {} instead of {}",
                    span.first, self.next
                )))
            }
            _ => self.next,
        };
        self.total = self.total.or(span.total);
        self.last = self.last.or(span.last);
        self.response = response;
        self.url = url;
        self.skip = skip;
        self.waited = Duration::ZERO;
        self.received = 0;
        Ok(())
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl BoxClient {
    /// Starts downloading a file's content (`options.range` for a part).
    pub async fn download(
        &self,
        file_id: &str,
        options: &RequestOptions,
    ) -> Result<Download<'_>, ApiError> {
        let (response, url) = self.open(file_id, options).await?;
        let content_range = response
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let span = Span::of(&response).ok_or_else(|| {
            error::transfer("was answered with a Content-Range that does not parse")
        })?;
        Ok(Download {
            status: response.status().as_u16(),
            content_length: response.content_length(),
            content_range,
            body: Body {
                client: self,
                file_id: file_id.to_owned(),
                options: options.clone(),
                url,
                next: span.first,
                last: span.last,
                total: span.total,
                skip: 0,
                resumes: 0,
                waited: Duration::ZERO,
                received: 0,
                response,
            },
        })
    }

    /// The content's response, headers read, and the download URL it came
    /// from (none when Box's API answered with the bytes itself).
    async fn open(
        &self,
        file_id: &str,
        options: &RequestOptions,
    ) -> Result<(reqwest::Response, Option<String>), ApiError> {
        let path = format!("/files/{file_id}/content");
        let mut renewals = 0;
        loop {
            let req = Request {
                method: Method::GET,
                path: &path,
                query: &[],
                options,
                json: None,
            };
            let location = match self.execute(&req, Read::Stream).await? {
                Answer::Streaming(resp) => return Ok((resp, None)),
                Answer::Redirect(location) => location,
                Answer::Body(_) | Answer::NotModified => {
                    return Err(error::error_from(StatusCode::NOT_MODIFIED, b""))
                }
            };
            // Box's Location is absolute; a relative one is read against the request.
            let url = url::Url::parse(&format!("{}{}", self.api_url, path))
                .and_then(|base| base.join(&location))
                .map_err(|_| {
                    error::error_from(
                        StatusCode::BAD_GATEWAY,
                        br#"{"code":"bad_redirect","message":"The download redirect has no usable address."}"#,
                    )
                })?;
            match self.fetch_download_url(url.as_str(), options).await? {
                Some(response) => return Ok((response, Some(url.into()))),
                None if renewals < MAX_LINK_RENEWALS => renewals += 1,
                None => {
                    return Err(error::error_from(
                        StatusCode::GONE,
                        br#"{"code":"download_link_expired","message":"The download link kept expiring."}"#,
                    ))
                }
            }
        }
    }

    /// GETs a download URL (pre-signed: no token, no `as-user`). `None`
    /// when the link has expired or been refused, so a new one is asked for.
    /// A host that cannot be reached is the connection's failure; one that
    /// answers badly or not at all is this download's ([`error::transfer`]).
    async fn fetch_download_url(
        &self,
        url: &str,
        options: &RequestOptions,
    ) -> Result<Option<reqwest::Response>, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut builder = self.http.get(url);
            if let Some(r) = &options.range {
                builder = builder.header(reqwest::header::RANGE, r);
            }
            let started = Instant::now();
            let sent = send_within(builder, self.timeouts.request).await;
            let latency_ms = started.elapsed().as_millis().min(u32::MAX as u128) as u32;
            let resp = match sent {
                Ok(r) => r,
                Err(err) => {
                    let e = match err {
                        NotSent::Http(_) if err.is_connect() => err.to_error(),
                        NotSent::Http(_) => error::transfer("got no answer from the download host"),
                        NotSent::TimedOut => {
                            error::transfer("got no answer from the download host in time")
                        }
                    };
                    self.record(
                        &Method::GET,
                        "(download)",
                        None,
                        latency_ms,
                        Some(e.user.code),
                    );
                    if attempt < self.retry.max_attempts.min(3) {
                        let wait = self.retry.backoff(attempt, &mut rand::thread_rng());
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(e);
                }
            };
            let status = resp.status();
            self.record(
                &Method::GET,
                "(download)",
                Some(status.as_u16()),
                latency_ms,
                None,
            );
            if status.is_success() {
                return Ok(Some(resp));
            }
            if matches!(status.as_u16(), 401 | 403 | 404 | 410) {
                return Ok(None);
            }
            let retryable = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
            if retryable && attempt < self.retry.max_attempts {
                let wait = super::retry_after(resp.headers())
                    .filter(|d| *d <= self.retry.max_retry_after)
                    .unwrap_or_else(|| self.retry.backoff(attempt, &mut rand::thread_rng()));
                tokio::time::sleep(wait).await;
                continue;
            }
            // Error bodies are small; the download host's are not Box JSON.
            let body = resp.bytes().await.unwrap_or_default();
            return Err(error::download_host(status, &body));
        }
    }
}
