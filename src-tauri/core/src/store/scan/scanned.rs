//! What the scan of claimed items found, saved with their queue rows'
//! completion in one transaction: the item's row, its collaborations, its
//! `item_scans` entry, its inspection and findings, the counters.

use std::collections::HashMap;

use sqlx::sqlite::SqliteConnection;

use super::collaborations::replace_collaborations_in;
use super::counts::{count_in, count_inspections_in, minute_in, InspectDelta, InventoryCounts};
use super::files::{upsert_listed_file_in, ListedFile};
use super::folders::{folder_reach_in, ListedFolder};
use super::CollaborationRecord;
use crate::inspect::content::FileInspection;
use crate::inspect::findings::FindingPolicy;
use crate::store::findings::{self, FolderCache};
use crate::store::queue::{self, Claimed, ItemKind};
use crate::store::{Millis, Store, StoreResult};

/// What the scan of one claimed item found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// A file scanned: `fresh` when it was fetched (else the listing's data
    /// stands); `collaborations` when Box said it has some.
    File {
        fresh: Option<ListedFile>,
        collaborations: Option<Vec<CollaborationRecord>>,
        /// What its content came to; `None` when content was not looked at
        /// (exposure is derived either way).
        inspection: Option<FileInspection>,
    },
    /// A folder re-read.
    Folder {
        fresh: ListedFolder,
        collaborations: Option<Vec<CollaborationRecord>>,
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

pub(crate) async fn save_scanned_file_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    claimed: &Claimed,
    fresh: &Option<ListedFile>,
    collaborations: &Option<Vec<CollaborationRecord>>,
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
    count_inspections_in(conn, connection_id, inspected, now).await?;
    queue::complete_in(conn, connection_id, claimed).await?;
    Ok(())
}

impl Store {
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
}
