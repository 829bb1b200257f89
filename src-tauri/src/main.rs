//! Box Connector's desktop shell: one window over connector-core. Commands
//! parse their arguments, call one core function and map the result; all
//! behaviour lives in core, where the CLI and the tests reach it too.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod commands;
mod config;
mod logging;
mod window;

use connector_core::app::{App, AppConfig};
use connector_core::ipc::CoreEvent;
use tauri::Manager;

fn main() {
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
            let opened = tauri::async_runtime::block_on(App::open(core_config));
            if let Ok(core) = &opened {
                // The browser came back from Box's sign-in page: raise the window.
                let mut rx = core.subscribe();
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    loop {
                        match rx.recv().await {
                            Ok(CoreEvent::BringToFront) => window::bring_to_front(&handle),
                            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => break,
                        }
                    }
                });
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
