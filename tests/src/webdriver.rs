//! Drives the real Box Connector window: tauri-driver in front of
//! WebKitWebDriver, which starts the app binary. Each session gets its own
//! data dir (BOX_CONNECTOR_DATA_DIR), its own D-Bus session with an unlocked
//! throwaway gnome-keyring, and its own XDG dirs, so tests share nothing.
//! Run under Xvfb (`scripts/e2e.sh` does it all).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// Overrides the app binary (default: `box-connector` beside the test binary's target dir).
pub const APP_ENV: &str = "BOX_CONNECTOR_APP";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// The workspace root (screenshots go to `artifacts/` there, git-ignored).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `<target>/debug`: the test binary runs from `<target>/debug/deps/`.
fn target_profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let deps = exe.parent().context("test binary has no directory")?;
    Ok(deps
        .parent()
        .context("deps dir has no parent")?
        .to_path_buf())
}

/// A binary built in this workspace's target dir (`box-connector`, `sandbox-browser`).
pub fn built_binary(name: &str) -> Result<PathBuf> {
    let path = target_profile_dir()?.join(name);
    if !path.exists() {
        bail!(
            "{} not found: build it first (scripts/e2e.sh does)",
            path.display()
        );
    }
    Ok(path)
}

pub fn app_binary() -> Result<PathBuf> {
    match std::env::var_os(APP_ENV) {
        Some(p) => Ok(PathBuf::from(p)),
        None => built_binary("box-connector"),
    }
}

/// What a test may change about how the app starts.
#[derive(Default)]
pub struct Options {
    /// Extra environment for the app (e.g. BOX_CONNECTOR_BROWSER).
    pub env: Vec<(String, String)>,
    /// Files written into the data dir before the app starts (name, bytes).
    pub data_files: Vec<(String, Vec<u8>)>,
}

/// A child process killed when dropped, so a failing test leaves nothing running.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        // SIGTERM first: tauri-driver then stops WebKitWebDriver and the app it started.
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private D-Bus session bus with its own unlocked gnome-keyring.
struct Keyring {
    env: Vec<(String, String)>,
    // Dropped in this order: the keyring first, then its bus.
    _keyring: Guard,
    _bus: Guard,
}

impl Keyring {
    fn start(home: &Path) -> Result<Self> {
        let data = home.join("xdg-data");
        let runtime = home.join("xdg-runtime");
        let config = home.join("xdg-config");
        let cache = home.join("xdg-cache");
        for dir in [&data, &runtime, &config, &cache] {
            std::fs::create_dir_all(dir)?;
        }
        set_private(&runtime)?;
        let mut env = vec![
            ("XDG_DATA_HOME".to_string(), data.display().to_string()),
            ("XDG_RUNTIME_DIR".to_string(), runtime.display().to_string()),
            ("XDG_CONFIG_HOME".to_string(), config.display().to_string()),
            ("XDG_CACHE_HOME".to_string(), cache.display().to_string()),
        ];

        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting dbus-daemon (Debian package dbus)")?;
        let mut address = String::new();
        BufReader::new(bus.stdout.take().context("dbus-daemon stdout")?).read_line(&mut address)?;
        let bus = Guard(bus);
        let address = address.trim().to_string();
        if address.is_empty() {
            bail!("dbus-daemon printed no address");
        }
        env.push(("DBUS_SESSION_BUS_ADDRESS".to_string(), address));

        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting gnome-keyring-daemon (Debian package gnome-keyring)")?;
        // The password only unlocks this throwaway keyring.
        {
            let mut stdin = keyring.stdin.take().context("keyring stdin")?;
            stdin.write_all(b"e2e-keyring")?;
        }
        let mut lines = BufReader::new(keyring.stdout.take().context("keyring stdout")?).lines();
        let keyring = Guard(keyring);
        // It prints GNOME_KEYRING_CONTROL=... once its secrets service is up.
        if let Some(line) = lines.next() {
            if let Some((k, v)) = line?.split_once('=') {
                env.push((k.to_string(), v.to_string()));
            }
        }
        Ok(Keyring {
            env,
            _keyring: keyring,
            _bus: bus,
        })
    }
}

fn set_private(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for_port(port: u16, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("tauri-driver did not listen on port {port} within {timeout:?}")
}

/// Fresh drivers tried before a session error is reported.
const SESSION_ATTEMPTS: u32 = 3;

/// One running app window.
pub struct AppSession {
    pub client: Client,
    pub name: String,
    pub data_dir: PathBuf,
    home: PathBuf,
    // Dropped after the client closes: tauri-driver, then the keyring.
    _driver: Guard,
    _keyring: Keyring,
}

impl AppSession {
    pub async fn start(name: &str) -> Result<Self> {
        Self::start_with(name, Options::default()).await
    }

    pub async fn start_with(name: &str, options: Options) -> Result<Self> {
        let app = app_binary()?;
        let home =
            std::env::temp_dir().join(format!("box-connector-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let data_dir = home.join("data");
        std::fs::create_dir_all(&data_dir)?;
        for (name, bytes) in &options.data_files {
            std::fs::write(data_dir.join(name), bytes)?;
        }
        let keyring = Keyring::start(&home)?;

        // tauri-driver opens its port before WebKitWebDriver behind it is
        // ready; on a loaded machine the first session request can then be
        // dropped ("did not respond"). That is the driver starting, not the
        // app failing: start a fresh driver and ask again, a few times.
        let mut attempt = 0;
        let (client, driver) = loop {
            attempt += 1;
            let port = free_port()?;
            let native_port = free_port()?;
            let driver = Command::new(tauri_driver()?)
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .envs(keyring.env.iter().map(|(k, v)| (k, v)))
                .env("BOX_CONNECTOR_DATA_DIR", &data_dir)
                .envs(options.env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("starting tauri-driver (cargo install tauri-driver --locked)")?;
            let driver = Guard(driver);
            wait_for_port(port, STARTUP_TIMEOUT)?;

            let mut caps = serde_json::Map::new();
            caps.insert("browserName".into(), json!("wry"));
            caps.insert("tauri:options".into(), json!({ "application": app }));
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break (client, driver),
                Err(err)
                    if attempt < SESSION_ATTEMPTS
                        && !err.to_string().contains("session not created") =>
                {
                    eprintln!("WebDriver session attempt {attempt} failed ({err}); starting the driver again");
                    drop(driver);
                }
                Err(err) => return Err(err).context("WebDriver session with the app"),
            }
        };
        Ok(AppSession {
            client,
            name: name.to_string(),
            data_dir,
            home,
            _driver: driver,
            _keyring: keyring,
        })
    }

    pub async fn find(&self, css: &str) -> Result<Element> {
        bounded(
            &format!("finding {css}"),
            self.client
                .wait()
                .at_most(UI_TIMEOUT)
                .for_element(Locator::Css(css)),
        )
        .await
    }

    pub async fn title(&self) -> Result<String> {
        bounded("title", self.client.title()).await
    }

    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        bounded(
            &format!("finding all {css}"),
            self.client.find_all(Locator::Css(css)),
        )
        .await
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        let el = self.find(css).await?;
        bounded(&format!("text of {css}"), el.text()).await
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        let el = self.find(css).await?;
        bounded(&format!("clicking {css}"), el.click()).await?;
        Ok(())
    }

    /// Waits until `css` matches an element whose attribute `attr` is `value`.
    pub async fn wait_attr(
        &self,
        css: &str,
        attr: &str,
        value: &str,
        timeout: Duration,
    ) -> Result<Element> {
        let start = Instant::now();
        let mut last = None;
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.attr(attr).await.ok().flatten();
                if last.as_deref() == Some(value) {
                    return Ok(el);
                }
            }
            if start.elapsed() > timeout {
                self.screenshot("timeout").await.ok();
                bail!("{css}[{attr}] is {last:?}, waited {timeout:?} for {value:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Saves the window as `artifacts/e2e/<test>-<label>.png` and returns the path.
    pub async fn screenshot(&self, label: &str) -> Result<PathBuf> {
        // WebKitWebDriver answers a screenshot after the next paint; nudge one
        // so a still window does not leave the request waiting.
        let nudge = "let n = 0; const s = document.body.style; \
            const f = () => { s.opacity = n % 2 ? '0.999' : ''; if (++n < 90) requestAnimationFrame(f); else s.opacity = ''; }; \
            requestAnimationFrame(f); return 1;";
        bounded("repaint", self.client.execute(nudge, vec![])).await?;
        let png = bounded("screenshot", self.client.screenshot()).await?;
        let dir = workspace_root().join("artifacts").join("e2e");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}-{label}.png", self.name));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends a test: saves its screenshot (`final`, or `failed` when `outcome`
    /// is an error), closes the app and returns the outcome.
    pub async fn finish(self, outcome: Result<()>) -> Result<()> {
        let label = if outcome.is_ok() { "final" } else { "failed" };
        let shot = self.screenshot(label).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
        let _ = std::fs::remove_dir_all(&self.home);
        outcome?;
        shot.map(|_| ())
    }
}

/// A WebDriver command that hangs (a blocked app) becomes an error naming the step.
async fn bounded<T, E>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(UI_TIMEOUT + Duration::from_secs(10), fut).await {
        Ok(r) => r.with_context(|| what.to_string()),
        Err(_) => bail!(
            "{what}: no answer from the app within {:?}",
            UI_TIMEOUT + Duration::from_secs(10)
        ),
    }
}

fn tauri_driver() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|d| d.join("bin").join("tauri-driver"));
    match in_cargo_home {
        Some(p) if p.exists() => Ok(p),
        _ => Ok(PathBuf::from("tauri-driver")),
    }
}
