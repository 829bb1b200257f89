//! PDF through pdf-extract (over lopdf), page by page.
//!
//! A PDF is read whole into memory: its cross-reference table sits at the
//! end and objects are reached by offset, so no PDF parser streams. lopdf
//! opens a PDF encrypted with an empty user password (restrictions only,
//! readable by anyone) by itself; one that needs a real password stays
//! encrypted and is reported as such. pdf-extract is known to panic and loop
//! on odd files: callers run this inside `run_isolated`.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use pdf_extract::{
    ConvertToFmt, Document, MediaBox, OutputDev, OutputError, PlainTextOutput, Transform,
};

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
    let text = PageText::default();
    let mut pages = Pages {
        layout: PlainTextOutput::new(text.clone()),
        text,
        deadline,
        out,
        read: 0,
        stopped: None,
    };
    // One pass over the page tree; the device hands over each page's text.
    let result = pdf_extract::output_doc(&doc, &mut pages);
    if let Some(reason) = pages.stopped.take() {
        return Err(reason);
    }
    result.map_err(|e| match e {
        OutputError::PdfError(e) => pdf_reason(e),
        other => NotInspected::Corrupt(format!("a page does not read ({other})")),
    })?;
    Ok(pages.read)
}

/// The text of the page being laid out, shared with pdf-extract's layout.
#[derive(Clone, Default)]
struct PageText(Rc<RefCell<String>>);

impl std::fmt::Write for PageText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.borrow_mut().push_str(s);
        Ok(())
    }
}

impl ConvertToFmt for PageText {
    type Writer = PageText;
    fn convert(self) -> PageText {
        self
    }
}

/// pdf-extract's plain-text layout, plus a deadline check per page and the
/// page's text handed over when the page ends.
struct Pages<'d, 'o, 's> {
    layout: PlainTextOutput<PageText>,
    text: PageText,
    deadline: &'d Deadline,
    out: &'o mut Emitter<'s>,
    read: u32,
    stopped: Option<NotInspected>,
}

impl OutputDev for Pages<'_, '_, '_> {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        if let Err(reason) = self.deadline.check() {
            self.stopped = Some(reason);
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        self.layout.begin_page(page_num, media_box, art_box)
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.layout.end_page()?;
        let mut text = self.text.0.borrow_mut();
        text.push('\n');
        self.out.emit(&text);
        text.clear();
        self.read += 1;
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        self.layout
            .output_character(trm, width, spacing, font_size, char)
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.layout.begin_word()
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        self.layout.end_word()
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        self.layout.end_line()
    }
}

fn pdf_reason(e: pdf_extract::Error) -> NotInspected {
    use pdf_extract::Error;
    match e {
        Error::Decryption(_) | Error::InvalidPassword => NotInspected::Encrypted,
        Error::IO(e) => io_reason(&e),
        other => NotInspected::Corrupt(format!("not a readable PDF ({other})")),
    }
}
