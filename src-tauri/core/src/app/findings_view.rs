//! Findings as the window and the CLI read them, and their export: all of
//! it from the store, so it works with Box out of reach.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::{ErrorCode, UserError};
use crate::ipc::findings::{
    ExportFormat, ExportReport, FindingDetail, FindingHistoryEntry, FindingKind, FindingRow,
    FindingsFilter, FindingsPage, FindingsSummary, InspectionProgress, KindSeverityCount,
    NamedCount, Severity,
};
use crate::store::{FindingQuery, FindingRecord, Millis, Store};

use super::export::ExportFile;
use super::App;

/// Rows read per query while exporting.
const EXPORT_PAGE: u32 = 2_000;
/// Minutes the inspection rate is averaged over.
const RATE_MINUTES: i64 = 5;

impl App {
    pub async fn findings(
        &self,
        filter: &FindingsFilter,
        limit: u32,
        offset: u32,
    ) -> Result<FindingsPage, UserError> {
        let (store, id) = self.findings_connection().await?;
        let q = query_of(filter);
        let rows = store
            .findings_page(&id, &q, limit.clamp(1, 5_000), offset)
            .await?;
        Ok(FindingsPage {
            total: store.findings_total(&id, &q).await?,
            rows: rows.into_iter().map(row_of).collect(),
        })
    }

    pub async fn findings_summary(&self) -> Result<FindingsSummary, UserError> {
        let (store, id) = self.findings_connection().await?;
        let by_kind_severity: Vec<KindSeverityCount> = store
            .findings_by_kind_severity(&id)
            .await?
            .into_iter()
            .filter_map(|(kind, severity, count)| {
                Some(KindSeverityCount {
                    kind: FindingKind::parse(&kind)?,
                    severity: Severity::parse(&severity)?,
                    count,
                })
            })
            .collect();
        let named = |v: Vec<(String, u64)>| {
            v.into_iter()
                .map(|(name, count)| NamedCount { name, count })
                .collect::<Vec<_>>()
        };
        Ok(FindingsSummary {
            open_total: by_kind_severity.iter().map(|c| c.count).sum(),
            by_kind_severity,
            by_detector: named(store.findings_by_detector(&id).await?),
            top_owners: named(store.findings_top_owners(&id, 50).await?),
            inspection: inspection_progress(&store, &id, self.inner.config.clock.now()).await?,
        })
    }

    pub async fn finding_detail(
        &self,
        finding_id: i64,
    ) -> Result<Option<FindingDetail>, UserError> {
        let (store, id) = self.findings_connection().await?;
        let Some(record) = store.finding(&id, finding_id).await? else {
            return Ok(None);
        };
        let history = store
            .finding_history(finding_id)
            .await?
            .into_iter()
            .map(|h| FindingHistoryEntry {
                at: h.at.into(),
                change: h.change,
                scan_id: h.scan_id,
                detail: h.detail,
            })
            .collect();
        let same_file = store
            .file_findings(&id, &record.file_id)
            .await?
            .into_iter()
            .filter(|f| f.finding_id != finding_id)
            .map(row_of)
            .collect();
        let authorize_url = store
            .current_connection(None)
            .await?
            .map(|c| c.authorize_url);
        Ok(Some(FindingDetail {
            web_url: web_url(authorize_url.as_deref(), &record.file_id),
            via_item_type: record.via_item_type.clone(),
            via_item_id: record.via_item_id.clone(),
            details: record
                .details
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            finding: row_of(record),
            history,
            same_file,
        }))
    }

    /// Opens the file in Box's web app in the system browser.
    pub async fn open_file_in_box(&self, file_id: &str) -> Result<String, UserError> {
        let (store, _) = self.findings_connection().await?;
        let authorize_url = store
            .current_connection(None)
            .await?
            .map(|c| c.authorize_url);
        let url = web_url(authorize_url.as_deref(), file_id);
        self.inner.config.browser.open(&url).map_err(|why| {
            UserError::new(
                ErrorCode::InvalidInput,
                format!("Could not open the browser: {why}."),
                format!("Open {url} in your browser yourself."),
            )
        })?;
        Ok(url)
    }

    /// Writes the findings that match `filter` to `path` (CSV or JSON),
    /// whole or not at all: a temporary file renamed at the end.
    pub async fn export_findings(
        &self,
        filter: &FindingsFilter,
        format: ExportFormat,
        path: &Path,
    ) -> Result<ExportReport, UserError> {
        let (store, id) = self.findings_connection().await?;
        let q = query_of(filter);
        let mut file = ExportFile::create(path, format, &CSV_HEADER)?;
        let mut after = 0i64;
        loop {
            let page = store.findings_after(&id, &q, after, EXPORT_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.finding_id;
            for record in page {
                file.push(csv_record, &row_of(record))?;
            }
        }
        file.finish()
    }

    /// The store and the current connection's id (offline: no Box call).
    pub(super) async fn findings_connection(&self) -> Result<(Store, String), UserError> {
        let store = self.require_store().await?;
        let record = store
            .current_connection(None)
            .await?
            .ok_or_else(crate::auth::tokens::not_connected)?;
        Ok((store, record.id))
    }
}

/// Inspection's counters, rate and ETA (also part of the scan status).
pub(super) async fn inspection_progress(
    store: &Store,
    id: &str,
    now: DateTime<Utc>,
) -> Result<InspectionProgress, crate::store::StoreError> {
    let counts = store.inspection_counts(id).await?;
    // As the scan's rate: what the last minutes inspected over the time
    // since the window began or since the first inspection in it, so the
    // first minute of a scan already has a rate.
    let now_ms = Millis::from(now).as_millis();
    let window_start = now_ms - RATE_MINUTES * 60_000;
    let minutes = store
        .inspection_minutes(id, window_start.div_euclid(60_000))
        .await?;
    let (files, bytes) = minutes
        .iter()
        .fold((0u64, 0u64), |(f, b), (_, mf, mb)| (f + mf, b + mb));
    let since = minutes
        .iter()
        .find(|(_, f, _)| *f > 0)
        .map_or(window_start, |(m, _, _)| (m * 60_000).max(window_start));
    let elapsed_secs = ((now_ms - since) as f64 / 1000.0).max(1.0);
    let files_per_minute = files as f64 * 60.0 / elapsed_secs;
    let pending = counts
        .files_scanned
        .saturating_sub(counts.files_inspected + counts.files_not_inspected);
    Ok(InspectionProgress {
        files_inspected: counts.files_inspected,
        files_not_inspected: counts.files_not_inspected,
        files_pending: pending,
        cache_hits: counts.cache_hits,
        downloads: counts.downloads,
        bytes_downloaded: counts.bytes_downloaded,
        files_per_minute,
        bytes_per_second: bytes as f64 / elapsed_secs,
        eta_seconds: (files_per_minute > 0.0 && pending > 0)
            .then(|| (pending as f64 / files_per_minute * 60.0).round() as u64),
        not_inspected_by_reason: store
            .not_inspected_reasons(id)
            .await?
            .into_iter()
            .map(|(name, count)| NamedCount { name, count })
            .collect(),
    })
}

const CSV_HEADER: [&str; 15] = [
    "finding_id",
    "file_id",
    "path",
    "owner_login",
    "kind",
    "detector",
    "severity",
    "confidence",
    "count",
    "masked_sample",
    "reached_via",
    "since",
    "opened_at",
    "last_seen_at",
    "closed_at",
];

fn csv_record(row: &FindingRow) -> [String; 15] {
    let at = |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    [
        row.finding_id.to_string(),
        row.file_id.clone(),
        row.path.clone().unwrap_or_default(),
        row.owner_login.clone().unwrap_or_default(),
        row.kind.as_str().to_owned(),
        row.detector.clone().unwrap_or_default(),
        row.severity.as_str().to_owned(),
        row.confidence.clone().unwrap_or_default(),
        row.count.to_string(),
        row.masked_sample.clone().unwrap_or_default(),
        row.reached_via.clone(),
        at(&row.since),
        row.opened_at.to_rfc3339(),
        row.last_seen_at.to_rfc3339(),
        at(&row.closed_at),
    ]
}

pub(super) fn query_of(filter: &FindingsFilter) -> FindingQuery {
    FindingQuery {
        severity: filter.severity.map(|s| s.as_str().to_owned()),
        kind: filter.kind.map(|k| k.as_str().to_owned()),
        detector: filter.detector.clone().filter(|d| !d.is_empty()),
        owner_login: filter.owner_login.clone().filter(|o| !o.is_empty()),
        file_has_detector: filter.file_has_detector.clone().filter(|d| !d.is_empty()),
        include_closed: filter.include_closed,
    }
}

pub(super) fn row_of(r: FindingRecord) -> FindingRow {
    FindingRow {
        finding_id: r.finding_id,
        file_id: r.file_id,
        path: r.path,
        owner_login: r.owner_login,
        kind: FindingKind::parse(&r.kind).unwrap_or(FindingKind::SensitiveContent),
        detector: (!r.detector.is_empty()).then_some(r.detector),
        severity: Severity::parse(&r.severity).unwrap_or(Severity::Low),
        confidence: r.confidence,
        count: r.count,
        masked_sample: r.masked_sample,
        reached_via: r.reached_via,
        since: r.since.map(Into::into),
        opened_at: r.opened_at.into(),
        last_seen_at: r.last_seen_at.into(),
        closed_at: r.closed_at.map(Into::into),
    }
}

/// The file in Box's web app: app.box.com for Box's own data centers,
/// else the sign-in server's host (the sandbox, a custom server).
pub fn web_url(authorize_url: Option<&str>, file_id: &str) -> String {
    let origin = authorize_url
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| {
            !u.host_str()
                .is_some_and(|h| h == "box.com" || h.ends_with(".box.com"))
        })
        .map(|u| u.origin().ascii_serialization());
    match origin {
        Some(origin) => format!("{origin}/file/{file_id}"),
        None => format!("https://app.box.com/file/{file_id}"),
    }
}
