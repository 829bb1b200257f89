//! Helpers shared by the integration tests: a loopback callback that echoes its query,
//! sign-in through the scripted browser, and a small Box client.
#![allow(dead_code)]

pub mod extract;

use std::collections::HashMap;

use box_sandbox::browser::{sign_in, Decision};
use box_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

/// A loopback "app" whose callback page body is the raw query string it received.
pub async fn callback_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(
            |uri: axum::http::Uri| async move { uri.query().unwrap_or("").to_string() },
        ),
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://127.0.0.1:{port}/callback"), task)
}

pub fn query_map(q: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

pub fn authorize_url(
    sb: &SandboxHandle,
    redirect_uri: &str,
    state: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&format!("{}/api/oauth2/authorize", sb.base_url())).unwrap();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair("client_id", "sandbox-client");
        q.append_pair("redirect_uri", redirect_uri);
        q.append_pair("state", state);
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

pub async fn start(cfg: SandboxConfig) -> SandboxHandle {
    Sandbox::start(cfg).await.expect("sandbox starts")
}

/// Sign in as `login` and return the authorization code.
pub async fn code_for(sb: &SandboxHandle, login: &str, extra: &[(&str, &str)]) -> (String, String) {
    let (redirect, _task) = callback_server().await;
    let body = sign_in(
        &authorize_url(sb, &redirect, "st4te", extra),
        Decision::Allow,
        login,
    )
    .await
    .unwrap();
    let q = query_map(&body);
    assert_eq!(
        q.get("state").map(String::as_str),
        Some("st4te"),
        "state echoed: {body}"
    );
    (
        q.get("code")
            .cloned()
            .unwrap_or_else(|| panic!("no code in {body}")),
        redirect,
    )
}

pub async fn token_call(sb: &SandboxHandle, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sb.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub async fn exchange(sb: &SandboxHandle, code: &str, redirect: &str) -> (u16, Value) {
    token_call(
        sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
            ("redirect_uri", redirect),
        ],
    )
    .await
}

pub async fn refresh(sb: &SandboxHandle, rt: &str) -> (u16, Value) {
    token_call(
        sb,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ],
    )
    .await
}

/// Full sign-in as `login`; returns (access_token, refresh_token).
pub async fn login(sb: &SandboxHandle, login: &str) -> (String, String) {
    login_with(sb, login, &[]).await
}

/// Full sign-in asking for `scope` (space-separated), as the connector does.
pub async fn login_scoped(sb: &SandboxHandle, login: &str, scope: &str) -> (String, String) {
    login_with(sb, login, &[("scope", scope)]).await
}

async fn login_with(sb: &SandboxHandle, login: &str, extra: &[(&str, &str)]) -> (String, String) {
    let (code, redirect) = code_for(sb, login, extra).await;
    let (status, body) = exchange(sb, &code, &redirect).await;
    assert_eq!(status, 200, "{body}");
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    )
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

pub async fn get(sb: &SandboxHandle, token: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client
        .get(format!("{}{}", sb.base_url(), path))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}

pub fn small() -> SandboxConfig {
    SandboxConfig {
        users: 12,
        files: 600,
        ..SandboxConfig::default()
    }
}

/// POST /oauth2/revoke with the sandbox client's credentials; returns the status.
pub async fn revoke(sb: &SandboxHandle, token: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/oauth2/revoke", sb.base_url()))
        .form(&[
            ("token", token),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A code exchange that leaves `redirect_uri` out, as Box's own SDK does.
pub async fn exchange_without_redirect(sb: &SandboxHandle, code: &str) -> (u16, Value) {
    token_call(
        sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ],
    )
    .await
}

/// Every item a user owns, walked from their root with `as-user` and marker paging.
/// Entries carry `fields` (plus type and id); folders collaborated into the root are
/// someone else's and are skipped.
pub async fn walk_owned(
    sb: &SandboxHandle,
    admin: &str,
    user_id: &str,
    fields: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut folders = vec!["0".to_string()];
    while let Some(folder) = folders.pop() {
        let mut marker = String::new();
        loop {
            let r = get(
                sb,
                admin,
                &format!("/2.0/folders/{folder}/items?usemarker=true&limit=1000&fields=owned_by,{fields}&marker={marker}"),
                &[("as-user", user_id)],
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            for e in r.body["entries"].as_array().unwrap() {
                if e["owned_by"]["id"] != user_id {
                    continue;
                }
                if e["type"] == "folder" {
                    folders.push(e["id"].as_str().unwrap().to_string());
                }
                out.push(e.clone());
            }
            match r.body["next_marker"].as_str() {
                Some(m) if !m.is_empty() => marker = m.to_string(),
                _ => break,
            }
        }
    }
    out
}

/// `GET /_sandbox/ground-truth`, over HTTP as a scorer would read it.
pub async fn ground_truth_http(sb: &SandboxHandle) -> Value {
    let r = reqwest::get(format!("{}/_sandbox/ground-truth", sb.base_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Ids of the managed users, from the control surface.
pub async fn managed_ids(sb: &SandboxHandle) -> Vec<String> {
    let accounts: Vec<Value> = reqwest::get(format!("{}/_sandbox/accounts", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    accounts
        .iter()
        .filter(|a| a["kind"] == "managed")
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// A multipart/form-data body of (name, filename, bytes) parts, in the order given
/// (built by hand so a test can put the parts in the wrong order on purpose).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "sandbox-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Any request with a bearer token; `body` is (content type, bytes).
pub async fn send(
    sb: &SandboxHandle,
    token: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(String, Vec<u8>)>,
) -> Resp {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client
        .request(method, format!("{}{}", sb.base_url(), path))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some((ct, bytes)) = body {
        req = req.header("content-type", ct).body(bytes);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}

pub fn json_body(v: &Value) -> Option<(String, Vec<u8>)> {
    Some(("application/json".into(), serde_json::to_vec(v).unwrap()))
}

/// Upload `bytes` as `name` into `folder` the way Box's SDKs do (attributes first).
pub async fn upload(
    sb: &SandboxHandle,
    token: &str,
    folder: &str,
    name: &str,
    bytes: &[u8],
    headers: &[(&str, &str)],
) -> Resp {
    let attrs = serde_json::json!({"name": name, "parent": {"id": folder}}).to_string();
    let body = multipart(&[
        ("attributes", None, attrs.as_bytes()),
        ("file", Some(name), bytes),
    ]);
    send(
        sb,
        token,
        "POST",
        "/api/2.0/files/content",
        headers,
        Some(body),
    )
    .await
}

/// Upload a new version of a file (attributes first, as Box's SDKs do).
pub async fn upload_version(
    sb: &SandboxHandle,
    token: &str,
    file_id: &str,
    name: &str,
    bytes: &[u8],
    headers: &[(&str, &str)],
) -> Resp {
    let attrs = serde_json::json!({"name": name}).to_string();
    let body = multipart(&[
        ("attributes", None, attrs.as_bytes()),
        ("file", Some(name), bytes),
    ]);
    send(
        sb,
        token,
        "POST",
        &format!("/api/2.0/files/{file_id}/content"),
        headers,
        Some(body),
    )
    .await
}
