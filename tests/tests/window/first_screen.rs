//! The real app window over WebDriver: the first screen. `#[ignore]`d so a
//! quick `cargo test` skips them; `scripts/e2e.sh` runs them under Xvfb.

use std::time::Duration;

use anyhow::{ensure, Result};
use box_connector_e2e::webdriver::{AppSession, Options};

/// The seed's API keys (BOX-FACTS.md), written out here rather than read
/// from core so a wrong key in core fails this test.
const BOX_DATA_CENTERS: [(&str, &str, &str); 6] = [
    ("us1", "US1", "nduj1o3yavu30dii7e03c3n7p49cj2qh"),
    ("us2", "US2", "w0ouf1apiii9z8o0r6kpr4nu1pvyec75"),
    ("us3", "US3", "dmcyvu1s9284i2u6gw9r2kb0hhve4a0r"),
    ("eu1", "EU1", "me9cm6n7kr4mfz135yt0ab9f5k4ze8qp"),
    ("eu2", "EU2", "uwdy5r40t7jprdlzo85v8suw1l4cdsbf"),
    ("legacy", "Legacy", "bwahmilhdlpbqy2ongkl119o3lrkoshc"),
];

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn window_opens_and_lists_the_box_data_centers_with_their_api_keys() -> Result<()> {
    let s = AppSession::start("lists-data-centers").await?;
    let outcome = async {
        s.find("ul[role=radiogroup] li[data-dc]").await?;
        let title = s.title().await?;
        ensure!(title == "Box Connector", "window title {title:?}");
        for (id, label, key) in BOX_DATA_CENTERS {
            let row = format!("li[data-dc='{id}']");
            let name = s.text(&format!("{row} .name")).await?;
            ensure!(name.starts_with(label), "{id}: label {name:?}");
            let shown = s
                .find(&format!("{row} [data-api-key]"))
                .await?
                .prop("textContent")
                .await?;
            ensure!(
                shown.as_deref().map(str::trim) == Some(key),
                "{id}: shows {shown:?}, expected {key}"
            );
            s.find(&format!("{row} button.copy")).await?;
        }
        let rows = s.find_all("li[data-dc]").await?.len();
        ensure!(
            rows == 8,
            "8 profiles (6 Box + Sandbox + Custom), saw {rows}"
        );
        s.find("li[data-dc='sandbox']").await?;
        s.find("li[data-dc='custom']").await?;
        // With no Box credentials set up, Sandbox is the default.
        s.wait_attr(
            "li[data-dc='sandbox'] button.choose",
            "aria-checked",
            "true",
            Duration::from_secs(5),
        )
        .await?;
        s.find("[data-testid=datacenter-detail][data-dc='sandbox']")
            .await?;
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn selecting_eu1_shows_its_key_and_the_allowlist_steps() -> Result<()> {
    let s = AppSession::start("select-eu1").await?;
    let outcome = async {
        s.click("li[data-dc='eu1'] button.choose").await?;
        s.find("[data-testid=datacenter-detail][data-dc='eu1']")
            .await?;
        let key = s.text("[data-testid=selected-api-key]").await?;
        ensure!(
            key == "me9cm6n7kr4mfz135yt0ab9f5k4ze8qp",
            "EU1 key shown: {key:?}"
        );
        s.wait_attr(
            "li[data-dc='eu1'] button.choose",
            "aria-checked",
            "true",
            Duration::from_secs(5),
        )
        .await?;
        let steps = s.text("[data-testid=datacenter-detail] ol").await?;
        ensure!(
            steps.contains("Except for"),
            "allowlist steps shown: {steps:?}"
        );
        // Box data centers ask for the client secret (kept in the keychain).
        s.find("#client-secret").await?;
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn copy_button_confirms_the_copy() -> Result<()> {
    let s = AppSession::start("copy-confirms").await?;
    let outcome = async {
        s.click("li[data-dc='us2'] button.choose").await?;
        s.find("[data-testid=datacenter-detail][data-dc='us2']")
            .await?;
        let copy = "[data-testid=datacenter-detail] button.copy";
        ensure!(s.text(copy).await?.contains("Copy"), "copy button before");
        s.click(copy).await?;
        // The clipboard can't be read back under Xvfb: the visible confirmation is the check.
        s.wait_attr(copy, "data-copy-state", "copied", Duration::from_secs(5))
            .await?;
        let label = s.text(copy).await?;
        ensure!(label.contains("Copied"), "button says {label:?}");
        s.screenshot("copied").await?;
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn a_corrupt_database_is_reported_and_moved_aside_not_deleted() -> Result<()> {
    let db = connector_core::store::DATABASE_FILE_NAME;
    let garbage = b"this is not an SQLite database, just damaged bytes".repeat(100);
    let options = Options {
        data_files: vec![(db.to_string(), garbage.clone())],
        ..Options::default()
    };
    let s = AppSession::start_with("corrupt-database", options).await?;
    let outcome = async {
        s.find("[data-testid=database-problem][data-db-state='corrupt']")
            .await?;
        s.screenshot("problem").await?;
        s.click("[data-testid=move-aside]").await?;
        // The app carries on with a fresh database and the normal first screen.
        s.find("ul[role=radiogroup] li[data-dc='eu1']").await?;
        let kept = std::fs::read_dir(&s.data_dir)?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy() != db)
            .any(|e| {
                std::fs::read(e.path())
                    .map(|b| b == garbage)
                    .unwrap_or(false)
            });
        ensure!(kept, "the damaged file is kept beside the new database");
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn theme_toggle_switches_to_dark_and_back_to_the_system_setting() -> Result<()> {
    let s = AppSession::start("dark-mode").await?;
    let outcome = async {
        s.find("li[data-dc='eu1']").await?;
        // system -> light -> dark
        s.click("[data-testid=theme]").await?;
        s.wait_attr("html", "data-theme", "light", Duration::from_secs(5))
            .await?;
        s.click("[data-testid=theme]").await?;
        s.wait_attr("html", "data-theme", "dark", Duration::from_secs(5))
            .await?;
        s.click("li[data-dc='eu1'] button.choose").await?;
        s.find("[data-testid=datacenter-detail][data-dc='eu1']")
            .await?;
        s.screenshot("dark").await?;
        s.click("[data-testid=theme]").await?;
        let html = s.find("html").await?;
        ensure!(
            html.attr("data-theme").await?.is_none(),
            "back to following the system"
        );
        Ok(())
    }
    .await;
    s.finish(outcome).await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn the_content_security_policy_blocks_inline_scripts_and_remote_content() -> Result<()> {
    let s = AppSession::start("csp").await?;
    let outcome = async {
        s.find("li[data-dc='eu1']").await?;
        // An injected inline script must not run: scripts come only from the app.
        let inline = "const el = document.createElement('script'); el.textContent = 'window.__injected = 1'; \
                      document.head.appendChild(el); return window.__injected === 1;";
        let ran = s.client.execute(inline, vec![]).await?;
        ensure!(ran == serde_json::json!(false), "inline script ran: {ran}");
        // The webview talks to nothing but IPC: a fetch to a server that is
        // listening right here is refused by the CSP before it connects.
        let server = std::net::TcpListener::bind("127.0.0.1:0")?;
        server.set_nonblocking(true)?;
        let url = format!("http://127.0.0.1:{}/", server.local_addr()?.port());
        let fetch = "const done = arguments[1]; fetch(arguments[0]).then(() => done('allowed'), () => done('blocked'));";
        let answer = s.client.execute_async(fetch, vec![serde_json::json!(url)]).await?;
        ensure!(answer == serde_json::json!("blocked"), "fetch: {answer}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        ensure!(server.accept().is_err(), "the page opened a connection to {url}");
        Ok(())
    }
    .await;
    s.finish(outcome).await
}
