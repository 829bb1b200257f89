//! Issue 16's "done when", in the real window: while the app scans, an
//! ordinary user uploads the hostile corpus (a self-drawing PDF, a flate
//! bomb, …) and then a card number. The window stays up, the scan
//! completes, each hostile file says why it was not inspected, the card is
//! found, and the app started again on the same data scans on. The app's
//! readers are children of its own binary. `#[ignore]`d: `scripts/e2e.sh`
//! runs it under Xvfb (`E2E_FILTER=hostile`).

use anyhow::{ensure, Context, Result};
use box_connector_e2e::hostile;
use box_connector_e2e::webdriver::built_binary;
use box_connector_e2e::webdriver::{AppSession, Options};
use box_connector_e2e::window::{
    connect_sandbox, sandbox_admin_token, sandbox_upload, wait_completed, StandaloneSandbox,
};

/// (state, code) of each file, read from the app's database.
async fn states(
    db: &std::path::Path,
    ids: &[String],
) -> Result<Vec<(Option<String>, Option<String>)>> {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let mut out = Vec::new();
    for id in ids {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT inspect_state, inspect_code FROM files WHERE file_id = ?")
                .bind(id)
                .fetch_optional(&pool)
                .await?;
        out.push(row.unwrap_or((None, None)));
    }
    pool.close().await;
    Ok(out)
}

async fn app(
    name: &str,
    sandbox: &StandaloneSandbox,
    data_files: Vec<(String, Vec<u8>)>,
) -> Result<AppSession> {
    let browser = built_binary("sandbox-browser")?;
    AppSession::start_with(
        name,
        Options {
            env: vec![
                ("BOX_CONNECTOR_SANDBOX_URL".into(), sandbox.url.clone()),
                (
                    "BOX_CONNECTOR_BROWSER".into(),
                    format!("{} --login admin", browser.display()),
                ),
            ],
            data_files,
        },
    )
    .await
}

#[tokio::test]
#[ignore = "opens the real window: run scripts/e2e.sh"]
async fn a_hostile_corpus_uploaded_while_the_window_scans_costs_only_itself() -> Result<()> {
    let sandbox = StandaloneSandbox::start_with(&["--auto-approve"])?;
    let token = sandbox_admin_token(&sandbox.url).await?;
    let accounts: serde_json::Value = reqwest::get(format!("{}/_sandbox/accounts", sandbox.url))
        .await?
        .json()
        .await?;
    let user = accounts
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|u| u["role"] == "user" && u["kind"] == "managed")
        })
        .and_then(|u| u["id"].as_str())
        .context("an ordinary user")?
        .to_owned();
    let s = app("hostile", &sandbox, vec![]).await?;
    let db = s.data_dir.join(connector_core::store::DATABASE_FILE_NAME);
    // The bomb past the app's own reader limit (1024 MB by default).
    let corpus = hostile::corpus_sized(2048, 128);
    let mut ids = Vec::new();
    let outcome = async {
        connect_sandbox(&s).await?;
        // While it scans: the corpus, then an ordinary card number.
        for file in &corpus {
            ids.push(sandbox_upload(&sandbox.url, &token, &user, file.name, &file.bytes).await?);
        }
        let card = sandbox_upload(
            &sandbox.url,
            &token,
            &user,
            "after-the-corpus.txt",
            b"Card on file: 4111 1111 1111 1111, exp 04/29.\n",
        )
        .await?;
        s.click("[data-view-tab=scan]").await?;
        wait_completed(&s).await?;
        // The live events bring the uploads in; wait for every one to settle.
        let all: Vec<String> = ids.iter().cloned().chain([card.clone()]).collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let got = states(&db, &all).await?;
            if got.iter().all(|(state, _)| state.is_some()) {
                break;
            }
            ensure!(
                std::time::Instant::now() < deadline,
                "files still unread: {got:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        ensure!(s.title().await.is_ok(), "the window is still up");
        let got = states(&db, &ids).await?;
        for ((file, (state, code)), id) in corpus.iter().zip(&got).zip(&ids) {
            let said = if state.as_deref() == Some("inspected") {
                None
            } else {
                code.as_deref()
            };
            ensure!(
                file.expect.contains(&said),
                "{} ({id}): {state:?} {code:?}, expected one of {:?}",
                file.name,
                file.expect
            );
        }
        let card_state = states(&db, std::slice::from_ref(&card)).await?;
        ensure!(
            card_state[0].0.as_deref() == Some("inspected"),
            "{card_state:?}"
        );
        s.screenshot("hostile-scan").await?;
        Ok(())
    }
    .await;
    // The database as the app left it (its write-ahead log too), for the restart.
    let name = connector_core::store::DATABASE_FILE_NAME;
    let files: Vec<(String, Vec<u8>)> = [name.to_owned(), format!("{name}-wal")]
        .into_iter()
        .filter_map(|f| Some((f.clone(), std::fs::read(s.data_dir.join(&f)).ok()?)))
        .collect();
    s.finish(outcome).await?;
    ensure!(!files.is_empty(), "the database was there");

    // Started again on the same data: it signs in again and scans on.
    let again = app("hostile-again", &sandbox, files).await?;
    let outcome = async {
        // Its keychain is new: the connection asks to be signed in again.
        again.click("[data-testid=reconnect]").await?;
        again
            .wait_attr(
                "[data-testid=connection-state]",
                "data-state",
                "connected",
                std::time::Duration::from_secs(60),
            )
            .await?;
        again.click("[data-view-tab=scan]").await?;
        wait_completed(&again).await?;
        ensure!(
            again.title().await.is_ok(),
            "the window is up after the restart"
        );
        let db = again
            .data_dir
            .join(connector_core::store::DATABASE_FILE_NAME);
        let got = states(&db, &ids).await?;
        ensure!(got.iter().all(|(s, _)| s.is_some()), "{got:?}");
        again.screenshot("hostile-again").await?;
        Ok(())
    }
    .await;
    again.finish(outcome).await
}
