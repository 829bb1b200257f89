//! What the window tests share: the app started with the sandbox's scripted
//! browser, connecting to the Sandbox, waiting for the full scan, calling a
//! command from inside the window, dark mode, screenshots for docs/, and a
//! sandbox in a process of its own that a test can take away (Box gone).

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::webdriver::{built_binary, workspace_root, AppSession, Options};

pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(90);
pub const FULL_SCAN_TIMEOUT: Duration = Duration::from_secs(240);
pub const UI_WAIT: Duration = Duration::from_secs(20);

/// Runs an IPC command from inside the window, as the UI's own code does
/// (same capability checks), and returns its answer.
pub async fn invoke(s: &AppSession, cmd: &str, args: Value) -> Result<Value> {
    let script = "const done = arguments[arguments.length - 1]; \
        window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]) \
          .then((ok) => done({ ok }), (err) => done({ err }));";
    let answer = tokio::time::timeout(
        UI_WAIT,
        s.client.execute_async(script, vec![json!(cmd), args]),
    )
    .await
    .with_context(|| format!("{cmd}: no answer"))??;
    match answer.get("ok") {
        Some(ok) => Ok(ok.clone()),
        None => bail!("{cmd} failed: {}", answer["err"]),
    }
}

/// Polls until the Scan view says the full scan completed (the Scan view must be shown).
pub async fn wait_completed(s: &AppSession) -> Result<()> {
    let start = Instant::now();
    loop {
        let text = s
            .text("[data-testid=full-scan-completed]")
            .await
            .unwrap_or_default();
        if !text.is_empty() && text != "not yet" {
            return Ok(());
        }
        if start.elapsed() > FULL_SCAN_TIMEOUT {
            s.screenshot("timeout").await.ok();
            bail!("the full scan did not complete in {FULL_SCAN_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Copies a screenshot to docs/ when asked (`make screenshot` sets it), so a
/// test run leaves the tree clean.
pub fn to_docs(shot: &std::path::Path, name: &str) -> Result<()> {
    if std::env::var_os("UPDATE_README_SCREENSHOT").is_some() {
        let docs = workspace_root().join("docs");
        std::fs::create_dir_all(&docs)?;
        std::fs::copy(shot, docs.join(name))?;
    }
    Ok(())
}

/// Dark mode: the theme button goes system → light → dark.
pub async fn go_dark(s: &AppSession) -> Result<()> {
    for _ in 0..3 {
        let theme: Value = s
            .client
            .execute(
                "return document.documentElement.dataset.theme || 'system';",
                vec![],
            )
            .await?;
        if theme == json!("dark") {
            break;
        }
        s.click("[data-testid=theme]").await?;
    }
    s.wait_attr("html", "data-theme", "dark", UI_WAIT).await?;
    Ok(())
}

/// The app whose "browser" is the sandbox's scripted browser signing in as
/// `login` ("admin", "coadmin"), with `env` added.
pub async fn start_with_scripted_browser(
    name: &str,
    login: &str,
    mut env: Vec<(String, String)>,
) -> Result<AppSession> {
    let browser = built_binary("sandbox-browser")?;
    env.push((
        "BOX_CONNECTOR_BROWSER".into(),
        format!("{} --login {login}", browser.display()),
    ));
    AppSession::start_with(
        name,
        Options {
            env,
            ..Options::default()
        },
    )
    .await
}

/// Connects the default data center (Sandbox) and waits for the account card.
pub async fn connect_sandbox(s: &AppSession) -> Result<()> {
    s.wait_attr(
        "li[data-dc='sandbox'] button.choose",
        "aria-checked",
        "true",
        Duration::from_secs(10),
    )
    .await?;
    s.click("[data-testid=connect]").await?;
    s.wait_attr(
        "[data-testid=connection-state]",
        "data-state",
        "connected",
        SIGN_IN_TIMEOUT,
    )
    .await?;
    s.find("[data-testid=account]").await?;
    Ok(())
}

/// The sandbox as a process of its own, so the test can take it away.
pub struct StandaloneSandbox {
    child: std::process::Child,
    pub url: String,
    // Kept open: the sandbox may write more, and a closed pipe would stop it.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl StandaloneSandbox {
    pub fn start() -> Result<StandaloneSandbox> {
        use std::io::BufRead;
        let mut child = std::process::Command::new(built_binary("box-sandbox")?)
            .args(["--port", "0", "--users", "8", "--files", "200"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let mut reader = std::io::BufReader::new(stdout);
        let mut first = String::new();
        reader.read_line(&mut first)?;
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .map(str::to_owned)
            .with_context(|| format!("unexpected first line from box-sandbox: {first:?}"))?;
        Ok(StandaloneSandbox {
            child,
            url,
            _stdout: reader,
        })
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for StandaloneSandbox {
    fn drop(&mut self) {
        self.stop();
    }
}
