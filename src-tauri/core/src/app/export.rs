//! Exports (findings, the audit log): CSV or JSON written whole or not at
//! all, through a temporary file in the target folder renamed at the end.

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
                w.write_record(csv_header).map_err(csv_failed)?;
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
            Sink::Csv(w) => w.write_record(csv(row)).map_err(csv_failed)?,
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
