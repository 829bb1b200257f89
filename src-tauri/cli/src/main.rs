//! `box-connector-cli`: the app's connect flow, API test and status without
//! a window, over the same `connector_core::app::App`.
//!
//! Errors print their message and hint (or `{code,message,hint}` with
//! `--json`) and exit non-zero.

mod output;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use connector_core::app::{self, App, AppConfig, BrowserLauncher};
use connector_core::datacenter::{self, EndpointSource};
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::{CheckStatus, CoreEvent, CustomSettings};
use connector_core::keychain::Sensitive;

use output::Output;

#[derive(Parser)]
#[command(
    name = "box-connector-cli",
    version,
    about = "Connect Box Connector to Box from a terminal"
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
    /// Show the connection and its health.
    Status,
    /// Revoke the sign-in at Box and remove it from the keychain.
    Disconnect,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output { json: cli.json };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli, &out)) {
        Ok(code) => code,
        Err(mut err) => {
            if err.code == ErrorCode::ClientSecretMissing {
                err.hint = format!(
                    "{} From the CLI: put it in an environment variable and pass --client-secret-env VAR.",
                    err.hint
                );
            }
            out.error(&err);
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli, out: &Output) -> Result<ExitCode, UserError> {
    let mut config = AppConfig::from_env(app::default_data_dir());
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Command::Connect {
        no_browser: true, ..
    } = &cli.command
    {
        config.browser = BrowserLauncher::Disabled;
    }
    if let Command::Connect { timeout_secs, .. } = &cli.command {
        config.sign_in_timeout = Duration::from_secs(*timeout_secs);
    }
    let app = App::open(config).await?;
    let result = run_command(&app, cli.command, out).await;
    // Box calls are logged in batches and the store notes a clean close:
    // both before exiting. A rotated sign-in the keychain refused dies here.
    if let Some(unsaved) = app.shutdown().await {
        out.error(&unsaved);
        return Ok(ExitCode::from(1));
    }
    result
}

async fn run_command(app: &App, command: Command, out: &Output) -> Result<ExitCode, UserError> {
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
            Ok(if report.outcome == CheckStatus::Fail {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Status => {
            let snapshot = app.snapshot().await;
            out.status(&snapshot);
            Ok(ExitCode::SUCCESS)
        }
        Command::Disconnect => {
            let warning = app.disconnect().await?;
            out.disconnected(warning.as_ref());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn connect(app: &App, out: &Output) -> Result<ExitCode, UserError> {
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
    let result = app.connect().await;
    announcer.abort();
    ctrl_c.abort();
    let view = result?;
    out.connected(&view);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_waits_five_minutes_for_the_browser_by_default() {
        let cli = Cli::try_parse_from(["box-connector-cli", "connect", "--datacenter", "sandbox"])
            .unwrap();
        let Command::Connect { timeout_secs, .. } = cli.command else {
            panic!("parsed as connect");
        };
        assert_eq!(timeout_secs, 300);
    }
}
