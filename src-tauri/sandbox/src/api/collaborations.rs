//! `GET /2.0/folders/{id}/collaborations` and `GET /2.0/files/{id}/collaborations`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::files::visible_file;
use super::folders::visible_folder;
use super::{decode_marker, encode_marker, limit, repr, Caller, Q};
use crate::enterprise::{AccountKind, CollabStatus, Enterprise};
use crate::error::ApiError;
use crate::state::Inner;

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
