//! How `findings` and `export` print: a table for people, the ipc types
//! for `--json` (a list of findings, keys as in `ipc::findings::FindingRow`).

use connector_core::ipc::findings::{ExportReport, FindingsPage};

use crate::output::Output;

impl Output {
    pub fn findings(&self, page: &FindingsPage) {
        if self.json {
            return self.print_json(&page.rows);
        }
        if page.rows.is_empty() {
            println!(
                "No findings match. They appear as the scan inspects files (`scan --until-idle`)."
            );
            return;
        }
        println!(
            "{:<7} {:<8} {:<21} {:<14} {:>5} {:<20} {:<24} PATH / REACHED VIA",
            "ID", "SEVERITY", "KIND", "DETECTOR", "COUNT", "SAMPLE", "OWNER"
        );
        for f in &page.rows {
            println!(
                "{:<7} {:<8} {:<21} {:<14} {:>5} {:<20} {:<24} {}{}",
                f.finding_id,
                f.severity.as_str(),
                f.kind.as_str(),
                f.detector.as_deref().unwrap_or("-"),
                f.count,
                f.masked_sample.as_deref().unwrap_or("-"),
                f.owner_login.as_deref().unwrap_or("-"),
                f.path.as_deref().unwrap_or(&f.file_id),
                if f.closed_at.is_some() {
                    "  (closed)"
                } else {
                    ""
                }
            );
            println!("        {}", f.reached_via);
        }
        if page.total > page.rows.len() as u64 {
            println!(
                "{} of {} shown (use --limit, or `export` for all).",
                page.rows.len(),
                page.total
            );
        }
    }

    /// `what`: the rows' name in the plural ("findings", "audit entries").
    pub fn exported(&self, report: &ExportReport, what: &str) {
        if self.json {
            return self.print_json(report);
        }
        println!("{} {what} written to {}.", report.rows, report.path);
    }
}
