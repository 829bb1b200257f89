//! Whether the last users of the database let go of it cleanly, so the
//! integrity check runs on open only when one did not.
//!
//! Each open [`super::Store`] creates `<database>.open-<pid>-<n>` and holds
//! an exclusive OS lock on it; closing (or dropping) the store removes it.
//! A process that dies without closing (killed, power cut, crash) leaves its
//! file behind, and the OS releases its lock: a marker that can be locked
//! belongs to nobody alive, and means "check before trusting the file".
//! The app and the CLI may have the file open at once; each has its own
//! marker, so one closing never hides the other's crash.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// This process's open store. Removed on [`OpenMarker::release`] or drop.
#[derive(Debug)]
pub(super) struct OpenMarker {
    path: PathBuf,
    file: Option<File>,
    /// Kept on release: the next open must check the file.
    keep: bool,
}

fn prefix(db: &Path) -> String {
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{name}.open-")
}

fn folder(db: &Path) -> &Path {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Markers left by stores that were never closed, whose process is gone.
/// Call it under the open lock, so no marker is between creation and lock.
pub(super) fn stale(db: &Path) -> io::Result<Vec<PathBuf>> {
    let prefix = prefix(db);
    let mut stale = Vec::new();
    let entries = match std::fs::read_dir(folder(db)) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(stale),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let path = entry.path();
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            // Its owner closed in the meantime.
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        match file.try_lock() {
            Ok(()) => stale.push(path),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(err)) => return Err(err),
        }
    }
    stale.sort();
    Ok(stale)
}

/// Removes markers whose database has been checked (or is new).
pub(super) fn clear(markers: &[PathBuf]) {
    for marker in markers {
        if let Err(err) = std::fs::remove_file(marker) {
            if err.kind() != io::ErrorKind::NotFound {
                tracing::warn!(%err, marker = %marker.display(), "could not remove an old open marker");
            }
        }
    }
}

impl OpenMarker {
    /// Creates and locks this store's marker. Call it under the open lock.
    pub(super) fn create(db: &Path) -> io::Result<OpenMarker> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let prefix = prefix(db);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = folder(db).join(format!("{prefix}{}-{n}", std::process::id()));
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => {
                    file.try_lock().map_err(|err| match err {
                        TryLockError::WouldBlock => io::Error::other("open marker already locked"),
                        TryLockError::Error(err) => err,
                    })?;
                    return Ok(OpenMarker {
                        path,
                        file: Some(file),
                        keep: false,
                    });
                }
                // A dead process with the same pid left one: pick another n.
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(err),
            }
        }
    }

    /// The file must be checked on the next open even if this store closes
    /// cleanly (corruption was met while it was open).
    pub(super) fn keep(&mut self) {
        self.keep = true;
    }

    /// Removes the marker (unless kept) and lets go of its lock.
    pub(super) fn release(&mut self) {
        let Some(file) = self.file.take() else { return };
        if !self.keep {
            // Removed while still locked, so no opener mistakes it for stale.
            if let Err(err) = std::fs::remove_file(&self.path) {
                tracing::warn!(%err, marker = %self.path.display(), "could not remove the open marker");
            }
        }
        drop(file);
    }
}

impl Drop for OpenMarker {
    fn drop(&mut self) {
        self.release();
    }
}
