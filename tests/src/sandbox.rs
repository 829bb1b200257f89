//! The sandbox and core's test support put together: a sandbox in-process,
//! a Box client signed in to it as one of its accounts, and Box's upload API
//! as an ordinary user would call it.

use box_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use connector_core::auth::TokenSet;
use connector_core::box_api::BoxClient;
use connector_core::testing;
use serde_json::{json, Value};

pub async fn start_sandbox(config: SandboxConfig) -> SandboxHandle {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A token pair the sandbox issued to `login` ("admin", "coadmin", ...),
/// valid for an hour.
pub fn sandbox_tokens(sb: &SandboxHandle, login: &str) -> TokenSet {
    let pair = sb.issue_tokens(login);
    testing::token_set(&pair.access_token, &pair.refresh_token, 3600)
}

/// A client signed in to `sb` as `login`, with the client's default
/// retries and rates (the caller sets what it tests).
pub fn signed_in_client(sb: &SandboxHandle, login: &str) -> BoxClient {
    testing::sandbox_client(&sb.base_url(), sandbox_tokens(sb, login))
}

/// Uploads `bytes` as `name` into `user_id`'s root through Box's upload API;
/// returns the new file's id.
pub async fn upload(sb: &SandboxHandle, user_id: &str, name: &str, bytes: &[u8]) -> String {
    upload_to(sb, user_id, "/api/2.0/files/content", name, bytes).await
}

/// A new version of `file_id`, as its owner `user_id`.
pub async fn new_version(
    sb: &SandboxHandle,
    user_id: &str,
    file_id: &str,
    name: &str,
    bytes: &[u8],
) {
    let path = format!("/api/2.0/files/{file_id}/content");
    assert_eq!(upload_to(sb, user_id, &path, name, bytes).await, file_id);
}

pub async fn upload_to(
    sb: &SandboxHandle,
    user_id: &str,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> String {
    let token = sb.issue_tokens("admin").access_token;
    let boundary = "scan-support-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attributes\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
        json!({"name": name, "parent": {"id": "0"}})
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let answer: Value = reqwest::Client::new()
        .post(format!("{}{path}", sb.base_url()))
        .bearer_auth(token)
        .header("as-user", user_id)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["entries"][0]["id"].as_str().unwrap().to_owned()
}
