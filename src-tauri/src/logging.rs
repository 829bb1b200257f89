//! tauri-plugin-log: the app's and core's log lines (core logs through
//! `tracing`, whose `log` feature forwards to this) go to the log directory
//! and stdout. Core never logs secrets; this sink adds nothing of its own.

use tauri::plugin::TauriPlugin;
use tauri::Runtime;
use tauri_plugin_log::{RotationStrategy, Target, TargetKind};

use crate::config;

pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    // Beside the database, in the data dir the CLI shares.
    let file = TargetKind::Folder {
        path: config::data_dir().join("logs"),
        file_name: None,
    };
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(Target::new(file))
        .target(Target::new(TargetKind::Stdout))
        .level(log::LevelFilter::Info)
        // The webview's own chatter is not useful in the file.
        .level_for("tao", log::LevelFilter::Warn)
        .level_for("wry", log::LevelFilter::Warn)
        .max_file_size(2_000_000)
        .rotation_strategy(RotationStrategy::KeepSome(5))
        .build()
}
