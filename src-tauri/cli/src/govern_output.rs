//! How `act`, `policy` and `audit` print: words for people, the ipc types
//! for `--json` (keys as in `ipc::govern`).

use connector_core::error::UserError;
use connector_core::ipc::govern::{
    ActionPreview, Alert, AuditEntry, BulkPreview, BulkProgress, Policy, PolicyDryRun,
};

use crate::output::Output;

impl Output {
    pub fn preview(&self, p: &ActionPreview) {
        if self.json {
            return self.print_json(p);
        }
        println!(
            "{} {} {} ({}), owned by {}",
            p.request.kind.as_str(),
            p.item.item_type.as_str(),
            p.item.item_id,
            p.item
                .path
                .as_deref()
                .or(p.item.name.as_deref())
                .unwrap_or("-"),
            p.item.owner_login.as_deref().unwrap_or("-"),
        );
        if let Some(why) = &p.refused {
            println!("Refused, nothing will be sent: {}", why.message);
            println!("  {}", why.hint);
            return;
        }
        if p.changes.is_empty() {
            println!("Nothing to change.");
        } else {
            println!(
                "Will change, as {}:",
                p.acting_as.as_deref().unwrap_or("the admin")
            );
            for c in &p.changes {
                println!("  - {}", c.description);
            }
        }
        for w in &p.warnings {
            println!("  ! {w}");
        }
        if !p.changes.is_empty() {
            println!("Nothing was sent. Run again with --yes to make these changes.");
        }
    }

    pub fn bulk_preview(&self, p: &BulkPreview) {
        if self.json {
            return self.print_json(p);
        }
        println!(
            "{} on {} items: {} will change, {} refused.",
            p.kind.as_str(),
            p.items.len(),
            p.will_change,
            p.refused
        );
        for item in &p.items {
            let place = item.item.path.as_deref().unwrap_or(&item.item.item_id);
            match &item.refused {
                Some(why) => println!("  ! {place}: refused: {}", why.message),
                None => {
                    for c in &item.changes {
                        println!("  - {}", c.description);
                    }
                }
            }
        }
        if p.will_change > 0 {
            println!("Nothing was sent. Run again with --yes to make these changes.");
        }
    }

    pub fn bulk_progress(&self, p: &BulkProgress) {
        if self.json {
            return self.print_json(p);
        }
        println!(
            "{} on {} items: {} done, {} unchanged, {} failed, {} refused (audit batch {}).",
            p.kind.as_str(),
            p.total,
            p.done,
            p.unchanged,
            p.failed,
            p.refused,
            p.batch_id
        );
    }

    pub fn audit_entries(&self, rows: &[AuditEntry]) {
        if self.json {
            return self.print_json(&rows);
        }
        if rows.is_empty() {
            println!("The audit log is empty: actions appear here once confirmed.");
            return;
        }
        for e in rows {
            println!(
                "#{:<5} {}  {:<9} {:<19} {} {}  by {}{}",
                e.audit_id,
                e.requested_at.format("%Y-%m-%d %H:%M:%S"),
                e.state.as_str(),
                e.kind.as_str(),
                e.item.item_type.as_str(),
                e.item.path.as_deref().unwrap_or(&e.item.item_id),
                e.actor,
                if e.recovered {
                    "  (resumed after an interruption)"
                } else {
                    ""
                },
            );
            for c in &e.changes {
                println!("        - {}", c.description);
            }
            for a in &e.box_answer {
                println!("        Box: {a}");
            }
            if let Some(err) = &e.error {
                println!("        {} {}", err.message, err.hint);
            }
        }
    }

    pub fn policies(&self, rows: &[Policy]) {
        if self.json {
            return self.print_json(&rows);
        }
        if rows.is_empty() {
            println!("No policies. Add one with `policy add NAME --kind public_link --file-has credit_card`.");
            return;
        }
        for p in rows {
            println!(
                "{:<4} {:<32} {:<8} {}",
                p.policy_id,
                p.name,
                if p.enabled { "enabled" } else { "disabled" },
                match (p.action, p.auto_act) {
                    (Some(a), true) => format!("acts: {}", a.as_str()),
                    (Some(a), false) => format!("alerts (suggests {})", a.as_str()),
                    _ => "alerts".to_owned(),
                }
            );
            println!(
                "     matches {}",
                serde_json::to_string(&p.matches).unwrap_or_default()
            );
        }
    }

    pub fn dry_run(&self, d: &PolicyDryRun) {
        if self.json {
            return self.print_json(d);
        }
        println!(
            "Would match {} open findings today. Nothing was raised or sent.",
            d.matched
        );
        for f in &d.sample {
            println!(
                "  {:<7} {:<8} {:<21} {}",
                f.finding_id,
                f.severity.as_str(),
                f.kind.as_str(),
                f.path.as_deref().unwrap_or(&f.file_id)
            );
        }
    }

    pub fn alerts(&self, rows: &[Alert]) {
        if self.json {
            return self.print_json(&rows);
        }
        if rows.is_empty() {
            println!("No alerts.");
            return;
        }
        for a in rows {
            println!(
                "{:<6} {}  {:<28} {:<8} {} {}{}",
                a.alert_id,
                a.raised_at.format("%Y-%m-%d %H:%M:%S"),
                a.policy_name,
                a.finding.severity.as_str(),
                a.finding.kind.as_str(),
                a.finding.path.as_deref().unwrap_or(&a.finding.file_id),
                a.audit_id
                    .map(|id| format!("  (acted: audit #{id})"))
                    .unwrap_or_default()
            );
            if let Some(note) = &a.note {
                println!("       {note}");
            }
        }
    }

    /// Actions an earlier run left, finished before this command (stderr).
    pub fn resumed_first(&self, done: &[AuditEntry]) {
        if self.json {
            return;
        }
        for e in done {
            eprintln!(
                "Resumed interrupted action #{} ({} {}): {}",
                e.audit_id,
                e.kind.as_str(),
                e.item.item_id,
                e.state.as_str()
            );
        }
    }

    /// Actions an earlier run left could not be finished now (stderr).
    pub fn resume_waits(&self, why: &UserError) {
        if !self.json {
            eprintln!("Interrupted actions wait: {} {}", why.message, why.hint);
        }
    }

    /// After `policy add --auto-act`: what matched before it, left alone.
    pub fn policy_backlog_waits(&self, existing: u64, policy_id: i64) {
        if existing > 0 {
            println!(
                "{existing} findings match already: the policy acts only on new ones. Preview those with `policy backlog {policy_id}`."
            );
        }
    }

    pub fn policy_removed(&self, policy_id: i64) {
        if !self.json {
            println!("Policy {policy_id} removed.");
        }
    }
}
