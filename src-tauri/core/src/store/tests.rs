//! Store tests, each on a real SQLite file in its own temp dir.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use super::*;

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(DATABASE_FILE_NAME)
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .expect("valid timestamp")
}

fn sample_connection(id: &str) -> ConnectionRecord {
    ConnectionRecord {
        id: id.to_owned(),
        datacenter_id: "sandbox".into(),
        client_id: "sandbox-client".into(),
        authorize_url: "http://127.0.0.1:1/api/oauth2/authorize".into(),
        token_url: "http://127.0.0.1:1/oauth2/token".into(),
        revoke_url: "http://127.0.0.1:1/oauth2/revoke".into(),
        api_url: "http://127.0.0.1:1/2.0".into(),
        account_id: Some("11446498".into()),
        account_login: Some("admin@example.com".into()),
        account_name: Some("Ada Admin".into()),
        role: Some("admin".into()),
        enterprise_id: Some("4242".into()),
        enterprise_name: Some("Example Corp".into()),
        state: ConnectionState::Connected,
        state_reason: None,
        connected_at: at(1_764_000_000),
        access_token_expires_at: Some(at(1_764_003_600)),
        refresh_token_issued_at: Some(at(1_764_000_000)),
        last_success_at: None,
        updated_at: at(1_764_000_000),
    }
}

fn call(connection: &str, at_secs: i64, status: Option<u16>, latency_ms: u32) -> ApiCallRecord {
    ApiCallRecord {
        connection_id: Some(connection.to_owned()),
        at: at(at_secs),
        method: "GET".into(),
        endpoint: "/2.0/users/me".into(),
        status,
        latency_ms,
        rate_limited: status == Some(429),
        error_code: status.filter(|s| *s >= 400).map(|s| format!("http_{s}")),
    }
}

/// Name, size and content hash of every file in the database's folder
/// except the opener's (empty) lock file.
fn folder_fingerprint(path: &Path) -> Vec<(PathBuf, usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files: Vec<(PathBuf, usize, u64)> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|ext| ext != "lock"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            (p, bytes.len(), hasher.finish())
        })
        .collect();
    files.sort();
    files
}

fn sidecars(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().expect("has parent");
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p != path)
        .collect();
    names.sort();
    names
}

/// A database carrying every migration this binary knows plus a later one,
/// as a newer Box Connector would leave it.
async fn make_newer_database(path: &Path) -> i64 {
    let store = Store::open(path).await.expect("open");
    let future = latest_schema_version() + 1_000_000;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (?, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .bind(future)
    .execute(store.pool())
    .await
    .expect("insert future migration");
    store.close().await;
    future
}

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
    // Pretend the newest migration has not run yet: roll it back by hand.
    let latest = latest_schema_version();
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = ?")
        .bind(latest)
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

/// Two stores (as two app processes would) and many tasks each doing
/// read-then-write transactions on the same file: with `BEGIN IMMEDIATE`
/// and the busy timeout every write lands; none fails with SQLITE_BUSY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_hit_sqlite_busy() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let first = Store::open(&path).await.unwrap();
    let second = Store::open(&path).await.unwrap();
    first.set_setting("counter", "0").await.unwrap();

    const TASKS: usize = 16;
    const INCREMENTS: usize = 25;
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = if task % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        handles.push(tokio::spawn(async move {
            for _ in 0..INCREMENTS {
                let mut tx = store.begin_write().await?;
                let (value,): (String,) =
                    sqlx::query_as("SELECT value FROM settings WHERE key = 'counter'")
                        .fetch_one(&mut *tx)
                        .await?;
                let next = value.parse::<i64>().unwrap() + 1;
                tokio::task::yield_now().await;
                sqlx::query("UPDATE settings SET value = ? WHERE key = 'counter'")
                    .bind(next.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok::<(), StoreError>(())
        }));
    }
    for handle in handles {
        handle.await.unwrap().expect("no writer may fail");
    }
    let total = second.setting("counter").await.unwrap().unwrap();
    assert_eq!(total, (TASKS * INCREMENTS).to_string(), "lost updates");
    tokio::join!(first.close(), second.close());
}

#[tokio::test]
async fn settings_refuse_secret_looking_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    for key in ["client_secret", "custom.refresh_token", "Password"] {
        let err = store.set_setting(key, "hunter2").await.expect_err(key);
        assert!(matches!(err, StoreError::Refused(_)));
    }
    assert!(store.settings().await.unwrap().is_empty());
    store
        .set_setting(setting_keys::CUSTOM_CLIENT_ID, "abc")
        .await
        .unwrap();
    store
        .set_setting(setting_keys::CUSTOM_CLIENT_ID, "def")
        .await
        .unwrap();
    store
        .set_setting(setting_keys::CUSTOM_API_URL, "https://api.example/2.0")
        .await
        .unwrap();
    assert_eq!(
        store.settings().await.unwrap(),
        vec![
            (
                setting_keys::CUSTOM_API_URL.to_owned(),
                "https://api.example/2.0".to_owned()
            ),
            (setting_keys::CUSTOM_CLIENT_ID.to_owned(), "def".to_owned()),
        ]
    );
    store
        .delete_setting(setting_keys::CUSTOM_CLIENT_ID)
        .await
        .unwrap();
    assert_eq!(
        store.setting(setting_keys::CUSTOM_CLIENT_ID).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn saving_a_connection_again_keeps_its_api_test_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let mut record = sample_connection("c1");
    store.save_connection(&record).await.unwrap();
    let run = store
        .start_api_test_run("c1", at(1_764_000_010))
        .await
        .unwrap();
    store
        .finish_api_test_run(run, at(1_764_000_020))
        .await
        .unwrap();

    record.role = Some("coadmin".into());
    record.updated_at = at(1_764_000_100);
    store.save_connection(&record).await.unwrap();

    assert_eq!(store.connection("c1").await.unwrap(), Some(record));
    let latest = store.latest_api_test_run("c1").await.unwrap();
    assert_eq!(
        latest.map(|r| r.id),
        Some(run),
        "history survived the update"
    );
}

#[tokio::test]
async fn connections_round_trip_and_change_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    assert_eq!(store.current_connection(None).await.unwrap(), None);

    let mut record = sample_connection("c1");
    store.save_connection(&record).await.unwrap();
    assert_eq!(
        store.connection("c1").await.unwrap().as_ref(),
        Some(&record)
    );

    let mut other = sample_connection("c2");
    other.datacenter_id = "eu1".into();
    other.updated_at = at(1_764_000_100);
    store.save_connection(&other).await.unwrap();
    assert_eq!(
        store.current_connection(None).await.unwrap().unwrap().id,
        "c2"
    );
    assert_eq!(
        store
            .current_connection(Some("sandbox"))
            .await
            .unwrap()
            .unwrap()
            .id,
        "c1"
    );
    assert_eq!(store.connections().await.unwrap().len(), 2);

    assert!(store
        .record_token_refresh(
            "c1",
            at(1_764_010_000),
            Some(at(1_764_006_400)),
            at(1_764_006_400)
        )
        .await
        .unwrap());
    let refreshed = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(refreshed.access_token_expires_at, Some(at(1_764_010_000)));
    assert_eq!(refreshed.refresh_token_issued_at, Some(at(1_764_006_400)));
    // No rotation reported: the issue time stays.
    store
        .record_token_refresh("c1", at(1_764_020_000), None, at(1_764_016_400))
        .await
        .unwrap();
    assert_eq!(
        store
            .connection("c1")
            .await
            .unwrap()
            .unwrap()
            .refresh_token_issued_at,
        Some(at(1_764_006_400))
    );

    assert!(store
        .set_connection_state(
            "c1",
            ConnectionState::NeedsReconnect,
            Some("Invalid refresh token"),
            at(1_764_020_000)
        )
        .await
        .unwrap());
    let needs = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(needs.state, ConnectionState::NeedsReconnect);
    assert_eq!(needs.state_reason.as_deref(), Some("Invalid refresh token"));
    assert!(!store
        .set_connection_state("nope", ConnectionState::Connected, None, at(0))
        .await
        .unwrap());

    store
        .set_connection_state("c2", ConnectionState::Disconnected, None, at(1_764_030_000))
        .await
        .unwrap();
    assert_eq!(
        store.current_connection(None).await.unwrap().unwrap().id,
        "c1"
    );

    record.account_name = Some("Renamed".into());
    store.save_connection(&record).await.unwrap();
    assert_eq!(
        store
            .connection("c1")
            .await
            .unwrap()
            .unwrap()
            .account_name
            .as_deref(),
        Some("Renamed")
    );
    assert!(store.delete_connection("c1").await.unwrap());
    assert_eq!(store.connection("c1").await.unwrap(), None);
}

#[tokio::test]
async fn api_test_runs_store_checks_in_order_with_worst_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    store
        .save_connection(&sample_connection("c1"))
        .await
        .unwrap();
    assert_eq!(store.latest_api_test_run("c1").await.unwrap(), None);

    let check = |id: &str, status| ApiCheckRecord {
        check_id: id.into(),
        label: format!("check {id}"),
        status,
        detail: None,
        box_error: (status == CheckStatus::Fail)
            .then(|| "403 access_denied_insufficient_permissions".into()),
        fix: (status != CheckStatus::Pass).then(|| "Sign in as the primary admin.".into()),
    };
    let old = store
        .start_api_test_run("c1", at(1_764_000_000))
        .await
        .unwrap();
    store
        .record_api_check(old, &check("token_valid", CheckStatus::Pass))
        .await
        .unwrap();
    assert_eq!(
        store
            .finish_api_test_run(old, at(1_764_000_005))
            .await
            .unwrap(),
        Some(CheckStatus::Pass)
    );

    let run = store
        .start_api_test_run("c1", at(1_764_000_100))
        .await
        .unwrap();
    let checks = vec![
        check("token_valid", CheckStatus::Pass),
        check("role", CheckStatus::Warn),
        check("events", CheckStatus::Fail),
        check("users", CheckStatus::Pass),
    ];
    for c in &checks {
        store.record_api_check(run, c).await.unwrap();
    }
    // In progress: stored and visible, without an outcome yet.
    let partial = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(
        (partial.id, partial.outcome, partial.checks.len()),
        (run, None, 4)
    );

    assert_eq!(
        store
            .finish_api_test_run(run, at(1_764_000_110))
            .await
            .unwrap(),
        Some(CheckStatus::Fail)
    );
    let latest = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(latest.checks, checks);
    assert_eq!(latest.finished_at, Some(at(1_764_000_110)));
    assert_eq!(latest.outcome, Some(CheckStatus::Fail));

    // An empty run proves nothing.
    let empty = store
        .start_api_test_run("c1", at(1_764_000_200))
        .await
        .unwrap();
    assert_eq!(
        store
            .finish_api_test_run(empty, at(1_764_000_201))
            .await
            .unwrap(),
        Some(CheckStatus::Fail)
    );

    // Deleting the connection deletes its runs (foreign keys are on).
    store.delete_connection("c1").await.unwrap();
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_test_checks")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn api_calls_are_logged_queried_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    store
        .save_connection(&sample_connection("c1"))
        .await
        .unwrap();
    let now = 1_764_100_000;
    let calls = [
        call("c1", now - 8 * 86_400, Some(200), 80), // past retention
        call("c1", now - 7200, Some(200), 90),
        call("c1", now - 1800, Some(429), 30),
        call("c1", now - 60, Some(200), 120),
        call("c1", now - 30, None, 10_000),
        call("c2", now - 10, Some(200), 50),
    ];
    for c in &calls {
        store.record_api_call(c).await.unwrap();
    }
    let last_hour = store
        .api_calls_since(at(now - 3600), Some("c1"))
        .await
        .unwrap();
    assert_eq!(last_hour, calls[2..5].to_vec());
    assert_eq!(
        store
            .api_calls_since(at(now - 3600), None)
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        store.last_successful_call(Some("c1")).await.unwrap(),
        Some(at(now - 60))
    );
    assert_eq!(
        store.last_successful_call(None).await.unwrap(),
        Some(at(now - 10))
    );
    // A success stamps the connection, and an older success never moves it back.
    assert_eq!(
        store
            .connection("c1")
            .await
            .unwrap()
            .unwrap()
            .last_success_at,
        Some(at(now - 60))
    );

    let pruned = store
        .prune_api_calls(at(now) - API_CALL_RETENTION)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(store.api_calls_since(at(0), None).await.unwrap().len(), 5);
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
        assert_eq!(applied as usize, known_versions().len());
        for store in &stores {
            store.set_setting("k", "v").await.unwrap();
        }
        tokio::join!(stores[0].close(), stores[1].close(), stores[2].close());
    }
}

/// A long-running app never calls `prune_api_calls` itself: logging prunes
/// on its own every so often, so the log stays bounded to the retention.
#[tokio::test]
async fn logging_calls_prunes_old_ones_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let now = 1_764_100_000;
    let retention = API_CALL_RETENTION.num_seconds();
    for i in 0..5 {
        store
            .record_api_call(&call("c1", now - retention - 3600 - i, Some(200), 10))
            .await
            .unwrap();
    }
    let count = |store: Store| async move {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_calls")
            .fetch_one(store.pool())
            .await
            .unwrap();
        n
    };
    for i in 5..(api_calls::PRUNE_EVERY - 1) {
        store
            .record_api_call(&call("c1", now - 60 + i % 60, Some(200), 10))
            .await
            .unwrap();
    }
    assert_eq!(
        count(store.clone()).await,
        api_calls::PRUNE_EVERY - 1,
        "nothing pruned yet"
    );
    store
        .record_api_call(&call("c1", now, Some(200), 10))
        .await
        .unwrap();
    assert_eq!(
        count(store.clone()).await,
        api_calls::PRUNE_EVERY - 5,
        "the 5 old calls went"
    );
    store.close().await;
}
