//! Box Connector's desktop shell: one window over connector-core. Commands
//! parse their arguments, call one core function and map the result; all
//! behaviour lives in core, where the CLI and the tests reach it too.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod commands;
mod config;
mod embedded_sandbox;
mod logging;
mod tray;
mod watch;
mod window;

use connector_core::app::{App, AppConfig};
use tauri::Manager;

fn main() {
    // Started as a file reader for the scan: serve, then exit (no window).
    connector_core::inspect::isolation::serve_if_requested();
    let mut builder = tauri::Builder::default();
    // A second launch focuses the running window instead of opening another
    // app on the same database and keychain entries. Dev builds skip it so a
    // dev and an installed app can run side by side.
    if !tauri::is_dev() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            window::bring_to_front(app);
        }));
    }
    builder
        .plugin(logging::plugin())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        // The export's save dialog (the UI asks for a path, core writes the file).
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let config = config::ShellConfig::resolve()?;
            // The same configuration the CLI reads (keychain service override included).
            let core_config = AppConfig::from_env(config.data_dir.clone());
            log::info!(
                "Box Connector {} starting: data dir {}, keychain service {}",
                app.package_info().version,
                core_config.data_dir.display(),
                core_config.keychain_service
            );
            let opened = tauri::async_runtime::block_on(App::open_with_embedded_box(
                core_config,
                embedded_sandbox::embedded_sandbox(),
            ));
            if let Ok(core) = &opened {
                match tray::Tray::create(app.handle()) {
                    Ok(tray) => {
                        app.manage(tray);
                    }
                    // No tray on this desktop: the window still shows everything.
                    Err(e) => log::warn!("no tray icon: {e}"),
                }
                watch::spawn(app.handle().clone(), core.clone());
                // From here on core scans whenever it is connected.
                let core = core.clone();
                tauri::async_runtime::spawn(async move { core.start_background_scanning().await });
            }
            if let Err(e) = &opened {
                log::error!("core did not open: {} ({:?})", e.message, e.code);
            }
            app.manage(commands::Core::new(opened));
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!())
        .expect("error while building Box Connector")
        .run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                // Last call rows to the store, a clean close of it, and a
                // last try at a keychain write that failed.
                if let Some(core) = handle.try_state::<commands::Core>() {
                    tauri::async_runtime::block_on(core.shutdown());
                }
            }
        });
}
