//! The words of the desktop notifications (`app::notices` decides when one
//! is due): the full scan done, the connection needing the admin, a burst
//! of policy alerts.

use crate::error::UserError;

use super::scan::thousands;

/// The title of every "the admin must look" notification.
pub const NEEDS_ATTENTION_TITLE: &str = "Box Connector needs attention";

pub const FULL_SCAN_COMPLETE_TITLE: &str = "Full scan complete";

/// Why the scan stopped: its last error with the fix, else a general line.
pub fn scan_stopped_body(last_error: Option<&UserError>) -> String {
    last_error.map_or_else(
        || "The scan has stopped until you look at the connection.".to_string(),
        |e| format!("{} {}", e.message, e.hint).trim().to_string(),
    )
}

/// "1,234 files scanned, 2 could not be scanned. Edited and shared files ..."
pub fn full_scan_complete_body(files: u64, failed: u64) -> String {
    let mut body = format!(
        "{} file{} scanned",
        thousands(files),
        if files == 1 { "" } else { "s" }
    );
    if failed > 0 {
        body.push_str(&format!(", {} could not be scanned", thousands(failed)));
    }
    body.push_str(". Edited and shared files are rescanned as they change.");
    body
}

/// "3 new alerts: Public links on card files"; `policies` are the distinct
/// policies that raised them, in order, at least one.
pub fn alerts_title(count: usize, policies: &[&str]) -> String {
    let named = match policies {
        [one] => (*one).to_string(),
        [a, b] => format!("{a}, {b}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
        [] => unreachable!("at least one policy"),
    };
    if count == 1 {
        format!("New alert: {named}")
    } else {
        format!("{} new alerts: {named}", thousands(count as u64))
    }
}

/// "All Files/Q3.xlsx and 2 more. See them in the Audit view."
pub fn alerts_body(first_path: &str, count: usize) -> String {
    let mut body = first_path.to_string();
    if count > 1 {
        body.push_str(&format!(" and {} more", thousands(count as u64 - 1)));
    }
    body.push_str(". See them in the Audit view.");
    body
}

/// How a notification names an alert's file: its path, else its id.
pub fn alert_file(path: Option<&str>, file_id: &str) -> String {
    path.map_or_else(|| format!("file {file_id}"), str::to_string)
}
