//! A file's findings derived from what the store holds (its link,
//! collaborators, folders, owner, its content's result) and reconciled with
//! the open rows: new ones open, holding ones are seen again, the rest
//! close, each change in `finding_history` with the scan that made it.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::inspect::exposure::{exposure, ExposureInput, Grant, Holder};
use crate::inspect::findings::{content_findings, ContentMatch, DesiredFinding, FindingPolicy};
use crate::store::{Millis, StoreResult};

/// Folders read once per transaction: a batch's files share their parents.
#[derive(Default)]
pub(crate) struct FolderCache {
    folders: HashMap<String, Option<(Holder, Option<String>)>>,
}

/// Derives the findings of one file from the store and reconciles the open
/// rows with them. Returns how many are open afterwards.
pub(crate) async fn refresh_file_findings_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    file_id: &str,
    scan_id: Option<i64>,
    policy: &FindingPolicy,
    now: Millis,
    cache: &mut FolderCache,
) -> StoreResult<i64> {
    let Some(file) = sqlx::query!(
        r#"SELECT parent_id, path, owner_login, shared_link, is_externally_owned AS "is_externally_owned: bool",
                  inspect_state, inspected_sha1, removed_at AS "removed_at: Millis"
           FROM files WHERE connection_id = ? AND file_id = ?"#,
        connection_id,
        file_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(0);
    };
    let mut desired = Vec::new();
    if file.removed_at.is_none() {
        let holder = Holder {
            item_type: "file".into(),
            item_id: file_id.to_owned(),
            path: file.path.clone(),
            shared_since: if file.shared_link.is_some() {
                shared_since_in(conn, connection_id, file_id).await?
            } else {
                None
            },
            shared_link: file.shared_link,
            grants: grants_in(conn, connection_id, "file", file_id).await?,
        };
        let mut ancestors = Vec::new();
        let mut next = file.parent_id;
        // Bounded: a cycle in bad data must not hang the writer.
        while let Some(folder_id) = next.take() {
            if ancestors.len() >= 500 {
                break;
            }
            let Some((holder, parent)) = folder_in(conn, connection_id, &folder_id, cache).await?
            else {
                break;
            };
            ancestors.push(holder);
            next = parent;
        }
        let input = ExposureInput {
            file: holder,
            ancestors,
            externally_owned: file.is_externally_owned.unwrap_or(false),
            owner_login: file.owner_login.clone(),
        };
        let exposed = exposure(&input, policy);
        let leaves = exposed.iter().any(|f| f.kind.leaves_enterprise());
        if file.inspect_state.as_deref() == Some("inspected") {
            if let Some(sha1) = &file.inspected_sha1 {
                let matches = content_matches_in(conn, connection_id, sha1).await?;
                desired.extend(content_findings(&matches, policy, leaves));
            }
        }
        desired.extend(exposed);
    }
    reconcile_in(
        conn,
        connection_id,
        file_id,
        file.path.as_deref(),
        file.owner_login.as_deref(),
        desired,
        scan_id,
        now,
    )
    .await
}

pub(crate) async fn folder_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    folder_id: &str,
    cache: &mut FolderCache,
) -> StoreResult<Option<(Holder, Option<String>)>> {
    if let Some(known) = cache.folders.get(folder_id) {
        return Ok(known.clone());
    }
    let row = sqlx::query!(
        "SELECT parent_id, path, shared_link FROM folders WHERE connection_id = ? AND folder_id = ?",
        connection_id,
        folder_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let found = match row {
        None => None,
        Some(r) => {
            let shared_since = if r.shared_link.is_some() {
                shared_since_in(conn, connection_id, folder_id).await?
            } else {
                None
            };
            let holder = Holder {
                item_type: "folder".into(),
                item_id: folder_id.to_owned(),
                path: r.path,
                shared_link: r.shared_link,
                shared_since,
                grants: grants_in(conn, connection_id, "folder", folder_id).await?,
            };
            Some((holder, r.parent_id))
        }
    };
    cache.folders.insert(folder_id.to_owned(), found.clone());
    Ok(found)
}

pub(crate) async fn grants_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    item_type: &str,
    item_id: &str,
) -> StoreResult<Vec<Grant>> {
    let rows = sqlx::query!(
        r#"SELECT collaboration_id, grantee_type, login, name, role, status,
                  created_at AS "created_at: Millis"
           FROM collaborations WHERE connection_id = ? AND item_type = ? AND item_id = ?
           ORDER BY collaboration_id"#,
        connection_id,
        item_type,
        item_id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Grant {
            collaboration_id: r.collaboration_id,
            grantee_type: r.grantee_type,
            login: r.login,
            name: r.name,
            role: r.role,
            status: r.status,
            created_at: r.created_at.map(Millis::as_millis),
        })
        .collect())
}

/// When the item's link was last turned on, from the events seen.
pub(crate) async fn shared_since_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    item_id: &str,
) -> StoreResult<Option<i64>> {
    let at = sqlx::query_scalar!(
        r#"SELECT MAX(created_at) AS "at: Millis" FROM events
           WHERE connection_id = ? AND item_id = ? AND event_type = 'SHARE'"#,
        connection_id,
        item_id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(at.map(Millis::as_millis))
}

pub(crate) async fn content_matches_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    sha1: &str,
) -> StoreResult<Vec<ContentMatch>> {
    let rows = sqlx::query!(
        r#"SELECT detector, high, low, sample_high, sample_low, secret_nearby AS "secret_nearby: bool"
           FROM content_matches WHERE connection_id = ? AND sha1 = ? ORDER BY detector"#,
        connection_id,
        sha1
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ContentMatch {
            detector: r.detector,
            high: r.high.max(0) as u64,
            low: r.low.max(0) as u64,
            sample_high: r.sample_high,
            sample_low: r.sample_low,
            secret_nearby: r.secret_nearby,
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn reconcile_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    file_id: &str,
    path: Option<&str>,
    owner_login: Option<&str>,
    desired: Vec<DesiredFinding>,
    scan_id: Option<i64>,
    now: Millis,
) -> StoreResult<i64> {
    let open = sqlx::query!(
        r#"SELECT finding_id AS "finding_id!", kind, detector, via_key, severity, count, masked_sample, reached_via
         FROM findings WHERE connection_id = ? AND file_id = ? AND closed_at IS NULL"#,
        connection_id,
        file_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut open: HashMap<(String, String, String), _> = open
        .into_iter()
        .map(|r| ((r.kind.clone(), r.detector.clone(), r.via_key.clone()), r))
        .collect();
    let total = desired.len() as i64;
    for d in desired {
        let key = (
            d.kind.as_str().to_owned(),
            d.detector.clone(),
            d.via_key.clone(),
        );
        let severity = d.severity.as_str();
        let rank = d.severity.rank();
        let confidence = d.confidence.map(|c| c.as_str());
        match open.remove(&key) {
            Some(row) => {
                let changed = row.severity != severity
                    || row.count != d.count
                    || row.masked_sample != d.masked_sample
                    || row.reached_via != d.reached_via;
                sqlx::query!(
                    "UPDATE findings SET severity = ?, severity_rank = ?, confidence = ?, count = ?,
                         masked_sample = ?, reached_via = ?, via_item_type = ?, via_item_id = ?,
                         details = ?, path = ?, owner_login = ?, since = COALESCE(?, since),
                         last_seen_at = ?
                     WHERE finding_id = ?",
                    severity,
                    rank,
                    confidence,
                    d.count,
                    d.masked_sample,
                    d.reached_via,
                    d.via_item_type,
                    d.via_item_id,
                    d.details,
                    path,
                    owner_login,
                    d.since,
                    now,
                    row.finding_id
                )
                .execute(&mut *conn)
                .await?;
                let (change, detail) = if changed {
                    (
                        "changed",
                        Some(format!(
                            "{} → {}, count {} → {}",
                            row.severity, severity, row.count, d.count
                        )),
                    )
                } else {
                    ("seen", None)
                };
                history_in(
                    conn,
                    row.finding_id,
                    now,
                    change,
                    scan_id,
                    detail.as_deref(),
                )
                .await?;
            }
            None => {
                let kind = d.kind.as_str();
                let finding_id = sqlx::query_scalar!(
                    "INSERT INTO findings (connection_id, file_id, kind, detector, via_key, severity,
                         severity_rank, confidence, count, masked_sample, reached_via, via_item_type,
                         via_item_id, details, path, owner_login, since, opened_at, last_seen_at,
                         opened_scan_id)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                     RETURNING finding_id",
                    connection_id,
                    file_id,
                    kind,
                    d.detector,
                    d.via_key,
                    severity,
                    rank,
                    confidence,
                    d.count,
                    d.masked_sample,
                    d.reached_via,
                    d.via_item_type,
                    d.via_item_id,
                    d.details,
                    path,
                    owner_login,
                    d.since,
                    now,
                    now,
                    scan_id
                )
                .fetch_one(&mut *conn)
                .await?;
                history_in(
                    conn,
                    finding_id,
                    now,
                    "opened",
                    scan_id,
                    Some(&d.reached_via),
                )
                .await?;
            }
        }
    }
    for (_, row) in open {
        sqlx::query!(
            "UPDATE findings SET closed_at = ?, closed_scan_id = ? WHERE finding_id = ?",
            now,
            scan_id,
            row.finding_id
        )
        .execute(&mut *conn)
        .await?;
        history_in(
            conn,
            row.finding_id,
            now,
            "closed",
            scan_id,
            Some("no longer holds"),
        )
        .await?;
    }
    Ok(total)
}

pub(crate) async fn history_in(
    conn: &mut SqliteConnection,
    finding_id: i64,
    at: Millis,
    change: &str,
    scan_id: Option<i64>,
    detail: Option<&str>,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT INTO finding_history (finding_id, at, change, scan_id, detail) VALUES (?, ?, ?, ?, ?)",
        finding_id,
        at,
        change,
        scan_id,
        detail
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A folder's link or collaborators changed: every scanned file under it
/// takes its findings again (no request: the store has all it needs).
pub(crate) async fn refresh_under_folder_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    folder_id: &str,
    scan_id: Option<i64>,
    policy: &FindingPolicy,
    now: Millis,
) -> StoreResult<u64> {
    let files = sqlx::query_scalar!(
        "WITH RECURSIVE under(id) AS (
             SELECT ?2
             UNION
             SELECT f.folder_id FROM folders f JOIN under ON f.parent_id = under.id
             WHERE f.connection_id = ?1
         )
         SELECT file_id FROM files
         WHERE connection_id = ?1 AND parent_id IN (SELECT id FROM under)
           AND last_scanned_at IS NOT NULL AND removed_at IS NULL",
        connection_id,
        folder_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut cache = FolderCache::default();
    for file_id in &files {
        refresh_file_findings_in(
            conn,
            connection_id,
            file_id,
            scan_id,
            policy,
            now,
            &mut cache,
        )
        .await?;
    }
    Ok(files.len() as u64)
}
