//! `content_results` and `content_matches` (one verdict per sha1: counts
//! and masked samples, never a value) and `inspections` (each inspection of
//! a file, with the findings it left open).

use sqlx::SqliteConnection;

use super::derive::{refresh_file_findings_in, FolderCache};
use crate::inspect::content::FileInspection;
use crate::inspect::extract::NotInspected;
use crate::inspect::findings::{ContentMatch, FindingPolicy};
use crate::inspect::isolation::EXTRACTOR_VERSION;
use crate::store::scan::InspectDelta;
use crate::store::{Millis, Store, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionRecord {
    pub at: Millis,
    pub outcome: String,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub sha1: Option<String>,
    pub bytes: i64,
    pub findings_open: i64,
}

/// Saves an inspection of `file_id` and its effect on the findings.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_inspection_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    file_id: &str,
    inspection: &FileInspection,
    scan_id: Option<i64>,
    policy: &FindingPolicy,
    now: Millis,
    delta: &mut InspectDelta,
    cache: &mut FolderCache,
) -> StoreResult<()> {
    let (state, code, detail, bytes, outcome) = match inspection {
        FileInspection::Inspected {
            sha1,
            file_type,
            bytes,
            chars,
            matches,
            downloaded,
        } => {
            save_content_in(
                conn,
                connection_id,
                sha1,
                file_type,
                *bytes,
                *chars,
                matches,
                now,
            )
            .await?;
            if *downloaded {
                delta.downloads += 1;
                delta.bytes += bytes;
            } else {
                delta.cache_hits += 1;
            }
            ("inspected", None, None, *bytes, "inspected")
        }
        FileInspection::Cached { sha1 } => {
            let known = sqlx::query!(
                "SELECT state, code, detail FROM content_results WHERE connection_id = ? AND sha1 = ?",
                connection_id,
                sha1
            )
            .fetch_optional(&mut *conn)
            .await?;
            delta.cache_hits += 1;
            match known {
                Some(k) if k.state == "not_inspected" => {
                    ("not_inspected", k.code, k.detail, 0, "cached")
                }
                _ => ("inspected", None, None, 0, "cached"),
            }
        }
        FileInspection::NotInspected {
            sha1,
            code,
            detail,
            bytes,
            downloaded,
        } => {
            // A transient reason is no verdict on the content: never kept by sha1.
            let verdict = sha1
                .as_ref()
                .filter(|_| !NotInspected::code_is_transient(code));
            if let Some(sha1) = verdict {
                sqlx::query!(
                    "INSERT INTO content_results (connection_id, sha1, state, code, detail, bytes,
                         inspected_at, extractor_version)
                     VALUES (?, ?, 'not_inspected', ?, ?, ?, ?, ?)
                     ON CONFLICT (connection_id, sha1) DO UPDATE SET state = 'not_inspected',
                         code = excluded.code, detail = excluded.detail, bytes = excluded.bytes,
                         inspected_at = excluded.inspected_at,
                         extractor_version = excluded.extractor_version",
                    connection_id,
                    sha1,
                    code,
                    detail,
                    bytes,
                    now,
                    EXTRACTOR_VERSION
                )
                .execute(&mut *conn)
                .await?;
                sqlx::query!(
                    "DELETE FROM content_matches WHERE connection_id = ? AND sha1 = ?",
                    connection_id,
                    sha1
                )
                .execute(&mut *conn)
                .await?;
            }
            if *downloaded {
                delta.downloads += 1;
                delta.bytes += bytes;
            }
            (
                "not_inspected",
                Some(code.clone()),
                Some(detail.clone()),
                *bytes,
                "not_inspected",
            )
        }
    };
    let sha1 = inspection.sha1();
    let before = sqlx::query!(
        "SELECT inspect_state, inspect_code FROM files WHERE connection_id = ? AND file_id = ?",
        connection_id,
        file_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (was_state, was_code) = before.map_or((None, None), |b| (b.inspect_state, b.inspect_code));
    delta.inspections += 1;
    if was_state.as_deref() != Some(state) || was_code != code {
        match was_state.as_deref() {
            Some("inspected") => delta.inspected -= 1,
            Some(_) => {
                delta.not_inspected -= 1;
                delta
                    .reasons
                    .push((was_code.clone().unwrap_or_default(), -1));
            }
            None => {}
        }
        if state == "inspected" {
            delta.inspected += 1;
        } else {
            delta.not_inspected += 1;
            delta.reasons.push((code.clone().unwrap_or_default(), 1));
        }
    }
    sqlx::query!(
        "UPDATE files SET inspect_state = ?, inspect_code = ?, inspect_detail = ?,
             inspected_sha1 = ?, inspected_at = ?
         WHERE connection_id = ? AND file_id = ?",
        state,
        code,
        detail,
        sha1,
        now,
        connection_id,
        file_id
    )
    .execute(&mut *conn)
    .await?;
    let open =
        refresh_file_findings_in(conn, connection_id, file_id, scan_id, policy, now, cache).await?;
    sqlx::query!(
        "INSERT INTO inspections (connection_id, file_id, at, scan_id, sha1, outcome, code, detail,
             bytes, findings_open)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        connection_id,
        file_id,
        now,
        scan_id,
        sha1,
        outcome,
        code,
        detail,
        bytes,
        open
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn save_content_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    sha1: &str,
    file_type: &str,
    bytes: i64,
    chars: i64,
    matches: &[ContentMatch],
    now: Millis,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT INTO content_results (connection_id, sha1, state, file_type, bytes, chars,
             inspected_at, extractor_version)
         VALUES (?, ?, 'inspected', ?, ?, ?, ?, ?)
         ON CONFLICT (connection_id, sha1) DO UPDATE SET state = 'inspected', code = NULL,
             detail = NULL, file_type = excluded.file_type, bytes = excluded.bytes,
             chars = excluded.chars, inspected_at = excluded.inspected_at,
             extractor_version = excluded.extractor_version",
        connection_id,
        sha1,
        file_type,
        bytes,
        chars,
        now,
        EXTRACTOR_VERSION
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM content_matches WHERE connection_id = ? AND sha1 = ?",
        connection_id,
        sha1
    )
    .execute(&mut *conn)
    .await?;
    for m in matches {
        let (high, low) = (m.high as i64, m.low as i64);
        sqlx::query!(
            "INSERT INTO content_matches (connection_id, sha1, detector, high, low, sample_high,
                 sample_low, secret_nearby)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            connection_id,
            sha1,
            m.detector,
            high,
            low,
            m.sample_high,
            m.sample_low,
            m.secret_nearby
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Each inspection of a file, oldest first.
    pub async fn file_inspections(
        &self,
        connection_id: &str,
        file_id: &str,
    ) -> StoreResult<Vec<InspectionRecord>> {
        let rows = sqlx::query_as!(
            InspectionRecord,
            r#"SELECT at AS "at: Millis", outcome, code, detail, sha1, bytes, findings_open
               FROM inspections WHERE connection_id = ? AND file_id = ? ORDER BY at, id"#,
            connection_id,
            file_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
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
}
