//! Text extraction. Placeholder with the contract's API (CONTRACT9 section
//! B) until the extractors land: plain text only.

use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Text,
    Csv,
    Json,
    Html,
    Markdown,
    Docx,
    Xlsx,
    Pptx,
    Pdf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotInspected {
    UnknownType(String),
    Encrypted,
    PasswordProtected,
    Corrupt(String),
    ZipBomb(String),
    TooLarge { size: u64, cap: u64 },
    Timeout,
    Panicked,
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
        }
    }
    pub fn message(&self) -> String {
        format!("{self:?}")
    }
}

pub fn file_type(name: &str, _head: &[u8]) -> Result<FileType, NotInspected> {
    match name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("txt") => Ok(FileType::Text),
        Some("csv") => Ok(FileType::Csv),
        Some("md") => Ok(FileType::Markdown),
        _ => Err(NotInspected::UnknownType(name.to_owned())),
    }
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_entries: usize,
    pub max_expanded_bytes: u64,
    pub max_ratio: u64,
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

pub struct Deadline;

#[derive(Debug, Clone, Default)]
pub struct ExtractStats {
    pub chars: u64,
    pub parts: u32,
}

pub fn extract_file(
    path: &Path,
    _ft: FileType,
    _limits: &Limits,
    _deadline: &Deadline,
    sink: &mut dyn FnMut(&str),
) -> Result<ExtractStats, NotInspected> {
    let bytes = std::fs::read(path).map_err(|e| NotInspected::Corrupt(e.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    sink(&text);
    Ok(ExtractStats {
        chars: text.chars().count() as u64,
        parts: 1,
    })
}

pub async fn run_isolated<T: Send + 'static>(
    _timeout: Duration,
    job: impl FnOnce(&Deadline) -> Result<T, NotInspected> + Send + 'static,
) -> Result<T, NotInspected> {
    tokio::task::spawn_blocking(move || job(&Deadline))
        .await
        .map_err(|_| NotInspected::Panicked)?
}
