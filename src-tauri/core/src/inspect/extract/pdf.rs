//! PDF through pdf-extract (over lopdf), page by page.
//!
//! A PDF is read whole into memory: its cross-reference table sits at the
//! end and objects are reached by offset, so no PDF parser streams. lopdf
//! opens a PDF encrypted with an empty user password (restrictions only,
//! readable by anyone) by itself; one that needs a real password stays
//! encrypted and is reported as such. pdf-extract is known to panic and loop
//! on odd files: callers run this inside `run_isolated`.

use std::path::Path;

use pdf_extract::{Document, OutputError, PlainTextOutput};

use super::{io_reason, Deadline, Emitter, Limits, NotInspected};

pub(super) fn extract(
    path: &Path,
    limits: &Limits,
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<u32, NotInspected> {
    let size = std::fs::metadata(path).map_err(|e| io_reason(&e))?.len();
    // The file is held in memory whole; the expanded-bytes budget bounds it.
    if size > limits.max_expanded_bytes {
        return Err(NotInspected::TooLarge {
            size,
            cap: limits.max_expanded_bytes,
        });
    }
    let doc = Document::load(path).map_err(pdf_reason)?;
    if doc.is_encrypted() {
        return Err(NotInspected::Encrypted);
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let mut text = String::new();
    let mut read = 0;
    for page in pages {
        deadline.check()?;
        text.clear();
        {
            let mut output = PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&doc, &mut output, page).map_err(|e| match e {
                OutputError::PdfError(e) => pdf_reason(e),
                other => NotInspected::Corrupt(format!("page {page} does not read ({other})")),
            })?;
        }
        text.push('\n');
        out.emit(&text);
        read += 1;
    }
    Ok(read)
}

fn pdf_reason(e: pdf_extract::Error) -> NotInspected {
    use pdf_extract::Error;
    match e {
        Error::Decryption(_) | Error::InvalidPassword => NotInspected::Encrypted,
        Error::IO(e) => io_reason(&e),
        other => NotInspected::Corrupt(format!("not a readable PDF ({other})")),
    }
}
