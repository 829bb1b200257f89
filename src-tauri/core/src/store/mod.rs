//! The local SQLite store in the app data dir: connections (no secrets), API
//! test results, the API call log behind connection health, and settings.
//!
//! - WAL, `busy_timeout` and foreign keys on every connection; every write
//!   goes through [`Store::begin_write`] (`BEGIN IMMEDIATE`), so concurrent
//!   writers queue on the busy timeout instead of failing with SQLITE_BUSY
//!   when a deferred read transaction tries to upgrade.
//! - Migrations are embedded (`migrations/`); before pending ones run on an
//!   existing file, a copy is written next to it.
//! - A file from a newer app version or a corrupt file is reported as
//!   [`StoreOpenError`], never a panic, and left untouched;
//!   [`move_aside`] renames it so the app can start fresh.
//!
//! Queries are runtime-checked (`sqlx::query_as` + `FromRow`). Timestamps are
//! stored as INTEGER unix seconds so range queries compare numbers.

mod api_calls;
mod api_tests;
mod connections;
mod settings;

pub use api_calls::{ApiCallRecord, API_CALL_RETENTION};
pub use api_tests::{ApiCheckRecord, ApiTestRun, CheckStatus};
pub use connections::{ConnectionRecord, ConnectionState};
pub use settings::keys as setting_keys;

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, Sqlite, Transaction};

use crate::error::{ErrorCode, UserError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another writer (this or another process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_CONNECTIONS: u32 = 4;
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// File name the app uses inside its data dir.
pub const DATABASE_FILE_NAME: &str = "box-connector.sqlite3";

/// A handle to the open store; cheap to clone (it wraps a pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

/// Why the store could not be opened. Each variant leaves the file as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreOpenError {
    /// Written by a newer Box Connector: it has migrations this binary lacks.
    #[error("{} was written by a newer version of Box Connector (database schema {found_version}, this version knows up to {known_version})", path.display())]
    TooNew {
        path: PathBuf,
        found_version: i64,
        known_version: i64,
    },
    /// Not a database, or one that fails SQLite's integrity check.
    #[error("{} is damaged or is not a Box Connector database: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    /// A migration failed; the copy taken before migrating is named.
    #[error("{} could not be upgraded to this version's schema: {detail}", path.display())]
    MigrationFailed {
        path: PathBuf,
        backup: Option<PathBuf>,
        detail: String,
    },
    /// The file or its folder cannot be read or written (permissions, disk).
    #[error("{} could not be opened: {detail}", path.display())]
    Unavailable { path: PathBuf, detail: String },
}

impl StoreOpenError {
    pub fn path(&self) -> &Path {
        match self {
            StoreOpenError::TooNew { path, .. }
            | StoreOpenError::Corrupt { path, .. }
            | StoreOpenError::MigrationFailed { path, .. }
            | StoreOpenError::Unavailable { path, .. } => path,
        }
    }

    fn corrupt(path: &Path, detail: impl fmt::Display) -> Self {
        StoreOpenError::Corrupt {
            path: path.to_owned(),
            detail: detail.to_string(),
        }
    }

    fn unavailable(path: &Path, detail: impl fmt::Display) -> Self {
        StoreOpenError::Unavailable {
            path: path.to_owned(),
            detail: detail.to_string(),
        }
    }

    /// Classifies an SQLite error met while opening or inspecting the file.
    fn from_sqlx(path: &Path, err: sqlx::Error) -> Self {
        if is_corruption(&err) {
            Self::corrupt(path, err)
        } else {
            Self::unavailable(path, err)
        }
    }
}

const MOVE_ASIDE_HINT: &str = "Move the file aside to start with an empty database; \
     the old file is kept next to it (nothing is deleted).";

impl From<StoreOpenError> for UserError {
    fn from(err: StoreOpenError) -> Self {
        let message = format!("The local database {err}.");
        match &err {
            StoreOpenError::TooNew { .. } => UserError::new(
                ErrorCode::DatabaseTooNew,
                message,
                format!("Install the newer Box Connector again, or: {MOVE_ASIDE_HINT}"),
            ),
            StoreOpenError::Corrupt { .. } => {
                UserError::new(ErrorCode::DatabaseCorrupt, message, MOVE_ASIDE_HINT)
            }
            StoreOpenError::MigrationFailed { backup, .. } => UserError::new(
                ErrorCode::DatabaseCorrupt,
                match backup {
                    Some(backup) => format!(
                        "{message} A copy from before the upgrade is at {}.",
                        backup.display()
                    ),
                    None => message,
                },
                MOVE_ASIDE_HINT,
            ),
            StoreOpenError::Unavailable { path, .. } => UserError::new(
                ErrorCode::DatabaseUnavailable,
                message,
                format!(
                    "Check that {} and its folder exist and are readable and writable by you, \
                     and that the disk is not full.",
                    path.display()
                ),
            ),
        }
    }
}

/// A query on an open store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("local database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The store refused the request (a caller bug, e.g. a secret as a setting).
    #[error("{0}")]
    Refused(String),
}

impl From<StoreError> for UserError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Database(err) => UserError::new(
                ErrorCode::DatabaseUnavailable,
                format!("The local database could not be read or written: {err}."),
                "Check free disk space and the permissions of the app's data folder, then try again.",
            ),
            StoreError::Refused(reason) => UserError::new(
                ErrorCode::Internal,
                format!("The local database refused a change: {reason}."),
                "This is a bug in Box Connector; please report it.",
            ),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

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

        let mut backup = None;
        if !path.exists() {
            create_private_file(&path).map_err(|err| StoreOpenError::unavailable(&path, err))?;
        }
        if has_content(&path)? {
            check_header(&path)?;
            let applied = inspect_existing(&path).await?;
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

        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(connect_options(&path).create_if_missing(true))
            .await
            .map_err(|err| StoreOpenError::from_sqlx(&path, err))?;

        if let Err(err) = MIGRATOR.run(&pool).await {
            pool.close().await;
            return Err(StoreOpenError::MigrationFailed {
                path,
                backup,
                detail: err.to_string(),
            });
        }
        if let Some(backup) = &backup {
            tracing::info!(backup = %backup.display(), "database upgraded; pre-upgrade copy kept");
        }

        let store = Store { pool, path };
        // Keeps the call log bounded even if the app only ever runs briefly.
        if let Err(err) = store.prune_api_calls(Utc::now() - API_CALL_RETENTION).await {
            tracing::warn!(%err, "could not prune the API call log");
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// For read queries. Writes go through [`Store::begin_write`].
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Starts a write transaction with `BEGIN IMMEDIATE`: it takes the write
    /// lock up front (waiting up to the busy timeout), so it can never fail
    /// half-way with SQLITE_BUSY when another writer got there first.
    pub async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The newest migration applied to this database.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        let (version,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(version.unwrap_or(0))
    }

    /// Copies the WAL into the main file and closes every connection, so the
    /// file on disk is complete on its own (e.g. before moving it aside).
    pub async fn close(&self) {
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(%err, "could not checkpoint the database before closing");
        }
        self.pool.close().await;
        // `Pool::close` can return while a just-returned connection is still
        // closing on its worker thread. SQLite removes the `-wal` file when the
        // last connection closes, so wait for that (briefly: another process
        // may legitimately keep the file open).
        let wal = sidecar(&self.path, "-wal");
        for _ in 0..100 {
            if !wal.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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

fn known_versions() -> BTreeSet<i64> {
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
/// migration), runs SQLite's quick integrity check and returns the applied
/// migration versions, ascending.
async fn inspect_existing(path: &Path) -> Result<Vec<i64>, StoreOpenError> {
    let mut conn = SqliteConnection::connect_with(&inspect_options(path))
        .await
        .map_err(|err| StoreOpenError::from_sqlx(path, err))?;
    let result = inspect_on(&mut conn, path).await;
    let _ = conn.close().await;
    result
}

async fn inspect_on(conn: &mut SqliteConnection, path: &Path) -> Result<Vec<i64>, StoreOpenError> {
    let problems: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|err| StoreOpenError::from_sqlx(path, err))?;
    if problems.len() != 1 || problems[0].0 != "ok" {
        let detail = problems
            .into_iter()
            .map(|(p,)| p)
            .take(3)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(StoreOpenError::corrupt(
            path,
            format!("integrity check failed: {detail}"),
        ));
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
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
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

/// SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), including extended codes.
fn is_corruption(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|db| db.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 11 | 26))
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

#[cfg(test)]
mod tests;
