//! The connect flow through the real `box-connector-cli` binary against the
//! sandbox, with the sandbox's scripted browser as the system browser.
//! Run under `scripts/with-keyring.sh` (real Secret Service).

mod connect_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use box_sandbox::browser::{sign_in, Decision};
use box_sandbox::{Rotation, SandboxConfig};
use connect_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_flow_connect_test_status_disconnect_leaves_no_secret_on_disk() {
    require_keyring();
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let world = World::new("whole");

    let mut cmd = world.cli(&sandbox, "--login admin");
    cmd.args([
        "--json",
        "connect",
        "--datacenter",
        "sandbox",
        "--timeout-secs",
        "60",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    let conn = stdout_json(&out);
    assert_eq!(conn["state"], "connected", "{conn}");
    assert_eq!(conn["datacenter_id"], "sandbox");
    assert_eq!(conn["account"]["role"], "admin", "{conn}");
    assert_eq!(
        sandbox.code_calls.load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    let tokens = world
        .stored_tokens("sandbox")
        .expect("tokens are in the keychain");

    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "test-api"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    let report = stdout_json(&out);
    assert_eq!(report["outcome"], "pass", "{report}");
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    for c in checks {
        assert_eq!(c["status"], "pass", "{c}");
    }

    // Status (a fresh process) shows the stored test and the call log figures.
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "status"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    let status = stdout_json(&out);
    assert_eq!(status["connection"]["state"], "connected", "{status}");
    assert_eq!(status["health"]["state"], "connected", "{status}");
    assert_eq!(status["last_api_test"]["outcome"], "pass");
    assert!(
        status["health"]["last_hour"]["calls"].as_u64().unwrap() >= 5,
        "{status}"
    );
    assert!(status["health"]["last_success_at"].is_string(), "{status}");
    assert!(
        status["health"]["access_token_expires_at"].is_string(),
        "{status}"
    );

    // No token or secret in any file under the data dir (store, WAL, logs).
    for secret in [
        tokens.access_token.expose(),
        tokens.refresh_token.expose(),
        "sandbox-secret",
    ] {
        let hits = files_containing(world.dir.path(), secret);
        assert!(hits.is_empty(), "a secret was written to {hits:?}");
    }

    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "disconnect"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        stdout_json(&out)["warning"],
        serde_json::Value::Null,
        "{}",
        describe(&out)
    );
    assert!(
        world.stored_tokens("sandbox").is_none(),
        "keychain entry removed"
    );

    // Revoked at Box: the old refresh token no longer works.
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sandbox.base_url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh_token.expose().as_str()),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "status"]);
    let status = stdout_json(&run(cmd).await);
    assert_eq!(status["connection"]["state"], "not_connected", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coadmin_warns_and_plain_user_fails_the_api_test() {
    require_keyring();
    let sandbox = TestSandbox::start(small_sandbox()).await;

    let world = World::new("coadmin");
    let mut cmd = world.cli(&sandbox, "--login coadmin");
    cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(stdout_json(&out)["account"]["role"], "coadmin");
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "test-api"]);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "a warning is not a failure: {}",
        describe(&out)
    );
    let report = stdout_json(&out);
    assert_eq!(report["outcome"], "warn", "{report}");
    let role = &report["checks"][1];
    assert_eq!(role["id"], "role");
    assert_eq!(role["status"], "warn");
    assert!(
        role["detail"]
            .as_str()
            .unwrap()
            .contains("files owned by other admins will not be scanned"),
        "{role}"
    );

    let world = World::new("user");
    let mut cmd = world.cli(&sandbox, "--login user");
    cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "test-api"]);
    let out = run(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "a failed API test exits non-zero: {}",
        describe(&out)
    );
    let report = stdout_json(&out);
    assert_eq!(report["outcome"], "fail", "{report}");
    assert_eq!(report["checks"][1]["status"], "fail", "{report}");
    assert!(
        report["checks"][1]["fix"]
            .as_str()
            .unwrap()
            .contains("admin"),
        "{report}"
    );
    // Box's own refusal is shown for the admin-only checks.
    let events = &report["checks"][2];
    assert_eq!(events["status"], "fail", "{report}");
    assert!(events["box_error"].is_string(), "{events}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deny_ends_with_you_clicked_deny_and_no_connection() {
    require_keyring();
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let world = World::new("deny");
    let mut cmd = world.cli(&sandbox, "--deny");
    cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "sign_in_denied", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("You clicked Deny"),
        "{err}"
    );
    assert!(!err["hint"].as_str().unwrap().is_empty());
    assert!(world.stored_tokens("sandbox").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_browser_prints_the_link_and_waits_for_the_callback() {
    require_keyring();
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let world = World::new("nobrowser");
    let mut cmd = world.cli(&sandbox, "");
    cmd.args([
        "connect",
        "--datacenter",
        "sandbox",
        "--no-browser",
        "--timeout-secs",
        "60",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("http"))
            .expect("the sign-in link is printed")
    })
    .await
    .unwrap();
    assert!(
        url.starts_with(&format!("{}/api/oauth2/authorize?", sandbox.base_url)),
        "{url}"
    );
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    // The admin opens the link in some browser.
    let page = sign_in(&url, Decision::Allow, "admin").await.unwrap();
    assert!(page.contains("return to Box Connector"), "{page}");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Connected to sandbox"),
        "{}",
        describe(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn errors_carry_code_message_and_hint_and_exit_non_zero() {
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let world = World::new("errors");
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "connect", "--datacenter", "mars"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "unknown_datacenter");
    assert!(err["hint"].as_str().unwrap().contains("sandbox"));

    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "test-api"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["code"], "not_connected");

    // A Box data center without its client secret says what to do.
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["connect", "--datacenter", "eu1"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("error: ") && text.contains("hint: "),
        "{text}"
    );
    assert!(
        text.contains("client secret") && text.contains("--client-secret-env"),
        "{text}"
    );
}

/// No D-Bus session: the keychain is unavailable and connect says how to fix
/// it instead of keeping tokens anywhere else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keychain_unavailable_is_a_clear_error_before_the_browser_opens() {
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let world = World::new("nokeychain");
    let mut cmd = world.cli(&sandbox, "--login admin");
    cmd.env(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}/no-bus", world.dir.path().display()),
    )
    .args(["--json", "connect", "--datacenter", "sandbox"]);
    let out = tokio::time::timeout(Duration::from_secs(60), run(cmd))
        .await
        .expect("no hang");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "keychain_unavailable", "{err}");
    assert!(err["hint"].as_str().unwrap().contains("keyring"), "{err}");
    assert_eq!(
        sandbox.code_calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "never signed in"
    );
}

/// A process killed between Box's refresh answer and the keychain write, or
/// between the keychain write and first use, loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_around_the_keychain_write_loses_nothing() {
    require_keyring();
    for (rotation, failpoint) in [
        (Rotation::Strict, "after_keychain_before_use"),
        (Rotation::Grace, "after_refresh_before_keychain"),
    ] {
        let sandbox = TestSandbox::start(SandboxConfig {
            rotation,
            access_token_ttl: Duration::from_secs(4),
            ..small_sandbox()
        })
        .await;
        let world = World::new("failpoint");
        let mut cmd = world.cli(&sandbox, "--login admin");
        cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
        let out = run(cmd).await;
        assert!(out.status.success(), "{}", describe(&out));
        tokio::time::sleep(Duration::from_millis(4500)).await;

        let mut cmd = world.cli(&sandbox, "");
        cmd.env("BOX_CONNECTOR_FAILPOINT", failpoint)
            .args(["--json", "test-api"]);
        let out = run(cmd).await;
        assert!(
            !out.status.success(),
            "{failpoint}: the process must die: {}",
            describe(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(failpoint),
            "{}",
            describe(&out)
        );
        assert_eq!(sandbox.refreshes(), 1);

        let mut cmd = world.cli(&sandbox, "");
        cmd.args(["--json", "test-api"]);
        let out = run(cmd).await;
        assert!(
            out.status.success(),
            "{rotation:?}/{failpoint}: {}",
            describe(&out)
        );
        assert_eq!(stdout_json(&out)["outcome"], "pass");
    }
}

/// Custom: the admin's own app (here the sandbox's), with its secret from an
/// environment variable into the keychain, never onto disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_data_center_with_own_client_and_urls() {
    require_keyring();
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let world = World::new("custom");
    let base = &sandbox.base_url;
    let mut cmd = world.cli(&sandbox, "--login admin");
    cmd.env("MY_BOX_SECRET", "sandbox-secret")
        .env_remove("BOX_CONNECTOR_SANDBOX_URL")
        .args([
            "--json",
            "connect",
            "--datacenter",
            "custom",
            "--client-id",
            "sandbox-client",
        ])
        .args(["--client-secret-env", "MY_BOX_SECRET"])
        .args(["--authorize-url", &format!("{base}/api/oauth2/authorize")])
        .args(["--token-url", &format!("{base}/oauth2/token")])
        .args(["--api-url", &format!("{base}/2.0")]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(stdout_json(&out)["datacenter_id"], "custom");
    let secret = world
        .keychain()
        .get("client-secret:custom")
        .unwrap()
        .expect("secret kept in the keychain");
    assert_eq!(secret.expose(), "sandbox-secret");

    let mut cmd = world.cli(&sandbox, "");
    cmd.env_remove("BOX_CONNECTOR_SANDBOX_URL")
        .args(["--json", "test-api"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(stdout_json(&out)["outcome"], "pass");
    assert!(files_containing(world.dir.path(), "sandbox-secret").is_empty());

    // A missing secret variable is named in the error.
    let mut cmd = world.cli(&sandbox, "");
    cmd.args([
        "--json",
        "connect",
        "--datacenter",
        "custom",
        "--client-id",
        "x",
        "--client-secret-env",
        "NOT_SET_ANYWHERE",
    ]);
    let err = stdout_json(&run(cmd).await);
    assert_eq!(err["code"], "invalid_input");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("NOT_SET_ANYWHERE"),
        "{err}"
    );
}
