//! Least privilege: the app signs in read-only until governance is turned on,
//! which signs in again with `root_readwrite`; the API test checks the write
//! scope only then. Against the sandbox, which enforces scopes as Box does.
//! Run under `scripts/with-keyring.sh` (real Secret Service).

use std::time::Duration;

use box_connector_e2e::connect::*;
use box_sandbox::SandboxConfig;
use connector_core::app::{App, AppConfig, BrowserLauncher};
use connector_core::auth::{DEFAULT_SCOPE, GOVERN_SCOPE};
use connector_core::box_api::{BoxClient, RequestOptions};
use connector_core::clock::SharedClock;
use connector_core::ipc::{ApiCheckId, CheckStatus, CoreEvent, SignInView};
use connector_core::{wording, UserError};
use reqwest::Method;
use serde_json::{json, Value};

/// The `scope` an authorize link asks for.
fn asked_scope(view: &SignInView) -> String {
    url::Url::parse(&view.authorize_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Runs a sign-in (`connect` or `enable_governance`) through the
/// auto-approving sandbox; returns what it asked for and its result.
async fn sign_in<T: Send + 'static>(
    app: &App,
    flow: impl std::future::Future<Output = Result<T, UserError>> + Send + 'static,
) -> (String, T) {
    let mut events = app.subscribe();
    let task = tokio::spawn(flow);
    let view = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(CoreEvent::SignInStarted { sign_in }) = events.recv().await {
                return sign_in;
            }
        }
    })
    .await
    .expect("sign-in started");
    reqwest::get(approved_redirect(&view.authorize_url).await)
        .await
        .unwrap();
    (asked_scope(&view), task.await.unwrap().expect("signed in"))
}

/// A folder create: `{}` is malformed, so only the scope decides 403 vs 400.
async fn create_folder(client: &BoxClient, body: Value) -> Result<Value, (Option<u16>, String)> {
    client
        .send_json::<Value>(
            Method::POST,
            "/folders",
            Some(&body),
            &RequestOptions::default(),
        )
        .await
        .map(|f| f.fresh().unwrap())
        .map_err(|e| (e.status, e.box_code.unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn governance_asks_box_for_the_write_scope_and_the_api_test_checks_it() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        auto_approve: true,
        ..small_sandbox()
    })
    .await;
    let world = World::new("governance");
    let app = App::open(AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(sandbox.base_url.clone()),
        clock: SharedClock::system(),
    })
    .await
    .unwrap();
    let quarantine = json!({"name": "Box Connector Quarantine", "parent": {"id": "0"}});

    // A fresh connection is read-only: Box refuses a write, and the API test
    // has no write check.
    let a = app.clone();
    let (asked, _) = sign_in(&app, async move { a.connect().await }).await;
    assert_eq!(asked, DEFAULT_SCOPE);
    let status = app.governance_status().await.unwrap();
    assert!(!status.enabled && !status.can_write, "{status:?}");
    assert_eq!(status.scopes.join(" "), DEFAULT_SCOPE);
    assert!(!app.connection_can_write().await);
    let client = app.box_client().await.unwrap();
    assert_eq!(
        create_folder(&client, quarantine.clone())
            .await
            .unwrap_err(),
        (Some(403), "insufficient_scope".into())
    );
    let report = app.run_api_test().await.unwrap();
    assert!(
        report.checks.iter().all(|c| c.id != ApiCheckId::WriteScope),
        "no write check while governance is off: {:?}",
        report.checks
    );
    let shown = app.snapshot().await.last_api_test.unwrap();
    assert!(shown.checks.iter().all(|c| c.id != ApiCheckId::WriteScope));

    // Governance on: a second sign-in asks for root_readwrite; then the
    // check passes and the write goes through.
    let a = app.clone();
    let (asked, status) = sign_in(&app, async move { a.enable_governance().await }).await;
    assert_eq!(asked, GOVERN_SCOPE);
    assert!(status.enabled && status.can_write, "{status:?}");
    assert!(status.scopes.iter().any(|s| s == "root_readwrite"));
    assert!(app.connection_can_write().await);
    let report = app.run_api_test().await.unwrap();
    let check = report
        .checks
        .iter()
        .find(|c| c.id == ApiCheckId::WriteScope)
        .expect("the write check runs while governance is on");
    assert_eq!(check.status, CheckStatus::Pass, "{check:?}");
    assert_eq!(check.detail.as_deref(), Some(wording::WRITE_SCOPE_PASSED));
    let shown = app.snapshot().await.last_api_test.unwrap();
    assert!(shown
        .checks
        .iter()
        .any(|c| c.id == ApiCheckId::WriteScope && c.status == CheckStatus::Pass));
    let client = app.box_client().await.unwrap();
    let made = create_folder(&client, quarantine)
        .await
        .expect("a write succeeds");
    assert_eq!(made["name"], "Box Connector Quarantine");

    // Off: the switch only; the next plain sign-in is read-only again.
    let status = app.disable_governance().await.unwrap();
    assert!(
        !status.enabled && status.can_write,
        "the wider sign-in stays until the next"
    );
    let a = app.clone();
    let (asked, _) = sign_in(&app, async move { a.connect().await }).await;
    assert_eq!(asked, DEFAULT_SCOPE);
    assert!(!app.connection_can_write().await);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_turns_governance_on_in_the_browser_and_off_again() {
    require_keyring();
    let sandbox = TestSandbox::start(small_sandbox()).await;
    let world = World::new("governance-cli");
    let cli = |args: &[&str], browser: &str| {
        let mut cmd = world.cli(&sandbox, browser);
        cmd.args(args);
        run(cmd)
    };
    let out = cli(&["--json", "governance", "on"], "--login admin").await;
    assert!(
        !out.status.success(),
        "no connection yet: {}",
        describe(&out)
    );
    assert_eq!(
        stdout_json(&out)["code"],
        "not_connected",
        "{}",
        describe(&out)
    );

    let out = cli(
        &["--json", "connect", "--datacenter", "sandbox"],
        "--login admin",
    )
    .await;
    assert!(out.status.success(), "{}", describe(&out));
    let out = cli(&["--json", "governance", "status"], "").await;
    let status = stdout_json(&out);
    assert_eq!(
        (status["enabled"].as_bool(), status["can_write"].as_bool()),
        (Some(false), Some(false))
    );

    let out = cli(&["--json", "governance", "on"], "--login admin").await;
    assert!(out.status.success(), "{}", describe(&out));
    let status = stdout_json(&out);
    assert_eq!(
        (status["enabled"].as_bool(), status["can_write"].as_bool()),
        (Some(true), Some(true)),
        "{status}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sign_in_url") && stderr.contains("root_readwrite"),
        "the link is shown: {stderr}"
    );

    // A fresh process sees it, and its API test checks the write scope.
    let out = cli(&["--json", "test-api"], "").await;
    assert!(out.status.success(), "{}", describe(&out));
    let report = stdout_json(&out);
    let write = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "write_scope")
        .cloned()
        .unwrap_or_default();
    assert_eq!(write["status"], "pass", "{report}");

    let out = cli(&["governance", "off"], "").await;
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Governance: off"), "{text}");
    let out = cli(&["--json", "test-api"], "").await;
    let report = stdout_json(&out);
    assert_eq!(report["checks"].as_array().unwrap().len(), 5, "{report}");
}

/// The owner index and parent folder index of a file, as the sandbox holds it.
fn placed(sandbox: &TestSandbox, file: u32) -> (u32, u32) {
    let world = sandbox.handle.state().world.read().unwrap();
    (
        world.ent.file_owner(file),
        world.ent.files.parent[file as usize],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_quarantine_is_refused_until_governance_is_on_and_then_moves_the_file_and_back() {
    use connector_core::app::{ScanMode, ScannerRole};
    use connector_core::events::CancellationToken;
    use connector_core::ipc::govern::{ActionKind, ActionRequest, AuditState, ItemType};

    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        auto_approve: true,
        ..small_sandbox()
    })
    .await;
    let world = World::new("governance-quarantine");
    let app = App::open(AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(sandbox.base_url.clone()),
        clock: SharedClock::system(),
    })
    .await
    .unwrap();
    let a = app.clone();
    sign_in(&app, async move { a.connect().await }).await;
    app.run_scan(
        ScanMode::UntilIdle,
        ScannerRole::Cli,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    // A plain user's file.
    let (file, admin) = {
        let w = sandbox.handle.state().world.read().unwrap();
        let user = w.ent.find_login("user").unwrap();
        let file = (0..w.ent.files.parent.len() as u32)
            .find(|&f| w.ent.file_owner(f) == user && w.ent.file_alive(f))
            .expect("the user owns a file");
        (file, w.ent.find_login("admin").unwrap())
    };
    let before = placed(&sandbox, file);
    let request = ActionRequest {
        kind: ActionKind::Quarantine,
        item_type: ItemType::File,
        item_id: (box_sandbox::enterprise::FILE_ID_BASE + file as u64).to_string(),
        access: None,
        disable_download: false,
        expires_at: None,
        collaboration_id: None,
    };

    // Read-only: refused before anything is sent.
    let preview = app.preview_action(request.clone()).await.unwrap();
    assert!(preview.refused.is_some(), "{preview:?}");
    let entry = app.perform_action(&preview.preview_id).await.unwrap();
    assert_eq!(entry.state, AuditState::Refused);
    assert_eq!(placed(&sandbox, file), before, "nothing changed at Box");

    // Governance on: the quarantine moves it to the admin's holding folder.
    let a = app.clone();
    sign_in(&app, async move { a.enable_governance().await }).await;
    let preview = app.preview_action(request.clone()).await.unwrap();
    assert!(preview.refused.is_none(), "{:?}", preview.refused);
    let entry = app.perform_action(&preview.preview_id).await.unwrap();
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    let (owner, holding) = placed(&sandbox, file);
    assert_eq!(owner, admin, "the admin owns it in quarantine");
    {
        let w = sandbox.handle.state().world.read().unwrap();
        let q = w.ent.folders.parent[holding as usize];
        assert_eq!(
            w.ent.folder_name(holding),
            format!("file-{}", request.item_id)
        );
        assert_eq!(w.ent.folder_name(q), "Box Connector Quarantine");
    }

    // Restore puts it back with its owner.
    let preview = app
        .preview_action(ActionRequest {
            kind: ActionKind::Restore,
            ..request
        })
        .await
        .unwrap();
    assert!(preview.refused.is_none(), "{:?}", preview.refused);
    let entry = app.perform_action(&preview.preview_id).await.unwrap();
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    assert_eq!(
        placed(&sandbox, file),
        before,
        "back where it was, the user's again"
    );
    app.shutdown().await;
}
