//! `database check`: SQLite's full integrity check on a read-only
//! connection, so checking never changes the file (nor creates `-wal` /
//! `-shm` files beside a broken one).
//! `Store::check_integrity()` needs an open store, and the file checked here
//! is often one the store refused to open; this check works on both.

use std::path::Path;

use connector_core::error::{ErrorCode, UserError};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// How many of SQLite's findings are kept (it lists up to 100).
const MAX_PROBLEMS: usize = 20;

/// What SQLite's integrity check found: empty when the file is sound.
pub async fn problems(path: &Path) -> Result<Vec<String>, UserError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .disable_statement_logging();
    let mut conn = match options.connect().await {
        Ok(conn) => conn,
        Err(err) if is_corruption(&err) => return Ok(vec![err.to_string()]),
        Err(err) => return Err(unavailable(path, &err)),
    };
    let rows: Result<Vec<(String,)>, sqlx::Error> =
        sqlx::query_as(&format!("PRAGMA integrity_check({MAX_PROBLEMS})"))
            .fetch_all(&mut conn)
            .await;
    let _ = conn.close().await;
    match rows {
        Ok(rows) if rows.len() == 1 && rows[0].0 == "ok" => Ok(Vec::new()),
        Ok(rows) => Ok(rows.into_iter().map(|(p,)| p).collect()),
        // Damage bad enough that the check cannot read on is a finding too.
        Err(err) if is_corruption(&err) => Ok(vec![err.to_string()]),
        Err(err) => Err(unavailable(path, &err)),
    }
}

fn unavailable(path: &Path, err: &sqlx::Error) -> UserError {
    UserError::new(
        ErrorCode::DatabaseUnavailable,
        format!(
            "The local database {} could not be opened to check it: {err}.",
            path.display()
        ),
        "",
    )
}

/// SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), including extended codes.
fn is_corruption(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|db| db.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 11 | 26))
}
