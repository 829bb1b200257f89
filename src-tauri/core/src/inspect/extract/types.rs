//! Which extractor a file goes to: its extension, confirmed by its first bytes.

use super::NotInspected;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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

impl FileType {
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Text => "text",
            FileType::Csv => "csv",
            FileType::Json => "json",
            FileType::Html => "html",
            FileType::Markdown => "markdown",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Pdf => "pdf",
        }
    }

    fn is_ooxml(self) -> bool {
        matches!(self, FileType::Docx | FileType::Xlsx | FileType::Pptx)
    }

    fn is_text(self) -> bool {
        matches!(
            self,
            FileType::Text | FileType::Csv | FileType::Json | FileType::Html | FileType::Markdown
        )
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
/// An OLE compound file: how Office stores a password-protected DOCX/XLSX/PPTX
/// (the encrypted OOXML package sits inside a CFB container).
pub(super) const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const PDF_MAGIC: &[u8] = b"%PDF-";
/// PDF readers accept the header anywhere in the first KiB.
const PDF_HEADER_WINDOW: usize = 1024;

/// Binary formats a text-named file must not start with.
const BINARY_MAGICS: &[&[u8]] = &[
    ZIP_MAGIC,
    CFB_MAGIC,
    PDF_MAGIC,
    b"\x89PNG",
    b"\xFF\xD8\xFF",
    b"GIF8",
    b"\x7FELF",
    b"\x1F\x8B",
];

fn by_extension(ext: &str) -> Option<FileType> {
    Some(match ext {
        "txt" | "text" | "log" => FileType::Text,
        "csv" | "tsv" => FileType::Csv,
        "json" | "jsonl" | "ndjson" => FileType::Json,
        "html" | "htm" | "xhtml" => FileType::Html,
        "md" | "markdown" => FileType::Markdown,
        "docx" | "docm" => FileType::Docx,
        "xlsx" | "xlsm" => FileType::Xlsx,
        "pptx" | "pptm" => FileType::Pptx,
        "pdf" => FileType::Pdf,
        _ => return None,
    })
}

/// The type of a file named `name` whose first bytes are `head` (a few KiB
/// is plenty; fewer is fine). The extension picks; the magic bytes must agree.
/// With an empty `head` (planning before a download) the extension alone
/// decides; `extract_file` confirms the magic bytes once the file is there.
pub fn file_type(name: &str, head: &[u8]) -> Result<FileType, NotInspected> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let Some(ft) = by_extension(&ext) else {
        return Err(NotInspected::UnknownType(if ext.is_empty() {
            "the name has no extension".to_string()
        } else {
            format!("files ending .{ext} are not read")
        }));
    };
    confirm(ft, head)?;
    Ok(ft)
}

/// Checks that `head` (the file's first bytes) is what `ft` says.
pub(super) fn confirm(ft: FileType, head: &[u8]) -> Result<(), NotInspected> {
    if head.is_empty() {
        return Ok(());
    }
    let contradicts = |what: &str| {
        NotInspected::UnknownType(format!(
            "the name says {} but the content is {what}",
            ft.as_str()
        ))
    };
    if ft.is_ooxml() {
        if head.starts_with(CFB_MAGIC) {
            return Err(NotInspected::PasswordProtected);
        }
        if !(head.starts_with(ZIP_MAGIC) || head.starts_with(EMPTY_ZIP_MAGIC)) {
            return Err(contradicts("not an Office Open XML package"));
        }
    } else if ft == FileType::Pdf {
        let window = &head[..head.len().min(PDF_HEADER_WINDOW)];
        if !window.windows(PDF_MAGIC.len()).any(|w| w == PDF_MAGIC) {
            return Err(contradicts("not a PDF"));
        }
    } else if ft.is_text() && looks_binary(head) {
        return Err(contradicts("binary"));
    }
    Ok(())
}

/// Bytes `confirm` wants to see.
pub(super) const HEAD_BYTES: usize = PDF_HEADER_WINDOW;

/// A known binary magic, or NUL bytes in what is not UTF-16 (whose BOM
/// explains its zero bytes).
fn looks_binary(head: &[u8]) -> bool {
    if BINARY_MAGICS.iter().any(|m| head.starts_with(m)) {
        return true;
    }
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    !utf16 && head.contains(&0)
}
