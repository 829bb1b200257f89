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
        Self::start_with(&[])
    }

    /// With more flags (e.g. `--auto-approve`, so a test can sign in itself).
    pub fn start_with(extra: &[&str]) -> Result<StandaloneSandbox> {
        use std::io::BufRead;
        let mut child = std::process::Command::new(built_binary("box-sandbox")?)
            .args(["--port", "0", "--users", "8", "--files", "200"])
            .args(extra)
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

/// An access token for the admin of an `--auto-approve` sandbox, by Box's
/// own authorization-code flow (as any Box client would get one).
pub async fn sandbox_admin_token(url: &str) -> Result<String> {
    let http = reqwest_client()?;
    let redirect = "http://127.0.0.1:9/callback";
    let authorize = format!(
        "{url}/api/oauth2/authorize?response_type=code&client_id=sandbox-client&state=t\
         &scope=root_readwrite&redirect_uri={}",
        urlencode(redirect)
    );
    let answer = http.get(authorize).send().await?;
    let location = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .context("the sandbox approves at once")?
        .to_owned();
    let code = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .context("a code in the redirect")?
        .to_owned();
    let tokens: Value = http
        .post(format!("{url}/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
            ("redirect_uri", redirect),
        ])
        .send()
        .await?
        .json()
        .await?;
    tokens["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("an access token")
}

/// Uploads `bytes` as `name` into the root of the user `as_user`.
pub async fn sandbox_upload(
    url: &str,
    token: &str,
    as_user: &str,
    name: &str,
    bytes: &[u8],
) -> Result<String> {
    let boundary = "window-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attributes\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
        serde_json::json!({"name": name, "parent": {"id": "0"}})
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let answer: Value = reqwest_client()?
        .post(format!("{url}/api/2.0/files/content"))
        .bearer_auth(token)
        .header("as-user", as_user)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    answer["entries"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .context("the new file's id")
}

fn reqwest_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
