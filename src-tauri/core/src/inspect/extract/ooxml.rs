//! DOCX and PPTX: quick-xml streams each XML part straight off the guarded
//! zip entry; the text of `w:t` / `a:t` runs goes out, paragraphs end lines.

use std::io::BufRead;
use std::path::Path;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::zip_guard::{self, Archive};
use super::{Deadline, Emitter, Limits, NotInspected, PieceBuf};

/// Events between two deadline checks (cheap, and frequent enough).
const EVENTS_PER_CHECK: u32 = 4096;

/// The body, then headers and footers (numbered parts in number order).
pub(super) fn extract_docx(
    path: &Path,
    limits: &Limits,
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<u32, NotInspected> {
    let mut archive = zip_guard::open(path, limits)?;
    let names = archive.names();
    const BODY: &str = "word/document.xml";
    if !names.iter().any(|n| n == BODY) {
        return Err(NotInspected::Corrupt(
            "a .docx without word/document.xml".into(),
        ));
    }
    let mut parts = vec![BODY.to_string()];
    parts.extend(numbered(&names, "word/header", ".xml"));
    parts.extend(numbered(&names, "word/footer", ".xml"));
    read_parts(&mut archive, &parts, deadline, out)
}

/// Slides in slide-number order (`slide10` after `slide9`).
pub(super) fn extract_pptx(
    path: &Path,
    limits: &Limits,
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<u32, NotInspected> {
    let mut archive = zip_guard::open(path, limits)?;
    let names = archive.names();
    if !names.iter().any(|n| n == "ppt/presentation.xml") {
        return Err(NotInspected::Corrupt(
            "a .pptx without ppt/presentation.xml".into(),
        ));
    }
    let slides = numbered(&names, "ppt/slides/slide", ".xml");
    read_parts(&mut archive, &slides, deadline, out)
}

fn read_parts(
    archive: &mut Archive,
    parts: &[String],
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<u32, NotInspected> {
    let mut read = 0;
    for part in parts {
        deadline.check()?;
        let found = archive.read_entry(part, |xml| text_runs(xml, deadline, out))?;
        if found.is_some() {
            read += 1;
        }
    }
    Ok(read)
}

/// Names `{prefix}N{suffix}`, sorted by N.
fn numbered(names: &[String], prefix: &str, suffix: &str) -> Vec<String> {
    let mut found: Vec<(u32, String)> = names
        .iter()
        .filter_map(|name| {
            let n = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
            Some((n.parse().ok()?, name.clone()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, name)| name).collect()
}

/// The text of `t` elements (`w:t`, `a:t`, `w:delText`), tabs and breaks as such, a line
/// per paragraph (`w:p`, `a:p`).
fn text_runs(
    xml: &mut dyn BufRead,
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<(), NotInspected> {
    let mut reader = Reader::from_reader(xml);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut piece = PieceBuf::new();
    let mut in_text = false;
    let mut events: u32 = 0;
    loop {
        events = events.wrapping_add(1);
        if events.is_multiple_of(EVENTS_PER_CHECK) {
            deadline.check()?;
        }
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| NotInspected::Corrupt(format!("XML error ({e})")))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                // `w:delText`: tracked deletions are still in the file.
                b"t" | b"delText" => in_text = true,
                b"tab" => piece.push('\t', out),
                b"br" | b"cr" => piece.push('\n', out),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => piece.push('\t', out),
                b"br" | b"cr" | b"p" => piece.push('\n', out),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"t" | b"delText" => in_text = false,
                b"p" => piece.push('\n', out),
                _ => {}
            },
            Event::Text(e) if in_text => match e.unescape() {
                Ok(text) => piece.push_str(&text, out),
                Err(_) => piece.push_str(&String::from_utf8_lossy(&e), out),
            },
            Event::CData(e) if in_text => piece.push_str(&String::from_utf8_lossy(&e), out),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    piece.flush(out);
    Ok(())
}
