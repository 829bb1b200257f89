//! The scan survives what an admin's machine does to it, through the real
//! `box-connector-cli` against a real sandbox: `kill -9` at random points
//! of the backfill and the scan, a network that fails one call in ten, and
//! a network that goes away mid-scan. Each ends with exactly what an
//! undisturbed run has: every file and event once, nothing lost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use box_connector_e2e::connect::{describe, require_keyring, run, stdout_json, TestSandbox, World};
use box_sandbox::SandboxConfig;

/// Small enough for CI, big enough that a scan takes several requests per
/// user and the backfill several pages.
fn scan_sandbox() -> SandboxConfig {
    let files = std::env::var("SCAN_SOAK_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    SandboxConfig {
        users: 10,
        files,
        history_days: 70,
        reads_per_user_per_day: 2.0,
        activity_per_second: 0.0,
        auto_approve: true,
        ..SandboxConfig::default()
    }
}

/// What a finished scan left in the database, for comparing runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    /// file id → (etag, scanned etag, removed)
    files: BTreeMap<String, (Option<String>, Option<String>, bool)>,
    folders: BTreeSet<String>,
    collaborations: BTreeSet<(String, String, String)>,
    /// event id → (created_at ms, type), within [window_start, window_end]
    events: BTreeMap<String, (i64, String)>,
    window: (i64, i64),
    queue_rows: i64,
    counts: (i64, i64, i64),
    /// Open findings: (file, kind, detector, via, count, severity).
    findings: BTreeSet<(String, String, String, String, i64, String)>,
    /// Finding rows in all (closed ones too) and files not yet inspected.
    finding_rows: i64,
    uninspected: i64,
}

async fn outcome(data_dir: &Path) -> Outcome {
    use sqlx::{Connection, Row};
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data_dir.join(connector_core::store::DATABASE_FILE_NAME))
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let files = sqlx::query(
        "SELECT file_id, etag, scanned_etag, removed_at IS NOT NULL AS removed FROM files",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.get::<String, _>(0),
            (
                r.get::<Option<String>, _>(1),
                r.get::<Option<String>, _>(2),
                r.get::<bool, _>(3),
            ),
        )
    })
    .collect();
    let folders = sqlx::query("SELECT folder_id FROM folders WHERE walk_state = 'done'")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    let collaborations =
        sqlx::query("SELECT collaboration_id, item_id, COALESCE(login, '') FROM collaborations")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
    let w = sqlx::query(
        "SELECT window_start, window_end FROM event_streams WHERE stream = 'admin_logs'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let window: (i64, i64) = (w.get(0), w.get(1));
    let events = sqlx::query("SELECT event_id, created_at, event_type FROM events")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.get::<String, _>(0),
                (r.get::<i64, _>(1), r.get::<String, _>(2)),
            )
        })
        .collect();
    let queue_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scan_queue")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let c = sqlx::query("SELECT files_discovered, files_scanned, events_ingested FROM scan_counts")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let findings = sqlx::query(
        "SELECT file_id, kind, detector, via_key, count, severity FROM findings
         WHERE closed_at IS NULL",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
    .collect();
    let finding_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM findings")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let uninspected: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM files WHERE removed_at IS NULL AND inspect_state IS NULL",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let _ = conn.close().await;
    Outcome {
        files,
        folders,
        collaborations,
        events,
        window,
        queue_rows,
        counts: (c.get(0), c.get(1), c.get(2)),
        findings,
        finding_rows,
        uninspected,
    }
}

/// The events of both outcomes inside the window they share (each run's
/// window is the 60 days before its own connect).
fn shared_events(a: &Outcome, b: &Outcome) -> (BTreeSet<String>, BTreeSet<String>) {
    let from = a.window.0.max(b.window.0);
    let to = a.window.1.min(b.window.1);
    let pick = |o: &Outcome| {
        // The connector's own downloads are events too (Box logs them), and
        // each run makes its own: they are no part of what both must share.
        o.events
            .iter()
            .filter(|(_, (at, kind))| *at >= from && *at <= to && kind != "DOWNLOAD")
            .map(|(id, _)| id.clone())
            .collect()
    };
    (pick(a), pick(b))
}

async fn connected(sandbox: &TestSandbox, name: &str) -> World {
    let world = World::new(name);
    let mut cmd = world.cli(sandbox, "");
    cmd.args(["--json", "connect", "--datacenter", "sandbox"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    world
}

async fn scan_until_idle(world: &World, sandbox: &TestSandbox) -> serde_json::Value {
    let mut cmd = world.cli(sandbox, "");
    cmd.args(["--json", "scan", "--until-idle"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));
    stdout_json(&out)
}

/// Every file the sandbox holds is in the database once, scanned.
fn assert_complete(outcome: &Outcome, sandbox: &TestSandbox, status: &serde_json::Value) {
    let truth = sandbox.handle.ground_truth();
    let alive: Vec<_> = outcome.files.values().filter(|f| !f.2).collect();
    assert_eq!(
        alive.len(),
        truth.files_alive,
        "every live file discovered once"
    );
    assert!(
        alive
            .iter()
            .all(|(etag, scanned, _)| etag.is_some() && etag == scanned),
        "every file scanned at its current etag"
    );
    assert_eq!(outcome.queue_rows, 0, "nothing left queued or failed");
    assert_eq!(
        outcome.counts.0 as usize,
        outcome.files.len(),
        "discovered counter"
    );
    assert_eq!(
        outcome.counts.2 as usize,
        outcome.events.len(),
        "ingested counter"
    );
    assert_eq!(status["scan"]["state"], "idle", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_at_random_points_loses_and_duplicates_nothing() {
    require_keyring();
    let sandbox = TestSandbox::start(scan_sandbox()).await;
    let reference = connected(&sandbox, "reference").await;
    let status = scan_until_idle(&reference, &sandbox).await;
    let expected = outcome(&reference.data_dir()).await;
    assert_complete(&expected, &sandbox, &status);

    let victim = connected(&sandbox, "victim").await;
    // A fixed sequence of kill points (ms after start), spread over the
    // start-up, the backfill and the walk; printed so a failure can be replayed.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut kills = 0;
    // `scripts/soak.sh` raises this (and the enterprise size) for a long soak.
    let trials: usize = std::env::var("SCAN_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for trial in 0..trials {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let after = Duration::from_millis(30 + state % 300);
        let mut cmd = victim.cli(&sandbox, "");
        cmd.args(["--json", "scan", "--until-idle"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start the CLI");
        tokio::time::sleep(after).await;
        match child.try_wait().unwrap() {
            Some(status) => {
                // It finished before its kill point: the scan is done.
                eprintln!("trial {trial}: finished before {after:?} ({status})");
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                eprintln!("trial {trial}: killed after {after:?}");
            }
        }
    }
    assert!(
        kills >= 20,
        "only {kills} kills landed before the scan finished"
    );
    let status = scan_until_idle(&victim, &sandbox).await;
    let got = outcome(&victim.data_dir()).await;
    assert_complete(&got, &sandbox, &status);
    assert_eq!(got.files, expected.files);
    assert_eq!(got.folders, expected.folders);
    assert_eq!(got.collaborations, expected.collaborations);
    let (a, b) = shared_events(&got, &expected);
    assert_eq!(a, b, "the same events in the shared window, each once");
    // The same findings as the uninterrupted run, none twice, none lost,
    // every file inspected.
    assert!(!expected.findings.is_empty());
    assert_eq!(got.findings, expected.findings);
    assert_eq!(
        got.finding_rows, expected.finding_rows,
        "no finding opened twice or closed by a crash"
    );
    assert_eq!((got.uninspected, expected.uninspected), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_call_in_ten_failing_changes_nothing_in_the_result() {
    require_keyring();
    let sandbox = TestSandbox::start(scan_sandbox()).await;
    let reference = connected(&sandbox, "fault-free").await;
    scan_until_idle(&reference, &sandbox).await;
    let expected = outcome(&reference.data_dir()).await;

    let flaky = connected(&sandbox, "flaky").await;
    let http = reqwest::Client::new();
    let faults = serde_json::json!({
        "p500": 0.03, "p502": 0.02, "p503": 0.01,
        "p429_burst": 0.02, "burst_len": 2,
        "p_reset": 0.01, "p_truncate": 0.01,
    });
    let resp = http
        .post(format!("{}/_sandbox/faults", sandbox.handle.base_url()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let status = scan_until_idle(&flaky, &sandbox).await;
    http.post(format!("{}/_sandbox/faults", sandbox.handle.base_url()))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let got = outcome(&flaky.data_dir()).await;
    assert_complete(&got, &sandbox, &status);
    assert_eq!(got.files, expected.files);
    assert_eq!(got.collaborations, expected.collaborations);
    let (a, b) = shared_events(&got, &expected);
    assert_eq!(a, b);
    assert_eq!(got.findings, expected.findings, "faults change no finding");
    assert_eq!(
        (got.uninspected, got.finding_rows),
        (0, expected.finding_rows)
    );
}

/// A TCP pass-through to the sandbox that can be unplugged: while it is
/// down nothing listens on its port (connection refused, as with no
/// network), and plugging it back listens on the same port again.
struct Cable {
    port: u16,
    upstream: std::net::SocketAddr,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Cable {
    async fn new(upstream_url: &str) -> Cable {
        let upstream = upstream_url
            .trim_start_matches("http://")
            .parse()
            .expect("the sandbox listens on an ip:port");
        let port = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cable = Cable {
            port,
            upstream,
            task: std::sync::Mutex::new(None),
        };
        cable.plug().await;
        cable
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn plug(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the cable's port is free again");
        let upstream = self.upstream;
        let task = tokio::spawn(async move {
            let mut links = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                links.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        *self.task.lock().unwrap() = Some(task);
    }

    /// Drops the listener and every open link (the JoinSet goes with the task).
    fn unplug(&self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

/// Polls the app's status until `done` holds (the scan works in real time
/// against a real server; this bounds the wait, it does not sleep a fixed time).
async fn status_until(
    app: &connector_core::app::App,
    what: &str,
    done: impl Fn(&connector_core::ipc::ScanStatus) -> bool,
) -> connector_core::ipc::ScanStatus {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let status = app.scan_status().await;
        if done(&status) {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_network_makes_the_scan_wait_offline_and_resume_by_itself() {
    use connector_core::app::{App, AppConfig, BrowserLauncher, ScanMode, ScannerRole};
    use connector_core::ipc::ScanState;
    require_keyring();
    let sandbox = TestSandbox::start(SandboxConfig {
        // Slow enough that the cable is pulled mid-walk.
        rate_limit_per_minute: 240,
        ..scan_sandbox()
    })
    .await;
    let cable = Cable::new(&sandbox.handle.base_url()).await;
    let world = World::new("offline");
    let mut cmd = world.cli(&sandbox, "");
    cmd.env("BOX_CONNECTOR_SANDBOX_URL", cable.url()).args([
        "--json",
        "connect",
        "--datacenter",
        "sandbox",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", describe(&out));

    let app = App::open(AppConfig {
        data_dir: world.data_dir(),
        keychain_service: world.service.clone(),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(cable.url()),
        clock: Default::default(),
    })
    .await
    .unwrap();
    let cancel = tokio_util_cancel();
    let runner = {
        let app = app.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            app.run_scan(ScanMode::Follow, ScannerRole::App, cancel)
                .await
        })
    };
    let before = status_until(&app, "the walk to start", |s| s.scan.files_discovered > 0).await;
    assert!(
        before.scan.files_scanned < 500,
        "pulled mid-scan: {before:?}"
    );
    cable.unplug();
    let offline = status_until(&app, "the offline state", |s| {
        s.scan.state == ScanState::Offline
    })
    .await;
    assert_eq!(offline.scan.files_failed, 0, "a dead network fails no file");
    let err = offline.scan.last_error.expect("it says why");
    assert_eq!(
        err.code,
        connector_core::error::ErrorCode::Network,
        "{err:?}"
    );
    // Offline, everything still reads from the store.
    assert!(app.scan_queue(10).await.is_ok());
    assert!(app.event_days().await.is_ok());

    cable.plug().await;
    let idle = status_until(&app, "the scan to finish after the network returns", |s| {
        s.scan.state == ScanState::Idle
    })
    .await;
    assert_eq!(
        idle.scan.files_scanned as usize,
        sandbox.handle.ground_truth().files_alive
    );
    assert_eq!(idle.scan.files_failed, 0);
    assert!(idle.scan.last_error.is_none(), "{idle:?}");
    cancel.cancel();
    runner.await.unwrap().unwrap();
    app.shutdown().await;
}

fn tokio_util_cancel() -> connector_core::scan::CancellationToken {
    connector_core::scan::CancellationToken::new()
}

/// After a scan, `status`, `queue`, `events` and `file` answer from the
/// database alone (Box unreachable), with the documented `--json` keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_reads_the_scan_offline_with_stable_json_keys() {
    require_keyring();
    let sandbox = TestSandbox::start(scan_sandbox()).await;
    let world = connected(&sandbox, "offline-reads").await;
    let offline = |args: &[&str]| {
        let mut cmd = world.cli(&sandbox, "");
        cmd.env("BOX_CONNECTOR_SANDBOX_URL", "http://127.0.0.1:9")
            .arg("--json")
            .args(args);
        cmd
    };
    // A scan held back by a low rate limit has a queue to read meanwhile.
    let http = reqwest::Client::new();
    let settings = format!("{}/_sandbox/settings", sandbox.handle.base_url());
    let limit = |per_minute: u32| {
        http.post(&settings)
            .json(&serde_json::json!({ "rate_limit_per_minute": per_minute }))
            .send()
    };
    assert!(limit(60).await.unwrap().status().is_success());
    let mut cmd = world.cli(&sandbox, "");
    cmd.args(["scan", "--until-idle"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut queued = Vec::new();
    for _ in 0..600 {
        let queue = stdout_json(&run(offline(&["queue", "--limit", "5"])).await);
        queued = queue.as_array().cloned().unwrap_or_default();
        if !queued.is_empty() {
            break;
        }
    }
    let _ = child.kill();
    child.wait().unwrap();
    assert!(limit(1000).await.unwrap().status().is_success());
    assert!(!queued.is_empty(), "a stopped scan left work queued");
    for q in &queued {
        for key in [
            "file_id",
            "name",
            "path",
            "owner_login",
            "priority",
            "reason",
            "state",
            "enqueued_at",
        ] {
            assert!(q.get(key).is_some(), "{key}: {q}");
        }
        assert_eq!(q["reason"], "full_scan", "{q}");
    }
    scan_until_idle(&world, &sandbox).await;

    let status = stdout_json(&run(offline(&["status"])).await);
    for key in [
        "state",
        "users_total",
        "users_done",
        "files_discovered",
        "files_scanned",
        "files_queued",
    ] {
        assert!(status["scan"].get(key).is_some(), "scan.{key}: {status}");
    }
    assert_eq!(status["scan"]["state"], "idle", "{status}");
    assert_eq!(status["scan"]["files_queued"], 0);
    assert!(
        status["events"]["ingested"].as_u64().unwrap() > 0,
        "{status}"
    );
    assert!(status["events"]["last_event_at"].is_string(), "{status}");

    let events = stdout_json(&run(offline(&["events", "--kind", "modify", "--limit", "5"])).await);
    let events = events.as_array().expect("a list");
    assert!(!events.is_empty());
    for e in events {
        assert_eq!(e["kind"], "modify");
        for key in [
            "event_id",
            "event_type",
            "created_at",
            "item_type",
            "item_id",
        ] {
            assert!(e.get(key).is_some(), "{key}: {e}");
        }
    }
    let file_id = events
        .iter()
        .find(|e| e["item_type"] == "file")
        .and_then(|e| e["item_id"].as_str())
        .expect("a modify event names a file")
        .to_owned();
    let file = stdout_json(&run(offline(&["file", &file_id])).await);
    for key in [
        "file_id",
        "etag",
        "scanned_etag",
        "last_scanned_at",
        "shared_link",
        "collaborations",
    ] {
        assert!(file.get(key).is_some(), "{key}: {file}");
    }
    let history = file["history"].as_array().expect("history");
    let whats: Vec<&str> = history.iter().filter_map(|h| h["what"].as_str()).collect();
    assert!(
        whats.contains(&"discovered") && whats.contains(&"scanned") && whats.contains(&"event"),
        "{whats:?}"
    );

    let queue = stdout_json(&run(offline(&["queue"])).await);
    assert_eq!(queue.as_array().map(Vec::len), Some(0), "{queue}");

    // Findings and their export, offline too, with the keys the issue names.
    assert!(
        status["inspection"]["files_inspected"].as_u64().unwrap() > 0,
        "{status}"
    );
    let findings = stdout_json(&run(offline(&["findings", "--limit", "20"])).await);
    let findings = findings.as_array().expect("a list");
    assert!(!findings.is_empty(), "the sandbox shares files");
    for f in findings {
        for key in [
            "finding_id",
            "file_id",
            "path",
            "owner_login",
            "kind",
            "detector",
            "severity",
            "count",
            "masked_sample",
            "reached_via",
            "opened_at",
            "closed_at",
        ] {
            assert!(f.get(key).is_some(), "{key}: {f}");
        }
    }
    let high = stdout_json(&run(offline(&["findings", "--severity", "high"])).await);
    assert!(high
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "high"));
    let csv_path = world.dir.path().join("findings.csv");
    let csv_arg = csv_path.to_str().unwrap().to_owned();
    let exported =
        stdout_json(&run(offline(&["export", "--format", "csv", "--out", &csv_arg])).await);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(
        csv.lines().count() as u64,
        exported["rows"].as_u64().unwrap() + 1,
        "a header and one line per finding"
    );
    assert!(csv.starts_with("finding_id,file_id,path,owner_login,kind,detector,severity"));

    // A file that is not there says so, with exit code 1 and a hint.
    let out = run(offline(&["file", "999999999999"])).await;
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}
