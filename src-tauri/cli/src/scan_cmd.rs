//! `scan`: the scanner in the foreground. On a terminal a progress bar
//! (indicatif) shows users, files and the ETA; `--json` prints the final
//! status. SIGINT and SIGTERM stop it cleanly: what is done is saved and
//! the next run picks up where this one stopped.

use std::io::IsTerminal;
use std::time::Duration;

use connector_core::app::{App, ScanMode, ScannerRole, PROGRESS_INTERVAL};
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::{CoreEvent, ScanState, ScanStatus};
use connector_core::wording;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::exit;
use crate::output::Output;
use crate::scan_output::eta_words;

pub async fn scan(app: &App, mode: ScanMode, out: &Output) -> Result<u8, UserError> {
    if app.scan_status().await.scan.state == ScanState::Paused {
        return Err(UserError::new(
            ErrorCode::InvalidInput,
            "The scan is paused, so there is nothing to run.",
            "Run `box-connector-cli resume` first (a pause made in the window counts too).",
        ));
    }
    let cancel = CancellationToken::new();
    let stopper = spawn_signal_stop(cancel.clone());
    let bar = (!out.json && std::io::stderr().is_terminal()).then(progress_bar);
    let shown = bar.clone();
    // Throttled, and resynced rather than ended when it falls behind core.
    let painter = tokio::spawn(app.event_feed(PROGRESS_INTERVAL).forward(move |event| {
        if let (CoreEvent::ScanProgress { status }, Some(bar)) = (event, &shown) {
            paint(bar, &status);
        }
        true
    }));
    let result = app.run_scan(mode, ScannerRole::Cli, cancel.clone()).await;
    painter.abort();
    stopper.abort();
    let status = app.scan_status().await;
    if let Some(bar) = &bar {
        paint(bar, &status);
        bar.finish();
    }
    result?;
    if out.json {
        out.print_json(&status);
    } else {
        out.scan_lines(&status);
        if cancel.is_cancelled() {
            println!("Stopped. The next `scan` continues where this one stopped.");
        }
    }
    Ok(exit::DONE)
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}\n  [{bar:40}] {pos}/{len} files scanned")
            .expect("a fixed template parses")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

fn paint(bar: &ProgressBar, status: &ScanStatus) {
    let scan = &status.scan;
    bar.set_length(scan.files_discovered.max(scan.files_scanned));
    bar.set_position(scan.files_scanned);
    let eta = scan
        .eta_seconds
        .map(|s| format!(", ETA {}", eta_words(Some(s))))
        .unwrap_or_default();
    bar.set_message(format!(
        "{}: users {}/{}, events {} (backfill {:.0}%), {:.0} files/min{eta}",
        wording::scan_sentence(status),
        scan.users_done,
        scan.users_total,
        status.events.ingested,
        status.events.backfill_done_ratio * 100.0,
        scan.files_per_minute,
    ));
}

/// Cancels on SIGINT (Ctrl-C) or SIGTERM.
fn spawn_signal_stop(cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = match signal(SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    cancel.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        cancel.cancel();
    })
}
