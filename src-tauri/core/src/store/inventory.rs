//! The scan's inventory: managed users, the folder frontier, files and
//! collaborations as Box listed them, and what each scan of an item found.
//!
//! Every save that moves the scan forward is ONE transaction together with
//! the queue change it implies (`queue::enqueue_in` / `queue::complete_in`),
//! so a crash (`kill -9`) between two pages re-does at most the page that
//! was in flight, and a page is never half saved. The `scan_counts`
//! counters this module owns (users_total/done, folders_total/done,
//! files_discovered/scanned) move in the same transactions, by
//! `rows_affected`, so they stay exact.

use std::collections::HashMap;

use sqlx::sqlite::SqliteConnection;

use super::findings::{self, FolderCache, InspectDelta};
use crate::inspect::content::FileInspection;
use super::queue::{self, priority, Claimed, Enqueue, ItemKind, QueueReason};
use super::{Millis, Store, StoreResult};
use crate::inspect::findings::FindingPolicy;
use crate::inspect::isolation::EXTRACTOR_VERSION;

/// The frontier id of a user's root folder: Box calls every user's root
/// "0", so the row is keyed by the user.
pub fn root_folder_id(user_id: &str) -> String {
    format!("root:{user_id}")
}

/// The id to send to Box for a frontier folder id.
pub fn api_folder_id(folder_id: &str) -> &str {
    if folder_id.starts_with("root:") {
        "0"
    } else {
        folder_id
    }
}

/// The scan's own state for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRunState {
    /// The admin paused the scan (the app or the CLI): no requests go out.
    pub paused: bool,
    pub generation: i64,
    pub users_marker: Option<String>,
    pub users_listed_at: Option<Millis>,
    pub started_at: Millis,
    pub full_scan_completed_at: Option<Millis>,
    pub connected_role: Option<String>,
    pub generation_started_at: Option<Millis>,
    pub generation_done_at: Option<Millis>,
}

/// A managed user as the users listing gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUser {
    pub user_id: String,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    /// Set when this connection may not walk the user's content.
    pub skip_reason: Option<String>,
}

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

/// One collaboration on an item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CollabRecord {
    pub collaboration_id: String,
    pub grantee_type: Option<String>,
    pub grantee_id: Option<String>,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub expires_at: Option<Millis>,
    pub created_at: Option<Millis>,
}

/// One page of a folder listing, to save with everything it implies.
#[derive(Debug, Clone)]
pub struct ListingPage {
    pub folder_id: String,
    pub walk_user_id: String,
    pub generation: i64,
    pub files: Vec<ListedFile>,
    pub folders: Vec<ListedFolder>,
    /// The folder's own collaborations, fetched before its first page.
    pub folder_collaborations: Option<Vec<CollabRecord>>,
    /// `None`: this was the folder's last page.
    pub next_marker: Option<String>,
    pub now: Millis,
    /// Files scanned before this instant and unchanged are queued for a
    /// periodic rescan (`None`: no periodic rescans).
    pub rescan_before: Option<Millis>,
    /// The finding rules, for files whose place in the tree this page
    /// corrects (their exposure is judged again).
    pub policy: std::sync::Arc<FindingPolicy>,
    /// What the page queues and walks.
    pub rules: ListingRules,
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

/// A folder as its row stood before a listing page updates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFolder {
    pub walk_generation: i64,
    pub walk_state: String,
    pub parent_id: Option<String>,
}

/// Whether a listed sub-folder joins this generation's walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderWalk {
    /// Never seen: a new folder to list.
    New,
    /// Listed in an earlier generation: listed again, by this walk's user
    /// (`was_done`: it counted as done until now).
    Again { was_done: bool },
    /// Already on this generation's frontier (another tree reached it first).
    AlreadyQueued,
}

/// The scan's rules for a listing page (`scan::queueing`), as pure
/// functions of what the store held and what Box listed. The store reads
/// the rows and applies them inside the page's transaction, so deciding
/// and saving stay one step (and the store does not depend on the scan).
#[derive(Debug, Clone, Copy)]
pub struct ListingRules {
    /// What to enqueue for a listed file, if anything (`known`: its row
    /// before this page; `rescan_before`: see [`ListingPage`]).
    pub queue_file: fn(
        known: Option<&KnownFile>,
        listed: &ListedFile,
        generation: i64,
        rescan_before: Option<Millis>,
    ) -> Option<Enqueue>,
    /// Whether a listed sub-folder is walked in `generation`.
    pub walk_folder: fn(known: Option<&KnownFolder>, generation: i64) -> FolderWalk,
}

/// What saving a page changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageSaved {
    /// Sub-folders this walk must now list (new, or met for the first time
    /// in this generation).
    pub new_folders: Vec<FrontierFolder>,
    pub files_enqueued: u64,
    /// The folder's walk user has no folder left to list.
    pub user_done: bool,
}

/// What the scan of one claimed item found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// A file scanned: `fresh` when it was fetched (else the listing's data
    /// stands); `collaborations` when Box said it has some.
    File {
        fresh: Option<ListedFile>,
        collaborations: Option<Vec<CollabRecord>>,
        /// What its content came to; `None` when content was not looked at
        /// (exposure is derived either way).
        inspection: Option<FileInspection>,
    },
    /// A folder re-read.
    Folder {
        fresh: ListedFolder,
        collaborations: Option<Vec<CollabRecord>>,
    },
    /// Box says it no longer exists (404).
    Removed,
    /// Not scanned, on purpose (e.g. another admin's file on a co-admin
    /// connection): done, with the reason in its history.
    Skipped(String),
}

/// What the scanner knows about a queued item before scanning it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemContext {
    /// The row exists and a listing (or fetch) filled it.
    pub listed: bool,
    pub owner_id: Option<String>,
    pub walk_user_id: Option<String>,
    pub etag: Option<String>,
    pub has_collaborations: bool,
    /// Files: what the content inspection needs from the listing.
    pub name: Option<String>,
    pub sha1: Option<String>,
    pub size: Option<i64>,
    /// The content the file's findings stand on, and whether it was read.
    pub inspected_sha1: Option<String>,
    pub inspect_state: Option<String>,
    /// Owned outside the enterprise: Box refuses `as-user` of its owner,
    /// so it is read as the user whose tree reached it.
    pub externally_owned: bool,
}

impl ItemContext {
    /// The owner, when the connection may act as them: an owner outside
    /// the enterprise is no managed user, and Box refuses `as-user` for one.
    pub fn managed_owner(&self) -> Option<String> {
        self.owner_id.clone().filter(|_| !self.externally_owned)
    }
}

/// The full scan's counters this module keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InventoryCounts {
    pub users_total: i64,
    pub users_done: i64,
    pub folders_total: i64,
    pub folders_done: i64,
    pub files_discovered: i64,
    pub files_scanned: i64,
}

fn minute_of(at: Millis) -> i64 {
    at.as_millis().div_euclid(60_000)
}

async fn ensure_counts_in(conn: &mut SqliteConnection, connection_id: &str) -> StoreResult<()> {
    sqlx::query!(
        "INSERT OR IGNORE INTO scan_counts (connection_id) VALUES (?)",
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds to the counters (negative to take away).
async fn count_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    delta: InventoryCounts,
) -> StoreResult<()> {
    if delta == InventoryCounts::default() {
        return Ok(());
    }
    ensure_counts_in(conn, connection_id).await?;
    sqlx::query!(
        "UPDATE scan_counts SET users_total = users_total + ?, users_done = users_done + ?,
             folders_total = folders_total + ?, folders_done = folders_done + ?,
             files_discovered = files_discovered + ?, files_scanned = files_scanned + ?
         WHERE connection_id = ?",
        delta.users_total,
        delta.users_done,
        delta.folders_total,
        delta.folders_done,
        delta.files_discovered,
        delta.files_scanned,
        connection_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn minute_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    at: Millis,
    files_scanned: i64,
    folders_listed: i64,
) -> StoreResult<()> {
    if files_scanned == 0 && folders_listed == 0 {
        return Ok(());
    }
    let minute = minute_of(at);
    sqlx::query!(
        "INSERT INTO scan_minutes (connection_id, minute, files_scanned, folders_listed)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (connection_id, minute) DO UPDATE SET
             files_scanned = files_scanned + excluded.files_scanned,
             folders_listed = folders_listed + excluded.folders_listed",
        connection_id,
        minute,
        files_scanned,
        folders_listed
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces an item's collaborations with `collabs`.
async fn replace_collaborations_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    item_type: &str,
    item_id: &str,
    collabs: &[CollabRecord],
    now: Millis,
) -> StoreResult<()> {
    sqlx::query!(
        "DELETE FROM collaborations WHERE connection_id = ? AND item_type = ? AND item_id = ?",
        connection_id,
        item_type,
        item_id
    )
    .execute(&mut *conn)
    .await?;
    for c in collabs {
        sqlx::query!(
            "INSERT OR REPLACE INTO collaborations (connection_id, collaboration_id, item_type,
                 item_id, grantee_type, grantee_id, login, name, role, status, expires_at,
                 created_at, seen_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            connection_id,
            c.collaboration_id,
            item_type,
            item_id,
            c.grantee_type,
            c.grantee_id,
            c.login,
            c.name,
            c.role,
            c.status,
            c.expires_at,
            c.created_at,
            now
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Marks the user's walk done if no folder of theirs is left to list in
/// `generation`. Returns whether it changed now.
async fn settle_user_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    user_id: &str,
    generation: i64,
) -> StoreResult<bool> {
    let left = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM folders WHERE connection_id = ? AND walk_user_id = ?
               AND walk_state IN ('pending', 'listing') AND walk_generation = ?) AS "left!: bool""#,
        connection_id,
        user_id,
        generation
    )
    .fetch_one(&mut *conn)
    .await?;
    if left {
        return Ok(false);
    }
    let done = sqlx::query!(
        "UPDATE scan_users SET walk_state = 'done'
         WHERE connection_id = ? AND user_id = ? AND walk_state IN ('pending', 'walking')",
        connection_id,
        user_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    count_in(
        conn,
        connection_id,
        InventoryCounts {
            users_done: done,
            ..Default::default()
        },
    )
    .await?;
    Ok(done > 0)
}


async fn parent_of_file_in(
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

async fn upsert_listed_file_in(
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

async fn upsert_listed_folder_in(
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

/// Saves one listing page (see the module header): files and sub-folders
/// upserted, new and changed files queued, the folder's marker or its end.
pub(crate) async fn save_listing_page_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    page: &ListingPage,
) -> StoreResult<PageSaved> {
    let now = page.now;
    let generation = page.generation;
    let mut delta = InventoryCounts::default();
    let mut saved = PageSaved::default();
    let mut enqueue = Vec::new();
    // First: the entries below are judged with the folder's collaborators.
    if let Some(collabs) = &page.folder_collaborations {
        replace_collaborations_in(conn, connection_id, "folder", &page.folder_id, collabs, now)
            .await?;
    }
    for f in &page.files {
        let known = sqlx::query_as!(
            KnownFile,
            r#"SELECT parent_id, etag, scanned_etag, last_scanned_at AS "last_scanned_at: Millis",
                   walk_generation FROM files WHERE connection_id = ? AND file_id = ?"#,
            connection_id,
            f.file_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        let queued = (page.rules.queue_file)(known.as_ref(), f, generation, page.rescan_before);
        if known.is_none() {
            delta.files_discovered += 1;
        }
        upsert_listed_file_in(
            conn,
            connection_id,
            f,
            Some(&page.walk_user_id),
            generation,
            now,
        )
        .await?;
        if let Some(k) = known.as_ref().filter(|k| k.last_scanned_at.is_some()) {
            if parent_of_file_in(conn, connection_id, &f.file_id).await? != k.parent_id {
                // Its real place in the tree (its owner's listing) came after
                // a collaborator's: what reaches it is judged again.
                findings::refresh_file_findings_in(
                    conn,
                    connection_id,
                    &f.file_id,
                    None,
                    &page.policy,
                    now,
                    &mut FolderCache::default(),
                )
                .await?;
            }
        }
        enqueue.extend(queued);
    }
    for d in &page.folders {
        let known = sqlx::query_as!(
            KnownFolder,
            "SELECT walk_generation, walk_state, parent_id FROM folders
             WHERE connection_id = ? AND folder_id = ?",
            connection_id,
            d.folder_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        upsert_listed_folder_in(conn, connection_id, d, &page.walk_user_id, generation, now)
            .await?;
        if let Some(k) = &known {
            let parent = sqlx::query_scalar!(
                "SELECT parent_id FROM folders WHERE connection_id = ? AND folder_id = ?",
                connection_id,
                d.folder_id
            )
            .fetch_one(&mut *conn)
            .await?;
            if parent != k.parent_id {
                // Moved to its real place (see above): everything under it too.
                findings::refresh_under_folder_in(
                    conn,
                    connection_id,
                    &d.folder_id,
                    None,
                    &page.policy,
                    now,
                )
                .await?;
            }
        }
        let to_walk = match (page.rules.walk_folder)(known.as_ref(), generation) {
            FolderWalk::New => {
                delta.folders_total += 1;
                true
            }
            FolderWalk::Again { was_done } => {
                sqlx::query!(
                    "UPDATE folders SET walk_state = 'pending', walk_marker = NULL,
                         walk_generation = ?, walk_user_id = ?, walk_attempts = 0, walk_error = NULL
                     WHERE connection_id = ? AND folder_id = ?",
                    generation,
                    page.walk_user_id,
                    connection_id,
                    d.folder_id
                )
                .execute(&mut *conn)
                .await?;
                if was_done {
                    delta.folders_done -= 1;
                }
                true
            }
            FolderWalk::AlreadyQueued => false,
        };
        if to_walk {
            saved.new_folders.push(FrontierFolder {
                folder_id: d.folder_id.clone(),
                walk_user_id: page.walk_user_id.clone(),
                marker: None,
                path: d.path.clone(),
                has_collaborations: d.has_collaborations.unwrap_or(false),
                attempts: 0,
                generation,
            });
        }
    }
    match &page.next_marker {
        Some(marker) => {
            sqlx::query!(
                "UPDATE folders SET walk_state = 'listing', walk_marker = ?, walk_attempts = 0,
                     walk_error = NULL
                 WHERE connection_id = ? AND folder_id = ?",
                marker,
                connection_id,
                page.folder_id
            )
            .execute(&mut *conn)
            .await?;
        }
        None => {
            let done = sqlx::query!(
                "UPDATE folders SET walk_state = 'done', walk_marker = NULL, walk_attempts = 0,
                     walk_error = NULL, listed_at = ?
                 WHERE connection_id = ? AND folder_id = ? AND walk_state != 'done'",
                now,
                connection_id,
                page.folder_id
            )
            .execute(&mut *conn)
            .await?
            .rows_affected() as i64;
            delta.folders_done += done;
            minute_in(conn, connection_id, now, 0, done).await?;
        }
    }
    if !enqueue.is_empty() {
        saved.files_enqueued = queue::enqueue_in(conn, connection_id, &enqueue, now).await?;
    }
    count_in(conn, connection_id, delta).await?;
    if page.next_marker.is_none() {
        saved.user_done =
            settle_user_in(conn, connection_id, &page.walk_user_id, generation).await?;
    }
    Ok(saved)
}

async fn save_scanned_file_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    claimed: &Claimed,
    fresh: &Option<ListedFile>,
    collaborations: &Option<Vec<CollabRecord>>,
    now: Millis,
    delta: &mut InventoryCounts,
) -> StoreResult<Option<i64>> {
    let id = &claimed.item_id;
    let before = sqlx::query!(
        r#"SELECT last_scanned_at AS "last_scanned_at: Millis" FROM files
           WHERE connection_id = ? AND file_id = ?"#,
        connection_id,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(f) = fresh {
        if before.is_none() {
            delta.files_discovered += 1;
        }
        upsert_listed_file_in(conn, connection_id, f, None, 0, now).await?;
    } else if before.is_none() {
        // Nothing to scan from: the caller fetches files it has no row for.
        return Ok(None);
    }
    if let Some(collabs) = collaborations {
        replace_collaborations_in(conn, connection_id, "file", id, collabs, now).await?;
    } else {
        sqlx::query!(
            "DELETE FROM collaborations WHERE connection_id = ? AND item_type = 'file' AND item_id = ?",
            connection_id,
            id
        )
        .execute(&mut *conn)
        .await?;
    }
    let etag = sqlx::query_scalar!(
        "UPDATE files SET scanned_etag = etag, last_scanned_at = ?
         WHERE connection_id = ? AND file_id = ? RETURNING etag",
        now,
        connection_id,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if before.is_none_or(|b| b.last_scanned_at.is_none()) {
        delta.files_scanned += 1;
    }
    let reason = claimed.reason.as_str();
    let detail = claimed.reason_detail.as_deref();
    let scan_id = sqlx::query_scalar!(
        "INSERT INTO item_scans (connection_id, item_type, item_id, at, outcome, reason, etag, detail)
         VALUES (?, 'file', ?, ?, 'scanned', ?, ?, ?) RETURNING id",
        connection_id,
        id,
        now,
        reason,
        etag,
        detail
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(scan_id))
}

/// Saves what the scans of `claimed` found (`outcomes[i]` for `claimed[i]`)
/// and completes their queue rows, in the caller's transaction.
pub(crate) async fn save_scanned_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    claimed: &[Claimed],
    outcomes: &[ScanOutcome],
    policy: &FindingPolicy,
    now: Millis,
) -> StoreResult<()> {
    let mut delta = InventoryCounts::default();
    let mut inspected = InspectDelta::default();
    let mut folders = FolderCache::default();
    let mut files_scanned = 0i64;
    for (item, outcome) in claimed.iter().zip(outcomes) {
        let id = &item.item_id;
        let reason = item.reason.as_str();
        let kind = item.item.as_str();
        match outcome {
            ScanOutcome::File {
                fresh,
                collaborations,
                inspection,
            } => {
                let scan_id = save_scanned_file_in(
                    conn,
                    connection_id,
                    item,
                    fresh,
                    collaborations,
                    now,
                    &mut delta,
                )
                .await?;
                files_scanned += 1;
                if let Some(scan_id) = scan_id {
                    match inspection {
                        Some(inspection) => {
                            findings::record_inspection_in(
                                conn,
                                connection_id,
                                id,
                                inspection,
                                Some(scan_id),
                                policy,
                                now,
                                &mut inspected,
                                &mut folders,
                            )
                            .await?
                        }
                        None => {
                            findings::refresh_file_findings_in(
                                conn,
                                connection_id,
                                id,
                                Some(scan_id),
                                policy,
                                now,
                                &mut folders,
                            )
                            .await?;
                        }
                    }
                }
            }
            ScanOutcome::Folder {
                fresh,
                collaborations,
            } => {
                let reach_before = folder_reach_in(conn, connection_id, id).await?;
                sqlx::query!(
                    "UPDATE folders SET name = ?, etag = ?, shared_link = ?, has_collaborations = ?,
                         is_externally_owned = ?, owner_id = COALESCE(?, owner_id),
                         owner_login = COALESCE(?, owner_login)
                     WHERE connection_id = ? AND folder_id = ?",
                    fresh.name,
                    fresh.etag,
                    fresh.shared_link,
                    fresh.has_collaborations,
                    fresh.is_externally_owned,
                    fresh.owner_id,
                    fresh.owner_login,
                    connection_id,
                    id
                )
                .execute(&mut *conn)
                .await?;
                let collabs = collaborations.as_deref().unwrap_or_default();
                replace_collaborations_in(conn, connection_id, "folder", id, collabs, now).await?;
                let scan_id = sqlx::query_scalar!(
                    "INSERT INTO item_scans (connection_id, item_type, item_id, at, outcome, reason, etag)
                     VALUES (?, 'folder', ?, ?, 'scanned', ?, ?) RETURNING id",
                    connection_id,
                    id,
                    now,
                    reason,
                    fresh.etag
                )
                .fetch_one(&mut *conn)
                .await?;
                // Only a change in who the folder reaches touches the files
                // under it (a periodic rescan of a big folder costs nothing).
                if folder_reach_in(conn, connection_id, id).await? != reach_before {
                    findings::refresh_under_folder_in(
                        conn,
                        connection_id,
                        id,
                        Some(scan_id),
                        policy,
                        now,
                    )
                    .await?;
                    folders = FolderCache::default();
                }
            }
            ScanOutcome::Removed => {
                if matches!(item.item, ItemKind::File) {
                    sqlx::query!(
                        "UPDATE files SET removed_at = ? WHERE connection_id = ? AND file_id = ?",
                        now,
                        connection_id,
                        id
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                let scan_id = sqlx::query_scalar!(
                    "INSERT INTO item_scans (connection_id, item_type, item_id, at, outcome, reason, detail)
                     VALUES (?, ?, ?, ?, 'removed', ?, 'Box answered 404: it no longer exists')
                     RETURNING id",
                    connection_id,
                    kind,
                    id,
                    now,
                    reason
                )
                .fetch_one(&mut *conn)
                .await?;
                if matches!(item.item, ItemKind::File) {
                    // Removed: every finding it had closes.
                    findings::refresh_file_findings_in(
                        conn,
                        connection_id,
                        id,
                        Some(scan_id),
                        policy,
                        now,
                        &mut folders,
                    )
                    .await?;
                }
            }
            ScanOutcome::Skipped(why) => {
                sqlx::query!(
                    "INSERT INTO item_scans (connection_id, item_type, item_id, at, outcome, reason, detail)
                     VALUES (?, ?, ?, ?, 'failed', ?, ?)",
                    connection_id,
                    kind,
                    id,
                    now,
                    reason,
                    why
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    minute_in(conn, connection_id, now, files_scanned, 0).await?;
    count_in(conn, connection_id, delta).await?;
    findings::count_inspections_in(conn, connection_id, inspected, now).await?;
    queue::complete_in(conn, connection_id, claimed).await?;
    Ok(())
}

/// Who a folder lets in, as a comparable value: its link and its
/// collaborations.
async fn folder_reach_in(
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
    /// The scan's state, `None` before the first run.
    pub async fn scan_run_state(&self, connection_id: &str) -> StoreResult<Option<ScanRunState>> {
        let row = sqlx::query_as!(
            ScanRunState,
            r#"SELECT paused AS "paused: bool", generation, users_marker, users_listed_at AS "users_listed_at: Millis",
                   started_at AS "started_at: Millis",
                   full_scan_completed_at AS "full_scan_completed_at: Millis", connected_role,
                   generation_started_at AS "generation_started_at: Millis",
                   generation_done_at AS "generation_done_at: Millis"
               FROM scan_state WHERE connection_id = ?"#,
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    /// Creates the scan's state on the first run and records who is
    /// connected (a co-admin's scan skips other admins' content).
    pub async fn begin_scan(
        &self,
        connection_id: &str,
        connected_role: Option<String>,
        now: Millis,
    ) -> StoreResult<ScanRunState> {
        let data = (connection_id.to_owned(), connected_role, now);
        self.write(data, |(id, role, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO scan_state (connection_id, started_at, generation_started_at, updated_at)
                     VALUES (?, ?, ?, ?) ON CONFLICT (connection_id) DO NOTHING",
                    id,
                    now,
                    now,
                    now
                )
                .execute(&mut *conn)
                .await?;
                // The row may have been made by a pause before any scan ran.
                sqlx::query!(
                    "UPDATE scan_state SET connected_role = ?, updated_at = ?,
                         generation_started_at = COALESCE(generation_started_at, ?)
                     WHERE connection_id = ?",
                    role,
                    now,
                    now,
                    id
                )
                .execute(&mut *conn)
                .await?;
                ensure_counts_in(conn, id).await
            })
        })
        .await?;
        Ok(self
            .scan_run_state(connection_id)
            .await?
            .expect("the scan state was just written"))
    }

    /// Saves one page of managed users and the listing's next marker (or
    /// its end) in one transaction; each new user's root joins the frontier.
    pub async fn save_users_page(
        &self,
        connection_id: &str,
        users: Vec<ListedUser>,
        next_marker: Option<String>,
        generation: i64,
        now: Millis,
    ) -> StoreResult<()> {
        let data = (
            connection_id.to_owned(),
            users,
            next_marker,
            generation,
            now,
        );
        self.write(data, |(id, users, marker, generation, now), conn| {
            Box::pin(async move {
                let mut delta = InventoryCounts::default();
                for u in users {
                    let state = if u.skip_reason.is_some() {
                        "skipped"
                    } else {
                        "pending"
                    };
                    let added = sqlx::query!(
                        "INSERT INTO scan_users (connection_id, user_id, login, name, role, status,
                             walk_state, skip_reason, generation)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        id,
                        u.user_id,
                        u.login,
                        u.name,
                        u.role,
                        u.status,
                        state,
                        u.skip_reason,
                        generation
                    )
                    .execute(&mut *conn)
                    .await?
                    .rows_affected() as i64;
                    delta.users_total += added;
                    if added == 0 {
                        continue;
                    }
                    if u.skip_reason.is_some() {
                        delta.users_done += 1;
                        continue;
                    }
                    let root = root_folder_id(&u.user_id);
                    delta.folders_total += sqlx::query!(
                        "INSERT INTO folders (connection_id, folder_id, name, path, owner_id,
                             owner_login, walk_user_id, walk_state, walk_generation, discovered_at)
                         VALUES (?, ?, 'All Files', 'All Files', ?, ?, ?, 'pending', ?, ?)
                         ON CONFLICT DO NOTHING",
                        id,
                        root,
                        u.user_id,
                        u.login,
                        u.user_id,
                        generation,
                        now
                    )
                    .execute(&mut *conn)
                    .await?
                    .rows_affected() as i64;
                }
                let listed_at = marker.is_none().then_some(*now);
                sqlx::query!(
                    "UPDATE scan_state SET users_marker = ?, users_listed_at = ?, updated_at = ?
                     WHERE connection_id = ?",
                    marker,
                    listed_at,
                    now,
                    id
                )
                .execute(&mut *conn)
                .await?;
                count_in(conn, id, delta).await
            })
        })
        .await
    }

    /// Users whose walk is not finished in `generation`.
    pub async fn users_to_walk(
        &self,
        connection_id: &str,
        generation: i64,
    ) -> StoreResult<Vec<String>> {
        let rows = sqlx::query_scalar!(
            "SELECT user_id FROM scan_users WHERE connection_id = ? AND generation = ?
                 AND walk_state IN ('pending', 'walking') ORDER BY user_id",
            connection_id,
            generation
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// Users this connection does not walk, with why.
    pub async fn skipped_users(&self, connection_id: &str) -> StoreResult<HashMap<String, String>> {
        let rows = sqlx::query!(
            r#"SELECT user_id, skip_reason AS "skip_reason!" FROM scan_users
               WHERE connection_id = ? AND walk_state = 'skipped'"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| (r.user_id, r.skip_reason))
            .collect())
    }

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

    /// Settles a user with nothing (left) to list.
    pub async fn settle_user(
        &self,
        connection_id: &str,
        user_id: &str,
        generation: i64,
    ) -> StoreResult<bool> {
        let data = (connection_id.to_owned(), user_id.to_owned(), generation);
        self.write(data, |(id, user, generation), conn| {
            Box::pin(settle_user_in(conn, id, user, *generation))
        })
        .await
    }

    /// Saves one listing page with everything it implies (one transaction).
    pub async fn save_listing_page(
        &self,
        connection_id: &str,
        page: ListingPage,
    ) -> StoreResult<PageSaved> {
        self.write((connection_id.to_owned(), page), |(id, page), conn| {
            Box::pin(save_listing_page_in(conn, id, page))
        })
        .await
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

    /// What the store knows about queued items (files and folders), by id.
    pub async fn item_contexts(
        &self,
        connection_id: &str,
        items: &[Claimed],
    ) -> StoreResult<HashMap<(&'static str, String), ItemContext>> {
        let mut out = HashMap::new();
        let mut conn = self.noted(self.pool().acquire().await)?;
        for c in items {
            let ctx = match c.item {
                ItemKind::File => {
                    let row = sqlx::query!(
                        r#"SELECT owner_id, walk_user_id, etag, listed_at AS "listed_at: Millis",
                               has_collaborations AS "has_collaborations: bool", name, sha1, size,
                               inspected_sha1, inspect_state,
                               is_externally_owned AS "is_externally_owned: bool"
                           FROM files WHERE connection_id = ? AND file_id = ?"#,
                        connection_id,
                        c.item_id
                    )
                    .fetch_optional(&mut *conn)
                    .await;
                    self.noted(row)?.map(|r| ItemContext {
                        listed: r.listed_at.is_some() && r.etag.is_some(),
                        owner_id: r.owner_id,
                        walk_user_id: r.walk_user_id,
                        etag: r.etag,
                        has_collaborations: r.has_collaborations.unwrap_or(false),
                        name: r.name,
                        sha1: r.sha1,
                        size: r.size,
                        inspected_sha1: r.inspected_sha1,
                        inspect_state: r.inspect_state,
                        externally_owned: r.is_externally_owned.unwrap_or(false),
                    })
                }
                ItemKind::Folder => {
                    let row = sqlx::query!(
                        r#"SELECT owner_id, walk_user_id, etag,
                               has_collaborations AS "has_collaborations: bool",
                               is_externally_owned AS "is_externally_owned: bool"
                           FROM folders WHERE connection_id = ? AND folder_id = ?"#,
                        connection_id,
                        c.item_id
                    )
                    .fetch_optional(&mut *conn)
                    .await;
                    self.noted(row)?.map(|r| ItemContext {
                        listed: true,
                        owner_id: r.owner_id,
                        walk_user_id: Some(r.walk_user_id),
                        etag: r.etag,
                        has_collaborations: r.has_collaborations.unwrap_or(false),
                        externally_owned: r.is_externally_owned.unwrap_or(false),
                        ..ItemContext::default()
                    })
                }
            };
            out.insert(
                (c.item.as_str(), c.item_id.clone()),
                ctx.unwrap_or_default(),
            );
        }
        Ok(out)
    }

    /// Whether a content with this sha1 has a verdict from the current
    /// readers (read or not): one from an older reader is read again.
    pub async fn content_known(&self, connection_id: &str, sha1: &str) -> StoreResult<bool> {
        let row = sqlx::query_scalar!(
            r#"SELECT 1 AS "known!: i64" FROM content_results
               WHERE connection_id = ? AND sha1 = ? AND extractor_version >= ?"#,
            connection_id,
            sha1,
            EXTRACTOR_VERSION
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.is_some())
    }

    /// The login domains of the enterprise's users (lower case).
    pub async fn enterprise_domains(&self, connection_id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query_scalar!(
            r#"SELECT DISTINCT lower(substr(login, instr(login, '@') + 1)) AS "domain!: String"
               FROM scan_users WHERE connection_id = ? AND instr(login, '@') > 0"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// The owner of the item an event touched, as the event said.
    pub async fn event_owner(
        &self,
        connection_id: &str,
        event_id: &str,
    ) -> StoreResult<Option<String>> {
        let owner = sqlx::query_scalar!(
            "SELECT owner_id FROM events WHERE connection_id = ? AND event_id = ?",
            connection_id,
            event_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(owner)?.flatten())
    }

    /// Whether live events wait for the queue to act on them.
    pub async fn event_effects_pending(&self, connection_id: &str) -> StoreResult<bool> {
        let pending = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM events WHERE connection_id = ? AND pending_effect = 1)
                   AS "pending!: bool""#,
            connection_id
        )
        .fetch_one(self.pool())
        .await;
        self.noted(pending)
    }

    /// Saves the scans of claimed items and completes their queue rows in
    /// one transaction.
    pub async fn save_scanned(
        &self,
        connection_id: &str,
        claimed: Vec<Claimed>,
        outcomes: Vec<ScanOutcome>,
        policy: std::sync::Arc<FindingPolicy>,
        now: Millis,
    ) -> StoreResult<()> {
        if claimed.is_empty() {
            return Ok(());
        }
        self.write(
            (connection_id.to_owned(), claimed, outcomes, policy, now),
            |(id, claimed, outcomes, policy, now), conn| {
                Box::pin(save_scanned_in(conn, id, claimed, outcomes, policy, *now))
            },
        )
        .await
    }

    /// The current generation's walk is over (users listed, trees walked,
    /// queue drained): noted once, and the first time as the full scan's end.
    pub async fn generation_done(&self, connection_id: &str, now: Millis) -> StoreResult<()> {
        self.write((connection_id.to_owned(), now), |(id, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "UPDATE scan_state SET generation_done_at = COALESCE(generation_done_at, ?),
                         full_scan_completed_at = COALESCE(full_scan_completed_at, ?), updated_at = ?
                     WHERE connection_id = ?",
                    now,
                    now,
                    now,
                    id
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Starts the next walk generation (a periodic rescan): users are
    /// listed again and every walked user's root is pending again; folders
    /// are re-listed as the walk reaches them.
    pub async fn start_generation(&self, connection_id: &str, now: Millis) -> StoreResult<i64> {
        self.write((connection_id.to_owned(), now), |(id, now), conn| {
            Box::pin(async move {
                let generation = sqlx::query_scalar!(
                    "UPDATE scan_state SET generation = generation + 1, users_marker = NULL,
                         users_listed_at = NULL, generation_started_at = ?,
                         generation_done_at = NULL, updated_at = ?
                     WHERE connection_id = ? RETURNING generation",
                    now,
                    now,
                    id
                )
                .fetch_one(&mut *conn)
                .await?;
                let undone = sqlx::query!(
                    "UPDATE scan_users SET walk_state = 'pending', generation = ?
                     WHERE connection_id = ? AND walk_state = 'done'",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?
                .rows_affected() as i64;
                sqlx::query!(
                    "UPDATE scan_users SET generation = ? WHERE connection_id = ?",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?;
                let roots_undone = sqlx::query!(
                    "UPDATE folders SET walk_state = 'pending', walk_marker = NULL,
                         walk_generation = ?, walk_attempts = 0, walk_error = NULL
                     WHERE connection_id = ? AND folder_id LIKE 'root:%' AND walk_state = 'done'",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?
                .rows_affected() as i64;
                sqlx::query!(
                    "UPDATE folders SET walk_state = 'pending', walk_marker = NULL,
                         walk_generation = ?, walk_attempts = 0, walk_error = NULL
                     WHERE connection_id = ? AND folder_id LIKE 'root:%'",
                    generation,
                    id
                )
                .execute(&mut *conn)
                .await?;
                count_in(
                    conn,
                    id,
                    InventoryCounts {
                        users_done: -undone,
                        folders_done: -roots_undone,
                        ..Default::default()
                    },
                )
                .await?;
                Ok(generation)
            })
        })
        .await
    }

    /// The counters this module keeps.
    pub async fn inventory_counts(&self, connection_id: &str) -> StoreResult<InventoryCounts> {
        let row = sqlx::query_as!(
            InventoryCounts,
            "SELECT users_total, users_done, folders_total, folders_done, files_discovered,
                 files_scanned FROM scan_counts WHERE connection_id = ?",
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.unwrap_or_default())
    }
}
