//! `act`, `policy` and `audit`: governance from a terminal. `act` prints its
//! preview and changes nothing unless `--yes` confirms it; every change is
//! in the audit log, which `audit` prints and exports (offline, sending
//! nothing to Box; `audit resume` finishes what an earlier run left).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use connector_core::app::App;
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::findings::{ExportFormat, FindingKind, Severity};
use connector_core::ipc::govern::{
    ActionKind, ActionRequest, AuditFilter, AuditState, ItemType, LinkAccess, NewPolicy,
    PolicyMatch,
};

use crate::exit;
use crate::output::Output;

#[derive(Clone, Copy, ValueEnum)]
pub enum ActArg {
    RemoveLink,
    RestrictLink,
    RemoveCollaborator,
    RemoveExternal,
    Quarantine,
    Restore,
}

impl ActArg {
    fn kind(self) -> ActionKind {
        match self {
            ActArg::RemoveLink => ActionKind::RemoveLink,
            ActArg::RestrictLink => ActionKind::RestrictLink,
            ActArg::RemoveCollaborator => ActionKind::RemoveCollaborator,
            ActArg::RemoveExternal => ActionKind::RemoveExternal,
            ActArg::Quarantine => ActionKind::Quarantine,
            ActArg::Restore => ActionKind::Restore,
        }
    }
}

#[derive(Args)]
pub struct ActArgs {
    #[arg(value_enum)]
    action: ActArg,
    /// The file's (or with --folder the folder's) Box id.
    item_id: String,
    /// The item is a folder.
    #[arg(long)]
    folder: bool,
    /// restrict-link: narrow the access to this.
    #[arg(long, value_parser = ["company", "collaborators"])]
    access: Option<String>,
    /// restrict-link: turn off download through the link.
    #[arg(long)]
    no_download: bool,
    /// restrict-link: the link stops working then (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    expires: Option<chrono::DateTime<chrono::Utc>>,
    /// remove-collaborator: the collaboration's id (`file ID` shows them).
    #[arg(long, value_name = "ID")]
    collaboration: Option<String>,
    /// Only show the preview (the default without --yes).
    #[arg(long, conflicts_with = "yes")]
    dry_run: bool,
    /// Confirm: send the changes the preview shows.
    #[arg(long)]
    yes: bool,
}

/// What a policy matches (`policy add`, `policy test`).
#[derive(Args)]
pub struct MatchArgs {
    /// Finding kinds (repeat for several).
    #[arg(long = "kind", value_parser = ["public_link", "company_link", "external_collaborator", "externally_owned", "sensitive_content"])]
    kinds: Vec<String>,
    /// Detectors (repeat for several): credit_card, us_ssn, iban, email, phone, aws_access_key, private_key.
    #[arg(long = "detector")]
    detectors: Vec<String>,
    #[arg(long, value_parser = ["critical", "high", "medium", "low"])]
    min_severity: Option<String>,
    /// Only high-confidence content findings.
    #[arg(long)]
    high_confidence: bool,
    /// Files that also hold a content finding of this detector.
    #[arg(long = "file-has")]
    file_has_detector: Option<String>,
    #[arg(long)]
    owner: Option<String>,
    /// Box path prefix, e.g. "All Files/Finance".
    #[arg(long)]
    path_prefix: Option<String>,
}

impl MatchArgs {
    fn matches(&self) -> PolicyMatch {
        PolicyMatch {
            kinds: self
                .kinds
                .iter()
                .filter_map(|k| FindingKind::parse(k))
                .collect(),
            detectors: self.detectors.clone(),
            min_confidence: self.high_confidence.then(|| "high".to_owned()),
            min_severity: self.min_severity.as_deref().and_then(Severity::parse),
            file_has_detector: self.file_has_detector.clone(),
            owner_login: self.owner.clone(),
            path_prefix: self.path_prefix.clone(),
        }
    }
}

#[derive(Subcommand)]
pub enum PolicyAction {
    /// Every policy.
    List,
    /// Add a rule that raises alerts (and with --auto-act, acts on its own).
    Add {
        name: String,
        #[command(flatten)]
        matches: MatchArgs,
        /// The action on a match (only taken with --auto-act).
        #[arg(long, value_enum)]
        action: Option<ActArg>,
        /// Act on every match opened from now on, without asking (each action
        /// is still in the audit log; what matches already is previewed with
        /// `policy backlog`).
        #[arg(long, requires = "action")]
        auto_act: bool,
        /// Actions a day at most for an acting policy (alerts say when it is reached).
        #[arg(long, value_name = "N")]
        daily_cap: Option<u32>,
    },
    /// The matches an acting policy found open when it was enabled (it does
    /// not act on those by itself): previewed, and changed with --yes.
    Backlog {
        policy_id: i64,
        /// Confirm: send the changes the preview shows.
        #[arg(long)]
        yes: bool,
    },
    /// Dry run: what the rule would match today (nothing is raised or sent).
    Test {
        #[command(flatten)]
        matches: MatchArgs,
    },
    /// Remove a policy (its alerts go; the audit log keeps what it did).
    Remove { policy_id: i64 },
    /// Run the enabled policies over new findings now: raise alerts, and act where set.
    Run,
    /// Alerts the policies raised, unacknowledged first.
    Alerts {
        /// Acknowledged ones too.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditAction {
    /// Write the whole audit log to a CSV or JSON file.
    Export {
        #[arg(long, value_parser = ["csv", "json"])]
        format: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Finish the actions an earlier run left unfinished (each step is
    /// checked against Box first, so none is sent twice).
    Resume,
}

/// Actions an earlier run left unfinished are taken up first (checked
/// against Box, never sent twice); without Box they wait, and say so.
async fn resume_first(app: &App, out: &Output) {
    match app.resume_interrupted_actions().await {
        Ok(done) if !done.is_empty() && !out.json => {
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
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::NotConnected => {}
        Err(e) if !out.json => eprintln!("Interrupted actions wait: {} {}", e.message, e.hint),
        Err(_) => {}
    }
}

pub async fn act(app: &App, args: ActArgs, out: &Output) -> Result<u8, UserError> {
    resume_first(app, out).await;
    let request = ActionRequest {
        kind: args.action.kind(),
        item_type: if args.folder {
            ItemType::Folder
        } else {
            ItemType::File
        },
        item_id: args.item_id,
        access: args.access.as_deref().map(|a| match a {
            "collaborators" => LinkAccess::Collaborators,
            _ => LinkAccess::Company,
        }),
        disable_download: args.no_download,
        expires_at: args.expires,
        collaboration_id: args.collaboration,
    };
    let preview = app.preview_action(request).await?;
    if !args.yes || args.dry_run {
        out.preview(&preview);
        return Ok(if preview.refused.is_some() {
            exit::FAILED
        } else {
            exit::DONE
        });
    }
    if let Some(why) = &preview.refused {
        out.preview(&preview);
        return Err(why.clone());
    }
    let entry = app.perform_action(&preview.preview_id).await?;
    out.audit_entries(std::slice::from_ref(&entry));
    Ok(match entry.state {
        AuditState::Done | AuditState::Unchanged => exit::DONE,
        _ => exit::FAILED,
    })
}

pub async fn policy(app: &App, action: PolicyAction, out: &Output) -> Result<u8, UserError> {
    match action {
        PolicyAction::List => out.policies(&app.policies().await?),
        PolicyAction::Add {
            name,
            matches,
            action,
            auto_act,
            daily_cap,
        } => {
            let p = app
                .add_policy(NewPolicy {
                    name,
                    matches: matches.matches(),
                    action: action.map(ActArg::kind),
                    auto_act,
                    daily_cap,
                })
                .await?;
            out.policies(std::slice::from_ref(&p));
            if p.auto_act && !out.json {
                let existing = app.test_policy(p.matches.clone()).await?.matched;
                if existing > 0 {
                    println!(
                        "{existing} findings match already: the policy acts only on new ones. Preview those with `policy backlog {}`.",
                        p.policy_id
                    );
                }
            }
        }
        PolicyAction::Backlog { policy_id, yes } => {
            let preview = app.preview_policy_backlog(policy_id).await?;
            if !yes {
                out.bulk_preview(&preview);
                return Ok(exit::DONE);
            }
            let batch = app.start_bulk(&preview.preview_id).await?;
            let progress = app.run_bulk(batch).await?;
            out.bulk_progress(&progress);
            return Ok(if progress.failed > 0 {
                exit::FAILED
            } else {
                exit::DONE
            });
        }
        PolicyAction::Test { matches } => out.dry_run(&app.test_policy(matches.matches()).await?),
        PolicyAction::Remove { policy_id } => {
            app.remove_policy(policy_id).await?;
            if !out.json {
                println!("Policy {policy_id} removed.");
            }
        }
        PolicyAction::Run => {
            resume_first(app, out).await;
            out.alerts(&app.evaluate_policies().await?);
        }
        PolicyAction::Alerts { all } => out.alerts(&app.alerts(all, 200).await?),
    }
    Ok(exit::DONE)
}

pub async fn audit(
    app: &App,
    action: Option<AuditAction>,
    limit: u32,
    out: &Output,
) -> Result<u8, UserError> {
    // Reading the log sends nothing to Box; only `audit resume` finishes actions.
    match action {
        None => {
            let page = app.audit(AuditFilter::default(), 0, limit).await?;
            out.audit_entries(&page.rows);
        }
        Some(AuditAction::Export { format, out: path }) => {
            let format = if format == "json" {
                ExportFormat::Json
            } else {
                ExportFormat::Csv
            };
            let report = app.export_audit(format, &path).await?;
            out.exported(&report, "audit entries");
        }
        Some(AuditAction::Resume) => {
            let finished = app.resume_interrupted_actions().await?;
            out.audit_entries(&finished);
        }
    }
    Ok(exit::DONE)
}
