//! When the app tells the admin something with a desktop notification: the
//! full scan has just completed, or the connection has just come to need
//! them. Only changes count: what was already so when the app started (or
//! when it switched to another enterprise) is shown in the window, not
//! announced.

use connector_core::ipc::{ConnectionState, ScanState, ScanStatus, Snapshot};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Default)]
pub struct Alerts {
    /// The connection the scan facts below belong to; `None` until the first status.
    connection: Option<Option<String>>,
    completed: bool,
    scan_attention: bool,
    connection_attention: Option<bool>,
}

impl Alerts {
    pub fn on_scan(&mut self, status: &ScanStatus) -> Option<Alert> {
        let completed = status.scan.full_scan_completed_at.is_some();
        let attention = status.scan.state == ScanState::NeedsAttention;
        if self.connection.as_ref() != Some(&status.connection_id) {
            // First status, or another enterprise: the baseline, not news.
            self.connection = Some(status.connection_id.clone());
            self.completed = completed;
            self.scan_attention = attention;
            return None;
        }
        let newly_completed = completed && !self.completed;
        let newly_attention = attention && !self.scan_attention;
        self.completed = completed;
        self.scan_attention = attention;
        if newly_attention && !self.connection_attention.unwrap_or(false) {
            let body = status.scan.last_error.as_ref().map_or_else(
                || "The scan has stopped until you look at the connection.".to_string(),
                |e| format!("{} {}", e.message, e.hint).trim().to_string(),
            );
            return Some(Alert {
                title: "Box Connector needs attention".into(),
                body,
            });
        }
        if newly_completed {
            let files = status.scan.files_scanned;
            let failed = status.scan.files_failed;
            let mut body = format!(
                "{} file{} scanned",
                thousands(files),
                if files == 1 { "" } else { "s" }
            );
            if failed > 0 {
                body.push_str(&format!(", {} could not be scanned", thousands(failed)));
            }
            body.push_str(". Edited and shared files are rescanned as they change.");
            return Some(Alert {
                title: "Full scan complete".into(),
                body,
            });
        }
        None
    }

    pub fn on_snapshot(&mut self, snapshot: &Snapshot) -> Option<Alert> {
        self.on_connection(snapshot.connection.state, &snapshot.connection.what_to_do)
    }

    fn on_connection(&mut self, state: ConnectionState, what_to_do: &str) -> Option<Alert> {
        let attention = state == ConnectionState::NeedsReconnect;
        let before = self.connection_attention.replace(attention);
        if attention && before == Some(false) && !self.scan_attention {
            return Some(Alert {
                title: "Box Connector needs attention".into(),
                body: what_to_do.to_string(),
            });
        }
        None
    }
}

/// 12,345
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(connection: &str, completed: bool, state: &str) -> ScanStatus {
        serde_json::from_value(serde_json::json!({
            "connection_id": connection,
            "scan": {
                "state": state, "users_total": 2, "users_done": 2, "users_skipped": 0,
                "folders_total": 4, "folders_done": 4, "files_discovered": 1234,
                "files_scanned": 1234, "files_queued": 0, "files_failed": 0,
                "files_per_minute": 0.0, "eta_seconds": null, "started_at": null,
                "full_scan_completed_at": if completed { Some("2026-12-01T10:00:00Z") } else { None },
                "skipped_note": null,
                "last_error": null
            },
            "events": {
                "ingested": 0, "backfill_from": null, "backfill_to": null,
                "backfill_done_ratio": 1.0, "backfill_completed_at": null,
                "last_event_at": null, "last_polled_at": null, "lag_seconds": null
            }
        }))
        .unwrap()
    }

    #[test]
    fn the_full_scan_completing_is_announced_once() {
        let mut alerts = Alerts::default();
        assert_eq!(alerts.on_scan(&status("a", false, "running")), None);
        let alert = alerts
            .on_scan(&status("a", true, "idle"))
            .expect("announced");
        assert_eq!(alert.title, "Full scan complete");
        assert!(
            alert.body.starts_with("1,234 files scanned"),
            "{}",
            alert.body
        );
        assert_eq!(alerts.on_scan(&status("a", true, "idle")), None, "once");
    }

    #[test]
    fn what_was_already_so_at_start_or_for_another_enterprise_is_not_news() {
        let mut alerts = Alerts::default();
        assert_eq!(alerts.on_scan(&status("a", true, "idle")), None);
        assert_eq!(alerts.on_scan(&status("b", true, "idle")), None);
        assert_eq!(
            alerts
                .on_scan(&status("b", true, "needs_attention"))
                .map(|a| a.title),
            Some("Box Connector needs attention".into())
        );
    }

    #[test]
    fn a_connection_that_comes_to_need_a_reconnect_is_announced_once() {
        let mut alerts = Alerts::default();
        let fix = "Box refused the stored sign-in. Click Reconnect.";
        // Already so at start: the window says it.
        assert_eq!(
            alerts.on_connection(ConnectionState::NeedsReconnect, fix),
            None
        );
        assert_eq!(alerts.on_connection(ConnectionState::Connected, fix), None);
        let alert = alerts
            .on_connection(ConnectionState::NeedsReconnect, fix)
            .expect("announced");
        assert_eq!(alert.body, fix);
        assert_eq!(
            alerts.on_connection(ConnectionState::NeedsReconnect, fix),
            None
        );
        // Offline is not the admin's to fix: no notification.
        assert_eq!(alerts.on_connection(ConnectionState::Offline, fix), None);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
