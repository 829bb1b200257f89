//! Renderings of the scan's views: the same structs as the window's
//! (`connector_core::ipc::scan`), so `--json` keys are the stable ones those
//! types define, and short human tables otherwise.

use connector_core::ipc::{EventRow, FileDetail, QueueEntry, ScanSettingView, ScanStatus};
use connector_core::wording;

use crate::output::Output;

/// Seconds as a short duration ("40 s", "12 min", "3.5 h").
pub fn eta_words(seconds: Option<u64>) -> String {
    match seconds {
        None => "-".into(),
        Some(s) if s < 90 => format!("{s} s"),
        Some(s) if s < 90 * 60 => format!("{} min", s.div_ceil(60)),
        Some(s) => format!("{:.1} h", s as f64 / 3600.0),
    }
}

impl Output {
    /// The scan part of `status` (human form; JSON is part of `status`'s object).
    pub fn scan_lines(&self, s: &ScanStatus) {
        let scan = &s.scan;
        println!("Scan: {}", wording::scan_sentence(s));
        println!(
            "  Users: {} of {} walked{}",
            scan.users_done,
            scan.users_total,
            if scan.users_skipped > 0 {
                format!(", {} skipped", scan.users_skipped)
            } else {
                String::new()
            }
        );
        println!(
            "  Files: {} discovered, {} scanned, {} queued, {} failed",
            scan.files_discovered, scan.files_scanned, scan.files_queued, scan.files_failed
        );
        println!(
            "  Rate: {:.0} files/min, ETA {}",
            scan.files_per_minute,
            eta_words(scan.eta_seconds)
        );
        if let Some(note) = &scan.skipped_note {
            println!("  Note: {note}");
        }
        if let Some(e) = &scan.last_error {
            println!("  Last error: {} {}", e.message, e.hint);
        }
        let ev = &s.events;
        println!(
            "Events: {} ingested, backfill {:.0}% done, last event {}",
            ev.ingested,
            ev.backfill_done_ratio * 100.0,
            ev.last_event_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "-".into())
        );
        if let Some(lag) = ev.lag_seconds {
            println!("  Lag behind Box: {lag:.0} s");
        }
        let i = &s.inspection;
        println!(
            "Inspection: {} inspected, {} not inspected, {} pending; {} downloads ({:.1} MB), {} identical contents not downloaded",
            i.files_inspected,
            i.files_not_inspected,
            i.files_pending,
            i.downloads,
            i.bytes_downloaded as f64 / 1e6,
            i.cache_hits
        );
        if !i.not_inspected_by_reason.is_empty() {
            let reasons: Vec<String> = i
                .not_inspected_by_reason
                .iter()
                .map(|r| format!("{} {}", r.count, r.name.replace('_', " ")))
                .collect();
            println!("  Not inspected: {}", reasons.join(", "));
        }
    }

    pub fn scan_settings(&self, settings: &[ScanSettingView]) {
        if self.json {
            return self.print_json(&settings);
        }
        for s in settings {
            println!(
                "{} = {}  (default {}): {}",
                s.key, s.value, s.default, s.meaning
            );
        }
    }

    pub fn scan_paused(&self, paused: bool) {
        if self.json {
            return self.print_json(&serde_json::json!({ "paused": paused }));
        }
        if paused {
            println!("Paused: no scanner sends requests to Box until you resume.");
        } else {
            println!("Resumed: the scanner picks up where it stopped.");
        }
    }

    pub fn queue(&self, entries: &[QueueEntry]) {
        if self.json {
            return self.print_json(&entries);
        }
        if entries.is_empty() {
            println!("The queue is empty.");
            return;
        }
        println!(
            "{:<4} {:<8} {:<13} {:<14} {:<24} PATH",
            "PRIO", "STATE", "REASON", "ID", "OWNER"
        );
        for e in entries {
            println!(
                "{:<4} {:<8} {:<13} {:<14} {:<24} {}{}",
                e.priority,
                e.state,
                e.reason,
                e.file_id,
                e.owner_login.as_deref().unwrap_or("-"),
                e.path.as_deref().or(e.name.as_deref()).unwrap_or("-"),
                e.reason_detail
                    .as_deref()
                    .map(|d| format!("  [{d}]"))
                    .unwrap_or_default()
            );
        }
    }

    pub fn events(&self, events: &[EventRow]) {
        if self.json {
            return self.print_json(&events);
        }
        if events.is_empty() {
            println!("No events match.");
            return;
        }
        for e in events {
            println!(
                "{}  {:<7} {:<24} {} {}",
                e.created_at.to_rfc3339(),
                e.kind,
                e.event_type,
                e.item_type.as_deref().unwrap_or("-"),
                e.item_name
                    .as_deref()
                    .or(e.item_id.as_deref())
                    .unwrap_or("")
            );
        }
    }

    pub fn file(&self, file: &FileDetail) {
        if self.json {
            return self.print_json(file);
        }
        println!(
            "File {}: {}",
            file.file_id,
            file.path.as_deref().or(file.name.as_deref()).unwrap_or("-")
        );
        println!("  Owner: {}", file.owner_login.as_deref().unwrap_or("-"));
        println!(
            "  Etag: {} (scanned: {})",
            file.etag.as_deref().unwrap_or("-"),
            file.scanned_etag.as_deref().unwrap_or("never")
        );
        match &file.shared_link {
            Some(link) => println!(
                "  Shared link: {}",
                link.get("access").and_then(|a| a.as_str()).unwrap_or("set")
            ),
            None => println!("  Shared link: none"),
        }
        for c in &file.collaborations {
            println!(
                "  Collaborator: {} ({}, {})",
                c.login.as_deref().or(c.name.as_deref()).unwrap_or("-"),
                c.role.as_deref().unwrap_or("-"),
                c.status.as_deref().unwrap_or("-")
            );
        }
        if let Some(q) = &file.queued {
            println!(
                "  Queued: priority {}, {} ({})",
                q.priority, q.reason, q.state
            );
        }
        println!("  History:");
        for h in &file.history {
            println!(
                "    {}  {}{}",
                h.at.to_rfc3339(),
                h.what,
                h.detail
                    .as_deref()
                    .map(|d| format!(" {d}"))
                    .unwrap_or_default()
            );
        }
    }
}
