//! The tray icon: the scan's state in its tooltip and at the top of its menu,
//! Pause / Resume, Show window, Quit. (Linux trays show no tooltips, hence
//! the state in the menu too.)

use std::sync::Mutex;

use connector_core::ipc::{ScanState, ScanStatus};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

use crate::alerts::thousands;
use crate::commands::Core;
use crate::window;

const STATUS: &str = "scan-status";
const TOGGLE: &str = "scan-toggle";
const SHOW: &str = "show-window";
const QUIT: &str = "quit";

pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    status: MenuItem<R>,
    toggle: MenuItem<R>,
    /// What is shown now: the state decides what Pause / Resume does.
    shown: Mutex<Option<(ScanState, String)>>,
}

impl<R: Runtime> Tray<R> {
    pub fn create(app: &AppHandle<R>) -> tauri::Result<Tray<R>> {
        let status = MenuItem::with_id(app, STATUS, "Scan: not started", false, None::<&str>)?;
        let toggle = MenuItem::with_id(app, TOGGLE, "Pause scan", false, None::<&str>)?;
        let show = MenuItem::with_id(app, SHOW, "Show window", true, None::<&str>)?;
        let quit = MenuItem::with_id(app, QUIT, "Quit Box Connector", true, None::<&str>)?;
        let menu = Menu::with_items(
            app,
            &[
                &status,
                &toggle,
                &PredefinedMenuItem::separator(app)?,
                &show,
                &quit,
            ],
        )?;
        let mut builder = TrayIconBuilder::with_id("main")
            .tooltip("Box Connector")
            .menu(&menu)
            .show_menu_on_left_click(true)
            .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
        if let Some(icon) = app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        let icon = builder.build(app)?;
        Ok(Tray {
            icon,
            status,
            toggle,
            shown: Mutex::new(None),
        })
    }

    /// Shows `status`; does nothing when the words would not change.
    pub fn show(&self, status: &ScanStatus) {
        let text = describe(status);
        let state = status.scan.state;
        {
            let mut shown = self.shown.lock().expect("tray lock");
            if shown.as_ref() == Some(&(state, text.clone())) {
                return;
            }
            *shown = Some((state, text.clone()));
        }
        let paused = state == ScanState::Paused;
        let results = [
            self.status.set_text(format!("Scan: {text}")),
            self.toggle
                .set_text(if paused { "Resume scan" } else { "Pause scan" }),
            self.toggle.set_enabled(status.connection_id.is_some()),
            self.icon
                .set_tooltip(Some(format!("Box Connector — scan: {text}"))),
        ];
        for e in results.into_iter().filter_map(Result::err) {
            log::warn!("tray update failed: {e}");
        }
    }

    fn paused(&self) -> bool {
        matches!(
            *self.shown.lock().expect("tray lock"),
            Some((ScanState::Paused, _))
        )
    }
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        TOGGLE => {
            let resume = app.try_state::<Tray<R>>().is_some_and(|t| t.paused());
            let handle = app.clone();
            tauri::async_runtime::spawn(async move {
                let Some(core) = handle.try_state::<Core>() else {
                    return;
                };
                let Ok(app) = core.app() else { return };
                let done = if resume {
                    app.resume_scan().await
                } else {
                    app.pause_scan().await
                };
                if let Err(e) = done {
                    log::warn!("tray pause/resume: {} ({:?})", e.message, e.code);
                }
                let status = app.scan_status().await;
                if let Some(tray) = handle.try_state::<Tray<R>>() {
                    tray.show(&status);
                }
            });
        }
        SHOW => window::bring_to_front(app),
        QUIT => app.exit(0),
        _ => {}
    }
}

/// The scan in a few words: "scanning, 25% of 12,000 files".
pub fn describe(status: &ScanStatus) -> String {
    let scan = &status.scan;
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

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing;

    fn status(state: &str, scanned: u64, discovered: u64) -> ScanStatus {
        let state = serde_json::from_value(serde_json::json!(state)).unwrap();
        testing::scan_status(state, scanned, discovered)
    }

    #[test]
    fn the_tray_words_the_state_with_the_share_scanned() {
        assert_eq!(
            describe(&status("running", 3_000, 12_000)),
            "scanning, 25% of 12,000 files"
        );
        assert_eq!(
            describe(&status("paused", 3_000, 12_000)),
            "paused at 25% of 12,000 files"
        );
        assert_eq!(
            describe(&status("idle", 12_000, 12_000)),
            "up to date, 12,000 files"
        );
        assert_eq!(describe(&status("running", 0, 0)), "scanning, no files yet");
        // A rescan can count past what the walk found: never over 100%.
        assert_eq!(
            describe(&status("offline", 13, 12)),
            "offline, waiting for Box (100% of 12 files)"
        );
    }
}
