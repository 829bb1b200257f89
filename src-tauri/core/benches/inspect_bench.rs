//! Inspection benchmark (`make bench`): what reading content costs.
//!
//! 1. Memory: one 500 MB text file (sparse sensitive values) streamed from a
//!    loopback content server through the real path — download spooled to
//!    disk while hashed, extraction on its own thread, the one-pass
//!    detectors — peak RSS above idle (target < 100 MB).
//! 2. Requests: a full scan of a sandbox enterprise in which some contents
//!    were uploaded several times. Content requests per downloaded content
//!    (target 1.0 on a clean network) and the share of inspected files the
//!    sha1 cache saved a download for.
//!
//! `cargo bench -p connector-core --bench inspect_bench [-- --mb 500 --files 2000 --copies 3]`

use connector_core::testing::{self, arg};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use box_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use bytes::Bytes;
use connector_core::auth::TokenSet;
use connector_core::box_api::{ApiCall, BoxClient, CallRecorder, RequestOptions, User};
use connector_core::clock::SharedClock;
use connector_core::inspect::content::FileInspection;
use connector_core::inspect::content::{ContentConfig, ContentInspector, ContentTarget, Plan};
use connector_core::scan::{CancellationToken, ScanConfig, Scanner};
use connector_core::store::Store;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

const CONN: &str = "bench";
const MB: u64 = 1024 * 1024;

/// Content requests (`GET /files/{id}/content`), counted as sent.
#[derive(Default)]
struct ContentRequests(AtomicU64);

impl CallRecorder for ContentRequests {
    fn record(&self, call: ApiCall) {
        if call.method == "GET" && call.endpoint.ends_with("/content") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn proc_status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn tokens(access: &str, refresh: &str) -> TokenSet {
    testing::token_set(access, refresh, 10 * 3600)
}

fn client_at(origin: &str, tokens: TokenSet, recorder: Option<Arc<ContentRequests>>) -> BoxClient {
    let client = testing::sandbox_client(origin, tokens).with_global_rate(None);
    match recorder {
        Some(r) => client.with_recorder(r),
        None => client,
    }
}

/// 1 MiB of log-like prose; every 64th block carries a card number and an
/// SSN with their keywords, so the detectors have real work.
fn block(i: u64) -> Bytes {
    let mut text = String::with_capacity(MB as usize + 200);
    if i.is_multiple_of(64) {
        text.push_str("Card on file: 4111 1111 1111 1111, employee SSN 123-45-6789\n");
    }
    let line = "2026-12-01 request served for the regional office, cache warm, nothing unusual\n";
    while text.len() + line.len() <= MB as usize {
        text.push_str(line);
    }
    // Exactly 1 MiB, so the announced length is the length sent.
    while text.len() < MB as usize {
        text.push('\n');
    }
    Bytes::from(text)
}

/// A loopback "Box" with one route: the content of any file, `mb` MiB
/// generated as it is sent (nothing held whole on the server side either).
async fn content_server(mb: u64) -> Result<String, BenchError> {
    let app = axum::Router::new().route(
        "/2.0/files/{id}/content",
        get(move |Path(_id): Path<String>| async move {
            let stream =
                futures_util::stream::iter((0..mb).map(|i| Ok::<Bytes, std::io::Error>(block(i))));
            axum::response::Response::builder()
                .header("content-length", (mb * MB).to_string())
                .body(Body::from_stream(stream))
                .unwrap()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(origin)
}

async fn memory_of_one_big_file(mb: u64) -> Result<(), BenchError> {
    let origin = content_server(mb).await?;
    let client = Arc::new(client_at(&origin, tokens("t", "r"), None));
    let spool = tempfile::tempdir()?;
    let inspector = ContentInspector::new(
        client,
        ContentConfig {
            max_file_bytes: 4 * 1024 * MB,
            temp_dir: Some(spool.path().to_owned()),
            ..ContentConfig::default()
        },
    );
    let target = ContentTarget {
        file_id: "1",
        name: "big-export.txt",
        sha1: None,
        size: Some((mb * MB) as i64),
    };
    let Plan::Download(file_type) = inspector.plan(&target) else {
        return Err("a text file must be readable".into());
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = proc_status_mib("VmRSS:");
    let idle_peak = proc_status_mib("VmHWM:");
    let t0 = Instant::now();
    let result = inspector
        .inspect(&target, file_type, &RequestOptions::default())
        .await?;
    let secs = t0.elapsed().as_secs_f64();
    let peak = proc_status_mib("VmHWM:");
    let found = match &result {
        FileInspection::Inspected { matches, chars, .. } => format!(
            "{chars} chars, {}",
            matches
                .iter()
                .map(|m| format!("{} {}", m.detector, m.high + m.low))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    };
    let above = peak - idle.max(idle_peak.min(idle));
    println!(
        "1. memory: one {mb} MiB text file downloaded, spooled, extracted and detected in {secs:.1} s ({:.0} MB/s): {found}",
        mb as f64 / secs
    );
    println!(
        "   peak RSS {peak:.0} MiB, idle {idle:.0} MiB: {above:.0} MiB above idle (target < 100 MB: {})",
        if above < 100.0 { "PASS" } else { "MISSED" }
    );
    Ok(())
}

fn enterprise(files: usize) -> SandboxConfig {
    SandboxConfig {
        seed: 41,
        users: 20,
        coadmins: 0,
        files,
        history_days: 1,
        reads_per_user_per_day: 0.0,
        rate_limit_per_minute: 0,
        ..SandboxConfig::default()
    }
}

fn admin_tokens(sb: &SandboxHandle) -> TokenSet {
    let pair = sb.issue_tokens_lasting("admin", 36_000);
    tokens(&pair.access_token, &pair.refresh_token)
}

fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "inspect-bench-boundary-8c1f";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"attributes\"\r\n\r\n{}\r\n",
            serde_json::json!({"name": name, "parent": {"id": "0"}})
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Copies of `originals` text files uploaded into other users' roots, as
/// people share attachments around; returns how many were uploaded.
async fn upload_copies(
    sb: &SandboxHandle,
    client: &BoxClient,
    admin: &TokenSet,
    originals: usize,
    copies: usize,
) -> Result<usize, BenchError> {
    let users: Vec<User> = {
        use futures_util::TryStreamExt;
        client.users().try_collect::<Vec<_>>().await?
    };
    let truth = sb.ground_truth();
    let http = reqwest::Client::new();
    let mut uploaded = 0;
    for (i, file) in truth
        .files
        .iter()
        .filter(|f| f.name.ends_with(".txt") || f.name.ends_with(".csv"))
        .take(originals)
        .enumerate()
    {
        let owner = users
            .iter()
            .find(|u| u.login.as_deref() == Some(file.owner_login.as_str()))
            .ok_or("owner not listed")?;
        let download = client
            .download(&file.file_id, &RequestOptions::default().as_user(&owner.id))
            .await?;
        let bytes: Vec<u8> = {
            use futures_util::TryStreamExt;
            download
                .into_stream()
                .try_fold(Vec::new(), |mut acc, chunk| async move {
                    acc.extend_from_slice(&chunk);
                    Ok(acc)
                })
                .await?
        };
        for c in 0..copies {
            let to = &users[(i + c + 1) % users.len()];
            let (content_type, body) = multipart(&format!("copy {c} of {}", file.name), &bytes);
            let answer = http
                .post(format!("{}/api/2.0/files/content", sb.base_url()))
                .bearer_auth(admin.access_token.expose())
                .header("as-user", &to.id)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await?;
            if !answer.status().is_success() {
                return Err(format!("upload answered {}", answer.status()).into());
            }
            uploaded += 1;
        }
    }
    Ok(uploaded)
}

async fn requests_per_content(
    files: usize,
    originals: usize,
    copies: usize,
) -> Result<(), BenchError> {
    let sb = Sandbox::start(enterprise(files)).await?;
    let admin = admin_tokens(&sb);
    let setup = client_at(&sb.base_url(), admin.clone(), None);
    let uploaded = upload_copies(&sb, &setup, &admin, originals, copies).await?;
    let requests = Arc::new(ContentRequests::default());
    let client = Arc::new(client_at(&sb.base_url(), admin, Some(requests.clone())));
    let me = client.me(None).await?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("bench.sqlite3")).await?;
    let mut config = ScanConfig::default();
    config.content.temp_dir = Some(dir.path().join("tmp"));
    let scanner = Scanner::new(
        client,
        store.clone(),
        CONN.into(),
        me,
        config,
        SharedClock::system(),
    );
    let t0 = Instant::now();
    scanner.run(true, CancellationToken::new()).await?;
    let secs = t0.elapsed().as_secs_f64();
    let counts = store.inspection_counts(CONN).await?;
    let reasons: BTreeMap<String, u64> = store
        .not_inspected_reasons(CONN)
        .await?
        .into_iter()
        .collect();
    let sent = requests.0.load(Ordering::Relaxed);
    let read = counts.files_inspected
        + reasons
            .iter()
            .filter(|(code, _)| !matches!(code.as_str(), "unknown_type" | "too_large"))
            .map(|(_, n)| n)
            .sum::<u64>();
    let per_content = sent as f64 / counts.downloads.max(1) as f64;
    println!(
        "2. requests: {files} generated files + {uploaded} uploaded copies of {originals}, scanned in {secs:.1} s: {} files inspected, {} not inspected ({reasons:?})",
        counts.files_inspected, counts.files_not_inspected
    );
    println!(
        "   {sent} content requests for {} downloaded contents: {per_content:.3} per content (target 1.0: {}); {:.3} per file whose content was read",
        counts.downloads,
        if (per_content - 1.0).abs() < 1e-9 { "PASS" } else { "MISSED" },
        sent as f64 / read.max(1) as f64
    );
    println!(
        "   sha1 cache: {} of {read} files took an identical content's result without a download ({:.1}% of downloads saved; {:.1} MB downloaded)",
        counts.cache_hits,
        100.0 * counts.cache_hits as f64 / read.max(1) as f64,
        counts.bytes_downloaded as f64 / 1e6
    );
    sb.stop().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    // Scans read files in children of this very binary, as in the app.
    connector_core::inspect::isolation::serve_if_requested();
    // Memory first: VmHWM is the process's peak, and the sandbox below lives
    // in this process.
    memory_of_one_big_file(arg("--mb", 500)).await?;
    requests_per_content(
        arg("--files", 2000) as usize,
        arg("--originals", 100) as usize,
        arg("--copies", 3) as usize,
    )
    .await?;
    Ok(())
}
