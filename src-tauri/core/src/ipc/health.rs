//! Connection health as the window and the CLI show it. Computed in
//! [`crate::health`]; the type lives here so IPC depends on nothing above it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::Advice;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HealthState {
    Connected,
    NeedsReconnect,
    Offline,
    NotConnected,
}

/// Call-log statistics over the last hour.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CallStats {
    pub calls: u32,
    /// Calls answered with an HTTP error (4xx/5xx) or with no answer at all.
    pub errors: u32,
    pub rate_limited: u32,
    /// 0.0–1.0; 0 when there were no calls.
    pub error_rate: f64,
    pub rate_limited_rate: f64,
    pub median_latency_ms: Option<u32>,
    pub p95_latency_ms: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct LastApiTest {
    #[ts(type = "string")]
    pub finished_at: DateTime<Utc>,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Health {
    pub state: HealthState,
    /// One sentence telling the admin what to do in this state (the window's words).
    pub what_to_do: String,
    /// What `what_to_do` says, for callers that word it their own way (the CLI).
    #[serde(skip)]
    #[ts(skip)]
    pub advice: Advice,
    /// Extra cautions while connected (refresh token ageing, many 429s...).
    pub warnings: Vec<String>,
    pub datacenter_id: Option<String>,
    pub account_login: Option<String>,
    pub account_name: Option<String>,
    pub role: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    #[ts(type = "string | null")]
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// Negative once expired (the next call refreshes it).
    #[ts(type = "number | null")]
    pub access_token_expires_in_secs: Option<i64>,
    #[ts(type = "number | null")]
    pub refresh_token_age_days: Option<i64>,
    #[ts(type = "string | null")]
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_hour: CallStats,
    pub last_api_test: Option<LastApiTest>,
}
