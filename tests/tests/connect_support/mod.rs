//! Shared by the connect_* tests: a sandbox that counts token calls, the
//! real CLI and scripted-browser binaries, a per-test data dir and keychain
//! service. Keychain tests need `scripts/with-keyring.sh`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use box_sandbox::SandboxConfig;
use connector_core::auth::TokenSet;
use connector_core::keychain::Keychain;

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
    pub handle: box_sandbox::SandboxHandle,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    refresh_calls: Arc<AtomicUsize>,
    code_calls: Arc<AtomicUsize>,
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 24)
        .await
        .unwrap_or_default();
    if parts.uri.path() == "/oauth2/token" {
        let form = String::from_utf8_lossy(&bytes);
        if form.contains("grant_type=refresh_token") {
            p.refresh_calls.fetch_add(1, Ordering::SeqCst);
        } else if form.contains("grant_type=authorization_code") {
            p.code_calls.fetch_add(1, Ordering::SeqCst);
        }
    }
    let path = parts
        .uri
        .path_and_query()
        .map(|x| x.as_str())
        .unwrap_or("/");
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
        let proxy = Proxy {
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
            handle,
            task,
        }
    }

    pub fn refreshes(&self) -> usize {
        self.refresh_calls.load(Ordering::SeqCst)
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

pub struct Bins {
    pub cli: PathBuf,
    pub browser: PathBuf,
}

/// The real `box-connector-cli` and `sandbox-browser`, built once per test
/// binary with the same cargo and target dir as the tests.
pub fn bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| {
        // target/debug/deps/<test> → target/debug
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "box-connector-cli",
                "-p",
                "box-sandbox",
                "--bins",
            ])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env("CARGO_TARGET_DIR", dir.parent().unwrap())
            .status()
            .expect("run cargo build");
        assert!(
            status.success(),
            "building the CLI and sandbox-browser failed"
        );
        let bins = Bins {
            cli: dir.join("box-connector-cli"),
            browser: dir.join("sandbox-browser"),
        };
        assert!(bins.cli.exists(), "{} missing", bins.cli.display());
        assert!(bins.browser.exists(), "{} missing", bins.browser.display());
        bins
    })
}

/// One test's private world: data dir, keychain service.
pub struct World {
    pub dir: tempfile::TempDir,
    pub service: String,
}

impl World {
    pub fn new(name: &str) -> World {
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

    /// The tokens the keychain holds for a data center's connection.
    pub fn stored_tokens(&self, datacenter: &str) -> Option<TokenSet> {
        let secret = self
            .keychain()
            .get(&format!("connection:{datacenter}"))
            .unwrap()?;
        TokenSet::from_secret(&secret)
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
