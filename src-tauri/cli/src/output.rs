//! Human and `--json` renderings of results and errors.

use connector_core::error::UserError;
use connector_core::ipc::{ApiTestReport, CheckStatus, ConnectionView, Snapshot};
use serde::Serialize;

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

impl Output {
    fn print_json(&self, value: &impl Serialize) {
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

    pub fn connected(&self, view: &ConnectionView) {
        if self.json {
            return self.print_json(view);
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
        println!("Next: box-connector-cli test-api");
    }

    pub fn api_test(&self, report: &ApiTestReport) {
        if self.json {
            return self.print_json(report);
        }
        println!("API test ({}): {:?}", report.datacenter_id, report.outcome);
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

    pub fn status(&self, s: &Snapshot) {
        if self.json {
            #[derive(Serialize)]
            struct Status<'a> {
                selected_datacenter: &'a str,
                connection: &'a ConnectionView,
                health: &'a Option<connector_core::health::Health>,
                last_api_test: &'a Option<ApiTestReport>,
                database: &'a connector_core::ipc::DatabaseStatus,
            }
            return self.print_json(&Status {
                selected_datacenter: &s.selected_datacenter,
                connection: &s.connection,
                health: &s.health,
                last_api_test: &s.last_api_test,
                database: &s.database,
            });
        }
        let c = &s.connection;
        println!(
            "Data center: {}",
            c.datacenter_id.as_deref().unwrap_or(&s.selected_datacenter)
        );
        println!("State: {:?}", c.state);
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
                "Last API test: {:?} at {}",
                t.outcome,
                t.finished_at.unwrap_or(t.started_at)
            );
        }
        if let Some(e) = &c.error {
            println!("Last error: {} {}", e.message, e.hint);
        }
        println!("What to do: {}", c.what_to_do);
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
}
