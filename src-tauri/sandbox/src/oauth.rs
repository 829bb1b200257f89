//! OAuth 2.0 as Box does it: sign-in/consent page, token endpoint, revoke.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde_json::json;
use sha2::Digest;
use url::Url;

use crate::enterprise::{AccountKind, Role};
use crate::error::OAuthError;
use crate::state::Inner;
use crate::tokens::{AuthCode, RefreshError, Scopes};

type Params = HashMap<String, String>;

/// The parameters of an authorize request that the consent form carries along.
const CARRIED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

/// Loopback redirect URIs may use any port; scheme, host, path and query must match.
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    let loopback = matches!(
        reg.host_str(),
        Some("127.0.0.1") | Some("[::1]") | Some("localhost")
    );
    loopback
        && reg.scheme() == "http"
        && req.scheme() == reg.scheme()
        && req.host_str() == reg.host_str()
        && req.path() == reg.path()
        && req.query() == reg.query()
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    );
    (status, Html(html)).into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    let mut url = match Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return page(StatusCode::BAD_REQUEST, "Invalid redirect_uri", ""),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// What a valid authorize request grants: where to send the code, and the scopes.
struct Authorize {
    redirect_uri: String,
    scopes: Scopes,
}

/// Checks shared by GET and POST. The grant asked for, or the page/redirect to answer with.
// Handlers answer with axum's Response everywhere; boxing it here buys nothing.
#[allow(clippy::result_large_err)]
fn validate(inner: &Inner, p: &Params) -> Result<Authorize, Response> {
    let client_id = p.get("client_id").map(String::as_str).unwrap_or("");
    if client_id != inner.cfg.client_id {
        return Err(page(
            StatusCode::BAD_REQUEST,
            "Box | Invalid client",
            "<p>invalid_client: the client_id is not valid.</p>",
        ));
    }
    let redirect_uri = match p.get("redirect_uri").filter(|r| !r.is_empty()) {
        Some(r) => {
            if !inner
                .cfg
                .redirect_uris
                .iter()
                .any(|reg| redirect_matches(reg, r))
            {
                return Err(page(StatusCode::BAD_REQUEST, "Box | Invalid redirect_uri", "<p>redirect_uri_mismatch: the redirect_uri is not registered for this application.</p>"));
            }
            r.clone()
        }
        None => inner.cfg.redirect_uris.first().cloned().unwrap_or_default(),
    };
    if !inner.app_allowed(client_id) {
        return Err(page(
            StatusCode::FORBIDDEN,
            "Disabled by Administrator",
            "<p>Disabled by Administrator: This application cannot be used because it is not allowed by your Box administrator.</p>",
        ));
    }
    let state = p.get("state").map(String::as_str).unwrap_or("");
    if p.get("response_type").map(String::as_str) != Some("code") {
        return Err(redirect_with(
            &redirect_uri,
            &[("error", "unsupported_response_type"), ("state", state)],
        ));
    }
    if p.contains_key("code_challenge")
        && p.get("code_challenge_method")
            .map(String::as_str)
            .unwrap_or("plain")
            != "S256"
    {
        return Err(redirect_with(
            &redirect_uri,
            &[
                ("error", "invalid_request"),
                (
                    "error_description",
                    "Only code_challenge_method=S256 is supported",
                ),
                ("state", state),
            ],
        ));
    }
    // `scope` narrows the grant to what it names; without it the app's
    // configured scopes apply. A name Box does not know is refused.
    let scopes = match p.get("scope").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Scopes::ALL,
        Some(list) => match Scopes::parse(list) {
            Ok(asked) => asked.within(Scopes::ALL),
            Err(unknown) => {
                return Err(redirect_with(
                    &redirect_uri,
                    &[
                        ("error", "invalid_scope"),
                        (
                            "error_description",
                            &format!("The requested scope is invalid: {unknown}"),
                        ),
                        ("state", state),
                    ],
                ))
            }
        },
    };
    Ok(Authorize {
        redirect_uri,
        scopes,
    })
}

fn approve(inner: &Inner, p: &Params, grant: &Authorize, user: u32) -> Response {
    let redirect_uri = grant.redirect_uri.as_str();
    let mut store = inner.tokens.lock().unwrap();
    let code = AuthCode {
        user,
        scopes: grant.scopes,
        client_id: inner.cfg.client_id.clone(),
        redirect_uri: p.get("redirect_uri").cloned(),
        code_challenge: p.get("code_challenge").cloned(),
        expires_at: store.clock.now() + inner.cfg.auth_code_ttl.as_secs() as i64,
    };
    let value = store.issue_code(code);
    drop(store);
    let state = p.get("state").map(String::as_str).unwrap_or("");
    redirect_with(redirect_uri, &[("code", &value), ("state", state)])
}

pub async fn authorize_page(State(inner): State<Arc<Inner>>, Query(p): Query<Params>) -> Response {
    let grant = match validate(&inner, &p) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if inner.cfg.auto_approve {
        let user = inner
            .world
            .read()
            .unwrap()
            .ent
            .find_login(&inner.cfg.login_as);
        return match user {
            Some(u) => approve(&inner, &p, &grant, u),
            None => page(
                StatusCode::BAD_REQUEST,
                "Box | Unknown account",
                "<p>login_as names no account.</p>",
            ),
        };
    }
    let hidden: String = CARRIED
        .iter()
        .filter_map(|k| {
            p.get(*k)
                .map(|v| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
        })
        .collect();
    let options: String = {
        let world = inner.world.read().unwrap();
        let ent = &world.ent;
        // Admin first, then co-admins, then users, then the account without an enterprise.
        let mut order: Vec<usize> = (0..ent.accounts.len())
            .filter(|&i| ent.accounts[i].kind != AccountKind::External)
            .collect();
        order.sort_by_key(|&i| {
            let a = &ent.accounts[i];
            match (a.kind, a.role) {
                (AccountKind::Personal, _) => 3,
                (_, Role::Admin) => 0,
                (_, Role::Coadmin) => 1,
                _ => 2,
            }
        });
        order
            .iter()
            .map(|&i| {
                let a = &ent.accounts[i];
                let role = if a.kind == AccountKind::Personal {
                    "personal"
                } else {
                    a.role.as_str()
                };
                format!(
                    "<option value=\"{}\" data-role=\"{role}\">{} &lt;{}&gt; ({role})</option>",
                    esc(&a.login),
                    esc(&a.name),
                    esc(&a.login)
                )
            })
            .collect()
    };
    let body = format!(
        "<p>Sign in to grant <b>{}</b> access to your Box account.</p>\
<form method=\"post\" action=\"/api/oauth2/authorize\">{hidden}\
<label>Account <select name=\"login\">{options}</select></label>\
<button name=\"decision\" value=\"allow\">Allow</button>\
<button name=\"decision\" value=\"deny\">Deny</button></form>",
        esc(&inner.cfg.client_id)
    );
    page(StatusCode::OK, "Box | Grant access", &body)
}

pub async fn authorize_submit(State(inner): State<Arc<Inner>>, Form(p): Form<Params>) -> Response {
    let grant = match validate(&inner, &p) {
        Ok(g) => g,
        Err(resp) => return resp,
    };
    let redirect_uri = grant.redirect_uri.as_str();
    let state = p.get("state").map(String::as_str).unwrap_or("");
    if p.get("decision").map(String::as_str) != Some("allow") {
        return redirect_with(
            redirect_uri,
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "The user denied access to your application",
                ),
                ("state", state),
            ],
        );
    }
    let login = p.get("login").map(String::as_str).unwrap_or("");
    let user = inner.world.read().unwrap().ent.find_login(login);
    match user {
        Some(u) => approve(&inner, &p, &grant, u),
        None => page(
            StatusCode::BAD_REQUEST,
            "Box | Unknown account",
            "<p>Invalid login credentials.</p>",
        ),
    }
}

fn pkce_s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn check_client(inner: &Inner, p: &Params) -> Result<(), OAuthError> {
    let id = p.get("client_id").map(String::as_str).unwrap_or("");
    let secret = p.get("client_secret").map(String::as_str).unwrap_or("");
    if id != inner.cfg.client_id || secret != inner.cfg.client_secret {
        return Err(OAuthError::new(
            "invalid_client",
            "The client credentials are invalid",
        ));
    }
    if !inner.app_allowed(id) {
        return Err(OAuthError::new(
            "unauthorized_client",
            "This app is not authorized by the enterprise admin",
        ));
    }
    Ok(())
}

/// RFC 6749 §4.1.3: a token request repeats the authorize request's redirect_uri
/// exactly (the port included: any-port applies to the registered URI only). Box's
/// spec has no redirect_uri on the token request and its SDKs never send it, so a
/// missing one is refused only when `require_token_redirect_uri` is set.
fn check_token_redirect(
    inner: &Inner,
    sent: Option<&String>,
    authorized: Option<&str>,
) -> Result<(), OAuthError> {
    let Some(authorized) = authorized else {
        return Ok(());
    };
    match sent {
        Some(s) if s == authorized => Ok(()),
        None if !inner.cfg.require_token_redirect_uri => Ok(()),
        None => Err(OAuthError::new(
            "invalid_grant",
            "Missing redirect_uri: the authorization request carried one",
        )),
        Some(_) => Err(OAuthError::new(
            "invalid_grant",
            "The redirect_uri does not match the authorization request",
        )),
    }
}

pub async fn token(State(inner): State<Arc<Inner>>, Form(p): Form<Params>) -> Response {
    match token_inner(&inner, &p) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn token_inner(inner: &Inner, p: &Params) -> Result<Response, OAuthError> {
    let grant_type = p.get("grant_type").map(String::as_str).ok_or_else(|| {
        OAuthError::new(
            "invalid_request",
            "Invalid grant_type parameter or parameter missing",
        )
    })?;
    check_client(inner, p)?;
    let access_ttl = inner.cfg.access_token_ttl.as_secs() as i64;
    let refresh_ttl = inner.cfg.refresh_token_ttl.as_secs() as i64;
    let mut store = inner.tokens.lock().unwrap();
    let pair = match grant_type {
        "authorization_code" => {
            let code_value = p
                .get("code")
                .ok_or_else(|| OAuthError::new("invalid_request", "Missing parameter: \"code\""))?;
            // Single use: the code is gone whatever happens next.
            let code = store.take_code(code_value).ok_or_else(|| {
                OAuthError::new(
                    "invalid_grant",
                    "Auth code doesn't exist or is invalid for the client",
                )
            })?;
            if code.expires_at <= store.clock.now() {
                return Err(OAuthError::new(
                    "invalid_grant",
                    "The authorization code has expired",
                ));
            }
            if code.client_id != inner.cfg.client_id {
                return Err(OAuthError::new(
                    "invalid_grant",
                    "Auth code doesn't exist or is invalid for the client",
                ));
            }
            check_token_redirect(inner, p.get("redirect_uri"), code.redirect_uri.as_deref())?;
            if let Some(challenge) = &code.code_challenge {
                let ok = p
                    .get("code_verifier")
                    .is_some_and(|v| &pkce_s256(v) == challenge);
                if !ok {
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "PKCE verification failed: code_verifier does not match code_challenge",
                    ));
                }
            }
            store.issue_scoped_pair(
                code.user,
                &inner.cfg.client_id,
                None,
                code.scopes,
                access_ttl,
                refresh_ttl,
            )
        }
        "refresh_token" => {
            let rt = p.get("refresh_token").ok_or_else(|| {
                OAuthError::new("invalid_request", "Missing parameter: \"refresh_token\"")
            })?;
            store
                .refresh(
                    rt,
                    &inner.cfg.client_id,
                    inner.cfg.rotation,
                    access_ttl,
                    refresh_ttl,
                )
                .map_err(|e| match e {
                    RefreshError::Expired => {
                        OAuthError::new("invalid_grant", "Refresh token has expired")
                    }
                    RefreshError::Invalid | RefreshError::WrongClient => {
                        OAuthError::new("invalid_grant", "Invalid refresh token")
                    }
                })?
        }
        _ => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "Invalid grant_type parameter or parameter missing",
            ))
        }
    };
    inner.save_tokens(&store);
    let body = json!({
        "access_token": pair.access_token,
        "expires_in": pair.expires_in,
        "restricted_to": [],
        "refresh_token": pair.refresh_token,
        "token_type": "bearer",
    });
    Ok((
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

pub async fn revoke(State(inner): State<Arc<Inner>>, Form(p): Form<Params>) -> Response {
    let id = p.get("client_id").map(String::as_str).unwrap_or("");
    let secret = p.get("client_secret").map(String::as_str).unwrap_or("");
    if id != inner.cfg.client_id || secret != inner.cfg.client_secret {
        return OAuthError::new("invalid_client", "The client credentials are invalid")
            .into_response();
    }
    let Some(token) = p.get("token") else {
        return OAuthError::new("invalid_request", "Missing parameter: \"token\"").into_response();
    };
    let mut store = inner.tokens.lock().unwrap();
    // RFC 7009: an unknown token is not an error.
    store.revoke(token);
    inner.save_tokens(&store);
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::redirect_matches;

    #[test]
    fn loopback_redirects_match_any_port_only() {
        let reg = "http://127.0.0.1/callback";
        assert!(redirect_matches(reg, "http://127.0.0.1:49152/callback"));
        assert!(redirect_matches(reg, "http://127.0.0.1/callback"));
        assert!(!redirect_matches(reg, "http://127.0.0.1:49152/callback/x"));
        assert!(!redirect_matches(reg, "http://localhost:49152/callback"));
        assert!(!redirect_matches(reg, "https://127.0.0.1:49152/callback"));
        assert!(!redirect_matches(
            "https://app.example/cb",
            "https://app.example:8443/cb"
        ));
    }
}
