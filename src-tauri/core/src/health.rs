//! Connection health: what the admin sees about the current connection.
//!
//! [`compute`] is a pure function of the stored connection, the last hour of
//! the API call log, the last API test and the token facts the caller knows.
//! The call figures come from one of two places with the same numbers:
//! [`LiveCalls`], the live session's in-memory window (updated on every call
//! without I/O), or the store's call log when no session is live here (the
//! CLI's `status`, another process's view). [`read_with`] gathers
//! the rest from the store.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

use crate::ipc::{Advice, CallStats, Health, HealthState, LastApiTest};
use crate::store::{
    ApiCallRecord, ApiTestRun, ConnectionRecord, ConnectionState, Store, StoreResult,
};
use crate::wording::Audience;

/// The window the call statistics cover.
pub const HEALTH_WINDOW: TimeDelta = TimeDelta::hours(1);
/// Box refresh tokens die 60 days after they were issued.
pub const REFRESH_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(60);
/// From this age on, health warns that the sign-in will soon run out.
pub const REFRESH_TOKEN_WARN_AGE: TimeDelta = TimeDelta::days(50);
/// This many consecutive calls without any response, with no success since,
/// means Box cannot be reached.
const OFFLINE_AFTER_FAILURES: usize = 2;

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
    let samples: Vec<CallSample> = calls.iter().map(CallSample::from).collect();
    stats_of(samples.iter(), now)
}

fn stats_of<'a>(samples: impl Iterator<Item = &'a CallSample>, now: DateTime<Utc>) -> CallStats {
    let since = now - HEALTH_WINDOW;
    let mut total = 0u32;
    let mut errors = 0u32;
    let mut rate_limited = 0u32;
    let mut latencies: Vec<u32> = Vec::new();
    for c in samples.filter(|c| c.at >= since && c.at <= now) {
        total += 1;
        errors += u32::from(!c.is_success());
        rate_limited += u32::from(c.rate_limited || c.status == Some(429));
        latencies.push(c.latency_ms);
    }
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

/// What health needs of one call (24 bytes, so an hour of a busy scan fits).
#[derive(Debug, Clone, Copy, PartialEq)]
struct CallSample {
    at: DateTime<Utc>,
    status: Option<u16>,
    latency_ms: u32,
    rate_limited: bool,
}

impl CallSample {
    fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..400).contains(&s))
    }
}

impl From<&ApiCallRecord> for CallSample {
    fn from(c: &ApiCallRecord) -> Self {
        CallSample {
            at: c.at,
            status: c.status,
            latency_ms: c.latency_ms,
            rate_limited: c.rate_limited,
        }
    }
}

/// The call figures health shows, wherever they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSummary {
    pub last_hour: CallStats,
    /// The newest success among the calls seen (the connection row may know a later one).
    pub last_success_at: Option<DateTime<Utc>>,
    /// The latest calls in the window got no answer, and nothing succeeded since.
    pub unreachable: bool,
}

impl CallSummary {
    /// From call-log rows (the store's view).
    pub fn from_records(calls: &[ApiCallRecord], now: DateTime<Utc>) -> CallSummary {
        let mut samples: Vec<CallSample> = calls.iter().map(CallSample::from).collect();
        samples.sort_by_key(|c| c.at);
        CallSummary {
            last_hour: stats_of(samples.iter(), now),
            last_success_at: samples
                .iter()
                .filter(|c| c.is_success())
                .map(|c| c.at)
                .max(),
            unreachable: trailing_no_answer(samples.iter(), now) >= OFFLINE_AFTER_FAILURES,
        }
    }
}

/// What of health a call can change, cheap to compare after every call:
/// a change is announced, anything else waits for the next snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallSignal {
    pub unreachable: bool,
    pub rate_limited: bool,
}

/// At most this many calls are kept in memory (an hour at 100 calls a second).
const MAX_LIVE_SAMPLES: usize = 400_000;

/// The live session's call figures: a sliding window of the last hour,
/// updated on every call under a short lock, never waiting on I/O.
pub struct LiveCalls {
    connection_id: String,
    window: Mutex<Window>,
    /// Set once the store's last hour (an earlier run's calls) is merged in.
    seeded: tokio::sync::watch::Sender<bool>,
}

#[derive(Default)]
struct Window {
    /// Oldest first.
    samples: VecDeque<CallSample>,
    rate_limited_in_window: usize,
    trailing_no_answer: usize,
    last_success_at: Option<DateTime<Utc>>,
}

impl Window {
    fn forget_before(&mut self, since: DateTime<Utc>) {
        while let Some(front) = self.samples.front() {
            if front.at >= since && self.samples.len() <= MAX_LIVE_SAMPLES {
                break;
            }
            if front.rate_limited || front.status == Some(429) {
                self.rate_limited_in_window -= 1;
            }
            self.samples.pop_front();
        }
    }

    fn signal(&self) -> CallSignal {
        CallSignal {
            unreachable: self.trailing_no_answer >= OFFLINE_AFTER_FAILURES,
            rate_limited: self.rate_limited_in_window > 0,
        }
    }
}

impl LiveCalls {
    pub fn new(connection_id: &str) -> LiveCalls {
        LiveCalls {
            connection_id: connection_id.to_owned(),
            window: Mutex::new(Window::default()),
            seeded: tokio::sync::watch::channel(false).0,
        }
    }

    pub fn connection_id(&self) -> &str {
        &self.connection_id
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().expect("call window lock")
    }

    /// Counts one call; returns what health shows of calls now.
    pub fn push(&self, call: &ApiCallRecord) -> CallSignal {
        let sample = CallSample::from(call);
        let mut w = self.lock();
        if sample.rate_limited || sample.status == Some(429) {
            w.rate_limited_in_window += 1;
        }
        if sample.status.is_none() {
            w.trailing_no_answer += 1;
        } else {
            w.trailing_no_answer = 0;
        }
        if sample.is_success() {
            w.last_success_at = w.last_success_at.max(Some(sample.at));
        }
        w.samples.push_back(sample);
        w.forget_before(sample.at - HEALTH_WINDOW);
        w.signal()
    }

    /// Merges calls logged before this session (the store's last hour);
    /// they are older than anything pushed since.
    pub fn seed(&self, earlier: &[ApiCallRecord]) {
        {
            let mut w = self.lock();
            let mut older: Vec<CallSample> = earlier.iter().map(CallSample::from).collect();
            older.sort_by_key(|c| c.at);
            let trailing_older = older
                .iter()
                .rev()
                .take_while(|c| c.status.is_none())
                .count();
            if w.samples.is_empty() {
                w.trailing_no_answer = trailing_older;
            } else if w.samples.iter().all(|c| c.status.is_none()) {
                w.trailing_no_answer += trailing_older;
            }
            for c in older.iter().rev() {
                if c.rate_limited || c.status == Some(429) {
                    w.rate_limited_in_window += 1;
                }
                if c.is_success() {
                    w.last_success_at = w.last_success_at.max(Some(c.at));
                }
                w.samples.push_front(*c);
            }
            if let Some(newest) = w.samples.back().map(|c| c.at) {
                w.forget_before(newest - HEALTH_WINDOW);
            }
        }
        self.seeded.send_replace(true);
    }

    /// Waits until [`LiveCalls::seed`] ran, so figures include the earlier run's.
    pub async fn seeded(&self) {
        let mut rx = self.seeded.subscribe();
        let _ = rx.wait_for(|done| *done).await;
    }

    pub fn signal(&self) -> CallSignal {
        self.lock().signal()
    }

    pub fn summary(&self, now: DateTime<Utc>) -> CallSummary {
        let w = self.lock();
        CallSummary {
            last_hour: stats_of(w.samples.iter(), now),
            last_success_at: w.last_success_at,
            unreachable: trailing_no_answer(w.samples.iter(), now) >= OFFLINE_AFTER_FAILURES,
        }
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

/// The connection's health at `now`, from call-log rows.
pub fn compute(
    connection: Option<&ConnectionRecord>,
    calls: &[ApiCallRecord],
    last_api_test: Option<&ApiTestRun>,
    tokens: TokenFacts,
    now: DateTime<Utc>,
) -> Health {
    let summary = CallSummary::from_records(calls, now);
    compute_with(connection, &summary, last_api_test, tokens, now)
}

/// The connection's health at `now`, from call figures however gathered.
pub fn compute_with(
    connection: Option<&ConnectionRecord>,
    calls: &CallSummary,
    last_api_test: Option<&ApiTestRun>,
    tokens: TokenFacts,
    now: DateTime<Utc>,
) -> Health {
    let last_hour = calls.last_hour.clone();
    let access_token_expires_at = tokens
        .access_token_expires_at
        .or(connection.and_then(|c| c.access_token_expires_at));
    let refresh_token_issued_at = tokens
        .refresh_token_issued_at
        .or(connection.and_then(|c| c.refresh_token_issued_at));
    let refresh_age = refresh_token_issued_at.map(|issued| now - issued);
    let last_success_at = latest(
        connection.and_then(|c| c.last_success_at),
        calls.last_success_at,
    );

    let mut warnings = Vec::new();
    // The words live in `wording`, with the CLI's beside the window's.
    let (state, advice) = match connection {
        None => (HealthState::NotConnected, Advice::Connect),
        Some(c) if c.state == ConnectionState::Disconnected => {
            (HealthState::NotConnected, Advice::ConnectAgain)
        }
        Some(c) if c.state == ConnectionState::NeedsReconnect => (
            HealthState::NeedsReconnect,
            Advice::Reconnect {
                box_said: c.state_reason.clone(),
            },
        ),
        Some(_) if tokens.refresh_token_present == Some(false) => (
            HealthState::NeedsReconnect,
            Advice::ReconnectKeychainMissing,
        ),
        Some(_) if refresh_age.is_some_and(|age| age >= REFRESH_TOKEN_LIFETIME) => {
            (HealthState::NeedsReconnect, Advice::ReconnectExpired)
        }
        Some(_) if calls.unreachable => (HealthState::Offline, Advice::CheckNetwork),
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
            (HealthState::Connected, Advice::Nothing)
        }
    };

    Health {
        state,
        what_to_do: advice.what_to_do(
            Audience::Window,
            connection.map(|c| c.datacenter_id.as_str()),
        ),
        advice,
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
                outcome: run.outcome?.as_str().to_owned(),
            })
        }),
    }
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

/// How many of the latest calls in the window (oldest first) got no
/// response at all, with none answered after them.
fn trailing_no_answer<'a>(
    samples: impl DoubleEndedIterator<Item = &'a CallSample>,
    now: DateTime<Utc>,
) -> usize {
    let since = now - HEALTH_WINDOW;
    samples
        .rev()
        .filter(|c| c.at >= since && c.at <= now)
        .take_while(|c| c.status.is_none())
        .count()
}

/// Health of the current connection (optionally in one data center), from
/// the store alone: the view of a process with no live session. A free
/// function over the store's reads (the store itself holds no health logic).
pub async fn read(
    store: &Store,
    datacenter_id: Option<&str>,
    tokens: TokenFacts,
    now: DateTime<Utc>,
) -> StoreResult<Health> {
    read_with(store, datacenter_id, tokens, None, now).await
}

/// Health with the live session's in-memory call figures when `live`
/// belongs to the current connection; the call log is read only otherwise.
pub async fn read_with(
    store: &Store,
    datacenter_id: Option<&str>,
    tokens: TokenFacts,
    live: Option<&LiveCalls>,
    now: DateTime<Utc>,
) -> StoreResult<Health> {
    let connection = store.current_connection(datacenter_id).await?;
    let Some(c) = &connection else {
        let none = CallSummary::from_records(&[], now);
        return Ok(compute_with(None, &none, None, tokens, now));
    };
    let summary = match live.filter(|l| l.connection_id() == c.id) {
        Some(live) => {
            live.seeded().await;
            live.summary(now)
        }
        None => {
            let calls = store
                .api_calls_since(now - HEALTH_WINDOW, Some(&c.id))
                .await?;
            CallSummary::from_records(&calls, now)
        }
    };
    let last_test = store.latest_api_test_run(&c.id).await?;
    Ok(compute_with(
        connection.as_ref(),
        &summary,
        last_test.as_ref(),
        tokens,
        now,
    ))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::store::CheckStatus;

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
            scopes: None,
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
            read(&store, None, TokenFacts::default(), at(NOW))
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

        let health = read(&store, Some("eu1"), TokenFacts::default(), at(NOW))
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

    /// The live session's in-memory figures and the call log give the same
    /// health, call for call: a store that logged the calls and one that
    /// holds only the connection plus the live window.
    #[tokio::test]
    async fn live_figures_equal_the_call_log() {
        let dir = tempfile::tempdir().unwrap();
        let logged = Store::open(dir.path().join("logged.sqlite3"))
            .await
            .unwrap();
        let live_only = Store::open(dir.path().join("live.sqlite3")).await.unwrap();
        for store in [&logged, &live_only] {
            store
                .save_connection(&connection(ConnectionState::Connected))
                .await
                .unwrap();
        }
        let mut calls: Vec<ApiCallRecord> = (0..200)
            .map(|i| call(3500 - i * 17, Some(200), (i as u32 * 37) % 900))
            .collect();
        calls[20].status = Some(429);
        calls[20].rate_limited = true;
        calls[90].status = Some(503);
        calls[150].status = None;
        let earlier = vec![call(7000, Some(200), 5), call(3590, Some(500), 40)];
        let facts = TokenFacts::default();

        let live = LiveCalls::new("c1");
        logged.record_api_calls(&earlier).await.unwrap();
        live.seed(&earlier);
        for chunk in calls.chunks(64) {
            logged.record_api_calls(chunk).await.unwrap();
            for c in chunk {
                live.push(c);
            }
        }
        let from_log = read(&logged, Some("eu1"), facts, at(NOW)).await.unwrap();
        let from_memory = read_with(&live_only, Some("eu1"), facts, Some(&live), at(NOW))
            .await
            .unwrap();
        assert_eq!(from_memory, from_log);
        assert_eq!(from_log.last_hour.calls, 201);
        assert_eq!(from_log.last_hour.rate_limited, 1);

        // Box stops answering: offline from memory as from the log.
        let mut lost = Vec::new();
        for ago in [20, 10] {
            let c = call(ago, None, 30_000);
            let signal = live.push(&c);
            assert_eq!(signal.unreachable, ago == 10, "offline after the second");
            assert!(signal.rate_limited);
            lost.push(c);
        }
        logged.record_api_calls(&lost).await.unwrap();
        let from_log = read(&logged, Some("eu1"), facts, at(NOW)).await.unwrap();
        let from_memory = read_with(&live_only, Some("eu1"), facts, Some(&live), at(NOW))
            .await
            .unwrap();
        assert_eq!(from_log.state, HealthState::Offline);
        assert_eq!(from_memory, from_log);

        // Another connection's window is not used for this one.
        let other = LiveCalls::new("c2");
        other.seed(&[]);
        let h = read_with(&live_only, Some("eu1"), facts, Some(&other), at(NOW))
            .await
            .unwrap();
        assert_eq!(h.last_hour.calls, 0);
        logged.close().await;
        live_only.close().await;
    }

    #[test]
    fn the_live_window_forgets_calls_older_than_an_hour() {
        let live = LiveCalls::new("c1");
        live.push(&call(4000, Some(429), 10));
        assert!(live.signal().rate_limited);
        live.push(&call(100, Some(200), 10));
        assert!(!live.signal().rate_limited, "the old 429 left the window");
        assert_eq!(live.summary(at(NOW)).last_hour.calls, 1);
        assert_eq!(live.summary(at(NOW)).last_success_at, Some(at(NOW - 100)));
    }
}
