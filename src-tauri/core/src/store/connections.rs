//! Connections: who is connected to which Box enterprise, through which
//! endpoints, and the token facts health needs. Tokens themselves live in
//! the keychain under the connection's `id`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;

use super::{Store, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum ConnectionState {
    Connected,
    /// Box refused the refresh token (`invalid_grant`): the admin must sign in again.
    NeedsReconnect,
    /// Disconnected by the admin; kept for history.
    Disconnected,
}

/// One row of `connections`. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct ConnectionRecord {
    pub id: String,
    pub datacenter_id: String,
    /// The OAuth client id (public; the client secret is in the keychain).
    pub client_id: String,
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: String,
    pub api_url: String,
    pub account_id: Option<String>,
    pub account_login: Option<String>,
    pub account_name: Option<String>,
    /// Box's `role` of the signed-in user: `admin`, `coadmin` or `user`.
    pub role: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    pub state: ConnectionState,
    /// Why the connection is not `connected` (e.g. Box's error text).
    pub state_reason: Option<String>,
    pub connected_at: DateTime<Utc>,
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// When the current refresh token was issued; Box ends it 60 days later.
    pub refresh_token_issued_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, datacenter_id, client_id, authorize_url, token_url, revoke_url, api_url, \
     account_id, account_login, account_name, role, enterprise_id, enterprise_name, state, \
     state_reason, connected_at, access_token_expires_at, refresh_token_issued_at, \
     last_success_at, updated_at";

fn secs(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(|at| at.timestamp())
}

impl Store {
    /// Inserts the connection, or updates every field of the row with its id.
    /// An upsert, not `INSERT OR REPLACE`: a replace deletes the row first,
    /// and the delete would cascade to the connection's API-test history.
    pub async fn save_connection(&self, record: &ConnectionRecord) -> StoreResult<()> {
        let updates = COLUMNS
            .split(',')
            .map(str::trim)
            .filter(|column| *column != "id")
            .map(|column| format!("{column} = excluded.{column}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO connections ({COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET {updates}"
        ))
        .bind(&record.id)
        .bind(&record.datacenter_id)
        .bind(&record.client_id)
        .bind(&record.authorize_url)
        .bind(&record.token_url)
        .bind(&record.revoke_url)
        .bind(&record.api_url)
        .bind(&record.account_id)
        .bind(&record.account_login)
        .bind(&record.account_name)
        .bind(&record.role)
        .bind(&record.enterprise_id)
        .bind(&record.enterprise_name)
        .bind(record.state)
        .bind(&record.state_reason)
        .bind(record.connected_at.timestamp())
        .bind(secs(record.access_token_expires_at))
        .bind(secs(record.refresh_token_issued_at))
        .bind(secs(record.last_success_at))
        .bind(record.updated_at.timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn connection(&self, id: &str) -> StoreResult<Option<ConnectionRecord>> {
        Ok(
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM connections WHERE id = ?"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The most recently updated connection that is not disconnected
    /// (optionally for one data center): the one the app shows.
    pub async fn current_connection(
        &self,
        datacenter_id: Option<&str>,
    ) -> StoreResult<Option<ConnectionRecord>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM connections \
             WHERE state != 'disconnected' AND (?1 IS NULL OR datacenter_id = ?1) \
             ORDER BY updated_at DESC, rowid DESC LIMIT 1"
        ))
        .bind(datacenter_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every connection, newest first.
    pub async fn connections(&self) -> StoreResult<Vec<ConnectionRecord>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM connections ORDER BY updated_at DESC, rowid DESC"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Returns false when no connection has this id.
    pub async fn set_connection_state(
        &self,
        id: &str,
        state: ConnectionState,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE connections SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?",
        )
        .bind(state)
        .bind(reason)
        .bind(at.timestamp())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a successful token exchange or refresh: the new access-token
    /// expiry and, when Box rotated it, when the new refresh token was issued.
    pub async fn record_token_refresh(
        &self,
        id: &str,
        access_token_expires_at: DateTime<Utc>,
        refresh_token_issued_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE connections SET access_token_expires_at = ?, \
             refresh_token_issued_at = COALESCE(?, refresh_token_issued_at), \
             state = 'connected', state_reason = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(access_token_expires_at.timestamp())
        .bind(secs(refresh_token_issued_at))
        .bind(at.timestamp())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes the connection with its API test history. Call log rows stay
    /// (they carry no foreign key) and age out with retention.
    pub async fn delete_connection(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM connections WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
