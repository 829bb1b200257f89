//! One limiter for every worker of a client: a token bucket per acting user
//! (Box counts its limit per user) inside a global cap (what this machine and
//! the app as a whole may send), and a shared cooldown: a 429's `retry-after`
//! holds back every request of that user, not only the one that got it.
//!
//! Each bucket is kept as GCRA's "theoretical arrival time" (one `Instant`),
//! so taking a slot is O(1) under a short lock and a waiter sleeps without
//! holding it. A bucket that has refilled completely is indistinguishable
//! from a new one, so idle buckets are dropped and memory stays bounded by
//! the users active in the last few seconds. Time is `tokio::time::Instant`,
//! so tests run with paused time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// About 1000 requests per minute per user at Box; stay just under.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 16.0;
/// What the client sends at most, all users together, by default.
pub const DEFAULT_GLOBAL_REQUESTS_PER_SECOND: f64 = 100.0;

/// The key of the signed-in admin's own bucket (no `as-user`, or `as-user`
/// naming the admin).
pub const SELF_USER: &str = "";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    /// Requests that may go at once after an idle spell.
    pub burst: u32,
}

impl Rate {
    pub fn per_second(per_second: f64) -> Rate {
        Rate {
            per_second,
            burst: per_second.ceil().clamp(1.0, u32::MAX as f64) as u32,
        }
    }

    /// Time between two requests at the steady rate.
    fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second.max(1e-3))
    }

    /// How far ahead of "now" a bucket's arrival time may run before a
    /// request has to wait: the burst.
    fn tolerance(&self) -> Duration {
        self.interval() * self.burst.max(1).saturating_sub(1)
    }
}

/// A GCRA bucket: the time at which it will be exactly empty-and-steady.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tat: Instant,
    /// A 429 asked this user to wait until then.
    paused_until: Option<Instant>,
}

impl Bucket {
    fn new(now: Instant) -> Bucket {
        Bucket {
            tat: now,
            paused_until: None,
        }
    }

    /// The earliest moment a request may go.
    fn earliest(&self, now: Instant, rate: &Rate) -> Instant {
        let by_rate = self.tat.checked_sub(rate.tolerance()).unwrap_or(now);
        now.max(by_rate)
    }

    fn take(&mut self, slot: Instant, rate: &Rate) {
        self.tat = self.tat.max(slot) + rate.interval();
    }
}

struct State {
    user_rate: Rate,
    global_rate: Option<Rate>,
    users: HashMap<String, Bucket>,
    global: Bucket,
    last_sweep: Instant,
}

pub struct Limiter {
    state: Mutex<State>,
}

/// Idle buckets are looked for at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl Limiter {
    pub fn new(user_rate: Rate, global_rate: Option<Rate>) -> Limiter {
        let now = Instant::now();
        Limiter {
            state: Mutex::new(State {
                user_rate,
                global_rate,
                users: HashMap::new(),
                global: Bucket::new(now),
                last_sweep: now,
            }),
        }
    }

    pub fn set_user_rate(&self, rate: Rate) {
        self.lock().user_rate = rate;
    }

    /// `None` lifts the global cap.
    pub fn set_global_rate(&self, rate: Option<Rate>) {
        self.lock().global_rate = rate;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("limiter lock")
    }

    /// Waits until `user` may send one request, and takes that slot: first
    /// the user's own slot, then, once that has come, one of the global cap.
    /// (Booking the global slot only when the user's has come keeps a
    /// paused user's queue from holding global slots that others could use.)
    pub async fn acquire(&self, user: &str) {
        loop {
            let slot = self.reserve_user(user);
            if slot > Instant::now() {
                tokio::time::sleep_until(slot).await;
            }
            // A 429 that arrived while this request waited for its slot
            // holds it back too: take a new slot after the pause.
            if self.pause_left(user).is_some() {
                continue;
            }
            if let Some(slot) = self.reserve_global() {
                if slot > Instant::now() {
                    tokio::time::sleep_until(slot).await;
                }
            }
            return;
        }
    }

    /// Like [`Limiter::acquire`], for the few requests a person waits on
    /// (the live event poll, the rescan an edit or a share asked for): it
    /// goes ahead of the requests already waiting instead of behind them,
    /// and the slot it takes pushes theirs back by one, so the user's and
    /// the global rate over time are unchanged. A 429 pause still holds it.
    pub async fn acquire_urgent(&self, user: &str) {
        let slot = {
            let now = Instant::now();
            let mut guard = self.lock();
            let s = &mut *guard;
            let bucket = s
                .users
                .entry(user.to_owned())
                .or_insert_with(|| Bucket::new(now));
            let slot = bucket.paused_until.map_or(now, |until| until.max(now));
            bucket.take(slot, &s.user_rate);
            if let Some(rate) = s.global_rate {
                s.global.take(slot, &rate);
            }
            slot
        };
        if slot > Instant::now() {
            tokio::time::sleep_until(slot).await;
        }
    }

    /// Books the next free slot of `user` (now, or later) and returns it.
    fn reserve_user(&self, user: &str) -> Instant {
        let now = Instant::now();
        let mut guard = self.lock();
        let s = &mut *guard;
        if now.duration_since(s.last_sweep) >= SWEEP_EVERY {
            s.last_sweep = now;
            s.users.retain(|_, b| !b.is_idle(now));
        }
        let bucket = s
            .users
            .entry(user.to_owned())
            .or_insert_with(|| Bucket::new(now));
        let mut slot = bucket.earliest(now, &s.user_rate);
        if let Some(until) = bucket.paused_until {
            slot = slot.max(until);
        }
        bucket.take(slot, &s.user_rate);
        slot
    }

    /// Books the next slot of the global cap, if there is a cap.
    fn reserve_global(&self) -> Option<Instant> {
        let now = Instant::now();
        let mut guard = self.lock();
        let s = &mut *guard;
        let rate = s.global_rate?;
        let slot = s.global.earliest(now, &rate);
        s.global.take(slot, &rate);
        Some(slot)
    }

    /// Box answered `user` with a 429 and `retry-after: wait`: no request
    /// of that user goes before it is over; then they resume at the steady
    /// rate, not with a burst.
    pub fn pause(&self, user: &str, wait: Duration) {
        let now = Instant::now();
        let until = now + wait;
        let mut s = self.lock();
        let tolerance = s.user_rate.tolerance();
        let bucket = s
            .users
            .entry(user.to_owned())
            .or_insert_with(|| Bucket::new(now));
        bucket.paused_until = Some(bucket.paused_until.map_or(until, |p| p.max(until)));
        bucket.tat = bucket.tat.max(until + tolerance);
    }

    /// How long `user` is still held back by a 429, if at all.
    pub fn pause_left(&self, user: &str) -> Option<Duration> {
        let now = Instant::now();
        self.lock()
            .users
            .get(user)
            .and_then(|b| b.paused_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Buckets held (for the idle-drop test and diagnostics).
    pub fn tracked_users(&self) -> usize {
        self.lock().users.len()
    }
}

impl Bucket {
    /// Refilled completely and not paused: the same as no bucket.
    fn is_idle(&self, now: Instant) -> bool {
        self.tat <= now && self.paused_until.is_none_or(|p| p <= now)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// When each of `n` requests of `user` gets through, relative to `start`.
    async fn admit_times(limiter: &Arc<Limiter>, user: &str, n: usize) -> Vec<Duration> {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let l = limiter.clone();
            let u = user.to_owned();
            tasks.push(tokio::spawn(async move {
                l.acquire(&u).await;
                Instant::now() - start
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out.sort();
        out
    }

    #[tokio::test(start_paused = true)]
    async fn each_user_gets_a_burst_then_the_steady_rate() {
        let limiter = Arc::new(Limiter::new(
            Rate {
                per_second: 10.0,
                burst: 5,
            },
            None,
        ));
        let times = admit_times(&limiter, "u1", 25).await;
        // 5 at once, then one every 100 ms: the 25th at 2 s.
        assert!(times[..5].iter().all(|t| *t == Duration::ZERO), "{times:?}");
        assert_eq!(times[5], Duration::from_millis(100));
        assert_eq!(times[24], Duration::from_secs(2));
        // Another user is not held back by the first one's queue.
        let other = admit_times(&limiter, "u2", 5).await;
        assert!(other.iter().all(|t| *t == Duration::ZERO), "{other:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_global_cap_holds_all_users_together() {
        let limiter = Arc::new(Limiter::new(
            Rate::per_second(1000.0),
            Some(Rate {
                per_second: 20.0,
                burst: 1,
            }),
        ));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..40 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire(&format!("user{}", i % 8)).await;
                Instant::now() - start
            }));
        }
        let mut last = Duration::ZERO;
        for t in tasks {
            last = last.max(t.await.unwrap());
        }
        // 40 requests at 20/s overall: the last one 39 intervals after the first.
        assert_eq!(last, Duration::from_millis(50) * 39);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_every_request_of_that_user_only() {
        let limiter = Arc::new(Limiter::new(
            Rate {
                per_second: 10.0,
                burst: 5,
            },
            None,
        ));
        for _ in 0..5 {
            limiter.acquire("u1").await;
        }
        // Requests of u1 already queued behind the 429 wait it out too.
        let queued = {
            let l = limiter.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                l.acquire("u1").await;
                Instant::now() - start
            })
        };
        tokio::task::yield_now().await;
        limiter.pause("u1", Duration::from_secs(3));
        let start = Instant::now();
        limiter.acquire("u2").await;
        assert_eq!(Instant::now() - start, Duration::ZERO, "u2 is not paused");
        limiter.acquire("u1").await;
        assert!(Instant::now() - start >= Duration::from_secs(3));
        assert!(queued.await.unwrap() >= Duration::from_secs(3));
        // After the pause: the steady rate, no burst.
        let times = admit_times(&limiter, "u1", 3).await;
        assert!(
            times[2] - times[0] >= Duration::from_millis(200),
            "{times:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn idle_buckets_are_dropped() {
        let limiter = Limiter::new(Rate::per_second(16.0), None);
        for i in 0..100_000 {
            limiter.acquire(&format!("user{i}")).await;
        }
        assert_eq!(limiter.tracked_users(), 100_000);
        tokio::time::advance(Duration::from_secs(5)).await;
        limiter.acquire("one more").await;
        assert_eq!(limiter.tracked_users(), 1, "only the active user is kept");
        // A paused user is kept while the pause lasts, however idle.
        limiter.pause("paused", Duration::from_secs(60));
        tokio::time::advance(Duration::from_secs(5)).await;
        limiter.acquire("x").await;
        assert_eq!(limiter.tracked_users(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paused_users_queue_leaves_the_global_cap_to_others() {
        let limiter = Arc::new(Limiter::new(
            Rate::per_second(1000.0),
            Some(Rate {
                per_second: 100.0,
                burst: 10,
            }),
        ));
        limiter.pause("u1", Duration::from_secs(5));
        let queued: Vec<_> = (0..50)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move { l.acquire("u1").await })
            })
            .collect();
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let start = Instant::now();
        limiter.acquire("u2").await;
        assert_eq!(Instant::now() - start, Duration::ZERO);
        for q in queued {
            q.await.unwrap();
        }
        assert!(Instant::now() - start >= Duration::from_secs(5));
    }
}
