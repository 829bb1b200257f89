//! The real binaries the tests run: built once per test binary, with the
//! same cargo and target dir as the tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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
        let mut build = Command::new(cargo);
        // The variables cargo set for this test would reach build scripts
        // that watch them (ring's), which would then rebuild half the tree
        // here and again in the next plain `cargo test`.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("CARGO_PKG_")
                || key.starts_with("CARGO_MANIFEST_")
                || key.starts_with("CARGO_BIN_")
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                ]
                .contains(&key.as_ref())
            {
                build.env_remove(key.as_ref());
            }
        }
        let status = build
            .args([
                "build",
                "--quiet",
                // The package selection of `cargo test --workspace` (tests
                // included), so cargo resolves the same features (crash points
                // on, as the tests' dev-dependency has them) and reuses what
                // that run built, instead of building the tree a second time.
                "--workspace",
                "--bins",
                "--tests",
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

/// Makes every scan this test process runs read files in children of the
/// real `box-connector-cli` (a test binary cannot serve as its own reader),
/// as the app and the CLI do with their own binary. Returns its path.
///
/// The one variable a test sets in its own process: the in-process `App`
/// reads it (its config names no reader program). Every test of a binary
/// sets the same value, once, before its first scan, so the tests that
/// share the binary agree on it.
pub fn use_cli_as_extractor() -> &'static Path {
    static SET: OnceLock<()> = OnceLock::new();
    let cli = &bins().cli;
    SET.get_or_init(|| {
        // Once, before any scan starts a reader.
        std::env::set_var(connector_core::inspect::isolation::HELPER_ENV, cli);
    });
    cli
}
