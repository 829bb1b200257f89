//! `GET /2.0/users/me` and `GET /2.0/users`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use super::{decode_marker, encode_marker, limit, repr, Caller, Q};
use crate::enterprise::{AccountKind, Role};
use crate::error::ApiError;
use crate::state::Inner;

pub const NO_ENTERPRISE: &str = "User cannot access this feature without having an enterprise";

pub async fn me(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let q = Q::new(q, "GET", "/users/me");
    let world = inner.world.read().unwrap();
    Json(repr::user(
        &world.ent,
        c.acting,
        q.fields().as_deref(),
        &inner.base_url,
    ))
    .into_response()
}

/// Admins and co-admins may list users; plain users and accounts outside an enterprise may not.
pub fn require_admin(inner: &Inner, c: &Caller) -> Result<(), ApiError> {
    let world = inner.world.read().unwrap();
    let a = &world.ent.accounts[c.acting as usize];
    if a.kind != AccountKind::Managed {
        return Err(ApiError::forbidden(NO_ENTERPRISE));
    }
    if a.role == Role::User {
        return Err(ApiError::forbidden(
            "Access denied - insufficient permission",
        ));
    }
    Ok(())
}

pub async fn list(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match list_inner(&inner, &c, Q::new(q, "GET", "/users")) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn list_inner(inner: &Inner, c: &Caller, q: Q) -> Result<serde_json::Value, ApiError> {
    require_admin(inner, c)?;
    let limit = limit(&q, 100, 1000)? as usize;
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let term = q.get("filter_term").map(|t| t.to_ascii_lowercase());
    let user_type = q.get("user_type").unwrap_or("all");
    if !matches!(user_type, "all" | "managed" | "external") {
        return Err(ApiError::bad_request(format!(
            "Invalid value '{user_type}' for query parameter 'user_type'"
        )));
    }
    let matches_term = |i: usize| {
        let a = &ent.accounts[i];
        match &term {
            None => true,
            Some(t) => {
                a.login.to_ascii_lowercase().starts_with(t.as_str())
                    || a.name.to_ascii_lowercase().contains(t.as_str())
            }
        }
    };
    // External users show up only when the filter names their login exactly, as on Box.
    let ids: Vec<u32> = (0..ent.accounts.len())
        .filter(|&i| {
            let a = &ent.accounts[i];
            match a.kind {
                AccountKind::Managed => user_type != "external" && matches_term(i),
                AccountKind::External => {
                    user_type != "managed"
                        && term.as_deref() == Some(a.login.to_ascii_lowercase().as_str())
                }
                AccountKind::Personal => false,
            }
        })
        .map(|i| i as u32)
        .collect();
    let fields = q.fields();
    let render = |slice: &[u32]| -> Vec<serde_json::Value> {
        slice
            .iter()
            .map(|&u| repr::user(ent, u, fields.as_deref(), &inner.base_url))
            .collect()
    };
    let use_marker = q.bool("usemarker")?.unwrap_or(false) || q.get("marker").is_some();
    if use_marker {
        let start = match q.get("marker") {
            Some(m) if !m.is_empty() => decode_marker("users", m)?,
            _ => 0,
        };
        let end = (start + limit).min(ids.len());
        let start = start.min(end);
        let next = (end < ids.len()).then(|| encode_marker("users", end));
        return Ok(
            json!({"limit": limit, "next_marker": next, "entries": render(&ids[start..end])}),
        );
    }
    let offset = q.u64("offset")?.unwrap_or(0);
    if offset > 10_000 {
        return Err(ApiError::bad_request("Queries with offset greater than 10000 are not supported. Please use marker based pagination instead."));
    }
    let start = (offset as usize).min(ids.len());
    let end = (start + limit).min(ids.len());
    Ok(
        json!({"total_count": ids.len(), "limit": limit, "offset": offset, "entries": render(&ids[start..end])}),
    )
}
