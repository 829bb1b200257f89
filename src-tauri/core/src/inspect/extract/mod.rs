//! Text extraction under limits: a downloaded file becomes a stream of text
//! pieces for the detectors, or a clear reason why it was not inspected.
//!
//! Plain text and its kin (`text`), DOCX/PPTX (`ooxml`) and the zip guard
//! stream in bounded pieces; XLSX goes through calamine (`xlsx`) after the
//! guard has inflated every entry once; PDF (`pdf`) needs the whole file in
//! memory, as every PDF parser does. None of it runs in the scanner's own
//! process: `inspect::isolation` runs it in child processes under limits.

mod ooxml;
mod pdf;
mod text;
mod types;
mod xlsx;
mod zip_guard;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use types::{file_type, FileType};

/// Bounds every extraction honours (zip-bomb limits and the wall clock).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Entries a zip container may hold.
    pub max_entries: usize,
    /// Bytes all entries of a container may inflate to, together.
    pub max_expanded_bytes: u64,
    /// Expanded / compressed bytes one entry may reach (past a small grace).
    pub max_ratio: u64,
    /// Wall-clock budget of one file (the child's deadline; the parent
    /// kills the child a little after it).
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 10_000,
            max_expanded_bytes: 1 << 30,
            max_ratio: 100,
            timeout: Duration::from_secs(60),
        }
    }
}

/// A cooperative deadline: extractors call `check()?` between pieces,
/// entries and pages, so a slow file usually stops itself before the
/// parent has to kill its child.
#[derive(Debug, Clone)]
pub struct Deadline {
    at: Option<Instant>,
    cancelled: Arc<AtomicBool>,
}

impl Deadline {
    /// A deadline `timeout` from now.
    pub fn after(timeout: Duration) -> Self {
        Deadline {
            at: Instant::now().checked_add(timeout),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// No wall-clock bound (benchmarks, callers that bound time elsewhere).
    pub fn never() -> Self {
        Deadline {
            at: None,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// `Err(Timeout)` once the deadline has passed or was cancelled.
    pub fn check(&self) -> Result<(), NotInspected> {
        let late = self.at.is_some_and(|at| Instant::now() >= at);
        if late || self.cancelled.load(Ordering::Relaxed) {
            Err(NotInspected::Timeout)
        } else {
            Ok(())
        }
    }

    /// Makes every later `check()` fail.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// What an extraction produced: characters handed to the sink and the
/// parts read (zip entries for DOCX, sheets for XLSX, slides, pages; 1 for text).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractStats {
    pub chars: u64,
    pub parts: u32,
}

/// Why a file's content was not inspected. Messages are for the admin and
/// never carry file content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum NotInspected {
    #[error("{}", self.message())]
    UnknownType(String),
    #[error("{}", self.message())]
    Encrypted,
    #[error("{}", self.message())]
    PasswordProtected,
    #[error("{}", self.message())]
    Corrupt(String),
    #[error("{}", self.message())]
    ZipBomb(String),
    #[error("{}", self.message())]
    TooLarge { size: u64, cap: u64 },
    #[error("{}", self.message())]
    Timeout,
    #[error("{}", self.message())]
    Panicked,
    /// The reader's process died (a stack overflow, an abort, a signal).
    #[error("{}", self.message())]
    Crashed(String),
    /// The reader's process went over a limit and was stopped: which one.
    #[error("{}", self.message())]
    LimitExceeded(String),
    /// No reader could take the file now (no helper, the pool closed).
    #[error("{}", self.message())]
    Unavailable(String),
}

impl NotInspected {
    pub fn code(&self) -> &'static str {
        match self {
            NotInspected::UnknownType(_) => "unknown_type",
            NotInspected::Encrypted => "encrypted",
            NotInspected::PasswordProtected => "password_protected",
            NotInspected::Corrupt(_) => "corrupt",
            NotInspected::ZipBomb(_) => "zip_bomb",
            NotInspected::TooLarge { .. } => "too_large",
            NotInspected::Timeout => "timeout",
            NotInspected::Panicked => "extractor_failed",
            NotInspected::Crashed(_) => "extractor_crashed",
            NotInspected::LimitExceeded(_) => "limit_exceeded",
            NotInspected::Unavailable(_) => "unavailable",
        }
    }

    /// Says nothing about the content: the file is tried again later (with
    /// backoff, then a visible `failed`) and the verdict is never kept for
    /// its sha1. Every other reason is final for that sha1 and
    /// [`crate::inspect::isolation::EXTRACTOR_VERSION`].
    pub fn is_transient(&self) -> bool {
        matches!(self, NotInspected::Timeout | NotInspected::Unavailable(_))
    }

    /// [`NotInspected::is_transient`] by stored code.
    pub fn code_is_transient(code: &str) -> bool {
        matches!(code, "timeout" | "unavailable")
    }

    pub fn message(&self) -> String {
        match self {
            NotInspected::UnknownType(why) => format!("Not a type the app can read: {why}."),
            NotInspected::Encrypted => "The file is encrypted.".to_string(),
            NotInspected::PasswordProtected => "The file is password-protected.".to_string(),
            NotInspected::Corrupt(why) => format!("The file is damaged or truncated: {why}."),
            NotInspected::ZipBomb(why) => {
                format!("The file looks like a zip bomb and was not unpacked: {why}.")
            }
            NotInspected::TooLarge { size, cap } => {
                format!("The file is {size} bytes, over the {cap}-byte cap.")
            }
            NotInspected::Timeout => "Reading the file took longer than allowed.".to_string(),
            NotInspected::Panicked => "The reader for this type failed on this file.".to_string(),
            NotInspected::Crashed(how) => format!(
                "The reader crashed on this file ({how}); it was stopped and the scan went on."
            ),
            NotInspected::LimitExceeded(limit) => format!(
                "Reading the file went over the {limit} limit; it was stopped and the scan went on."
            ),
            NotInspected::Unavailable(why) => format!("Not inspected for now: {why}."),
        }
    }
}

/// Counts what reaches the caller's sink, so every extractor reports alike.
pub(crate) struct Emitter<'a> {
    sink: &'a mut dyn FnMut(&str),
    chars: u64,
}

impl<'a> Emitter<'a> {
    fn new(sink: &'a mut dyn FnMut(&str)) -> Self {
        Emitter { sink, chars: 0 }
    }

    pub(crate) fn emit(&mut self, text: &str) {
        if !text.is_empty() {
            self.chars += text.chars().count() as u64;
            (self.sink)(text);
        }
    }
}

/// Pieces handed to the sink stay around this size (bounded memory).
pub(crate) const PIECE: usize = 64 * 1024;

/// A small text buffer that hands itself to the emitter when full.
pub(crate) struct PieceBuf {
    buf: String,
    /// The last character pushed, flushed or not.
    last: Option<char>,
}

impl PieceBuf {
    pub(crate) fn new() -> Self {
        PieceBuf {
            buf: String::with_capacity(PIECE + 1024),
            last: None,
        }
    }

    pub(crate) fn push_str(&mut self, s: &str, out: &mut Emitter<'_>) {
        if let Some(c) = s.chars().next_back() {
            self.last = Some(c);
        }
        self.buf.push_str(s);
        if self.buf.len() >= PIECE {
            self.flush(out);
        }
    }

    pub(crate) fn push(&mut self, c: char, out: &mut Emitter<'_>) {
        self.last = Some(c);
        self.buf.push(c);
        if self.buf.len() >= PIECE {
            self.flush(out);
        }
    }

    /// At the start of the text or of a line.
    pub(crate) fn at_line_start(&self) -> bool {
        matches!(self.last, None | Some('\n'))
    }

    pub(crate) fn flush(&mut self, out: &mut Emitter<'_>) {
        out.emit(&self.buf);
        self.buf.clear();
    }
}

/// Extracts the text of the file at `path`, read as `ft`, into `sink` in
/// pieces. Text already handed over stays handed over when an error comes
/// later (the caller decides what a partial read means).
pub fn extract_file(
    path: &Path,
    ft: FileType,
    limits: &Limits,
    deadline: &Deadline,
    sink: &mut dyn FnMut(&str),
) -> Result<ExtractStats, NotInspected> {
    deadline.check()?;
    types::confirm(ft, &read_head(path)?)?;
    let mut out = Emitter::new(sink);
    let parts = match ft {
        FileType::Text | FileType::Csv | FileType::Markdown => {
            text::extract(path, text::Filter::Plain, deadline, &mut out)?
        }
        FileType::Json => text::extract(path, text::Filter::Json, deadline, &mut out)?,
        FileType::Html => text::extract(path, text::Filter::Html, deadline, &mut out)?,
        FileType::Docx => ooxml::extract_docx(path, limits, deadline, &mut out)?,
        FileType::Pptx => ooxml::extract_pptx(path, limits, deadline, &mut out)?,
        FileType::Xlsx => xlsx::extract(path, limits, deadline, &mut out)?,
        FileType::Pdf => pdf::extract(path, limits, deadline, &mut out)?,
    };
    Ok(ExtractStats {
        chars: out.chars,
        parts,
    })
}

/// The first bytes of the file, for the magic-bytes check.
fn read_head(path: &Path) -> Result<Vec<u8>, NotInspected> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| io_reason(&e))?;
    let mut head = Vec::with_capacity(types::HEAD_BYTES);
    file.take(types::HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| io_reason(&e))?;
    Ok(head)
}

/// A read error of the file itself (not its content) as a reason.
pub(crate) fn io_reason(e: &std::io::Error) -> NotInspected {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => NotInspected::Corrupt("it ends early".into()),
        _ => NotInspected::Corrupt(format!("reading it failed ({})", e.kind())),
    }
}
