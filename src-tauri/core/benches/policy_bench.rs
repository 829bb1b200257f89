//! Policy benchmark (`make bench`): from a share to an acting policy's
//! change, with only the headless scanner running.
//!
//! The app is connected to an in-process sandbox (governance on, the live
//! events read every second), scanned, and given one acting policy
//! ("remove the public link of a file holding card numbers"). With
//! `run_scan(Follow)` running, a user puts an open link on a card file
//! through Box's API, one file at a time; each share is timed to the
//! moment its finding opens in the store (the baseline: the scan's own
//! reaction) and to the moment the link is gone from Box. Prints p50 and
//! p95 of both over the shares, what the policy adds, and the goal (p95 ≤
//! the poll interval + 5 s).
//!
//! Needs a Secret Service (the app keeps its tokens in the OS keychain):
//! `scripts/with-keyring.sh cargo bench -p connector-core --bench policy_bench [-- --shares 20]`

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use box_sandbox::content::SensitiveKind;
use box_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use connector_core::app::{App, AppConfig, BrowserLauncher, ScanMode, ScannerRole};
use connector_core::clock::SharedClock;
use connector_core::ipc::findings::FindingKind;
use connector_core::ipc::govern::{ActionKind, NewPolicy, PolicyMatch};
use connector_core::ipc::CoreEvent;
use connector_core::store::setting_keys;
use connector_core::testing::arg;
use tokio_util::sync::CancellationToken;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

const POLL_SECS: u64 = 1;

/// Signs in through the auto-approving sandbox, as its browser would.
async fn sign_in<F, T>(app: &App, start: F) -> Result<(), BenchError>
where
    F: FnOnce(App) -> T,
    T: std::future::Future<Output = ()> + Send + 'static,
{
    let mut events = app.subscribe();
    let task = tokio::spawn(start(app.clone()));
    let url = loop {
        if let CoreEvent::SignInStarted { sign_in } = events.recv().await? {
            break sign_in.authorize_url;
        }
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let callback = http.get(&url).send().await?.headers()["location"]
        .to_str()?
        .to_owned();
    http.get(&callback).send().await?;
    task.await?;
    Ok(())
}

/// Card files with no link or collaborator of their own.
fn card_files(sb: &SandboxHandle) -> Vec<(String, String)> {
    let t = sb.ground_truth();
    let shared: BTreeSet<&str> = t
        .shared_links
        .iter()
        .map(|l| l.item_id.as_str())
        .chain(t.collaborations.iter().map(|c| c.item_id.as_str()))
        .collect();
    t.files
        .iter()
        .filter(|f| {
            f.planted
                .iter()
                .any(|p| p.kind == SensitiveKind::CreditCard)
        })
        .filter(|f| !shared.contains(f.file_id.as_str()))
        .map(|f| (f.file_id.clone(), f.owner_login.clone()))
        .collect()
}

fn has_link(sb: &SandboxHandle, file_id: &str) -> bool {
    let world = sb.state().world.read().unwrap();
    let f = world.ent.parse_file_id(file_id).unwrap();
    world.ent.link_of(true, f).is_some()
}

/// Whether the store holds an open finding for the file's own public link.
async fn finding_open(db: &std::path::Path, file_id: &str) -> bool {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true);
    let Ok(mut conn) = sqlx::SqliteConnection::connect_with(&options).await else {
        return false;
    };
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM findings WHERE file_id = ? AND kind = 'public_link'
           AND via_item_id = ? AND closed_at IS NULL",
    )
    .bind(file_id)
    .bind(file_id)
    .fetch_one(&mut conn)
    .await
    .unwrap_or(0);
    n > 0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let shares: usize = arg("--shares", 20);
    let sb = Sandbox::start(SandboxConfig {
        users: 12,
        files: 1200,
        history_days: 1,
        reads_per_user_per_day: 0.0,
        activity_per_second: 0.0,
        auto_approve: true,
        ..SandboxConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let app = App::open(AppConfig {
        data_dir: dir.path().to_owned(),
        keychain_service: format!("box-connector-policy-bench-{}", std::process::id()),
        browser: BrowserLauncher::Disabled,
        sign_in_timeout: Duration::from_secs(30),
        sandbox_url: Some(sb.base_url()),
        clock: SharedClock::system(),
    })
    .await?;
    app.select_datacenter("sandbox").await?;
    sign_in(&app, |a| async move {
        a.connect().await.expect("connected");
    })
    .await?;
    sign_in(&app, |a| async move {
        a.enable_governance().await.expect("governance on");
    })
    .await?;
    app.set_scan_setting(setting_keys::POLL_INTERVAL_SECS, POLL_SECS)
        .await?;
    app.run_scan(
        ScanMode::UntilIdle,
        ScannerRole::Cli,
        CancellationToken::new(),
    )
    .await?;
    app.add_policy(NewPolicy {
        name: "Card links, fixed".into(),
        matches: PolicyMatch {
            kinds: vec![FindingKind::PublicLink],
            file_has_detector: Some("credit_card".into()),
            ..PolicyMatch::default()
        },
        action: Some(ActionKind::RemoveLink),
        auto_act: true,
        daily_cap: Some(1_000),
    })
    .await?;

    let targets = card_files(&sb);
    let shares = shares.min(targets.len());
    let follow = CancellationToken::new();
    let scanner = tokio::spawn({
        let (app, follow) = (app.clone(), follow.clone());
        async move {
            app.run_scan(ScanMode::Follow, ScannerRole::Cli, follow)
                .await
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let db = dir.path().join(connector_core::store::DATABASE_FILE_NAME);
    let http = reqwest::Client::new();
    let (mut opened, mut changed) = (Vec::new(), Vec::new());
    for (file, owner) in targets.iter().take(shares) {
        let token = sb.issue_tokens(owner).access_token;
        let shared_at = Instant::now();
        http.put(format!("{}/2.0/files/{file}", sb.base_url()))
            .bearer_auth(token)
            .json(&serde_json::json!({"shared_link": {"access": "open"}}))
            .send()
            .await?
            .error_for_status()?;
        let deadline = shared_at + Duration::from_secs(60);
        let mut seen_open = None;
        while has_link(&sb, file) && Instant::now() < deadline {
            if seen_open.is_none() && finding_open(&db, file).await {
                seen_open = Some(shared_at.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let took = shared_at.elapsed();
        if has_link(&sb, file) {
            return Err(format!("the link on {file} was still there after 60 s").into());
        }
        // The finding may open and close between two looks: then it opened
        // no later than the change.
        opened.push(seen_open.unwrap_or(took));
        changed.push(took);
    }
    follow.cancel();
    let _ = scanner.await;
    opened.sort();
    changed.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (o50, o95) = (percentile(&opened, 0.5), percentile(&opened, 0.95));
    let (c50, c95) = (percentile(&changed, 0.5), percentile(&changed, 0.95));
    println!(
        "share -> acting policy's change, {shares} shares, live events read every {POLL_SECS} s:"
    );
    println!(
        "  baseline, share -> finding open:  p50 {:>7.0} ms  p95 {:>7.0} ms",
        ms(o50),
        ms(o95)
    );
    println!(
        "  share -> link removed by policy:  p50 {:>7.0} ms  p95 {:>7.0} ms  ({:.2}x the baseline at p95, +{:.0} ms)",
        ms(c50),
        ms(c95),
        ms(c95) / ms(o95).max(1.0),
        ms(c95) - ms(o95)
    );
    let goal = Duration::from_secs(POLL_SECS + 5);
    println!(
        "  goal p95 <= poll interval + 5 s = {} ms: {}",
        goal.as_millis(),
        if c95 <= goal { "met" } else { "MISSED" }
    );
    app.disconnect().await.ok();
    Ok(())
}
