//! The cross-process refresh lock: a lock file in the data dir, so the app
//! and the CLI (or two app windows) never spend the same refresh token.
//! Under strict rotation the second spender gets `invalid_grant`; with the
//! lock it waits, re-reads the keychain and finds the first one's pair.
//!
//! The lock is an OS file lock (`File::try_lock`, flock on Unix): it dies
//! with its process, so a crash never leaves a stale lock behind. It is
//! polled rather than waited on in a blocking call, so a waiting task never
//! ties up a thread and can be cancelled.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{ErrorCode, UserError};

/// How long a refresh waits for another process's refresh (which is one
/// token call, 30 s at most, and two keychain calls).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(90);

const FIRST_POLL: Duration = Duration::from_millis(2);
const MAX_POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct RefreshLock {
    path: PathBuf,
    wait: Duration,
}

/// Held while a refresh runs; dropping it releases the lock.
#[derive(Debug)]
pub struct RefreshLockGuard {
    _file: File,
}

impl RefreshLock {
    pub fn new(path: impl Into<PathBuf>) -> RefreshLock {
        RefreshLock {
            path: path.into(),
            wait: DEFAULT_WAIT,
        }
    }

    pub fn with_wait(mut self, wait: Duration) -> RefreshLock {
        self.wait = wait;
        self
    }

    /// The lock file of one connection inside `data_dir`.
    pub fn for_connection(data_dir: &Path, connection_id: &str) -> RefreshLock {
        let safe: String = connection_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        RefreshLock::new(data_dir.join(format!("refresh-{safe}.lock")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until no other process (or other manager in this one) holds
    /// the lock, then holds it.
    pub async fn acquire(&self) -> Result<RefreshLockGuard, UserError> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.path)
            .map_err(|e| self.open_error(e))?;
        let deadline = tokio::time::Instant::now() + self.wait;
        let mut poll = FIRST_POLL;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(RefreshLockGuard { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(self.open_error(e)),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(UserError::new(
                    ErrorCode::Internal,
                    format!(
                        "Another Box Connector process has been refreshing the sign-in for over {} seconds.",
                        self.wait.as_secs()
                    ),
                    "Try again in a minute. If it persists, close other Box Connector windows and CLI commands (one may be waiting for the keychain to be unlocked).",
                ));
            }
            tokio::time::sleep(poll).await;
            poll = (poll * 2).min(MAX_POLL);
        }
    }

    fn open_error(&self, e: std::io::Error) -> UserError {
        UserError::new(
            ErrorCode::DatabaseUnavailable,
            format!(
                "The sign-in lock file {} could not be used ({e}).",
                self.path.display()
            ),
            "Check that the data folder exists and is writable, then try again.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_second_holder_waits_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RefreshLock::for_connection(dir.path(), "sandbox");
        let first = lock.acquire().await.unwrap();
        // Another open of the same file, as another process would have.
        let waiting = {
            let lock = lock.clone();
            tokio::spawn(async move { lock.acquire().await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the lock is exclusive");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("acquired once released")
            .unwrap();
        assert!(second.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_gives_up_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RefreshLock::for_connection(dir.path(), "us1").with_wait(Duration::from_secs(5));
        let _held = lock.acquire().await.unwrap();
        let err = lock.acquire().await.unwrap_err();
        assert!(
            err.message.contains("Another Box Connector process"),
            "{err:?}"
        );
    }

    #[test]
    fn lock_file_names_stay_inside_the_data_dir() {
        let lock = RefreshLock::for_connection(Path::new("/data"), "../eu1:42");
        assert_eq!(lock.path(), Path::new("/data/refresh-___eu1_42.lock"));
    }
}
