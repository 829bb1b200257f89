//! `folders`: every folder as Box listed it, and the walk's frontier (which
//! folders of a generation are still to list, and where a listing stopped).

use sqlx::sqlite::SqliteConnection;

use super::counts::{count_in, InventoryCounts};
use super::users::settle_user_in;
use crate::store::{Millis, Store, StoreResult};

/// A folder waiting to be listed (or listed part-way: `marker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontierFolder {
    pub folder_id: String,
    pub walk_user_id: String,
    pub marker: Option<String>,
    pub path: Option<String>,
    pub has_collaborations: bool,
    pub attempts: u32,
    pub generation: i64,
}

/// A folder entry of a listing (or of `GET /folders/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListedFolder {
    pub folder_id: String,
    pub name: Option<String>,
    pub parent_id: Option<String>,
    pub path: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
    pub etag: Option<String>,
    pub shared_link: Option<String>,
    pub has_collaborations: Option<bool>,
    pub is_externally_owned: Option<bool>,
}

/// A folder as its row stood before a listing page updates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFolder {
    pub walk_generation: i64,
    pub walk_state: String,
    pub parent_id: Option<String>,
}

pub(crate) async fn upsert_listed_folder_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    f: &ListedFolder,
    walk_user_id: &str,
    generation: i64,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT INTO folders (connection_id, folder_id, name, parent_id, path, owner_id,
             owner_login, etag, shared_link, has_collaborations, is_externally_owned,
             walk_user_id, walk_state, walk_generation, discovered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (connection_id, folder_id) DO UPDATE SET
             name = excluded.name,
             parent_id = CASE WHEN excluded.parent_id IS NULL OR (
                     excluded.parent_id LIKE 'root:%' AND excluded.parent_id != 'root:' || excluded.owner_id
                     AND folders.parent_id IS NOT NULL
                     AND NOT (folders.parent_id LIKE 'root:%' AND folders.parent_id != 'root:' || folders.owner_id))
                 THEN folders.parent_id ELSE excluded.parent_id END,
             path = CASE WHEN excluded.path IS NULL OR (
                     excluded.parent_id LIKE 'root:%' AND excluded.parent_id != 'root:' || excluded.owner_id
                     AND folders.parent_id IS NOT NULL
                     AND NOT (folders.parent_id LIKE 'root:%' AND folders.parent_id != 'root:' || folders.owner_id))
                 THEN folders.path ELSE excluded.path END,
             owner_id = excluded.owner_id,
             owner_login = excluded.owner_login, etag = excluded.etag,
             shared_link = excluded.shared_link, has_collaborations = excluded.has_collaborations,
             is_externally_owned = excluded.is_externally_owned",
        connection_id,
        f.folder_id,
        f.name,
        f.parent_id,
        f.path,
        f.owner_id,
        f.owner_login,
        f.etag,
        f.shared_link,
        f.has_collaborations,
        f.is_externally_owned,
        walk_user_id,
        generation,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Who a folder lets in, as a comparable value: its link and its
/// collaborations.
pub(crate) async fn folder_reach_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    folder_id: &str,
) -> StoreResult<(Option<String>, Vec<String>)> {
    let link = sqlx::query_scalar!(
        "SELECT shared_link FROM folders WHERE connection_id = ? AND folder_id = ?",
        connection_id,
        folder_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    let grants = sqlx::query_scalar!(
        r#"SELECT collaboration_id || ':' || COALESCE(login, '') || ':' || COALESCE(role, '')
               || ':' || COALESCE(status, '') AS "grant!: String"
           FROM collaborations WHERE connection_id = ? AND item_type = 'folder' AND item_id = ?
           ORDER BY collaboration_id"#,
        connection_id,
        folder_id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((link, grants))
}

impl Store {
    /// The folders of `user_id`'s walk still to list in `generation`
    /// (interrupted ones with their marker).
    pub async fn frontier(
        &self,
        connection_id: &str,
        user_id: &str,
        generation: i64,
    ) -> StoreResult<Vec<FrontierFolder>> {
        let rows = sqlx::query!(
            r#"SELECT folder_id, walk_marker, path, has_collaborations AS "has_collaborations: bool",
                   walk_attempts
               FROM folders WHERE connection_id = ? AND walk_user_id = ?
                   AND walk_state IN ('pending', 'listing') AND walk_generation = ?
               ORDER BY folder_id"#,
            connection_id,
            user_id,
            generation
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| FrontierFolder {
                folder_id: r.folder_id,
                walk_user_id: user_id.to_owned(),
                marker: r.walk_marker,
                path: r.path,
                has_collaborations: r.has_collaborations.unwrap_or(false),
                attempts: r.walk_attempts.max(0) as u32,
                generation,
            })
            .collect())
    }

    /// A listing of `folder_id` failed: noted, kept pending for a retry, or
    /// 'failed' (visible, with the error) after `max_attempts`. Returns
    /// whether it is now 'failed'.
    pub async fn folder_failed(
        &self,
        connection_id: &str,
        folder: &FrontierFolder,
        error: String,
        max_attempts: u32,
    ) -> StoreResult<bool> {
        let data = (
            connection_id.to_owned(),
            folder.clone(),
            error,
            max_attempts as i64,
        );
        self.write(data, |(id, folder, error, max), conn| {
            Box::pin(async move {
                let failed = sqlx::query_scalar!(
                    r#"UPDATE folders SET walk_attempts = walk_attempts + 1, walk_error = ?,
                           walk_state = CASE WHEN walk_attempts + 1 >= ? THEN 'failed' ELSE walk_state END
                       WHERE connection_id = ? AND folder_id = ?
                       RETURNING walk_state = 'failed' AS "failed!: bool""#,
                    error,
                    max,
                    id,
                    folder.folder_id
                )
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or(false);
                if failed {
                    settle_user_in(conn, id, &folder.walk_user_id, folder.generation).await?;
                }
                Ok(failed)
            })
        })
        .await
    }

    /// Box says the folder is gone (404): its walk is over, with a note.
    pub async fn folder_gone(
        &self,
        connection_id: &str,
        folder: &FrontierFolder,
        now: Millis,
    ) -> StoreResult<()> {
        let data = (connection_id.to_owned(), folder.clone(), now);
        self.write(data, |(id, folder, now), conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    "UPDATE folders SET walk_state = 'done', walk_marker = NULL, listed_at = ?,
                         walk_error = 'Box answered 404: the folder no longer exists'
                     WHERE connection_id = ? AND folder_id = ? AND walk_state != 'done'",
                    now,
                    id,
                    folder.folder_id
                )
                .execute(&mut *conn)
                .await?
                .rows_affected() as i64;
                count_in(
                    conn,
                    id,
                    InventoryCounts {
                        folders_done: done,
                        ..Default::default()
                    },
                )
                .await?;
                settle_user_in(conn, id, &folder.walk_user_id, folder.generation).await?;
                Ok(())
            })
        })
        .await
    }
}
