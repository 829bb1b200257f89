//! `collaborations`: who an item is shared with, as its last listing or
//! scan saw it (replaced whole each time).

use sqlx::sqlite::SqliteConnection;

use crate::store::{Millis, Store, StoreResult};

/// One collaboration on an item, as Box gave it and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CollaborationRecord {
    pub collaboration_id: String,
    pub grantee_type: Option<String>,
    pub grantee_id: Option<String>,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub expires_at: Option<Millis>,
    pub created_at: Option<Millis>,
}

/// Replaces an item's collaborations with `collabs`.
pub(crate) async fn replace_collaborations_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    item_type: &str,
    item_id: &str,
    collabs: &[CollaborationRecord],
    now: Millis,
) -> StoreResult<()> {
    sqlx::query!(
        "DELETE FROM collaborations WHERE connection_id = ? AND item_type = ? AND item_id = ?",
        connection_id,
        item_type,
        item_id
    )
    .execute(&mut *conn)
    .await?;
    for c in collabs {
        sqlx::query!(
            "INSERT OR REPLACE INTO collaborations (connection_id, collaboration_id, item_type,
                 item_id, grantee_type, grantee_id, login, name, role, status, expires_at,
                 created_at, seen_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            connection_id,
            c.collaboration_id,
            item_type,
            item_id,
            c.grantee_type,
            c.grantee_id,
            c.login,
            c.name,
            c.role,
            c.status,
            c.expires_at,
            c.created_at,
            now
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    pub async fn item_collaborations(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Vec<CollaborationRecord>> {
        let rows = sqlx::query_as!(
            CollaborationRecord,
            r#"SELECT collaboration_id, grantee_type, grantee_id, login, name, role, status,
                      expires_at AS "expires_at: Millis", created_at AS "created_at: Millis"
               FROM collaborations
               WHERE connection_id = ?1 AND item_type = ?2 AND item_id = ?3
               ORDER BY login, collaboration_id"#,
            connection_id,
            item_type,
            item_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }
}
