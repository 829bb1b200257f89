//! Plain key/value settings (selected data center, Custom profile URLs and
//! client id). Never secrets: keys that look like one are refused.

use chrono::Utc;

use super::{Store, StoreError, StoreResult};

/// Keys the app uses, so every caller spells them the same way.
pub mod keys {
    pub const SELECTED_DATACENTER: &str = "selected_datacenter";
    pub const CUSTOM_CLIENT_ID: &str = "custom.client_id";
    pub const CUSTOM_AUTHORIZE_URL: &str = "custom.authorize_url";
    pub const CUSTOM_TOKEN_URL: &str = "custom.token_url";
    pub const CUSTOM_REVOKE_URL: &str = "custom.revoke_url";
    pub const CUSTOM_API_URL: &str = "custom.api_url";
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
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(value,)| value))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        if looks_secret(key) {
            return Err(StoreError::Refused(format!(
                "setting \"{key}\" looks like a secret; secrets belong in the keychain"
            )));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(Utc::now().timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_setting(&self, key: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM settings WHERE key = ?")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every setting, sorted by key.
    pub async fn settings(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT key, value FROM settings ORDER BY key")
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
