//! How `connect`, `test-api`, `status`, `disconnect` and `governance` print:
//! the window's words with commands in place of buttons; `--json` keys are
//! the ipc types' (`ConnectionView`, `ApiTestReport`, `Health`, …).

use connector_core::error::UserError;
use connector_core::ipc::findings::InspectionProgress;
use connector_core::ipc::govern::GovernanceStatus;
use connector_core::ipc::Health;
use connector_core::ipc::{
    ApiCheck, ApiTestReport, ConnectionView, DatabaseState, DatabaseStatus, EventsProgress,
    ScanProgress, ScanStatus, Snapshot,
};
use connector_core::wording::{self, Audience};
use serde::Serialize;

use crate::output::{cli_database, mark, Output};

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

    /// A sign-in's link, on stderr as soon as it exists (stdout keeps the result).
    pub fn sign_in_started(&self, authorize_url: &str) {
        if self.json {
            eprintln!("{}", serde_json::json!({ "sign_in_url": authorize_url }));
        } else {
            eprintln!("Sign in to Box in your browser. If it did not open, open this link:");
            eprintln!("{authorize_url}");
            eprintln!("Or paste here the address the browser shows after you click Allow.");
        }
    }

    /// A pasted redirect address the sign-in did not take (stderr, in both forms).
    pub fn pasted_address_refused(&self, err: &UserError) {
        eprintln!("{} {}", err.message, err.hint);
    }

    /// One finished check of a running API test, on stderr (not with `--json`).
    pub fn api_check_done(&self, check: &ApiCheck) {
        if !self.json {
            eprintln!("  {} {}", mark(check.status), check.label);
        }
    }

    /// Before `governance on` opens the browser: why it signs in again.
    pub fn governance_why(&self) {
        if !self.json {
            eprintln!("{}", wording::GOVERNANCE_WHY);
        }
    }

    pub fn governance(&self, status: &GovernanceStatus) {
        if self.json {
            return self.print_json(status);
        }
        let state = if status.enabled { "on" } else { "off" };
        println!("Governance: {state}");
        println!("Scopes: {}", status.scopes.join(" "));
        println!(
            "Box allows changes: {}",
            if status.can_write {
                "yes (root_readwrite)"
            } else {
                "no (read-only)"
            }
        );
        if status.enabled && !status.can_write {
            println!("Next: {} governance on", wording::CLI);
        }
    }
}
