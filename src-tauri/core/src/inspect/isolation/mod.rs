//! Extraction and detection in child processes, never in a thread of the
//! scanner.
//!
//! A parser bug is a fact of life with files any user can upload: a stack
//! overflow or an abort takes the whole process down (`catch_unwind` sees
//! neither), a thread that hangs cannot be killed, and no memory limit
//! applies to a thread. So each file is read by a *child process* (the
//! app's or the CLI's own binary, started with [`WORKER_ARG`]) under OS
//! limits: an address-space limit (`inspect.max_memory_mb`), a CPU-time
//! limit per file, no core dumps, a bounded stack for the reading thread,
//! and a wall-clock kill from the parent. A child that dies or is killed
//! costs its file an `extractor_crashed` / `limit_exceeded` state and is
//! replaced; the others stay warm and are reused, file after file, so the
//! cost of isolation is one short message each way (Apache Tika forks its
//! parsers for the same reason).
//!
//! `pool` is the parent's side, `child` the child's; they speak one JSON
//! line each way per file ([`Job`], [`Answer`]) over the child's stdin and
//! stdout, after a hello line that names the protocol, so a helper of
//! another build is refused instead of misread.

mod child;
mod pool;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::extract::{FileType, Limits, NotInspected};
use super::findings::ContentMatch;

pub use pool::{ExtractorPool, PoolConfig, DEFAULT_MAX_MEMORY_MB};

/// The hidden first argument that turns the app or the CLI into an
/// extraction child.
pub const WORKER_ARG: &str = "__extract-worker";

/// Names the binary that serves [`WORKER_ARG`] when this process cannot
/// (tests and tools, whose own binary does not): a path to
/// `box-connector-cli` or `box-connector`.
pub const HELPER_ENV: &str = "BOX_CONNECTOR_EXTRACTOR";

/// Bumped whenever the wire format changes.
const PROTOCOL: u32 = 1;

/// Results carry the version of the readers and detectors that made them:
/// a content's final verdict ("corrupt", "extractor_crashed" …) holds for
/// that sha1 only until a newer version might read it, and a bump
/// re-inspects stale results in the background. Bump it with any change
/// to an extractor or a detector that can change a verdict.
pub const EXTRACTOR_VERSION: i64 = 2;

/// Set when this process's `main` serves [`WORKER_ARG`] itself.
static SELF_HOSTS_WORKER: AtomicBool = AtomicBool::new(false);

/// Call first thing in `main` of every binary that scans: if this process
/// was started as an extraction child it serves and exits here; otherwise
/// it remembers that its own binary can be the child.
pub fn serve_if_requested() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() == Some(std::ffi::OsStr::new(WORKER_ARG)) {
        let rest: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
        std::process::exit(child::serve(&rest));
    }
    SELF_HOSTS_WORKER.store(true, Ordering::SeqCst);
}

/// The binary to start children from: [`HELPER_ENV`], else this process's
/// own (when its `main` called [`serve_if_requested`]). `Err` says why
/// there is none, for the files' "not inspected" reason.
pub fn helper_program() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(HELPER_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    if SELF_HOSTS_WORKER.load(Ordering::SeqCst) {
        return std::env::current_exe()
            .map_err(|e| format!("the app cannot find its own program ({e})"));
    }
    Err(format!(
        "no extraction helper: this program does not serve it and {HELPER_ENV} is not set"
    ))
}

/// One file to read, as the child receives it.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    path: PathBuf,
    file_type: FileType,
    limits: Limits,
}

/// What the child says about one file.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    Read(Extracted),
    NotInspected(NotInspected),
}

/// A file read to the end: its size in characters and parts, and what the
/// detectors found (counts and masked samples only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub chars: u64,
    pub parts: u32,
    pub matches: Vec<ContentMatch>,
}

/// The first line a child writes.
#[derive(Debug, Serialize, Deserialize)]
struct Hello {
    protocol: u32,
    version: i64,
}

/// Reads and detects in this process: the child's work, and the
/// benchmark's in-process baseline. Never call it from the scanner.
pub fn read_in_process(
    engine: &std::sync::Arc<super::detect::Engine>,
    path: &std::path::Path,
    file_type: FileType,
    limits: &Limits,
    deadline: &super::extract::Deadline,
) -> Result<Extracted, NotInspected> {
    let mut scanner = super::detect::ChunkScanner::new(engine.clone());
    let stats = super::extract::extract_file(path, file_type, limits, deadline, &mut |text| {
        scanner.push(text)
    })?;
    let report = scanner.finish();
    Ok(Extracted {
        chars: stats.chars,
        parts: stats.parts,
        matches: report
            .detectors
            .into_iter()
            .map(|d| ContentMatch {
                detector: d.detector.as_str().to_owned(),
                high: d.high,
                low: d.low,
                sample_high: d.sample_high,
                sample_low: d.sample_low,
                secret_nearby: d.secret_nearby,
            })
            .collect(),
    })
}
