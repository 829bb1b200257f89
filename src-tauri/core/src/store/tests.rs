//! Store tests, each on a real SQLite file in its own temp dir.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::Connection;

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
        scopes: Some("root_readonly manage_managed_users".into()),
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
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (?, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .bind(future)
    .execute(&mut *tx)
    .await
    .expect("insert future migration");
    tx.commit().await.unwrap();
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
    const CLIENT_ID: &str = "custom.client_id";
    const API_URL: &str = "custom.api_url";
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    for key in ["client_secret", "custom.refresh_token", "Password"] {
        let err = store.set_setting(key, "hunter2").await.expect_err(key);
        assert!(matches!(err, StoreError::Refused(_)));
    }
    assert!(store.settings().await.unwrap().is_empty());
    store.set_setting(CLIENT_ID, "abc").await.unwrap();
    store.set_setting(CLIENT_ID, "def").await.unwrap();
    store
        .set_setting(API_URL, "https://api.example/2.0")
        .await
        .unwrap();
    assert_eq!(
        store.settings().await.unwrap(),
        vec![
            (API_URL.to_owned(), "https://api.example/2.0".to_owned()),
            (CLIENT_ID.to_owned(), "def".to_owned()),
        ]
    );
    store.delete_setting(CLIENT_ID).await.unwrap();
    assert_eq!(store.setting(CLIENT_ID).await.unwrap(), None);
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
        assert_eq!(applied as usize, open::known_versions().len());
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

// ---- unclean shutdown and the integrity check ---------------------------

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
            "store::tests::child_opens_the_store_and_waits_to_be_killed",
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

// ---- policies ------------------------------------------------------------

/// A finding row as the scan writes it (only what the policy cursor reads).
async fn raw_finding(store: &Store, file_id: &str) -> i64 {
    let mut tx = store.begin_write().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO findings (connection_id, file_id, kind, via_key, severity, severity_rank,
             reached_via, opened_at, last_seen_at)
         VALUES ('c1', ?, 'public_link', 'file', 'high', 3, 'its own open link', 0, 0)
         RETURNING finding_id",
    )
    .bind(file_id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_policy_acts_only_on_findings_opened_after_it_was_enabled_and_re_enabling_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let acts_after = |store: Store, id: i64| async move {
        let p = store.policies().await.unwrap();
        p.into_iter()
            .find(|p| p.policy_id == id)
            .unwrap()
            .acts_after
    };
    let old = raw_finding(&store, "f1").await;
    let now = Millis::from(at(1_764_000_000));
    let id = store
        .add_policy("p", "{}", Some("remove_link"), true, 7, now)
        .await
        .unwrap();
    assert_eq!(
        acts_after(store.clone(), id).await,
        old,
        "what exists is not acted on"
    );
    assert_eq!(store.policies().await.unwrap()[0].daily_cap, 7);
    let newer = raw_finding(&store, "f2").await;
    store.set_policy_enabled(id, true).await.unwrap();
    assert_eq!(
        acts_after(store.clone(), id).await,
        old,
        "still on: unchanged"
    );
    store.set_policy_enabled(id, false).await.unwrap();
    assert_eq!(acts_after(store.clone(), id).await, old);
    store.set_policy_enabled(id, true).await.unwrap();
    assert_eq!(
        acts_after(store.clone(), id).await,
        newer,
        "re-enabled: from now on"
    );
    store.close().await;
}

#[tokio::test]
async fn the_store_tells_this_process_when_findings_open_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let mut opened = store.findings_opened();
    store.set_setting("k", "v").await.unwrap();
    assert!(
        !opened.has_changed().unwrap(),
        "a write that opens no finding"
    );
    // Rolled back: nothing opened.
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query(
        "INSERT INTO findings (connection_id, file_id, kind, via_key, severity, severity_rank,
             reached_via, opened_at, last_seen_at)
         VALUES ('c1', 'f0', 'public_link', 'file', 'high', 3, 'x', 0, 0)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(!opened.has_changed().unwrap(), "a rolled-back finding");
    raw_finding(&store, "f1").await;
    tokio::time::timeout(std::time::Duration::from_secs(5), opened.changed())
        .await
        .expect("told at the commit")
        .unwrap();
    store.close().await;
}

// ---- the single writer ---------------------------------------------------

/// Waits (yielding, no timer) until `n` writes are queued behind the one
/// the writer task holds.
async fn until_queued(store: &Store, n: usize) {
    while store.inner.writer.queued() < n {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_small_writes_share_transactions_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let before = store.write_stats();
    const TASKS: usize = 16;
    const WRITES: usize = 50;
    // Held while the 16 first writes queue: they must then share one commit.
    let held = store.begin_write().await.unwrap();
    let handles: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..WRITES {
                    store
                        .set_setting(&format!("t{task:02}.{i:02}"), &i.to_string())
                        .await?;
                }
                Ok::<(), StoreError>(())
            })
        })
        .collect();
    until_queued(&store, TASKS - 1).await;
    drop(held);
    for handle in handles {
        handle.await.unwrap().expect("every write lands");
    }
    assert_eq!(store.settings().await.unwrap().len(), TASKS * WRITES);
    let stats = store.write_stats();
    let (writes, transactions) = (
        stats.writes - before.writes,
        stats.transactions - before.transactions,
    );
    assert_eq!(writes, (TASKS * WRITES) as u64);
    assert!(
        transactions <= writes - (TASKS as u64 - 1),
        "16 writers at once must share commits: {writes} writes in {transactions} transactions"
    );
    store.close().await;
}

#[tokio::test]
async fn a_failing_write_fails_alone_and_the_rest_of_its_batch_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    store
        .save_connection(&sample_connection("c1"))
        .await
        .unwrap();
    let run = store
        .start_api_test_run("c1", at(1_764_000_000))
        .await
        .unwrap();
    let check = ApiCheckRecord {
        check_id: "token_valid".into(),
        label: "Token".into(),
        status: CheckStatus::Pass,
        detail: None,
        box_error: None,
        fix: None,
    };

    // Hold the write connection so the three writes queue into one batch.
    let held = store.begin_write().await.unwrap();
    let first = tokio::spawn({
        let store = store.clone();
        async move { store.set_setting("before", "kept").await }
    });
    let failing = tokio::spawn({
        let (store, check) = (store.clone(), check.clone());
        // No run 999: the foreign key fails this write, and only it.
        async move { store.record_api_check(999, &check).await }
    });
    let last = tokio::spawn({
        let (store, check) = (store.clone(), check.clone());
        async move { store.record_api_check(run, &check).await }
    });
    until_queued(&store, 2).await;
    let before = store.write_stats();
    drop(held);

    first.await.unwrap().expect("the first write commits");
    let err = failing.await.unwrap().expect_err("the bad write fails");
    assert!(
        matches!(err, StoreError::Database(_)),
        "its own error: {err:?}"
    );
    assert!(!err.is_corruption());
    last.await.unwrap().expect("the write after it commits too");

    assert_eq!(
        store.setting("before").await.unwrap().as_deref(),
        Some("kept")
    );
    let latest = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(latest.checks, vec![check]);
    let (checks,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_test_checks")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(checks, 1, "nothing of the failed write stayed");
    let stats = store.write_stats();
    assert_eq!(
        (
            stats.writes - before.writes,
            stats.transactions - before.transactions
        ),
        (2, 1),
        "the two good writes committed together after the retry"
    );
    store.close().await;
}

#[tokio::test]
async fn a_write_that_panics_fails_alone_as_a_bug_and_the_writer_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    // Hold the write connection so the three writes queue into one batch.
    let held = store.begin_write().await.unwrap();
    let first = tokio::spawn({
        let store = store.clone();
        async move { store.set_setting("before", "kept").await }
    });
    let panicking = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .write(true, |explode, conn| {
                    Box::pin(async move {
                        // A statement first: it must not stay.
                        sqlx::query("INSERT INTO settings VALUES ('half', 'done', 0)")
                            .execute(&mut *conn)
                            .await?;
                        if *explode {
                            panic!("a bug in a write");
                        }
                        Ok(())
                    })
                })
                .await
        }
    });
    let last = tokio::spawn({
        let store = store.clone();
        async move { store.set_setting("after", "kept").await }
    });
    until_queued(&store, 2).await;
    drop(held);

    first.await.unwrap().expect("the write before it commits");
    let err = panicking
        .await
        .unwrap()
        .expect_err("the panicking write fails");
    assert!(matches!(err, StoreError::Panicked(_)), "{err:?}");
    assert!(err.to_string().contains("a bug in a write"), "{err}");
    let shown = crate::error::UserError::from(err);
    assert_eq!(shown.code, crate::error::ErrorCode::Internal, "{shown:?}");
    assert!(shown.hint.contains("not a disk problem"), "{shown:?}");
    last.await.unwrap().expect("the write after it commits too");

    assert_eq!(
        store.setting("half").await.unwrap(),
        None,
        "nothing of it stayed"
    );
    assert_eq!(
        store.setting("before").await.unwrap().as_deref(),
        Some("kept")
    );
    assert_eq!(
        store.setting("after").await.unwrap().as_deref(),
        Some("kept")
    );
    // The writer is alive: later writes land, and no damage was noted.
    store
        .set_setting("later", "v")
        .await
        .expect("later writes go on");
    assert!(store.corruption().is_none());
    store.close().await;
}

#[tokio::test]
async fn a_failure_of_the_whole_batch_fails_every_write_in_it_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    // The write connection refuses all writes while `query_only` is on: a
    // failure no single write caused.
    let mut conn = store.inner.write_connection.acquire().await.unwrap();
    sqlx::query("PRAGMA query_only = ON")
        .execute(&mut *conn)
        .await
        .unwrap();
    let writes: Vec<_> = (0..3)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.set_setting(&format!("k{i}"), "v").await })
        })
        .collect();
    until_queued(&store, 2).await;
    // Released with query_only still on; turned off again below.
    drop(conn);
    for write in writes {
        let err = write.await.unwrap().expect_err("nothing may be saved");
        assert!(matches!(err, StoreError::WriteFailed(_)), "{err:?}");
        assert!(err.to_string().contains("not saved"), "{err}");
    }
    assert!(store.settings().await.unwrap().is_empty());

    let mut conn = store.inner.write_connection.acquire().await.unwrap();
    sqlx::query("PRAGMA query_only = OFF")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    store
        .set_setting("after", "v")
        .await
        .expect("writes work again");
    store.close().await;
}

#[tokio::test]
async fn readers_cannot_write_and_writes_after_close_fail() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let err = sqlx::query("INSERT INTO settings VALUES ('k', 'v', 0)")
        .execute(store.pool())
        .await
        .expect_err("the read pool is read-only");
    assert!(err.to_string().contains("readonly"), "{err}");
    store.close().await;
    let err = store.set_setting("k", "v").await.expect_err("closed");
    assert!(
        matches!(err, StoreError::Database(sqlx::Error::PoolClosed)),
        "{err:?}"
    );
}

// ---- milliseconds --------------------------------------------------------

#[tokio::test]
async fn timestamps_keep_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_path(&dir)).await.unwrap();
    let precise = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap();
    let mut record = sample_connection("c1");
    record.connected_at = precise(1_764_000_000_123);
    record.access_token_expires_at = Some(precise(1_764_003_600_456));
    store.save_connection(&record).await.unwrap();
    assert_eq!(store.connection("c1").await.unwrap(), Some(record));

    let mut first = call("c1", 1_764_100_000, Some(200), 5);
    first.at = precise(1_764_100_000_100);
    let mut second = first.clone();
    second.at = precise(1_764_100_000_900);
    store.record_api_call(&second).await.unwrap();
    store.record_api_call(&first).await.unwrap();
    assert_eq!(
        store
            .api_calls_since(precise(1_764_100_000_000), None)
            .await
            .unwrap(),
        vec![first, second.clone()],
        "calls within one second keep their order"
    );
    assert_eq!(
        store.last_successful_call(Some("c1")).await.unwrap(),
        Some(second.at)
    );
    store.close().await;
}

/// A file written by the previous version (timestamps in seconds) upgrades
/// to the same instants in milliseconds.
#[tokio::test]
async fn a_seconds_database_upgrades_to_the_same_instants() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let recent_call_secs = Utc::now().timestamp() - 60;
    {
        // The previous version's migrations: the initial one alone.
        let old = dir.path().join("old-migrations");
        std::fs::create_dir(&old).unwrap();
        let initial = "20261125000000_initial.sql";
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(initial),
            old.join(initial),
        )
        .unwrap();
        let seconds_schema = Migrator::new(old.as_path()).await.unwrap();
        assert_eq!(seconds_schema.iter().count(), 1);
        let mut conn = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
        seconds_schema.run(&mut conn).await.unwrap();
        for statement in [
            "INSERT INTO settings VALUES ('selected_datacenter', 'eu1', 1764000001)",
            "INSERT INTO connections (id, datacenter_id, client_id, authorize_url, token_url, \
             revoke_url, api_url, state, connected_at, access_token_expires_at, \
             refresh_token_issued_at, last_success_at, updated_at) \
             VALUES ('c1', 'eu1', 'cid', 'a', 't', 'r', 'u', 'connected', 1764000000, 1764003600, \
             NULL, 1764000500, 1764000100)",
            "INSERT INTO api_test_runs (connection_id, started_at, finished_at, outcome) \
             VALUES ('c1', 1764000010, 1764000020, 'warn')",
        ] {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
        // Within the call log's retention, or opening would prune it.
        sqlx::query(
            "INSERT INTO api_calls (connection_id, at, method, endpoint, status, latency_ms) \
             VALUES ('c1', ?, 'GET', '/2.0/users/me', 200, 42)",
        )
        .bind(recent_call_secs)
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }

    let store = Store::open(&path).await.expect("upgrade");
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_schema_version()
    );
    let c = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(c.connected_at, at(1_764_000_000));
    assert_eq!(c.access_token_expires_at, Some(at(1_764_003_600)));
    assert_eq!(c.refresh_token_issued_at, None);
    assert_eq!(c.last_success_at, Some(at(1_764_000_500)));
    assert_eq!(c.updated_at, at(1_764_000_100));
    let run = store.latest_api_test_run("c1").await.unwrap().unwrap();
    assert_eq!(
        (run.started_at, run.finished_at),
        (at(1_764_000_010), Some(at(1_764_000_020)))
    );
    let calls = store.api_calls_since(at(0), None).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].at, at(recent_call_secs));
    let (updated,): (i64,) = sqlx::query_as("SELECT updated_at FROM settings")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(updated, 1_764_000_001_000);
    store.close().await;
}
