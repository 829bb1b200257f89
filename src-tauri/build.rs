fn main() {
    // App commands are declared here so each gets an `allow-<name>` permission
    // and the window can call only what capabilities/main.json grants.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_start",
            "select_datacenter",
            "set_client_secret",
            "save_custom_settings",
            "connect",
            "cancel_connect",
            "submit_redirect_url",
            "run_api_test",
            "disconnect",
            "move_database_aside",
            "scan_status",
            "scan_queue",
            "scan_events",
            "event_days",
            "scan_throughput",
            "file_detail",
            "pause_scan",
            "resume_scan",
            "findings",
            "findings_summary",
            "finding_detail",
            "open_file_in_box",
            "export_findings",
        ]),
    ))
    .expect("tauri-build failed");
}
