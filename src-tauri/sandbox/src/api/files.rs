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

/// `GET /d/{file_id}/{version}/{expires}/{sig}`: the download host. Supports Range.
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
    let Some(range) = range else {
        return (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::ACCEPT_RANGES, "bytes"),
            ],
            bytes,
        )
            .into_response();
    };
    match parse_range(range, len) {
        Some((a, b)) => (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}")),
                (header::ACCEPT_RANGES, "bytes".to_string()),
            ],
            bytes[a as usize..=b as usize].to_vec(),
        )
            .into_response(),
        None => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{len}"))],
        )
            .into_response(),
    }
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range, inclusive bounds.
pub fn parse_range(v: &str, len: u64) -> Option<(u64, u64)> {
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len - 1)
        }
        (a, "") => (a.parse().ok()?, len - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(len - 1)),
    };
    (a <= b && a < len).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_as_http_defines_them() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=9-3", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
