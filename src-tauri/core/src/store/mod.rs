//! The local SQLite store in the app data dir: connections (no secrets), API
//! test results, the API call log behind connection health, and settings.
//!
//! - One writer: every write goes through one connection. Small writes are
//!   queued to [`Store::write`], whose task commits whatever is waiting in
//!   one `BEGIN IMMEDIATE` transaction (group commit, see `writer`);
//!   multi-statement transactions take the same connection with
//!   [`Store::begin_write`]. Readers use their own read-only connections
//!   ([`Store::pool`]). `BEGIN IMMEDIATE` takes the write lock up front, so
//!   a writer in another process (the CLI beside the app) makes this one
//!   wait on the busy timeout instead of failing half-way with SQLITE_BUSY.
//! - WAL, `busy_timeout` and foreign keys on every connection.
//! - Migrations are embedded (`migrations/`); only when one will run on an
//!   existing file is a copy (`VACUUM INTO`) written next to it first.
//! - `PRAGMA quick_check` runs on open only after an unclean shutdown (a
//!   store that was never closed: see `open_marker`), or on request with
//!   [`Store::check_integrity`]. Corruption met by any query later is
//!   reported as [`ErrorCode::DatabaseCorrupt`] and makes the next open check.
//! - A file from a newer app version or a corrupt file is reported as
//!   [`StoreOpenError`], never a panic, and left untouched;
//!   [`move_aside`] renames it so the app can start fresh.
//!
//! One file per table or tight group of tables, each with its row type, its
//! writes (inside the caller's transaction, `*_in`, or its own through
//! [`Store::write`]) and its reads for the window: `scan/` (the scan's
//! tables, and the two saves that span them), `queue/`, `events/`,
//! `findings/`, `governance/`, and `connections`, `api_tests`, `api_calls`,
//! `settings`. A new table gets its own file there, with its migration in
//! `migrations/`. Rules that decide what to write (what a listing page
//! queues, which findings a file has) are pure functions of `scan` and
//! `inspect`; the store applies them inside its transactions.
//!
//! Queries are compile-time checked (`sqlx::query!` and friends, with the
//! `.sqlx/` offline data at the workspace root); PRAGMAs, `VACUUM INTO` and
//! sqlx's own `_sqlx_migrations` table are queried at run time. Timestamps
//! are INTEGER unix milliseconds, bound and read only as [`Millis`].

mod api_calls;
mod api_tests;
mod connections;
mod events;
pub mod findings;
pub mod governance;
mod open;
mod open_marker;
pub mod queue;
pub mod scan;
mod settings;
mod signals;
mod time;
mod writer;

pub use api_calls::{ApiCallRecord, API_CALL_RETENTION};
pub use api_tests::{ApiCheckRecord, ApiTestRun, CheckStatus};
pub use connections::{AccountFacts, ConnectionRecord, ConnectionState};
pub use events::{
    EventDayCount, EventPage, EventRecord, EventStream, EventStreamRecord, GapStart, NewEvent,
    PageSaved, Saved, StreamsStart,
};
pub use findings::{FindingChange, FindingQuery, FindingRecord, InspectionRecord};
pub use open::{latest_schema_version, move_aside, DATABASE_FILE_NAME};
pub use queue::{
    priority, Claimed, Enqueue, EventEffects, ItemKind, QueueDepth, QueueReason, QueueRow,
};
pub use scan::{
    CollaborationRecord, FileRecord, InspectionCounts, ItemScanRecord, MinuteCount, ScanCounts,
    ScanStateRecord,
};
pub use settings::keys as setting_keys;
pub use time::Millis;
pub use writer::{BoxFuture, WriteStats};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Sqlite, Transaction};

use crate::error::{ErrorCode, UserError};
use open_marker::OpenMarker;
use writer::Writer;

/// A handle to the open store; cheap to clone (it wraps an `Arc`).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// Read-only connections.
    readers: SqlitePool,
    /// Exactly one connection: the single writer's.
    write_connection: SqlitePool,
    writer: Writer,
    damage: Arc<Damage>,
    marker: Mutex<OpenMarker>,
    integrity_checked: bool,
    findings_opened: Arc<signals::FindingsOpened>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropped without `close` (the process is exiting normally): still a
        // clean end, unless corruption was met.
        let marker = self.marker.get_mut().unwrap_or_else(|p| p.into_inner());
        if self.damage.seen().is_some() {
            marker.keep();
        }
        marker.release();
    }
}

/// Corruption met by a query while the store is open.
#[derive(Debug, Default)]
struct Damage {
    seen: OnceLock<String>,
}

impl Damage {
    fn note(&self, err: &sqlx::Error) {
        if is_corruption(err) && self.seen.set(err.to_string()).is_ok() {
            tracing::error!(%err, "the local database is damaged");
        }
    }

    fn seen(&self) -> Option<&str> {
        self.seen.get().map(String::as_str)
    }
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
    /// The transaction this write was batched into failed as a whole (disk
    /// full, I/O error, corruption, failed commit): nothing of it was saved.
    #[error("local database error, the change was not saved: {0}")]
    WriteFailed(Arc<sqlx::Error>),
    /// The store refused the request (a caller bug, e.g. a secret as a setting).
    #[error("{0}")]
    Refused(String),
    /// The write's own code panicked (a bug, not the disk): nothing of it
    /// was saved, and the writer goes on with the others.
    #[error("a change to the local database stopped on a bug: {0}")]
    Panicked(String),
}

impl StoreError {
    /// SQLite found the file damaged (SQLITE_CORRUPT or SQLITE_NOTADB).
    pub fn is_corruption(&self) -> bool {
        match self {
            StoreError::Database(err) => is_corruption(err),
            StoreError::WriteFailed(err) => is_corruption(err),
            StoreError::Refused(_) | StoreError::Panicked(_) => false,
        }
    }
}

impl From<StoreError> for UserError {
    fn from(err: StoreError) -> Self {
        match err {
            err if err.is_corruption() => UserError::new(
                ErrorCode::DatabaseCorrupt,
                format!("The local database is damaged: {err}."),
                MOVE_ASIDE_HINT,
            ),
            StoreError::Database(_) | StoreError::WriteFailed(_) => UserError::new(
                ErrorCode::DatabaseUnavailable,
                format!("The local database could not be read or written: {err}."),
                "Check free disk space and the permissions of the app's data folder, then try again.",
            ),
            StoreError::Refused(reason) => UserError::new(
                ErrorCode::Internal,
                format!("The local database refused a change: {reason}."),
                "This is a bug in Box Connector; please report it.",
            ),
            StoreError::Panicked(_) => UserError::new(
                ErrorCode::Internal,
                format!("{err}."),
                "This is a bug in Box Connector, not a disk problem; nothing of this change was saved. Please report it.",
            ),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A count as SQLite returns it (i64), as the screens show it.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// How long `close` waits for SQLite to remove the `-wal` file.
const CLOSE_WAL_WAIT: Duration = Duration::from_secs(1);

impl Store {
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Read-only connections, for read queries. Writes go through
    /// [`Store::write`] or [`Store::begin_write`]; a write here fails with
    /// SQLITE_READONLY.
    pub fn pool(&self) -> &SqlitePool {
        &self.inner.readers
    }

    /// Queues a small write for the single writer, which runs it in one
    /// `BEGIN IMMEDIATE` transaction together with the other writes waiting
    /// then, and answers once that transaction has committed.
    ///
    /// `statements` gets `data` and the write connection. It may run more
    /// than once (when another write of its batch fails, the batch is rolled
    /// back and run again without that one), so it must do nothing but SQL
    /// on `data`. Its result is returned only if the batch committed.
    pub async fn write<D, T, F>(&self, data: D, statements: F) -> StoreResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'c> Fn(&'c D, &'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        self.inner.writer.write(data, statements).await
    }

    /// A multi-statement write transaction of its own (read-then-write), on
    /// the single write connection, started with `BEGIN IMMEDIATE`: it takes
    /// the write lock up front (waiting up to the busy timeout for another
    /// process), so it never fails half-way with SQLITE_BUSY. Batched writes
    /// wait while it is open: commit or drop it promptly, and never call
    /// [`Store::write`] (or a method using it) while holding it.
    pub async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        let begun = self
            .inner
            .write_connection
            .begin_with("BEGIN IMMEDIATE")
            .await;
        self.noted(begun)
    }

    /// Changes each time a write of this process that opened findings
    /// commits (the policies wait on it instead of polling).
    pub fn findings_opened(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.findings_opened.subscribe()
    }

    /// The newest migration applied to this database.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        // sqlx's own table: not part of the schema the macros check against.
        let version: Result<(Option<i64>,), _> =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(self.pool())
                .await;
        Ok(self.noted(version)?.0.unwrap_or(0))
    }

    /// What the single writer has committed since the store opened.
    pub fn write_stats(&self) -> WriteStats {
        self.inner.writer.stats()
    }

    /// Whether `open` ran SQLite's integrity check (it does only after an
    /// unclean shutdown).
    pub fn integrity_checked_on_open(&self) -> bool {
        self.inner.integrity_checked
    }

    /// Runs SQLite's `PRAGMA quick_check` now (for a `database check`
    /// command). Returns what it found wrong; empty when the file is sound.
    pub async fn check_integrity(&self) -> StoreResult<Vec<String>> {
        let mut conn = self.noted(self.pool().acquire().await)?;
        let problems = match open::quick_check(&mut conn).await {
            // Damage bad enough that the check cannot read on is a finding.
            Err(err) if is_corruption(&err) => vec![err.to_string()],
            checked => self.noted(checked)?,
        };
        if !problems.is_empty() {
            let _ = self.inner.damage.seen.set(problems.join("; "));
        }
        Ok(problems)
    }

    /// Corruption met by a query since the store opened, as the open error
    /// the next [`Store::open`] will report (it checks the file then).
    pub fn corruption(&self) -> Option<StoreOpenError> {
        self.inner
            .damage
            .seen()
            .map(|detail| StoreOpenError::corrupt(&self.inner.path, detail))
    }

    /// Passes a result through, noting any corruption it reports.
    fn noted<T>(&self, result: Result<T, sqlx::Error>) -> StoreResult<T> {
        result.map_err(|err| {
            self.inner.damage.note(&err);
            StoreError::Database(err)
        })
    }

    /// Commits the queued writes, copies the WAL into the main file and
    /// closes every connection, so the file on disk is complete on its own
    /// (e.g. before moving it aside), and marks the shutdown clean. Writes
    /// after this fail.
    pub async fn close(&self) {
        self.inner.writer.close().await;
        self.inner.readers.close().await;
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.inner.write_connection)
            .await
        {
            tracing::warn!(%err, "could not checkpoint the database before closing");
        }
        self.inner.write_connection.close().await;
        // `Pool::close` can return while a just-returned connection is still
        // closing on its worker thread. SQLite removes the `-wal` file when the
        // last connection closes, so wait for that (briefly: another process
        // may legitimately keep the file open).
        let wal = open::sidecar(&self.inner.path, "-wal");
        let started = std::time::Instant::now();
        while wal.exists() && started.elapsed() < CLOSE_WAL_WAIT {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut marker = self.inner.marker.lock().unwrap_or_else(|p| p.into_inner());
        if self.inner.damage.seen().is_some() {
            marker.keep();
        }
        marker.release();
    }
}

/// SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), including extended codes.
fn is_corruption(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|db| db.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 11 | 26))
}

#[cfg(test)]
mod tests;
