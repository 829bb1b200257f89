//! The local database's lifecycle: opening it (a broken file is reported,
//! never fatal) and moving a broken one aside.

use std::path::PathBuf;

use crate::error::UserError;
use crate::ipc::{DatabaseState, DatabaseStatus};
use crate::store::{self, Store, StoreOpenError};
use crate::wording::{self, Audience};

use super::App;

impl App {
    /// Renames a broken database file (never deletes it) and starts a fresh one.
    pub async fn move_database_aside(&self) -> Result<PathBuf, UserError> {
        let mut slot = self.inner.store.write().await;
        if let Some(s) = slot.take() {
            s.close().await;
        }
        let moved = store::move_aside(&self.inner.db_path)?;
        let (store, status) = open_store(&self.inner.db_path).await;
        *slot = store;
        *self.inner.db_status.lock().expect("db status lock") = status;
        drop(slot);
        self.emit_snapshot().await;
        Ok(moved)
    }
}

pub(super) async fn open_store(path: &std::path::Path) -> (Option<Store>, DatabaseStatus) {
    let path_text = path.display().to_string();
    match Store::open(path).await {
        Ok(s) => (
            Some(s),
            DatabaseStatus {
                state: DatabaseState::Ok,
                path: path_text,
                error: None,
            },
        ),
        Err(err) => {
            let state = match &err {
                StoreOpenError::TooNew { .. } => DatabaseState::TooNew,
                StoreOpenError::Corrupt { .. } | StoreOpenError::MigrationFailed { .. } => {
                    DatabaseState::Corrupt
                }
                StoreOpenError::Unavailable { .. } => DatabaseState::Unavailable,
            };
            let mut error = UserError::from(err);
            error.hint = wording::database_hint(state, Audience::Window, path);
            (
                None,
                DatabaseStatus {
                    state,
                    path: path_text,
                    error: Some(error),
                },
            )
        }
    }
}
