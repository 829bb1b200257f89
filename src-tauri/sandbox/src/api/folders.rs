//! `GET /2.0/folders/{id}`, `GET /2.0/folders/{id}/items` and
//! `POST /2.0/folders` (create a folder).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{decode_marker, encode_marker, limit, repr, Caller, Q};
use crate::changes::Writer;
use crate::enterprise::Enterprise;
use crate::error::ApiError;
use crate::state::Inner;
use crate::tokens::now_unix;

/// The folder for an API id if the acting user may see it; 404 otherwise, as Box does.
pub fn visible_folder(ent: &Enterprise, id: &str, acting: u32) -> Result<u32, ApiError> {
    let not_found = || {
        ApiError::not_found("Not Found").with_context(json!({"errors": [{"reason": "invalid_parameter", "name": "folder", "message": "Invalid value 'd_".to_string() + id + "'. 'folder' with value 'd_" + id + "' not found"}]}))
    };
    let f = ent.parse_folder_id(id, acting).ok_or_else(not_found)?;
    if !ent.can_see_folder(acting, f) || ent.folder_trashed(f) {
        return Err(not_found());
    }
    Ok(f)
}

fn entries(
    inner: &Inner,
    ent: &Enterprise,
    folders: &[u32],
    files: &[u32],
    start: usize,
    end: usize,
    fields: Option<&[String]>,
) -> Vec<Value> {
    let sha1 = |f: u32| inner.file_sha1(ent, f);
    (start..end)
        .map(|i| {
            if i < folders.len() {
                repr::folder_entry(ent, folders[i], fields, &inner.base_url)
            } else {
                repr::file_entry(
                    ent,
                    files[i - folders.len()],
                    fields,
                    &inner.base_url,
                    &sha1,
                )
            }
        })
        .collect()
}

fn order() -> Value {
    json!([{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}])
}

pub async fn get_folder(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let q = Q::new(q, "GET", "/folders/{folder_id}");
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let f = match visible_folder(ent, &id, c.acting) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let fields = q.fields();
    let mut v = repr::folder(ent, f, fields.as_deref(), &inner.base_url);
    let wants_items = fields
        .as_ref()
        .is_none_or(|l| l.iter().any(|x| x == "item_collection"));
    if wants_items {
        let (folders, files) = ent.folder_items(f, c.acting);
        let total = folders.len() + files.len();
        let end = total.min(100);
        v["item_collection"] = json!({
            "total_count": total,
            "entries": entries(&inner, ent, &folders, &files, 0, end, None),
            "offset": 0,
            "limit": 100,
            "order": order(),
        });
    }
    Json(v).into_response()
}

pub async fn items(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match items_inner(
        &inner,
        &c,
        &id,
        Q::new(q, "GET", "/folders/{folder_id}/items"),
    ) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn items_inner(inner: &Inner, c: &Caller, id: &str, q: Q) -> Result<Value, ApiError> {
    let limit = limit(&q, 100, 1000)? as usize;
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let f = visible_folder(ent, id, c.acting)?;
    let (folders, files) = ent.folder_items(f, c.acting);
    let total = folders.len() + files.len();
    let fields = q.fields();
    let scope = format!("items{f}");
    if q.bool("usemarker")?.unwrap_or(false) || q.get("marker").is_some_and(|m| !m.is_empty()) {
        let start = match q.get("marker") {
            Some(m) if !m.is_empty() => decode_marker(&scope, m)?,
            _ => 0,
        };
        let end = (start + limit).min(total);
        let start = start.min(end);
        let next = (end < total).then(|| encode_marker(&scope, end));
        return Ok(json!({
            "limit": limit,
            "next_marker": next,
            "prev_marker": Value::Null,
            "entries": entries(inner, ent, &folders, &files, start, end, fields.as_deref()),
            "order": order(),
        }));
    }
    let offset = q.u64("offset")?.unwrap_or(0) as usize;
    let start = offset.min(total);
    let end = (start + limit).min(total);
    Ok(json!({
        "total_count": total,
        "offset": offset,
        "limit": limit,
        "entries": entries(inner, ent, &folders, &files, start, end, fields.as_deref()),
        "order": order(),
    }))
}

/// `{"name": …, "parent": {"id": …}}`; anything else Box refuses with 400.
fn parse_create(body: &Value) -> Result<(String, String), ApiError> {
    let name = match body.get("name") {
        Some(Value::String(n)) => n.clone(),
        None => return Err(ApiError::bad_request("Missing required field 'name'")),
        Some(_) => return Err(ApiError::bad_request("Invalid value for 'name'")),
    };
    let parent = match body.get("parent").map(|p| p.get("id")) {
        Some(Some(Value::String(id))) => id.clone(),
        Some(Some(Value::Number(n))) => n.to_string(),
        None => return Err(ApiError::bad_request("Missing required field 'parent'")),
        Some(_) => return Err(ApiError::bad_request("Invalid value for 'parent'")),
    };
    Ok((name, parent))
}

/// `POST /2.0/folders`: a new empty folder where the acting user may write.
pub async fn create(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let q = Q::new(q, "POST", "/folders");
    let result: Result<Value, ApiError> = (|| {
        let Json(body) = body
            .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {}", e.body_text())))?;
        let (name, parent_id) = parse_create(&body)?;
        let mut world = inner.world.write().unwrap();
        let parent = visible_folder(&world.ent, &parent_id, c.acting)?;
        let d = Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .create_folder(parent, &name)?;
        Ok(repr::folder(
            &world.ent,
            d,
            q.fields().as_deref(),
            &inner.base_url,
        ))
    })();
    match result {
        Ok(v) => (axum::http::StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}
