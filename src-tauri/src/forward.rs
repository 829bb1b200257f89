//! Core's events to the page's Channel. Scan progress can come many times a
//! second; the page gets the latest at most every [`PROGRESS_INTERVAL`]
//! (the newest status replaces one still waiting), everything else at once.

use std::future::Future;
use std::time::Duration;

use connector_core::ipc::{CoreEvent, ScanStatus};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

/// At most four progress updates a second reach the page.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Runs until the page is gone (`send` returns false) or core closes.
/// `resync` gives the events that replace what was missed when the page's
/// subscriber fell behind (the whole snapshot and the scan's status).
pub async fn forward<R, Fut>(
    mut rx: broadcast::Receiver<CoreEvent>,
    interval: Duration,
    resync: R,
    mut send: impl FnMut(CoreEvent) -> bool,
) where
    R: Fn() -> Fut,
    Fut: Future<Output = Vec<CoreEvent>>,
{
    let mut waiting: Option<Box<ScanStatus>> = None;
    let mut next_progress = Instant::now();
    loop {
        let received = tokio::select! {
            received = rx.recv() => received,
            _ = tokio::time::sleep_until(next_progress), if waiting.is_some() => {
                next_progress = Instant::now() + interval;
                let status = waiting.take().expect("checked by the guard");
                if !send(CoreEvent::ScanProgress { status }) {
                    return;
                }
                continue;
            }
        };
        let delivered = match received {
            Ok(CoreEvent::ScanProgress { status }) => {
                if waiting.is_none() && Instant::now() >= next_progress {
                    next_progress = Instant::now() + interval;
                    send(CoreEvent::ScanProgress { status })
                } else {
                    waiting = Some(status);
                    true
                }
            }
            Ok(event) => send(event),
            Err(RecvError::Lagged(_)) => {
                // The resync's status is newer than any still waiting.
                waiting = None;
                resync().await.into_iter().all(&mut send)
            }
            Err(RecvError::Closed) => return,
        };
        if !delivered {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use connector_core::ipc::ScanState;
    use connector_core::testing;

    fn status(files_scanned: u64) -> Box<ScanStatus> {
        Box::new(testing::scan_status(
            ScanState::Running,
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
        tokio::spawn(forward(
            rx,
            PROGRESS_INTERVAL,
            || async {
                vec![CoreEvent::ScanProgress {
                    status: status(999),
                }]
            },
            move |event| {
                sink.lock().unwrap().push((Instant::now(), event));
                true
            },
        ));
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
