//! A folder listing's page, saved with everything it implies in one
//! transaction: files and sub-folders upserted, what the scan's rules
//! ([`ListingRules`]) queue and walk, the folder's marker or its end.

use sqlx::sqlite::SqliteConnection;

use super::collaborations::replace_collaborations_in;
use super::counts::{count_in, minute_in, InventoryCounts};
use super::files::{parent_of_file_in, upsert_listed_file_in, KnownFile, ListedFile};
use super::folders::{upsert_listed_folder_in, FrontierFolder, KnownFolder, ListedFolder};
use super::users::settle_user_in;
use super::CollaborationRecord;
use crate::inspect::findings::FindingPolicy;
use crate::store::findings::{self, FolderCache};
use crate::store::queue::{self, Enqueue};
use crate::store::{Millis, Store, StoreResult};

/// One page of a folder listing, to save with everything it implies.
#[derive(Debug, Clone)]
pub struct ListingPage {
    pub folder_id: String,
    pub walk_user_id: String,
    pub generation: i64,
    pub files: Vec<ListedFile>,
    pub folders: Vec<ListedFolder>,
    /// The folder's own collaborations, fetched before its first page.
    pub folder_collaborations: Option<Vec<CollaborationRecord>>,
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
pub struct ListingPageSaved {
    /// Sub-folders this walk must now list (new, or met for the first time
    /// in this generation).
    pub new_folders: Vec<FrontierFolder>,
    pub files_enqueued: u64,
    /// The folder's walk user has no folder left to list.
    pub user_done: bool,
}

/// Saves one listing page (see the module header): files and sub-folders
/// upserted, new and changed files queued, the folder's marker or its end.
pub(crate) async fn save_listing_page_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    page: &ListingPage,
) -> StoreResult<ListingPageSaved> {
    let now = page.now;
    let generation = page.generation;
    let mut delta = InventoryCounts::default();
    let mut saved = ListingPageSaved::default();
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

impl Store {
    /// Saves one listing page with everything it implies (one transaction).
    pub async fn save_listing_page(
        &self,
        connection_id: &str,
        page: ListingPage,
    ) -> StoreResult<ListingPageSaved> {
        self.write((connection_id.to_owned(), page), |(id, page), conn| {
            Box::pin(save_listing_page_in(conn, id, page))
        })
        .await
    }
}
