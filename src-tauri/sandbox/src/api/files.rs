//! `GET /2.0/files/{id}`, `GET /2.0/files/{id}/content` and the signed download route.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use super::{repr, Caller, Q};
use crate::enterprise::Enterprise;
use crate::error::ApiError;
use crate::events::{Event, EventKind, Subject};
use crate::rng::h;
use crate::state::Inner;
use crate::tokens::now_unix;

/// Download URLs are valid for 15 minutes, as Box's are.
const DOWNLOAD_TTL: i64 = 15 * 60;

pub fn visible_file(ent: &Enterprise, id: &str, acting: u32) -> Result<u32, ApiError> {
    let not_found = || {
        ApiError::not_found("Not Found").with_context(json!({"errors": [{"reason": "invalid_parameter", "name": "file", "message": format!("Invalid value 'f_{id}'. 'file' with value 'f_{id}' not found")}]}))
    };
    let f = ent.parse_file_id(id).ok_or_else(not_found)?;
    if !ent.can_see_file(acting, f) || !ent.file_alive(f) {
        return Err(not_found());
    }
    Ok(f)
}

pub async fn get_file(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let q = Q::new(q, "GET", "/files/{file_id}");
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let f = match visible_file(ent, &id, c.acting) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let etag = ent.file_etag(f).to_string();
    if let Some(inm) = headers.get("if-none-match").and_then(|v| v.to_str().ok()) {
        if inm
            .split(',')
            .any(|t| t.trim().trim_matches('"') == etag || t.trim() == "*")
        {
            return StatusCode::NOT_MODIFIED.into_response();
        }
    }
    let sha1 = |x: u32| inner.file_sha1(ent, x);
    let body = repr::file(ent, f, q.fields().as_deref(), &inner.base_url, &sha1);
    ([(header::ETAG, format!("\"{etag}\""))], Json(body)).into_response()
}

fn signature(seed: u64, file: u32, version: u32, expires: i64) -> String {
    format!(
        "{:016x}",
        h(
            seed ^ 0x5167,
            ((version as u64) << 32) | file as u64,
            expires as u64
        )
    )
}

pub async fn content(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let q = Q::new(q, "GET", "/files/{file_id}/content");
    let mut world = inner.world.write().unwrap();
    let f = match visible_file(&world.ent, &id, c.acting) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let version = world.ent.file_version(f);
    if let Some(v) = q.get("version") {
        if v != repr::file_version_id(f, version) {
            return ApiError::not_found("Not Found").into_response();
        }
    }
    let expires = now_unix() + DOWNLOAD_TTL;
    let sig = signature(world.ent.seed, f, version, expires);
    // Downloading through the API is a DOWNLOAD in the enterprise's log.
    world.events.push(Event {
        at: now_unix(),
        kind: EventKind::Download,
        actor: c.acting,
        subject: Subject::File(f),
        extra: 0,
    });
    let location = format!(
        "{}/d/{}/{version}/{expires}/{sig}",
        inner.base_url,
        world.ent.file_box_id(f)
    );
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// `GET /d/{file_id}/{version}/{expires}/{sig}`: the download host. Honours
/// one `Range` (206 + `Content-Range`, 416 when it starts past the end) and
/// the download faults: a bandwidth cap and cuts (see [`crate::Faults`]).
pub async fn download(
    State(inner): State<Arc<Inner>>,
    Path((id, version, expires, sig)): Path<(String, u32, i64, String)>,
    headers: HeaderMap,
) -> Response {
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let Some(f) = ent.parse_file_id(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if sig != signature(ent.seed, f, version, expires) || expires < now_unix() {
        return (StatusCode::FORBIDDEN, "download link expired or invalid").into_response();
    }
    if ent.file_version(f) != version || !ent.file_alive(f) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let bytes = inner.file_bytes(ent, f);
    drop(world);
    let len = bytes.len() as u64;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, body, content_range) = match range.map(|r| parse_range(r, len)) {
        None | Some(RangeAsk::Whole) => (StatusCode::OK, bytes, None),
        Some(RangeAsk::Part(a, b)) => (
            StatusCode::PARTIAL_CONTENT,
            bytes.slice(a as usize..=b as usize),
            Some(format!("bytes {a}-{b}/{len}")),
        ),
        Some(RangeAsk::Unsatisfiable) => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response()
        }
    };
    let body_len = body.len();
    let mut resp = shaped(&inner, body).into_response();
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, body_len.into());
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::ACCEPT_RANGES,
        header::HeaderValue::from_static("bytes"),
    );
    if let Some(cr) = content_range {
        h.insert(header::CONTENT_RANGE, cr.parse().expect("ascii"));
    }
    resp
}

/// A content body as the download faults have it: whole and at once, or
/// paced under the bandwidth cap, or cut (broken or stalled) part-way. The
/// length is announced in full either way, as a real host's is.
fn shaped(inner: &Inner, body: bytes::Bytes) -> axum::body::Body {
    let (rate, cut) = {
        let mut c = inner.control.lock().unwrap();
        let f = &mut c.faults;
        let cut = (f.download_cuts > 0).then(|| {
            f.download_cuts -= 1;
            Cut {
                after: f.download_cut_after_bytes,
                stall: f.download_cut_stalls,
            }
        });
        // kilobits to bytes
        let rate = (f.bandwidth_kbps > 0).then(|| f.bandwidth_kbps * 125);
        (rate, cut)
    };
    if rate.is_none() && cut.is_none() {
        return axum::body::Body::from(body);
    }
    // A chunk is a twentieth of a second's worth, so the pace is smooth.
    let step = rate.map_or(64 * 1024, |r| (r / 20).clamp(1, 64 * 1024)) as usize;
    let started = tokio::time::Instant::now();
    let stopping = inner.stopping.subscribe();
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let body = body.clone();
        let mut stopping = stopping.clone();
        async move {
            if let Some(cut) = cut.filter(|c| sent as u64 >= c.after) {
                if cut.stall {
                    // Until the client gives up (the body is dropped) or the sandbox stops.
                    let _ = stopping.wait_for(|stopped| *stopped).await;
                }
                // Let the bytes before the cut reach the client first.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                return Some((
                    Err(std::io::Error::other("injected download cut")),
                    usize::MAX,
                ));
            }
            if sent >= body.len() {
                return None;
            }
            let mut end = (sent + step).min(body.len());
            if let Some(c) = cut {
                end = end.min(c.after as usize);
            }
            if let Some(r) = rate {
                let due = std::time::Duration::from_secs_f64(end as f64 / r as f64);
                tokio::time::sleep_until(started + due).await;
            }
            Some((Ok::<_, std::io::Error>(body.slice(sent..end)), end))
        }
    });
    axum::body::Body::from_stream(stream)
}

#[derive(Clone, Copy)]
struct Cut {
    after: u64,
    stall: bool,
}

/// What a `Range` header asks of a body of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeAsk {
    /// No range this host serves (another unit, several ranges, junk): the
    /// header is ignored and the whole body sent, as HTTP allows.
    Whole,
    /// One range, inclusive bounds, within the body.
    Part(u64, u64),
    /// A well-formed range that starts past the end: 416.
    Unsatisfiable,
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range (RFC 9110 §14.1.2).
pub fn parse_range(v: &str, len: u64) -> RangeAsk {
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    let Some((a, b)) = spec.split_once('-').filter(|_| !spec.contains(',')) else {
        return RangeAsk::Whole;
    };
    let num = |t: &str| t.trim().parse::<u64>().ok();
    match (a.trim(), b.trim()) {
        ("", n) => match num(n) {
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if len == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::Part(len.saturating_sub(n), len - 1),
            None => RangeAsk::Whole,
        },
        (a, b) => {
            let Some(a) = num(a) else {
                return RangeAsk::Whole;
            };
            let last = match b {
                "" => None,
                b => match num(b) {
                    Some(b) if b >= a => Some(b),
                    _ => return RangeAsk::Whole,
                },
            };
            if a >= len {
                return RangeAsk::Unsatisfiable;
            }
            RangeAsk::Part(a, last.map_or(len - 1, |b| b.min(len - 1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_range, RangeAsk::*};

    #[test]
    fn ranges_as_http_defines_them() {
        assert_eq!(parse_range("bytes=0-9", 100), Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=-500", 100), Part(0, 99));
        assert_eq!(parse_range("bytes=50-500", 100), Part(50, 99));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
        // Not a range this host serves: ignored, the whole body goes.
        assert_eq!(parse_range("bytes=9-3", 100), Whole);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Whole);
        assert_eq!(parse_range("items=0-1", 100), Whole);
        assert_eq!(parse_range("bytes=x-", 100), Whole);
    }
}
