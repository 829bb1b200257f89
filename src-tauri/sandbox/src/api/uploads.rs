//! Box's upload server: `POST /api/2.0/files/content` (a new file) and
//! `POST /api/2.0/files/{id}/content` (a new version), multipart/form-data with the
//! `attributes` part before the `file` part.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};
use sha1::Digest;

use super::files::visible_file;
use super::folders::visible_folder;
use super::{repr, Caller, Q};
use crate::changes::{check_if_match, Writer};
use crate::config::NewVersionEvent;
use crate::error::ApiError;
use crate::events::EventKind;
use crate::state::{hex, Inner};
use crate::tokens::now_unix;

/// Largest body the upload routes read. Box takes far more in one request but
/// recommends chunked sessions above 50 MB; the sandbox keeps uploads in
/// memory, and takes a 200 MB file so a slow-link download can be tried.
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

/// What a multipart upload carried, in the order Box requires.
struct Upload {
    attributes: Option<Value>,
    bytes: bytes::Bytes,
    sha1: String,
}

fn metadata_after_file_contents() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "metadata_after_file_contents",
        "Metadata is included after file contents in a file upload request",
    )
}

/// Read the parts: `attributes` (JSON) must come before `file`; other parts are ignored.
async fn read_parts(
    mp: Result<Multipart, MultipartRejection>,
    headers: &HeaderMap,
) -> Result<Upload, ApiError> {
    let bad = |e: String| ApiError::bad_request(format!("Invalid multipart body: {e}"));
    let mut mp = mp.map_err(|e| bad(e.body_text()))?;
    let mut attributes = None;
    let mut file: Option<bytes::Bytes> = None;
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name() {
            Some("attributes") => {
                if file.is_some() {
                    return Err(metadata_after_file_contents());
                }
                let raw = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                let v: Value = serde_json::from_slice(&raw).map_err(|e| {
                    ApiError::bad_request(format!("Invalid JSON in 'attributes': {e}"))
                })?;
                if !v.is_object() {
                    return Err(ApiError::bad_request("'attributes' must be a JSON object"));
                }
                attributes = Some(v);
            }
            Some("file") => {
                file = Some(field.bytes().await.map_err(|e| bad(e.body_text()))?);
            }
            _ => {}
        }
    }
    let bytes = file.ok_or_else(|| ApiError::bad_request("Missing the 'file' part"))?;
    let sha1 = hex(&sha1::Sha1::digest(&bytes));
    // Box takes the SHA-1 (not an MD5) in `content-md5` and refuses a mismatch.
    if let Some(want) = headers.get("content-md5").and_then(|v| v.to_str().ok()) {
        if !want.trim().eq_ignore_ascii_case(&sha1) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_digest",
                "The specified content-md5 did not match what we received",
            ));
        }
    }
    Ok(Upload {
        attributes,
        bytes,
        sha1,
    })
}

fn string_attr<'a>(attrs: &'a Value, name: &str) -> Result<Option<&'a str>, ApiError> {
    match attrs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!(
            "Invalid value for '{name}' in 'attributes'"
        ))),
    }
}

/// `{"total_count": 1, "entries": [file]}`, the `Files` body both routes answer with.
fn files_body(inner: &Inner, world: &crate::state::World, f: u32, q: &Q) -> Value {
    let ent = &world.ent;
    let sha1 = |x: u32| inner.file_sha1(ent, x);
    let entry = repr::file(ent, f, q.fields().as_deref(), &inner.base_url, &sha1);
    json!({"total_count": 1, "entries": [entry]})
}

pub async fn upload_file(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let q = Q::new(q, "POST", "/files/content");
    let up = match read_parts(mp, &headers).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let result: Result<Value, ApiError> = (|| {
        let attrs = up
            .attributes
            .as_ref()
            .ok_or_else(|| ApiError::bad_request("Missing the 'attributes' part"))?;
        let name = string_attr(attrs, "name")?
            .ok_or_else(|| ApiError::bad_request("'attributes' needs a 'name'"))?;
        let parent = match attrs.get("parent").and_then(|p| p.get("id")) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(ApiError::bad_request("'attributes' needs a 'parent.id'")),
        };
        let mut world = inner.world.write().unwrap();
        let folder = visible_folder(&world.ent, &parent, c.acting)?;
        let f = Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .upload(folder, name, up.bytes.clone(), up.sha1.clone())?;
        Ok(files_body(&inner, &world, f, &q))
    })();
    match result {
        Ok(body) => (StatusCode::CREATED, Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn upload_version(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let q = Q::new(q, "POST", "/files/{file_id}/content");
    let up = match read_parts(mp, &headers).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let if_match = headers.get("if-match").and_then(|v| v.to_str().ok());
    let event = match inner.control.lock().unwrap().new_version_event {
        NewVersionEvent::Edit => EventKind::Edit,
        NewVersionEvent::Upload => EventKind::Upload,
    };
    let result: Result<Value, ApiError> = (|| {
        let name = match &up.attributes {
            Some(a) => string_attr(a, "name")?,
            None => None,
        };
        let mut world = inner.world.write().unwrap();
        let f = visible_file(&world.ent, &id, c.acting)?;
        check_if_match(world.ent.file_etag(f), if_match)?;
        Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .new_version(f, name, up.bytes.clone(), up.sha1.clone(), event)?;
        Ok(files_body(&inner, &world, f, &q))
    })();
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}
