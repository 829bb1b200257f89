//! When the app tells the admin something with a desktop notification: the
//! full scan has just completed, the connection has just come to need
//! them, or policies raised alerts. Only changes count: what was already so
//! when the app started (or when it switched to another enterprise) is shown
//! in the window, not announced. Alerts come in bursts (a scan finds many
//! matches at once): one notification per burst, not one per alert.

use std::time::Duration;

use connector_core::ipc::govern::Alert as PolicyAlert;
use connector_core::ipc::{ConnectionState, ScanState, ScanStatus, Snapshot};
use tokio::time::Instant;

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

/// How long after a burst's first alert its notification goes: the rest of
/// the burst joins it.
pub const ALERT_BURST: Duration = Duration::from_secs(3);

/// Gathers the alerts raised within [`ALERT_BURST`] of the first into one
/// notification.
#[derive(Debug, Default)]
pub struct AlertBurst {
    pending: Vec<PolicyAlert>,
    due: Option<Instant>,
}

impl AlertBurst {
    pub fn push(&mut self, alerts: Vec<PolicyAlert>, now: Instant) {
        if alerts.is_empty() {
            return;
        }
        self.due.get_or_insert(now + ALERT_BURST);
        self.pending.extend(alerts);
    }

    /// When the waiting burst is to be announced; `None` with nothing waiting.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The burst's notification once it is due (and the burst starts over).
    pub fn take_due(&mut self, now: Instant) -> Option<Alert> {
        if self.due.is_some_and(|due| now >= due) {
            self.due = None;
            return burst_notification(&std::mem::take(&mut self.pending));
        }
        None
    }
}

/// "3 new alerts: Public links on card files", the files named in the body.
pub fn burst_notification(alerts: &[PolicyAlert]) -> Option<Alert> {
    let first = alerts.first()?;
    let mut policies: Vec<&str> = Vec::new();
    for a in alerts {
        if !policies.contains(&a.policy_name.as_str()) {
            policies.push(&a.policy_name);
        }
    }
    let named = match policies.as_slice() {
        [one] => (*one).to_string(),
        [a, b] => format!("{a}, {b}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
        [] => unreachable!("at least one alert"),
    };
    let title = if alerts.len() == 1 {
        format!("New alert: {named}")
    } else {
        format!("{} new alerts: {named}", thousands(alerts.len() as u64))
    };
    let path = |a: &PolicyAlert| {
        a.finding
            .path
            .clone()
            .unwrap_or_else(|| format!("file {}", a.finding.file_id))
    };
    let mut body = path(first);
    if alerts.len() > 1 {
        body.push_str(&format!(" and {} more", thousands(alerts.len() as u64 - 1)));
    }
    body.push_str(". See them in the Audit view.");
    Some(Alert { title, body })
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
    use connector_core::testing;

    fn status(connection: &str, completed: bool, state: &str) -> ScanStatus {
        let state = serde_json::from_value(serde_json::json!(state)).unwrap();
        let mut status = testing::scan_status(state, 1234, 1234);
        status.connection_id = Some(connection.into());
        status.scan.full_scan_completed_at =
            completed.then(|| "2026-12-01T10:00:00Z".parse().unwrap());
        status
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

    fn policy_alert(id: i64, policy: &str, path: &str) -> PolicyAlert {
        serde_json::from_value(serde_json::json!({
            "alert_id": id, "policy_id": 1, "policy_name": policy,
            "finding": {
                "finding_id": id, "file_id": "1001", "path": path, "owner_login": null,
                "kind": "public_link", "detector": null, "severity": "critical",
                "confidence": null, "count": 1, "masked_sample": null,
                "reached_via": "its own open link", "since": null,
                "opened_at": "2026-12-01T10:00:00Z", "last_seen_at": "2026-12-01T10:00:00Z",
                "closed_at": null
            },
            "raised_at": "2026-12-01T10:00:00Z", "audit_id": null, "acknowledged": false
        }))
        .unwrap()
    }

    #[test]
    fn a_burst_of_alerts_is_one_notification_naming_its_policies() {
        let start = Instant::now();
        let mut burst = AlertBurst::default();
        assert_eq!(burst.due(), None);
        burst.push(
            vec![policy_alert(
                1,
                "Public links on card files",
                "All Files/Q3.xlsx",
            )],
            start,
        );
        burst.push(
            vec![
                policy_alert(2, "Public links on card files", "All Files/Q4.xlsx"),
                policy_alert(3, "Public links on card files", "All Files/Q5.xlsx"),
            ],
            start + Duration::from_secs(1),
        );
        assert_eq!(
            burst.due(),
            Some(start + ALERT_BURST),
            "timed from the first"
        );
        assert_eq!(
            burst.take_due(start + Duration::from_secs(2)),
            None,
            "not yet"
        );
        let shown = burst.take_due(start + ALERT_BURST).expect("due");
        assert_eq!(shown.title, "3 new alerts: Public links on card files");
        assert_eq!(
            shown.body,
            "All Files/Q3.xlsx and 2 more. See them in the Audit view."
        );
        assert_eq!(burst.due(), None, "the burst starts over");
        assert_eq!(burst.take_due(start + ALERT_BURST * 2), None, "once");
        burst.push(vec![], start + ALERT_BURST * 2);
        assert_eq!(burst.due(), None, "nothing raised is no burst");
    }

    #[test]
    fn one_alert_and_many_policies_read_well() {
        let one = burst_notification(&[policy_alert(1, "Keys", "All Files/id_rsa")]).unwrap();
        assert_eq!(one.title, "New alert: Keys");
        let many = burst_notification(&[
            policy_alert(1, "A", "x"),
            policy_alert(2, "B", "y"),
            policy_alert(3, "C", "z"),
            policy_alert(4, "D", "w"),
        ])
        .unwrap();
        assert_eq!(many.title, "4 new alerts: A, B and 2 more");
        assert_eq!(burst_notification(&[]), None);
    }
}
