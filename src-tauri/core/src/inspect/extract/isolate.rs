//! Runs one extraction on its own thread so that a parser that panics or
//! hangs costs its file a `Panicked` / `Timeout`, never the scan.
//!
//! A thread cannot be killed: past its timeout it is abandoned (its result
//! dropped, its deadline cancelled so a cooperative job stops at its next
//! check). Abandoned threads that are still running are counted; past
//! `MAX_ABANDONED` new jobs are refused rather than piling up stuck threads.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{Deadline, NotInspected};

/// Stuck threads tolerated before new jobs are refused.
pub const MAX_ABANDONED: usize = 4;

/// A cooperative job gets this long past its own deadline to come back
/// with `Timeout` itself before its thread is given up on.
const GRACE: Duration = Duration::from_millis(100);

static ABANDONED: AtomicUsize = AtomicUsize::new(0);

const RUNNING: u8 = 0;
const DONE: u8 = 1;
const GIVEN_UP: u8 = 2;

/// The name of every extraction thread (the panic hook knows them by it).
const THREAD_NAME: &str = "inspect-extract";

/// A parser's panic message may quote the file's bytes, which may be the
/// very values inspection must never write anywhere: on extraction threads
/// the hook says only that a reader failed, and where. Other threads keep
/// the hook they had.
fn quiet_reader_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(THREAD_NAME) {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                tracing::warn!(
                    at,
                    "a file reader panicked (message withheld: it may quote file content)"
                );
            } else {
                previous(info);
            }
        }));
    });
}

/// Abandoned extraction threads still running.
pub fn abandoned_jobs() -> usize {
    ABANDONED.load(Ordering::SeqCst)
}

pub async fn run_isolated<T: Send + 'static>(
    timeout: Duration,
    job: impl FnOnce(&Deadline) -> Result<T, NotInspected> + Send + 'static,
) -> Result<T, NotInspected> {
    let stuck = abandoned_jobs();
    if stuck >= MAX_ABANDONED {
        return Err(NotInspected::Unavailable(format!(
            "{stuck} earlier files are still stuck in a reader past their timeout; \
             inspection resumes when they end or the app restarts"
        )));
    }
    quiet_reader_panics();
    let deadline = Deadline::after(timeout);
    let job_deadline = deadline.clone();
    let state = Arc::new(AtomicU8::new(RUNNING));
    let job_state = Arc::clone(&state);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name(THREAD_NAME.into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| job(&job_deadline)));
            let _ = tx.send(result);
            // Given up on already: it no longer counts as stuck.
            if job_state
                .compare_exchange(RUNNING, DONE, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
            {
                ABANDONED.fetch_sub(1, Ordering::SeqCst);
            }
        });
    if let Err(e) = spawned {
        return Err(NotInspected::Unavailable(format!(
            "no thread could be started for the reader ({})",
            e.kind()
        )));
    }
    match tokio::time::timeout(timeout + GRACE, rx).await {
        Ok(Ok(Ok(result))) => result,
        // A panic, or (never seen) a thread that ended without sending.
        Ok(Ok(Err(_))) | Ok(Err(_)) => Err(NotInspected::Panicked),
        Err(_elapsed) => {
            deadline.cancel();
            if state
                .compare_exchange(RUNNING, GIVEN_UP, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                ABANDONED.fetch_add(1, Ordering::SeqCst);
            }
            Err(NotInspected::Timeout)
        }
    }
}
