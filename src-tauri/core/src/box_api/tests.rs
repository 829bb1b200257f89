//! The client against real servers: the sandbox (`box-sandbox`, in-process)
//! for Box's behaviour, small axum servers where a test needs one exact
//! answer, and a raw TCP server where it needs exact bytes on the wire.
//! Tests that wait use tokio's paused clock, with a reqwest client without
//! timers so the clock only jumps to the waits under test.

use std::io::{Read as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap as AxumHeaders, StatusCode as AxumStatus};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use box_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt};

use super::models::{Item, Page, User};
use super::paging::Listing;
use super::*;
use crate::auth::{OAuthClient, TokenSet, TokenVault};
use crate::datacenter::Endpoints;
use crate::error::UserError;
use crate::keychain::Sensitive;
use crate::testing::token_set;

/// Tokens in memory, counting saves (one save = one refresh).
#[derive(Default)]
struct CountingVault {
    tokens: Mutex<Option<TokenSet>>,
    saves: AtomicUsize,
}

impl TokenVault for CountingVault {
    fn load(&self) -> Result<Option<TokenSet>, UserError> {
        Ok(self.tokens.lock().unwrap().clone())
    }
    fn save(&self, tokens: &TokenSet) -> Result<(), UserError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        *self.tokens.lock().unwrap() = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), UserError> {
        *self.tokens.lock().unwrap() = None;
        Ok(())
    }
}

/// A client of `origin` holding `tokens`, retrying fast.
fn client_with(origin: &str, tokens: TokenSet, secret: &str) -> (BoxClient, Arc<CountingVault>) {
    let endpoints = Endpoints::under_origin(origin);
    let oauth = OAuthClient::new(
        OAuthClient::default_http(),
        endpoints.clone(),
        "sandbox-client".into(),
        Sensitive::new(secret.into()),
    );
    let vault = Arc::new(CountingVault::default());
    *vault.tokens.lock().unwrap() = Some(tokens.clone());
    let manager = Arc::new(TokenManager::new(oauth, vault.clone(), Some(tokens)));
    let client = BoxClient::new(&endpoints.api_url, manager).with_retry(RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    });
    (client, vault)
}

/// No timeouts or pool timers: under a paused clock the only timers left
/// are the client's own waits.
fn timerless_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(None)
        .build()
        .unwrap()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

async fn sandbox() -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        users: 12,
        files: 300,
        history_days: 10,
        // The client's own limiter is under test, not the sandbox's.
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// A real token pair for the sandbox's admin, its access token already
/// expired when `expired` (so the first use refreshes).
fn sandbox_tokens(sb: &SandboxHandle, expired: bool) -> TokenSet {
    let pair = sb.issue_tokens("admin");
    token_set(
        &pair.access_token,
        &pair.refresh_token,
        if expired { -10 } else { 3600 },
    )
}

fn sandbox_client(sb: &SandboxHandle, expired: bool) -> (BoxClient, Arc<CountingVault>) {
    let (client, vault) = client_with(
        &sb.base_url(),
        sandbox_tokens(sb, expired),
        "sandbox-secret",
    );
    let client = client
        .with_user_rate(Rate {
            per_second: 100_000.0,
            burst: 100_000,
        })
        .with_global_rate(None);
    (client, vault)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_requests_succeed_with_one_token_refresh() {
    let sb = sandbox().await;
    let (client, vault) = sandbox_client(&sb, true);
    let client = Arc::new(client);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.me(None).await })
        })
        .collect();
    for t in tasks {
        let me = t.await.unwrap().map_err(|e| e.user).unwrap();
        assert_eq!(me.role.as_deref(), Some("admin"));
    }
    assert_eq!(
        vault.saves.load(Ordering::SeqCst),
        1,
        "one refresh for all 64"
    );
    sb.stop().await;
}

/// Serves `responses` in order, one per connection, each written as raw
/// bytes; counts the requests.
fn raw_server(responses: Vec<String>) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for (response, stream) in responses.into_iter().zip(listener.incoming()) {
            let mut stream = stream.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            count.fetch_add(1, Ordering::SeqCst);
            stream.write_all(response.as_bytes()).unwrap();
            stream.flush().unwrap();
        }
    });
    (origin, served)
}

/// Box sends `retry-after` in lower case, proxies `Retry-After`; some send
/// it shouting. The header is written to the wire exactly so: a client that
/// matched the name case-sensitively would retry after its 1 ms backoff
/// instead of waiting the 7 s asked for, and this test would fail.
#[tokio::test(start_paused = true)]
async fn retry_after_on_the_wire_is_honoured_in_any_case() {
    for name in ["Retry-After", "retry-after", "RETRY-AFTER"] {
        let limited = format!(
            "HTTP/1.1 429 Too Many Requests\r\n{name}: 7\r\ncontent-type: application/json\r\n\
             content-length: 2\r\nconnection: close\r\n\r\n{{}}"
        );
        let body = r#"{"type":"user","id":"7"}"#;
        let ok = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        let (origin, served) = raw_server(vec![limited, ok]);
        let (client, _) = client_with(&origin, token_set("a1", "r1", 3600), "s");
        let client = client
            .with_http_client(timerless_http())
            .with_timeouts(Timeouts::none());
        let started = tokio::time::Instant::now();
        let me = client.me(None).await.map_err(|e| e.user).unwrap();
        let waited = started.elapsed();
        assert_eq!(me.id, "7");
        assert_eq!(served.load(Ordering::SeqCst), 2, "{name}");
        assert!(
            waited >= Duration::from_secs(7) && waited < Duration::from_secs(8),
            "{name}: waited {waited:?}"
        );
    }
}

/// Arrival time of each request at the server, by acting user.
type Arrivals = Arc<Mutex<Vec<(String, Duration)>>>;

/// Stops the paused clock from jumping ahead on its own while real sockets
/// are busy (tokio holds auto-advance while a blocking task runs); the test
/// moves time itself with `tokio::time::advance`.
struct FrozenClock(#[allow(dead_code)] std::sync::mpsc::Sender<()>);

impl FrozenClock {
    fn hold() -> FrozenClock {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = rx.recv();
        });
        FrozenClock(tx)
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_back_every_request_of_that_user_and_no_other() {
    let arrivals: Arrivals = Arc::default();
    let start = tokio::time::Instant::now();
    let log = arrivals.clone();
    let app = Router::new().route(
        "/2.0/users/me",
        get(move |headers: AxumHeaders| {
            let log = log.clone();
            async move {
                let user = headers
                    .get("as-user")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_else(|| "admin".into());
                let mut log = log.lock().unwrap();
                let first_of_user = !log.iter().any(|(u, _)| *u == user);
                log.push((user.clone(), start.elapsed()));
                if user == "10" && first_of_user {
                    return (AxumStatus::TOO_MANY_REQUESTS, [("retry-after", "3")], "")
                        .into_response();
                }
                axum::Json(serde_json::json!({"type": "user", "id": user})).into_response()
            }
        }),
    );
    let origin = serve(app).await;
    let _frozen = FrozenClock::hold();
    let (client, _) = client_with(&origin, token_set("a1", "r1", 3600), "s");
    let client = Arc::new(
        client
            .with_http_client(timerless_http())
            .with_timeouts(Timeouts::none()),
    );

    let first = {
        let c = client.clone();
        tokio::spawn(async move { c.me(Some("10")).await })
    };
    while client.limiter().pause_left("10").is_none() {
        tokio::task::yield_now().await;
    }
    let same_user = {
        let c = client.clone();
        tokio::spawn(async move { c.me(Some("10")).await })
    };
    // Another user goes at once, while user 10 is still paused.
    let other_user = client.me(Some("11")).await.map_err(|e| e.user).unwrap();
    assert_eq!(other_user.id, "11");
    assert_eq!(
        client.limiter().pause_left("10"),
        Some(Duration::from_secs(3))
    );
    // Time moves only as the test says: user 10's requests go after 3 s.
    while !(first.is_finished() && same_user.is_finished()) {
        tokio::time::advance(Duration::from_millis(10)).await;
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }
    first.await.unwrap().map_err(|e| e.user).unwrap();
    same_user.await.unwrap().map_err(|e| e.user).unwrap();

    let arrivals = arrivals.lock().unwrap().clone();
    let of = |user: &str| -> Vec<Duration> {
        arrivals
            .iter()
            .filter(|(u, _)| u == user)
            .map(|(_, t)| *t)
            .collect()
    };
    assert_eq!(of("11"), vec![Duration::ZERO], "another user does not wait");
    let user10 = of("10");
    assert_eq!(user10.len(), 3, "{arrivals:?}");
    assert_eq!(user10[0], Duration::ZERO);
    assert!(
        user10[1..].iter().all(|t| *t >= Duration::from_secs(3)),
        "both requests of the paused user wait out the retry-after: {arrivals:?}"
    );
}

/// The admin's own calls and `as-user: <admin>` are one bucket.
#[tokio::test]
async fn as_user_with_the_admins_own_id_shares_the_admins_bucket() {
    let (client, _) = client_with("http://127.0.0.1:9", token_set("a", "r", 3600), "s");
    client.set_self_user_id("42");
    assert_eq!(client.bucket_of(None), client.bucket_of(Some("42")));
    assert_ne!(client.bucket_of(None), client.bucket_of(Some("43")));
}

/// A server that answers 500 to everything, counting what it got.
async fn failing_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().fallback(move || {
        h.fetch_add(1, Ordering::SeqCst);
        async {
            (
                AxumStatus::INTERNAL_SERVER_ERROR,
                r#"{"type":"error","status":500,"code":"internal_server_error","message":"boom","request_id":"rq1"}"#,
            )
        }
    });
    (serve(app).await, hits)
}

#[tokio::test(start_paused = true)]
async fn a_post_is_not_retried_after_a_5xx_and_a_get_is() {
    let (origin, hits) = failing_server().await;
    let (client, _) = client_with(&origin, token_set("a1", "r1", 3600), "s");
    let client = client
        .with_http_client(timerless_http())
        .with_timeouts(Timeouts::none());
    let body = serde_json::json!({"item": {"type": "file", "id": "1"}});
    let err = client
        .send_json::<serde_json::Value>(
            Method::POST,
            "/collaborations",
            Some(&body),
            &RequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "a POST that may have been applied is not repeated"
    );
    assert_eq!(err.kind, ApiErrorKind::Unavailable);
    assert_eq!(err.request_id.as_deref(), Some("rq1"));
    assert_eq!(err.box_code.as_deref(), Some("internal_server_error"));

    hits.store(0, Ordering::SeqCst);
    let err = client.me(None).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Unavailable);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        RetryPolicy::default().max_attempts as usize,
        "a GET is retried"
    );
}

#[tokio::test(start_paused = true)]
async fn a_post_is_retried_after_a_429() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().fallback(move || {
        let n = h.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                (AxumStatus::TOO_MANY_REQUESTS, [("retry-after", "2")], "{}").into_response()
            } else {
                (AxumStatus::CREATED, r#"{"id":"c1"}"#).into_response()
            }
        }
    });
    let origin = serve(app).await;
    let (client, _) = client_with(&origin, token_set("a1", "r1", 3600), "s");
    let client = client
        .with_http_client(timerless_http())
        .with_timeouts(Timeouts::none());
    let made: Fetched<serde_json::Value> = client
        .send_json(
            Method::POST,
            "/collaborations",
            Some(&serde_json::json!({})),
            &RequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(made.fresh().unwrap()["id"], "c1");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "a 429 was turned away before it was applied"
    );
}

#[tokio::test]
async fn listings_page_through_every_marker() {
    let sb = sandbox().await;
    let (client, _) = sandbox_client(&sb, false);
    let all: Vec<User> = client
        .users()
        .try_collect()
        .await
        .map_err(|e| e.user)
        .unwrap();
    // Three per page: the same users, in the same order, over several pages.
    let paged: Vec<User> = client
        .paginate(Listing {
            path: "/users".into(),
            query: vec![
                ("user_type", "managed".into()),
                ("usemarker", "true".into()),
                ("limit", "3".into()),
            ],
            options: RequestOptions::default().fields(USER_FIELDS),
        })
        .try_collect()
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert!(all.len() >= 12, "{}", all.len());
    let ids = |v: &[User]| v.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&all));
    let calls = sb.state().stats.lock().unwrap().by_endpoint["GET /2.0/users"];
    assert_eq!(calls as usize, 1 + all.len().div_ceil(3));

    // A folder listing as a user: typed entries with the scan's fields.
    let user = all
        .iter()
        .find(|u| u.role.as_deref() == Some("user"))
        .unwrap();
    let as_user = RequestOptions::default().as_user(user.id.clone());
    let items: Vec<Item> = client
        .folder_items("0", &as_user)
        .try_collect()
        .await
        .map_err(|e| e.user)
        .unwrap();
    let file = items
        .iter()
        .find_map(|i| match i {
            Item::File(f) => Some(f.clone()),
            _ => None,
        })
        .expect("a file in the root");
    assert!(file.sha1.is_some() && file.etag.is_some() && file.size.is_some());
    assert!(file.path_collection.is_some() && file.owned_by.is_some());
    sb.stop().await;
}

#[tokio::test]
async fn an_unchanged_file_is_not_modified_and_content_streams() {
    let sb = sandbox().await;
    let (client, _) = sandbox_client(&sb, false);
    let users: Vec<User> = client
        .users()
        .try_collect()
        .await
        .map_err(|e| e.user)
        .unwrap();
    let user = users
        .iter()
        .find(|u| u.role.as_deref() == Some("user"))
        .unwrap();
    let as_user = RequestOptions::default().as_user(user.id.clone());
    let first: Page<Item> = client
        .get_json(
            "/folders/0/items",
            &[("limit", "1000".into()), ("fields", ITEM.into())],
            &as_user,
        )
        .await
        .map_err(|e| e.user)
        .unwrap()
        .fresh()
        .unwrap();
    let file = first
        .entries
        .iter()
        .find_map(|i| match i {
            Item::File(f) if f.size.unwrap_or(0) > 16 => Some(f.clone()),
            _ => None,
        })
        .expect("a non-empty file");

    let fetched = client
        .file(&file.id, &as_user)
        .await
        .map_err(|e| e.user)
        .unwrap();
    let etag = fetched.fresh().unwrap().etag.unwrap();
    let again = client
        .file(&file.id, &as_user.clone().if_none_match(etag))
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(again, Fetched::NotModified);

    let download = client
        .download(&file.id, &as_user)
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(download.status, 200);
    let mut chunks = download.into_stream();
    let mut total = 0u64;
    while let Some(chunk) = chunks.next().await {
        total += chunk.map_err(|e| e.user).unwrap().len() as u64;
    }
    assert_eq!(Some(total), file.size);

    let part = client
        .download(&file.id, &as_user.clone().range("bytes=0-9"))
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(part.status, 206);
    assert!(part
        .content_range
        .as_deref()
        .unwrap()
        .starts_with("bytes 0-9/"));
    let bytes: Vec<bytes::Bytes> = part
        .into_stream()
        .try_collect()
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(bytes.iter().map(|b| b.len()).sum::<usize>(), 10);
    sb.stop().await;
}

const ITEM: &str = models::ITEM_FIELDS;

/// Box answers 202 + retry-after while a new upload is processed, then 302
/// to a download URL; the first URL has expired by the time it is fetched.
#[tokio::test(start_paused = true)]
async fn downloads_wait_for_202_and_renew_an_expired_link() {
    let content_calls = Arc::new(AtomicUsize::new(0));
    let c = content_calls.clone();
    let app = Router::new()
        .route(
            "/2.0/files/{id}/content",
            get(move |headers: AxumHeaders| {
                let n = c.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(headers.contains_key("authorization"));
                    match n {
                        0 => (AxumStatus::ACCEPTED, [("retry-after", "4")], "").into_response(),
                        1 => (AxumStatus::FOUND, [("location", "/dl/expired")], "").into_response(),
                        _ => (AxumStatus::FOUND, [("location", "/dl/fresh")], "").into_response(),
                    }
                }
            }),
        )
        .route(
            "/dl/expired",
            get(|| async { (AxumStatus::FORBIDDEN, "link expired") }),
        )
        .route(
            "/dl/fresh",
            get(|headers: AxumHeaders| async move {
                // Download URLs are pre-signed: the token stays with Box's API.
                assert!(!headers.contains_key("authorization"));
                "hello, content"
            }),
        );
    let origin = serve(app).await;
    let (client, _) = client_with(&origin, token_set("a1", "r1", 3600), "s");
    let client = client
        .with_http_client(timerless_http())
        .with_timeouts(Timeouts::none());
    let started = tokio::time::Instant::now();
    let result = client.download("1", &RequestOptions::default()).await;
    let download = match result {
        Ok(d) => d,
        Err(e) => panic!("{:?}", e.user),
    };
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "the 202's retry-after was waited"
    );
    let body: Vec<bytes::Bytes> = download
        .into_stream()
        .try_collect()
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert_eq!(body.concat(), b"hello, content");
    assert_eq!(content_calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn admin_logs_filter_by_date_and_type_and_positions_round_trip() {
    let sb = sandbox().await;
    let (client, _) = sandbox_client(&sb, false);
    let now = Utc::now();
    let query = AdminLogsQuery {
        created_after: Some(now - chrono::Duration::days(5)),
        created_before: Some(now - chrono::Duration::days(1)),
        event_types: vec!["LOGIN".into(), "PREVIEW".into()],
        limit: 50,
        ..AdminLogsQuery::default()
    };
    let page = client.admin_logs(&query).await.map_err(|e| e.user).unwrap();
    assert!(!page.entries.is_empty());
    for e in &page.entries {
        let at = e.created_at.unwrap();
        assert!(at >= query.created_after.unwrap() && at <= query.created_before.unwrap());
        assert!(
            matches!(e.event_type.as_deref(), Some("LOGIN" | "PREVIEW")),
            "{e:?}"
        );
        assert!(e.event_id.is_some());
    }
    let next = page.next_stream_position.clone().unwrap();
    let more = client
        .admin_logs(&AdminLogsQuery {
            stream_position: Some(next.0.clone()),
            ..query.clone()
        })
        .await
        .map_err(|e| e.user)
        .unwrap();
    let first_ids: Vec<_> = page.entries.iter().map(|e| e.event_id.clone()).collect();
    assert!(more
        .entries
        .iter()
        .all(|e| !first_ids.contains(&e.event_id)));
    let tip = client
        .admin_logs_streaming(Some("now"), 10)
        .await
        .map_err(|e| e.user)
        .unwrap();
    assert!(tip.entries.is_empty() && tip.next_stream_position.is_some());
    sb.stop().await;
}

/// A 2xx body that is not what the spec says is asked for again, then
/// reported naming the request (and no token).
#[tokio::test(start_paused = true)]
async fn a_malformed_body_is_retried_then_names_the_request() {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let app = Router::new().route(
        "/2.0/files/{id}",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { r#"{"id": 5"# }
        }),
    );
    let origin = serve(app).await;
    let (client, _) = client_with(&origin, token_set("secret-access", "r1", 3600), "s");
    let err = client
        .file("5", &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Malformed);
    assert!(
        err.user.message.contains("GET /files/5"),
        "{}",
        err.user.message
    );
    assert!(!err.user.message.contains("secret-access"));
    assert_eq!(sent.load(Ordering::SeqCst), MALFORMED_ATTEMPTS as usize);
}

/// A body cut off once is read again and the caller never sees it.
#[tokio::test(start_paused = true)]
async fn a_body_cut_off_once_is_read_again() {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let app = Router::new().route(
        "/2.0/files/{id}",
        get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    r#"{"type":"file","id":"5","na"#
                } else {
                    r#"{"type":"file","id":"5","name":"a.txt"}"#
                }
            }
        }),
    );
    let origin = serve(app).await;
    let (client, _) = client_with(&origin, token_set("t", "r1", 3600), "s");
    let file = client
        .file("5", &RequestOptions::default())
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(file.name.as_deref(), Some("a.txt"));
    assert_eq!(sent.load(Ordering::SeqCst), 2);
}

// Downloads over slow and broken links. These run on the real clock with
// test-sized limits (tenths of a second): what is under test is the pace of
// real bytes on a real socket.

/// A user's largest file in their root folder, and the options to act as them.
async fn largest_file(client: &BoxClient) -> (models::File, RequestOptions) {
    let users: Vec<User> = client
        .users()
        .try_collect()
        .await
        .map_err(|e| e.user)
        .unwrap();
    let mut best: Option<(models::File, RequestOptions)> = None;
    for user in users.iter().filter(|u| u.role.as_deref() == Some("user")) {
        let as_user = RequestOptions::default().as_user(user.id.clone());
        let page: Page<Item> = client
            .get_json(
                "/folders/0/items",
                &[("limit", "1000".into()), ("fields", ITEM.into())],
                &as_user,
            )
            .await
            .map_err(|e| e.user)
            .unwrap()
            .fresh()
            .unwrap();
        for item in page.entries {
            if let Item::File(f) = item {
                if f.size > best.as_ref().and_then(|b| b.0.size) {
                    best = Some((f, as_user.clone()));
                }
            }
        }
    }
    let best = best.expect("a file");
    assert!(best.0.size.unwrap() >= 3000, "{:?}", best.0.size);
    best
}

fn set_faults(sb: &SandboxHandle, faults: box_sandbox::Faults) {
    sb.state().control.lock().unwrap().faults = faults;
}

/// Reads a download to its end: the bytes, or the bytes so far and the error.
async fn read_all(download: Download<'_>) -> (Vec<u8>, Option<ApiError>) {
    let mut body = download.into_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => bytes.extend_from_slice(&c),
            Err(e) => return (bytes, Some(e)),
        }
    }
    (bytes, None)
}

fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn test_timeouts() -> Timeouts {
    Timeouts {
        request: Some(Duration::from_millis(400)),
        idle: Some(Duration::from_millis(300)),
        min_rate: None,
        ..Timeouts::default()
    }
}

/// A body that takes three times the request timeout, under the sandbox's
/// bandwidth cap, arrives whole: the deadline covers the headers only, and
/// a slow body that keeps moving is above the minimum rate.
#[tokio::test]
async fn a_download_longer_than_the_request_timeout_completes_under_the_bandwidth_cap() {
    let sb = sandbox().await;
    let (client, _) = sandbox_client(&sb, false);
    let (file, as_user) = largest_file(&client).await;
    let size = file.size.unwrap();
    let timeouts = test_timeouts();
    let request = timeouts.request.unwrap();
    let wanted = request * 3;
    let kbps = (size * 8).div_ceil(wanted.as_millis() as u64);
    let bytes_per_second = kbps * 125;
    let client = client.with_timeouts(Timeouts {
        min_rate: Some(MinRate {
            bytes_per_second: bytes_per_second / 2,
            window: Duration::from_millis(500),
        }),
        ..timeouts
    });
    set_faults(
        &sb,
        box_sandbox::Faults {
            bandwidth_kbps: kbps,
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    let download = client
        .download(&file.id, &as_user)
        .await
        .map_err(|e| e.user)
        .unwrap();
    let (bytes, error) = read_all(download).await;
    let took = started.elapsed();
    assert!(error.is_none(), "{:?}", error.map(|e| e.user));
    assert_eq!(Some(sha1_hex(&bytes)), file.sha1);
    assert!(
        took > request * 2,
        "the cap held the body for {took:?}, past the {request:?} deadline"
    );
    sb.stop().await;
}

/// A body that stops sending (connection open, no byte) is resumed, and
/// when the resume stalls too, the download fails as that file's error
/// after the idle timeouts, not the connection's.
#[tokio::test]
async fn a_stalled_body_fails_as_that_files_transfer_error() {
    let sb = sandbox().await;
    let (client, _) = sandbox_client(&sb, false);
    let (file, as_user) = largest_file(&client).await;
    let size = file.size.unwrap();
    let timeouts = test_timeouts();
    let idle = timeouts.idle.unwrap();
    let client = client.with_timeouts(timeouts).with_retry(RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_resumes: 1,
        ..RetryPolicy::default()
    });
    set_faults(
        &sb,
        box_sandbox::Faults {
            download_cuts: 2,
            download_cut_after_bytes: size / 3,
            download_cut_stalls: true,
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    let download = client
        .download(&file.id, &as_user)
        .await
        .map_err(|e| e.user)
        .unwrap();
    let (bytes, error) = read_all(download).await;
    let took = started.elapsed();
    let error = error.expect("the stall is reported");
    assert_eq!(error.kind, ApiErrorKind::Transfer, "{:?}", error.user);
    assert!(!error.kind.is_connection_wide());
    assert!(
        error.user.message.contains("stalled"),
        "{}",
        error.user.message
    );
    // Both stalls were waited out, each for the idle timeout only.
    assert!(took >= idle * 2 && took < idle * 10, "{took:?}");
    // The first cut's part and the resumed part, in order, nothing twice.
    let whole = file_bytes(&client, &file.id, &as_user).await;
    assert_eq!(bytes.len() as u64, (size / 3) * 2);
    assert_eq!(bytes, whole[..bytes.len()]);
    sb.stop().await;
}

/// The whole content, read with the download faults off.
async fn file_bytes(client: &BoxClient, file_id: &str, options: &RequestOptions) -> Vec<u8> {
    let download = client
        .download(file_id, options)
        .await
        .map_err(|e| e.user)
        .unwrap();
    let (bytes, error) = read_all(download).await;
    assert!(error.is_none());
    bytes
}

/// A body cut three times arrives whole and exact: each resume asks for
/// the rest with `Range`, on the same download URL.
#[tokio::test]
async fn a_cut_download_resumes_with_range_and_the_bytes_are_the_files() {
    let sb = sandbox().await;
    let (client, _) = sandbox_client(&sb, false);
    let (file, as_user) = largest_file(&client).await;
    let size = file.size.unwrap();
    let client = client.with_timeouts(test_timeouts());
    set_faults(
        &sb,
        box_sandbox::Faults {
            download_cuts: 3,
            download_cut_after_bytes: size / 4,
            ..Default::default()
        },
    );
    let content_calls = || {
        sb.state()
            .stats
            .lock()
            .unwrap()
            .by_endpoint
            .get("GET /2.0/files/{file_id}/content")
            .copied()
            .unwrap_or(0)
    };
    let before = content_calls();
    let download = client
        .download(&file.id, &as_user)
        .await
        .map_err(|e| e.user)
        .unwrap();
    let (bytes, error) = read_all(download).await;
    assert!(error.is_none(), "{:?}", error.map(|e| e.user));
    assert_eq!(bytes.len() as u64, size);
    assert_eq!(Some(sha1_hex(&bytes)), file.sha1);
    assert_eq!(content_calls() - before, 1, "the download URL was reused");
    assert_eq!(
        sb.state().control.lock().unwrap().faults.download_cuts,
        0,
        "every cut happened"
    );
    sb.stop().await;
}

/// A body slower than the minimum rate is a stall even though bytes keep
/// coming (so the idle timeout never fires).
#[tokio::test]
async fn a_body_under_the_minimum_rate_fails_as_a_transfer_error() {
    let sb = sandbox().await;
    let (client, _) = sandbox_client(&sb, false);
    let (file, as_user) = largest_file(&client).await;
    let window = Duration::from_millis(300);
    let client = client
        .with_timeouts(Timeouts {
            min_rate: Some(MinRate {
                bytes_per_second: 4_000,
                window,
            }),
            ..test_timeouts()
        })
        .with_retry(RetryPolicy {
            max_resumes: 0,
            ..RetryPolicy::default()
        });
    // 8 kbps: 1000 bytes/s, a chunk every 50 ms.
    set_faults(
        &sb,
        box_sandbox::Faults {
            bandwidth_kbps: 8,
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    let download = client
        .download(&file.id, &as_user)
        .await
        .map_err(|e| e.user)
        .unwrap();
    let (bytes, error) = read_all(download).await;
    let took = started.elapsed();
    let error = error.expect("too slow is reported");
    assert_eq!(error.kind, ApiErrorKind::Transfer, "{:?}", error.user);
    assert!(
        error.user.message.contains("too slow"),
        "{}",
        error.user.message
    );
    assert!(took >= window && took < window * 10, "{took:?}");
    assert!((bytes.len() as u64) < file.size.unwrap());
    sb.stop().await;
}

/// A download host of this test's own: `/dl/{how}` serves `BODY`, cutting
/// the first answer after `CUT` bytes, then answers the resume as `how`
/// says (`honour` the Range, `ignore` it with a 200, or start at the
/// `wrong` place). Every `Range` it gets is kept.
const BODY: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const CUT: usize = 20;

async fn resuming_host() -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    use axum::body::Body;
    use axum::extract::Path;
    let ranges: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let seen = ranges.clone();
    let app = Router::new()
        .route(
            "/2.0/files/{id}/content",
            get(|Path(id): Path<String>| async move {
                (AxumStatus::FOUND, [("location", format!("/dl/{id}"))])
            }),
        )
        .route(
            "/dl/{how}",
            get(move |Path(how): Path<String>, headers: AxumHeaders| {
                let range = headers.get("range").map(|v| v.to_str().unwrap().to_owned());
                let first = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(range.clone());
                    seen.len() == 1
                };
                async move {
                    let len = BODY.len().to_string();
                    if first {
                        let stream = futures_util::stream::unfold(0, |step| async move {
                            match step {
                                0 => Some((Ok(bytes::Bytes::from_static(&BODY[..CUT])), 1)),
                                1 => {
                                    tokio::time::sleep(Duration::from_millis(50)).await;
                                    Some((Err(std::io::Error::other("cut")), 2))
                                }
                                _ => None,
                            }
                        });
                        return ([("content-length", len)], Body::from_stream(stream))
                            .into_response();
                    }
                    let start = match how.as_str() {
                        "ignore" => return BODY.into_response(),
                        "wrong" => 0,
                        _ => CUT,
                    };
                    let end = BODY.len() - 1;
                    (
                        AxumStatus::PARTIAL_CONTENT,
                        [("content-range", format!("bytes {start}-{end}/{len}"))],
                        &BODY[start..],
                    )
                        .into_response()
                }
            }),
        );
    (serve(app).await, ranges)
}

#[tokio::test]
async fn a_resume_asks_for_the_rest_and_a_host_that_ignores_range_is_read_past() {
    for how in ["honour", "ignore"] {
        let (origin, ranges) = resuming_host().await;
        let (client, _) = client_with(&origin, token_set("a1", "r1", 3600), "s");
        let client = client.with_timeouts(test_timeouts());
        let download = client
            .download(how, &RequestOptions::default())
            .await
            .map_err(|e| e.user)
            .unwrap();
        assert_eq!(download.status, 200);
        let (bytes, error) = read_all(download).await;
        assert!(error.is_none(), "{how}: {:?}", error.map(|e| e.user));
        assert_eq!(bytes, BODY, "{how}");
        let last = BODY.len() - 1;
        assert_eq!(
            *ranges.lock().unwrap(),
            [None, Some(format!("bytes={CUT}-{last}"))],
            "{how}"
        );
    }
}

#[tokio::test]
async fn a_resume_that_starts_at_the_wrong_byte_fails_the_download() {
    let (origin, _) = resuming_host().await;
    let (client, _) = client_with(&origin, token_set("a1", "r1", 3600), "s");
    let client = client.with_timeouts(test_timeouts());
    let download = client
        .download("wrong", &RequestOptions::default())
        .await
        .map_err(|e| e.user)
        .unwrap();
    let (bytes, error) = read_all(download).await;
    let error = error.expect("a misplaced resume is refused");
    assert_eq!(error.kind, ApiErrorKind::Transfer);
    assert!(
        error.user.message.contains("instead of"),
        "{}",
        error.user.message
    );
    assert_eq!(bytes, &BODY[..CUT], "nothing misplaced reached the caller");
}

/// A JSON call has a deadline of its own; a late answer is a network error.
#[tokio::test]
async fn a_json_call_has_the_request_deadline() {
    let app = Router::new().route(
        "/2.0/files/{id}",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            r#"{"type":"file","id":"5"}"#
        }),
    );
    let origin = serve(app).await;
    let (client, _) = client_with(&origin, token_set("t", "r1", 3600), "s");
    let client = client
        .with_timeouts(Timeouts {
            request: Some(Duration::from_millis(200)),
            ..Timeouts::default()
        })
        .with_retry(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        });
    let started = std::time::Instant::now();
    let err = client
        .file("5", &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Network);
    assert!(started.elapsed() < Duration::from_secs(2));
}
