//! Issue 10 in the real window: connect to the Sandbox, turn governance on
//! (Box is asked once more, for the write scope; the scripted browser presses
//! Allow), scan until done, open a finding of a public link on the file
//! itself, preview "Remove link", check the preview lists that link, confirm,
//! and find the entry done in the Audit view; the finding closes once the
//! rescan sees the link gone. `#[ignore]`d: `scripts/e2e.sh` runs it under
//! Xvfb (`E2E_FILTER=govern`).

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use box_connector_e2e::webdriver::AppSession;
use box_connector_e2e::window::{
    connect_sandbox, go_dark, invoke, start_with_scripted_browser, to_docs, wait_completed,
    SIGN_IN_TIMEOUT, UI_WAIT,
};
use serde_json::json;

/// The time the rescan after an action may take to close the finding.
const RESCAN_TIMEOUT: Duration = Duration::from_secs(90);

/// The first listed finding whose link is the file's own ("its own open link …").
async fn own_link_finding(s: &AppSession) -> Result<String> {
    let script = "const rows = document.querySelectorAll('[data-testid=findings-table] tr[data-kind=public_link]'); \
        const own = [...rows].find((r) => (r.querySelector('.via')?.textContent ?? '').trim().startsWith('its own')); \
        return own ? own.dataset.finding : null;";
    let start = Instant::now();
    loop {
        if let Some(id) = s.client.execute(script, vec![]).await?.as_str() {
            return Ok(id.to_string());
        }
        if start.elapsed() > UI_WAIT {
            s.screenshot("timeout").await.ok();
            bail!("no public link on a file itself is listed");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn remove_a_public_link_from_its_preview_and_see_it_in_the_audit_log() -> Result<()> {
    let s = start_with_scripted_browser("govern", "admin", vec![]).await?;
    let outcome = async {
        connect_sandbox(&s).await?;

        // Read-only until governance is on: the switch says why it asks again.
        s.wait_attr(
            "[data-testid=governance]",
            "data-enabled",
            "false",
            UI_WAIT,
        )
        .await?;
        let why = s.text("[data-testid=governance-why]").await?;
        ensure!(why.contains("root_readwrite"), "the switch explains: {why:?}");
        s.click("[data-testid=governance-enable]").await?;
        s.wait_attr(
            "[data-testid=governance]",
            "data-can-write",
            "true",
            SIGN_IN_TIMEOUT,
        )
        .await?;
        let scopes = s.text("[data-testid=governance-scopes]").await?;
        ensure!(scopes.contains("root_readwrite"), "granted: {scopes:?}");
        s.screenshot("governance-on").await?;

        s.click("[data-view-tab=scan]").await?;
        wait_completed(&s).await?;

        // The public links, then one on the file itself.
        s.click("[data-view-tab=findings]").await?;
        s.find("[data-testid=findings-table]").await?;
        s.find("[data-testid=filter-kind]")
            .await?
            .select_by_value("public_link")
            .await?;
        let finding_id = own_link_finding(&s).await?;
        s.click(&format!(
            "[data-testid=findings-table] tr[data-finding='{finding_id}'] .name"
        ))
        .await?;
        s.wait_attr(
            "[data-testid=finding-detail]",
            "data-finding",
            &finding_id,
            UI_WAIT,
        )
        .await?;
        s.find("[data-testid=finding-actions] button[data-action=remove_link]:not([disabled])")
            .await?;
        s.screenshot("finding-actions").await?;
        let path = s.text("[data-testid=finding-path]").await?;
        let file_name = path.rsplit('/').next().unwrap_or_default().to_string();

        // The preview: the item, whose account acts, and the link it removes.
        s.click("[data-testid=finding-actions] button[data-action=remove_link]")
            .await?;
        s.find("[data-testid=action-dialog] [data-testid=preview-changes] li[data-target=shared_link]")
            .await?;
        let shown_path = s.text("[data-testid=preview-path]").await?;
        ensure!(
            shown_path.trim_start_matches('/') == path.trim_start_matches('/'),
            "the preview is of {shown_path:?}, the finding of {path:?}"
        );
        let change = s.text("[data-testid=preview-changes]").await?;
        ensure!(
            change.contains("open") && change.contains("none"),
            "the preview lists the open link going: {change:?}"
        );
        ensure!(
            !s.text("[data-testid=preview-acting-as]").await?.trim().is_empty(),
            "acting as the owner"
        );
        let entries_before = invoke(
            &s,
            "audit",
            json!({ "filter": { "batch_id": null, "item_id": null, "state": null }, "offset": 0, "limit": 10 }),
        )
        .await?["total"]
            .as_u64()
            .context("audit total")?;
        ensure!(entries_before == 0, "nothing recorded before the confirmation");
        let shot = s.screenshot("preview").await?;
        to_docs(&shot, "govern-preview.png")?;

        s.click("[data-testid=action-confirm]").await?;
        s.wait_attr("[data-testid=action-result]", "data-state", "done", UI_WAIT)
            .await?;
        s.click("[data-testid=action-close]").await?;

        // The Audit view lists it, done, with Box's answer.
        s.click("[data-view-tab=audit]").await?;
        let row = s
            .wait_attr(
                "[data-testid=audit-table] tr[data-kind=remove_link]",
                "data-state",
                "done",
                UI_WAIT,
            )
            .await?;
        let text = row.text().await?;
        ensure!(text.contains(&file_name), "the entry names {file_name}: {text:?}");
        s.click("[data-testid=audit-table] tr[data-kind=remove_link] .name")
            .await?;
        let before = s.text("[data-testid=audit-before]").await?;
        ensure!(before.contains("open"), "the link before: {before:?}");
        let shot = s.screenshot("audit").await?;
        to_docs(&shot, "audit.png")?;
        go_dark(&s).await?;
        let shot = s.screenshot("audit-dark").await?;
        to_docs(&shot, "audit-dark.png")?;

        // The rescan at the front of the queue closes the finding from what Box says now.
        let start = Instant::now();
        loop {
            let detail = invoke(
                &s,
                "finding_detail",
                json!({ "findingId": finding_id.parse::<i64>()? }),
            )
            .await?;
            if !detail["finding"]["closed_at"].is_null() {
                break;
            }
            if start.elapsed() > RESCAN_TIMEOUT {
                bail!("finding {finding_id} still open after the link was removed: {detail}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    }
    .await;
    s.finish(outcome).await
}
