//! The scan's state in one sentence: the tray's tooltip and menu and the
//! CLI's `Scan:` line and progress bar all say it the same way.

use crate::ipc::{ScanState, ScanStatus};

/// The scan in a few words: "scanning, 25% of 12,000 files".
pub fn scan_sentence(status: &ScanStatus) -> String {
    let scan = &status.scan;
    // A rescan can count past what the walk found: never over 100%.
    let share = match (scan.files_scanned.min(scan.files_discovered) * 100)
        .checked_div(scan.files_discovered)
    {
        Some(percent) => format!("{percent}% of {} files", thousands(scan.files_discovered)),
        None => "no files yet".into(),
    };
    match scan.state {
        ScanState::NotStarted => "not started".into(),
        ScanState::Running => format!("scanning, {share}"),
        ScanState::Paused => format!("paused at {share}"),
        ScanState::Offline => format!("offline, waiting for Box ({share})"),
        ScanState::Idle => format!("up to date, {} files", thousands(scan.files_scanned)),
        ScanState::ElsewhereRunning => format!("running in another process ({share})"),
        ScanState::NeedsAttention => "needs attention".into(),
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
    use crate::testing;

    fn status(state: &str, scanned: u64, discovered: u64) -> ScanStatus {
        let state = serde_json::from_value(serde_json::json!(state)).unwrap();
        testing::scan_status(state, scanned, discovered)
    }

    #[test]
    fn the_tray_words_the_state_with_the_share_scanned() {
        assert_eq!(
            scan_sentence(&status("running", 3_000, 12_000)),
            "scanning, 25% of 12,000 files"
        );
        assert_eq!(
            scan_sentence(&status("paused", 3_000, 12_000)),
            "paused at 25% of 12,000 files"
        );
        assert_eq!(
            scan_sentence(&status("idle", 12_000, 12_000)),
            "up to date, 12,000 files"
        );
        assert_eq!(
            scan_sentence(&status("running", 0, 0)),
            "scanning, no files yet"
        );
        // A rescan can count past what the walk found: never over 100%.
        assert_eq!(
            scan_sentence(&status("offline", 13, 12)),
            "offline, waiting for Box (100% of 12 files)"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
