//! The scan's `files`, `folders` and `scan_users` as governance reads them
//! (a bulk preview's item, the role of an item's owner).

use crate::store::{Store, StoreResult};

/// A file or folder as the scan stored it, for a bulk preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    pub name: Option<String>,
    pub path: Option<String>,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
    pub shared_link: Option<String>,
    pub externally_owned: bool,
    pub removed: bool,
}

impl Store {
    /// The item as the last scan saw it (`None`: never listed).
    pub async fn stored_item(
        &self,
        connection_id: &str,
        item_type: &str,
        item_id: &str,
    ) -> StoreResult<Option<StoredItem>> {
        let row = if item_type == "file" {
            sqlx::query_as!(
                StoredItem,
                r#"SELECT name, path, parent_id, owner_id, owner_login, shared_link,
                          COALESCE(is_externally_owned, 0) AS "externally_owned!: bool",
                          removed_at IS NOT NULL AS "removed!: bool"
                   FROM files WHERE connection_id = ? AND file_id = ?"#,
                connection_id,
                item_id
            )
            .fetch_optional(self.pool())
            .await
        } else {
            sqlx::query_as!(
                StoredItem,
                r#"SELECT name, path, parent_id, owner_id, owner_login, shared_link,
                          COALESCE(is_externally_owned, 0) AS "externally_owned!: bool",
                          FALSE AS "removed!: bool"
                   FROM folders WHERE connection_id = ? AND folder_id = ?"#,
                connection_id,
                item_id
            )
            .fetch_optional(self.pool())
            .await
        };
        self.noted(row)
    }

    /// A managed user's role as listed (`None`: not a listed managed user).
    pub async fn user_role(
        &self,
        connection_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query_scalar!(
            r#"SELECT COALESCE(role, 'user') AS "role!: String" FROM scan_users
               WHERE connection_id = ? AND user_id = ?"#,
            connection_id,
            user_id
        )
        .fetch_optional(self.pool())
        .await;
        self.noted(row)
    }
}
