//! The connect flow through the real `box-connector-cli` binary against the
//! sandbox, with the sandbox's scripted browser as the system browser.
//! Run under `scripts/with-keyring.sh` (real Secret Service).

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use box_connector_e2e::connect::*;
use box_sandbox::browser::{sign_in, Decision};
use box_sandbox::{Rotation, SandboxConfig};

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
    let mut outputs = vec![out.clone()];
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
    outputs.push(out.clone());
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
    outputs.push(out.clone());
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

    // No token or secret in any file under the world (data dir with its
    // store, WAL and logs/, and anything beside it), nor in what the CLI
    // printed (its log is its stderr). The tokens are the real ones, read
    // back from the keychain now (after the API test) and after connect.
    let now = world
        .stored_tokens("sandbox")
        .expect("still in the keychain");
    assert!(
        world
            .data_dir()
            .join(connector_core::store::DATABASE_FILE_NAME)
            .exists(),
        "the scan covers the store"
    );
    for secret in [
        tokens.access_token.expose().as_str(),
        tokens.refresh_token.expose().as_str(),
        now.access_token.expose().as_str(),
        now.refresh_token.expose().as_str(),
        "sandbox-secret",
    ] {
        assert!(secret.len() >= 12, "a real secret, not a placeholder");
        let hits = files_containing(world.dir.path(), secret);
        assert!(hits.is_empty(), "a secret was written to {hits:?}");
        for out in &outputs {
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!printed.contains(secret), "a secret was printed");
        }
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
        Some(1),
        "a failed API test exits 1 (failed): {}",
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
    assert_eq!(out.status.code(), Some(3), "not connected exits 3");
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
/// between the keychain write and first use, loses nothing — except in one
/// case no client can save: under strict rotation, a kill after Box rotated
/// but before the keychain write. Box has already invalidated the old
/// refresh token and the new one existed only in the dead process's memory,
/// so nothing on this machine can sign in again without the admin. (Under
/// grace rotation the old token still returns the same pair until the new
/// one is used, so the next run recovers by itself.) That case must end in
/// a clear "needs reconnect" with the troubleshooting text, never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_around_the_keychain_write_loses_nothing() {
    require_keyring();
    for (rotation, failpoint, recoverable) in [
        (Rotation::Strict, "after_keychain_before_use", true),
        (Rotation::Grace, "after_refresh_before_keychain", true),
        (Rotation::Strict, "after_refresh_before_keychain", false),
    ] {
        let sandbox = TestSandbox::start(SandboxConfig {
            rotation,
            ..small_sandbox()
        })
        .await;
        let world = World::new("failpoint");
        let mut cmd = world.cli(&sandbox, "--login admin");
        cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
        let out = run(cmd).await;
        assert!(out.status.success(), "{}", describe(&out));
        // The access token dies at Box (an hour on): the next call's 401 refreshes.
        sandbox.advance_clock(3601).await;

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
        let out = tokio::time::timeout(Duration::from_secs(90), run(cmd))
            .await
            .expect("the next run does not hang");
        let case = format!("{rotation:?}/{failpoint}");
        if recoverable {
            assert!(out.status.success(), "{case}: {}", describe(&out));
            assert_eq!(stdout_json(&out)["outcome"], "pass");
            continue;
        }

        // The unavoidable loss: the API test fails on the token, with Box's
        // invalid_grant and the fix from the troubleshooting table.
        assert_eq!(out.status.code(), Some(4), "{case}: {}", describe(&out));
        let report = stdout_json(&out);
        let token = &report["checks"][0];
        assert_eq!(token["id"], "token_valid", "{report}");
        assert_eq!(token["status"], "fail", "{report}");
        let text = token.to_string();
        assert!(
            text.contains("invalid_grant") && text.contains("Invalid refresh token"),
            "{case}: {token}"
        );
        assert!(
            token["fix"].as_str().unwrap().contains("Reconnect"),
            "{token}"
        );
        assert_eq!(sandbox.refreshes(), 2, "one attempt with the dead token");

        // ...and the state is kept: a fresh process reads "needs reconnect".
        let mut cmd = world.cli(&sandbox, "");
        cmd.args(["--json", "status"]);
        let status = stdout_json(&run(cmd).await);
        assert_eq!(status["connection"]["state"], "needs_reconnect", "{status}");
        assert_eq!(status["health"]["state"], "needs_reconnect", "{status}");
        let what = status["connection"]["what_to_do"].as_str().unwrap();
        assert!(
            what.contains("Reconnect") && what.contains("invalid_grant"),
            "{what}"
        );

        // Later commands say so at once, without asking Box again.
        let mut cmd = world.cli(&sandbox, "");
        cmd.args(["--json", "test-api"]);
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
        let err = stdout_json(&out);
        assert_eq!(err["code"], "needs_reconnect", "{err}");
        assert!(
            err["hint"].as_str().unwrap().contains("Reconnect")
                && err["hint"].as_str().unwrap().contains("invalid_grant"),
            "{err}"
        );
        assert_eq!(sandbox.refreshes(), 2);
    }
}

/// `connect --datacenter custom` against the sandbox's endpoints, with the
/// token endpoint at `token_url`; HTTPS goes to `trap`.
fn custom_connect(
    world: &World,
    sandbox: &TestSandbox,
    trap: &HttpsTrap,
    token_url: &str,
    revoke_url: Option<&str>,
) -> std::process::Command {
    let base = &sandbox.base_url;
    let mut cmd = world.cli(sandbox, "--login admin");
    trap.apply(&mut cmd);
    cmd.env("MY_BOX_SECRET", "sandbox-secret")
        .env_remove("BOX_CONNECTOR_SANDBOX_URL")
        .args(["--json", "connect", "--datacenter", "custom"])
        .args(["--client-id", "sandbox-client"])
        .args(["--client-secret-env", "MY_BOX_SECRET"])
        .args(["--authorize-url", &format!("{base}/api/oauth2/authorize")])
        .args(["--token-url", token_url])
        .args(["--api-url", &format!("{base}/2.0")]);
    if let Some(r) = revoke_url {
        cmd.args(["--revoke-url", r]);
    }
    cmd
}

/// A Custom OAuth server whose token URL does not end in `/token` has no
/// revoke address the app can know: Disconnect must not send the refresh
/// token and client secret anywhere (it used to post them to Box), must say
/// it did not revoke, and must still remove the keychain entry. With
/// `--revoke-url` it revokes there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_server_disconnect_revokes_only_where_the_admin_said() {
    require_keyring();
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let trap = HttpsTrap::start().await;
    let world = World::new("customrevoke");
    let odd_token_url = format!("{}{ODD_TOKEN_PATH}", sandbox.base_url);

    let out = run(custom_connect(
        &world,
        &sandbox,
        &trap,
        &odd_token_url,
        None,
    ))
    .await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        sandbox.requests_to(ODD_TOKEN_PATH).len(),
        1,
        "the code went to the named token URL"
    );
    let tokens = world.stored_tokens("custom").expect("connected");

    let mut cmd = world.cli(&sandbox, "");
    trap.apply(&mut cmd);
    cmd.env_remove("BOX_CONNECTOR_SANDBOX_URL")
        .args(["--json", "disconnect"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    let warning = &stdout_json(&out)["warning"];
    assert_eq!(warning["code"], "revoke_skipped", "{}", describe(&out));
    assert!(
        warning["message"].as_str().unwrap().contains("not revoked"),
        "{warning}"
    );
    assert!(
        trap.seen().is_empty(),
        "no request to any other host: {:?}",
        trap.seen()
    );
    assert!(sandbox.requests_to("revoke").is_empty());
    assert!(
        world.connection_entries().is_empty(),
        "keychain entry removed anyway"
    );
    assert!(
        sandbox
            .accepts_refresh_token(tokens.refresh_token.expose())
            .await,
        "nothing was revoked anywhere, as the warning says"
    );
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["--json", "status"]);
    let status = stdout_json(&run(cmd).await);
    assert_eq!(status["connection"]["state"], "not_connected", "{status}");

    // With --revoke-url, Disconnect revokes exactly there.
    let revoke_url = format!("{}/oauth2/revoke", sandbox.base_url);
    let out = run(custom_connect(
        &world,
        &sandbox,
        &trap,
        &odd_token_url,
        Some(&revoke_url),
    ))
    .await;
    assert!(out.status.success(), "{}", describe(&out));
    let tokens = world.stored_tokens("custom").expect("connected again");
    let mut cmd = world.cli(&sandbox, "");
    trap.apply(&mut cmd);
    cmd.args(["--json", "disconnect"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        stdout_json(&out)["warning"],
        serde_json::Value::Null,
        "{}",
        describe(&out)
    );
    assert_eq!(sandbox.requests_to("POST /oauth2/revoke").len(), 1);
    assert!(
        !sandbox
            .accepts_refresh_token(tokens.refresh_token.expose())
            .await
    );
    assert!(world.connection_entries().is_empty());
    assert!(trap.seen().is_empty(), "{:?}", trap.seen());
}

/// The app has one active connection. Connecting a second data center
/// revokes and forgets the first (it used to stay `connected` with a live
/// token in the keychain, and came back after Disconnect).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connecting_another_data_center_retires_the_first_and_disconnect_leaves_nothing() {
    require_keyring();
    let first = TestSandbox::start(small_sandbox()).await;
    let second = TestSandbox::start(small_sandbox()).await;
    let trap = HttpsTrap::start().await;
    let world = World::new("replace");

    let mut cmd = world.cli(&first, "--login admin");
    cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    let first_tokens = world.stored_tokens("sandbox").unwrap();

    // Custom, on the second server; the Sandbox data center stays the first.
    let mut cmd = custom_connect(
        &world,
        &second,
        &trap,
        &format!("{}/oauth2/token", second.base_url),
        None,
    );
    cmd.env("BOX_CONNECTOR_SANDBOX_URL", &first.base_url);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(stdout_json(&out)["datacenter_id"], "custom");
    assert!(
        world.stored_tokens("sandbox").is_none(),
        "the first connection's keychain entry is removed"
    );
    assert_eq!(first.requests_to("POST /oauth2/revoke").len(), 1);
    assert!(
        !first
            .accepts_refresh_token(first_tokens.refresh_token.expose())
            .await,
        "the first connection's refresh token was revoked"
    );
    let second_tokens = world.stored_tokens("custom").unwrap();

    let mut cmd = world.cli(&first, "");
    cmd.args(["--json", "status"]);
    let status = stdout_json(&run(cmd).await);
    assert_eq!(status["connection"]["state"], "connected", "{status}");
    assert_eq!(status["connection"]["datacenter_id"], "custom", "{status}");

    let mut cmd = world.cli(&first, "");
    cmd.args(["--json", "disconnect"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(stdout_json(&out)["warning"], serde_json::Value::Null);

    let mut cmd = world.cli(&first, "");
    cmd.args(["--json", "status"]);
    let status = stdout_json(&run(cmd).await);
    assert_eq!(status["connection"]["state"], "not_connected", "{status}");
    assert!(
        world.connection_entries().is_empty(),
        "{:?}",
        world.connection_entries()
    );
    assert!(
        !second
            .accepts_refresh_token(second_tokens.refresh_token.expose())
            .await
    );
    // A second disconnect has nothing left to act on.
    let mut cmd = world.cli(&first, "");
    cmd.args(["--json", "disconnect"]);
    let out = run(cmd).await;
    assert_eq!(stdout_json(&out)["code"], "not_connected");
    assert!(trap.seen().is_empty(), "{:?}", trap.seen());
}

/// `--data-dir` (not the environment variable) picks the data folder, and
/// with `--no-browser` the redirect address pasted on stdin completes the
/// sign-in without the loopback callback ever being hit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_dir_flag_and_a_redirect_pasted_on_stdin() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        auto_approve: true,
        ..small_sandbox()
    })
    .await;
    let world = World::new("paste");
    let mut cmd = world.cli_with_data_dir_flag(&sandbox, "");
    cmd.args([
        "connect",
        "--datacenter",
        "sandbox",
        "--no-browser",
        "--timeout-secs",
        "60",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    // Read stderr to the end (a closed pipe would break the CLI's output).
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let stderr_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("http") {
                let _ = url_tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let url = tokio::task::spawn_blocking(move || {
        url_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the sign-in link is printed")
    })
    .await
    .unwrap();
    // The admin signs in on another machine; the browser there cannot
    // reach this one, so they copy the address it ends on.
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let redirect = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(redirect.contains("code="), "{redirect}");
    use std::io::Write;
    writeln!(stdin, "not a web address").unwrap();
    writeln!(stdin, "{redirect}").unwrap();
    stdin.flush().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        out
    })
    .await
    .unwrap();
    let stderr_text = stderr_reader.join().unwrap();
    assert!(
        out.status.success(),
        "{}\nstderr:\n{stderr_text}",
        describe(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Connected to sandbox"),
        "{}",
        describe(&out)
    );
    assert!(
        stderr_text.contains("That is not a web address"),
        "a bad paste is answered and the wait goes on: {stderr_text}"
    );
    assert_eq!(
        sandbox.code_calls.load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    // The flag's folder holds the store; the default folder was not used.
    assert!(world
        .data_dir()
        .join(connector_core::store::DATABASE_FILE_NAME)
        .exists());
    assert!(
        !world.default_data_home().exists(),
        "--data-dir was ignored: data went to the default folder"
    );
    let mut cmd = world.cli_with_data_dir_flag(&sandbox, "");
    cmd.args(["--json", "status"]);
    let status = stdout_json(&run(cmd).await);
    assert_eq!(status["connection"]["state"], "connected", "{status}");
    assert!(!world.default_data_home().exists());
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
