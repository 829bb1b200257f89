//! `GET /files/{id}/content`: Box answers 302 to a short-lived download URL
//! (or 202 + `retry-after` just after an upload, which the request loop waits
//! out). The download URL is fetched without the token; when it has expired
//! (403/404/410 from the download host) the content endpoint is asked again.
//! The body is handed back as a stream of chunks, never held whole.

use bytes::Bytes;
use futures_core::Stream;
use futures_util::TryStreamExt;
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use super::{error, Answer, ApiError, BoxClient, Read, Request, RequestOptions};

/// How many fresh download URLs one download asks for before giving up.
const MAX_LINK_RENEWALS: u32 = 2;

/// A download in progress: status and length known, body still on the wire.
pub struct Download {
    /// 200, or 206 for a `Range`.
    pub status: u16,
    pub content_length: Option<u64>,
    /// `bytes a-b/total` for a 206.
    pub content_range: Option<String>,
    response: reqwest::Response,
}

impl Download {
    /// The body, chunk by chunk as it arrives.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, ApiError>> + Send {
        self.response.bytes_stream().map_err(|e| error::network(&e))
    }

    fn from_response(response: reqwest::Response) -> Download {
        let content_range = response
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Download {
            status: response.status().as_u16(),
            content_length: response.content_length(),
            content_range,
            response,
        }
    }
}

impl BoxClient {
    /// Starts downloading a file's content (`options.range` for a part).
    pub async fn download(
        &self,
        file_id: &str,
        options: &RequestOptions,
    ) -> Result<Download, ApiError> {
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
                Answer::Streaming(resp) => return Ok(Download::from_response(resp)),
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
                Some(download) => return Ok(download),
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
    async fn fetch_download_url(
        &self,
        url: &str,
        options: &RequestOptions,
    ) -> Result<Option<Download>, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut builder = self.http.get(url);
            if let Some(r) = &options.range {
                builder = builder.header(reqwest::header::RANGE, r);
            }
            let started = Instant::now();
            let sent = builder.send().await;
            let latency_ms = started.elapsed().as_millis().min(u32::MAX as u128) as u32;
            let resp = match sent {
                Ok(r) => r,
                Err(err) => {
                    let e = error::network(&err);
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
                return Ok(Some(Download::from_response(resp)));
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
            return Err(error::error_from(status, &body));
        }
    }
}
