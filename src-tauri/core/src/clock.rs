//! Wall-clock time as a dependency. Token lifetimes are decided by "now", so
//! the code that stamps and checks them reads it from a [`Clock`] handed in
//! rather than from `Utc::now()`: tests move a [`ManualClock`] forward
//! instead of sleeping until a token expires.

use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time of day.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is moved. Clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Starts at the real time, so stamps from other processes still compare sensibly.
    pub fn starting_now() -> ManualClock {
        ManualClock::new(Utc::now())
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.now.lock().expect("manual clock lock") += by;
    }

    pub fn advance_secs(&self, secs: i64) {
        self.advance(chrono::Duration::seconds(secs));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("manual clock lock")
    }
}

/// The clock a component was given; the default is the system clock.
#[derive(Clone)]
pub struct SharedClock(Arc<dyn Clock>);

impl SharedClock {
    pub fn new(clock: impl Clock) -> SharedClock {
        SharedClock(Arc::new(clock))
    }

    pub fn system() -> SharedClock {
        SharedClock::new(SystemClock)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

impl Default for SharedClock {
    fn default() -> Self {
        SharedClock::system()
    }
}

impl<C: Clock> From<C> for SharedClock {
    fn from(clock: C) -> Self {
        SharedClock::new(clock)
    }
}

impl fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedClock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let start = Utc::now() - chrono::Duration::days(3);
        let manual = ManualClock::new(start);
        let shared = SharedClock::from(manual.clone());
        assert_eq!(shared.now(), start);
        manual.advance_secs(3601);
        assert_eq!(shared.now(), start + chrono::Duration::seconds(3601));
    }

    #[test]
    fn the_default_clock_is_the_system_clock() {
        let before = Utc::now();
        let now = SharedClock::default().now();
        assert!(now >= before && now <= Utc::now());
    }
}
