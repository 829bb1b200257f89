//! Core's events as a subscriber reads them: scan progress, which can come
//! many times a second, at most once per interval (the newest status
//! replaces one still waiting), everything else at once; and a subscriber
//! that fell behind the broadcast gets the current state again instead of an
//! error. The window's Channel, the desktop's tray and notifications, and
//! the CLI's progress bar all read core through an [`EventFeed`].

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use crate::ipc::{CoreEvent, ScanStatus};

use super::App;

/// At most four progress updates a second reach a page or a progress bar.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

type Resync = Box<dyn Fn() -> BoxFuture<'static, Vec<CoreEvent>> + Send + Sync>;

pub struct EventFeed {
    rx: broadcast::Receiver<CoreEvent>,
    interval: Duration,
    /// The events that replace what was missed when this subscriber fell behind.
    resync: Resync,
    /// The newest progress not given out yet (it waits for `next_progress`).
    waiting: Option<Box<ScanStatus>>,
    next_progress: Instant,
    /// Fell behind and not resynced yet: kept here so a `next` cancelled
    /// mid-resync (in a `select!`) resyncs on the next call.
    lagged: bool,
    /// A resync's events not given out yet.
    ready: VecDeque<CoreEvent>,
}

impl EventFeed {
    /// `interval` between two progress events (`Duration::ZERO`: each one);
    /// `resync` gives the events that replace what was missed.
    pub fn new<R, Fut>(rx: broadcast::Receiver<CoreEvent>, interval: Duration, resync: R) -> Self
    where
        R: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<CoreEvent>> + Send + 'static,
    {
        EventFeed {
            rx,
            interval,
            resync: Box::new(move || Box::pin(resync())),
            waiting: None,
            next_progress: Instant::now(),
            lagged: false,
            ready: VecDeque::new(),
        }
    }

    /// The next event; `None` once core has closed. Cancel-safe.
    pub async fn next(&mut self) -> Option<CoreEvent> {
        loop {
            if self.lagged {
                let events = (self.resync)().await;
                self.lagged = false;
                self.ready.extend(events);
            }
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            let received = tokio::select! {
                received = self.rx.recv() => received,
                _ = tokio::time::sleep_until(self.next_progress), if self.waiting.is_some() => {
                    self.next_progress = Instant::now() + self.interval;
                    let status = self.waiting.take().expect("checked by the guard");
                    return Some(CoreEvent::ScanProgress { status });
                }
            };
            match received {
                Ok(CoreEvent::ScanProgress { status }) => {
                    if self.waiting.is_none() && Instant::now() >= self.next_progress {
                        self.next_progress = Instant::now() + self.interval;
                        return Some(CoreEvent::ScanProgress { status });
                    }
                    self.waiting = Some(status);
                }
                Ok(event) => return Some(event),
                Err(RecvError::Lagged(_)) => {
                    // The resync's status is newer than any still waiting.
                    self.waiting = None;
                    self.lagged = true;
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Hands each event to `send` until it returns false (the receiver is
    /// gone) or core closes.
    pub async fn forward(mut self, mut send: impl FnMut(CoreEvent) -> bool) {
        while let Some(event) = self.next().await {
            if !send(event) {
                return;
            }
        }
    }
}

impl App {
    /// Core's events for one subscriber, progress at most once per
    /// `interval`; one that falls behind gets the whole snapshot and the
    /// scan's status again.
    pub fn event_feed(&self, interval: Duration) -> EventFeed {
        let app = self.clone();
        EventFeed::new(self.subscribe(), interval, move || {
            let app = app.clone();
            async move {
                vec![
                    CoreEvent::SnapshotChanged {
                        snapshot: Box::new(app.snapshot().await),
                    },
                    CoreEvent::ScanProgress {
                        status: Box::new(app.scan_status().await),
                    },
                ]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::testing;

    fn status(files_scanned: u64) -> Box<ScanStatus> {
        Box::new(testing::scan_status(
            crate::ipc::ScanState::Running,
            files_scanned,
            1000,
        ))
    }

    fn scanned(event: &CoreEvent) -> Option<u64> {
        match event {
            CoreEvent::ScanProgress { status } => Some(status.scan.files_scanned),
            _ => None,
        }
    }

    type Seen = Arc<Mutex<Vec<(Instant, CoreEvent)>>>;

    fn start(capacity: usize) -> (broadcast::Sender<CoreEvent>, Seen) {
        let (tx, rx) = broadcast::channel(capacity);
        let seen: Seen = Arc::default();
        let sink = seen.clone();
        let feed = EventFeed::new(rx, PROGRESS_INTERVAL, || async {
            vec![CoreEvent::ScanProgress {
                status: status(999),
            }]
        });
        tokio::spawn(feed.forward(move |event| {
            sink.lock().unwrap().push((Instant::now(), event));
            true
        }));
        (tx, seen)
    }

    #[tokio::test(start_paused = true)]
    async fn progress_reaches_the_page_at_most_four_times_a_second_and_the_latest_wins() {
        let (tx, seen) = start(1024);
        let began = Instant::now();
        // Core reporting every 10 ms for 2 s: 200 statuses.
        for n in 1..=200 {
            tx.send(CoreEvent::ScanProgress { status: status(n) })
                .unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let seen = seen.lock().unwrap();
        let sent: Vec<u64> = seen.iter().filter_map(|(_, e)| scanned(e)).collect();
        // 2 s at 4/s, plus the first one sent at once.
        assert!(
            (8..=9).contains(&sent.len()),
            "{} updates: {sent:?}",
            sent.len()
        );
        assert_eq!(sent.first(), Some(&1), "the first goes at once");
        assert_eq!(sent.last(), Some(&200), "the last status is never dropped");
        assert!(sent.windows(2).all(|w| w[0] < w[1]), "in order: {sent:?}");
        for pair in seen.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= PROGRESS_INTERVAL, "spaced out");
        }
        assert!(seen[0].0 - began < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn other_events_pass_at_once() {
        let (tx, seen) = start(16);
        tx.send(CoreEvent::ScanProgress { status: status(1) })
            .unwrap();
        tx.send(CoreEvent::ScanProgress { status: status(2) })
            .unwrap();
        tx.send(CoreEvent::BringToFront).unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        {
            let seen = seen.lock().unwrap();
            assert_eq!(
                seen.len(),
                2,
                "progress 1 and BringToFront, progress 2 waits"
            );
            assert!(matches!(seen[1].1, CoreEvent::BringToFront));
        }
        tokio::time::sleep(PROGRESS_INTERVAL).await;
        assert_eq!(scanned(&seen.lock().unwrap()[2].1), Some(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_page_that_fell_behind_gets_the_resync() {
        let (tx, seen) = start(2);
        // More than the channel holds before the forwarder runs.
        for n in 1..=5 {
            tx.send(CoreEvent::ScanProgress { status: status(n) })
                .unwrap();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let sent: Vec<u64> = seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, e)| scanned(e))
            .collect();
        assert_eq!(sent.first(), Some(&999), "the resync first: {sent:?}");
        assert_eq!(sent.last(), Some(&5), "then the newest: {sent:?}");
    }
}
