//! Box Connector's desktop shell: one window over connector-core. Commands
//! parse their arguments, call one core function and map the result; all
//! behaviour lives in core, where the CLI and the tests reach it too.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod alerts;
mod bindings;
mod commands;
mod config;
mod embedded_sandbox;
mod forward;
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
        .invoke_handler(tauri::generate_handler![
            commands::app_start,
            commands::select_datacenter,
            commands::set_client_secret,
            commands::save_custom_settings,
            commands::connect,
            commands::cancel_connect,
            commands::submit_redirect_url,
            commands::run_api_test,
            commands::disconnect,
            commands::move_database_aside,
            commands::scan_status,
            commands::scan_queue,
            commands::scan_events,
            commands::event_days,
            commands::scan_throughput,
            commands::file_detail,
            commands::pause_scan,
            commands::resume_scan,
            commands::findings,
            commands::findings_summary,
            commands::finding_detail,
            commands::open_file_in_box,
            commands::export_findings,
            commands::governance_status,
            commands::enable_governance,
            commands::disable_governance,
            commands::preview_action,
            commands::perform_action,
            commands::preview_bulk,
            commands::perform_bulk,
            commands::bulk_progress,
            commands::audit,
            commands::export_audit,
            commands::policies,
            commands::add_policy,
            commands::remove_policy,
            commands::set_policy_enabled,
            commands::preview_policy_backlog,
            commands::test_policy,
            commands::alerts,
            commands::acknowledge_alerts,
        ])
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
