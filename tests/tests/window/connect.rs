//! Issue 4 in the real window: select Sandbox, Connect; the "browser" is the
//! sandbox's scripted browser (a separate program) that clicks Allow; the
//! window shows Connected; the API test runs and shows the role result.
//! `#[ignore]`d: `scripts/e2e.sh` runs them under Xvfb.

use std::time::Duration;

use anyhow::{ensure, Result};
use box_connector_e2e::webdriver::{workspace_root, AppSession};
use box_connector_e2e::window::{connect_sandbox, start_with_scripted_browser, StandaloneSandbox};

const API_TEST_TIMEOUT: Duration = Duration::from_secs(90);

/// box-sandbox's default client secret (SandboxConfig::default()).
const SANDBOX_CLIENT_SECRET: &str = "sandbox-secret";

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn sandbox_admin_connects_in_one_click_and_passes_the_api_test() -> Result<()> {
    let s = start_with_scripted_browser("connect-sandbox-admin", "admin", vec![]).await?;
    let outcome = async {
        connect_sandbox(&s).await?;
        let role = s.text("[data-testid=role]").await?;
        ensure!(role == "Admin", "role shown: {role:?}");
        ensure!(
            !s.text("[data-testid=enterprise]")
                .await?
                .trim()
                .starts_with('—'),
            "enterprise shown"
        );

        s.click("[data-testid=run-api-test]").await?;
        let panel = s
            .wait_attr(
                "[data-testid=api-test]",
                "data-outcome",
                "pass",
                API_TEST_TIMEOUT,
            )
            .await?;
        let checks = s.find_all("[data-testid=api-test] li[data-check]").await?;
        ensure!(checks.len() == 5, "5 checks, saw {}", checks.len());
        let role_check = s
            .find("[data-testid=api-test] li[data-check='role']")
            .await?;
        ensure!(
            role_check.attr("data-status").await?.as_deref() == Some("pass"),
            "role check passes for an admin"
        );
        ensure!(panel.text().await?.contains("Pass"), "outcome shown");

        // Logs go to the data dir's logs/, and no file there holds the client secret.
        let files = files_under(&s.data_dir);
        ensure!(
            files.iter().any(|f| f.starts_with(s.data_dir.join("logs"))),
            "a log file in {:?}",
            s.data_dir
        );
        for file in &files {
            let bytes = std::fs::read(file)?;
            ensure!(
                !contains(&bytes, SANDBOX_CLIENT_SECRET.as_bytes()),
                "{} holds the client secret",
                file.display()
            );
        }

        // The README's screenshot: the real window, connected, with the API test.
        // Refreshed on request (`make screenshot`) so a test run leaves the tree clean.
        let shot = s.screenshot("connected").await?;
        if std::env::var_os("UPDATE_README_SCREENSHOT").is_some() {
            let docs = workspace_root().join("docs");
            std::fs::create_dir_all(&docs)?;
            std::fs::copy(&shot, docs.join("screenshot.png"))?;
        }
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn sandbox_coadmin_gets_a_role_warning_with_the_fix() -> Result<()> {
    let s = start_with_scripted_browser("connect-sandbox-coadmin", "coadmin", vec![]).await?;
    let outcome = async {
        connect_sandbox(&s).await?;
        let role = s.text("[data-testid=role]").await?;
        ensure!(role == "Co-admin", "role shown: {role:?}");
        s.click("[data-testid=run-api-test]").await?;
        s.wait_attr(
            "[data-testid=api-test]",
            "data-outcome",
            "warn",
            API_TEST_TIMEOUT,
        )
        .await?;
        let check = s
            .find("[data-testid=api-test] li[data-check='role']")
            .await?;
        ensure!(
            check.attr("data-status").await?.as_deref() == Some("warn"),
            "role check warns for a co-admin"
        );
        let text = check.text().await?;
        ensure!(text.contains("Fix:"), "the fix is shown: {text:?}");
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

/// Polls `css`'s text until `done` accepts it.
async fn wait_text(
    s: &AppSession,
    css: &str,
    timeout: Duration,
    done: impl Fn(&str) -> bool,
) -> Result<String> {
    let start = std::time::Instant::now();
    loop {
        let text = s.text(css).await.unwrap_or_default();
        if done(&text) {
            return Ok(text);
        }
        if start.elapsed() > timeout {
            s.screenshot("timeout").await.ok();
            anyhow::bail!("{css} says {text:?} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

const FULL_SCAN_TIMEOUT: Duration = Duration::from_secs(180);

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn after_connecting_the_scan_runs_to_completion_and_the_events_show_by_kind() -> Result<()> {
    let s = start_with_scripted_browser("scan-and-events", "admin", vec![]).await?;
    let outcome = async {
        // Before connecting there is only the Connection view.
        s.find("[role=tab][data-view-tab=connection]").await?;
        let tabs = s.find_all("[role=tab]").await?;
        ensure!(
            tabs.len() == 1,
            "one view before connecting, saw {}",
            tabs.len()
        );
        connect_sandbox(&s).await?;

        s.click("[data-view-tab=scan]").await?;
        s.find("[data-testid=scan-view]").await?;
        // The sandbox's enterprise is small: the full scan finishes.
        s.wait_attr(
            "[data-testid=scan-state]",
            "data-state",
            "idle",
            FULL_SCAN_TIMEOUT,
        )
        .await?;
        let scanned = s.text("[data-testid=progress-scanned-text]").await?;
        let (done, of) = scanned
            .split_once(" of ")
            .map(|(a, b)| (a.to_string(), b.split(' ').next().unwrap_or("").to_string()))
            .unwrap_or_default();
        ensure!(
            !done.is_empty() && done == of && done != "0",
            "every discovered file scanned: {scanned:?}"
        );
        s.find("[data-testid=throughput-chart][data-drawn=true]")
            .await?;
        s.screenshot("scan").await?;
        // The desktop notification went out (the log says so: Xvfb has no
        // notification service to ask).
        let logs = s.data_dir.join("logs");
        let mut notified = false;
        for _ in 0..40 {
            notified = files_under(&logs).iter().any(|f| {
                std::fs::read(f).is_ok_and(|b| contains(&b, b"notification: Full scan complete"))
            });
            if notified {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        ensure!(notified, "no full-scan notification in {}", logs.display());

        // Keyboard: the right arrow on the Scan tab opens Events.
        let tab = s.find("[data-view-tab=scan]").await?;
        tab.send_keys(&fantoccini::key::Key::Right).await?;
        s.wait_attr(
            "[data-view-tab=events]",
            "aria-selected",
            "true",
            Duration::from_secs(5),
        )
        .await?;
        s.find("[data-testid=events-view]").await?;
        wait_text(
            &s,
            "[data-testid=events-ingested]",
            Duration::from_secs(30),
            |t| !t.is_empty() && t != "0" && t != "—",
        )
        .await?;
        s.find("[data-testid=event-days-chart][data-drawn=true]")
            .await?;
        s.find("[data-testid=events-list] tr[data-event]").await?;
        // The 60 days are in; the lag shows once a live event has come.
        wait_text(&s, "[data-testid=backfill]", Duration::from_secs(30), |t| {
            t.starts_with("done")
        })
        .await?;
        s.find("[data-testid=event-lag]").await?;
        s.screenshot("events").await?;

        // A file's own history, from one of its events: found, scanned, its events.
        s.click("[data-testid=events-list] tr[data-event] button.link")
            .await?;
        s.find("[data-testid=file-history] [data-testid=file-history-list] li[data-what=scanned]")
            .await?;
        s.find("[data-testid=file-history] li[data-what=event]")
            .await?;
        s.screenshot("file-history").await?;
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn with_box_gone_the_views_still_show_the_scan_and_say_offline() -> Result<()> {
    let mut sandbox = StandaloneSandbox::start()?;
    let s = start_with_scripted_browser(
        "offline-views",
        "admin",
        vec![("BOX_CONNECTOR_SANDBOX_URL".into(), sandbox.url.clone())],
    )
    .await?;
    let outcome = async {
        connect_sandbox(&s).await?;
        s.click("[data-view-tab=scan]").await?;
        s.wait_attr(
            "[data-testid=scan-state]",
            "data-state",
            "idle",
            FULL_SCAN_TIMEOUT,
        )
        .await?;
        let scanned = s.text("[data-testid=progress-scanned-text]").await?;

        // Box goes away: the scan's next live poll fails and says so.
        sandbox.stop();
        s.find("[data-testid=offline-banner]").await?;
        s.wait_attr(
            "[data-testid=scan-state]",
            "data-state",
            "offline",
            Duration::from_secs(60),
        )
        .await?;
        // What was stored still shows: the counts, the queue, the charts.
        let offline_scanned = s.text("[data-testid=progress-scanned-text]").await?;
        ensure!(
            offline_scanned == scanned,
            "the counts stay: {scanned:?} then {offline_scanned:?}"
        );
        s.find("[data-testid=queue]").await?;
        s.find("[data-testid=throughput-chart][data-drawn=true]")
            .await?;
        s.screenshot("scan-offline").await?;
        s.click("[data-view-tab=events]").await?;
        s.find("[data-testid=event-days-chart][data-drawn=true]")
            .await?;
        s.find("[data-testid=events-list] tr[data-event]").await?;
        s.screenshot("events-offline").await?;
        Ok(())
    }
    .await;
    s.finish(outcome).await
}
