//! `connect`, `test-api`, `status`, `disconnect` and `governance`: the
//! connection, as the window's Connection page has it. A sign-in shows its
//! link as soon as it exists, takes a pasted redirect address on stdin, and
//! stops on Ctrl-C.

use std::io::BufRead;
use std::time::Duration;

use connector_core::app::App;
use connector_core::datacenter;
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::EndpointSource;
use connector_core::ipc::{CheckStatus, CoreEvent, CustomSettings, DatabaseState, Snapshot};
use connector_core::keychain::Sensitive;

use crate::args::ConnectArgs;
use crate::exit;
use crate::output::Output;

pub async fn connect(app: &App, args: ConnectArgs, out: &Output) -> Result<u8, UserError> {
    let ConnectArgs {
        datacenter,
        client_id,
        client_secret_env,
        authorize_url,
        token_url,
        api_url,
        revoke_url,
        ..
    } = args;
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
    let view = while_signing_in(app, out, app.connect()).await?;
    out.connected(&view);
    Ok(exit::DONE)
}

pub async fn test_api(app: &App, out: &Output) -> Result<u8, UserError> {
    // Every event (no throttle), resynced rather than ended if we fall behind.
    let mut events = app.event_feed(Duration::ZERO);
    let shown_to = *out;
    let progress = tokio::spawn(async move {
        let mut shown = std::collections::HashSet::new();
        while let Some(event) = events.next().await {
            if let CoreEvent::ApiTestProgress { report } = event {
                for c in &report.checks {
                    let done = matches!(
                        c.status,
                        CheckStatus::Pass | CheckStatus::Warn | CheckStatus::Fail
                    );
                    if done && shown.insert(c.id) {
                        shown_to.api_check_done(c);
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

/// `status` works on a database that cannot be used: it says so, and its
/// exit code is the state's.
pub async fn status(app: &App, snapshot: &Snapshot, out: &Output) -> Result<u8, UserError> {
    out.status(snapshot, &app.scan_status().await);
    Ok(exit::for_state(
        snapshot.database.state,
        snapshot.connection.state,
    ))
}

pub async fn disconnect(app: &App, out: &Output) -> Result<u8, UserError> {
    let warning = app.disconnect().await?;
    out.disconnected(warning.as_ref());
    Ok(exit::DONE)
}

/// `governance status|on|off`: the switch and what Box granted.
pub async fn governance(app: &App, action: &str, out: &Output) -> Result<u8, UserError> {
    let status = match action {
        "on" => {
            out.governance_why();
            while_signing_in(app, out, app.enable_governance()).await?
        }
        "off" => app.disable_governance().await?,
        _ => app.governance_status().await?,
    };
    out.governance(&status);
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
    let mut events = app.event_feed(Duration::ZERO);
    let shown_to = *out;
    // Show the sign-in link as soon as it exists ("copy sign-in link").
    let announcer = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            if let CoreEvent::SignInStarted { sign_in } = event {
                shown_to.sign_in_started(&sign_in.authorize_url);
            }
        }
    });
    // The paste path: a redirect address typed or piped on stdin.
    let paster = app.clone();
    let refused_to = *out;
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Err(e) = paster.submit_redirect_url(line) {
                refused_to.pasted_address_refused(&e);
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
