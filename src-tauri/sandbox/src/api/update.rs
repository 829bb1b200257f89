//! `PUT /2.0/files/{id}`, `PUT /2.0/folders/{id}` (rename, move, description, shared
//! link) and `DELETE /2.0/files/{id}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::Value;

use super::files::visible_file;
use super::folders::visible_folder;
use super::{repr, Caller, Q};
use crate::changes::{check_if_match, ItemUpdate, LinkRequest, Writer};
use crate::enterprise::Access;
use crate::error::ApiError;
use crate::state::Inner;
use crate::tokens::now_unix;

fn invalid(name: &str) -> ApiError {
    ApiError::bad_request(format!("Invalid value for '{name}'"))
}

/// A string field, `None` when absent; null or another type is a 400.
fn opt_string(v: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match v.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(name)),
    }
}

/// A nullable string field: absent, null (clear) or a value.
fn nullable_string(v: &Value, name: &str) -> Result<Option<Option<String>>, ApiError> {
    match v.get(name) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(invalid(name)),
    }
}

fn opt_bool(v: &Value, name: &str) -> Result<Option<bool>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(name)),
    }
}

fn parse_link(v: &Value) -> Result<LinkRequest, ApiError> {
    if !v.is_object() {
        return Err(invalid("shared_link"));
    }
    let access = match v.get("access") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Access::parse(s).ok_or_else(|| invalid("access"))?),
        Some(_) => return Err(invalid("access")),
    };
    let unshared_at = match nullable_string(v, "unshared_at")? {
        None => None,
        Some(None) => Some(None),
        Some(Some(t)) => Some(Some(
            chrono::DateTime::parse_from_rfc3339(t.trim())
                .map_err(|_| invalid("unshared_at"))?
                .timestamp(),
        )),
    };
    let (can_download, can_edit) = match v.get("permissions") {
        None | Some(Value::Null) => (None, None),
        Some(p) if p.is_object() => (opt_bool(p, "can_download")?, opt_bool(p, "can_edit")?),
        Some(_) => return Err(invalid("permissions")),
    };
    Ok(LinkRequest {
        access,
        password: nullable_string(v, "password")?,
        unshared_at,
        can_download,
        can_edit,
        vanity_name: nullable_string(v, "vanity_name")?,
    })
}

/// The body of a PUT, as Box reads it; unknown fields are ignored, as Box does.
pub fn parse_update(body: &Value) -> Result<ItemUpdate, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request("The body must be a JSON object"));
    }
    let parent = match body.get("parent") {
        None | Some(Value::Null) => None,
        Some(p) => match p.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => return Err(invalid("parent")),
        },
    };
    let shared_link = match body.get("shared_link") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(parse_link(v)?)),
    };
    Ok(ItemUpdate {
        name: opt_string(body, "name")?,
        description: opt_string(body, "description")?,
        parent,
        shared_link,
    })
}

fn json_body(body: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    body.map(|Json(v)| v)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {}", e.body_text())))
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get("if-match").and_then(|v| v.to_str().ok())
}

pub async fn put_file(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let q = Q::new(q, "PUT", "/files/{file_id}");
    let result: Result<Value, ApiError> = (|| {
        let update = parse_update(&json_body(body)?)?;
        let mut world = inner.world.write().unwrap();
        let f = visible_file(&world.ent, &id, c.acting)?;
        check_if_match(world.ent.file_etag(f), if_match(&headers))?;
        Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .update_file(f, &update)?;
        let ent = &world.ent;
        let sha1 = |x: u32| inner.file_sha1(ent, x);
        Ok(repr::file(
            ent,
            f,
            q.fields().as_deref(),
            &inner.base_url,
            &sha1,
        ))
    })();
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn put_folder(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let q = Q::new(q, "PUT", "/folders/{folder_id}");
    let result: Result<Value, ApiError> = (|| {
        let update = parse_update(&json_body(body)?)?;
        let mut world = inner.world.write().unwrap();
        let d = visible_folder(&world.ent, &id, c.acting)?;
        if let Some(etag) = world.ent.folder_etag(d) {
            check_if_match(etag, if_match(&headers))?;
        }
        Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .update_folder(d, &update)?;
        Ok(repr::folder(
            &world.ent,
            d,
            q.fields().as_deref(),
            &inner.base_url,
        ))
    })();
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn delete_file(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result: Result<(), ApiError> = (|| {
        let mut world = inner.world.write().unwrap();
        let f = visible_file(&world.ent, &id, c.acting)?;
        check_if_match(world.ent.file_etag(f), if_match(&headers))?;
        Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .delete_file(f)
    })();
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}
