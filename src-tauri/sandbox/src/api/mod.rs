//! `/2.0` routes: the gate every call passes (faults, auth, as-user, rate limit,
//! counting) and the helpers the handlers share.

pub mod collaborations;
pub mod events;
pub mod files;
pub mod folders;
pub mod repr;
pub mod update;
pub mod uploads;
pub mod users;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::Rng;

use crate::enterprise::{AccountKind, Role};
use crate::error::{insufficient_scope, invalid_token, ApiError};
use crate::routes;
use crate::state::Inner;
use crate::tokens::Scopes;

/// Who is calling: the token's owner and the user they act as (`as-user`).
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub token_user: u32,
    pub acting: u32,
}

/// Query parameters of one route. Reading a parameter the route table does not list
/// panics in debug builds, so the table the conformance test checks stays truthful.
pub struct Q {
    map: HashMap<String, String>,
    allowed: &'static [&'static str],
}

impl Q {
    pub fn new(map: HashMap<String, String>, method: &str, path: &str) -> Q {
        let allowed = routes::params_of(method, path);
        Q { map, allowed }
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        debug_assert!(
            self.allowed.contains(&name),
            "query parameter {name} is not in the route table"
        );
        self.map.get(name).map(String::as_str)
    }
    /// Booleans arrive as true/True/1 from real clients.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => parse_bool(v).map(Some).ok_or_else(|| {
                ApiError::bad_request(format!("Invalid value '{v}' for query parameter '{name}'"))
            }),
        }
    }
    pub fn u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("Invalid value '{v}' for query parameter '{name}'"))
            }),
        }
    }
    /// `fields=a,b,c` as a list, or None when absent.
    pub fn fields(&self) -> Option<Vec<String>> {
        self.get("fields").map(|f| {
            f.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Page size: default, capped at the route's maximum as Box does; 0 or junk is a 400.
pub fn limit(q: &Q, default: u64, max: u64) -> Result<u64, ApiError> {
    match q.u64("limit")? {
        None => Ok(default),
        Some(0) => Err(ApiError::bad_request(
            "Invalid value '0' for query parameter 'limit'",
        )),
        Some(n) => Ok(n.min(max)),
    }
}

/// Opaque markers: base64 of "scope:position" so a marker from one listing is
/// rejected by another.
pub fn encode_marker(scope: &str, pos: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{scope}:{pos}"))
}

pub fn decode_marker(scope: &str, marker: &str) -> Result<usize, ApiError> {
    let bad = || ApiError::bad_request("Invalid value for query parameter 'marker'");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(marker.trim())
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (sc, pos) = s.rsplit_once(':').ok_or_else(bad)?;
    if sc != scope {
        return Err(bad());
    }
    pos.parse().map_err(|_| bad())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The scope a route needs, from its method and served path: every write
/// (under `/2.0` and the upload server's `/api/2.0`) needs `root_readwrite`;
/// reading files, folders and their collaborations needs `root_readonly` or
/// `root_readwrite`; the rest (users, events) needs neither.
fn scope_allows(scopes: Scopes, method: &Method, path: &str) -> bool {
    let path = path.strip_prefix("/api").unwrap_or(path);
    if *method != Method::GET && *method != Method::HEAD {
        return scopes.writes_files();
    }
    let content = ["/2.0/files", "/2.0/folders", "/2.0/collaborations"]
        .iter()
        .any(|p| path.starts_with(p));
    !content || scopes.reads_files()
}

/// Authenticate, check the token's scope, resolve `as-user`, apply the rate
/// limit. Returns the caller. The scope is checked here, before a handler
/// reads the body, so a malformed write without the scope is a 403 (and with
/// it a 400), as on Box.
// Handlers answer with axum's Response everywhere; boxing it here buys nothing.
#[allow(clippy::result_large_err)]
fn admit(
    inner: &Inner,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Caller, Response> {
    let token = header_str(headers, "authorization")
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some((token_user, scopes)) = token.and_then(|t| inner.tokens.lock().unwrap().grant_of(t))
    else {
        return Err(invalid_token());
    };
    if !scope_allows(scopes, method, path) {
        return Err(insufficient_scope());
    }
    let mut acting = token_user;
    if let Some(target) = header_str(headers, "as-user") {
        let world = inner.world.read().unwrap();
        let ent = &world.ent;
        let me = &ent.accounts[token_user as usize];
        let target_idx = ent
            .account_index_by_id(target.trim())
            .filter(|&i| ent.accounts[i as usize].kind == AccountKind::Managed);
        let Some(t) = target_idx else {
            return Err(ApiError::bad_request(format!(
                "Invalid as-user header: no managed user with id {target}"
            ))
            .into_response());
        };
        let allowed = match me.role {
            _ if me.kind != AccountKind::Managed => false,
            Role::Admin => true,
            // Co-admins may act as plain users only, never as the admin or other co-admins.
            Role::Coadmin => t == token_user || ent.accounts[t as usize].role == Role::User,
            Role::User => false,
        };
        if !allowed {
            return Err(ApiError::forbidden("Access denied - insufficient permission to act as this user")
                .with_context(serde_json::json!({"errors": [{"reason": "access_denied_insufficient_permissions", "name": "as-user", "message": "The user is not allowed to act as the requested user"}]}))
                .into_response());
        }
        acting = t;
    }
    let charged = if inner.cfg.as_user_counts_against_target {
        acting
    } else {
        token_user
    };
    if let Err(wait) = inner.take_rate(charged) {
        return Err(ApiError::too_many_requests(wait).into_response());
    }
    Ok(Caller { token_user, acting })
}

enum Fault {
    None,
    Status(StatusCode),
    Burst,
    Reset,
    Truncate,
}

fn roll_fault(inner: &Inner) -> (Fault, u64) {
    let mut c = inner.control.lock().unwrap();
    let f = c.faults.clone();
    if c.burst_left > 0 {
        c.burst_left -= 1;
        return (Fault::Burst, f.latency_ms);
    }
    let mut rng = rand::thread_rng();
    let mut r: f64 = rng.gen();
    let mut hit = |p: f64| {
        if r < p {
            true
        } else {
            r -= p;
            false
        }
    };
    let fault = if hit(f.p429_burst) {
        c.burst_left = f.burst_len.max(1).saturating_sub(1);
        Fault::Burst
    } else if hit(f.p500) {
        Fault::Status(StatusCode::INTERNAL_SERVER_ERROR)
    } else if hit(f.p502) {
        Fault::Status(StatusCode::BAD_GATEWAY)
    } else if hit(f.p503) {
        Fault::Status(StatusCode::SERVICE_UNAVAILABLE)
    } else if hit(f.p_reset) {
        Fault::Reset
    } else if hit(f.p_truncate) {
        Fault::Truncate
    } else {
        Fault::None
    };
    (fault, f.latency_ms)
}

/// A body that fails at once: hyper drops the connection without a response.
fn reset_response() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::other("injected connection reset"))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut()
        .insert("content-length", 1_000_000u32.into());
    resp
}

/// Keep the announced length but send only half of the body, then fail.
async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return reset_response();
    };
    let half = bytes.slice(0..bytes.len() / 2);
    parts.headers.insert("content-length", bytes.len().into());
    // Pause before failing so the headers and the first half really reach the client.
    let stream = futures_util::stream::unfold(Some(Some(half)), |state| async move {
        match state {
            Some(Some(half)) => Some((Ok::<bytes::Bytes, std::io::Error>(half), Some(None))),
            Some(None) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Some((Err(std::io::Error::other("injected truncation")), None))
            }
            None => None,
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

pub async fn gate(State(inner): State<Arc<Inner>>, mut req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let endpoint = format!("{} {}", req.method(), path);
    let (fault, latency) = roll_fault(&inner);
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let caller = admit(&inner, req.method(), &path, req.headers());
    let user_label = caller.as_ref().ok().map(|c| {
        inner.world.read().unwrap().ent.accounts[c.acting as usize]
            .id
            .to_string()
    });
    let resp = match (caller, fault) {
        (Err(resp), _) => resp,
        (Ok(_), Fault::Burst) => ApiError::too_many_requests(1).into_response(),
        (Ok(_), Fault::Status(s)) => {
            let code = match s.as_u16() {
                503 => "unavailable",
                _ => "internal_server_error",
            };
            ApiError::new(s, code, "Injected failure").into_response()
        }
        (Ok(_), Fault::Reset) => reset_response(),
        (Ok(c), fault) => {
            req.extensions_mut().insert(c);
            let resp = next.run(req).await;
            if matches!(fault, Fault::Truncate) {
                truncate(resp).await
            } else {
                resp
            }
        }
    };
    let mut stats = inner.stats.lock().unwrap();
    stats.total += 1;
    *stats.by_endpoint.entry(endpoint).or_default() += 1;
    *stats
        .by_user
        .entry(user_label.unwrap_or_else(|| "anonymous".into()))
        .or_default() += 1;
    *stats.by_status.entry(resp.status().as_u16()).or_default() += 1;
    resp
}

#[cfg(test)]
mod tests {
    use super::Q;

    /// Handlers may read only what the route table (checked against the spec) lists.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "not in the route table")]
    fn reading_a_parameter_the_route_table_lacks_panics_in_tests() {
        let q = Q::new(Default::default(), "GET", "/users");
        let _ = q.get("page");
    }

    #[test]
    fn listed_parameters_are_read() {
        let map = [("usemarker".to_string(), "True".to_string())].into();
        let q = Q::new(map, "GET", "/users");
        assert_eq!(q.bool("usemarker").unwrap(), Some(true));
    }
}
