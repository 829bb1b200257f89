//! How `database move-aside` and `database check` print; `--json` keys are
//! the ipc `DatabaseStatus`'s.

use std::path::Path;

use connector_core::ipc::{DatabaseState, DatabaseStatus, Snapshot};
use connector_core::wording::{self, Audience};

use crate::output::{cli_database, Output};

impl Output {
    pub fn moved_aside(&self, moved_to: &Path, after: &Snapshot) {
        let db = cli_database(&after.database);
        if self.json {
            return self.print_json(&serde_json::json!({
                "moved_to": moved_to.display().to_string(),
                "database": db,
            }));
        }
        println!(
            "Moved the database aside: the old file is now {} (nothing was deleted).",
            moved_to.display()
        );
        match &db.error {
            None => {
                println!("A new, empty database is at {}.", db.path);
                println!(
                    "Next: {}",
                    connector_core::ipc::Advice::Connect.what_to_do(Audience::Cli, None)
                );
            }
            Some(e) => {
                println!("The new database: {}", wording::database_words(db.state));
                println!("  {}", e.message);
                println!("What to do: {}", e.hint);
            }
        }
    }

    pub fn checked(&self, db: &DatabaseStatus, problems: &[String]) {
        let db = cli_database(db);
        let hint = match (problems.is_empty(), db.state) {
            (true, DatabaseState::Ok) => None,
            (false, DatabaseState::Ok) => Some(wording::database_hint(
                DatabaseState::Corrupt,
                Audience::Cli,
                Path::new(&db.path),
            )),
            (_, _) => db.error.as_ref().map(|e| e.hint.clone()),
        };
        if self.json {
            return self.print_json(&serde_json::json!({
                "path": db.path,
                "state": db.state,
                "integrity": if problems.is_empty() { "ok" } else { "damaged" },
                "problems": problems,
                "error": db.error,
                "hint": hint,
            }));
        }
        if problems.is_empty() {
            println!(
                "Database {}: SQLite's integrity check found no problems.",
                db.path
            );
        } else {
            println!(
                "Database {}: damaged. SQLite's integrity check found:",
                db.path
            );
            for p in problems {
                println!("  - {p}");
            }
        }
        if let Some(e) = &db.error {
            println!("  {}", e.message);
        }
        if let Some(hint) = hint {
            println!("What to do: {hint}");
        }
    }
}
