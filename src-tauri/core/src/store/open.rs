//! Opening the database file: one opener at a time, refusing a file that is
//! damaged or from a newer version without touching it, the integrity check
//! after an unclean shutdown, the copy before migrating, and moving a bad
//! file aside.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Connection;

use super::open_marker::{self, OpenMarker};
use super::writer::Writer;
use super::{Damage, Inner, Store, StoreOpenError, API_CALL_RETENTION};
use crate::error::{ErrorCode, UserError};

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another writer (this or another process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read-only connections; writes have one connection of their own.
const MAX_READERS: u32 = 4;
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// File name the app uses inside its data dir.
pub const DATABASE_FILE_NAME: &str = "box-connector.sqlite3";

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date. Never panics; every failure is a [`StoreOpenError`].
    pub async fn open(path: impl AsRef<Path>) -> Result<Store, StoreOpenError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| StoreOpenError::unavailable(&path, err))?;
        }

        // One opener at a time (the app and the CLI may start together on a
        // fresh data dir): checks, backup and migrations must not interleave.
        let _open_lock = OpenLock::acquire(&path).await?;

        if !path.exists() {
            create_private_file(&path).map_err(|err| StoreOpenError::unavailable(&path, err))?;
        }
        // A store that was never closed: its process died with the file open.
        let unclean = open_marker::stale(&path).map_err(|err| {
            StoreOpenError::unavailable(&path, format!("reading its open markers: {err}"))
        })?;
        let mut integrity_checked = false;
        let mut backup = None;
        if has_content(&path)? {
            check_header(&path)?;
            integrity_checked = !unclean.is_empty();
            if integrity_checked {
                tracing::info!("the database was not closed cleanly last time; checking it");
            }
            let applied = inspect_existing(&path, integrity_checked).await?;
            let known = known_versions();
            if applied.iter().any(|v| !known.contains(v)) {
                return Err(StoreOpenError::TooNew {
                    path,
                    found_version: applied.last().copied().unwrap_or(0),
                    known_version: known.last().copied().unwrap_or(0),
                });
            }
            if known.iter().any(|v| !applied.contains(v)) {
                let old_version = applied.last().copied().unwrap_or(0);
                backup = Some(backup_before_migrating(&path, old_version).await?);
            }
        }

        let write_connection = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // Kept for the store's life: readers rely on its `-shm`.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect_options(&path).create_if_missing(true))
            .await
            .map_err(|err| StoreOpenError::from_sqlx(&path, err))?;

        if let Err(err) = MIGRATOR.run(&write_connection).await {
            write_connection.close().await;
            return Err(StoreOpenError::MigrationFailed {
                path,
                backup,
                detail: err.to_string(),
            });
        }
        if let Some(backup) = &backup {
            tracing::info!(backup = %backup.display(), "database upgraded; pre-upgrade copy kept");
        }

        let readers = match SqlitePoolOptions::new()
            .max_connections(MAX_READERS)
            .connect_with(reader_options(&path))
            .await
        {
            Ok(readers) => readers,
            Err(err) => {
                write_connection.close().await;
                return Err(StoreOpenError::from_sqlx(&path, err));
            }
        };
        let findings_opened = super::signals::FindingsOpened::new();
        if let Err(err) = findings_opened.install(&write_connection).await {
            tokio::join!(readers.close(), write_connection.close());
            return Err(StoreOpenError::from_sqlx(&path, err));
        }
        let marker = match OpenMarker::create(&path) {
            Ok(marker) => marker,
            Err(err) => {
                tokio::join!(readers.close(), write_connection.close());
                return Err(StoreOpenError::unavailable(
                    &path,
                    format!("creating its open marker: {err}"),
                ));
            }
        };
        // Checked (or new): what the dead processes left is settled.
        open_marker::clear(&unclean);

        let damage = Arc::new(Damage::default());
        let store = Store {
            inner: Arc::new(Inner {
                writer: Writer::start(write_connection.clone(), damage.clone()),
                path,
                readers,
                write_connection,
                damage,
                marker: Mutex::new(marker),
                integrity_checked,
                findings_opened,
            }),
        };
        // Keeps the call log bounded even if the app only ever runs briefly.
        if let Err(err) = store.prune_api_calls(Utc::now() - API_CALL_RETENTION).await {
            tracing::warn!(%err, "could not prune the API call log");
        }
        Ok(store)
    }
}

/// An advisory lock on `<database>.lock`, held while a process opens and
/// migrates the database. SQLite's own locks cannot cover this: switching to
/// WAL and running migrations are several transactions.
struct OpenLock {
    _file: std::fs::File,
}

/// Long enough for another process's migrations and pre-upgrade copy.
const OPEN_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

impl OpenLock {
    async fn acquire(path: &Path) -> Result<OpenLock, StoreOpenError> {
        let lock_path = sidecar(path, ".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|err| {
                StoreOpenError::unavailable(path, format!("{}: {err}", lock_path.display()))
            })?;
        let started = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(OpenLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < OPEN_LOCK_TIMEOUT => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(StoreOpenError::unavailable(
                        path,
                        "another Box Connector process has been opening it for over a minute",
                    ))
                }
                Err(std::fs::TryLockError::Error(err)) => {
                    return Err(StoreOpenError::unavailable(path, err))
                }
            }
        }
    }
}

/// The newest schema version this binary knows.
pub fn latest_schema_version() -> i64 {
    known_versions().last().copied().unwrap_or(0)
}

pub(super) fn known_versions() -> BTreeSet<i64> {
    MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .collect()
}

fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across app crashes in WAL mode; only a power cut
        // can lose the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
}

/// The read pool's connections: read-only, so the single writer stays the
/// only one. The write connection is open first and keeps the WAL index.
fn reader_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
}

fn has_content(path: &Path) -> Result<bool, StoreOpenError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(StoreOpenError::unavailable(
            path,
            "the path is a folder, not a file",
        )),
        Ok(meta) => Ok(meta.len() > 0),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(StoreOpenError::unavailable(path, err)),
    }
}

/// Cheap first test, before SQLite sees the file at all.
fn check_header(path: &Path) -> Result<(), StoreOpenError> {
    let mut header = [0u8; 16];
    let mut file =
        std::fs::File::open(path).map_err(|err| StoreOpenError::unavailable(path, err))?;
    match file.read_exact(&mut header) {
        Ok(()) if &header == SQLITE_HEADER => Ok(()),
        Ok(()) => Err(StoreOpenError::corrupt(
            path,
            "the file is not an SQLite database",
        )),
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => Err(
            StoreOpenError::corrupt(path, "the file is too short to be an SQLite database"),
        ),
        Err(err) => Err(StoreOpenError::unavailable(path, err)),
    }
}

/// A read-only connection: it cannot change the file, not even by
/// checkpointing a WAL left behind when it closes. Without pending WAL
/// content it is also `immutable`, so SQLite creates no `-wal` / `-shm`
/// files next to a database it is about to refuse.
fn inspect_options(path: &Path) -> SqliteConnectOptions {
    let wal_has_content = std::fs::metadata(sidecar(path, "-wal")).is_ok_and(|m| m.len() > 0);
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(!wal_has_content)
        .busy_timeout(BUSY_TIMEOUT)
        .create_if_missing(false)
}

/// Opens an existing file without changing it (no journal-mode switch, no
/// migration), runs SQLite's quick integrity check when asked to, and
/// returns the applied migration versions, ascending. Reading the schema
/// alone already fails with SQLITE_CORRUPT on a damaged first page.
async fn inspect_existing(path: &Path, check: bool) -> Result<Vec<i64>, StoreOpenError> {
    let mut conn = SqliteConnection::connect_with(&inspect_options(path))
        .await
        .map_err(|err| StoreOpenError::from_sqlx(path, err))?;
    let result = inspect_on(&mut conn, path, check).await;
    let _ = conn.close().await;
    result
}

/// `PRAGMA quick_check`'s findings; empty when the file is sound.
pub(super) async fn quick_check(conn: &mut SqliteConnection) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(line,)| line)
        .filter(|line| line != "ok")
        .collect())
}

async fn inspect_on(
    conn: &mut SqliteConnection,
    path: &Path,
    check: bool,
) -> Result<Vec<i64>, StoreOpenError> {
    if check {
        let problems = quick_check(conn)
            .await
            .map_err(|err| StoreOpenError::from_sqlx(path, err))?;
        if !problems.is_empty() {
            let detail = problems.into_iter().take(3).collect::<Vec<_>>().join("; ");
            return Err(StoreOpenError::corrupt(
                path,
                format!("integrity check failed: {detail}"),
            ));
        }
    }

    let (has_table,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|err| StoreOpenError::from_sqlx(path, err))?;
    if !has_table {
        return Ok(Vec::new());
    }
    let versions: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = 1 ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(|err| StoreOpenError::from_sqlx(path, err))?;
    Ok(versions.into_iter().map(|(v,)| v).collect())
}

/// Writes a consistent copy (`VACUUM INTO`, which includes WAL content) next
/// to the database, named after the schema version it holds and the time:
/// `box-connector.sqlite3.v20261125000000-20261125T101500Z.bak`.
async fn backup_before_migrating(path: &Path, old_version: i64) -> Result<PathBuf, StoreOpenError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let backup = unused_sibling(path, &format!(".v{old_version}-{stamp}.bak"));
    let mut conn = SqliteConnection::connect_with(&inspect_options(path))
        .await
        .map_err(|err| StoreOpenError::from_sqlx(path, err))?;
    let result = sqlx::query("VACUUM INTO ?")
        .bind(backup.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    result.map_err(|err| {
        StoreOpenError::unavailable(
            path,
            format!("could not copy the database before upgrading it: {err}"),
        )
    })?;
    make_private(&backup);
    Ok(backup)
}

/// Creates an empty database file only its owner can read: it names the
/// admin's account and enterprise. SQLite gives `-wal` / `-shm` the same mode.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process created it first: fine.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(err) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(%err, path = %path.display(), "could not restrict permissions");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// `path` with `suffix` appended to its file name (`-wal`, `-shm`).
pub(super) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `path` + `suffix`, with `-2`, `-3`... added if that name is taken.
fn unused_sibling(path: &Path, suffix: &str) -> PathBuf {
    let base = path.as_os_str().to_owned();
    let mut candidate = base.clone();
    candidate.push(suffix);
    let mut n = 2;
    while Path::new(&candidate).exists() {
        candidate = base.clone();
        candidate.push(format!("{suffix}-{n}"));
        n += 1;
    }
    PathBuf::from(candidate)
}

/// Renames the database at `path` (and its `-wal` / `-shm` files, which keep
/// their pairing) to `<name>.aside-<UTC time>`, so the app can start with a
/// fresh file. Nothing is deleted. Returns the new path of the main file.
/// Call it only while no [`Store`] has the file open.
pub fn move_aside(path: impl AsRef<Path>) -> Result<PathBuf, UserError> {
    let path = path.as_ref();
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let target = unused_sibling(path, &format!(".aside-{stamp}"));
    let fail = |what: &Path, err: std::io::Error| {
        UserError::new(
            ErrorCode::DatabaseUnavailable,
            format!("Could not move {} aside: {err}.", what.display()),
            "Check the permissions of the app's data folder, or move the file yourself and restart Box Connector.",
        )
    };
    std::fs::rename(path, &target).map_err(|err| fail(path, err))?;
    for companion in ["-wal", "-shm"] {
        let from = sidecar(path, companion);
        if from.exists() {
            std::fs::rename(&from, sidecar(&target, companion)).map_err(|err| fail(&from, err))?;
        }
    }
    tracing::info!(from = %path.display(), to = %target.display(), "database moved aside");
    Ok(target)
}
