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
async fn govern_remove_a_public_link_from_its_preview_and_see_it_in_the_audit_log() -> Result<()> {
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

/// The leading number of a text like "12 match" or "1,234 open".
fn leading_count(text: &str) -> Result<u64> {
    let digits: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .with_context(|| format!("no count in {text:?}"))
}

/// Connects, turns governance on and waits for the full scan.
async fn connected_with_governance(s: &AppSession) -> Result<()> {
    connect_sandbox(s).await?;
    s.click("[data-testid=governance-enable]").await?;
    s.wait_attr(
        "[data-testid=governance]",
        "data-can-write",
        "true",
        SIGN_IN_TIMEOUT,
    )
    .await?;
    s.click("[data-view-tab=scan]").await?;
    wait_completed(s).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn govern_bulk_remove_the_public_links_on_card_files_and_watch_them_close() -> Result<()> {
    let s = start_with_scripted_browser("govern-bulk", "admin", vec![]).await?;
    let outcome = async {
        connected_with_governance(&s).await?;

        // The public links on files that also hold card numbers.
        s.click("[data-view-tab=findings]").await?;
        s.find("[data-testid=findings-table]").await?;
        s.find("[data-testid=filter-kind]")
            .await?
            .select_by_value("public_link")
            .await?;
        s.find("[data-testid=filter-also-holds]")
            .await?
            .select_by_value("credit_card")
            .await?;
        let filter = json!({ "severity": null, "kind": "public_link", "detector": null,
            "owner_login": null, "file_has_detector": "credit_card", "include_closed": false });
        let stored = invoke(
            &s,
            "findings",
            json!({ "filter": filter, "limit": 1, "offset": 0 }),
        )
        .await?["total"]
            .as_u64()
            .context("total")?;
        ensure!(stored > 0, "the sandbox has public links on card files");
        let start = Instant::now();
        while leading_count(&s.text("[data-testid=findings-total]").await?).ok() != Some(stored) {
            if start.elapsed() > UI_WAIT {
                bail!("the view does not show the {stored} matching findings");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }

        // The preview lists every item and the counts; nothing is sent yet.
        s.click("[data-testid=bulk-open]").await?;
        s.click("[data-testid=bulk-kind-remove_link]").await?;
        s.click("[data-testid=bulk-preview]").await?;
        // Each item's changes are worked out before the list shows.
        s.wait_attr(
            "[data-testid=bulk-items]",
            "data-testid",
            "bulk-items",
            RESCAN_TIMEOUT,
        )
        .await?;
        let items = s.find_all("[data-testid=bulk-items] > li").await?.len() as u64;
        let will_change = leading_count(&s.text("[data-testid=bulk-will-change]").await?)?;
        ensure!(
            items > 0 && will_change > 0 && will_change <= items && items <= stored,
            "{items} items, {will_change} to change, {stored} findings"
        );
        s.screenshot("bulk-preview").await?;

        s.click("[data-testid=bulk-confirm]").await?;
        s.wait_attr(
            "[data-testid=bulk-progress]",
            "data-finished",
            "true",
            RESCAN_TIMEOUT,
        )
        .await?;
        let counts = s.text("[data-testid=bulk-progress-text]").await?;
        ensure!(
            counts.starts_with(&format!("{items} of {items}:")),
            "every item handled: {counts:?}"
        );
        s.screenshot("bulk-done").await?;

        // The batch's entries in the Audit view, none failed.
        s.click("[data-testid=bulk-audit-link]").await?;
        s.find("[data-testid=audit-batch]").await?;
        let rows = s
            .find_all("[data-testid=audit-table] tr[data-audit]")
            .await?;
        ensure!(!rows.is_empty(), "the batch's entries are listed");
        for row in rows {
            let state = row.attr("data-state").await?.unwrap_or_default();
            ensure!(
                state == "done" || state == "unchanged",
                "an entry is {state}"
            );
        }

        // The rescans close the findings from what Box now says.
        let start = Instant::now();
        loop {
            let open = invoke(
                &s,
                "findings",
                json!({ "filter": filter, "limit": 1, "offset": 0 }),
            )
            .await?["total"]
                .as_u64()
                .context("total")?;
            if open == 0 {
                break;
            }
            if start.elapsed() > RESCAN_TIMEOUT {
                bail!("{open} of {stored} findings still open after the bulk action");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    }
    .await;
    s.finish(outcome).await
}
