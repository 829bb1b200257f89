//! A connection is an enterprise on a data center: two enterprises on one
//! data center get two connections (their state never mixes), and signing
//! in to the same enterprise again keeps its connection and revokes the grant
//! it replaced. Run under `scripts/with-keyring.sh` (real Secret Service).

use std::time::Duration;

use box_connector_e2e::connect::*;
use box_sandbox::SandboxConfig;
use connector_core::app::{App, AppConfig, BrowserLauncher};
use connector_core::ipc::{ConnectionState, CustomSettings};
use connector_core::keychain::Sensitive;

fn enterprise(seed: u64) -> SandboxConfig {
    SandboxConfig {
        auto_approve: true,
        seed,
        ..small_sandbox()
    }
}

// The update keeps this compiling when AppConfig gains a field.
#[allow(clippy::needless_update)]
async fn open_app(world: &World, sandbox: &TestSandbox) -> App {
    App::open(AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(sandbox.base_url.clone()),
        ..AppConfig::from_env(world.data_dir())
    })
    .await
    .unwrap()
}

/// Connects through the auto-approving sandbox, as a browser would.
async fn connect(app: &App) {
    let (view, task) = start_connect(app).await;
    let callback = approved_redirect(&view.authorize_url).await;
    reqwest::get(&callback).await.unwrap();
    let conn = task.await.unwrap().expect("connected");
    assert_eq!(conn.state, ConnectionState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_enterprise_keeps_its_connection_and_the_replaced_grant_is_revoked() {
    require_keyring();
    let world = World::new("same-enterprise");
    let sandbox = TestSandbox::start(enterprise(11)).await;
    let app = open_app(&world, &sandbox).await;

    connect(&app).await;
    let first_id = world.connection_id("sandbox").expect("a connection row");
    assert_eq!(
        first_id,
        format!("sandbox:enterprise:{}", 7_000_000 + 11),
        "the id names the data center and the enterprise"
    );
    // Not tried here: under rotation trying a refresh token uses it up.
    let first = world.stored_tokens("sandbox").unwrap();

    connect(&app).await;
    assert_eq!(world.connection_rows().len(), 1, "one enterprise, one row");
    assert_eq!(world.connection_id("sandbox").unwrap(), first_id);
    let second = world.stored_tokens("sandbox").unwrap();
    assert_ne!(second.refresh_token.expose(), first.refresh_token.expose());
    assert!(
        !sandbox
            .accepts_refresh_token(first.refresh_token.expose())
            .await,
        "the grant the new sign-in replaced is revoked"
    );
    assert_eq!(
        world.connection_entries(),
        vec![connector_core::auth::KeychainVault::account_for(&first_id)],
        "no provisional keychain entry is left behind"
    );
    app.run_api_test().await.expect("the new grant works");
}

/// Points the Custom data center at `server` (the admin's own OAuth app).
async fn use_custom(app: &App, server: &TestSandbox) {
    let origin = &server.base_url;
    app.set_custom_settings(CustomSettings {
        client_id: "sandbox-client".into(),
        authorize_url: Some(format!("{origin}/api/oauth2/authorize")),
        token_url: Some(format!("{origin}/oauth2/token")),
        api_url: Some(format!("{origin}/2.0")),
        revoke_url: Some(format!("{origin}/oauth2/revoke")),
    })
    .await
    .unwrap();
    app.set_client_secret("custom", Sensitive::new("sandbox-secret".into()))
        .await
        .unwrap();
    app.select_datacenter("custom").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_enterprises_on_one_data_center_are_two_connections() {
    require_keyring();
    let world = World::new("two-enterprises");
    let acme = TestSandbox::start(enterprise(21)).await;
    let globex = TestSandbox::start(enterprise(22)).await;
    let app = open_app(&world, &acme).await;

    use_custom(&app, &acme).await;
    connect(&app).await;
    let acme_id = world.connection_id("custom").unwrap();
    let acme_tokens = world.stored_tokens("custom").unwrap();

    // The same data center (Custom), another enterprise behind it.
    use_custom(&app, &globex).await;
    connect(&app).await;
    let globex_id = world.connection_id("custom").unwrap();
    assert_ne!(acme_id, globex_id, "each enterprise has its own connection");
    assert!(globex_id.ends_with(&format!(":{}", 7_000_000 + 22)));

    let rows = world.connection_rows();
    let row = |id: &str| rows.iter().find(|r| r.id == id).cloned().unwrap();
    assert_eq!(row(&acme_id).state, "disconnected");
    assert_eq!(
        row(&acme_id).enterprise_id,
        Some(format!("{}", 7_000_000 + 21))
    );
    assert_eq!(row(&globex_id).state, "connected");
    assert_eq!(
        row(&globex_id).enterprise_id,
        Some(format!("{}", 7_000_000 + 22))
    );
    let snapshot = app.snapshot().await;
    assert_eq!(snapshot.connection.state, ConnectionState::Connected);
    assert_eq!(
        snapshot.connection.account.unwrap().enterprise_id,
        Some(format!("{}", 7_000_000 + 22))
    );
    assert!(
        !acme
            .accepts_refresh_token(acme_tokens.refresh_token.expose())
            .await,
        "the replaced enterprise's grant is revoked"
    );
}
