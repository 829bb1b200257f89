//! `quarantine` and the quarantine folder: items moved aside by an action,
//! and where they went.

use crate::store::{Millis, Store, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRecord {
    pub item_type: String,
    pub item_id: String,
    pub audit_id: i64,
    pub quarantined_at: Millis,
}

impl Store {
    pub async fn put_quarantine(
        &self,
        connection_id: &str,
        q: QuarantineRecord,
    ) -> StoreResult<()> {
        self.write((connection_id.to_owned(), q), |(id, q), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO quarantine (connection_id, item_type, item_id, audit_id, quarantined_at)
                     VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT (connection_id, item_type, item_id) DO UPDATE
                     SET audit_id = excluded.audit_id, quarantined_at = excluded.quarantined_at",
                    id,
                    q.item_type,
                    q.item_id,
                    q.audit_id,
                    q.quarantined_at
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn quarantined(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Option<QuarantineRecord>> {
        let row = sqlx::query_as!(
            QuarantineRecord,
            r#"SELECT item_type, item_id, audit_id, quarantined_at AS "quarantined_at: Millis"
               FROM quarantine WHERE connection_id = ? AND item_type = ? AND item_id = ?"#,
            connection_id,
            item_type,
            item_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    pub async fn remove_quarantine(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<()> {
        let data = (
            connection_id.to_owned(),
            item_type.to_owned(),
            item_id.to_owned(),
        );
        self.write(data, |(id, t, item), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "DELETE FROM quarantine WHERE connection_id = ? AND item_type = ? AND item_id = ?",
                    id,
                    t,
                    item
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The quarantine folder the app made for this connection, by id.
    pub async fn quarantine_folder(&self, connection_id: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query_scalar!(
            "SELECT folder_id FROM quarantine_folders WHERE connection_id = ?",
            connection_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }

    pub async fn set_quarantine_folder(
        &self,
        connection_id: &str,
        folder_id: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let data = (connection_id.to_owned(), folder_id.to_owned(), now);
        self.write(data, |(id, folder, now), conn| {
            Box::pin(async move {
                sqlx::query!(
                    "INSERT INTO quarantine_folders (connection_id, folder_id, made_at)
                     VALUES (?, ?, ?)
                     ON CONFLICT (connection_id) DO UPDATE
                     SET folder_id = excluded.folder_id, made_at = excluded.made_at",
                    id,
                    folder,
                    now
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }
}
