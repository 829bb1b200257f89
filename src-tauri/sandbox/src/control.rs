//! Sandbox-only control endpoints under `/_sandbox/` (no auth: loopback only).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::config::Faults;
use crate::enterprise::AccountKind;
use crate::state::Inner;

pub fn router() -> Router<Arc<Inner>> {
    Router::new()
        .route("/_sandbox/ground-truth", get(ground_truth))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/stats/reset", post(reset_stats))
        .route("/_sandbox/faults", get(get_faults).post(set_faults))
        .route("/_sandbox/settings", get(get_settings).post(set_settings))
        .route("/_sandbox/activity", post(activity))
        .route("/_sandbox/activity/tick", post(activity_tick))
        .route("/_sandbox/tokens/expire", post(expire_tokens))
        .route("/_sandbox/tokens/revoke", post(revoke_tokens))
        .route("/_sandbox/clock", get(get_clock).post(advance_clock))
        .route("/_sandbox/accounts", get(accounts))
}

async fn ground_truth(State(inner): State<Arc<Inner>>) -> Response {
    let truth = tokio::task::spawn_blocking(move || crate::truth::ground_truth(&inner)).await;
    match truth {
        Ok(t) => Json(t).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn stats(State(inner): State<Arc<Inner>>) -> Response {
    Json(&*inner.stats.lock().unwrap()).into_response()
}

async fn reset_stats(State(inner): State<Arc<Inner>>) -> Response {
    *inner.stats.lock().unwrap() = Default::default();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_faults(State(inner): State<Arc<Inner>>) -> Response {
    Json(inner.control.lock().unwrap().faults.clone()).into_response()
}

async fn set_faults(State(inner): State<Arc<Inner>>, Json(f): Json<Faults>) -> Response {
    let mut c = inner.control.lock().unwrap();
    c.faults = f;
    c.burst_left = 0;
    Json(c.faults.clone()).into_response()
}

#[derive(Deserialize, Default)]
struct Settings {
    disable_unpublished_apps: Option<bool>,
    app_exceptions: Option<Vec<String>>,
    rate_limit_per_minute: Option<u32>,
    activity_per_second: Option<f64>,
    streaming_disorder_rate: Option<f64>,
    /// "EDIT" | "UPLOAD": what a new version uploaded through the API logs.
    new_version_event: Option<String>,
}

fn settings_json(inner: &Inner) -> serde_json::Value {
    let c = inner.control.lock().unwrap();
    json!({
        "disable_unpublished_apps": c.disable_unpublished_apps,
        "app_exceptions": c.app_exceptions,
        "rate_limit_per_minute": c.rate_limit_per_minute,
        "activity_per_second": c.activity_per_second,
        "streaming_disorder_rate": c.streaming_disorder_rate,
        "new_version_event": c.new_version_event.as_str(),
    })
}

async fn get_settings(State(inner): State<Arc<Inner>>) -> Response {
    Json(settings_json(&inner)).into_response()
}

async fn set_settings(State(inner): State<Arc<Inner>>, Json(s): Json<Settings>) -> Response {
    let new_version_event = match s.new_version_event.as_deref().map(str::parse) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    {
        let mut c = inner.control.lock().unwrap();
        if let Some(v) = s.disable_unpublished_apps {
            c.disable_unpublished_apps = v;
        }
        if let Some(v) = s.app_exceptions {
            c.app_exceptions = v;
        }
        if let Some(v) = s.rate_limit_per_minute {
            c.rate_limit_per_minute = v;
            inner.buckets.lock().unwrap().clear();
        }
        if let Some(v) = s.activity_per_second {
            c.activity_per_second = v.max(0.0);
        }
        if let Some(v) = s.streaming_disorder_rate {
            c.streaming_disorder_rate = v.clamp(0.0, 1.0);
        }
        if let Some(v) = new_version_event {
            c.new_version_event = v;
        }
    }
    Json(settings_json(&inner)).into_response()
}

#[derive(Deserialize)]
struct ActivityReq {
    count: usize,
}

async fn activity(State(inner): State<Arc<Inner>>, Json(r): Json<ActivityReq>) -> Response {
    let applied = crate::activity::burst(&inner, r.count);
    let events = inner.world.read().unwrap().events.entries.len();
    Json(json!({"applied": applied, "events_total": events})).into_response()
}

#[derive(Deserialize)]
struct TickReq {
    ticks: usize,
}

/// Run `ticks` ticks of the live activity now, as its loop would over that much time.
async fn activity_tick(State(inner): State<Arc<Inner>>, Json(r): Json<TickReq>) -> Response {
    let (mut steps, mut applied) = (0, 0);
    for _ in 0..r.ticks {
        let (s, a) = inner.ticker.lock().unwrap().tick(&inner);
        steps += s;
        applied += a;
    }
    let events = inner.world.read().unwrap().events.entries.len();
    Json(json!({"steps": steps, "applied": applied, "events_total": events})).into_response()
}

async fn expire_tokens(State(inner): State<Arc<Inner>>) -> Response {
    let mut t = inner.tokens.lock().unwrap();
    t.expire_all_access();
    inner.save_tokens(&t);
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke_tokens(State(inner): State<Arc<Inner>>) -> Response {
    let mut t = inner.tokens.lock().unwrap();
    t.revoke_all();
    inner.save_tokens(&t);
    StatusCode::NO_CONTENT.into_response()
}

/// The token clock: `{"advance_secs": N}` moves it forward (never back).
#[derive(Deserialize)]
struct ClockReq {
    advance_secs: u64,
}

fn clock_json(clock: &crate::tokens::SandboxClock) -> serde_json::Value {
    json!({"now": clock.now(), "offset_secs": clock.offset_secs()})
}

async fn get_clock(State(inner): State<Arc<Inner>>) -> Response {
    Json(clock_json(&inner.tokens.lock().unwrap().clock)).into_response()
}

async fn advance_clock(State(inner): State<Arc<Inner>>, Json(r): Json<ClockReq>) -> Response {
    let mut t = inner.tokens.lock().unwrap();
    t.clock.advance(r.advance_secs);
    inner.save_tokens(&t);
    Json(clock_json(&t.clock)).into_response()
}

async fn accounts(State(inner): State<Arc<Inner>>) -> Response {
    let world = inner.world.read().unwrap();
    let list: Vec<_> = world
        .ent
        .accounts
        .iter()
        .map(|a| {
            let kind = match a.kind {
                AccountKind::Managed => "managed",
                AccountKind::External => "external",
                AccountKind::Personal => "personal",
            };
            json!({"id": a.id.to_string(), "login": a.login, "name": a.name, "role": a.role.as_str(), "kind": kind})
        })
        .collect();
    Json(list).into_response()
}
