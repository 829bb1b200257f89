//! `box-connector-cli`: the app's connect flow, API test, status and
//! database care without a window, over the same `connector_core::app::App`.
//!
//! Words come from `connector_core::wording` (the window's, with commands in
//! place of buttons); exit codes from `exit`. Errors print their message and
//! hint (or `{code,message,hint}` with `--json`).

mod docs;
mod embedded_sandbox;
mod exit;
mod findings_output;
mod govern_cmd;
mod govern_output;
mod integrity;
mod output;
mod scan_cmd;
mod scan_output;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use connector_core::app::{self, App, AppConfig, BrowserLauncher};
use connector_core::datacenter;
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::findings::{ExportFormat, FindingKind, FindingsFilter, Severity};
use connector_core::ipc::{
    CheckStatus, CoreEvent, CustomSettings, DatabaseState, EndpointSource, Snapshot,
};
use connector_core::keychain::Sensitive;
use connector_core::store::DATABASE_FILE_NAME;
use connector_core::wording;

use output::Output;

const NAME: &str = "box-connector-cli";

#[derive(Parser)]
#[command(
    name = NAME,
    version,
    about = "Connect Box Connector to Box from a terminal",
    after_help = exit::help(),
)]
struct Cli {
    /// The app's data folder (default: BOX_CONNECTOR_DATA_DIR, else the app's own).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print results as JSON (errors as {"code","message","hint"}).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in to a data center in the browser and keep the tokens in the keychain.
    Connect {
        /// us1, us2, us3, eu1, eu2, legacy, sandbox or custom.
        #[arg(long)]
        datacenter: String,
        /// Do not open a browser: print the sign-in link and wait (paste the
        /// redirect address on stdin if the browser cannot reach this machine).
        #[arg(long)]
        no_browser: bool,
        /// Custom: the OAuth client id.
        #[arg(long)]
        client_id: Option<String>,
        /// Name of an environment variable holding the client secret (kept in the keychain).
        #[arg(long, value_name = "VAR")]
        client_secret_env: Option<String>,
        /// Custom: authorize URL (default Box's).
        #[arg(long)]
        authorize_url: Option<String>,
        /// Custom: token URL (default Box's).
        #[arg(long)]
        token_url: Option<String>,
        /// Custom: API base URL (default Box's).
        #[arg(long)]
        api_url: Option<String>,
        /// Custom: revoke URL used by disconnect (default: beside the token
        /// URL when it ends in /token; otherwise the sign-in is not revoked).
        #[arg(long)]
        revoke_url: Option<String>,
        /// Give up waiting for the browser after this many seconds.
        #[arg(long, default_value_t = connector_core::auth::loopback::DEFAULT_TIMEOUT.as_secs())]
        timeout_secs: u64,
    },
    /// Run the API test checklist against the current connection.
    TestApi,
    /// Show the connection, its health and the database (exit code: its state).
    Status,
    /// Revoke the sign-in at Box and remove it from the keychain.
    Disconnect,
    /// Run the scanner here: the 60-day event backfill and the full scan,
    /// with a progress bar on a terminal.
    Scan {
        /// Stop when the backfill and the full scan are done and the queue is empty (exit 0).
        #[arg(long, conflicts_with = "follow")]
        until_idle: bool,
        /// Then keep following live events and rescanning what changes, until SIGINT or SIGTERM.
        #[arg(long)]
        follow: bool,
    },
    /// Show the scan's settings, or change one (`settings set scan.poll_interval_secs 5`).
    Settings {
        #[command(subcommand)]
        action: Option<SettingsAction>,
    },
    /// Pause the scan (remembered; the app's scanner stops sending requests too).
    Pause,
    /// Resume a paused scan.
    Resume,
    /// The scan queue, front first, with why each item is there (offline: reads the database).
    Queue {
        /// How many rows.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Ingested enterprise events, newest first (offline: reads the database).
    Events {
        /// Only events at or after this instant (RFC 3339, e.g. 2026-11-30T00:00:00Z).
        #[arg(long, value_name = "RFC3339")]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Only this kind of event.
        #[arg(long, value_parser = ["modify", "share", "read", "delete", "other"])]
        kind: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// What the scan knows of one file: etags, link, collaborators, history (offline).
    File { file_id: String },
    /// Open findings, most severe first: exposure (links, external
    /// collaborators, outside owners) and sensitive content, with masked
    /// samples only (offline: reads the database).
    Findings {
        #[command(flatten)]
        filter: FindingsArgs,
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Write the findings to a CSV or JSON file (masked samples only).
    Export {
        #[arg(long, value_enum)]
        format: ExportFormatArg,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        filter: FindingsArgs,
    },
    /// Act on a Box item (as its owner): remove or restrict its link, remove
    /// collaborators, quarantine or restore. Prints the preview and changes
    /// nothing unless --yes confirms; every change goes to the audit log.
    Act(govern_cmd::ActArgs),
    /// Rules over findings that raise alerts, and act where you opt in.
    Policy {
        #[command(subcommand)]
        action: govern_cmd::PolicyAction,
    },
    /// The audit log of every action, newest first (offline), or its export.
    Audit {
        #[command(subcommand)]
        action: Option<govern_cmd::AuditAction>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Governance: `status`; `on` signs in to Box again (the browser opens,
    /// as for connect) asking it to allow changing files and folders
    /// (root_readwrite), which acting on findings needs; `off` turns the
    /// switch off (the wider sign-in stays until the next connect, which
    /// asks for read-only again).
    Governance {
        #[arg(value_parser = ["status", "on", "off"])]
        action: String,
    },
    /// Look after the local database.
    Database {
        #[command(subcommand)]
        action: DatabaseAction,
    },
    /// Print a shell completion script (e.g. `box-connector-cli completions bash > /etc/bash_completion.d/box-connector-cli`).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) to stdout (e.g. `box-connector-cli man | man -l -`).
    Man {
        /// Instead, write every page (one per subcommand too) into this folder.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// Which findings (`findings`, `export`).
#[derive(clap::Args)]
struct FindingsArgs {
    #[arg(long, value_parser = ["critical", "high", "medium", "low"])]
    severity: Option<String>,
    #[arg(long, value_parser = ["public_link", "company_link", "external_collaborator", "externally_owned", "sensitive_content"])]
    kind: Option<String>,
    /// A detector: credit_card, us_ssn, iban, email, phone, aws_access_key, private_key.
    #[arg(long)]
    detector: Option<String>,
    /// Only files owned by this login.
    #[arg(long)]
    owner: Option<String>,
    /// Only files that also hold a content finding of this detector
    /// (`--kind public_link --file-has credit_card`).
    #[arg(long = "file-has")]
    file_has_detector: Option<String>,
    /// Closed findings too (they keep their history).
    #[arg(long)]
    include_closed: bool,
}

impl FindingsArgs {
    fn filter(&self) -> FindingsFilter {
        FindingsFilter {
            severity: self.severity.as_deref().and_then(Severity::parse),
            kind: self.kind.as_deref().and_then(FindingKind::parse),
            detector: self.detector.clone(),
            owner_login: self.owner.clone(),
            file_has_detector: self.file_has_detector.clone(),
            include_closed: self.include_closed,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormatArg {
    Csv,
    Json,
}

#[derive(Subcommand)]
enum SettingsAction {
    /// Change one setting; a running scanner uses it from its next start.
    Set { key: String, value: u64 },
}

#[derive(Subcommand)]
enum DatabaseAction {
    /// Rename the database file (never deleted: it is kept beside the new
    /// one) and start with an empty database, as the window's button does.
    MoveAside {
        /// Move it aside even though it opens fine.
        #[arg(long)]
        force: bool,
    },
    /// Run SQLite's integrity check on the database file and print what it found.
    Check,
}

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
    if let Command::Connect {
        no_browser,
        timeout_secs,
        ..
    } = &cli.command
    {
        if *no_browser {
            config.browser = BrowserLauncher::Disabled;
        }
        config.sign_in_timeout = Duration::from_secs(*timeout_secs);
    }
    let db_path = config.data_dir.join(DATABASE_FILE_NAME);
    let app = match App::open_with_embedded_box(config, embedded_sandbox::embedded_sandbox()).await
    {
        Ok(app) => app,
        Err(err) => return out.fail(wording::for_cli(err, None, &db_path)),
    };
    let snapshot = app.snapshot().await;
    let datacenter = snapshot.connection.datacenter_id.clone();
    let result = command(cli.command, &app, snapshot, out).await;
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

/// The database's own error when it cannot be used (every command that
/// needs the store stops on it, with the same words as `status`).
fn usable_database(snapshot: &Snapshot) -> Result<(), UserError> {
    let db = &snapshot.database;
    if db.state == DatabaseState::Ok {
        return Ok(());
    }
    Err(db.error.clone().unwrap_or_else(|| {
        UserError::new(
            ErrorCode::DatabaseUnavailable,
            format!(
                "The local database {} {}.",
                db.path,
                wording::database_words(db.state)
            ),
            "",
        )
    }))
}

async fn command(
    command: Command,
    app: &App,
    snapshot: Snapshot,
    out: &Output,
) -> Result<u8, UserError> {
    match command {
        Command::Connect {
            datacenter,
            client_id,
            client_secret_env,
            authorize_url,
            token_url,
            api_url,
            revoke_url,
            ..
        } => {
            usable_database(&snapshot)?;
            let dc = datacenter::by_id(&datacenter).ok_or_else(|| {
                UserError::new(
                    ErrorCode::UnknownDatacenter,
                    format!("There is no data center \"{datacenter}\"."),
                    "Use one of: us1, us2, us3, eu1, eu2, legacy, sandbox, custom.",
                )
            })?;
            if dc.endpoints == EndpointSource::Custom {
                let client_id = client_id.ok_or_else(|| {
                    UserError::new(
                        ErrorCode::InvalidInput,
                        "The custom data center needs --client-id.",
                        "Pass --client-id and --client-secret-env VAR (and --authorize-url, --token-url, --api-url, optionally --revoke-url, if it is not Box).",
                    )
                })?;
                app.set_custom_settings(CustomSettings {
                    client_id,
                    authorize_url,
                    token_url,
                    api_url,
                    revoke_url,
                })
                .await?;
            }
            if let Some(var) = client_secret_env {
                let secret = std::env::var(&var).map_err(|_| {
                    UserError::new(
                        ErrorCode::InvalidInput,
                        format!("The environment variable {var} is not set."),
                        format!("Set {var} to the client secret of the Box app, then run connect again."),
                    )
                })?;
                app.set_client_secret(&dc.id, Sensitive::new(secret))
                    .await?;
            }
            app.select_datacenter(&dc.id).await?;
            connect(app, out).await
        }
        Command::TestApi => {
            usable_database(&snapshot)?;
            test_api(app, out).await
        }
        Command::Status => {
            out.status(&snapshot, &app.scan_status().await);
            Ok(exit::for_state(
                snapshot.database.state,
                snapshot.connection.state,
            ))
        }
        Command::Disconnect => {
            usable_database(&snapshot)?;
            let warning = app.disconnect().await?;
            out.disconnected(warning.as_ref());
            Ok(exit::DONE)
        }
        Command::Scan { follow, .. } => {
            usable_database(&snapshot)?;
            let mode = if follow {
                app::ScanMode::Follow
            } else {
                app::ScanMode::UntilIdle
            };
            scan_cmd::scan(app, mode, out).await
        }
        Command::Settings { action } => {
            usable_database(&snapshot)?;
            if let Some(SettingsAction::Set { key, value }) = action {
                app.set_scan_setting(&key, value).await?;
            }
            out.scan_settings(&app.scan_settings().await?);
            Ok(exit::DONE)
        }
        Command::Pause => {
            usable_database(&snapshot)?;
            app.pause_scan().await?;
            out.scan_paused(true);
            Ok(exit::DONE)
        }
        Command::Resume => {
            usable_database(&snapshot)?;
            app.resume_scan().await?;
            out.scan_paused(false);
            Ok(exit::DONE)
        }
        Command::Queue { limit } => {
            usable_database(&snapshot)?;
            out.queue(&app.scan_queue(limit).await?);
            Ok(exit::DONE)
        }
        Command::Events { since, kind, limit } => {
            usable_database(&snapshot)?;
            out.events(&app.scan_events(since, kind, limit).await?);
            Ok(exit::DONE)
        }
        Command::Findings { filter, limit } => {
            usable_database(&snapshot)?;
            let page = app.findings(&filter.filter(), limit, 0).await?;
            out.findings(&page);
            Ok(exit::DONE)
        }
        Command::Export {
            format,
            out: path,
            filter,
        } => {
            usable_database(&snapshot)?;
            let format = match format {
                ExportFormatArg::Csv => ExportFormat::Csv,
                ExportFormatArg::Json => ExportFormat::Json,
            };
            let report = app.export_findings(&filter.filter(), format, &path).await?;
            out.exported(&report, "findings");
            Ok(exit::DONE)
        }
        Command::Act(args) => {
            usable_database(&snapshot)?;
            govern_cmd::act(app, args, out).await
        }
        Command::Policy { action } => {
            usable_database(&snapshot)?;
            govern_cmd::policy(app, action, out).await
        }
        Command::Audit { action, limit } => {
            usable_database(&snapshot)?;
            govern_cmd::audit(app, action, limit, out).await
        }
        Command::File { file_id } => {
            usable_database(&snapshot)?;
            match app.file_detail(&file_id).await? {
                Some(file) => {
                    out.file(&file);
                    Ok(exit::DONE)
                }
                None => Err(UserError::new(
                    ErrorCode::InvalidInput,
                    format!("The scan has not met a file with id {file_id}."),
                    format!("Check the id (Box shows it in the file's address), or run `{NAME} scan --until-idle` first."),
                )),
            }
        }
        Command::Governance { action } => {
            usable_database(&snapshot)?;
            governance(app, &action, out).await
        }
        Command::Database {
            action: DatabaseAction::MoveAside { force },
        } => move_aside(app, &snapshot, force, out).await,
        Command::Database {
            action: DatabaseAction::Check,
        } => check(&snapshot, out).await,
        Command::Completions { .. } | Command::Man { .. } => Ok(exit::DONE),
    }
}

async fn test_api(app: &App, out: &Output) -> Result<u8, UserError> {
    let mut events = app.subscribe();
    let json = out.json;
    let progress = tokio::spawn(async move {
        let mut shown = std::collections::HashSet::new();
        while let Ok(event) = events.recv().await {
            if let CoreEvent::ApiTestProgress { report } = event {
                for c in &report.checks {
                    let done = matches!(
                        c.status,
                        CheckStatus::Pass | CheckStatus::Warn | CheckStatus::Fail
                    );
                    if done && !json && shown.insert(c.id) {
                        eprintln!("  {} {}", output::mark(c.status), c.label);
                    }
                }
            }
        }
    });
    let report = app.run_api_test().await;
    progress.abort();
    let report = report?;
    out.api_test(&report);
    if report.outcome != CheckStatus::Fail {
        return Ok(exit::DONE);
    }
    // A test that failed because the sign-in or the network did says which.
    let state = app.snapshot().await.connection.state;
    Ok(match exit::for_state(DatabaseState::Ok, state) {
        code @ (exit::NEEDS_RECONNECT | exit::OFFLINE) => code,
        _ => exit::FAILED,
    })
}

async fn move_aside(
    app: &App,
    snapshot: &Snapshot,
    force: bool,
    out: &Output,
) -> Result<u8, UserError> {
    if snapshot.database.state == DatabaseState::Ok && !force {
        return Err(UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "The local database {} opens fine: nothing was moved.",
                snapshot.database.path
            ),
            format!(
                "To start with an empty database anyway (the old file is kept beside it, and \
                 you connect again), run `{NAME} database move-aside --force`."
            ),
        ));
    }
    let moved_to = app.move_database_aside().await?;
    let after = app.snapshot().await;
    out.moved_aside(&moved_to, &after);
    Ok(match after.database.state {
        DatabaseState::Ok => exit::DONE,
        _ => exit::DATABASE,
    })
}

async fn check(snapshot: &Snapshot, out: &Output) -> Result<u8, UserError> {
    let db = &snapshot.database;
    let path = Path::new(&db.path);
    if !path.is_file() {
        // A folder or a missing file: nothing SQLite could check.
        usable_database(snapshot)?;
    }
    let problems = match integrity::problems(path).await {
        Ok(problems) => problems,
        Err(err) => return Err(db.error.clone().unwrap_or(err)),
    };
    out.checked(db, &problems);
    Ok(if problems.is_empty() && db.state == DatabaseState::Ok {
        exit::DONE
    } else {
        exit::DATABASE
    })
}

async fn connect(app: &App, out: &Output) -> Result<u8, UserError> {
    let view = while_signing_in(app, out, app.connect()).await?;
    out.connected(&view);
    Ok(exit::DONE)
}

/// `governance status|on|off`: the switch and what Box granted.
async fn governance(app: &App, action: &str, out: &Output) -> Result<u8, UserError> {
    let status = match action {
        "on" => {
            if !out.json {
                eprintln!("{}", wording::GOVERNANCE_WHY);
            }
            while_signing_in(app, out, app.enable_governance()).await?
        }
        "off" => app.disable_governance().await?,
        _ => app.governance_status().await?,
    };
    if out.json {
        out.print_json(&status);
    } else {
        let state = if status.enabled { "on" } else { "off" };
        println!("Governance: {state}");
        println!("Scopes: {}", status.scopes.join(" "));
        println!(
            "Box allows changes: {}",
            if status.can_write {
                "yes (root_readwrite)"
            } else {
                "no (read-only)"
            }
        );
        if status.enabled && !status.can_write {
            println!("Next: {} governance on", wording::CLI);
        }
    }
    Ok(exit::DONE)
}

/// Runs a sign-in (`connect`, `governance on`) showing its link as soon as
/// it exists, taking a pasted redirect address on stdin, and cancelling on
/// Ctrl-C.
async fn while_signing_in<T>(
    app: &App,
    out: &Output,
    sign_in: impl std::future::Future<Output = Result<T, UserError>>,
) -> Result<T, UserError> {
    let mut events = app.subscribe();
    let json = out.json;
    // Show the sign-in link as soon as it exists ("copy sign-in link").
    let announcer = tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if let CoreEvent::SignInStarted { sign_in } = event {
                if json {
                    eprintln!(
                        "{}",
                        serde_json::json!({ "sign_in_url": sign_in.authorize_url })
                    );
                } else {
                    eprintln!(
                        "Sign in to Box in your browser. If it did not open, open this link:"
                    );
                    eprintln!("{}", sign_in.authorize_url);
                    eprintln!("Or paste here the address the browser shows after you click Allow.");
                }
            }
        }
    });
    // The paste path: a redirect address typed or piped on stdin.
    let paster = app.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Err(e) = paster.submit_redirect_url(line) {
                eprintln!("{} {}", e.message, e.hint);
            }
        }
    });
    let canceller = app.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            canceller.cancel_connect();
        }
    });
    let result = sign_in.await;
    announcer.abort();
    ctrl_c.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_waits_five_minutes_for_the_browser_by_default() {
        let cli = Cli::try_parse_from([NAME, "connect", "--datacenter", "sandbox"]).unwrap();
        let Command::Connect { timeout_secs, .. } = cli.command else {
            panic!("parsed as connect");
        };
        assert_eq!(timeout_secs, 300);
    }

    #[test]
    fn the_clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_wrong_command_line_exits_with_the_usage_code() {
        let err = Cli::try_parse_from([NAME, "connect"])
            .err()
            .expect("needs --datacenter");
        assert_eq!(err.exit_code(), i32::from(exit::USAGE));
        let err = Cli::try_parse_from([NAME, "frobnicate"])
            .err()
            .expect("no such command");
        assert_eq!(err.exit_code(), i32::from(exit::USAGE));
    }

    #[test]
    fn help_lists_the_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        for (code, meaning) in exit::TABLE {
            assert!(help.contains(&format!("  {code}  {meaning}")), "{help}");
        }
    }
}
