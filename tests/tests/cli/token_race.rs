//! The app (core `App`, in-process) and the CLI (`box-connector-cli`, a
//! real second process) on one connection, one keychain entry and one data
//! dir, refreshing at the same moment under strict rotation, round after
//! round. The cross-process refresh lock and the keychain re-read must keep
//! the one grant alive: no side ever spends a dead refresh token, and both
//! end connected.
//! Run under `scripts/with-keyring.sh` (real Secret Service).

use std::time::Duration;

use box_connector_e2e::connect::*;
use box_sandbox::{Rotation, SandboxConfig};
use connector_core::app::{App, AppConfig, BrowserLauncher};
use connector_core::auth::TokenStatus;
use connector_core::clock::ManualClock;
use connector_core::ipc::ConnectionState;

const ROUNDS: usize = 50;
const ACCESS_TTL_SECS: u64 = 3600;

/// Resolves once the CLI's first Box call of this round reached the
/// sandbox (it gets a 401 and goes on to refresh), so the app's refresh
/// starts while the CLI's is under way.
async fn cli_reached_box(sandbox: &TestSandbox, calls_before: usize) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while sandbox.requests_to("GET /2.0/users/me").len() <= calls_before {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the CLI called Box");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_and_the_cli_refreshing_together_for_fifty_rounds_end_connected_on_one_grant() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        rotation: Rotation::Strict,
        access_token_ttl: Duration::from_secs(ACCESS_TTL_SECS),
        // Neither side may be slowed by Box's rate limit here.
        rate_limit_per_minute: 0,
        ..small_sandbox()
    })
    .await;
    let world = World::new("race");
    let mut cmd = world.cli(&sandbox, "--login admin");
    cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));

    let clock = ManualClock::starting_now();
    let app = App::open(AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(sandbox.base_url.clone()),
        clock: clock.clone().into(),
    })
    .await
    .unwrap();
    let client = app.box_client().await.unwrap();
    client.me(None).await.map_err(|e| e.user).unwrap();
    let refreshes_at_start = sandbox.refreshes();

    for round in 0..ROUNDS {
        // An hour on, at Box and in the app: every access token is dead at
        // Box (the CLI learns it from a 401) and due in the app.
        sandbox.advance_clock(ACCESS_TTL_SECS + 1).await;
        clock.advance_secs(ACCESS_TTL_SECS as i64 + 1);

        let calls_before = sandbox.requests_to("GET /2.0/users/me").len();
        let mut cmd = world.cli(&sandbox, "");
        cmd.args(["--json", "test-api"]);
        let cli = tokio::spawn(run(cmd));
        // Odd rounds: the app goes first; even rounds: it joins the CLI's refresh.
        if round % 2 == 0 {
            cli_reached_box(&sandbox, calls_before).await;
        }
        let me = client.me(None).await.map_err(|e| e.user);
        let out = cli.await.unwrap();
        assert!(me.is_ok(), "round {round}: the app failed: {me:?}");
        assert!(out.status.success(), "round {round}: {}", describe(&out));
        assert_eq!(stdout_json(&out)["outcome"], "pass", "round {round}");
    }

    let stored = world
        .stored_tokens("sandbox")
        .expect("still in the keychain");
    let (live_grants, refused, keychain_pair_is_live) = {
        let tokens = sandbox.handle.state().tokens.lock().unwrap();
        (
            tokens.live_grants("sandbox-client"),
            tokens.refused_refreshes,
            tokens.refresh_token_is_live(stored.refresh_token.expose()),
        )
    };
    assert_eq!(live_grants, 1, "one sign-in, one grant");
    assert_eq!(refused, 0, "no process ever spent a dead refresh token");
    assert!(
        keychain_pair_is_live,
        "the keychain holds the grant's live refresh token"
    );
    let refreshes = sandbox.refreshes() - refreshes_at_start;
    // Each round needs one; a second is the app refreshing a pair the CLI
    // stamped by the real clock, which the app's (an hour further each
    // round) already finds due.
    assert!(
        (ROUNDS..=2 * ROUNDS).contains(&refreshes),
        "{refreshes} refreshes in {ROUNDS} rounds"
    );

    // Both sides read "connected".
    assert!(matches!(
        app.box_client().await.unwrap().tokens().status(),
        TokenStatus::Valid {
            keychain_write_pending: None,
            ..
        }
    ));
    assert_eq!(
        app.snapshot().await.connection.state,
        ConnectionState::Connected
    );
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "status"]);
    let status = stdout_json(&run(cmd).await);
    assert_eq!(status["connection"]["state"], "connected", "{status}");
}
