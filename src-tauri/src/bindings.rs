//! The UI's TypeScript types (ui/src/lib/bindings/) are generated from the
//! Rust IPC types by ts-rs and committed. This test regenerates them into a
//! temporary directory and fails when the committed files differ, so a Rust
//! change can't silently drift from the UI.

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use connector_core::ipc::{CoreEvent, CustomSettings, Snapshot};
    use connector_core::UserError;
    use ts_rs::{Config, TS};

    const BINDINGS: &str = "ui/src/lib/bindings";

    fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("src-tauri has a parent")
            .to_path_buf()
    }

    /// Every type a command takes or returns, or an event carries (with their dependencies).
    fn generate(dir: &Path) -> BTreeMap<String, String> {
        let cfg = Config::new().with_out_dir(dir);
        Snapshot::export_all(&cfg).expect("export Snapshot");
        CoreEvent::export_all(&cfg).expect("export CoreEvent");
        UserError::export_all(&cfg).expect("export UserError");
        CustomSettings::export_all(&cfg).expect("export CustomSettings");
        read_dir(dir)
    }

    fn read_dir(dir: &Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "ts"))
                    .map(|p| {
                        (
                            p.file_name().unwrap().to_string_lossy().into_owned(),
                            std::fs::read_to_string(&p).unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The committed bindings: from git's HEAD when this is a checkout (the
    /// working tree is rewritten by every `cargo test` of core), else the files.
    fn committed() -> BTreeMap<String, String> {
        let root = workspace_root();
        let listed = Command::new("git")
            .args(["ls-tree", "--name-only", "HEAD", &format!("{BINDINGS}/")])
            .current_dir(&root)
            .output();
        match listed {
            Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.ends_with(".ts"))
                .map(|path| {
                    let show = Command::new("git")
                        .args(["show", &format!("HEAD:{path}")])
                        .current_dir(&root)
                        .output()
                        .unwrap();
                    let name = Path::new(path)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    (name, String::from_utf8_lossy(&show.stdout).into_owned())
                })
                .collect(),
            _ => read_dir(&root.join(BINDINGS)),
        }
    }

    #[test]
    fn committed_typescript_bindings_match_the_rust_types() {
        let dir =
            std::env::temp_dir().join(format!("box-connector-bindings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let fresh = generate(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(fresh.contains_key("Snapshot.ts") && fresh.contains_key("CoreEvent.ts"));

        let committed = committed();
        let mut problems = Vec::new();
        for (name, text) in &fresh {
            match committed.get(name) {
                None => problems.push(format!("{name}: missing")),
                Some(old) if old != text => problems.push(format!("{name}: differs")),
                _ => {}
            }
        }
        assert!(
            problems.is_empty(),
            "{BINDINGS} is stale:\n  {}\nRegenerate with `cargo test -p connector-core` and commit {BINDINGS}.",
            problems.join("\n  ")
        );
    }
}
