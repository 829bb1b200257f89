//! What the shell does with core's events whether or not a page listens:
//! raise the window when the browser comes back from Box, keep the tray
//! current, and send the desktop notifications core's `notices` decides on
//! (policy alerts gathered into one per burst).

use connector_core::app::notices::{AlertBurst, News, Notice};
use connector_core::app::App;
use connector_core::ipc::CoreEvent;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

use crate::tray::Tray;
use crate::window;

pub fn spawn<R: Runtime>(handle: AppHandle<R>, core: App) {
    let mut rx = core.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut news = News::default();
        let mut burst = AlertBurst::default();
        // What is so at start is the baseline, not news.
        news.on_snapshot(&core.snapshot().await);
        let status = core.scan_status().await;
        news.on_scan(&status);
        show_in_tray(&handle, &status);
        loop {
            let received = tokio::select! {
                received = rx.recv() => received,
                _ = tokio::time::sleep_until(burst.due().unwrap_or_else(tokio::time::Instant::now)), if burst.due().is_some() => {
                    if let Some(notice) = burst.take_due(tokio::time::Instant::now()) {
                        notify(&handle, &notice);
                    }
                    continue;
                }
            };
            let notice = match received {
                Ok(CoreEvent::BringToFront) => {
                    window::bring_to_front(&handle);
                    None
                }
                Ok(CoreEvent::ScanProgress { status }) => {
                    show_in_tray(&handle, &status);
                    news.on_scan(&status)
                }
                Ok(CoreEvent::SnapshotChanged { snapshot }) => news.on_snapshot(&snapshot),
                Ok(CoreEvent::AlertsRaised { alerts: raised }) => {
                    burst.push(raised, tokio::time::Instant::now());
                    None
                }
                Ok(_) => None,
                Err(RecvError::Lagged(_)) => {
                    let status = core.scan_status().await;
                    show_in_tray(&handle, &status);
                    let scan = news.on_scan(&status);
                    news.on_snapshot(&core.snapshot().await).or(scan)
                }
                Err(RecvError::Closed) => break,
            };
            if let Some(notice) = notice {
                notify(&handle, &notice);
            }
        }
    });
}

fn show_in_tray<R: Runtime>(handle: &AppHandle<R>, status: &connector_core::ipc::ScanStatus) {
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
