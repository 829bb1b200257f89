//! The Box client's failure handling: retries through 429 bursts, 5xx and
//! connection resets (sandbox faults), a refresh on 401, malformed JSON and a
//! dead network mapped to the troubleshooting table.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use box_connector_e2e::connect::*;
use box_sandbox::{Faults, SandboxConfig};
use connector_core::app::{App, AppConfig, BrowserLauncher};
use connector_core::auth::TokenSet;
use connector_core::box_api::{BoxClient, RetryPolicy};
use connector_core::ipc::CoreEvent;
use connector_core::testing;
use connector_core::ErrorCode;

fn tokens(access: &str, life_secs: i64) -> TokenSet {
    testing::token_set(access, "refresh-1", life_secs)
}

fn client_for(origin: &str, initial: TokenSet) -> BoxClient {
    testing::client_with(origin, "cid", "secret", initial).with_retry(RetryPolicy {
        base_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    })
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

#[tokio::test]
async fn malformed_json_is_failed_to_parse_response_run_the_api_test_again() {
    let origin = serve(Router::new().route(
        "/2.0/users/me",
        get(|| async { "{\"id\": \"1\", \"login\":" }),
    ))
    .await;
    let err = client_for(&origin, tokens("a1", 3600))
        .me(None)
        .await
        .unwrap_err()
        .user;
    assert_eq!(err.code, ErrorCode::MalformedResponse);
    assert!(err.message.contains("Failed to parse response"), "{err:?}");
    assert!(err.hint.contains("run the API test again"), "{err:?}");
}

#[tokio::test]
async fn a_dead_network_is_a_network_error_not_a_hang() {
    // A port that was just free: nothing listens there.
    let origin = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        client_for(&origin, tokens("a1", 3600)).me(None),
    )
    .await;
    let err = result.expect("gives up").unwrap_err().user;
    assert_eq!(err.code, ErrorCode::Network);
    assert!(err.hint.contains("internet connection"), "{err:?}");
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_with_the_new_token() {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let r = refreshes.clone();
    let app = Router::new()
        .route(
            "/2.0/users/me",
            get(|headers: axum::http::HeaderMap| async move {
                // Only the refreshed token is accepted (the first one was revoked early).
                if headers["authorization"] == "Bearer a2" {
                    (axum::http::StatusCode::OK, r#"{"type":"user","id":"7","login":"x@example.com"}"#)
                } else {
                    (axum::http::StatusCode::UNAUTHORIZED, "")
                }
            }),
        )
        .route(
            "/oauth2/token",
            post(move || {
                r.fetch_add(1, Ordering::SeqCst);
                async { axum::Json(serde_json::json!({"access_token":"a2","refresh_token":"refresh-2","expires_in":3600})) }
            }),
        );
    let origin = serve(app).await;
    let me = client_for(&origin, tokens("a1", 3600))
        .me(None)
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(me.id, "7");
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_in_lower_case() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new().route(
        "/2.0/users/me",
        get(move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    // Box sends the header in lower case.
                    (
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "1")],
                        "",
                    )
                        .into_response()
                } else {
                    (axum::http::StatusCode::OK, [("x-ok", "1")], r#"{"id":"7"}"#).into_response()
                }
            }
        }),
    );
    let origin = serve(app).await;
    let started = std::time::Instant::now();
    let me = client_for(&origin, tokens("a1", 3600))
        .me(None)
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(me.id, "7");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Waited the server's second, not the 20 ms backoff.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

/// The sandbox injects 429 bursts, 500/503 and connection resets; every call
/// still succeeds, and health counts the 429s and errors of the last hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faults_are_retried_and_counted_in_health() {
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        auto_approve: true,
        // A fifth of attempts fail: a call fails only if six in a row do
        // (~6e-5), and 50 calls meet no 429 with probability ~0.2%.
        faults: Faults {
            p429_burst: 0.12,
            burst_len: 1,
            p500: 0.03,
            p503: 0.03,
            p_reset: 0.02,
            ..Faults::default()
        },
        ..small_sandbox()
    })
    .await;
    let world = World::new("faults");
    let app = App::open(AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(sandbox.base_url.clone()),
        clock: Default::default(),
    })
    .await
    .unwrap();
    let mut events = app.subscribe();
    let a = app.clone();
    let task = tokio::spawn(async move { a.connect().await });
    let url = loop {
        if let Ok(CoreEvent::SignInStarted { sign_in }) = events.recv().await {
            break sign_in.authorize_url;
        }
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let loc = http.get(&url).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    reqwest::get(loc).await.unwrap();
    task.await.unwrap().unwrap();

    let client = app.box_client().await.unwrap();
    for _ in 0..50 {
        client
            .me(None)
            .await
            .map_err(|e| e.user)
            .expect("retries ride out the faults");
    }
    let health = app.snapshot().await.health.unwrap();
    let stats = &health.last_hour;
    assert!(stats.calls > 50, "retries are logged too: {stats:?}");
    assert!(stats.rate_limited > 0, "{stats:?}");
    assert!(stats.errors >= stats.rate_limited, "{stats:?}");
    assert!(
        stats.rate_limited_rate > 0.0 && stats.error_rate < 1.0,
        "{stats:?}"
    );
    assert!(stats.median_latency_ms.is_some());
    println!("fault run: {stats:?}");
}
