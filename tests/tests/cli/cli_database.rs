//! The CLI as a new user meets it when the local database is broken, and its
//! exit codes, completions and man page: all through the real
//! `box-connector-cli` binary with a private data dir and keychain service.
//! Nothing here signs in, so no sandbox runs (its URL points nowhere).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use box_connector_e2e::bins;
use box_connector_e2e::connect::{describe, stdout_json, World};
use connector_core::store::DATABASE_FILE_NAME;

/// The documented exit codes (README, `--help`): scripts rely on the numbers.
const DONE: i32 = 0;
const FAILED: i32 = 1;
const USAGE: i32 = 2;
const NOT_CONNECTED: i32 = 3;
const DATABASE: i32 = 6;

const MOVE_ASIDE: &str = "`box-connector-cli database move-aside`";

fn cli(world: &World, args: &[&str]) -> Output {
    let mut cmd = Command::new(&bins().cli);
    cmd.env("BOX_CONNECTOR_DATA_DIR", world.data_dir())
        .env("BOX_CONNECTOR_KEYCHAIN_SERVICE", &world.service)
        // Nothing here may reach a sandbox or a browser.
        .env("BOX_CONNECTOR_SANDBOX_URL", "http://127.0.0.1:9")
        .env("BOX_CONNECTOR_BROWSER", "false")
        .env_remove("BOX_CONNECTOR_FAILPOINT")
        .args(args)
        .stdin(Stdio::null());
    cmd.output().expect("run the CLI")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn db_path(world: &World) -> PathBuf {
    world.data_dir().join(DATABASE_FILE_NAME)
}

/// Files in the data dir whose name starts with the database's and has
/// `.aside-` in it: where move-aside kept the old one.
fn kept_aside(world: &World) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(world.data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(DATABASE_FILE_NAME)
                && name.contains(".aside-")
                && !name.ends_with("-wal")
                && !name.ends_with("-shm")
        })
        .collect();
    found.sort();
    found
}

/// A fresh, healthy database, made by the CLI itself.
fn healthy_database(world: &World) {
    let out = cli(world, &["status"]);
    assert_eq!(out.status.code(), Some(NOT_CONNECTED), "{}", describe(&out));
    assert!(db_path(world).is_file());
}

/// Runs SQL on the world's database file (its own runtime: tests are sync).
fn sql(path: &Path, statements: Vec<(String, Option<i64>)>) {
    let path = path.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                use sqlx::Connection;
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap();
                for (statement, bind) in statements {
                    let mut query = sqlx::query(&statement);
                    if let Some(value) = bind {
                        query = query.bind(value);
                    }
                    query.execute(&mut conn).await.unwrap();
                }
                conn.close().await.unwrap();
            })
    })
    .join()
    .unwrap()
}

/// The database problem through `status`, in text and JSON: the window's
/// message, a hint naming the CLI command, the database exit code, and no
/// connection state guessed without the database.
fn assert_status_reports(world: &World, json_state: &str, code: &str, message_has: &str) {
    let out = cli(world, &["status"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains(message_has), "{text}");
    assert!(text.contains("What to do: "), "{text}");
    assert!(
        text.contains(MOVE_ASIDE),
        "the hint names the command: {text}"
    );
    assert!(
        !text.contains("State:") && !text.contains("NotConnected"),
        "{text}"
    );
    assert!(!text.contains("click") && !text.contains("Click"), "{text}");

    let out = cli(world, &["--json", "status"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    let status = stdout_json(&out);
    let db = &status["database"];
    assert_eq!(db["state"], json_state, "{status}");
    assert_eq!(db["path"], db_path(world).display().to_string(), "{status}");
    assert_eq!(db["error"]["code"], code, "{status}");
    assert!(
        db["error"]["message"]
            .as_str()
            .unwrap()
            .contains(message_has),
        "{status}"
    );
    assert!(
        db["error"]["hint"].as_str().unwrap().contains(MOVE_ASIDE),
        "{status}"
    );

    // Every other command that needs the store stops on it the same way.
    for args in [
        &["--json", "test-api"][..],
        &["--json", "disconnect"],
        &[
            "--json",
            "connect",
            "--datacenter",
            "sandbox",
            "--no-browser",
        ],
    ] {
        let out = cli(world, args);
        assert_eq!(
            out.status.code(),
            Some(DATABASE),
            "{args:?}: {}",
            describe(&out)
        );
        let err = stdout_json(&out);
        assert_eq!(err["code"], code, "{args:?}: {err}");
        assert!(
            err["message"].as_str().unwrap().contains(message_has),
            "{err}"
        );
        assert!(err["hint"].as_str().unwrap().contains(MOVE_ASIDE), "{err}");
    }
    let out = cli(world, &["test-api"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    let text = stderr(&out);
    assert!(
        text.contains("error: ") && text.contains(message_has) && text.contains(MOVE_ASIDE),
        "{text}"
    );
}

/// `database move-aside` keeps the old file beside the new one and says
/// where; `status` then works (not connected, exit 3).
fn assert_moves_aside(world: &World) -> PathBuf {
    assert!(kept_aside(world).is_empty());
    let out = cli(world, &["database", "move-aside"]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    let kept = kept_aside(world);
    assert_eq!(kept.len(), 1, "{kept:?}");
    let text = stdout(&out);
    assert!(
        text.contains(&kept[0].display().to_string()) && text.contains("nothing was deleted"),
        "{text}"
    );
    let out = cli(world, &["status"]);
    assert_eq!(out.status.code(), Some(NOT_CONNECTED), "{}", describe(&out));
    assert!(
        stdout(&out).contains("State: not connected"),
        "{}",
        describe(&out)
    );
    let out = cli(world, &["database", "check"]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    kept.into_iter().next().unwrap()
}

#[test]
fn a_corrupt_file_is_reported_by_every_command_and_moved_aside() {
    let world = World::new("db-corrupt");
    std::fs::create_dir_all(world.data_dir()).unwrap();
    let garbage = b"\x00\x13this is no database, just bytes that happened to land here".repeat(40);
    std::fs::write(db_path(&world), &garbage).unwrap();

    assert_status_reports(&world, "corrupt", "database_corrupt", "is damaged");

    let out = cli(&world, &["database", "check"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    assert!(stdout(&out).contains("damaged"), "{}", describe(&out));
    assert!(stdout(&out).contains(MOVE_ASIDE), "{}", describe(&out));

    let kept = assert_moves_aside(&world);
    assert_eq!(std::fs::read(kept).unwrap(), garbage, "kept byte for byte");
}

#[test]
fn a_database_from_a_newer_version_is_reported_and_moved_aside() {
    let world = World::new("db-newer");
    healthy_database(&world);
    let future = connector_core::store::latest_schema_version() + 1_000_000;
    sql(
        &db_path(&world),
        vec![(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES (?, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)"
                .into(),
            Some(future),
        )],
    );

    assert_status_reports(&world, "too_new", "database_too_new", "newer version");
    let out = cli(&world, &["--json", "status"]);
    let hint = stdout_json(&out)["database"]["error"]["hint"].to_string();
    assert!(hint.contains("newer Box Connector"), "{hint}");

    // Sound as a file, but this version cannot use it: still a database problem.
    let out = cli(&world, &["--json", "database", "check"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    let check = stdout_json(&out);
    assert_eq!(check["integrity"], "ok", "{check}");
    assert_eq!(check["state"], "too_new", "{check}");
    assert!(
        check["hint"].as_str().unwrap().contains(MOVE_ASIDE),
        "{check}"
    );

    assert_moves_aside(&world);
}

#[test]
fn a_database_that_cannot_be_opened_is_reported_and_moved_aside() {
    // The database's path is a folder (as root, permissions stop nothing).
    let world = World::new("db-unavailable");
    std::fs::create_dir_all(db_path(&world)).unwrap();
    std::fs::write(db_path(&world).join("keep-me"), b"precious").unwrap();

    assert_status_reports(
        &world,
        "unavailable",
        "database_unavailable",
        "could not be opened",
    );
    let out = cli(&world, &["--json", "database", "check"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "database_unavailable", "{err}");
    assert!(err["hint"].as_str().unwrap().contains(MOVE_ASIDE), "{err}");

    let kept = assert_moves_aside(&world);
    assert_eq!(std::fs::read(kept.join("keep-me")).unwrap(), b"precious");
}

#[test]
fn database_check_passes_a_good_file_and_lists_damage_in_a_bad_one() {
    let world = World::new("db-check");
    healthy_database(&world);
    let out = cli(&world, &["database", "check"]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    assert!(stdout(&out).contains("no problems"), "{}", describe(&out));
    let out = cli(&world, &["--json", "database", "check"]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    let check = stdout_json(&out);
    assert_eq!(check["integrity"], "ok", "{check}");
    assert_eq!(check["problems"], serde_json::json!([]), "{check}");

    // Enough rows for many pages, all in the main file; then garbage over
    // the second half of it (the SQLite header on page 1 stays intact).
    let path = db_path(&world);
    let mut statements = vec![(
        "CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)".to_string(),
        None,
    )];
    for i in 0..400 {
        statements.push((
            format!("INSERT INTO filler (body) VALUES (printf('%.600c', 'x') || '{i}')"),
            None,
        ));
    }
    statements.push(("PRAGMA wal_checkpoint(TRUNCATE)".into(), None));
    sql(&path, statements);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 16 * 4096, "{} bytes", bytes.len());
    let half = bytes.len() / 2;
    for (i, b) in bytes[half..].iter_mut().enumerate() {
        *b = (i * 7 + 13) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let out = cli(&world, &["--json", "database", "check"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    let check = stdout_json(&out);
    assert_eq!(check["integrity"], "damaged", "{check}");
    assert!(!check["problems"].as_array().unwrap().is_empty(), "{check}");
    assert!(
        check["hint"].as_str().unwrap().contains(MOVE_ASIDE),
        "{check}"
    );
    let out = cli(&world, &["database", "check"]);
    assert_eq!(out.status.code(), Some(DATABASE), "{}", describe(&out));
    assert!(
        stdout(&out).contains("integrity check found:"),
        "{}",
        describe(&out)
    );
    // Checking changed nothing.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn not_connected_has_its_exit_code_and_names_the_connect_command() {
    let world = World::new("not-connected");
    let out = cli(&world, &["status"]);
    assert_eq!(out.status.code(), Some(NOT_CONNECTED), "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains("State: not connected"), "{text}");
    assert!(text.contains("Database: ok"), "{text}");
    assert!(
        text.contains("What to do: Run `box-connector-cli connect --datacenter"),
        "{text}"
    );
    assert!(
        !text.contains("NotConnected") && !text.contains("click"),
        "{text}"
    );

    let out = cli(&world, &["--json", "status"]);
    assert_eq!(out.status.code(), Some(NOT_CONNECTED), "{}", describe(&out));
    let status = stdout_json(&out);
    assert_eq!(status["connection"]["state"], "not_connected", "{status}");
    for what in [
        &status["connection"]["what_to_do"],
        &status["health"]["what_to_do"],
    ] {
        assert!(
            what.as_str()
                .unwrap()
                .contains("box-connector-cli connect --datacenter"),
            "{status}"
        );
    }

    for args in [&["--json", "test-api"][..], &["--json", "disconnect"]] {
        let out = cli(&world, args);
        let err = stdout_json(&out);
        if err["code"] == "not_connected" {
            assert_eq!(
                out.status.code(),
                Some(NOT_CONNECTED),
                "{args:?}: {}",
                describe(&out)
            );
            assert!(
                err["hint"]
                    .as_str()
                    .unwrap()
                    .contains("box-connector-cli connect"),
                "{err}"
            );
        } else {
            // Disconnecting nothing is fine.
            assert_eq!(
                out.status.code(),
                Some(DONE),
                "{args:?}: {}",
                describe(&out)
            );
        }
    }
    let out = cli(&world, &["--json", "test-api"]);
    assert_eq!(out.status.code(), Some(NOT_CONNECTED), "{}", describe(&out));

    // Usage errors are clap's 2; a failed command is 1.
    let out = cli(&world, &["connect"]);
    assert_eq!(out.status.code(), Some(USAGE), "{}", describe(&out));
    let out = cli(&world, &["--json", "connect", "--datacenter", "mars"]);
    assert_eq!(out.status.code(), Some(FAILED), "{}", describe(&out));
    assert_eq!(stdout_json(&out)["code"], "unknown_datacenter");
    let out = cli(&world, &["database", "move-aside"]);
    assert_eq!(
        out.status.code(),
        Some(FAILED),
        "a good database stays: {}",
        describe(&out)
    );
    assert!(kept_aside(&world).is_empty());
}

#[test]
fn help_lists_the_exit_codes() {
    let world = World::new("help");
    let out = cli(&world, &["--help"]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    let help = stdout(&out);
    for line in [
        "Exit codes:",
        "  0  done",
        "  1  failed",
        "  2  usage",
        "  3  not connected",
        "  4  needs reconnect",
        "  5  offline",
        "  6  database problem",
    ] {
        assert!(help.contains(line), "{line:?} missing:\n{help}");
    }
    assert!(!world.data_dir().exists(), "help touches no data");
}

#[test]
fn completions_name_every_subcommand() {
    let world = World::new("completions");
    let out = cli(&world, &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    let script = stdout(&out);
    assert!(script.contains("complete -F"), "a bash completion script");
    for sub in [
        "connect",
        "test-api",
        "status",
        "disconnect",
        "database",
        "move-aside",
        "check",
        "completions",
        "man",
        "--datacenter",
    ] {
        assert!(script.contains(sub), "{sub} missing");
    }
    // bash itself accepts it.
    if Path::new("/bin/bash").exists() {
        let file = world.dir.path().join("completion.bash");
        std::fs::write(&file, &script).unwrap();
        let status = Command::new("/bin/bash")
            .arg("-n")
            .arg(&file)
            .status()
            .unwrap();
        assert!(status.success(), "bash -n rejects the script");
    }
    for shell in ["zsh", "fish"] {
        let out = cli(&world, &["completions", shell]);
        assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
        assert!(stdout(&out).contains("move-aside"), "{shell}");
    }
    let out = cli(&world, &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(USAGE), "{}", describe(&out));
}

#[test]
fn the_man_page_renders_with_the_commands_and_exit_codes() {
    let world = World::new("man");
    let out = cli(&world, &["man"]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    let roff = stdout(&out);
    assert!(roff.contains(".TH box-connector-cli 1"), "{roff}");
    for part in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
        "Exit codes:",
        "database",
    ] {
        assert!(roff.contains(part), "{part} missing:\n{roff}");
    }
    // Rendered by the system's roff formatter, where there is one.
    let page = world.dir.path().join("box-connector-cli.1");
    std::fs::write(&page, &roff).unwrap();
    if let Ok(rendered) = Command::new("nroff").arg("-man").arg(&page).output() {
        assert!(rendered.status.success(), "nroff fails");
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(
            text.contains("Exit codes:") && text.contains("box-connector-cli"),
            "{text}"
        );
        assert!(!text.contains(".SH"), "every macro understood: {text}");
    }

    // Every page, one per subcommand, into a folder.
    let dir = world.dir.path().join("man1");
    let out = cli(&world, &["man", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(DONE), "{}", describe(&out));
    for name in [
        "box-connector-cli.1",
        "box-connector-cli-status.1",
        "box-connector-cli-database-move-aside.1",
    ] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
}
