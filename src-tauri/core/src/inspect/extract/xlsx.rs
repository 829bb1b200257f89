//! XLSX through calamine: every sheet's cell values (shared strings
//! resolved), a tab between cells and a line per row, sheet by sheet.
//!
//! calamine inflates entries itself, out of the guard's reach, so the guard
//! first inflates every entry once into nothing: only a container that stays
//! within the limits while really inflating reaches calamine.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use calamine::{open_workbook, DataRef, Reader, Xlsx, XlsxError};

use super::zip_guard;
use super::{Deadline, Emitter, Limits, NotInspected, PieceBuf};

/// Cells between two deadline checks.
const CELLS_PER_CHECK: u32 = 4096;

pub(super) fn extract(
    path: &Path,
    limits: &Limits,
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<u32, NotInspected> {
    prove_within_limits(path, limits, deadline)?;
    let mut workbook: Xlsx<_> = open_workbook(path).map_err(xlsx_reason)?;
    let mut piece = PieceBuf::new();
    let mut sheets = 0;
    let mut cell_text = String::new();
    for name in workbook.sheet_names() {
        deadline.check()?;
        let mut cells = workbook
            .worksheet_cells_reader(&name)
            .map_err(xlsx_reason)?;
        let mut row = None;
        let mut count: u32 = 0;
        while let Some(cell) = cells.next_cell().map_err(xlsx_reason)? {
            count = count.wrapping_add(1);
            if count.is_multiple_of(CELLS_PER_CHECK) {
                deadline.check()?;
            }
            let (r, _) = cell.get_position();
            match row {
                Some(prev) if prev == r => piece.push('\t', out),
                Some(_) => piece.push('\n', out),
                None => {}
            }
            row = Some(r);
            cell_text.clear();
            write_value(cell.get_value(), &mut cell_text);
            piece.push_str(&cell_text, out);
        }
        piece.push('\n', out);
        sheets += 1;
    }
    piece.flush(out);
    Ok(sheets)
}

/// Inflates every entry through the guard, discarding the bytes.
fn prove_within_limits(
    path: &Path,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(), NotInspected> {
    let mut archive = zip_guard::open(path, limits)?;
    let names = archive.names();
    if !names.iter().any(|n| n == "xl/workbook.xml") {
        return Err(NotInspected::Corrupt(
            "a .xlsx without xl/workbook.xml".into(),
        ));
    }
    for name in &names {
        deadline.check()?;
        archive.read_entry(name, |entry| drain(entry, deadline))?;
    }
    Ok(())
}

/// Reads an entry to its end, checking the deadline between reads.
fn drain(entry: &mut dyn io::BufRead, deadline: &Deadline) -> Result<(), NotInspected> {
    loop {
        deadline.check()?;
        let n = match entry.fill_buf() {
            Ok(buf) => buf.len(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(NotInspected::Corrupt(format!(
                    "an entry does not inflate ({})",
                    e.kind()
                )))
            }
        };
        if n == 0 {
            return Ok(());
        }
        entry.consume(n);
    }
}

/// A cell as text; whole numbers without a fraction, so a card number kept
/// as a number reads as its digits.
fn write_value(value: &DataRef<'_>, out: &mut String) {
    let _ = match value {
        DataRef::SharedString(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::Int(i) => write!(out, "{i}"),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => write!(out, "{}", *f as i64),
        DataRef::Float(f) => write!(out, "{f}"),
        DataRef::Bool(b) => write!(out, "{}", if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(d) => write!(out, "{}", d.as_f64()),
        DataRef::Error(e) => write!(out, "{e}"),
        DataRef::Empty => Ok(()),
    };
}

fn xlsx_reason(e: XlsxError) -> NotInspected {
    match e {
        XlsxError::Password => NotInspected::PasswordProtected,
        XlsxError::Zip(e) => zip_guard::zip_reason(e),
        XlsxError::Io(e) => super::io_reason(&e),
        other => NotInspected::Corrupt(format!("not a readable workbook ({other})")),
    }
}
