//! Prints throughput and generator figures, each with a ratio to a baseline measured
//! in the same run:
//! - requests/s for 1000-entry folder pages and 500-entry event pages, against a
//!   minimal `/2.0/users/me` call through the same gate;
//! - generator wall time and peak RSS (VmHWM) for 1M files, against 100k files, each
//!   in its own child process so the peaks do not mix.

use std::time::{Duration, Instant};

use box_sandbox::{Sandbox, SandboxConfig};

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Child mode: generate `files` files and print "secs kib".
fn generate(files: usize) {
    let cfg = SandboxConfig {
        files,
        users: 200,
        ..SandboxConfig::default()
    };
    let t = Instant::now();
    let state = box_sandbox::build_state(cfg, "http://127.0.0.1:0".into());
    let secs = t.elapsed().as_secs_f64();
    let events = state.world.read().unwrap().events.entries.len();
    println!("{secs} {} {events}", vm_hwm_kib());
}

fn run_child(files: usize) -> (f64, u64, usize) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--generate", &files.to_string()])
        .output()
        .expect("child runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let mut it = line.split_whitespace();
    let secs = it.next().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN);
    let kib = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let events = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    (secs, kib, events)
}

/// Requests per second over `dur` with `concurrency` clients cycling through `urls`.
async fn rate(token: &str, urls: &[String], concurrency: usize, dur: Duration) -> f64 {
    let client = reqwest::Client::new();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let client = client.clone();
        let urls = urls.to_vec();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut i = c;
            while start.elapsed() < dur {
                let r = client
                    .get(&urls[i % urls.len()])
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.unwrap();
                n += 1;
                i += concurrency;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn serve_figures() {
    // Few users and folders so folders hold thousands of entries.
    let cfg = SandboxConfig {
        users: 2,
        coadmins: 0,
        files: 30_000,
        folder_depth: 1,
        folder_fanout: 2,
        rate_limit_per_minute: 0,
        auto_approve: true,
        ..SandboxConfig::default()
    };
    let sb = Sandbox::start(cfg).await.unwrap();
    let base = sb.base_url();
    // Sign in through the real flow (auto-approve) to get a token.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(
            |uri: axum::http::Uri| async move { uri.query().unwrap_or("").to_string() },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let url = format!("{base}/api/oauth2/authorize?response_type=code&client_id=sandbox-client&redirect_uri={redirect}&state=b");
    let q = box_sandbox::browser::sign_in(&url, box_sandbox::browser::Decision::Allow, "admin")
        .await
        .unwrap();
    let code: String = url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tok: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tok["access_token"].as_str().unwrap().to_string();

    let fields = "type,id,etag,sha1,name,size,modified_at,content_modified_at,owned_by,shared_link,parent,path_collection";
    let first: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/2.0/folders/0/items?limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total = first["total_count"].as_u64().unwrap();
    let pages: Vec<String> = (0..total / 1000)
        .map(|p| {
            format!(
                "{base}/2.0/folders/0/items?limit=1000&offset={}&fields={fields}",
                p * 1000
            )
        })
        .collect();
    assert!(!pages.is_empty(), "root holds {total} entries");
    let events_len = sb.state().world.read().unwrap().events.entries.len();
    let event_pages: Vec<String> = (0..events_len.saturating_sub(500) / 500)
        .map(|p| {
            format!(
                "{base}/2.0/events?stream_type=admin_logs&limit=500&stream_position={}",
                p * 500
            )
        })
        .collect();
    let baseline = vec![format!("{base}/2.0/users/me")];

    let dur = Duration::from_secs(4);
    // Warm-up: one pass over every page computes and caches the sha1s of the listed files.
    let warm = Instant::now();
    for p in &pages {
        reqwest::Client::new()
            .get(p)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    println!(
        "first pass over {} folder pages (computes their sha1s): {:.2} s",
        pages.len(),
        warm.elapsed().as_secs_f64()
    );
    let base_rps = rate(&token, &baseline, 4, dur).await;
    let folder_rps = rate(&token, &pages, 4, dur).await;
    let event_rps = rate(&token, &event_pages, 4, dur).await;
    println!("loopback, 4 concurrent clients, {} s each:", dur.as_secs());
    println!("  baseline GET /2.0/users/me          {base_rps:>9.0} req/s");
    println!("  1000-entry folder pages (12 fields) {folder_rps:>9.0} req/s  = {:.3} x baseline  ({:.0} entries/s)", folder_rps / base_rps, folder_rps * 1000.0);
    println!("  500-entry admin_logs pages          {event_rps:>9.0} req/s  = {:.3} x baseline  ({:.0} events/s)", event_rps / base_rps, event_rps * 500.0);
    sb.stop().await;
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        generate(args[i + 1].parse().unwrap());
        return;
    }
    // `cargo bench` passes --bench; other harness flags are ignored.
    let (s100k, k100k, e100k) = run_child(100_000);
    let (s1m, k1m, e1m) = run_child(1_000_000);
    println!("generator (200 users, fresh process each):");
    println!(
        "  100k files: {s100k:>6.2} s, peak RSS {:>6.0} MiB, {e100k} events",
        k100k as f64 / 1024.0
    );
    println!(
        "  1M files:   {s1m:>6.2} s, peak RSS {:>6.0} MiB, {e1m} events",
        k1m as f64 / 1024.0
    );
    println!(
        "  1M vs 100k: time x{:.2}, peak RSS x{:.2} (targets: < 20 s, < 2048 MiB)",
        s1m / s100k,
        k1m as f64 / k100k as f64
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(serve_figures());
}
