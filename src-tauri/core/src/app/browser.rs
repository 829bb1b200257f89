//! Opening the sign-in page: the system browser, or a program named in
//! `BOX_CONNECTOR_BROWSER` (tests use the sandbox's scripted browser), or
//! nothing (headless: the admin copies the link).

use std::process::Stdio;

pub const BROWSER_ENV: &str = "BOX_CONNECTOR_BROWSER";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserLauncher {
    /// The desktop's default browser.
    System,
    /// A program run with the URL as its last argument.
    Program { program: String, args: Vec<String> },
    /// Do not open anything; the sign-in link is shown to copy.
    Disabled,
}

impl BrowserLauncher {
    /// `BOX_CONNECTOR_BROWSER` if set (split on whitespace: program then
    /// arguments), else the system browser.
    pub fn from_env() -> Self {
        match std::env::var(BROWSER_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                let mut parts = v.split_whitespace().map(str::to_owned);
                let program = parts.next().unwrap_or_default();
                BrowserLauncher::Program {
                    program,
                    args: parts.collect(),
                }
            }
            _ => BrowserLauncher::System,
        }
    }

    /// Opens `url`; `Err` says why it could not (the UI then offers the copy link).
    pub fn open(&self, url: &str) -> Result<(), String> {
        match self {
            BrowserLauncher::Disabled => Err("opening a browser is turned off".into()),
            BrowserLauncher::System => open::that_detached(url).map_err(|e| e.to_string()),
            BrowserLauncher::Program { program, args } => {
                let mut child = tokio::process::Command::new(program)
                    .args(args)
                    .arg(url)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .spawn()
                    .map_err(|e| format!("could not start {program}: {e}"))?;
                // Reap it in the background; its exit status is not ours to judge.
                tokio::spawn(async move {
                    let _ = child.wait().await;
                });
                Ok(())
            }
        }
    }
}
