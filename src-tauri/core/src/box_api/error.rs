//! What a failed Box call turns into: a kind to branch on, Box's own words
//! (`code`, `message`, `request_id`) and the troubleshooting text the admin reads.

use reqwest::StatusCode;

use super::models::BoxErrorBody;
use crate::error::{ErrorCode, UserError};

/// Why a call failed, for code that reacts (the scan skips a `NotFound`,
/// backs off on `RateLimited`, stops on `Unauthorized`). Only the kinds that
/// [`ApiErrorKind::is_connection_wide`] names say nothing else can work now;
/// every other kind is about this one request or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// 401 after a refresh, or a sign-in Box no longer accepts.
    Unauthorized,
    Forbidden,
    NotFound,
    /// 409 (and 412: the `If-Match` precondition lost a race).
    Conflict,
    /// 429 that outlasted the retries or asked for too long a wait.
    RateLimited,
    /// 5xx, or a 202 "not ready yet" that never became ready.
    Unavailable,
    /// Any other 4xx: the request itself was wrong.
    BadRequest,
    /// Box answered 2xx with a body that is not what the spec says.
    Malformed,
    /// No answer: nothing listening, reset, timeout.
    Network,
    /// One download failed where others may not: its body stalled (no byte
    /// for the idle timeout, or slower than the minimum rate) or was cut and
    /// every resume failed too, or the download host answered 5xx. That
    /// file's retry, never a reason to stop the scan.
    Transfer,
    /// Not a Box answer: the keychain, the token endpoint, no connection.
    Other,
}

impl ApiErrorKind {
    /// A failure no other request can escape now: nothing answers (DNS,
    /// refused or timed-out connects, every retry failing), or Box no longer
    /// accepts the sign-in. Everything else fails one request or one file.
    pub fn is_connection_wide(self) -> bool {
        match self {
            ApiErrorKind::Network | ApiErrorKind::Unauthorized | ApiErrorKind::Other => true,
            ApiErrorKind::Forbidden
            | ApiErrorKind::NotFound
            | ApiErrorKind::Conflict
            | ApiErrorKind::RateLimited
            | ApiErrorKind::Unavailable
            | ApiErrorKind::BadRequest
            | ApiErrorKind::Malformed
            | ApiErrorKind::Transfer => false,
        }
    }
}

/// A failed call: what the admin reads, plus Box's own words for the API test.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub user: UserError,
    pub status: Option<u16>,
    /// Box's `code` and `message`, when Box answered with its error body.
    pub box_code: Option<String>,
    pub box_message: Option<String>,
    /// Box's `request_id`, for a support ticket.
    pub request_id: Option<String>,
}

impl From<ApiError> for UserError {
    fn from(e: ApiError) -> Self {
        e.user
    }
}

impl From<UserError> for ApiError {
    fn from(user: UserError) -> Self {
        let kind = match user.code {
            ErrorCode::NeedsReconnect | ErrorCode::NotConnected => ApiErrorKind::Unauthorized,
            ErrorCode::Network => ApiErrorKind::Network,
            ErrorCode::MalformedResponse => ApiErrorKind::Malformed,
            ErrorCode::RateLimited => ApiErrorKind::RateLimited,
            _ => ApiErrorKind::Other,
        };
        ApiError {
            kind,
            user,
            status: None,
            box_code: None,
            box_message: None,
            request_id: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.user.message)
    }
}

impl std::error::Error for ApiError {}

/// A 2xx body that did not parse. Names the request (method and path, never
/// the query or a header, so no token) and where the body went wrong, but
/// quotes nothing from it.
pub fn malformed(request: &str, err: &serde_json::Error) -> ApiError {
    let what = match err.classify() {
        serde_json::error::Category::Eof => "it ended early",
        serde_json::error::Category::Syntax => "it is not valid JSON",
        serde_json::error::Category::Data => "a field has an unexpected type or is missing",
        serde_json::error::Category::Io => "it could not be read",
    };
    let user = UserError::new(
        ErrorCode::MalformedResponse,
        format!(
            "Failed to parse response from Box to {request}: {what} (line {}, column {}).",
            err.line(),
            err.column()
        ),
        "This is usually temporary: run the API test again.",
    );
    ApiError {
        kind: ApiErrorKind::Malformed,
        status: Some(200),
        ..ApiError::from(user)
    }
}

/// No answer at all.
pub fn network(err: &reqwest::Error) -> ApiError {
    let what = if err.is_timeout() {
        "timed out"
    } else {
        "could not be reached"
    };
    ApiError::from(UserError::new(
        ErrorCode::Network,
        format!("Box {what}."),
        "Check this computer's internet connection (and proxy or firewall), then try again.",
    ))
}

/// One download that did not finish (see [`ApiErrorKind::Transfer`]);
/// `what` says how, e.g. "stalled: no data for 30 s".
pub fn transfer(what: &str) -> ApiError {
    ApiError {
        kind: ApiErrorKind::Transfer,
        ..ApiError::from(UserError::new(
            ErrorCode::Network,
            format!("A file's download {what}."),
            "Only this file is affected: it is tried again later. If many downloads fail, check this computer's connection speed (and proxy).",
        ))
    }
}

/// A failed answer of the download host (not Box's API): a 5xx there is
/// that file's trouble, so it is a [`ApiErrorKind::Transfer`].
pub fn download_host(status: StatusCode, body: &[u8]) -> ApiError {
    let mut e = error_from(status, body);
    if status.is_server_error() {
        e.kind = ApiErrorKind::Transfer;
    }
    e
}

/// No answer within the request's deadline.
pub fn timed_out() -> ApiError {
    ApiError::from(UserError::new(
        ErrorCode::Network,
        "Box timed out.",
        "Check this computer's internet connection (and proxy or firewall), then try again.",
    ))
}

/// Maps a failed response to the troubleshooting table.
pub fn error_from(status: StatusCode, body: &[u8]) -> ApiError {
    let parsed: Option<BoxErrorBody> = serde_json::from_slice(body).ok();
    let parsed = parsed.unwrap_or_default();
    let (box_code, box_message, request_id) = (parsed.code, parsed.message, parsed.request_id);
    let said = box_message.clone().unwrap_or_default();
    let quoted = match (&box_code, &box_message) {
        (Some(c), Some(m)) => format!(" ({c}: {m})"),
        (None, Some(m)) => format!(" ({m})"),
        (Some(c), None) => format!(" ({c})"),
        _ => String::new(),
    };
    let code = status.as_u16();
    let kind = match code {
        401 => ApiErrorKind::Unauthorized,
        403 => ApiErrorKind::Forbidden,
        404 | 410 => ApiErrorKind::NotFound,
        409 | 412 => ApiErrorKind::Conflict,
        429 => ApiErrorKind::RateLimited,
        202 => ApiErrorKind::Unavailable,
        _ if status.is_server_error() => ApiErrorKind::Unavailable,
        _ => ApiErrorKind::BadRequest,
    };
    let user = if said.contains("without having an enterprise") {
        UserError::new(
            ErrorCode::NoEnterprise,
            "User cannot access this feature without having an enterprise: the connected Box account is not part of an enterprise.",
            "Upgrade the Box licence to an enterprise plan, then reconnect.",
        )
    } else if kind == ApiErrorKind::Unauthorized {
        UserError::new(
            ErrorCode::NeedsReconnect,
            format!("Unauthorized - Cannot authorize with this service{quoted}."),
            "The Box admin may have removed the app. Reconnect: click Connect and sign in to Box again.",
        )
    } else if kind == ApiErrorKind::RateLimited {
        UserError::new(
            ErrorCode::RateLimited,
            format!("Box kept answering \"too many requests\"{quoted}."),
            "Wait a few minutes and try again; other apps may share this account's rate limit.",
        )
    } else if kind == ApiErrorKind::Unavailable {
        UserError::new(
            ErrorCode::BoxApi,
            format!("Box had a server error (HTTP {code}){quoted}."),
            "This is on Box's side: wait a few minutes and try again.",
        )
    } else if kind == ApiErrorKind::Forbidden {
        UserError::new(
            ErrorCode::BoxApi,
            format!("Box refused the request (HTTP 403){quoted}."),
            "Connect with the Box admin account, and check the app's scopes and \"Perform Actions as Users\" setting.",
        )
    } else {
        UserError::new(
            ErrorCode::BoxApi,
            format!("Box answered HTTP {code}{quoted}."),
            "Run the API test again; if it persists, reconnect.",
        )
    };
    ApiError {
        kind,
        user,
        status: Some(code),
        box_code,
        box_message,
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_errors_map_to_the_troubleshooting_table() {
        let e = error_from(
            StatusCode::FORBIDDEN,
            br#"{"type":"error","status":403,"code":"forbidden","message":"User cannot access this feature without having an enterprise","request_id":"abc123"}"#,
        );
        assert_eq!(e.user.code, ErrorCode::NoEnterprise);
        assert_eq!(e.kind, ApiErrorKind::Forbidden);
        assert_eq!(e.request_id.as_deref(), Some("abc123"));
        assert!(e.user.hint.contains("Upgrade the Box licence"));
        let e = error_from(StatusCode::UNAUTHORIZED, b"");
        assert_eq!(e.user.code, ErrorCode::NeedsReconnect);
        assert_eq!(e.kind, ApiErrorKind::Unauthorized);
        assert!(e
            .user
            .message
            .contains("Cannot authorize with this service"));
        let e = error_from(
            StatusCode::NOT_FOUND,
            br#"{"code":"not_found","message":"Not Found"}"#,
        );
        assert_eq!(e.kind, ApiErrorKind::NotFound);
        assert_eq!(e.box_message.as_deref(), Some("Not Found"));
        assert!(e.user.message.contains("not_found"));
    }

    #[test]
    fn every_status_has_its_kind() {
        for (status, kind) in [
            (409, ApiErrorKind::Conflict),
            (429, ApiErrorKind::RateLimited),
            (503, ApiErrorKind::Unavailable),
            (202, ApiErrorKind::Unavailable),
            (400, ApiErrorKind::BadRequest),
        ] {
            let e = error_from(StatusCode::from_u16(status).unwrap(), b"not json");
            assert_eq!(e.kind, kind, "{status}");
            assert_eq!(e.status, Some(status));
        }
    }

    #[test]
    fn only_connection_wide_failures_say_nothing_else_can_work() {
        for kind in [
            ApiErrorKind::Network,
            ApiErrorKind::Unauthorized,
            ApiErrorKind::Other,
        ] {
            assert!(kind.is_connection_wide(), "{kind:?}");
        }
        let stalled = transfer("stalled (no data for 30.0 s)");
        assert_eq!(stalled.kind, ApiErrorKind::Transfer);
        assert!(!stalled.kind.is_connection_wide());
        assert!(stalled.user.message.contains("stalled"));
        // The download host's 5xx is that file's; its 404 is still "gone".
        let e = download_host(StatusCode::BAD_GATEWAY, b"<html>");
        assert_eq!((e.kind, e.status), (ApiErrorKind::Transfer, Some(502)));
        assert_eq!(
            download_host(StatusCode::NOT_FOUND, b"").kind,
            ApiErrorKind::NotFound
        );
    }

    #[test]
    fn a_malformed_body_names_the_request_but_quotes_nothing() {
        let err =
            serde_json::from_str::<super::super::models::User>(r#"{"id": "sEcReT"#).unwrap_err();
        let e = malformed("GET /users/me", &err);
        assert_eq!(e.kind, ApiErrorKind::Malformed);
        assert_eq!(e.user.code, ErrorCode::MalformedResponse);
        assert!(e.user.message.contains("Failed to parse response"));
        assert!(
            e.user.message.contains("GET /users/me"),
            "{}",
            e.user.message
        );
        assert!(!e.user.message.contains("sEcReT"), "{}", e.user.message);
        assert!(e.user.hint.contains("run the API test again"));
    }
}
