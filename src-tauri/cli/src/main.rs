//! `box-connector-cli`: the app's connect flow, API test, status and
//! database care without a window, over the same `connector_core::app::App`.
//!
//! Words come from `connector_core::wording` (the window's, with commands in
//! place of buttons); exit codes from `exit`. Errors print their message and
//! hint (or `{code,message,hint}` with `--json`).
//!
//! Where things are: the command line in `args` (its man page and
//! completions in `docs`), each command's work in a `*_cmd` module and its
//! printing in a `*_output` module. This file starts the runtime and
//! dispatches: `dispatch` reads as the table of commands.

mod args;
mod connect_cmd;
mod connect_output;
mod database_cmd;
mod database_output;
mod docs;
mod embedded_sandbox;
mod exit;
mod findings_cmd;
mod findings_output;
mod govern_cmd;
mod govern_output;
mod integrity;
mod output;
mod scan_cmd;
mod scan_output;
mod scan_state_cmd;

use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use connector_core::app::{self, App, AppConfig, BrowserLauncher};
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::Snapshot;
use connector_core::store::DATABASE_FILE_NAME;
use connector_core::wording;

use args::{Cli, Command, DatabaseAction, NAME};
use output::Output;

fn main() -> ExitCode {
    // Started as a file reader for a scan (its own or the window's): serve, then exit.
    connector_core::inspect::isolation::serve_if_requested();
    let cli = Cli::parse();
    // These need no data: they print what the clap definitions say.
    let printed = match &cli.command {
        Command::Completions { shell } => Some(docs::completions(Cli::command(), *shell, NAME)),
        Command::Man { out_dir } => Some(docs::man(Cli::command(), out_dir.as_deref())),
        _ => None,
    };
    if let Some(result) = printed {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: could not write it: {e}");
                ExitCode::from(exit::FAILED)
            }
        };
    }
    let out = Output { json: cli.json };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            out.error(&UserError::new(
                ErrorCode::Internal,
                format!("Could not start: {e}."),
                "Check the system's limits on threads and open files, then try again.",
            ));
            return ExitCode::from(exit::FAILED);
        }
    };
    ExitCode::from(runtime.block_on(run(cli, &out)))
}

/// Runs the command; returns its exit code.
async fn run(cli: Cli, out: &Output) -> u8 {
    let mut config = AppConfig::from_env(app::default_data_dir());
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Command::Connect(args) = &cli.command {
        if args.no_browser {
            config.browser = BrowserLauncher::Disabled;
        }
        config.sign_in_timeout = Duration::from_secs(args.timeout_secs);
    }
    let db_path = config.data_dir.join(DATABASE_FILE_NAME);
    let app = match App::open_with_embedded_box(config, embedded_sandbox::embedded_sandbox()).await
    {
        Ok(app) => app,
        Err(err) => return out.fail(wording::for_cli(err, None, &db_path)),
    };
    let snapshot = app.snapshot().await;
    let datacenter = snapshot.connection.datacenter_id.clone();
    let result = dispatch(cli.command, &app, snapshot, out).await;
    // Box calls are logged in batches and the store notes a clean close:
    // both before exiting. A rotated sign-in the keychain refused dies here.
    if let Some(unsaved) = app.shutdown().await {
        out.error(&unsaved);
        return exit::FAILED;
    }
    match result {
        Ok(code) => code,
        Err(err) => out.fail(wording::for_cli(err, datacenter.as_deref(), &db_path)),
    }
}

/// Whether a command stops first when the local database cannot be used.
/// `status` and `database` report on a broken database instead; `man` and
/// `completions` never open it.
fn needs_usable_database(command: &Command) -> bool {
    !matches!(
        command,
        Command::Status
            | Command::Database { .. }
            | Command::Completions { .. }
            | Command::Man { .. }
    )
}

/// One command, one call: the table of what each command runs.
async fn dispatch(
    command: Command,
    app: &App,
    snapshot: Snapshot,
    out: &Output,
) -> Result<u8, UserError> {
    if needs_usable_database(&command) {
        database_cmd::usable(&snapshot)?;
    }
    match command {
        Command::Connect(args) => connect_cmd::connect(app, args, out).await,
        Command::TestApi => connect_cmd::test_api(app, out).await,
        Command::Status => connect_cmd::status(app, &snapshot, out).await,
        Command::Disconnect => connect_cmd::disconnect(app, out).await,
        Command::Governance { action } => connect_cmd::governance(app, &action, out).await,
        Command::Scan { follow, .. } => {
            let mode = if follow {
                app::ScanMode::Follow
            } else {
                app::ScanMode::UntilIdle
            };
            scan_cmd::scan(app, mode, out).await
        }
        Command::Settings { action } => scan_state_cmd::settings(app, action, out).await,
        Command::Pause => scan_state_cmd::pause(app, out).await,
        Command::Resume => scan_state_cmd::resume(app, out).await,
        Command::Queue { limit } => scan_state_cmd::queue(app, limit, out).await,
        Command::Events { since, kind, limit } => {
            scan_state_cmd::events(app, since, kind, limit, out).await
        }
        Command::File { file_id } => scan_state_cmd::file(app, &file_id, out).await,
        Command::Findings { filter, limit } => {
            findings_cmd::findings(app, filter, limit, out).await
        }
        Command::Export {
            format,
            out: path,
            filter,
        } => findings_cmd::export(app, format, &path, filter, out).await,
        Command::Act(args) => govern_cmd::act(app, args, out).await,
        Command::Policy { action } => govern_cmd::policy(app, action, out).await,
        Command::Audit { action, limit } => govern_cmd::audit(app, action, limit, out).await,
        Command::Database {
            action: DatabaseAction::MoveAside { force },
        } => database_cmd::move_aside(app, &snapshot, force, out).await,
        Command::Database {
            action: DatabaseAction::Check,
        } => database_cmd::check(&snapshot, out).await,
        // Printed before the database was opened (`main`).
        Command::Completions { .. } | Command::Man { .. } => Ok(exit::DONE),
    }
}
