//! IPC commands. Each parses its arguments, calls one function of
//! `connector_core::app::App` and maps the result: a fresh `Snapshot` on
//! success, `{code, message, hint}` (`UserError`) on failure. The scan's
//! commands answer with what they read (status, queue, events...), all of it
//! from the store, so they work offline; so do the findings' commands and
//! governance's reads (status, audit log, policies, alerts). The list in
//! `commands!` below is the one place a command is declared.

use chrono::{DateTime, Utc};
use std::path::PathBuf;

use connector_core::app::{App, PROGRESS_INTERVAL};
use connector_core::ipc::findings::{
    ExportFormat, ExportReport, FindingDetail, FindingsFilter, FindingsPage, FindingsSummary,
};
use connector_core::ipc::govern::{
    ActionKind, ActionPreview, ActionRequest, Alert, AuditEntry, AuditFilter, AuditPage,
    BulkPreview, BulkProgress, GovernanceStatus, NewPolicy, Policy, PolicyDryRun, PolicyMatch,
};
use connector_core::ipc::{
    CoreEvent, CustomSettings, EventDay, EventRow, FileDetail, QueueEntry, ScanStatus, Snapshot,
    ThroughputPoint,
};
use connector_core::keychain::Sensitive;
use connector_core::{ErrorCode, UserError};
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tauri::State;

/// Every IPC command, declared once. This list registers them with Tauri
/// ([`handler`]) and names them ([`NAMES`]) for the bindings test, which
/// generates the UI's callers from it and fails when a `#[tauri::command]`
/// function is missing here.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        /// Tauri's invoke handler for every command.
        pub fn handler<R: tauri::Runtime>(
        ) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// The commands' names, in the order the UI's callers are generated.
        #[cfg(test)]
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

commands![
    app_start,
    select_datacenter,
    set_client_secret,
    save_custom_settings,
    connect,
    cancel_connect,
    submit_redirect_url,
    run_api_test,
    disconnect,
    move_database_aside,
    scan_status,
    scan_queue,
    scan_events,
    event_days,
    scan_throughput,
    file_detail,
    pause_scan,
    resume_scan,
    findings,
    findings_summary,
    finding_detail,
    open_file_in_box,
    export_findings,
    governance_status,
    enable_governance,
    disable_governance,
    preview_action,
    perform_action,
    preview_bulk,
    perform_bulk,
    bulk_progress,
    audit,
    export_audit,
    policies,
    add_policy,
    remove_policy,
    set_policy_enabled,
    preview_policy_backlog,
    test_policy,
    alerts,
    acknowledge_alerts,
];

/// The core facade, or why it could not open (shown by the UI at start).
pub struct Core {
    app: Result<App, UserError>,
    /// The task forwarding core events to the current page's Channel
    /// (replaced when the page reloads and subscribes again).
    forwarder: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Core {
    pub fn new(app: Result<App, UserError>) -> Self {
        Core {
            app,
            forwarder: std::sync::Mutex::new(None),
        }
    }

    pub fn app(&self) -> Result<&App, UserError> {
        self.app.as_ref().map_err(Clone::clone)
    }

    /// On quit: core's shutdown; a sign-in that could not be saved is logged.
    pub async fn shutdown(&self) {
        if let Ok(app) = &self.app {
            if let Some(unsaved) = app.shutdown().await {
                log::error!("{} {}", unsaved.message, unsaved.hint);
            }
        }
    }
}

type Reply = Result<Snapshot, UserError>;

/// The one start-up command: subscribes `events` to core's pushed events and
/// returns the state to start from.
#[tauri::command]
pub async fn app_start(core: State<'_, Core>, events: Channel<CoreEvent>) -> Reply {
    let app = core.app()?.clone();
    let feed = app.event_feed(PROGRESS_INTERVAL);
    let task = tauri::async_runtime::spawn(feed.forward(move |event| events.send(event).is_ok()));
    if let Some(old) = core.forwarder.lock().expect("forwarder lock").replace(task) {
        old.abort();
    }
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn select_datacenter(core: State<'_, Core>, id: String) -> Reply {
    let app = core.app()?;
    app.select_datacenter(&id).await?;
    Ok(app.snapshot().await)
}

/// Asked once per data center; goes straight to the keychain.
#[tauri::command]
pub async fn set_client_secret(
    core: State<'_, Core>,
    datacenter_id: String,
    secret: String,
) -> Reply {
    let app = core.app()?;
    app.set_client_secret(&datacenter_id, Sensitive::new(secret))
        .await?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn save_custom_settings(core: State<'_, Core>, settings: CustomSettings) -> Reply {
    let app = core.app()?;
    app.set_custom_settings(settings).await?;
    Ok(app.snapshot().await)
}

/// Signs in to the selected data center; resolves when the sign-in ends.
/// Progress (link to copy, window to the front) arrives as events meanwhile.
#[tauri::command]
pub async fn connect(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.connect().await?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn cancel_connect(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.cancel_connect();
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn submit_redirect_url(core: State<'_, Core>, url: String) -> Reply {
    let app = core.app()?;
    app.submit_redirect_url(&url)?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn run_api_test(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.run_api_test().await?;
    Ok(app.snapshot().await)
}

/// Revokes at Box and forgets the tokens; a revoke Box could not confirm
/// comes back in the snapshot's `connection.error`.
#[tauri::command]
pub async fn disconnect(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.disconnect().await?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn move_database_aside(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.move_database_aside().await?;
    Ok(app.snapshot().await)
}

/// Where the scan and the event feeds stand (never fails: read from the store).
#[tauri::command]
pub async fn scan_status(core: State<'_, Core>) -> Result<ScanStatus, UserError> {
    Ok(core.app()?.scan_status().await)
}

/// The queue, front first.
#[tauri::command]
pub async fn scan_queue(core: State<'_, Core>, limit: u32) -> Result<Vec<QueueEntry>, UserError> {
    core.app()?.scan_queue(limit).await
}

/// The latest events, newest first; `since` is RFC 3339, `kind` one of
/// modify / share / read / delete / other.
#[tauri::command]
pub async fn scan_events(
    core: State<'_, Core>,
    since: Option<String>,
    kind: Option<String>,
    limit: u32,
) -> Result<Vec<EventRow>, UserError> {
    let since = since.as_deref().map(parse_time).transpose()?;
    core.app()?.scan_events(since, kind, limit).await
}

/// The backfill window's days, events counted by kind.
#[tauri::command]
pub async fn event_days(core: State<'_, Core>) -> Result<Vec<EventDay>, UserError> {
    core.app()?.event_days().await
}

/// Files scanned and folders listed per minute, over the last `minutes`.
#[tauri::command]
pub async fn scan_throughput(
    core: State<'_, Core>,
    minutes: u32,
) -> Result<Vec<ThroughputPoint>, UserError> {
    core.app()?.scan_throughput(minutes).await
}

/// One file's story; `null` when the scan has never seen it.
#[tauri::command]
pub async fn file_detail(
    core: State<'_, Core>,
    file_id: String,
) -> Result<Option<FileDetail>, UserError> {
    core.app()?.file_detail(&file_id).await
}

#[tauri::command]
pub async fn pause_scan(core: State<'_, Core>) -> Result<ScanStatus, UserError> {
    let app = core.app()?;
    app.pause_scan().await?;
    Ok(app.scan_status().await)
}

#[tauri::command]
pub async fn resume_scan(core: State<'_, Core>) -> Result<ScanStatus, UserError> {
    let app = core.app()?;
    app.resume_scan().await?;
    Ok(app.scan_status().await)
}

/// The findings that match `filter`, a page at a time, with their total.
#[tauri::command]
pub async fn findings(
    core: State<'_, Core>,
    filter: FindingsFilter,
    limit: u32,
    offset: u32,
) -> Result<FindingsPage, UserError> {
    core.app()?.findings(&filter, limit, offset).await
}

/// Open findings counted by kind, severity, detector and owner, and the
/// inspection's progress.
#[tauri::command]
pub async fn findings_summary(core: State<'_, Core>) -> Result<FindingsSummary, UserError> {
    core.app()?.findings_summary().await
}

/// One finding's story; `null` when there is no such finding.
#[tauri::command]
pub async fn finding_detail(
    core: State<'_, Core>,
    finding_id: i64,
) -> Result<Option<FindingDetail>, UserError> {
    core.app()?.finding_detail(finding_id).await
}

/// Opens the file in Box's web app in the system browser; answers its URL.
#[tauri::command]
pub async fn open_file_in_box(core: State<'_, Core>, file_id: String) -> Result<String, UserError> {
    core.app()?.open_file_in_box(&file_id).await
}

/// Writes the findings that match `filter` to `path` (picked in the save
/// dialog), whole or not at all.
#[tauri::command]
pub async fn export_findings(
    core: State<'_, Core>,
    filter: FindingsFilter,
    format: ExportFormat,
    path: String,
) -> Result<ExportReport, UserError> {
    core.app()?
        .export_findings(&filter, format, &PathBuf::from(path))
        .await
}

/// Whether governance is on and what Box granted (read from the store: offline too).
#[tauri::command]
pub async fn governance_status(core: State<'_, Core>) -> Result<GovernanceStatus, UserError> {
    core.app()?.governance_status().await
}

/// Turns governance on: signs in again in the browser, asking Box for the
/// write scope (`root_readwrite`); resolves when that sign-in ends.
#[tauri::command]
pub async fn enable_governance(core: State<'_, Core>) -> Result<GovernanceStatus, UserError> {
    core.app()?.enable_governance().await
}

#[tauri::command]
pub async fn disable_governance(core: State<'_, Core>) -> Result<GovernanceStatus, UserError> {
    core.app()?.disable_governance().await
}

/// What an action would change, read from Box; nothing is sent.
#[tauri::command]
pub async fn preview_action(
    core: State<'_, Core>,
    request: ActionRequest,
) -> Result<ActionPreview, UserError> {
    core.app()?.preview_action(request).await
}

/// The confirmation: sends what the preview showed and answers its audit entry.
#[tauri::command]
pub async fn perform_action(
    core: State<'_, Core>,
    preview_id: String,
) -> Result<AuditEntry, UserError> {
    core.app()?.perform_action(&preview_id).await
}

/// Every item a bulk action over `filter` would change (from the store).
#[tauri::command]
pub async fn preview_bulk(
    core: State<'_, Core>,
    filter: FindingsFilter,
    kind: ActionKind,
) -> Result<BulkPreview, UserError> {
    core.app()?.preview_bulk(filter, kind).await
}

/// Starts a confirmed bulk action; its progress comes as `action_progress` events.
#[tauri::command]
pub async fn perform_bulk(
    core: State<'_, Core>,
    preview_id: String,
) -> Result<BulkProgress, UserError> {
    core.app()?.perform_bulk(&preview_id).await
}

#[tauri::command]
pub async fn bulk_progress(
    core: State<'_, Core>,
    batch_id: i64,
) -> Result<Option<BulkProgress>, UserError> {
    core.app()?.bulk_progress(batch_id).await
}

/// The audit log, newest first, a page at a time (from the store: offline too).
#[tauri::command]
pub async fn audit(
    core: State<'_, Core>,
    filter: AuditFilter,
    offset: u32,
    limit: u32,
) -> Result<AuditPage, UserError> {
    core.app()?.audit(filter, offset, limit).await
}

/// Writes the whole audit log to `path` (picked in the save dialog).
#[tauri::command]
pub async fn export_audit(
    core: State<'_, Core>,
    format: ExportFormat,
    path: String,
) -> Result<ExportReport, UserError> {
    core.app()?.export_audit(format, &PathBuf::from(path)).await
}

#[tauri::command]
pub async fn policies(core: State<'_, Core>) -> Result<Vec<Policy>, UserError> {
    core.app()?.policies().await
}

#[tauri::command]
pub async fn add_policy(core: State<'_, Core>, policy: NewPolicy) -> Result<Policy, UserError> {
    core.app()?.add_policy(policy).await
}

/// Removes a policy; answers the policies left.
#[tauri::command]
pub async fn remove_policy(
    core: State<'_, Core>,
    policy_id: i64,
) -> Result<Vec<Policy>, UserError> {
    let app = core.app()?;
    app.remove_policy(policy_id).await?;
    app.policies().await
}

#[tauri::command]
pub async fn set_policy_enabled(
    core: State<'_, Core>,
    policy_id: i64,
    enabled: bool,
) -> Result<Policy, UserError> {
    core.app()?.set_policy_enabled(policy_id, enabled).await
}

/// An acting policy's matches from before it was enabled (it leaves them
/// alone), as a bulk preview; confirmed with `perform_bulk`.
#[tauri::command]
pub async fn preview_policy_backlog(
    core: State<'_, Core>,
    policy_id: i64,
) -> Result<BulkPreview, UserError> {
    core.app()?.preview_policy_backlog(policy_id).await
}

/// What a rule would match today: nothing is raised or sent.
#[tauri::command]
pub async fn test_policy(
    core: State<'_, Core>,
    matches: PolicyMatch,
) -> Result<PolicyDryRun, UserError> {
    core.app()?.test_policy(matches).await
}

/// Alerts, unacknowledged first.
#[tauri::command]
pub async fn alerts(
    core: State<'_, Core>,
    include_acknowledged: bool,
    limit: u32,
) -> Result<Vec<Alert>, UserError> {
    core.app()?.alerts(include_acknowledged, limit).await
}

/// Acknowledges alerts; answers the governance status (its open-alert count).
#[tauri::command]
pub async fn acknowledge_alerts(
    core: State<'_, Core>,
    alert_ids: Vec<i64>,
) -> Result<GovernanceStatus, UserError> {
    let app = core.app()?;
    app.acknowledge_alerts(alert_ids).await?;
    app.governance_status().await
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, UserError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            UserError::new(
                ErrorCode::InvalidInput,
                format!("{text:?} is not a date and time ({e})."),
                "Give it as RFC 3339, e.g. 2026-12-01T09:30:00Z.",
            )
        })
}
