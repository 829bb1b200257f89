//! Shared by the connect_* tests: a sandbox that counts token calls, the
//! real CLI and scripted-browser binaries, a per-test data dir and keychain
//! service. Keychain tests need `scripts/with-keyring.sh`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use box_sandbox::SandboxConfig;
use connector_core::auth::{KeychainVault, TokenSet};
use connector_core::keychain::Keychain;

use crate::bins;

/// Fails (never skips) without the keyring harness, so a plain `cargo test`
/// cannot report keychain tests as passing.
pub fn require_keyring() {
    assert!(
        std::env::var("BOX_CONNECTOR_TEST_KEYRING").as_deref() == Ok("1"),
        "this test needs a real keyring: run `scripts/with-keyring.sh cargo test -p box-connector-e2e` (or `make test`)"
    );
}

/// A real sandbox behind a counting pass-through proxy: the connector talks
/// to the proxy, which counts `/oauth2/token` calls by grant type.
pub struct TestSandbox {
    pub base_url: String,
    pub refresh_calls: Arc<AtomicUsize>,
    pub code_calls: Arc<AtomicUsize>,
    /// Every request's method and path, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    pub handle: box_sandbox::SandboxHandle,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    refresh_calls: Arc<AtomicUsize>,
    code_calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

/// A token endpoint at a path that does not end in `/token` (some OAuth
/// servers do this): the proxy serves the sandbox's token endpoint there.
pub const ODD_TOKEN_PATH: &str = "/idp/oauth/access";

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 24)
        .await
        .unwrap_or_default();
    p.requests
        .lock()
        .unwrap()
        .push(format!("{} {}", parts.method, parts.uri.path()));
    let odd_token = parts.uri.path() == ODD_TOKEN_PATH;
    if parts.uri.path() == "/oauth2/token" || odd_token {
        let form = String::from_utf8_lossy(&bytes);
        if form.contains("grant_type=refresh_token") {
            p.refresh_calls.fetch_add(1, Ordering::SeqCst);
        } else if form.contains("grant_type=authorization_code") {
            p.code_calls.fetch_add(1, Ordering::SeqCst);
        }
    }
    let path = if odd_token {
        "/oauth2/token"
    } else {
        parts
            .uri
            .path_and_query()
            .map(|x| x.as_str())
            .unwrap_or("/")
    };
    let mut up = p
        .http
        .request(parts.method.clone(), format!("{}{path}", p.upstream))
        .body(bytes.to_vec());
    for (name, value) in parts.headers.iter() {
        if name != "host" && name != "content-length" {
            up = up.header(name, value);
        }
    }
    match up.send().await {
        Ok(resp) => {
            let mut out = Response::builder().status(resp.status());
            for (name, value) in resp.headers().iter() {
                if name != "content-length" && name != "transfer-encoding" {
                    out = out.header(name, value);
                }
            }
            let body = resp.bytes().await.unwrap_or_default();
            out.body(Body::from(body)).unwrap()
        }
        Err(_) => Response::builder().status(502).body(Body::empty()).unwrap(),
    }
}

impl TestSandbox {
    pub async fn start(config: SandboxConfig) -> TestSandbox {
        let handle = box_sandbox::Sandbox::start(config)
            .await
            .expect("sandbox starts");
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let refresh_calls = Arc::new(AtomicUsize::new(0));
        let code_calls = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let proxy = Proxy {
            requests: requests.clone(),
            upstream: handle.base_url(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            refresh_calls: refresh_calls.clone(),
            code_calls: code_calls.clone(),
        };
        let app = Router::new().fallback(forward).with_state(proxy);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestSandbox {
            base_url,
            refresh_calls,
            code_calls,
            requests,
            handle,
            task,
        }
    }

    /// Moves the sandbox's token clock forward (`POST /_sandbox/clock`):
    /// tokens and codes expire without waiting.
    pub async fn advance_clock(&self, secs: u64) {
        let resp = reqwest::Client::new()
            .post(format!("{}/_sandbox/clock", self.base_url))
            .json(&serde_json::json!({ "advance_secs": secs }))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    }

    pub fn refreshes(&self) -> usize {
        self.refresh_calls.load(Ordering::SeqCst)
    }

    /// Requests seen so far whose "METHOD /path" contains `needle`.
    pub fn requests_to(&self, needle: &str) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.contains(needle))
            .cloned()
            .collect()
    }

    /// Whether the sandbox still accepts `refresh_token` (a refresh with it
    /// succeeds). Note: under rotation this uses the token up.
    pub async fn accepts_refresh_token(&self, refresh_token: &str) -> bool {
        reqwest::Client::new()
            .post(format!("{}/oauth2/token", self.base_url))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", "sandbox-client"),
                ("client_secret", "sandbox-secret"),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    }
}

/// Stands in for every HTTPS proxy: set as `HTTPS_PROXY` for a child
/// process, it records the target (`CONNECT host:port`) of every HTTPS
/// request the child tries, and lets none through. The sandbox is plain
/// HTTP on 127.0.0.1, so only requests to real (https) hosts land here.
pub struct HttpsTrap {
    pub url: String,
    pub seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpsTrap {
    pub async fn start() -> HttpsTrap {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mut line = String::new();
                let _ = BufReader::new(stream).read_line(&mut line).await;
                record.lock().unwrap().push(line.trim().to_string());
            }
        });
        HttpsTrap { url, seen, task }
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// Routes the command's HTTPS (and only HTTPS) through the trap.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("HTTPS_PROXY", &self.url)
            .env("https_proxy", &self.url)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
    }
}

impl Drop for HttpsTrap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A small, fast enterprise.
pub fn small_sandbox() -> SandboxConfig {
    SandboxConfig {
        users: 8,
        files: 60,
        activity_per_second: 0.0,
        ..SandboxConfig::default()
    }
}

/// A connection row as the tests read it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub datacenter_id: String,
    /// `connected`, `needs_reconnect` or `disconnected`.
    pub state: String,
    pub enterprise_id: Option<String>,
}

/// One test's private world: data dir, keychain service.
pub struct World {
    pub dir: tempfile::TempDir,
    pub service: String,
}

impl World {
    pub fn new(name: &str) -> World {
        // The app's scans read files in children of the real CLI.
        crate::use_cli_as_extractor();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        World {
            dir: tempfile::tempdir().unwrap(),
            service: format!(
                "com.boxconnector.test.{name}.{}.{nanos}",
                std::process::id()
            ),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn keychain(&self) -> Keychain {
        Keychain::new(&self.service)
    }

    /// The tokens the keychain holds for the newest connection to a data center.
    pub fn stored_tokens(&self, datacenter: &str) -> Option<TokenSet> {
        let id = self.connection_id(datacenter)?;
        let secret = self
            .keychain()
            .get(&KeychainVault::account_for(&id))
            .unwrap()?;
        TokenSet::from_secret(&secret)
    }

    /// Every connection row in this world's database, live ones first, then
    /// newest first; read without changing the file.
    pub fn connection_rows(&self) -> Vec<ConnectionRow> {
        let path = self
            .data_dir()
            .join(connector_core::store::DATABASE_FILE_NAME);
        if !path.exists() {
            return Vec::new();
        }
        // Its own runtime on its own thread: callers may be sync or async.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move {
                    use sqlx::Connection;
                    let options = sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(&path)
                        .read_only(true);
                    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.ok()?;
                    let rows: Vec<ConnectionRow> = sqlx::query_as(
                        "SELECT id, datacenter_id, state, enterprise_id FROM connections \
                         ORDER BY state = 'disconnected', connected_at DESC",
                    )
                    .fetch_all(&mut conn)
                    .await
                    .ok()?;
                    let _ = conn.close().await;
                    Some(rows)
                })
                .unwrap_or_default()
        })
        .join()
        .unwrap()
    }

    /// The id of the live (else the newest) connection to a data center (it
    /// names the enterprise: `sandbox:enterprise:<id>`).
    pub fn connection_id(&self, datacenter: &str) -> Option<String> {
        self.connection_rows()
            .into_iter()
            .find(|r| r.datacenter_id == datacenter)
            .map(|r| r.id)
    }

    /// Keychain entries of this world's connections that still exist
    /// (including a sign-in's provisional entry).
    pub fn connection_entries(&self) -> Vec<String> {
        let provisional = connector_core::datacenter::all()
            .into_iter()
            .map(|dc| format!("{}:signing-in", dc.id));
        self.connection_rows()
            .into_iter()
            .map(|r| r.id)
            .chain(provisional)
            .map(|id| KeychainVault::account_for(&id))
            .filter(|account| self.keychain().get(account).unwrap().is_some())
            .collect()
    }

    /// Like [`World::cli`], but the data dir comes from `--data-dir` (the
    /// environment variable is unset), and the platform's default data
    /// folder is moved into the world so a flag that is ignored shows.
    pub fn cli_with_data_dir_flag(&self, sandbox: &TestSandbox, browser_args: &str) -> Command {
        let mut cmd = self.cli(sandbox, browser_args);
        cmd.env_remove("BOX_CONNECTOR_DATA_DIR")
            .env("XDG_DATA_HOME", self.default_data_home())
            .arg("--data-dir")
            .arg(self.data_dir());
        cmd
    }

    /// Where the CLI would put its data without a data dir (see above).
    pub fn default_data_home(&self) -> PathBuf {
        self.dir.path().join("xdg-data-home")
    }

    /// The CLI with this world's data dir and keychain, against `sandbox`.
    pub fn cli(&self, sandbox: &TestSandbox, browser_args: &str) -> Command {
        let b = bins();
        let mut cmd = Command::new(&b.cli);
        cmd.env("BOX_CONNECTOR_DATA_DIR", self.data_dir())
            .env("BOX_CONNECTOR_KEYCHAIN_SERVICE", &self.service)
            .env("BOX_CONNECTOR_SANDBOX_URL", &sandbox.base_url)
            .env(
                "BOX_CONNECTOR_BROWSER",
                format!("{} {browser_args}", b.browser.display()),
            )
            .env_remove("BOX_CONNECTOR_FAILPOINT")
            .stdin(Stdio::null());
        cmd
    }
}

/// Runs a command off the async runtime (the sandbox serves on it meanwhile).
pub async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run CLI"))
        .await
        .unwrap()
}

pub fn stdout_json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{text}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    hits.push(p);
                }
            }
        }
    }
    hits
}

/// Starts `connect()` in the background and returns the sign-in it announced.
pub async fn start_connect(
    app: &connector_core::app::App,
) -> (
    connector_core::ipc::SignInView,
    tokio::task::JoinHandle<Result<connector_core::ipc::ConnectionView, connector_core::UserError>>,
) {
    let mut events = app.subscribe();
    let a = app.clone();
    let task = tokio::spawn(async move { a.connect().await });
    let view = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if let Ok(connector_core::ipc::CoreEvent::SignInStarted { sign_in }) =
                events.recv().await
            {
                return sign_in;
            }
        }
    })
    .await
    .expect("sign-in started");
    (view, task)
}

/// What the browser would be sent to after Allow (auto-approving sandbox).
pub async fn approved_redirect(authorize_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(authorize_url).send().await.unwrap();
    assert!(
        resp.status().is_redirection(),
        "auto-approve redirects: {}",
        resp.status()
    );
    resp.headers()["location"].to_str().unwrap().to_string()
}
