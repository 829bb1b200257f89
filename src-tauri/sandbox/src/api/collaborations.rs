//! `GET /2.0/folders/{id}/collaborations`, `GET /2.0/files/{id}/collaborations`,
//! `GET /2.0/collaborations/{id}`, `POST /2.0/collaborations` and
//! `DELETE /2.0/collaborations/{id}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::files::visible_file;
use super::folders::visible_folder;
use super::{decode_marker, encode_marker, limit, repr, Caller, Q};
use crate::changes::{Grantee, Writer};
use crate::enterprise::{AccountKind, CollabStatus, Enterprise};
use crate::error::ApiError;
use crate::state::Inner;
use crate::tokens::now_unix;

pub fn collab_json(ent: &Enterprise, ci: u32, base: &str) -> Value {
    let c = &ent.collabs[ci as usize];
    let g = &ent.accounts[c.grantee as usize];
    let pending = c.status == CollabStatus::Pending;
    let item = if pending {
        Value::Null
    } else if c.item_is_file {
        repr::file_entry(
            ent,
            c.item,
            Some(&["name".into(), "etag".into(), "sequence_id".into()]),
            base,
            &|_| String::new(),
        )
    } else {
        repr::folder_entry(ent, c.item, None, base)
    };
    let creator = &ent.accounts[c.created_by as usize];
    json!({
        "type": "collaboration",
        "id": (crate::enterprise::COLLAB_ID_BASE + ci as u64).to_string(),
        "item": item,
        "accessible_by": {
            "type": "user",
            "id": g.id.to_string(),
            "name": if pending { String::new() } else { g.name.clone() },
            "login": g.login,
            "is_active": true,
        },
        "invite_email": if pending { json!(g.login) } else { Value::Null },
        "role": c.role,
        "expires_at": Value::Null,
        "is_access_only": false,
        "status": if pending { "pending" } else { "accepted" },
        "acknowledged_at": repr::ts(c.created_at + 3_600),
        "created_by": {"type": "user", "id": creator.id.to_string(), "name": creator.name, "login": creator.login, "is_active": true},
        "created_at": repr::ts(c.created_at),
        "modified_at": repr::ts(c.created_at + 3_600),
    })
}

/// Whether a collaborator's login domain is outside the enterprise.
pub fn is_external(ent: &Enterprise, ci: u32) -> bool {
    ent.accounts[ent.collabs[ci as usize].grantee as usize].kind != AccountKind::Managed
}

fn list(inner: &Inner, c: &Caller, is_file: bool, id: &str, q: Q) -> Result<Value, ApiError> {
    let limit = limit(&q, 100, 1000)? as usize;
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let item = if is_file {
        visible_file(ent, id, c.acting)?
    } else {
        visible_folder(ent, id, c.acting)?
    };
    let all: Vec<u32> = ent
        .collabs_by_item
        .get(&(is_file, item))
        .map(|v| {
            v.iter()
                .copied()
                .filter(|&ci| !ent.collabs[ci as usize].removed)
                .collect()
        })
        .unwrap_or_default();
    let scope = format!("collabs{}{item}", if is_file { "f" } else { "d" });
    let start = match q.get("marker") {
        Some(m) if !m.is_empty() => decode_marker(&scope, m)?,
        _ => 0,
    };
    let end = (start + limit).min(all.len());
    let start = start.min(end);
    let _ = q.fields();
    Ok(json!({
        "limit": limit,
        "next_marker": (end < all.len()).then(|| encode_marker(&scope, end)),
        "prev_marker": Value::Null,
        "entries": all[start..end].iter().map(|&ci| collab_json(ent, ci, &inner.base_url)).collect::<Vec<_>>(),
    }))
}

pub async fn of_folder(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match list(
        &inner,
        &c,
        false,
        &id,
        Q::new(q, "GET", "/folders/{folder_id}/collaborations"),
    ) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn of_file(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match list(
        &inner,
        &c,
        true,
        &id,
        Q::new(q, "GET", "/files/{file_id}/collaborations"),
    ) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Keep `type`, `id` and the asked-for fields of a representation, as `fields` does.
fn only_fields(v: Value, fields: Option<&[String]>) -> Value {
    let (Some(list), Value::Object(m)) = (fields, &v) else {
        return v;
    };
    let keep = |k: &str| k == "type" || k == "id" || list.iter().any(|f| f == k);
    Value::Object(
        m.iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect(),
    )
}

fn parse_create(body: &Value) -> Result<(bool, String, Grantee, String), ApiError> {
    let bad = |what: &str| ApiError::bad_request(format!("Invalid value for '{what}'"));
    let item = body
        .get("item")
        .filter(|v| v.is_object())
        .ok_or_else(|| bad("item"))?;
    let is_file = match item.get("type").and_then(Value::as_str) {
        Some("file") => true,
        Some("folder") => false,
        _ => {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_collaboration_item",
                "Item type must be specified and set to 'folder' or 'file'",
            ))
        }
    };
    let item_id = match item.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad("item.id")),
    };
    let by = body
        .get("accessible_by")
        .filter(|v| v.is_object())
        .ok_or_else(|| bad("accessible_by"))?;
    match by.get("type").and_then(Value::as_str) {
        Some("user") => {}
        Some("group") => {
            return Err(ApiError::bad_request(
                "The sandbox has no groups: invite users by id or login",
            ))
        }
        _ => return Err(bad("accessible_by.type")),
    }
    let grantee = match (by.get("id"), by.get("login").and_then(Value::as_str)) {
        (Some(Value::String(id)), _) => Grantee::Id(id.clone()),
        (Some(Value::Number(n)), _) => Grantee::Id(n.to_string()),
        (_, Some(login)) => Grantee::Login(login.to_string()),
        _ => return Err(bad("accessible_by")),
    };
    let role = body
        .get("role")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("role"))?
        .to_string();
    Ok((is_file, item_id, grantee, role))
}

/// `POST /2.0/collaborations`: invite a user (by id or login, outside logins too).
pub async fn create(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let q = Q::new(q, "POST", "/collaborations");
    let result: Result<Value, ApiError> = (|| {
        let Json(body) = body
            .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {}", e.body_text())))?;
        let (is_file, item_id, grantee, role) = parse_create(&body)?;
        let _ = q.bool("notify")?; // the sandbox sends no mail either way
        let mut world = inner.world.write().unwrap();
        let item = if is_file {
            visible_file(&world.ent, &item_id, c.acting)?
        } else {
            visible_folder(&world.ent, &item_id, c.acting)?
        };
        let ci = Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .collaborate(is_file, item, &grantee, &role)?;
        Ok(only_fields(
            collab_json(&world.ent, ci, &inner.base_url),
            q.fields().as_deref(),
        ))
    })();
    match result {
        Ok(v) => (axum::http::StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The collaboration index of an API id; 404 when it names none.
fn collab_index(id: &str) -> Result<u32, ApiError> {
    id.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_sub(crate::enterprise::COLLAB_ID_BASE))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ApiError::not_found("Not Found"))
}

/// `GET /2.0/collaborations/{id}`: the collaborator and whoever sees the item
/// may read it; a removed one (or one on a trashed item) is a 404, which is
/// how a client learns that a removal whose answer it lost did happen.
pub async fn get_one(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let q = Q::new(q, "GET", "/collaborations/{collaboration_id}");
    let result: Result<Value, ApiError> = (|| {
        let ci = collab_index(&id)?;
        let world = inner.world.read().unwrap();
        let ent = &world.ent;
        let not_found = || ApiError::not_found("Not Found");
        let collab = ent.collabs.get(ci as usize).ok_or_else(not_found)?;
        let (item, is_file) = (collab.item, collab.item_is_file);
        let alive = if is_file {
            ent.file_alive(item)
        } else {
            !ent.folder_trashed(item)
        };
        let sees = collab.grantee == c.acting
            || if is_file {
                ent.can_see_file(c.acting, item)
            } else {
                ent.can_see_folder(c.acting, item)
            };
        if collab.removed || !alive || !sees {
            return Err(not_found());
        }
        Ok(only_fields(
            collab_json(ent, ci, &inner.base_url),
            q.fields().as_deref(),
        ))
    })();
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `DELETE /2.0/collaborations/{id}`.
pub async fn delete(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let result: Result<(), ApiError> = (|| {
        let ci = collab_index(&id)?;
        let mut world = inner.world.write().unwrap();
        Writer {
            inner: &inner,
            world: &mut world,
            actor: c.acting,
            now: now_unix(),
        }
        .uncollaborate(ci)
    })();
    match result {
        Ok(()) => axum::http::StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}
