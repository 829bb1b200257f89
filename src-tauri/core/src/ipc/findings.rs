//! What inspection shows the UI and the CLI: findings, their counts, one
//! finding's story, inspection progress. All of it is read from the store
//! (the network may be down). Samples are masked before they reach the
//! store; nothing here can carry a sensitive value. The CLI's `--json`
//! output is these types as they serialize: their keys are stable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// 1 (low) … 4 (critical), stored for ordering.
    pub fn rank(self) -> i64 {
        self as i64 + 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FindingKind {
    PublicLink,
    CompanyLink,
    ExternalCollaborator,
    ExternallyOwned,
    SensitiveContent,
}

impl FindingKind {
    pub const ALL: [FindingKind; 5] = [
        FindingKind::PublicLink,
        FindingKind::CompanyLink,
        FindingKind::ExternalCollaborator,
        FindingKind::ExternallyOwned,
        FindingKind::SensitiveContent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::PublicLink => "public_link",
            FindingKind::CompanyLink => "company_link",
            FindingKind::ExternalCollaborator => "external_collaborator",
            FindingKind::ExternallyOwned => "externally_owned",
            FindingKind::SensitiveContent => "sensitive_content",
        }
    }

    pub fn parse(s: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One finding, as listed and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FindingRow {
    pub finding_id: i64,
    pub file_id: String,
    pub path: Option<String>,
    pub owner_login: Option<String>,
    pub kind: FindingKind,
    /// The detector (`credit_card`, `us_ssn` …) for content findings.
    pub detector: Option<String>,
    pub severity: Severity,
    /// `high` with a keyword of its kind nearby, else `low` (content only).
    pub confidence: Option<String>,
    pub count: i64,
    /// Masked, e.g. `************1111`: never the value.
    pub masked_sample: Option<String>,
    /// How it is reached: its own link, a folder's link, which collaborator.
    pub reached_via: String,
    /// Since when it holds, as far as Box said (share event, invite date).
    pub since: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Which findings to list or export. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FindingsFilter {
    pub severity: Option<Severity>,
    pub kind: Option<FindingKind>,
    pub detector: Option<String>,
    pub owner_login: Option<String>,
    /// Only findings of files that also hold an open content finding of this
    /// detector (e.g. public links on files holding card numbers).
    #[serde(default)]
    pub file_has_detector: Option<String>,
    /// Closed findings too (their history is kept).
    #[serde(default)]
    pub include_closed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FindingsPage {
    pub rows: Vec<FindingRow>,
    /// How many match the filter in all.
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct KindSeverityCount {
    pub kind: FindingKind,
    pub severity: Severity,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NamedCount {
    pub name: String,
    pub count: u64,
}

/// Open findings counted for the chart and the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FindingsSummary {
    pub open_total: u64,
    pub by_kind_severity: Vec<KindSeverityCount>,
    pub by_detector: Vec<NamedCount>,
    /// Owners with the most open findings (for the owner filter).
    pub top_owners: Vec<NamedCount>,
    pub inspection: InspectionProgress,
}

/// Inspection beside the scan: files read, bytes fetched, what was not read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct InspectionProgress {
    /// Files whose content was read (or taken from an identical one).
    pub files_inspected: u64,
    /// Files with a "not inspected: why" state.
    pub files_not_inspected: u64,
    /// Scanned files whose content is still to be looked at.
    pub files_pending: u64,
    /// Inspections that needed no download (same sha1 seen before).
    pub cache_hits: u64,
    pub downloads: u64,
    pub bytes_downloaded: u64,
    /// Over the last few minutes.
    pub files_per_minute: f64,
    pub bytes_per_second: f64,
    pub eta_seconds: Option<u64>,
    /// Why files were not inspected, most common first.
    pub not_inspected_by_reason: Vec<NamedCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FindingHistoryEntry {
    pub at: DateTime<Utc>,
    /// `opened`, `seen`, `changed` or `closed`.
    pub change: String,
    /// The scan (item_scans row) that made the change.
    pub scan_id: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FindingDetail {
    pub finding: FindingRow,
    /// `file` or `folder`: whose link or collaboration reaches the file.
    pub via_item_type: Option<String>,
    pub via_item_id: Option<String>,
    /// The link's or collaboration's particulars (access, permissions,
    /// expiry, password set, login, role), or the content's counts.
    #[ts(type = "Record<string, unknown> | null")]
    pub details: Option<serde_json::Value>,
    pub history: Vec<FindingHistoryEntry>,
    /// The file in Box's web app, to open in the system browser.
    pub web_url: String,
    /// The other open findings of the same file.
    pub same_file: Vec<FindingRow>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportReport {
    pub path: String,
    pub rows: u64,
    pub format: ExportFormat,
}
