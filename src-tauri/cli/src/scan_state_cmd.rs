//! What the scan keeps in the database, and how it is set: `settings`,
//! `pause` and `resume` (remembered, so the window's scanner obeys them
//! too), and the offline reads `queue`, `events` and `file`. None of these
//! calls Box; running the scan is `scan_cmd`.

use chrono::{DateTime, Utc};
use connector_core::app::App;
use connector_core::error::{ErrorCode, UserError};

use crate::args::{SettingsAction, NAME};
use crate::exit;
use crate::output::Output;

pub async fn settings(
    app: &App,
    action: Option<SettingsAction>,
    out: &Output,
) -> Result<u8, UserError> {
    if let Some(SettingsAction::Set { key, value }) = action {
        app.set_scan_setting(&key, value).await?;
    }
    out.scan_settings(&app.scan_settings().await?);
    Ok(exit::DONE)
}

pub async fn pause(app: &App, out: &Output) -> Result<u8, UserError> {
    app.pause_scan().await?;
    out.scan_paused(true);
    Ok(exit::DONE)
}

pub async fn resume(app: &App, out: &Output) -> Result<u8, UserError> {
    app.resume_scan().await?;
    out.scan_paused(false);
    Ok(exit::DONE)
}

pub async fn queue(app: &App, limit: u32, out: &Output) -> Result<u8, UserError> {
    out.queue(&app.scan_queue(limit).await?);
    Ok(exit::DONE)
}

pub async fn events(
    app: &App,
    since: Option<DateTime<Utc>>,
    kind: Option<String>,
    limit: u32,
    out: &Output,
) -> Result<u8, UserError> {
    out.events(&app.scan_events(since, kind, limit).await?);
    Ok(exit::DONE)
}

pub async fn file(app: &App, file_id: &str, out: &Output) -> Result<u8, UserError> {
    match app.file_detail(file_id).await? {
        Some(file) => {
            out.file(&file);
            Ok(exit::DONE)
        }
        None => Err(UserError::new(
            ErrorCode::InvalidInput,
            format!("The scan has not met a file with id {file_id}."),
            format!("Check the id (Box shows it in the file's address), or run `{NAME} scan --until-idle` first."),
        )),
    }
}
