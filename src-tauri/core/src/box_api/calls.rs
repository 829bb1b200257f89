//! What the client reports about each attempt, for connection health.

use chrono::{DateTime, Utc};

use crate::error::ErrorCode;

/// One finished HTTP exchange with Box (no headers, no bodies, no tokens).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub at: DateTime<Utc>,
    pub method: String,
    /// Path without query (`/users/me`).
    pub endpoint: String,
    /// `None` when no response arrived.
    pub status: Option<u16>,
    pub latency_ms: u32,
    pub rate_limited: bool,
    pub error_code: Option<ErrorCode>,
}

/// Receives every attempt. Called inline on the request path, so it must
/// not wait on I/O: keep the figures in memory and write them elsewhere
/// (the app's session batches them into the store).
pub trait CallRecorder: Send + Sync {
    fn record(&self, call: ApiCall);
}
