//! Reading one file's content: decide from the listing whether it can be
//! read at all (type, size cap) before any request; wait for room in the
//! memory budget (sizes are known before the download); download it
//! streamed to a temporary file while hashing it; extract and detect in a
//! child process under OS limits (`isolation`), so a hostile file costs
//! that file and never the scan. A content whose sha1 was inspected before
//! is never fetched: the caller asks the store first.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use sha1::{Digest, Sha1};
use tokio::io::AsyncWriteExt;

use tokio::sync::Semaphore;

use super::extract::{self, FileType, Limits, NotInspected};
use super::findings::ContentMatch;
use super::isolation::{ExtractorPool, PoolConfig};
use crate::box_api::{ApiError, BoxClient, RequestOptions};

/// What the inspection of one file's content came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileInspection {
    /// Read and run through the detectors now.
    Inspected {
        sha1: String,
        file_type: String,
        bytes: i64,
        chars: i64,
        matches: Vec<ContentMatch>,
        /// False when another file with the same content did the download
        /// (the result is shared, the bytes were fetched once).
        downloaded: bool,
    },
    /// Its sha1 was inspected before: that result stands, no download.
    Cached { sha1: String },
    /// Not read, and why. `sha1` is set when the reason lies in the bytes
    /// (corrupt, encrypted, a timeout), so the same content is not fetched
    /// again; unset when it lies in the file (its type, its size).
    NotInspected {
        sha1: Option<String>,
        code: String,
        detail: String,
        bytes: i64,
        downloaded: bool,
    },
}

impl FileInspection {
    /// The content the result stands on, when it is known.
    pub fn sha1(&self) -> Option<&str> {
        match self {
            FileInspection::Inspected { sha1, .. } | FileInspection::Cached { sha1 } => Some(sha1),
            FileInspection::NotInspected { sha1, .. } => sha1.as_deref(),
        }
    }
}

/// What content inspection may do (settings).
#[derive(Debug, Clone)]
pub struct ContentConfig {
    /// Off: exposure only, nothing downloaded.
    pub enabled: bool,
    /// Files larger than this are "not inspected: too large" (no download).
    pub max_file_bytes: u64,
    /// Where downloads are spooled; the system's temp dir when `None`.
    pub temp_dir: Option<PathBuf>,
    pub limits: Limits,
    /// The reading children: how many, their memory limit, their program.
    pub readers: PoolConfig,
    /// File bytes being downloaded and read at once, at most (a bigger
    /// file waits until it can have the whole budget to itself).
    pub memory_budget_bytes: u64,
}

/// Default `inspect.memory_budget_mb`: what files in flight may add up to.
pub const DEFAULT_MEMORY_BUDGET_MB: u64 = 1024;

/// Defender for Cloud Apps stops at 30 MB; we read far more by default.
pub const DEFAULT_MAX_FILE_MB: u64 = 512;

impl Default for ContentConfig {
    fn default() -> Self {
        ContentConfig {
            enabled: true,
            max_file_bytes: DEFAULT_MAX_FILE_MB * 1024 * 1024,
            temp_dir: None,
            limits: Limits::default(),
            readers: PoolConfig::default(),
            memory_budget_bytes: DEFAULT_MEMORY_BUDGET_MB * 1024 * 1024,
        }
    }
}

/// The memory budget counts in units of this many bytes (a semaphore's
/// permits are a u32).
const BUDGET_UNIT: u64 = 64 * 1024;

/// A file as the listing described it.
#[derive(Debug, Clone)]
pub struct ContentTarget<'a> {
    pub file_id: &'a str,
    pub name: &'a str,
    pub sha1: Option<&'a str>,
    pub size: Option<i64>,
}

pub struct ContentInspector {
    client: Arc<BoxClient>,
    readers: ExtractorPool,
    budget: Semaphore,
    budget_units: u32,
    /// Files between their room in the budget and the end of their reading:
    /// now, and the most at once.
    in_flight: std::sync::atomic::AtomicUsize,
    peak_in_flight: std::sync::atomic::AtomicUsize,
    config: ContentConfig,
}

/// What reading the content can tell before a download.
pub enum Plan {
    /// Read it.
    Download(FileType),
    /// Not readable, and why: nothing is sent.
    Skip(FileInspection),
}

impl ContentInspector {
    pub fn new(client: Arc<BoxClient>, config: ContentConfig) -> Self {
        let budget_units =
            (config.memory_budget_bytes / BUDGET_UNIT).clamp(1, u32::MAX as u64) as u32;
        ContentInspector {
            client,
            readers: ExtractorPool::new(config.readers.clone()),
            budget: Semaphore::new(budget_units as usize),
            budget_units,
            in_flight: Default::default(),
            peak_in_flight: Default::default(),
            config,
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// The most files that were being downloaded or read at once.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Decides from the name and size alone (no request).
    pub fn plan(&self, target: &ContentTarget<'_>) -> Plan {
        let file_type = match extract::file_type(target.name, &[]) {
            Ok(t) => t,
            Err(why) => return Plan::Skip(not_inspected(None, &why, 0)),
        };
        let size = target.size.unwrap_or(0).max(0) as u64;
        if size > self.config.max_file_bytes {
            let why = NotInspected::TooLarge {
                size,
                cap: self.config.max_file_bytes,
            };
            return Plan::Skip(not_inspected(None, &why, 0));
        }
        Plan::Download(file_type)
    }

    /// Downloads and inspects. A Box or network error is returned (the
    /// queue retries the file); everything about the bytes themselves ends
    /// in a `FileInspection` (a transient one, `NotInspected::is_transient`,
    /// is for the caller to retry rather than keep).
    pub async fn inspect(
        &self,
        target: &ContentTarget<'_>,
        file_type: FileType,
        options: &RequestOptions,
    ) -> Result<FileInspection, ApiError> {
        // Room for this file's bytes first: many large files at once would
        // otherwise add up past any machine's memory in their readers.
        let units = (target.size.unwrap_or(0).max(0) as u64)
            .div_ceil(BUDGET_UNIT)
            .clamp(1, self.budget_units as u64) as u32;
        let _room = self
            .budget
            .acquire_many(units)
            .await
            .expect("the memory budget is never closed");
        let _counted = InFlight::enter(&self.in_flight, &self.peak_in_flight);
        let spool = match self.spool_file() {
            Ok(f) => f,
            Err(e) => {
                let why = NotInspected::Corrupt(format!("no room for a temporary copy: {e}"));
                return Ok(not_inspected(None, &why, 0));
            }
        };
        let download = self.client.download(target.file_id, options).await?;
        let mut body = download.into_stream();
        let mut out = match spool.reopen() {
            Ok(f) => tokio::fs::File::from_std(f),
            Err(e) => {
                let why = NotInspected::Corrupt(format!("temporary copy: {e}"));
                return Ok(not_inspected(None, &why, 0));
            }
        };
        let mut hasher = Sha1::new();
        let mut bytes: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            if bytes > self.config.max_file_bytes {
                // Box's size was stale: stop reading at the cap.
                let why = NotInspected::TooLarge {
                    size: bytes,
                    cap: self.config.max_file_bytes,
                };
                return Ok(not_inspected(None, &why, bytes as i64));
            }
            hasher.update(&chunk);
            if let Err(e) = out.write_all(&chunk).await {
                let why = NotInspected::Corrupt(format!("temporary copy: {e}"));
                return Ok(not_inspected(None, &why, bytes as i64));
            }
        }
        if let Err(e) = out.flush().await {
            let why = NotInspected::Corrupt(format!("temporary copy: {e}"));
            return Ok(not_inspected(None, &why, bytes as i64));
        }
        drop(out);
        // Keyed by what was read: if a new version landed since the
        // listing, its etag brings the file back to the queue anyway.
        let sha1 = hex(&hasher.finalize());
        let result = self
            .readers
            .read(spool.path(), file_type, &self.config.limits)
            .await;
        drop(spool);
        Ok(match result {
            Ok(read) => FileInspection::Inspected {
                sha1,
                file_type: file_type.as_str().to_owned(),
                bytes: bytes as i64,
                chars: read.chars as i64,
                matches: read.matches,
                downloaded: true,
            },
            Err(why) => not_inspected(Some(sha1), &why, bytes as i64),
        })
    }

    /// Removes downloads a killed scanner left behind. Call it holding the
    /// scanner lock (no other scanner of this data dir spools now).
    pub fn sweep_spool(&self) {
        if let Some(dir) = &self.config.temp_dir {
            sweep_spool_dir(dir);
        }
    }

    fn spool_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        let dir = self
            .config
            .temp_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&dir)?;
        tempfile::Builder::new().prefix("inspect-").tempfile_in(dir)
    }
}

/// Counts a file in flight for as long as it lives.
struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(
        now: &'a std::sync::atomic::AtomicUsize,
        peak: &std::sync::atomic::AtomicUsize,
    ) -> Self {
        use std::sync::atomic::Ordering::Relaxed;
        let n = now.fetch_add(1, Relaxed) + 1;
        peak.fetch_max(n, Relaxed);
        InFlight(now)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Spooled downloads are named so (a sweep knows them by it).
const SPOOL_PREFIX: &str = "inspect-";

/// How long extraction of one file may take, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

fn not_inspected(sha1: Option<String>, why: &NotInspected, bytes: i64) -> FileInspection {
    FileInspection::NotInspected {
        sha1,
        code: why.code().to_owned(),
        detail: why.message(),
        bytes,
        // Any byte read means a content request was made.
        downloaded: bytes > 0,
    }
}

/// Removes every spooled download in `dir`, and nothing else.
fn sweep_spool_dir(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(SPOOL_PREFIX)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_removes_left_over_downloads_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(format!("{SPOOL_PREFIX}a1b2")),
            b"half a download",
        )
        .unwrap();
        std::fs::write(dir.path().join("box-connector.sqlite3"), b"keep").unwrap();
        sweep_spool_dir(dir.path());
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["box-connector.sqlite3"]);
        sweep_spool_dir(&dir.path().join("missing"));
    }
}
