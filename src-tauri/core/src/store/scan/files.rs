//! `files`: every file as Box listed (or returned) it, with what its last
//! scan saw.

use sqlx::sqlite::SqliteConnection;

use crate::store::{Millis, Store, StoreResult};

/// A file entry of a listing (or of `GET /files/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListedFile {
    pub file_id: String,
    pub name: Option<String>,
    pub parent_id: Option<String>,
    pub path: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
    pub etag: Option<String>,
    pub sha1: Option<String>,
    pub size: Option<i64>,
    pub modified_at: Option<Millis>,
    pub content_modified_at: Option<Millis>,
    /// The shared link as Box gave it (JSON text).
    pub shared_link: Option<String>,
    pub has_collaborations: Option<bool>,
    pub is_externally_owned: Option<bool>,
}

/// A file as its row stood before a listing page updates it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KnownFile {
    pub parent_id: Option<String>,
    pub etag: Option<String>,
    pub scanned_etag: Option<String>,
    pub last_scanned_at: Option<Millis>,
    pub walk_generation: i64,
}

/// A file as the inventory holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub file_id: String,
    pub name: Option<String>,
    pub path: Option<String>,
    pub owner_login: Option<String>,
    pub size: Option<i64>,
    pub sha1: Option<String>,
    pub etag: Option<String>,
    pub scanned_etag: Option<String>,
    /// JSON as Box gave it.
    pub shared_link: Option<String>,
    pub discovered_at: Millis,
    pub last_scanned_at: Option<Millis>,
    pub removed_at: Option<Millis>,
}

pub(crate) async fn parent_of_file_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    file_id: &str,
) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT parent_id FROM files WHERE connection_id = ? AND file_id = ?",
        connection_id,
        file_id
    )
    .fetch_one(&mut *conn)
    .await?)
}

pub(crate) async fn upsert_listed_file_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    f: &ListedFile,
    walk_user_id: Option<&str>,
    generation: i64,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT INTO files (connection_id, file_id, name, parent_id, path, owner_id, owner_login,
             etag, sha1, size, modified_at, content_modified_at, shared_link, has_collaborations,
             is_externally_owned, walk_user_id, walk_generation, discovered_at, listed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (connection_id, file_id) DO UPDATE SET
             name = excluded.name,
             parent_id = CASE WHEN excluded.parent_id IS NULL OR (
                     excluded.parent_id LIKE 'root:%' AND excluded.parent_id != 'root:' || excluded.owner_id
                     AND files.parent_id IS NOT NULL
                     AND NOT (files.parent_id LIKE 'root:%' AND files.parent_id != 'root:' || files.owner_id))
                 THEN files.parent_id ELSE excluded.parent_id END,
             path = CASE WHEN excluded.path IS NULL OR (
                     excluded.parent_id LIKE 'root:%' AND excluded.parent_id != 'root:' || excluded.owner_id
                     AND files.parent_id IS NOT NULL
                     AND NOT (files.parent_id LIKE 'root:%' AND files.parent_id != 'root:' || files.owner_id))
                 THEN files.path ELSE excluded.path END,
             owner_id = excluded.owner_id,
             owner_login = excluded.owner_login, etag = excluded.etag, sha1 = excluded.sha1,
             size = excluded.size, modified_at = excluded.modified_at,
             content_modified_at = excluded.content_modified_at,
             shared_link = excluded.shared_link, has_collaborations = excluded.has_collaborations,
             is_externally_owned = excluded.is_externally_owned,
             walk_user_id = COALESCE(excluded.walk_user_id, files.walk_user_id),
             walk_generation = MAX(files.walk_generation, excluded.walk_generation),
             listed_at = excluded.listed_at, removed_at = NULL",
        connection_id,
        f.file_id,
        f.name,
        f.parent_id,
        f.path,
        f.owner_id,
        f.owner_login,
        f.etag,
        f.sha1,
        f.size,
        f.modified_at,
        f.content_modified_at,
        f.shared_link,
        f.has_collaborations,
        f.is_externally_owned,
        walk_user_id,
        generation,
        now,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn file_record(
        &self,
        connection_id: &str,
        file_id: &str,
    ) -> StoreResult<Option<FileRecord>> {
        let row = sqlx::query!(
            r#"SELECT file_id, name, path, owner_login, size, sha1, etag, scanned_etag, shared_link,
                      discovered_at AS "discovered_at: Millis",
                      last_scanned_at AS "last_scanned_at: Millis",
                      removed_at AS "removed_at: Millis"
               FROM files WHERE connection_id = ?1 AND file_id = ?2"#,
            connection_id,
            file_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.map(|r| FileRecord {
            file_id: r.file_id,
            name: r.name,
            path: r.path,
            owner_login: r.owner_login,
            size: r.size,
            sha1: r.sha1,
            etag: r.etag,
            scanned_etag: r.scanned_etag,
            shared_link: r.shared_link,
            discovered_at: r.discovered_at,
            last_scanned_at: r.last_scanned_at,
            removed_at: r.removed_at,
        }))
    }
}
