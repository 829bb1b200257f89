//! Plain key/value settings (the selected data center, the Custom profile).
//! Never secrets: keys that look like one are refused.

use chrono::Utc;

use super::{Millis, Store, StoreError, StoreResult};

/// Keys the app uses, so every caller spells them the same way.
pub mod keys {
    pub const SELECTED_DATACENTER: &str = "selected_datacenter";
    /// "true" once the admin turned governance on (sign-ins then ask Box for
    /// `root_readwrite`); "false" or absent: read-only sign-ins.
    pub const GOVERNANCE_ENABLED: &str = "governance.enabled";
    /// Days of events ingested from before the connection (default 60).
    pub const BACKFILL_DAYS: &str = "scan.backfill_days";
    /// Seconds between polls of the live event stream.
    pub const POLL_INTERVAL_SECS: &str = "scan.poll_interval_secs";
    /// Hours between rescans of every file (0: only changes are rescanned).
    pub const RESCAN_INTERVAL_HOURS: &str = "scan.rescan_interval_hours";
    /// 1: read file content for sensitive data; 0: exposure only.
    pub const INSPECT_CONTENT: &str = "inspect.content";
    /// Files larger than this many MB are not downloaded.
    pub const INSPECT_MAX_FILE_MB: &str = "inspect.max_file_mb";
    /// Seconds one file's text extraction may take.
    pub const INSPECT_TIMEOUT_SECS: &str = "inspect.timeout_secs";
    /// MB of memory one reading child may use beyond its program.
    pub const INSPECT_MAX_MEMORY_MB: &str = "inspect.max_memory_mb";
    /// MB of file content being downloaded and read at once, at most.
    pub const INSPECT_MEMORY_BUDGET_MB: &str = "inspect.memory_budget_mb";

    /// `detect.<detector>.min_count`: matches needed for a finding.
    pub fn detector_min_count(detector: &str) -> String {
        format!("detect.{detector}.min_count")
    }

    /// `detect.<detector>.min_confidence`: 0 low and high count, 1 only high.
    pub fn detector_min_confidence(detector: &str) -> String {
        format!("detect.{detector}.min_confidence")
    }
}

/// A guard against a caller storing a secret here by mistake.
fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "token", "password"]
        .iter()
        .any(|word| key.contains(word))
}

impl Store {
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let value = sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", key)
            .fetch_optional(self.pool())
            .await;
        self.noted(value)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        if looks_secret(key) {
            return Err(StoreError::Refused(format!(
                "setting \"{key}\" looks like a secret; secrets belong in the keychain"
            )));
        }
        let row = (key.to_owned(), value.to_owned(), Millis::from(Utc::now()));
        self.write(row, |(key, value, at), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
                     ON CONFLICT (key) DO UPDATE \
                     SET value = excluded.value, updated_at = excluded.updated_at",
                    key,
                    value,
                    at
                )
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn delete_setting(&self, key: &str) -> StoreResult<()> {
        self.write(key.to_owned(), |key, conn| {
            Box::pin(async move {
                sqlx::query!("DELETE FROM settings WHERE key = ?", key)
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Every setting, sorted by key.
    pub async fn settings(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query!("SELECT key, value FROM settings ORDER BY key")
            .fetch_all(self.pool())
            .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|row| (row.key, row.value))
            .collect())
    }
}
