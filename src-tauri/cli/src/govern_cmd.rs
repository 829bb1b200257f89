//! `act`, `policy` and `audit`: governance from a terminal. `act` prints its
//! preview and changes nothing unless `--yes` confirms it; every change is
//! in the audit log, which `audit` prints and exports (offline, sending
//! nothing to Box; `audit resume` finishes what an earlier run left).

use connector_core::app::App;
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::findings::ExportFormat;
use connector_core::ipc::govern::{
    ActionRequest, AuditFilter, AuditState, ItemType, LinkAccess, NewPolicy,
};

use crate::args::{ActArg, ActArgs, AuditAction, PolicyAction};
use crate::exit;
use crate::output::Output;

/// Actions an earlier run left unfinished are taken up first (checked
/// against Box, never sent twice); without Box they wait, and say so.
async fn resume_first(app: &App, out: &Output) {
    match app.resume_interrupted_actions().await {
        Ok(done) => out.resumed_first(&done),
        Err(e) if e.code == ErrorCode::NotConnected => {}
        Err(e) => out.resume_waits(&e),
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
                out.policy_backlog_waits(existing, p.policy_id);
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
            out.policy_removed(policy_id);
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
