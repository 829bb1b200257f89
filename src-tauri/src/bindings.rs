//! The UI's TypeScript types (ui/src/lib/bindings/) are generated from the
//! Rust IPC types by ts-rs and committed, and so are the command callers
//! (`commands.ts`: one function per command in `commands!`'s list, its
//! argument names and types read from the `#[tauri::command]` function in
//! commands.rs, its rejection turned into a `UserError`). These tests
//! regenerate both and fail when the committed files differ, so a Rust change
//! can't silently drift from the UI, and fail when a command is defined but
//! not in the list (so never registered).

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use connector_core::ipc::findings::{
        ExportFormat, ExportReport, FindingDetail, FindingsFilter, FindingsPage, FindingsSummary,
    };
    use connector_core::ipc::govern::{
        ActionKind, ActionPreview, ActionRequest, Alert, AuditEntry, AuditFilter, AuditPage,
        BulkPreview, BulkProgress, GovernanceStatus, NewPolicy, Policy, PolicyDryRun, PolicyMatch,
    };
    use connector_core::ipc::{
        CoreEvent, CustomSettings, EventDay, EventRow, FileDetail, QueueEntry, ScanStatus,
        Snapshot, ThroughputPoint,
    };
    use connector_core::UserError;
    use ts_rs::{Config, TS};

    const BINDINGS: &str = "ui/src/lib/bindings";

    fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("src-tauri has a parent")
            .to_path_buf()
    }

    /// Every type a command takes or returns, or an event carries (with
    /// their dependencies), and the command callers.
    fn generate(dir: &Path) -> BTreeMap<String, String> {
        // The same settings as core's own export (.cargo/config.toml): counts
        // (u64) are JSON numbers, so `number` rather than ts-rs's `bigint`.
        let cfg = Config::from_env().with_out_dir(dir);
        Snapshot::export_all(&cfg).expect("export Snapshot");
        CoreEvent::export_all(&cfg).expect("export CoreEvent");
        UserError::export_all(&cfg).expect("export UserError");
        CustomSettings::export_all(&cfg).expect("export CustomSettings");
        ScanStatus::export_all(&cfg).expect("export ScanStatus");
        QueueEntry::export_all(&cfg).expect("export QueueEntry");
        EventRow::export_all(&cfg).expect("export EventRow");
        EventDay::export_all(&cfg).expect("export EventDay");
        ThroughputPoint::export_all(&cfg).expect("export ThroughputPoint");
        FileDetail::export_all(&cfg).expect("export FileDetail");
        FindingsFilter::export_all(&cfg).expect("export FindingsFilter");
        FindingsPage::export_all(&cfg).expect("export FindingsPage");
        FindingsSummary::export_all(&cfg).expect("export FindingsSummary");
        FindingDetail::export_all(&cfg).expect("export FindingDetail");
        ExportFormat::export_all(&cfg).expect("export ExportFormat");
        ExportReport::export_all(&cfg).expect("export ExportReport");
        GovernanceStatus::export_all(&cfg).expect("export GovernanceStatus");
        ActionKind::export_all(&cfg).expect("export ActionKind");
        ActionRequest::export_all(&cfg).expect("export ActionRequest");
        ActionPreview::export_all(&cfg).expect("export ActionPreview");
        AuditEntry::export_all(&cfg).expect("export AuditEntry");
        AuditFilter::export_all(&cfg).expect("export AuditFilter");
        AuditPage::export_all(&cfg).expect("export AuditPage");
        BulkPreview::export_all(&cfg).expect("export BulkPreview");
        BulkProgress::export_all(&cfg).expect("export BulkProgress");
        Policy::export_all(&cfg).expect("export Policy");
        NewPolicy::export_all(&cfg).expect("export NewPolicy");
        PolicyMatch::export_all(&cfg).expect("export PolicyMatch");
        PolicyDryRun::export_all(&cfg).expect("export PolicyDryRun");
        Alert::export_all(&cfg).expect("export Alert");
        let mut files = read_dir(dir);
        let commands = commands_ts();
        // Written into the tree like ts-rs's files, so a change is one commit away.
        let _ = std::fs::write(workspace_root().join(BINDINGS).join(COMMANDS_TS), &commands);
        files.insert(COMMANDS_TS.to_string(), commands);
        files
    }

    const COMMANDS_TS: &str = "commands.ts";

    /// One IPC command as the UI calls it.
    struct CommandSig {
        name: String,
        /// (Rust name, TypeScript type)
        args: Vec<(String, String)>,
        returns: String,
    }

    /// Reads the `#[tauri::command]` functions of commands.rs, in file order.
    fn defined_commands() -> Vec<CommandSig> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands.rs");
        let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
        file.items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Fn(f)
                    if f.attrs.iter().any(|a| {
                        a.path()
                            .segments
                            .last()
                            .is_some_and(|s| s.ident == "command")
                    }) =>
                {
                    Some(f)
                }
                _ => None,
            })
            .map(|f| CommandSig {
                name: f.sig.ident.to_string(),
                args: f
                    .sig
                    .inputs
                    .iter()
                    .filter_map(|arg| match arg {
                        syn::FnArg::Typed(t) => Some(t),
                        syn::FnArg::Receiver(_) => None,
                    })
                    .filter_map(|t| {
                        let syn::Pat::Ident(name) = &*t.pat else {
                            panic!(
                                "command {}: argument patterns must be plain names",
                                f.sig.ident
                            )
                        };
                        ts_type(&t.ty).map(|ty| (name.ident.to_string(), ty))
                    })
                    .collect(),
                returns: match &f.sig.output {
                    syn::ReturnType::Type(_, ty) => ts_type(ty).expect("a command returns a value"),
                    syn::ReturnType::Default => "void".into(),
                },
            })
            .collect()
    }

    /// The TypeScript type of a command argument or result; `None` for what
    /// Tauri injects (`State`). Unknown types fail loudly so the mapping grows
    /// with the commands.
    fn ts_type(ty: &syn::Type) -> Option<String> {
        let syn::Type::Path(p) = ty else {
            panic!("unsupported command type")
        };
        let last = p.path.segments.last().unwrap();
        let inner = || match &last.arguments {
            syn::PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .find_map(|g| match g {
                    syn::GenericArgument::Type(t) => ts_type(t),
                    _ => None,
                })
                .unwrap(),
            _ => panic!("{} needs a type argument", last.ident),
        };
        Some(match last.ident.to_string().as_str() {
            "State" => return None,
            "String" | "str" => "string".into(),
            "bool" => "boolean".into(),
            "u8" | "u16" | "u32" | "i32" | "i64" | "u64" | "f64" | "usize" => "number".into(),
            // `Reply` is `Result<Snapshot, UserError>`: the promise gives the snapshot.
            "Reply" => "Snapshot".into(),
            // A command's `Result<T, UserError>`: the promise gives `T` (or rejects with the error).
            "Result" => inner(),
            "Option" => format!("{} | null", inner()),
            "Vec" => format!("Array<{}>", inner()),
            "Channel" => format!("Channel<{}>", inner()),
            other => other.to_string(),
        })
    }

    fn camel(snake: &str) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in snake.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The registered commands (`commands!`'s list), in its order.
    fn commands() -> Vec<CommandSig> {
        let mut defined = defined_commands();
        crate::commands::NAMES
            .iter()
            .map(|name| {
                let at = defined
                    .iter()
                    .position(|c| c.name == *name)
                    .unwrap_or_else(|| panic!("{name} is registered but not a #[tauri::command]"));
                defined.swap_remove(at)
            })
            .collect()
    }

    /// The callers: one typed function per command, whose rejection is a
    /// `UserError` (`toUserError`). Tauri takes arguments by their camelCase names.
    fn commands_ts() -> String {
        let cmds = commands();
        let mut types: BTreeSet<String> = Default::default();
        let mut body = String::new();
        for c in &cmds {
            let params: Vec<String> = c
                .args
                .iter()
                .map(|(n, t)| format!("{}: {t}", camel(n)))
                .collect();
            let names: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
            for t in c.args.iter().map(|(_, t)| t).chain([&c.returns]) {
                for word in t.split(|ch: char| !ch.is_alphanumeric()) {
                    if word.chars().next().is_some_and(char::is_uppercase)
                        && !["Channel", "Array"].contains(&word)
                    {
                        types.insert(word.to_string());
                    }
                }
            }
            let args = if names.is_empty() {
                String::new()
            } else {
                format!(", {{ {} }}", names.join(", "))
            };
            body.push_str(&format!(
                "export const {} = ({}) => call<{}>('{}'{args});\n",
                camel(&c.name),
                params.join(", "),
                c.returns,
                c.name
            ));
        }
        let mut out = String::from(
            "// Generated from src-tauri/src/commands.rs by the shell's bindings test. Do not edit.\n\n",
        );
        out.push_str(
            "import { invoke, type Channel, type InvokeArgs } from '@tauri-apps/api/core';\n",
        );
        out.push_str("import { toUserError } from '../user-error';\n");
        for t in &types {
            out.push_str(&format!("import type {{ {t} }} from './{t}';\n"));
        }
        out.push_str(CALL_TS);
        out.push_str(&body);
        out
    }

    /// Every caller goes through `call`, so the UI sees one error shape.
    const CALL_TS: &str = "
/** Invokes a command; a rejection becomes a `UserError` (`toUserError`). */
async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toUserError(e);
  }
}

// Every IPC command, in the order of the shell's `commands!` list.
";

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
    fn every_defined_command_is_registered() {
        let registered: BTreeSet<&str> = crate::commands::NAMES.iter().copied().collect();
        let unregistered: Vec<String> = defined_commands()
            .into_iter()
            .map(|c| c.name)
            .filter(|name| !registered.contains(name.as_str()))
            .collect();
        assert!(
            unregistered.is_empty(),
            "defined with #[tauri::command] but not in commands.rs's `commands!` list, so the \
             UI cannot call them: {unregistered:?}"
        );
        assert_eq!(
            registered.len(),
            crate::commands::NAMES.len(),
            "a command is listed twice"
        );
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
