//! How long the client waits for what. A JSON answer is small, so the whole
//! call has a deadline. A download body has none: a large file on a slow
//! link is normal. It only has to keep moving: no byte for `idle`, or fewer
//! bytes than `min_rate` asks over its window, is a stall, and the download
//! resumes where it stopped (see `download.rs`).

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection (TCP and TLS). Set on the client's own reqwest
    /// client; one given with `with_http_client` keeps its own.
    pub connect: Duration,
    /// A JSON call, its body included, and a download's wait for its
    /// headers (never its body). `None`: no deadline.
    pub request: Option<Duration>,
    /// A download body that brings no byte for this long has stalled.
    pub idle: Option<Duration>,
    /// A download body slower than this has stalled.
    pub min_rate: Option<MinRate>,
}

/// The slowest a download body may be, averaged over `window` of waiting
/// for it (time the caller spends between reads does not count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinRate {
    pub bytes_per_second: u64,
    pub window: Duration,
}

impl MinRate {
    /// Whether `bytes` arriving over `waited` (at least one window) is too few.
    pub(crate) fn too_slow(&self, bytes: u64, waited: Duration) -> bool {
        (bytes as f64) < self.bytes_per_second as f64 * waited.as_secs_f64()
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Some(Duration::from_secs(60)),
            idle: Some(Duration::from_secs(30)),
            min_rate: Some(MinRate {
                bytes_per_second: 10_000,
                window: Duration::from_secs(60),
            }),
        }
    }
}

impl Timeouts {
    /// No deadline anywhere but the connect: for tests under tokio's paused
    /// clock, where any timer may fire while a loopback answer is on its way.
    pub fn none() -> Self {
        Timeouts {
            request: None,
            idle: None,
            min_rate: None,
            ..Timeouts::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_rate_is_an_average_over_the_time_waited() {
        let rate = MinRate {
            bytes_per_second: 10_000,
            window: Duration::from_secs(60),
        };
        assert!(!rate.too_slow(600_000, Duration::from_secs(60)));
        assert!(rate.too_slow(599_999, Duration::from_secs(60)));
        // A longer wait (one slow read straddling the window) asks for more.
        assert!(rate.too_slow(600_000, Duration::from_secs(61)));
    }
}
