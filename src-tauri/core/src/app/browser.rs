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
    /// Only a web address is handed over: the system opener would also run
    /// a `file:` path or an app's own scheme, and a program may take an
    /// argument for an option.
    pub fn open(&self, url: &str) -> Result<(), String> {
        if !is_web_address(url) {
            return Err(format!("{url:?} is not an http or https address"));
        }
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

fn is_web_address(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_handed_to_a_browser() {
        // `true` exits at once: a program that would be started.
        let launcher = BrowserLauncher::Program {
            program: "true".into(),
            args: Vec::new(),
        };
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "smb://host/share",
            "--new-window",
            "/usr/bin/xcalc",
            "mailto:a@b.example",
            "",
        ] {
            let err = launcher.open(bad).unwrap_err();
            assert!(err.contains("not an http or https address"), "{bad}: {err}");
            assert!(BrowserLauncher::System.open(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_web_address_is_opened() {
        let launcher = BrowserLauncher::Program {
            program: "true".into(),
            args: Vec::new(),
        };
        launcher
            .open("https://account.box.com/api/oauth2/authorize?x=1")
            .unwrap();
        launcher.open("http://127.0.0.1:4000/file/1").unwrap();
    }
}
