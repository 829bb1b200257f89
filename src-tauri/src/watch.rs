//! What the shell does with core's events whether or not a page listens
//! (core's `notices::follow` decides): raise the window when the browser
//! comes back from Box, keep the tray current, and show the desktop
//! notifications.

use connector_core::app::notices::{self, Desktop, Notice};
use connector_core::app::App;
use connector_core::ipc::ScanStatus;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::tray::Tray;
use crate::window;

pub fn spawn<R: Runtime>(handle: AppHandle<R>, core: App) {
    tauri::async_runtime::spawn(async move {
        notices::follow(&core, |shown| match shown {
            Desktop::BringToFront => window::bring_to_front(&handle),
            Desktop::Scan(status) => show_in_tray(&handle, &status),
            Desktop::Notify(notice) => notify(&handle, &notice),
        })
        .await;
    });
}

fn show_in_tray<R: Runtime>(handle: &AppHandle<R>, status: &ScanStatus) {
    if let Some(tray) = handle.try_state::<Tray<R>>() {
        tray.show(status);
    }
}

fn notify<R: Runtime>(handle: &AppHandle<R>, notice: &Notice) {
    log::info!("notification: {}: {}", notice.title, notice.body);
    let shown = handle
        .notification()
        .builder()
        .title(&notice.title)
        .body(&notice.body)
        .show();
    if let Err(e) = shown {
        // No notification service (a bare session): the window and tray still say it.
        log::warn!("could not show a notification: {e}");
    }
}
