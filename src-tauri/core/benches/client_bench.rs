//! What the Box client's request loop costs, next to bare reqwest doing the
//! same requests in the same run (target: ≤ 1.1× the time):
//!
//!   cargo bench -p connector-core --bench client_bench
//!
//! 64 concurrent `GET /2.0/users/me` against an in-process sandbox whose
//! rate limit is off, through the core client (limiter, token lease,
//! retry bookkeeping, the in-memory call figures health reads) and through
//! a plain `reqwest::Client` with the same bearer token. Rounds alternate
//! so both see the same warm server.
//!
//! Then one 64 MiB download at a time, through the client's download (the
//! 302 followed by hand, the body watched for stalls, ready to resume)
//! and through bare reqwest following the same 302 (target: ≤ 1.1×).

use connector_core::testing::{self, UNLIMITED};
use std::sync::Arc;
use std::time::{Duration, Instant};

use box_sandbox::{Sandbox, SandboxConfig};
use chrono::Utc;
use connector_core::auth::TokenSet;
use connector_core::box_api::{ApiCall, CallRecorder, RequestOptions, USER_FIELDS};
use connector_core::datacenter::Endpoints;
use connector_core::health::LiveCalls;
use connector_core::store::ApiCallRecord;

const CONCURRENT: usize = 64;
const ROUNDS: usize = 60;

/// What the app's session does per call: count it for health, queue its row.
struct SessionLikeRecorder {
    live: LiveCalls,
    rows: std::sync::Mutex<Vec<ApiCallRecord>>,
}

impl CallRecorder for SessionLikeRecorder {
    fn record(&self, call: ApiCall) {
        let row = ApiCallRecord {
            connection_id: Some("bench".into()),
            at: call.at,
            method: call.method,
            endpoint: call.endpoint,
            status: call.status,
            latency_ms: call.latency_ms,
            rate_limited: call.rate_limited,
            error_code: call.error_code.map(|c| format!("{c:?}")),
        };
        self.live.push(&row);
        let mut rows = self.rows.lock().unwrap();
        rows.push(row);
        if rows.len() >= 300 {
            rows.clear();
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sandbox = Sandbox::start(SandboxConfig {
        users: 20,
        files: 200,
        history_days: 2,
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let pair = sandbox.issue_tokens("admin");
    let tokens = testing::token_set(&pair.access_token, &pair.refresh_token, 3600);
    let endpoints = Endpoints::under_origin(&sandbox.base_url());
    let recorder = Arc::new(SessionLikeRecorder {
        live: LiveCalls::new("bench"),
        rows: std::sync::Mutex::new(Vec::new()),
    });
    recorder.live.seed(&[]);
    let client = Arc::new(
        testing::sandbox_client(&sandbox.base_url(), tokens.clone())
            .with_recorder(recorder.clone())
            .with_user_rate(UNLIMITED)
            .with_global_rate(Some(UNLIMITED)),
    );
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/users/me", endpoints.api_url);
    let bearer = format!("Bearer {}", pair.access_token);

    let through_client = || {
        let client = client.clone();
        async move {
            let tasks: Vec<_> = (0..CONCURRENT)
                .map(|_| {
                    let c = client.clone();
                    tokio::spawn(async move { c.me(None).await.map(|_| ()) })
                })
                .collect();
            for t in tasks {
                t.await.unwrap().map_err(|e| e.user).expect("client call");
            }
        }
    };
    let through_reqwest = || {
        let (bare, url, bearer) = (bare.clone(), url.clone(), bearer.clone());
        async move {
            let tasks: Vec<_> = (0..CONCURRENT)
                .map(|_| {
                    let (http, url, bearer) = (bare.clone(), url.clone(), bearer.clone());
                    tokio::spawn(async move {
                        let resp = http
                            .get(&url)
                            .query(&[("fields", USER_FIELDS)])
                            .header("authorization", bearer)
                            .send()
                            .await
                            .expect("bare call");
                        assert!(resp.status().is_success());
                        let body = resp.bytes().await.expect("bare body");
                        let _: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        }
    };

    // Warm both connection pools and the server.
    for _ in 0..5 {
        through_client().await;
        through_reqwest().await;
    }
    let (mut core_total, mut bare_total) = (Duration::ZERO, Duration::ZERO);
    for round in 0..ROUNDS {
        // Alternate which goes first, so neither always meets a cooler server.
        let measure = |first_is_core: bool| async move {
            let started = Instant::now();
            if first_is_core {
                through_client().await;
            } else {
                through_reqwest().await;
            }
            started.elapsed()
        };
        let (a, b) = if round % 2 == 0 {
            let a = measure(true).await;
            (a, measure(false).await)
        } else {
            let b = measure(false).await;
            (measure(true).await, b)
        };
        core_total += a;
        bare_total += b;
    }
    let per_round = |d: Duration| d.as_secs_f64() * 1e3 / ROUNDS as f64;
    println!(
        "{CONCURRENT} concurrent GET /2.0/users/me, {ROUNDS} rounds: core client {:.2} ms/round, \
         bare reqwest {:.2} ms/round, ratio {:.2}x (target <= 1.10x)",
        per_round(core_total),
        per_round(bare_total),
        core_total.as_secs_f64() / bare_total.as_secs_f64()
    );
    println!(
        "calls counted in memory for health: {}",
        recorder.live.summary(Utc::now()).last_hour.calls
    );
    sandbox.stop().await;
    download_throughput(tokens).await;
}

const DOWNLOAD_BYTES: usize = 64 << 20;
const DOWNLOAD_ROUNDS: usize = 8;

/// A download host of the bench's own (the sandbox's files are small):
/// `/2.0/files/{id}/content` answers 302 to `/dl`, which serves
/// [`DOWNLOAD_BYTES`] from memory.
async fn download_throughput(tokens: TokenSet) {
    use axum::routing::get;
    let body = bytes::Bytes::from(vec![b'x'; DOWNLOAD_BYTES]);
    let app = axum::Router::new()
        .route(
            "/2.0/files/{id}/content",
            get(|| async { (axum::http::StatusCode::FOUND, [("location", "/dl")]) }),
        )
        .route("/dl", get(move || std::future::ready(body.clone())));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let endpoints = Endpoints::under_origin(&origin);
    let bearer = format!("Bearer {}", tokens.access_token.expose());
    let client = testing::sandbox_client(&origin, tokens);
    // Follows the 302 itself, as a plain download would.
    let bare = reqwest::Client::new();
    let url = format!("{}/files/1/content", endpoints.api_url);

    let through_client = || async {
        use futures_util::StreamExt;
        let download = client
            .download("1", &RequestOptions::default())
            .await
            .map_err(|e| e.user)
            .expect("client download");
        let mut body = download.into_stream();
        let mut got = 0;
        while let Some(chunk) = body.next().await {
            got += chunk.map_err(|e| e.user).expect("client body").len();
        }
        assert_eq!(got, DOWNLOAD_BYTES);
    };
    let through_reqwest = || async {
        let mut resp = bare
            .get(&url)
            .header("authorization", &bearer)
            .send()
            .await
            .expect("bare download");
        let mut got = 0;
        while let Some(chunk) = resp.chunk().await.expect("bare body") {
            got += chunk.len();
        }
        assert_eq!(got, DOWNLOAD_BYTES);
    };
    through_client().await;
    through_reqwest().await;
    let (mut core_total, mut bare_total) = (Duration::ZERO, Duration::ZERO);
    for round in 0..DOWNLOAD_ROUNDS {
        for core_turn in [round % 2 == 0, round % 2 == 1] {
            let started = Instant::now();
            if core_turn {
                through_client().await;
                core_total += started.elapsed();
            } else {
                through_reqwest().await;
                bare_total += started.elapsed();
            }
        }
    }
    let mb_per_s = |d: Duration| {
        (DOWNLOAD_BYTES * DOWNLOAD_ROUNDS) as f64 / (1 << 20) as f64 / d.as_secs_f64()
    };
    println!(
        "{} MiB downloads, {DOWNLOAD_ROUNDS} rounds: core client {:.0} MiB/s, bare reqwest {:.0} MiB/s, \
         time ratio {:.2}x (target <= 1.10x)",
        DOWNLOAD_BYTES >> 20,
        mb_per_s(core_total),
        mb_per_s(bare_total),
        core_total.as_secs_f64() / bare_total.as_secs_f64()
    );
}
