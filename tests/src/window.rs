//! What the window tests share: the app started with the sandbox's scripted
//! browser, connecting to the Sandbox, and a sandbox in a process of its own
//! that a test can take away (Box gone).

use std::time::Duration;

use anyhow::{Context, Result};

use crate::webdriver::{built_binary, AppSession, Options};

pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(90);

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
