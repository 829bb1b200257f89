//! The core's `App` facade in-process against the sandbox: hostile
//! callbacks, an expired code, token rotation under concurrency, another
//! process refreshing first, and `invalid_grant`.
//! Run under `scripts/with-keyring.sh` (real Secret Service).

use std::sync::Arc;
use std::time::Duration;

use box_connector_e2e::bins;
use box_connector_e2e::connect::*;
use box_sandbox::{Rotation, SandboxConfig};
use connector_core::app::{App, AppConfig, BrowserLauncher, EmbeddedBox, RunningBox, StartError};
use connector_core::clock::{ManualClock, SharedClock};
use connector_core::ipc::{ConnectionState, CoreEvent, Health, HealthState};
use connector_core::ErrorCode;

async fn open_app(world: &World, sandbox: &TestSandbox) -> App {
    open_app_on(world, sandbox, SharedClock::system()).await
}

async fn open_app_on(world: &World, sandbox: &TestSandbox, clock: SharedClock) -> App {
    App::open(AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(sandbox.base_url.clone()),
        clock,
    })
    .await
    .unwrap()
}

/// The access token lifetime of the sandbox (Box's: an hour).
const ACCESS_TTL_SECS: u64 = 3600;

/// An hour and a second later, at Box and on this machine: every access
/// token issued so far has expired.
async fn an_hour_passes(sandbox: &TestSandbox, clock: &ManualClock) {
    sandbox.advance_clock(ACCESS_TTL_SECS + 1).await;
    clock.advance_secs(ACCESS_TTL_SECS as i64 + 1);
}

fn auto_approving() -> SandboxConfig {
    SandboxConfig {
        auto_approve: true,
        ..small_sandbox()
    }
}

async fn connected_app(world: &World, sandbox: &TestSandbox) -> App {
    connected_app_on(world, sandbox, SharedClock::system()).await
}

async fn connected_app_on(world: &World, sandbox: &TestSandbox, clock: SharedClock) -> App {
    let app = open_app_on(world, sandbox, clock).await;
    let mut events = app.subscribe();
    let (view, task) = start_connect(&app).await;
    let callback = approved_redirect(&view.authorize_url).await;
    reqwest::get(&callback).await.unwrap();
    let conn = task.await.unwrap().expect("connected");
    assert_eq!(conn.state, ConnectionState::Connected);
    let health = next_health(&mut events, HealthState::Connected).await;
    assert_eq!(health.datacenter_id.as_deref(), Some("sandbox"));
    app
}

/// Waits for a `HealthChanged` event in `state` (other events are skipped).
async fn next_health(
    events: &mut tokio::sync::broadcast::Receiver<CoreEvent>,
    state: HealthState,
) -> Health {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(CoreEvent::HealthChanged { health }) if health.state == state => {
                    return *health;
                }
                Ok(CoreEvent::HealthChanged { health }) => seen.push(health.state),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event channel: {e}"),
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no HealthChanged({state:?}); saw {seen:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_mismatched_and_replayed_callbacks_are_refused_and_the_sign_in_keeps_waiting() {
    require_keyring();
    let sandbox = TestSandbox::start(auto_approving()).await;
    let world = World::new("hostile");
    let app = open_app(&world, &sandbox).await;
    assert_eq!(
        app.snapshot().await.selected_datacenter,
        "sandbox",
        "Sandbox is the default"
    );

    let (view, task) = start_connect(&app).await;
    assert_eq!(
        app.snapshot().await.connection.state,
        ConnectionState::Connecting
    );
    assert_eq!(
        app.sign_in_link().as_deref(),
        Some(view.authorize_url.as_str()),
        "copy sign-in link"
    );
    let good = approved_redirect(&view.authorize_url).await;
    let good_url = url::Url::parse(&good).unwrap();
    let code = good_url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let http = reqwest::Client::new();

    // Forged: a code with no state, and a real code with a made-up state.
    for forged in [
        format!("{}?code=attacker", view.redirect_uri),
        format!("{}?code={code}&state=guess", view.redirect_uri),
    ] {
        let resp = http.get(&forged).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{forged}");
        assert!(resp.text().await.unwrap().contains("ignored"));
    }
    // A forged Deny with the wrong state does not end the sign-in.
    let resp = http
        .get(format!(
            "{}?error=access_denied&state=guess",
            view.redirect_uri
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(!task.is_finished(), "still waiting for the real callback");
    assert_eq!(
        sandbox.code_calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no forged code was exchanged"
    );

    // The real one connects, and asks the shell to bring its window forward.
    let mut events = app.subscribe();
    let page = http.get(&good).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("return to Box Connector"));
    task.await.unwrap().expect("connected");
    let mut brought_to_front = false;
    while let Ok(e) = events.try_recv() {
        brought_to_front |= e == CoreEvent::BringToFront;
    }
    assert!(brought_to_front, "BringToFront emitted on the callback");
    // Replayed: once used, the listener is gone; a later sign-in refuses it (other state).
    assert!(
        http.get(&good).send().await.is_err(),
        "the one-shot listener is closed"
    );
    let (_view2, task2) = start_connect(&app).await;
    let err = app.submit_redirect_url(&good).unwrap_err();
    assert_eq!(err.code, ErrorCode::SignInInvalidCallback);
    assert!(!task2.is_finished());
    app.cancel_connect();
    let err = task2.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::SignInCancelled);
    assert_eq!(
        sandbox.code_calls.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_code_ends_with_a_clear_error() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        auth_code_ttl: Duration::from_secs(30),
        ..auto_approving()
    })
    .await;
    let world = World::new("expired");
    let app = open_app(&world, &sandbox).await;
    let (view, task) = start_connect(&app).await;
    let redirect = approved_redirect(&view.authorize_url).await;
    sandbox.advance_clock(31).await;
    // The paste path delivers it late.
    app.submit_redirect_url(&redirect).unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::SignInInvalidCallback, "{err:?}");
    assert!(err.message.contains("expired"), "{err:?}");
    assert!(err.hint.contains("30 seconds"), "{err:?}");
    assert!(world.stored_tokens("sandbox").is_none());
    let snap = app.snapshot().await;
    assert_eq!(snap.connection.state, ConnectionState::NotConnected);
    assert_eq!(
        snap.connection.error.unwrap().code,
        ErrorCode::SignInInvalidCallback
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_requests_on_an_expired_token_make_exactly_one_refresh_under_strict_rotation() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        rotation: Rotation::Strict,
        access_token_ttl: Duration::from_secs(ACCESS_TTL_SECS),
        ..auto_approving()
    })
    .await;
    let world = World::new("rotation");
    let clock = ManualClock::starting_now();
    let app = connected_app_on(&world, &sandbox, clock.clone().into()).await;
    let before = world.stored_tokens("sandbox").unwrap();
    an_hour_passes(&sandbox, &clock).await;

    let client = app.box_client().await.unwrap();
    let calls: Vec<_> = (0..32)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.me(None).await })
        })
        .collect();
    for call in calls {
        let me = call
            .await
            .unwrap()
            .map_err(|e| e.user)
            .expect("no request fails");
        assert!(me.login.is_some());
    }
    assert_eq!(sandbox.refreshes(), 1, "exactly one refresh call");
    let after = world.stored_tokens("sandbox").unwrap();
    assert_ne!(
        after.refresh_token.expose(),
        before.refresh_token.expose(),
        "rotated token is in the keychain"
    );
    assert!(after.access_expires_at > before.access_expires_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_by_another_process_is_picked_up_from_the_keychain() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        rotation: Rotation::Strict,
        access_token_ttl: Duration::from_secs(ACCESS_TTL_SECS),
        ..auto_approving()
    })
    .await;
    let world = World::new("twoproc");
    // One machine, one clock.
    let clock = ManualClock::starting_now();
    let first = connected_app_on(&world, &sandbox, clock.clone().into()).await;
    let first_client = first.box_client().await.unwrap();
    an_hour_passes(&sandbox, &clock).await;

    // A second instance (same data dir and keychain) refreshes first.
    let second = open_app_on(&world, &sandbox, clock.clone().into()).await;
    second
        .box_client()
        .await
        .unwrap()
        .me(None)
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(sandbox.refreshes(), 1);
    // The first one's cached token is stale; it must read the keychain, not
    // refresh with the refresh token the second one already used.
    first_client
        .me(None)
        .await
        .map_err(|e| e.user)
        .expect("first instance keeps working");
    assert_eq!(sandbox.refreshes(), 1, "no second refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_grant_means_needs_reconnect_with_the_troubleshooting_text() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        rotation: Rotation::Strict,
        access_token_ttl: Duration::from_secs(ACCESS_TTL_SECS),
        ..auto_approving()
    })
    .await;
    let world = World::new("invalidgrant");
    let clock = ManualClock::starting_now();
    let app = connected_app_on(&world, &sandbox, clock.clone().into()).await;
    let client = app.box_client().await.unwrap();
    // Someone else uses the refresh token (e.g. a copy of the app elsewhere).
    let stolen = world.stored_tokens("sandbox").unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sandbox.base_url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", stolen.refresh_token.expose().as_str()),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    an_hour_passes(&sandbox, &clock).await;

    let mut events = app.subscribe();
    let err = client.me(None).await.unwrap_err().user;
    assert_eq!(err.code, ErrorCode::NeedsReconnect, "{err:?}");
    assert!(
        err.message.contains("invalid_grant") && err.message.contains("Invalid refresh token"),
        "{err:?}"
    );
    assert!(err.hint.contains("Reconnect"), "{err:?}");
    // The state reaches the snapshot (the watcher updates the store).
    let mut state = ConnectionState::Connected;
    for _ in 0..50 {
        state = app.snapshot().await.connection.state;
        if state == ConnectionState::NeedsReconnect {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, ConnectionState::NeedsReconnect);
    // Subscribers hear it as a health change, with what to do.
    let health = next_health(&mut events, HealthState::NeedsReconnect).await;
    assert!(
        health.what_to_do.contains("Reconnect") && health.what_to_do.contains("invalid_grant"),
        "{}",
        health.what_to_do
    );
    let snap = app.snapshot().await;
    assert!(
        snap.connection.what_to_do.contains("Reconnect"),
        "{}",
        snap.connection.what_to_do
    );
    // Reconnecting fixes it.
    let app = Arc::new(app);
    let (view, task) = start_connect(&app).await;
    reqwest::get(approved_redirect(&view.authorize_url).await)
        .await
        .unwrap();
    assert_eq!(
        task.await.unwrap().unwrap().state,
        ConnectionState::Connected
    );
    app.box_client()
        .await
        .unwrap()
        .me(None)
        .await
        .map_err(|e| e.user)
        .unwrap();
}

/// The default path of a new admin: no Box credentials, the Sandbox data
/// center runs inside the app, the browser is a real separate program.
/// The connection survives a restart (a new embedded sandbox on a new port).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_sandbox_connects_in_one_click_and_survives_a_restart() {
    require_keyring();
    let world = World::new("embedded");
    let browser = bins().browser.display().to_string();
    let config = || AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Program {
            program: browser.clone(),
            args: vec!["--login".into(), "admin".into()],
        },
        sign_in_timeout: Duration::from_secs(60),
        sandbox_url: None,
        clock: SharedClock::system(),
    };
    // box-sandbox started in-process, as the shell and the CLI supply it.
    let embedded = || -> std::sync::Arc<dyn EmbeddedBox> {
        std::sync::Arc::new(|state_path: std::path::PathBuf| async move {
            let config = SandboxConfig {
                state_path: Some(state_path),
                ..SandboxConfig::default()
            };
            let server = box_sandbox::Sandbox::start(config).await?;
            Ok::<_, StartError>(RunningBox::new(server.base_url(), server))
        })
    };
    let app = App::open_with_embedded_box(config(), embedded())
        .await
        .unwrap();
    assert_eq!(app.selected_datacenter(), "sandbox");
    let conn = app.connect().await.expect("one click connects");
    assert_eq!(conn.state, ConnectionState::Connected);
    assert_eq!(conn.account.as_ref().unwrap().role, "admin");
    let report = app.run_api_test().await.unwrap();
    assert_eq!(
        report.outcome,
        connector_core::ipc::CheckStatus::Pass,
        "{report:?}"
    );
    let before = world.stored_tokens("sandbox").unwrap();
    drop(app);

    let again = App::open_with_embedded_box(config(), embedded())
        .await
        .unwrap();
    let snap = again.snapshot().await;
    assert_eq!(snap.connection.state, ConnectionState::Connected);
    assert_eq!(
        snap.last_api_test.as_ref().unwrap().outcome,
        connector_core::ipc::CheckStatus::Pass,
        "shown offline"
    );
    again
        .box_client()
        .await
        .unwrap()
        .me(None)
        .await
        .map_err(|e| e.user)
        .expect("still signed in after restart");

    // No token or client secret in any file of the data dir (store, WAL,
    // logs/), nor in the embedded sandbox's server state beside it (which
    // plays Box and may keep only digests of what it issued). The tokens
    // are the real ones, read from the keychain before and after restart.
    let after = world.stored_tokens("sandbox").unwrap();
    let server_state = world.dir.path().join(format!(
        "{}.sandbox-server",
        world.data_dir().file_name().unwrap().to_string_lossy()
    ));
    assert!(
        server_state.join("issued-tokens.json").is_file(),
        "the sandbox's state is where the scan looks: {}",
        server_state.display()
    );
    let client_secret = box_sandbox::SandboxConfig::default().client_secret;
    for secret in [
        before.access_token.expose().as_str(),
        before.refresh_token.expose().as_str(),
        after.access_token.expose().as_str(),
        after.refresh_token.expose().as_str(),
        client_secret.as_str(),
    ] {
        assert!(secret.len() >= 12, "a real secret, not a placeholder");
        for dir in [world.data_dir(), server_state.clone()] {
            let hits = files_containing(&dir, secret);
            assert!(hits.is_empty(), "a secret was written to {hits:?}");
        }
    }
}

/// Box unreachable: calls fail with a network error and the connection
/// reads "offline" with what to do, not "needs reconnect".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreachable_box_shows_offline_and_keeps_the_sign_in() {
    require_keyring();
    let sandbox = TestSandbox::start(auto_approving()).await;
    let world = World::new("offline");
    let app = connected_app(&world, &sandbox).await;
    let client = app.box_client().await.unwrap();
    let mut events = app.subscribe();
    let mut snapshots = app.subscribe();
    drop(sandbox);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = client.me(None).await.unwrap_err().user;
    assert_eq!(err.code, ErrorCode::Network, "{err:?}");
    // Nothing else happened but failed calls: the health event still comes.
    let health = next_health(&mut events, HealthState::Offline).await;
    assert!(
        health.what_to_do.contains("internet connection"),
        "{}",
        health.what_to_do
    );
    // ...with the whole snapshot, whose connection state follows health.
    let mut offline_snapshot = false;
    while let Ok(e) = snapshots.try_recv() {
        if let CoreEvent::SnapshotChanged { snapshot } = e {
            offline_snapshot |= snapshot.connection.state == ConnectionState::Offline;
        }
    }
    assert!(offline_snapshot, "a snapshot says offline");
    let snap = app.snapshot().await;
    assert_eq!(
        snap.connection.state,
        ConnectionState::Offline,
        "{:?}",
        snap.connection
    );
    assert!(
        snap.connection.what_to_do.contains("internet connection"),
        "{}",
        snap.connection.what_to_do
    );
    assert!(
        world.stored_tokens("sandbox").is_some(),
        "the sign-in is kept"
    );
}
