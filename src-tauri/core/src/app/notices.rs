//! When the app tells the admin something with a desktop notification: the
//! full scan has just completed, the connection has just come to need
//! them, or policies raised alerts. Only changes count: what was already so
//! when the app started (or when it switched to another enterprise) is shown
//! in the window, not announced. Alerts come in bursts (a scan finds many
//! matches at once): one notification per burst, not one per alert. The
//! words are `wording`'s; the shell only shows what [`follow`] hands it.

use std::time::Duration;

use tokio::time::Instant;

use crate::ipc::govern::Alert;
use crate::ipc::{ConnectionState, CoreEvent, ScanState, ScanStatus, Snapshot};
use crate::wording;

use super::App;

/// What the desktop shows of core's events beside the window.
#[derive(Debug)]
pub enum Desktop {
    /// The browser came back from Box: raise the window.
    BringToFront,
    /// The scan's status, for the tray.
    Scan(Box<ScanStatus>),
    /// A desktop notification to show.
    Notify(Notice),
}

/// Follows core's events whether or not a page listens, handing `show` the
/// window to raise, each scan status and the notifications due; runs until
/// core closes. What is so at start is the baseline, not news.
pub async fn follow(app: &App, mut show: impl FnMut(Desktop)) {
    let mut feed = app.event_feed(Duration::ZERO);
    let mut news = News::default();
    let mut burst = AlertBurst::default();
    news.on_snapshot(&app.snapshot().await);
    let status = app.scan_status().await;
    news.on_scan(&status);
    show(Desktop::Scan(Box::new(status)));
    loop {
        let event = tokio::select! {
            event = feed.next() => event,
            _ = tokio::time::sleep_until(burst.due().unwrap_or_else(Instant::now)), if burst.due().is_some() => {
                if let Some(notice) = burst.take_due(Instant::now()) {
                    show(Desktop::Notify(notice));
                }
                continue;
            }
        };
        let notice = match event {
            None => break,
            Some(CoreEvent::BringToFront) => {
                show(Desktop::BringToFront);
                None
            }
            Some(CoreEvent::ScanProgress { status }) => {
                let notice = news.on_scan(&status);
                show(Desktop::Scan(status));
                notice
            }
            Some(CoreEvent::SnapshotChanged { snapshot }) => news.on_snapshot(&snapshot),
            Some(CoreEvent::AlertsRaised { alerts }) => {
                burst.push(alerts, Instant::now());
                None
            }
            Some(_) => None,
        };
        if let Some(notice) = notice {
            show(Desktop::Notify(notice));
        }
    }
}

/// One desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// Which changes of the scan and the connection are news.
#[derive(Debug, Default)]
pub struct News {
    /// The connection the scan facts below belong to; `None` until the first status.
    connection: Option<Option<String>>,
    completed: bool,
    scan_attention: bool,
    connection_attention: Option<bool>,
}

impl News {
    pub fn on_scan(&mut self, status: &ScanStatus) -> Option<Notice> {
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
            return Some(Notice {
                title: wording::NEEDS_ATTENTION_TITLE.into(),
                body: wording::scan_stopped_body(status.scan.last_error.as_ref()),
            });
        }
        if newly_completed {
            return Some(Notice {
                title: wording::FULL_SCAN_COMPLETE_TITLE.into(),
                body: wording::full_scan_complete_body(
                    status.scan.files_scanned,
                    status.scan.files_failed,
                ),
            });
        }
        None
    }

    pub fn on_snapshot(&mut self, snapshot: &Snapshot) -> Option<Notice> {
        self.on_connection(snapshot.connection.state, &snapshot.connection.what_to_do)
    }

    fn on_connection(&mut self, state: ConnectionState, what_to_do: &str) -> Option<Notice> {
        let attention = state == ConnectionState::NeedsReconnect;
        let before = self.connection_attention.replace(attention);
        if attention && before == Some(false) && !self.scan_attention {
            return Some(Notice {
                title: wording::NEEDS_ATTENTION_TITLE.into(),
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
    pending: Vec<Alert>,
    due: Option<Instant>,
}

impl AlertBurst {
    pub fn push(&mut self, alerts: Vec<Alert>, now: Instant) {
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
    pub fn take_due(&mut self, now: Instant) -> Option<Notice> {
        if self.due.is_some_and(|due| now >= due) {
            self.due = None;
            return burst_notice(&std::mem::take(&mut self.pending));
        }
        None
    }
}

/// "3 new alerts: Public links on card files", the files named in the body.
pub fn burst_notice(alerts: &[Alert]) -> Option<Notice> {
    let first = alerts.first()?;
    let mut policies: Vec<&str> = Vec::new();
    for a in alerts {
        if !policies.contains(&a.policy_name.as_str()) {
            policies.push(&a.policy_name);
        }
    }
    let first_file = wording::alert_file(first.finding.path.as_deref(), &first.finding.file_id);
    Some(Notice {
        title: wording::alerts_title(alerts.len(), &policies),
        body: wording::alerts_body(&first_file, alerts.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

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
        let mut news = News::default();
        assert_eq!(news.on_scan(&status("a", false, "running")), None);
        let notice = news.on_scan(&status("a", true, "idle")).expect("announced");
        assert_eq!(notice.title, "Full scan complete");
        assert!(
            notice.body.starts_with("1,234 files scanned"),
            "{}",
            notice.body
        );
        assert_eq!(news.on_scan(&status("a", true, "idle")), None, "once");
    }

    #[test]
    fn what_was_already_so_at_start_or_for_another_enterprise_is_not_news() {
        let mut news = News::default();
        assert_eq!(news.on_scan(&status("a", true, "idle")), None);
        assert_eq!(news.on_scan(&status("b", true, "idle")), None);
        assert_eq!(
            news.on_scan(&status("b", true, "needs_attention"))
                .map(|a| a.title),
            Some("Box Connector needs attention".into())
        );
    }

    #[test]
    fn a_connection_that_comes_to_need_a_reconnect_is_announced_once() {
        let mut news = News::default();
        let fix = "Box refused the stored sign-in. Click Reconnect.";
        // Already so at start: the window says it.
        assert_eq!(
            news.on_connection(ConnectionState::NeedsReconnect, fix),
            None
        );
        assert_eq!(news.on_connection(ConnectionState::Connected, fix), None);
        let notice = news
            .on_connection(ConnectionState::NeedsReconnect, fix)
            .expect("announced");
        assert_eq!(notice.body, fix);
        assert_eq!(
            news.on_connection(ConnectionState::NeedsReconnect, fix),
            None
        );
        // Offline is not the admin's to fix: no notification.
        assert_eq!(news.on_connection(ConnectionState::Offline, fix), None);
    }

    fn policy_alert(id: i64, policy: &str, path: &str) -> Alert {
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
        let one = burst_notice(&[policy_alert(1, "Keys", "All Files/id_rsa")]).unwrap();
        assert_eq!(one.title, "New alert: Keys");
        let many = burst_notice(&[
            policy_alert(1, "A", "x"),
            policy_alert(2, "B", "y"),
            policy_alert(3, "C", "z"),
            policy_alert(4, "D", "w"),
        ])
        .unwrap();
        assert_eq!(many.title, "4 new alerts: A, B and 2 more");
        assert_eq!(burst_notice(&[]), None);
    }
}
