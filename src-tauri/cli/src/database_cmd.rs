//! `database move-aside` and `database check`, and the one test every other
//! command passes first: a database that can be used.

use std::path::Path;

use connector_core::app::App;
use connector_core::error::{ErrorCode, UserError};
use connector_core::ipc::{DatabaseState, Snapshot};
use connector_core::wording;

use crate::args::NAME;
use crate::exit;
use crate::integrity;
use crate::output::Output;

/// The database's own error when it cannot be used (every command that
/// needs the store stops on it, with the same words as `status`).
pub fn usable(snapshot: &Snapshot) -> Result<(), UserError> {
    let db = &snapshot.database;
    if db.state == DatabaseState::Ok {
        return Ok(());
    }
    Err(db.error.clone().unwrap_or_else(|| {
        UserError::new(
            ErrorCode::DatabaseUnavailable,
            format!(
                "The local database {} {}.",
                db.path,
                wording::database_words(db.state)
            ),
            "",
        )
    }))
}

pub async fn move_aside(
    app: &App,
    snapshot: &Snapshot,
    force: bool,
    out: &Output,
) -> Result<u8, UserError> {
    if snapshot.database.state == DatabaseState::Ok && !force {
        return Err(UserError::new(
            ErrorCode::InvalidInput,
            format!(
                "The local database {} opens fine: nothing was moved.",
                snapshot.database.path
            ),
            format!(
                "To start with an empty database anyway (the old file is kept beside it, and \
                 you connect again), run `{NAME} database move-aside --force`."
            ),
        ));
    }
    let moved_to = app.move_database_aside().await?;
    let after = app.snapshot().await;
    out.moved_aside(&moved_to, &after);
    Ok(match after.database.state {
        DatabaseState::Ok => exit::DONE,
        _ => exit::DATABASE,
    })
}

pub async fn check(snapshot: &Snapshot, out: &Output) -> Result<u8, UserError> {
    let db = &snapshot.database;
    let path = Path::new(&db.path);
    if !path.is_file() {
        // A folder or a missing file: nothing SQLite could check.
        usable(snapshot)?;
    }
    let problems = match integrity::problems(path).await {
        Ok(problems) => problems,
        Err(err) => return Err(db.error.clone().unwrap_or(err)),
    };
    out.checked(db, &problems);
    Ok(if problems.is_empty() && db.state == DatabaseState::Ok {
        exit::DONE
    } else {
        exit::DATABASE
    })
}
