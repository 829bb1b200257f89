//! Exports (findings, the audit log): CSV or JSON written whole or not at
//! all, through a temporary file in the target folder renamed at the end.
//! Every CSV cell goes through [`neutralised`]: a file name or a login is
//! anyone's text, and a spreadsheet runs a cell that starts like a formula.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{ErrorCode, UserError};
use crate::ipc::findings::{ExportFormat, ExportReport};

enum Sink {
    Csv(Box<csv::Writer<std::io::BufWriter<std::fs::File>>>),
    Json(std::io::BufWriter<std::fs::File>),
}

pub(super) struct ExportFile {
    tmp: tempfile::NamedTempFile,
    sink: Sink,
    rows: u64,
    path: PathBuf,
    format: ExportFormat,
}

fn failed(path: &Path) -> impl Fn(std::io::Error) -> UserError + '_ {
    move |e| {
        UserError::new(
            ErrorCode::InvalidInput,
            format!("Could not write {}: {e}.", path.display()),
            "Choose a folder you can write to, with room for the file, and export again.",
        )
    }
}

fn csv_failed(e: csv::Error) -> UserError {
    UserError::new(
        ErrorCode::InvalidInput,
        format!("Could not write the CSV export: {e}."),
        "Choose a folder you can write to, with room for the file, and export again.",
    )
}

/// A CSV cell as a spreadsheet shows it as text (OWASP's CSV-injection
/// rule): one that starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading single quote, which spreadsheets hide.
pub fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

impl ExportFile {
    pub fn create(
        path: &Path,
        format: ExportFormat,
        csv_header: &[&str],
    ) -> Result<Self, UserError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed(path))?;
        let out = std::io::BufWriter::new(tmp.reopen().map_err(failed(path))?);
        let sink = match format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(csv_header.iter().map(|c| neutralised(c).into_owned()))
                    .map_err(csv_failed)?;
                Sink::Csv(Box::new(w))
            }
            ExportFormat::Json => {
                let mut out = out;
                out.write_all(b"[\n").map_err(failed(path))?;
                Sink::Json(out)
            }
        };
        Ok(ExportFile {
            tmp,
            sink,
            rows: 0,
            path: path.to_owned(),
            format,
        })
    }

    /// One row: its CSV fields, or the row itself as JSON.
    pub fn push<T: Serialize, const N: usize>(
        &mut self,
        csv: impl FnOnce(&T) -> [String; N],
        row: &T,
    ) -> Result<(), UserError> {
        match &mut self.sink {
            Sink::Csv(w) => w
                .write_record(csv(row).iter().map(|c| neutralised(c).into_owned()))
                .map_err(csv_failed)?,
            Sink::Json(out) => {
                if self.rows > 0 {
                    out.write_all(b",\n").map_err(failed(&self.path))?;
                }
                serde_json::to_writer(&mut *out, row)
                    .map_err(|e| failed(&self.path)(std::io::Error::other(e)))?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    pub fn finish(self) -> Result<ExportReport, UserError> {
        let path = self.path;
        match self.sink {
            Sink::Csv(mut w) => w.flush().map_err(failed(&path))?,
            Sink::Json(mut out) => {
                out.write_all(b"\n]\n").map_err(failed(&path))?;
                out.flush().map_err(failed(&path))?;
            }
        }
        self.tmp
            .persist(&path)
            .map_err(|e| failed(&path)(e.error))?;
        Ok(ExportReport {
            path: path.display().to_string(),
            rows: self.rows,
            format: self.format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_like_a_formula_are_text() {
        for hostile in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1+1",
        ] {
            assert_eq!(neutralised(hostile), format!("'{hostile}"));
        }
        for plain in ["All Files/Q3.xlsx", "ann@acme.com", "", "'quoted", "1=1"] {
            assert_eq!(neutralised(plain), plain);
        }
    }

    #[test]
    fn a_csv_export_writes_no_cell_a_spreadsheet_would_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut file = ExportFile::create(&path, ExportFormat::Csv, &["name", "login"]).unwrap();
        let row = ("=cmd|' /C calc'!A0".to_owned(), "@evil.example".to_owned());
        file.push(|r: &(String, String)| [r.0.clone(), r.1.clone()], &row)
            .unwrap();
        file.finish().unwrap();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let cells: Vec<String> = reader
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        assert_eq!(cells, ["'=cmd|' /C calc'!A0", "'@evil.example"]);
    }
}
