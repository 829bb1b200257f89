//! When a failed attempt is tried again, and after how long.
//!
//! Retrying must never apply a change twice, so what may be retried depends
//! on the method: see [`may_retry`].

use std::time::Duration;

use rand::Rng;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The first backoff's upper bound; each further attempt doubles it.
    pub base_delay: Duration,
    /// No backoff is longer than this.
    pub max_delay: Duration,
    /// A `retry-after` longer than this is not waited out.
    pub max_retry_after: Duration,
    /// Times one download's body is resumed (`Range` from where it stopped)
    /// after it stalled or was cut, before it fails as a `Transfer`.
    pub max_resumes: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            max_resumes: 5,
        }
    }
}

impl RetryPolicy {
    /// The bound of the wait after failed attempt `attempt` (1-based):
    /// `base · 2^(attempt-1)`, capped at `max_delay`.
    pub fn backoff_cap(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay)
    }

    /// Exponential backoff with full jitter: uniform in `0..=cap`, so many
    /// workers failing together do not come back together.
    pub fn backoff(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let cap = self.backoff_cap(attempt).as_micros() as u64;
        Duration::from_micros(rng.gen_range(0..=cap))
    }
}

/// How an attempt failed, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection was never made, so not a byte of the request left.
    Connect,
    /// The connection broke or timed out after the request (maybe) went out.
    Transport,
    /// Box answered with this status.
    Status(StatusCode),
}

/// GET and HEAD change nothing, so any failure may be retried. Anything else
/// (POST, PUT, DELETE, PATCH) is retried only where Box cannot have applied
/// it: a connect error (nothing was sent) and a 429 (Box's rate limit turns
/// the request away before acting on it). A 5xx or a broken connection may
/// come after Box applied the change, so it is handed back, not repeated.
pub fn may_retry(method: &Method, failure: Failure, retry_after: Option<Duration>) -> bool {
    let read_only = matches!(*method, Method::GET | Method::HEAD);
    match failure {
        Failure::Connect => true,
        Failure::Status(StatusCode::TOO_MANY_REQUESTS) => true,
        Failure::Transport => read_only,
        Failure::Status(s) if s.is_server_error() => read_only,
        // "Not ready yet, ask again" (a download just after an upload).
        Failure::Status(StatusCode::ACCEPTED) => read_only && retry_after.is_some(),
        Failure::Status(_) => false,
    }
}

/// `retry-after` in seconds. `HeaderMap` lookups ignore case, so Box's
/// lower-case header and a proxy's `Retry-After` both match.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn backoff_is_bounded_doubles_and_is_jittered() {
        let policy = RetryPolicy {
            max_attempts: 30,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            max_resumes: 0,
        };
        assert_eq!(policy.backoff_cap(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_cap(2), Duration::from_millis(200));
        assert_eq!(policy.backoff_cap(4), Duration::from_millis(800));
        assert_eq!(policy.backoff_cap(7), Duration::from_secs(5), "capped");
        assert_eq!(policy.backoff_cap(u32::MAX), Duration::from_secs(5));

        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 1..=30 {
            let cap = policy.backoff_cap(attempt);
            let waits: Vec<Duration> = (0..2000)
                .map(|_| policy.backoff(attempt, &mut rng))
                .collect();
            assert!(waits.iter().all(|w| *w <= cap), "attempt {attempt}");
            // Full jitter: spread over the whole range, not bunched at the cap.
            assert!(waits.iter().any(|w| *w < cap / 10), "attempt {attempt}");
            assert!(waits.iter().any(|w| *w > cap * 9 / 10), "attempt {attempt}");
        }
    }

    #[test]
    fn only_reads_are_retried_after_they_may_have_been_applied() {
        let s = |code| Failure::Status(StatusCode::from_u16(code).unwrap());
        for method in [Method::GET, Method::HEAD] {
            assert!(may_retry(&method, s(500), None));
            assert!(may_retry(&method, s(503), None));
            assert!(may_retry(&method, Failure::Transport, None));
            assert!(may_retry(&method, Failure::Connect, None));
            assert!(may_retry(&method, s(429), None));
            assert!(may_retry(&method, s(202), Some(Duration::from_secs(1))));
            assert!(!may_retry(&method, s(202), None));
            assert!(!may_retry(&method, s(404), None));
        }
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            assert!(!may_retry(&method, s(500), None), "{method}");
            assert!(!may_retry(&method, s(503), None), "{method}");
            assert!(!may_retry(&method, Failure::Transport, None), "{method}");
            assert!(may_retry(&method, Failure::Connect, None), "{method}");
            assert!(may_retry(&method, s(429), None), "{method}");
            assert!(!may_retry(&method, s(409), None), "{method}");
        }
    }

    #[test]
    fn retry_after_is_seconds_and_junk_is_ignored() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "0.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "-3".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
