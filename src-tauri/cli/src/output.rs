//! Human and `--json` renderings of results and errors. The words are the
//! window's (`connector_core::wording`), with commands where it names buttons.

//!
//! This module has what every rendering shares (JSON, errors); each area's
//! renderings are in its own module (`connect_output`, `database_output`,
//! `scan_output`, `findings_output`, `govern_output`).

use std::path::Path;

use connector_core::error::UserError;
use connector_core::ipc::{CheckStatus, DatabaseStatus};
use connector_core::wording::{self, Audience};
use serde::Serialize;

use crate::exit;

/// How results print: for people, or as JSON (`--json`). Copied into the
/// tasks that print progress while a command runs.
#[derive(Clone, Copy)]
pub struct Output {
    pub json: bool,
}

pub fn mark(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "[pass]",
        CheckStatus::Warn => "[warn]",
        CheckStatus::Fail => "[FAIL]",
        CheckStatus::Skipped => "[skip]",
        CheckStatus::Pending | CheckStatus::Running => "[....]",
    }
}

/// The database status with the CLI's hint in place of the window's.
pub fn cli_database(db: &DatabaseStatus) -> DatabaseStatus {
    let mut db = db.clone();
    if let Some(err) = &mut db.error {
        err.hint = wording::database_hint(db.state, Audience::Cli, Path::new(&db.path));
    }
    db
}

impl Output {
    pub fn print_json(&self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("could not render JSON: {e}"),
        }
    }

    pub fn error(&self, err: &UserError) {
        if self.json {
            self.print_json(err);
        } else {
            eprintln!("error: {}", err.message);
            eprintln!("hint: {}", err.hint);
        }
    }

    /// Prints the error; returns the exit code it ends the command with.
    pub fn fail(&self, err: UserError) -> u8 {
        self.error(&err);
        exit::for_error(err.code)
    }
}
