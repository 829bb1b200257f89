//! `item_scans`: each scan of an item (written by the scan's saves in
//! `scanned`), read as one item's story.

use crate::store::{Millis, Store, StoreResult};

/// One scan of an item (`item_scans`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemScanRecord {
    pub at: Millis,
    pub outcome: String,
    pub reason: String,
    pub etag: Option<String>,
    pub detail: Option<String>,
}

impl Store {
    /// Each scan of an item, oldest first.
    pub async fn item_scans(
        &self,
        connection_id: &str,
        item_id: &str,
    ) -> StoreResult<Vec<ItemScanRecord>> {
        let rows = sqlx::query!(
            r#"SELECT at AS "at: Millis", outcome, reason, etag, detail FROM item_scans
               WHERE connection_id = ?1 AND item_id = ?2 ORDER BY at, id"#,
            connection_id,
            item_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| ItemScanRecord {
                at: r.at,
                outcome: r.outcome,
                reason: r.reason,
                etag: r.etag,
                detail: r.detail,
            })
            .collect())
    }
}
