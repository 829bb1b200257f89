//! Box-shaped error answers: `ClientError` for `/2.0`, `{error, error_description}` for OAuth.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Codes Box sends that the spec's `ClientError.code` enum lacks, with where Box
/// documents each; the conformance test admits exactly these beyond the enum.
pub const CODES_BEYOND_SPEC_ENUM: &[(&str, &str)] = &[
    (
        "metadata_after_file_contents",
        "spec: POST /files/content, description",
    ),
    (
        "item_name_in_use",
        "spec: PUT /folders/{folder_id}, 409 description",
    ),
    (
        "item_name_too_long",
        "spec: POST /files/content, 400 description",
    ),
    (
        "access_denied_insufficient_permissions",
        "spec: PUT /files/{file_id}, 403 description",
    ),
    ("bad_digest", "Box guide: common errors, 400"),
    ("cyclical_folder_structure", "Box guide: common errors, 400"),
    (
        "collaborations_not_available_on_root_folder",
        "Box guide: common errors, 400",
    ),
    ("user_already_collaborator", "Box guide: common errors, 400"),
];

/// A `/2.0` error with Box's body. `code` must be one of the spec's ClientError codes
/// or of `CODES_BEYOND_SPEC_ENUM`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
    pub context: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
            context: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    /// 403 for an item the user sees but may not change.
    pub fn insufficient_permissions() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "access_denied_insufficient_permissions",
            "Access denied - insufficient permission",
        )
    }
    /// 409 with the conflicting item(s) in `context_info.conflicts`.
    pub fn name_in_use(conflicts: serde_json::Value) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "item_name_in_use",
            "Item with the same name already exists",
        )
        .with_context(json!({ "conflicts": conflicts }))
    }
    /// 412: `if-match` named an etag the item no longer has.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            "The resource has been modified. Please retrieve the resource again and retry",
        )
    }
    pub fn with_context(mut self, ctx: serde_json::Value) -> Self {
        self.context = Some(ctx);
        self
    }
    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Request rate limit exceeded, please try again later",
        );
        e.retry_after = Some(retry_after);
        e
    }
}

fn request_id() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "error",
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
            "context_info": self.context.unwrap_or_else(|| json!({})),
            "help_url": "http://developers.box.com/docs/#errors",
            "request_id": request_id(),
        });
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            // Box sends the header in lower case; http header names are lower case on the wire.
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        resp
    }
}

/// An OAuth endpoint error: `{"error","error_description"}`.
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response()
    }
}

/// Box's answer to a missing, unknown or expired bearer token: 401, empty body.
pub fn invalid_token() -> Response {
    let mut resp = StatusCode::UNAUTHORIZED.into_response();
    resp.headers_mut().insert(
        "www-authenticate",
        HeaderValue::from_static(
            "Bearer realm=\"Service\", error=\"invalid_token\", error_description=\"The access token provided is invalid.\"",
        ),
    );
    resp
}

pub const INSUFFICIENT_SCOPE_MESSAGE: &str =
    "The request requires higher privileges than provided by the access token.";

/// Box's answer to a token without the scope a route needs: 403 with the
/// `ClientError` body and the RFC 6750 challenge naming the error.
pub fn insufficient_scope() -> Response {
    let mut resp = ApiError::new(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        INSUFFICIENT_SCOPE_MESSAGE,
    )
    .into_response();
    resp.headers_mut().insert(
        "www-authenticate",
        HeaderValue::from_static(
            "Bearer realm=\"Service\", error=\"insufficient_scope\", error_description=\"The request requires higher privileges than provided by the access token.\"",
        ),
    );
    resp
}
