//! Opening, migrating, backing up, refusing and moving aside a database
//! file; integrity checks after an unclean shutdown or corruption.

use super::*;

#[tokio::test]
async fn opens_migrates_and_reopens_keeping_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.expect("first open");
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_schema_version()
    );
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    store
        .set_setting(setting_keys::SELECTED_DATACENTER, "eu1")
        .await
        .unwrap();
    store.close().await;

    let store = Store::open(&path).await.expect("reopen");
    assert_eq!(
        store
            .setting(setting_keys::SELECTED_DATACENTER)
            .await
            .unwrap()
            .as_deref(),
        Some("eu1")
    );
    store.close().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the database names the admin: owner-only");
    }
    // Fresh file and an up-to-date reopen need no backup.
    assert!(sidecars(&path)
        .iter()
        .all(|p| !p.to_string_lossy().ends_with(".bak")));
}

#[tokio::test]
async fn copies_the_file_before_applying_pending_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.unwrap();
    store.set_setting("marker", "before upgrade").await.unwrap();
    // Pretend no migration has run yet: roll them all back by hand.
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&mut *tx)
        .await
        .unwrap();
    for table in [
        "api_calls",
        "api_test_checks",
        "api_test_runs",
        "connections",
        "settings",
    ] {
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL)")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO settings VALUES ('marker', 'old schema', 0)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;

    // The initial migration creates `settings`, so it clashes with the table
    // left here: the upgrade fails, and the copy taken first must hold the data.
    let err = Store::open(&path).await.expect_err("migration clashes");
    let StoreOpenError::MigrationFailed {
        backup: Some(backup),
        ..
    } = &err
    else {
        panic!("expected MigrationFailed with a backup, got {err:?}");
    };
    let name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("{DATABASE_FILE_NAME}.v0-")),
        "{name}"
    );
    assert!(name.ends_with(".bak"), "{name}");
    // Read the copy raw: it is at the old schema.
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(backup))
        .await
        .unwrap();
    let (value,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = 'marker'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(value, "old schema");
    let user: UserError = err.into();
    assert_eq!(user.code, ErrorCode::DatabaseCorrupt);
    assert!(user.message.contains(".bak"), "{}", user.message);
}

#[tokio::test]
async fn backup_taken_when_an_old_schema_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    // An older app version's file: the migrations table exists, nothing else yet.
    {
        let mut conn = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
        sqlx::query(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query("CREATE TABLE legacy_note (text TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO legacy_note VALUES ('kept in the backup')")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }

    let store = Store::open(&path).await.expect("upgrade succeeds");
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_schema_version()
    );
    store.close().await;

    let backups: Vec<PathBuf> = sidecars(&path)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backups[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let mut conn =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&backups[0]))
            .await
            .unwrap();
    let (text,): (String,) = sqlx::query_as("SELECT text FROM legacy_note")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(text, "kept in the backup");
    let (tables,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sqlite_master WHERE name = 'connections'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(tables, 0, "the backup is the pre-migration state");
}

#[tokio::test]
async fn newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let future = make_newer_database(&path).await;
    let before = folder_fingerprint(&path);

    let err = Store::open(&path)
        .await
        .expect_err("newer database must be refused");
    assert!(
        matches!(err, StoreOpenError::TooNew { found_version, known_version, .. }
            if found_version == future && known_version == latest_schema_version()),
        "{err:?}"
    );
    assert_eq!(
        folder_fingerprint(&path),
        before,
        "no file may change or appear"
    );

    let user: UserError = err.into();
    assert_eq!(user.code, ErrorCode::DatabaseTooNew);
    assert!(user.message.contains("newer version"), "{}", user.message);
    assert!(user.hint.contains("aside"), "{}", user.hint);
}

#[tokio::test]
async fn garbage_file_is_corrupt_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let before = folder_fingerprint(&path);

    let err = Store::open(&path)
        .await
        .expect_err("garbage must be refused");
    assert!(matches!(err, StoreOpenError::Corrupt { .. }), "{err:?}");
    assert_eq!(
        folder_fingerprint(&path),
        before,
        "no file may change or appear"
    );

    let user: UserError = err.into();
    assert_eq!(user.code, ErrorCode::DatabaseCorrupt);
    assert!(
        user.message.contains(DATABASE_FILE_NAME),
        "{}",
        user.message
    );
    assert!(user.hint.contains("aside"), "{}", user.hint);
}

#[tokio::test]
async fn damaged_pages_behind_a_valid_header_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.unwrap();
    store.set_setting("marker", "x").await.unwrap();
    store.close().await;
    let mut bytes = std::fs::read(&path).unwrap();
    // Keep the 100-byte header, wreck the rest of page 1 (the schema).
    for b in &mut bytes[100..4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let before = folder_fingerprint(&path);

    let err = Store::open(&path)
        .await
        .expect_err("damaged database must be refused");
    assert!(matches!(err, StoreOpenError::Corrupt { .. }), "{err:?}");
    assert_eq!(
        folder_fingerprint(&path),
        before,
        "no file may change or appear"
    );
}

#[tokio::test]
async fn move_aside_keeps_every_byte_and_frees_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    std::fs::write(&path, b"not a database at all").unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::write(PathBuf::from(&wal), b"wal bytes").unwrap();

    let moved = move_aside(&path).expect("move aside");
    assert!(!path.exists());
    assert!(!Path::new(&wal).exists());
    assert_eq!(std::fs::read(&moved).unwrap(), b"not a database at all");
    let mut moved_wal = moved.as_os_str().to_owned();
    moved_wal.push("-wal");
    assert_eq!(
        std::fs::read(PathBuf::from(moved_wal)).unwrap(),
        b"wal bytes"
    );
    assert!(moved
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(&format!("{DATABASE_FILE_NAME}.aside-")));

    // A second move in the same second must not overwrite the first.
    std::fs::write(&path, b"second").unwrap();
    let moved_again = move_aside(&path).unwrap();
    assert_ne!(moved, moved_again);
    assert_eq!(std::fs::read(&moved).unwrap(), b"not a database at all");
    assert_eq!(std::fs::read(&moved_again).unwrap(), b"second");

    // The app can now start fresh.
    let store = Store::open(&path)
        .await
        .expect("fresh store after moving aside");
    store.close().await;
}

#[tokio::test]
async fn missing_folder_is_created_and_unwritable_path_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c").join(DATABASE_FILE_NAME);
    Store::open(&nested)
        .await
        .expect("creates folders")
        .close()
        .await;

    let file_as_dir = dir.path().join("plain-file");
    std::fs::write(&file_as_dir, b"x").unwrap();
    let err = Store::open(file_as_dir.join(DATABASE_FILE_NAME))
        .await
        .expect_err("parent is a file");
    assert!(matches!(err, StoreOpenError::Unavailable { .. }), "{err:?}");
    assert_eq!(UserError::from(err).code, ErrorCode::DatabaseUnavailable);
}

/// The app and the CLI may start at the same moment on a fresh data dir:
/// both opens must succeed and the schema be migrated exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_first_opens_both_succeed() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        let (a, b, c) = tokio::join!(Store::open(&path), Store::open(&path), Store::open(&path));
        let stores = [a.expect("first"), b.expect("second"), c.expect("third")];
        let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(stores[0].pool())
            .await
            .unwrap();
        assert_eq!(applied as usize, open::known_versions().len());
        for store in &stores {
            store.set_setting("k", "v").await.unwrap();
        }
        tokio::join!(stores[0].close(), stores[1].close(), stores[2].close());
    }
}

#[tokio::test]
async fn a_clean_reopen_runs_no_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.unwrap();
    assert!(
        !store.integrity_checked_on_open(),
        "a new file has nothing to check"
    );
    store.set_setting("k", "v").await.unwrap();
    store.close().await;

    let store = Store::open(&path).await.unwrap();
    assert!(!store.integrity_checked_on_open());
    // Dropping the last handle without `close` is a clean end too.
    drop(store);
    let store = Store::open(&path).await.unwrap();
    assert!(!store.integrity_checked_on_open());
    store.close().await;
    assert!(
        sidecars(&path)
            .iter()
            .all(|p| !p.to_string_lossy().contains(".open-")),
        "a clean close leaves no open marker: {:?}",
        sidecars(&path)
    );
}

/// Env var naming the database the child process opens before it is killed.
const CHILD_DB: &str = "BOX_CONNECTOR_STORE_TEST_CHILD_DB";

/// Not a test on its own: run by `reopen_after_a_killed_process_checks_integrity`
/// in a child process, which it kills (SIGKILL) while the store is open.
#[tokio::test]
#[ignore = "run as a child process by another test"]
async fn child_opens_the_store_and_waits_to_be_killed() {
    let Some(path) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let store = Store::open(PathBuf::from(path)).await.unwrap();
    store
        .set_setting("written by", "the killed process")
        .await
        .unwrap();
    println!("CHILD-READY");
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    // Blocks until killed: the parent never writes to our stdin.
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    store.close().await;
}

#[tokio::test]
async fn reopen_after_a_killed_process_checks_integrity() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    // Opened once here first, so the child finds a file with content.
    Store::open(&path).await.unwrap().close().await;

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::tests::opening::child_opens_the_store_and_waits_to_be_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("CHILD-READY"))
    })
    .await
    .unwrap();
    assert!(ready, "the child opened the store");

    // While the child is alive, its marker is locked: not a crash.
    let alongside = Store::open(&path).await.unwrap();
    assert!(!alongside.integrity_checked_on_open());
    alongside.close().await;

    child.kill().unwrap(); // SIGKILL: no destructor, no close
    child.wait().unwrap();

    let store = Store::open(&path).await.unwrap();
    assert!(
        store.integrity_checked_on_open(),
        "the killed process never closed the store"
    );
    assert_eq!(
        store.setting("written by").await.unwrap().as_deref(),
        Some("the killed process"),
        "its committed write survived"
    );
    store.close().await;
    // Checked once: the next open trusts the file again.
    let store = Store::open(&path).await.unwrap();
    assert!(!store.integrity_checked_on_open());
    store.close().await;
}

/// The page of `table`'s b-tree root, overwritten with garbage.
fn wreck_root_page(path: &Path, rootpage: i64) {
    let mut bytes = std::fs::read(path).unwrap();
    let page_size = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let start = (rootpage as usize - 1) * page_size;
    for b in &mut bytes[start..start + page_size] {
        *b = 0xA5;
    }
    std::fs::write(path, &bytes).unwrap();
}

/// Without a check on every open, a damaged table is found when a query
/// reads it: the error says "damaged" (not "unavailable"), the store says
/// so, and the next open runs the check and refuses the file as corrupt.
#[tokio::test]
async fn corruption_met_by_a_query_is_reported_and_checked_on_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.unwrap();
    for i in 0..50 {
        store.set_setting(&format!("k{i}"), "v").await.unwrap();
    }
    let (rootpage,): (i64,) =
        sqlx::query_as("SELECT rootpage FROM sqlite_master WHERE name = 'settings'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    store.close().await;
    wreck_root_page(&path, rootpage);

    let store = Store::open(&path)
        .await
        .expect("the schema is intact; nothing checks the settings table on open");
    assert!(store.corruption().is_none());
    let err = store.settings().await.expect_err("the table is damaged");
    assert!(err.is_corruption(), "{err:?}");
    assert!(matches!(
        store.corruption(),
        Some(StoreOpenError::Corrupt { .. })
    ));
    let user: UserError = err.into();
    assert_eq!(user.code, ErrorCode::DatabaseCorrupt);
    assert!(user.hint.contains("aside"), "{}", user.hint);
    assert!(!store.check_integrity().await.unwrap().is_empty());
    store.close().await;

    let err = Store::open(&path)
        .await
        .expect_err("checked on open after corruption was met");
    assert!(matches!(err, StoreOpenError::Corrupt { .. }), "{err:?}");
}

#[tokio::test]
async fn check_integrity_on_request_finds_a_sound_file_sound() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    store.set_setting("k", "v").await.unwrap();
    assert_eq!(store.check_integrity().await.unwrap(), Vec::<String>::new());
    assert!(store.corruption().is_none());
    store.close().await;
}
