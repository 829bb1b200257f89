//! One scanner per data dir: `<data dir>/scanner.lock`, an OS file lock
//! (like `auth::refresh_lock`), so it dies with its process and a crash
//! never leaves a stale lock. The holder writes "pid role" into the file, so
//! the app or the CLI that finds it taken can say who runs the scanner.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{ErrorCode, UserError};

pub const LOCK_FILE_NAME: &str = "scanner.lock";

pub struct ScannerLock;

/// Held while this process runs the scanner; dropping it lets go.
#[derive(Debug)]
pub struct ScannerLockGuard {
    _file: File,
}

/// Who holds the scanner lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBy {
    /// 0 when the holder has not written its pid yet (or the file could not
    /// be read: `role` then says why).
    pub pid: u32,
    /// "app" | "cli".
    pub role: String,
}

impl From<HeldBy> for UserError {
    fn from(held: HeldBy) -> Self {
        let who = match held.role.as_str() {
            "app" => "the Box Connector app".to_owned(),
            "cli" => "a box-connector scan command".to_owned(),
            other => format!("another Box Connector process ({other})"),
        };
        UserError::new(
            ErrorCode::ScannerElsewhere,
            format!(
                "The scan is already running in {who} (process {}).",
                held.pid
            ),
            "Only one scanner runs per data folder: use that one, or stop it first.",
        )
    }
}

impl ScannerLock {
    /// Takes the lock at once, or says who holds it; never waits.
    pub fn try_acquire(data_dir: &Path, role: &str) -> Result<ScannerLockGuard, HeldBy> {
        Self::try_acquire_named(data_dir, LOCK_FILE_NAME, role)
    }

    /// The same kind of lock under another file name of the data dir, for
    /// another job one process at a time does (evaluating the policies).
    pub fn try_acquire_named(
        data_dir: &Path,
        file_name: &str,
        role: &str,
    ) -> Result<ScannerLockGuard, HeldBy> {
        let path = data_dir.join(file_name);
        let unusable = |e: std::io::Error| HeldBy {
            pid: 0,
            role: format!("unknown: {} cannot be used ({e})", path.display()),
        };
        let _ = std::fs::create_dir_all(data_dir);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(unusable)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(read_holder(&mut file)),
            Err(std::fs::TryLockError::Error(e)) => return Err(unusable(e)),
        }
        let stamp = format!("{} {role}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(stamp.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(unusable)?;
        Ok(ScannerLockGuard { _file: file })
    }
}

fn read_holder(file: &mut File) -> HeldBy {
    let mut text = String::new();
    let _ = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut text));
    let mut parts = text.split_whitespace();
    let pid = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let role = parts.next().unwrap_or("unknown").to_owned();
    HeldBy { pid, role }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_scanner_is_told_who_runs_it_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = ScannerLock::try_acquire(dir.path(), "app").unwrap();
        // Another open of the file, as the CLI process would make.
        let held = ScannerLock::try_acquire(dir.path(), "cli").unwrap_err();
        assert_eq!(
            held,
            HeldBy {
                pid: std::process::id(),
                role: "app".into()
            }
        );
        let said = UserError::from(held);
        assert!(said.message.contains("the Box Connector app"), "{said:?}");
        drop(first);
        let _second = ScannerLock::try_acquire(dir.path(), "cli").unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE_NAME)).unwrap();
        assert_eq!(text, format!("{} cli\n", std::process::id()));
    }

    #[test]
    fn another_job_has_a_lock_of_its_own_held_by_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let _scanner = ScannerLock::try_acquire(dir.path(), "app").unwrap();
        let policies = ScannerLock::try_acquire_named(dir.path(), "policies.lock", "app")
            .expect("independent of the scanner's");
        let held = ScannerLock::try_acquire_named(dir.path(), "policies.lock", "cli").unwrap_err();
        assert_eq!(held.role, "app");
        drop(policies);
        ScannerLock::try_acquire_named(dir.path(), "policies.lock", "cli").unwrap();
    }
}
