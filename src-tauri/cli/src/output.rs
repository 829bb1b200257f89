//! Human and `--json` renderings of results and errors. The words are the
//! window's (`connector_core::wording`), with commands where it names buttons.

use std::path::Path;

use connector_core::error::UserError;
use connector_core::ipc::findings::InspectionProgress;
use connector_core::ipc::{
    Advice, ApiTestReport, CheckStatus, ConnectionView, DatabaseState, DatabaseStatus,
    EventsProgress, Health, ScanProgress, ScanStatus, Snapshot,
};
use connector_core::wording::{self, Audience};
use serde::Serialize;

use crate::exit;

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
fn cli_database(db: &DatabaseStatus) -> DatabaseStatus {
    let mut db = db.clone();
    if let Some(err) = &mut db.error {
        err.hint = wording::database_hint(db.state, Audience::Cli, Path::new(&db.path));
    }
    db
}

/// The connection with its "what to do" in the CLI's words.
fn cli_connection(c: &ConnectionView) -> ConnectionView {
    let mut c = c.clone();
    c.what_to_do = c
        .advice
        .what_to_do(Audience::Cli, c.datacenter_id.as_deref());
    c
}

fn cli_health(h: &Health) -> Health {
    let mut h = h.clone();
    h.what_to_do = h
        .advice
        .what_to_do(Audience::Cli, h.datacenter_id.as_deref());
    h
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

    pub fn connected(&self, view: &ConnectionView) {
        if self.json {
            return self.print_json(&cli_connection(view));
        }
        let dc = view.datacenter_id.as_deref().unwrap_or("?");
        match &view.account {
            Some(a) => println!(
                "Connected to {dc} as {} ({}), enterprise {}.",
                a.login,
                a.role,
                a.enterprise_name.as_deref().unwrap_or("-")
            ),
            None => println!("Connected to {dc}."),
        }
        println!("Next: {} test-api", wording::CLI);
    }

    pub fn api_test(&self, report: &ApiTestReport) {
        if self.json {
            return self.print_json(report);
        }
        println!(
            "API test ({}): {}",
            report.datacenter_id,
            wording::check_words(report.outcome)
        );
        for c in &report.checks {
            println!("{} {}", mark(c.status), c.label);
            if let Some(d) = &c.detail {
                println!("       {d}");
            }
            if let Some(e) = &c.box_error {
                println!("       Box said: {e}");
            }
            if let Some(f) = &c.fix {
                println!("       Fix: {f}");
            }
        }
    }

    pub fn status(&self, s: &Snapshot, scan: &ScanStatus) {
        if self.json {
            #[derive(Serialize)]
            struct Status<'a> {
                selected_datacenter: &'a str,
                connection: ConnectionView,
                health: Option<Health>,
                last_api_test: &'a Option<ApiTestReport>,
                database: DatabaseStatus,
                scan: &'a ScanProgress,
                events: &'a EventsProgress,
                inspection: &'a InspectionProgress,
            }
            return self.print_json(&Status {
                selected_datacenter: &s.selected_datacenter,
                connection: cli_connection(&s.connection),
                health: s.health.as_ref().map(cli_health),
                last_api_test: &s.last_api_test,
                database: cli_database(&s.database),
                scan: &scan.scan,
                events: &scan.events,
                inspection: &scan.inspection,
            });
        }
        let c = &s.connection;
        println!(
            "Data center: {}",
            c.datacenter_id.as_deref().unwrap_or(&s.selected_datacenter)
        );
        if s.database.state != DatabaseState::Ok {
            // The connection cannot be known without the database: say only that.
            let db = cli_database(&s.database);
            println!(
                "Database: {} ({})",
                wording::database_words(db.state),
                db.path
            );
            if let Some(e) = &db.error {
                println!("  {}", e.message);
                println!("What to do: {}", e.hint);
            }
            return;
        }
        println!("State: {}", wording::state_words(c.state));
        if let Some(a) = &c.account {
            println!(
                "Account: {} ({}), enterprise {}",
                a.login,
                a.role,
                a.enterprise_name.as_deref().unwrap_or("-")
            );
        }
        if let Some(h) = &s.health {
            if let Some(at) = h.access_token_expires_at {
                println!("Access token expires: {at}");
            }
            if let Some(days) = h.refresh_token_age_days {
                println!("Refresh token age: {days} days (Box ends it at 60)");
            }
            if let Some(at) = h.last_success_at {
                println!("Last successful call: {at}");
            }
            println!(
                "Last hour: {} calls, {:.0}% errors, {:.0}% rate-limited, median latency {}",
                h.last_hour.calls,
                h.last_hour.error_rate * 100.0,
                h.last_hour.rate_limited_rate * 100.0,
                h.last_hour
                    .median_latency_ms
                    .map(|m| format!("{m} ms"))
                    .unwrap_or_else(|| "-".into())
            );
            for w in &h.warnings {
                println!("Warning: {w}");
            }
        }
        if let Some(t) = &s.last_api_test {
            println!(
                "Last API test: {} at {}",
                wording::check_words(t.outcome),
                t.finished_at.unwrap_or(t.started_at)
            );
        }
        if let Some(e) = &c.error {
            println!("Last error: {} {}", e.message, e.hint);
        }
        if scan.connection_id.is_some() {
            self.scan_lines(scan);
        }
        println!("Database: ok ({})", s.database.path);
        println!("What to do: {}", cli_connection(c).what_to_do);
    }

    pub fn disconnected(&self, warning: Option<&UserError>) {
        if self.json {
            return self
                .print_json(&serde_json::json!({ "disconnected": true, "warning": warning }));
        }
        println!("Disconnected: the sign-in was removed from the keychain.");
        if let Some(w) = warning {
            println!("Warning: {} {}", w.message, w.hint);
        }
    }

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
                println!("Next: {}", Advice::Connect.what_to_do(Audience::Cli, None));
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
