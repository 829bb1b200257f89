//! `GET /2.0/events` for `admin_logs` (365 days, chronological, date filters) and
//! `admin_logs_streaming` (14 days, may duplicate and reorder).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::users::require_admin;
use super::{limit, repr, Caller, Q};
use crate::enterprise::{Enterprise, COLLAB_ID_BASE};
use crate::error::ApiError;
use crate::events::{access_of, Event, EventKind, EventLog, Snapshot, Subject, ANONYMOUS};
use crate::rng::{h, Draw};
use crate::state::Inner;
use crate::tokens::now_unix;

const DAY: i64 = 86_400;
/// A page scans at most this many entries: pages may hold fewer than `limit`.
const SCAN_CAP: usize = 20_000;

pub fn event_id(seed: u64, index: usize) -> String {
    let a = h(seed, 0xE1D, index as u64);
    let b = h(seed, 0xE1E, index as u64);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

fn ip_of(seed: u64, actor: u32) -> String {
    let x = h(seed, 0x1F, actor as u64);
    format!(
        "10.{}.{}.{}",
        (x >> 8) & 0xff,
        (x >> 16) & 0xff,
        1 + (x >> 24) % 254
    )
}

pub fn event_json(ent: &Enterprise, index: usize, e: &Event, snap: Option<&Snapshot>) -> Value {
    let created_by = if e.actor == ANONYMOUS {
        json!({"type": "user", "id": "2", "name": "Anonymous User"})
    } else {
        repr::user_mini(ent, e.actor)
    };
    let source = match e.subject {
        Subject::User => repr::user_mini(ent, e.actor),
        Subject::File(f) => {
            let (name, parent, owner) = match snap {
                Some(s) => (s.name.clone(), s.parent, s.owner),
                None => (
                    ent.file_name(f),
                    ent.files.parent[f as usize],
                    ent.file_owner(f),
                ),
            };
            json!({
                "item_type": "file",
                "item_id": ent.file_box_id(f),
                "item_name": name,
                "parent": repr::folder_mini(ent, parent),
                "owned_by": repr::user_mini(ent, owner),
            })
        }
        Subject::Folder(d) => {
            let (name, parent, owner) = match snap {
                Some(s) => (s.name.clone(), s.parent, s.owner),
                None => (
                    ent.folder_name(d),
                    ent.folders.parent[d as usize],
                    ent.folders.owner[d as usize],
                ),
            };
            json!({
                "item_type": "folder",
                "item_id": ent.folder_box_id(d),
                "item_name": name,
                "parent": if parent == crate::enterprise::NO_PARENT { Value::Null } else { repr::folder_mini(ent, parent) },
                "owned_by": repr::user_mini(ent, owner),
            })
        }
    };
    let mut v = json!({
        "type": "event",
        "event_id": event_id(ent.seed, index),
        "event_type": e.kind.as_str(),
        "created_at": repr::ts(e.at),
        "created_by": created_by,
        "source": source,
        "ip_address": if e.actor == ANONYMOUS { "Unknown IP".to_string() } else { ip_of(ent.seed, e.actor) },
    });
    match e.kind {
        EventKind::Share | EventKind::ItemSharedUpdate => {
            v["additional_details"] = json!({"shared_link_access": access_of(e.extra)});
        }
        EventKind::CollaborationInvite
        | EventKind::CollaborationAccept
        | EventKind::CollaborationRemove => {
            let c = &ent.collabs[e.extra as usize];
            v["additional_details"] =
                json!({"collab_id": (COLLAB_ID_BASE + e.extra as u64).to_string(), "role": c.role});
            v["accessible_by"] = repr::user_mini(ent, c.grantee);
        }
        EventKind::Download | EventKind::Preview => {
            v["additional_details"] =
                json!({"size": match e.subject { Subject::File(f) => ent.file_size(f), _ => 0 }});
        }
        _ => {}
    }
    v
}

fn parse_time(q: &Q, name: &str) -> Result<Option<i64>, ApiError> {
    match q.get(name) {
        None => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Some(t.timestamp()))
            .map_err(|_| ApiError::bad_request(format!("Invalid value '{s}' for query parameter '{name}': expected an RFC 3339 date-time"))),
    }
}

pub async fn events(
    State(inner): State<Arc<Inner>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match events_inner(&inner, &c, Q::new(q, "GET", "/events")) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

fn events_inner(inner: &Inner, c: &Caller, q: Q) -> Result<Value, ApiError> {
    let stream_type = q.get("stream_type").unwrap_or("all");
    let streaming = match stream_type {
        "admin_logs" => false,
        "admin_logs_streaming" => true,
        "all" | "changes" | "sync" => {
            return Err(ApiError::bad_request("The sandbox serves only the enterprise streams: use stream_type=admin_logs or admin_logs_streaming"));
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for query parameter 'stream_type'"
            )))
        }
    };
    require_admin(inner, c)?;
    let limit = limit(&q, 100, 500)? as usize;
    let kinds: Option<Vec<EventKind>> = q
        .get("event_type")
        .map(|t| t.split(',').filter_map(EventKind::parse).collect());
    let world = inner.world.read().unwrap();
    let log: &EventLog = &world.events;
    let end = log.entries.len();
    let now = now_unix();
    let position = match q.get("stream_position").map(str::trim) {
        None | Some("") | Some("0") => 0usize,
        Some(p) if p.eq_ignore_ascii_case("now") => {
            return Ok(
                json!({"chunk_size": 0, "next_stream_position": end.to_string(), "entries": []}),
            );
        }
        Some(p) => p
            .parse::<usize>()
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "Invalid value '{p}' for query parameter 'stream_position'"
                ))
            })?
            .min(end),
    };
    let (mut lower, upper) = if streaming {
        (position.max(log.lower_bound(now - 14 * DAY)), end)
    } else {
        let after = parse_time(&q, "created_after")?
            .unwrap_or(i64::MIN)
            .max(now - 365 * DAY);
        let before = parse_time(&q, "created_before")?;
        (
            position.max(log.lower_bound(after)),
            before.map(|b| log.lower_bound(b + 1)).unwrap_or(end),
        )
    };
    let disorder = inner.control.lock().unwrap().streaming_disorder_rate;
    let mut d = Draw::new(world.ent.seed, 0xD150, lower as u64);
    if streaming && lower > 0 && d.chance(disorder) {
        // Re-deliver the last entry of the previous page.
        lower -= 1;
    }
    let mut picked: Vec<usize> = Vec::new();
    let mut next = lower;
    while next < upper && picked.len() < limit && next - lower < SCAN_CAP {
        let e = &log.entries[next];
        if kinds.as_ref().is_none_or(|k| k.contains(&e.kind)) {
            picked.push(next);
            // Streaming may deliver an entry twice, but a page never exceeds `limit`.
            if streaming && picked.len() < limit && d.chance(disorder / 2.0) {
                picked.push(next);
            }
        }
        next += 1;
    }
    if streaming && disorder > 0.0 {
        for i in 0..picked.len().saturating_sub(1) {
            if d.chance(disorder / 2.0) {
                picked.swap(i, i + 1);
            }
        }
    }
    let entries: Vec<Value> = picked
        .iter()
        .map(|&i| event_json(&world.ent, i, &log.entries[i], log.snapshot(i)))
        .collect();
    Ok(
        json!({"chunk_size": entries.len(), "next_stream_position": next.to_string(), "entries": entries}),
    )
}
