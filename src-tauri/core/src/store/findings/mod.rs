//! Inspection results and findings. A content result is kept once per
//! sha1 (counts and masked samples, never a value); a file's findings are
//! derived from what the inventory holds (its link, collaborators, folders,
//! owner) and its content's result, then reconciled with the open rows:
//! new ones open, holding ones are seen again, the rest close. Every change
//! goes to `finding_history` with the scan that made it, in the same
//! transaction as the scan's save.

//!
//! `derive` turns what the store holds into findings and reconciles them;
//! `inspections` keeps content results and each inspection of a file; this
//! file holds the `findings` rows as the screens, the CLI and exports read
//! them.

mod derive;
mod inspections;

pub(crate) use derive::{refresh_file_findings_in, refresh_under_folder_in, FolderCache};
pub(crate) use inspections::record_inspection_in;
pub use inspections::InspectionRecord;

use super::{count, Millis, Store, StoreResult};

/// A finding as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRecord {
    pub finding_id: i64,
    pub file_id: String,
    pub kind: String,
    pub detector: String,
    pub severity: String,
    pub confidence: Option<String>,
    pub count: i64,
    pub masked_sample: Option<String>,
    pub reached_via: String,
    pub via_item_type: Option<String>,
    pub via_item_id: Option<String>,
    pub details: Option<String>,
    pub path: Option<String>,
    pub owner_login: Option<String>,
    pub since: Option<Millis>,
    pub opened_at: Millis,
    pub last_seen_at: Millis,
    pub closed_at: Option<Millis>,
}

/// The filter as the queries bind it (`None` matches everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingQuery {
    pub severity: Option<String>,
    pub kind: Option<String>,
    pub detector: Option<String>,
    pub owner_login: Option<String>,
    /// Only files that also hold an open content finding of this detector.
    pub file_has_detector: Option<String>,
    pub include_closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingChange {
    pub at: Millis,
    pub change: String,
    pub scan_id: Option<i64>,
    pub detail: Option<String>,
}

/// `SELECT <every finding column> FROM findings <rest>` into a
/// [`FindingRecord`]: the column list written once.
macro_rules! select_findings {
    ($rest:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            FindingRecord,
            r#"SELECT finding_id AS "finding_id!", file_id, kind, detector, severity, confidence,
                      count, masked_sample, reached_via, via_item_type, via_item_id, details, path,
                      owner_login, since AS "since: Millis", opened_at AS "opened_at: Millis",
                      last_seen_at AS "last_seen_at: Millis", closed_at AS "closed_at: Millis"
               FROM findings "# + $rest
            $(, $arg)*
        )
    };
}

impl Store {
    /// Findings matching `q`, most severe first (open before closed), a
    /// page at a time; `after` is the last `finding_id` of the previous
    /// page when paging by id (exports), else `offset` pages by position.
    pub async fn findings_page(
        &self,
        connection_id: &str,
        q: &FindingQuery,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<FindingRecord>> {
        let rows = select_findings!(
            r#"WHERE connection_id = ?1 AND (?2 OR closed_at IS NULL)
                 AND (?3 IS NULL OR severity = ?3) AND (?4 IS NULL OR kind = ?4)
                 AND (?5 IS NULL OR detector = ?5) AND (?6 IS NULL OR owner_login = ?6)
                 AND (?7 IS NULL OR EXISTS (SELECT 1 FROM findings held
                      WHERE held.connection_id = findings.connection_id AND held.file_id = findings.file_id
                        AND held.closed_at IS NULL AND held.detector = ?7))
               ORDER BY closed_at IS NOT NULL, severity_rank DESC, finding_id
               LIMIT ?8 OFFSET ?9"#,
            connection_id,
            q.include_closed,
            q.severity,
            q.kind,
            q.detector,
            q.owner_login,
            q.file_has_detector,
            limit,
            offset
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// The same filter paged by id, for exports of any size.
    pub async fn findings_after(
        &self,
        connection_id: &str,
        q: &FindingQuery,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<FindingRecord>> {
        let rows = select_findings!(
            r#"WHERE connection_id = ?1 AND finding_id > ?2 AND (?3 OR closed_at IS NULL)
                 AND (?4 IS NULL OR severity = ?4) AND (?5 IS NULL OR kind = ?5)
                 AND (?6 IS NULL OR detector = ?6) AND (?7 IS NULL OR owner_login = ?7)
                 AND (?8 IS NULL OR EXISTS (SELECT 1 FROM findings held
                      WHERE held.connection_id = findings.connection_id AND held.file_id = findings.file_id
                        AND held.closed_at IS NULL AND held.detector = ?8))
               ORDER BY finding_id LIMIT ?9"#,
            connection_id,
            after,
            q.include_closed,
            q.severity,
            q.kind,
            q.detector,
            q.owner_login,
            q.file_has_detector,
            limit
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    pub async fn findings_total(&self, connection_id: &str, q: &FindingQuery) -> StoreResult<u64> {
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM findings
               WHERE connection_id = ?1 AND (?2 OR closed_at IS NULL)
                 AND (?3 IS NULL OR severity = ?3) AND (?4 IS NULL OR kind = ?4)
                 AND (?5 IS NULL OR detector = ?5) AND (?6 IS NULL OR owner_login = ?6)
                 AND (?7 IS NULL OR EXISTS (SELECT 1 FROM findings held
                      WHERE held.connection_id = findings.connection_id AND held.file_id = findings.file_id
                        AND held.closed_at IS NULL AND held.detector = ?7))"#,
            connection_id,
            q.include_closed,
            q.severity,
            q.kind,
            q.detector,
            q.owner_login,
            q.file_has_detector
        )
        .fetch_one(self.pool())
        .await;
        Ok(count(self.noted(n)?))
    }

    pub async fn finding(
        &self,
        connection_id: &str,
        finding_id: i64,
    ) -> StoreResult<Option<FindingRecord>> {
        let row = select_findings!(
            r#"WHERE connection_id = ? AND finding_id = ?"#,
            connection_id,
            finding_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    /// The open findings of one file.
    pub async fn file_findings(
        &self,
        connection_id: &str,
        file_id: &str,
    ) -> StoreResult<Vec<FindingRecord>> {
        let rows = select_findings!(
            r#"WHERE connection_id = ? AND file_id = ? AND closed_at IS NULL
               ORDER BY severity_rank DESC, finding_id"#,
            connection_id,
            file_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    pub async fn finding_history(&self, finding_id: i64) -> StoreResult<Vec<FindingChange>> {
        let rows = sqlx::query_as!(
            FindingChange,
            r#"SELECT at AS "at: Millis", change, scan_id, detail FROM finding_history
               WHERE finding_id = ? ORDER BY at, id"#,
            finding_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// Open findings per (kind, severity).
    pub async fn findings_by_kind_severity(
        &self,
        connection_id: &str,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let rows = sqlx::query!(
            r#"SELECT kind, severity, COUNT(*) AS "n!: i64" FROM findings
               WHERE connection_id = ? AND closed_at IS NULL GROUP BY kind, severity"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| (r.kind, r.severity, count(r.n)))
            .collect())
    }

    pub async fn findings_by_detector(
        &self,
        connection_id: &str,
    ) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query!(
            r#"SELECT detector, COUNT(*) AS "n!: i64" FROM findings
               WHERE connection_id = ? AND closed_at IS NULL AND detector != ''
               GROUP BY detector ORDER BY 2 DESC"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| (r.detector, count(r.n)))
            .collect())
    }

    pub async fn findings_top_owners(
        &self,
        connection_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query!(
            r#"SELECT owner_login AS "owner!: String", COUNT(*) AS "n!: i64" FROM findings
               WHERE connection_id = ? AND closed_at IS NULL AND owner_login IS NOT NULL
               GROUP BY owner_login ORDER BY 2 DESC, 1 LIMIT ?"#,
            connection_id,
            limit
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| (r.owner, count(r.n)))
            .collect())
    }
}
