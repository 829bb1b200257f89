//! Connection health: what the admin sees about the current connection.
//!
//! [`compute`] is a pure function of the stored connection, the last hour of
//! the API call log, the last API test and the token facts the caller knows;
//! [`Store::health`] gathers those from the store.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::store::{
    ApiCallRecord, ApiTestRun, CheckStatus, ConnectionRecord, ConnectionState, Store, StoreResult,
};

/// The window the call statistics cover.
pub const HEALTH_WINDOW: TimeDelta = TimeDelta::hours(1);
/// Box refresh tokens die 60 days after they were issued.
pub const REFRESH_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(60);
/// From this age on, health warns that the sign-in will soon run out.
pub const REFRESH_TOKEN_WARN_AGE: TimeDelta = TimeDelta::days(50);
/// This many consecutive calls without any response, with no success since,
/// means Box cannot be reached.
const OFFLINE_AFTER_FAILURES: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HealthState {
    Connected,
    NeedsReconnect,
    Offline,
    NotConnected,
}

/// Call-log statistics over [`HEALTH_WINDOW`].
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
    /// One sentence telling the admin what to do in this state.
    pub what_to_do: String,
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

/// What the caller knows about the tokens (from its token manager), which
/// overrides what the store last recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenFacts {
    pub access_token_expires_at: Option<DateTime<Utc>>,
    pub refresh_token_issued_at: Option<DateTime<Utc>>,
    /// Whether the keychain still holds a refresh token for the connection.
    /// `Some(false)` means the connection cannot work without signing in again.
    pub refresh_token_present: Option<bool>,
}

/// Statistics over `calls` that fall within the window ending at `now`.
pub fn call_stats(calls: &[ApiCallRecord], now: DateTime<Utc>) -> CallStats {
    let since = now - HEALTH_WINDOW;
    let recent: Vec<&ApiCallRecord> = calls
        .iter()
        .filter(|c| c.at >= since && c.at <= now)
        .collect();
    let total = recent.len() as u32;
    let errors = recent.iter().filter(|c| !c.is_success()).count() as u32;
    let rate_limited = recent
        .iter()
        .filter(|c| c.rate_limited || c.status == Some(429))
        .count() as u32;
    let mut latencies: Vec<u32> = recent.iter().map(|c| c.latency_ms).collect();
    latencies.sort_unstable();
    let ratio = |n: u32| {
        if total == 0 {
            0.0
        } else {
            f64::from(n) / f64::from(total)
        }
    };
    CallStats {
        calls: total,
        errors,
        rate_limited,
        error_rate: ratio(errors),
        rate_limited_rate: ratio(rate_limited),
        median_latency_ms: percentile(&latencies, 50),
        p95_latency_ms: percentile(&latencies, 95),
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u32], pct: usize) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// The connection's health at `now`.
pub fn compute(
    connection: Option<&ConnectionRecord>,
    calls: &[ApiCallRecord],
    last_api_test: Option<&ApiTestRun>,
    tokens: TokenFacts,
    now: DateTime<Utc>,
) -> Health {
    let last_hour = call_stats(calls, now);
    let access_token_expires_at = tokens
        .access_token_expires_at
        .or(connection.and_then(|c| c.access_token_expires_at));
    let refresh_token_issued_at = tokens
        .refresh_token_issued_at
        .or(connection.and_then(|c| c.refresh_token_issued_at));
    let refresh_age = refresh_token_issued_at.map(|issued| now - issued);
    let last_success_at = latest(
        connection.and_then(|c| c.last_success_at),
        calls.iter().filter(|c| c.is_success()).map(|c| c.at).max(),
    );

    let mut warnings = Vec::new();
    let (state, what_to_do) = match connection {
        None => (
            HealthState::NotConnected,
            "Choose your Box data center and click Connect to sign in as a Box admin.".to_owned(),
        ),
        Some(c) if c.state == ConnectionState::Disconnected => (
            HealthState::NotConnected,
            "This connection was disconnected. Click Connect to sign in again.".to_owned(),
        ),
        Some(c) if c.state == ConnectionState::NeedsReconnect => (
            HealthState::NeedsReconnect,
            reconnect_sentence(c.state_reason.as_deref()),
        ),
        Some(_) if tokens.refresh_token_present == Some(false) => (
            HealthState::NeedsReconnect,
            "The sign-in for this connection is missing from the system keychain. Click \
             Reconnect and sign in again."
                .to_owned(),
        ),
        Some(_) if refresh_age.is_some_and(|age| age >= REFRESH_TOKEN_LIFETIME) => (
            HealthState::NeedsReconnect,
            "Box ends a sign-in after 60 days without use, and this one has run out. Click \
             Reconnect and sign in again as a Box admin."
                .to_owned(),
        ),
        Some(_) if unreachable(calls, now) => (
            HealthState::Offline,
            "Box cannot be reached. Check your internet connection, VPN or proxy; the app \
             retries on its own and nothing needs to be reconnected."
                .to_owned(),
        ),
        Some(_) => {
            if let Some(age) = refresh_age.filter(|age| *age >= REFRESH_TOKEN_WARN_AGE) {
                let days_left = (REFRESH_TOKEN_LIFETIME - age).num_days();
                warnings.push(format!(
                    "The sign-in is {} days old and Box ends it at 60 days: it renews on the next \
                     call to Box; if it is not renewed within {days_left} days, you will have to \
                     reconnect.",
                    age.num_days()
                ));
            }
            if last_hour.rate_limited > 0 {
                warnings.push(format!(
                    "Box rate-limited {} of the last hour's {} calls; the app slows down and \
                     retries on its own.",
                    last_hour.rate_limited, last_hour.calls
                ));
            }
            (
                HealthState::Connected,
                "Nothing to do: the connection works.".to_owned(),
            )
        }
    };

    Health {
        state,
        what_to_do,
        warnings,
        datacenter_id: connection.map(|c| c.datacenter_id.clone()),
        account_login: connection.and_then(|c| c.account_login.clone()),
        account_name: connection.and_then(|c| c.account_name.clone()),
        role: connection.and_then(|c| c.role.clone()),
        enterprise_id: connection.and_then(|c| c.enterprise_id.clone()),
        enterprise_name: connection.and_then(|c| c.enterprise_name.clone()),
        access_token_expires_at,
        access_token_expires_in_secs: access_token_expires_at.map(|at| (at - now).num_seconds()),
        refresh_token_age_days: refresh_age.map(|age| age.num_days()),
        last_success_at,
        last_hour,
        last_api_test: last_api_test.and_then(|run| {
            Some(LastApiTest {
                finished_at: run.finished_at?,
                outcome: match run.outcome? {
                    CheckStatus::Pass => "pass",
                    CheckStatus::Warn => "warn",
                    CheckStatus::Fail => "fail",
                }
                .to_owned(),
            })
        }),
    }
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

fn reconnect_sentence(reason: Option<&str>) -> String {
    let base = "Box no longer accepts this sign-in (the refresh token expired, was revoked or \
                was already used). Click Reconnect and sign in again as a Box admin.";
    match reason {
        Some(reason) if !reason.is_empty() => format!("{base} Box said: {reason}"),
        _ => base.to_owned(),
    }
}

/// The most recent calls in the window got no response at all and none
/// succeeded after them.
fn unreachable(calls: &[ApiCallRecord], now: DateTime<Utc>) -> bool {
    let since = now - HEALTH_WINDOW;
    let mut recent: Vec<&ApiCallRecord> = calls
        .iter()
        .filter(|c| c.at >= since && c.at <= now)
        .collect();
    recent.sort_by_key(|c| c.at);
    let trailing_no_response = recent
        .iter()
        .rev()
        .take_while(|c| c.status.is_none())
        .count();
    trailing_no_response >= OFFLINE_AFTER_FAILURES
}

impl Store {
    /// Health of the current connection (optionally in one data center).
    pub async fn health(
        &self,
        datacenter_id: Option<&str>,
        tokens: TokenFacts,
        now: DateTime<Utc>,
    ) -> StoreResult<Health> {
        let connection = self.current_connection(datacenter_id).await?;
        let (calls, last_test) = match &connection {
            Some(c) => (
                self.api_calls_since(now - HEALTH_WINDOW, Some(&c.id))
                    .await?,
                self.latest_api_test_run(&c.id).await?,
            ),
            None => (Vec::new(), None),
        };
        Ok(compute(
            connection.as_ref(),
            &calls,
            last_test.as_ref(),
            tokens,
            now,
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const NOW: i64 = 1_764_100_000;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap()
    }

    fn connection(state: ConnectionState) -> ConnectionRecord {
        ConnectionRecord {
            id: "c1".into(),
            datacenter_id: "eu1".into(),
            client_id: "client".into(),
            authorize_url: "https://account.box.com/api/oauth2/authorize".into(),
            token_url: "https://api.box.com/oauth2/token".into(),
            revoke_url: "https://api.box.com/oauth2/revoke".into(),
            api_url: "https://api.box.com/2.0".into(),
            account_id: Some("1".into()),
            account_login: Some("admin@example.com".into()),
            account_name: Some("Ada Admin".into()),
            role: Some("admin".into()),
            enterprise_id: Some("4242".into()),
            enterprise_name: Some("Example Corp".into()),
            state,
            state_reason: None,
            connected_at: at(NOW - 86_400),
            access_token_expires_at: Some(at(NOW + 1800)),
            refresh_token_issued_at: Some(at(NOW - 1800)),
            last_success_at: None,
            updated_at: at(NOW - 1800),
        }
    }

    fn call(ago_secs: i64, status: Option<u16>, latency_ms: u32) -> ApiCallRecord {
        ApiCallRecord {
            connection_id: Some("c1".into()),
            at: at(NOW - ago_secs),
            method: "GET".into(),
            endpoint: "/2.0/events".into(),
            status,
            latency_ms,
            rate_limited: status == Some(429),
            error_code: None,
        }
    }

    #[test]
    fn stats_cover_only_the_last_hour() {
        // 20 calls in the hour with latencies 10..=200 ms; 2 of them 429, 1 a 500.
        let mut calls: Vec<ApiCallRecord> = (1..=20)
            .map(|i| call(i * 60, Some(200), i as u32 * 10))
            .collect();
        calls[3].status = Some(429);
        calls[3].rate_limited = true;
        calls[4].status = Some(429);
        calls[4].rate_limited = true;
        calls[5].status = Some(500);
        calls.push(call(3601, None, 99_999)); // just outside the window
        let stats = call_stats(&calls, at(NOW));
        assert_eq!(stats.calls, 20);
        assert_eq!(stats.errors, 3);
        assert_eq!(stats.rate_limited, 2);
        assert!(
            (stats.error_rate - 0.15).abs() < 1e-9,
            "{}",
            stats.error_rate
        );
        assert!((stats.rate_limited_rate - 0.10).abs() < 1e-9);
        assert_eq!(stats.median_latency_ms, Some(100));
        assert_eq!(stats.p95_latency_ms, Some(190));

        let empty = call_stats(&[], at(NOW));
        assert_eq!(
            (empty.calls, empty.error_rate, empty.median_latency_ms),
            (0, 0.0, None)
        );
    }

    #[test]
    fn no_connection_is_not_connected_and_says_connect() {
        let health = compute(None, &[], None, TokenFacts::default(), at(NOW));
        assert_eq!(health.state, HealthState::NotConnected);
        assert!(health.what_to_do.contains("Connect"));
        let disconnected = connection(ConnectionState::Disconnected);
        let health = compute(
            Some(&disconnected),
            &[],
            None,
            TokenFacts::default(),
            at(NOW),
        );
        assert_eq!(health.state, HealthState::NotConnected);
    }

    #[test]
    fn needs_reconnect_from_the_store_from_age_or_a_missing_token() {
        let mut c = connection(ConnectionState::NeedsReconnect);
        c.state_reason = Some("Invalid refresh token".into());
        let health = compute(Some(&c), &[], None, TokenFacts::default(), at(NOW));
        assert_eq!(health.state, HealthState::NeedsReconnect);
        assert!(health.what_to_do.contains("Reconnect"));
        assert!(health.what_to_do.contains("Invalid refresh token"));

        let mut old = connection(ConnectionState::Connected);
        old.refresh_token_issued_at = Some(at(NOW) - TimeDelta::days(61));
        let health = compute(Some(&old), &[], None, TokenFacts::default(), at(NOW));
        assert_eq!(health.state, HealthState::NeedsReconnect);
        assert_eq!(health.refresh_token_age_days, Some(61));

        let fine = connection(ConnectionState::Connected);
        let facts = TokenFacts {
            refresh_token_present: Some(false),
            ..TokenFacts::default()
        };
        let health = compute(Some(&fine), &[], None, facts, at(NOW));
        assert_eq!(health.state, HealthState::NeedsReconnect);
        assert!(health.what_to_do.contains("keychain"));
    }

    #[test]
    fn refresh_token_age_warns_from_fifty_days() {
        let c = connection(ConnectionState::Connected);
        let facts = |days| TokenFacts {
            refresh_token_issued_at: Some(at(NOW) - TimeDelta::days(days)),
            ..TokenFacts::default()
        };
        let young = compute(Some(&c), &[], None, facts(49), at(NOW));
        assert_eq!(young.state, HealthState::Connected);
        assert!(young.warnings.is_empty(), "{:?}", young.warnings);

        let ageing = compute(Some(&c), &[], None, facts(52), at(NOW));
        assert_eq!(ageing.state, HealthState::Connected);
        assert_eq!(ageing.refresh_token_age_days, Some(52));
        assert_eq!(ageing.warnings.len(), 1);
        assert!(
            ageing.warnings[0].contains("52 days old"),
            "{}",
            ageing.warnings[0]
        );
        assert!(
            ageing.warnings[0].contains("within 8 days"),
            "{}",
            ageing.warnings[0]
        );
    }

    #[test]
    fn offline_when_the_latest_calls_get_no_answer() {
        let c = connection(ConnectionState::Connected);
        let calls = vec![
            call(600, Some(200), 80),
            call(120, None, 30_000),
            call(60, None, 30_000),
        ];
        let health = compute(Some(&c), &calls, None, TokenFacts::default(), at(NOW));
        assert_eq!(health.state, HealthState::Offline);
        assert!(health.what_to_do.contains("cannot be reached"));
        assert_eq!(health.last_success_at, Some(at(NOW - 600)));

        // One timeout followed by a success is not offline.
        let calls = vec![call(120, None, 30_000), call(60, Some(200), 90)];
        let health = compute(Some(&c), &calls, None, TokenFacts::default(), at(NOW));
        assert_eq!(health.state, HealthState::Connected);
        // Box answering with errors is reachable: not offline either.
        let calls = vec![call(120, Some(503), 10), call(60, Some(503), 10)];
        let health = compute(Some(&c), &calls, None, TokenFacts::default(), at(NOW));
        assert_eq!(health.state, HealthState::Connected);
        assert_eq!(health.last_hour.errors, 2);
    }

    #[test]
    fn token_facts_from_the_caller_override_the_store() {
        let c = connection(ConnectionState::Connected);
        let facts = TokenFacts {
            access_token_expires_at: Some(at(NOW - 5)),
            ..TokenFacts::default()
        };
        let health = compute(Some(&c), &[], None, facts, at(NOW));
        assert_eq!(health.access_token_expires_in_secs, Some(-5));
        let health = compute(Some(&c), &[], None, TokenFacts::default(), at(NOW));
        assert_eq!(health.access_token_expires_in_secs, Some(1800));
    }

    /// The same figures, gathered from a real store file.
    #[tokio::test]
    async fn health_from_a_real_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("health.sqlite3"))
            .await
            .unwrap();
        assert_eq!(
            store
                .health(None, TokenFacts::default(), at(NOW))
                .await
                .unwrap()
                .state,
            HealthState::NotConnected
        );

        store
            .save_connection(&connection(ConnectionState::Connected))
            .await
            .unwrap();
        for (ago, status, latency) in [
            (7200, Some(200), 5_000), // older than the window
            (1800, Some(200), 100),
            (1200, Some(429), 20),
            (600, Some(200), 300),
            (300, Some(200), 200),
        ] {
            store
                .record_api_call(&call(ago, status, latency))
                .await
                .unwrap();
        }
        let run = store.start_api_test_run("c1", at(NOW - 900)).await.unwrap();
        store
            .record_api_check(
                run,
                &crate::store::ApiCheckRecord {
                    check_id: "role".into(),
                    label: "Role".into(),
                    status: CheckStatus::Warn,
                    detail: Some("co-admin".into()),
                    box_error: None,
                    fix: None,
                },
            )
            .await
            .unwrap();
        store.finish_api_test_run(run, at(NOW - 890)).await.unwrap();

        let health = store
            .health(Some("eu1"), TokenFacts::default(), at(NOW))
            .await
            .unwrap();
        assert_eq!(health.state, HealthState::Connected);
        assert_eq!(health.enterprise_name.as_deref(), Some("Example Corp"));
        assert_eq!(health.last_hour.calls, 4);
        assert_eq!(health.last_hour.rate_limited, 1);
        assert_eq!(health.last_hour.median_latency_ms, Some(100));
        assert_eq!(health.last_hour.p95_latency_ms, Some(300));
        assert_eq!(health.last_success_at, Some(at(NOW - 300)));
        assert_eq!(
            health.last_api_test,
            Some(LastApiTest {
                finished_at: at(NOW - 890),
                outcome: "warn".into()
            })
        );
        assert!(
            health
                .warnings
                .iter()
                .any(|w| w.contains("rate-limited 1 of")),
            "{:?}",
            health.warnings
        );
        let json = serde_json::to_value(&health).unwrap();
        assert_eq!(json["state"], "connected");
        store.close().await;
    }
}
