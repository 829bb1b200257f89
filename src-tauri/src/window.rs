//! The one main window.

use tauri::{AppHandle, Manager, Runtime};

pub const MAIN: &str = "main";

/// Raises the main window: a second launch, or the browser came back from
/// Box's sign-in page.
pub fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let _ = window.unminimize();
    let _ = window.show();
    if let Err(e) = window.set_focus() {
        log::warn!("could not focus the main window: {e}");
    }
}
