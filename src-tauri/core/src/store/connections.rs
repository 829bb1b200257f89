//! Connections: who is connected to which Box enterprise, through which
//! endpoints, and the token facts health needs. Tokens themselves live in
//! the keychain under the connection's `id`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{time, Millis, Store, StoreResult};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The OAuth scopes asked for at sign-in (space-separated); `None` for a
    /// row from before they were kept, which means `auth::DEFAULT_SCOPE`.
    pub scopes: Option<String>,
}

/// A row as stored: timestamps in [`Millis`].
struct ConnectionRow {
    id: String,
    datacenter_id: String,
    client_id: String,
    authorize_url: String,
    token_url: String,
    revoke_url: String,
    api_url: String,
    account_id: Option<String>,
    account_login: Option<String>,
    account_name: Option<String>,
    role: Option<String>,
    enterprise_id: Option<String>,
    enterprise_name: Option<String>,
    state: ConnectionState,
    state_reason: Option<String>,
    connected_at: Millis,
    access_token_expires_at: Option<Millis>,
    refresh_token_issued_at: Option<Millis>,
    last_success_at: Option<Millis>,
    updated_at: Millis,
    scopes: Option<String>,
}

impl From<ConnectionRow> for ConnectionRecord {
    fn from(row: ConnectionRow) -> Self {
        ConnectionRecord {
            id: row.id,
            datacenter_id: row.datacenter_id,
            client_id: row.client_id,
            authorize_url: row.authorize_url,
            token_url: row.token_url,
            revoke_url: row.revoke_url,
            api_url: row.api_url,
            account_id: row.account_id,
            account_login: row.account_login,
            account_name: row.account_name,
            role: row.role,
            enterprise_id: row.enterprise_id,
            enterprise_name: row.enterprise_name,
            state: row.state,
            state_reason: row.state_reason,
            connected_at: row.connected_at.into(),
            access_token_expires_at: time::opt_datetime(row.access_token_expires_at),
            refresh_token_issued_at: time::opt_datetime(row.refresh_token_issued_at),
            last_success_at: time::opt_datetime(row.last_success_at),
            updated_at: row.updated_at.into(),
            scopes: row.scopes,
        }
    }
}

/// `SELECT <every column> FROM connections <rest>`, checked at compile time
/// into a [`ConnectionRow`]; `$rest` must be a string literal.
macro_rules! select_connections {
    ($rest:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ConnectionRow,
            r#"SELECT id AS "id!", datacenter_id AS "datacenter_id!", client_id AS "client_id!",
                      authorize_url AS "authorize_url!", token_url AS "token_url!",
                      revoke_url AS "revoke_url!", api_url AS "api_url!",
                      account_id AS "account_id?", account_login AS "account_login?",
                      account_name AS "account_name?", role AS "role?",
                      enterprise_id AS "enterprise_id?", enterprise_name AS "enterprise_name?",
                      state AS "state!: ConnectionState", state_reason AS "state_reason?",
                      connected_at AS "connected_at!: Millis",
                      access_token_expires_at AS "access_token_expires_at?: Millis",
                      refresh_token_issued_at AS "refresh_token_issued_at?: Millis",
                      last_success_at AS "last_success_at?: Millis",
                      updated_at AS "updated_at!: Millis", scopes AS "scopes?"
               FROM connections "# + $rest
            $(, $arg)*
        )
    };
}

/// What `/users/me` says about the signed-in account; `None` keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFacts {
    pub account_id: String,
    pub account_login: Option<String>,
    pub account_name: Option<String>,
    pub role: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
}

impl Store {
    /// Inserts the connection, or updates every field of the row with its id.
    /// An upsert, not `INSERT OR REPLACE`: a replace deletes the row first,
    /// and the delete would cascade to the connection's API-test history.
    pub async fn save_connection(&self, record: &ConnectionRecord) -> StoreResult<()> {
        self.write(record.clone(), |r, conn| {
            Box::pin(async move {
                let connected_at = Millis::from(r.connected_at);
                let access_token_expires_at = time::opt(r.access_token_expires_at);
                let refresh_token_issued_at = time::opt(r.refresh_token_issued_at);
                let last_success_at = time::opt(r.last_success_at);
                let updated_at = Millis::from(r.updated_at);
                sqlx::query!(
                    "INSERT INTO connections (id, datacenter_id, client_id, authorize_url, \
                     token_url, revoke_url, api_url, account_id, account_login, account_name, \
                     role, enterprise_id, enterprise_name, state, state_reason, connected_at, \
                     access_token_expires_at, refresh_token_issued_at, last_success_at, \
                     updated_at, scopes) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (id) DO UPDATE SET datacenter_id = excluded.datacenter_id, \
                     client_id = excluded.client_id, authorize_url = excluded.authorize_url, \
                     token_url = excluded.token_url, revoke_url = excluded.revoke_url, \
                     api_url = excluded.api_url, account_id = excluded.account_id, \
                     account_login = excluded.account_login, \
                     account_name = excluded.account_name, role = excluded.role, \
                     enterprise_id = excluded.enterprise_id, \
                     enterprise_name = excluded.enterprise_name, state = excluded.state, \
                     state_reason = excluded.state_reason, \
                     connected_at = excluded.connected_at, \
                     access_token_expires_at = excluded.access_token_expires_at, \
                     refresh_token_issued_at = excluded.refresh_token_issued_at, \
                     last_success_at = excluded.last_success_at, \
                     updated_at = excluded.updated_at, scopes = excluded.scopes",
                    r.id,
                    r.datacenter_id,
                    r.client_id,
                    r.authorize_url,
                    r.token_url,
                    r.revoke_url,
                    r.api_url,
                    r.account_id,
                    r.account_login,
                    r.account_name,
                    r.role,
                    r.enterprise_id,
                    r.enterprise_name,
                    r.state,
                    r.state_reason,
                    connected_at,
                    access_token_expires_at,
                    refresh_token_issued_at,
                    last_success_at,
                    updated_at,
                    r.scopes,
                )
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn connection(&self, id: &str) -> StoreResult<Option<ConnectionRecord>> {
        let row = select_connections!("WHERE id = ?", id)
            .fetch_optional(self.pool())
            .await;
        Ok(self.noted(row)?.map(ConnectionRecord::from))
    }

    /// The most recently updated connection that is not disconnected
    /// (optionally for one data center): the one the app shows.
    pub async fn current_connection(
        &self,
        datacenter_id: Option<&str>,
    ) -> StoreResult<Option<ConnectionRecord>> {
        let row = select_connections!(
            "WHERE state != 'disconnected' AND (?1 IS NULL OR datacenter_id = ?1) \
             ORDER BY updated_at DESC, rowid DESC LIMIT 1",
            datacenter_id,
        )
        .fetch_optional(self.pool())
        .await;
        Ok(self.noted(row)?.map(ConnectionRecord::from))
    }

    /// Every connection, newest first.
    pub async fn connections(&self) -> StoreResult<Vec<ConnectionRecord>> {
        let rows = select_connections!("ORDER BY updated_at DESC, rowid DESC")
            .fetch_all(self.pool())
            .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(ConnectionRecord::from)
            .collect())
    }

    /// Returns false when no connection has this id.
    pub async fn set_connection_state(
        &self,
        id: &str,
        state: ConnectionState,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let change = (
            id.to_owned(),
            state,
            reason.map(str::to_owned),
            Millis::from(at),
        );
        self.write(change, |(id, state, reason, at), conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    "UPDATE connections SET state = ?, state_reason = ?, updated_at = ? \
                     WHERE id = ?",
                    state,
                    reason,
                    at,
                    id,
                )
                .execute(conn)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    /// Records a successful token exchange or refresh: the new access-token
    /// expiry and, when Box rotated it, when the new refresh token was issued.
    /// The account facts `/users/me` gave, without touching the row's
    /// state (another process may have disconnected it meanwhile).
    pub async fn update_account(
        &self,
        id: &str,
        account: AccountFacts,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let update = (id.to_owned(), account, Millis::from(at));
        self.write(update, |(id, a, at), conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    "UPDATE connections SET account_id = ?, \
                     account_login = COALESCE(?, account_login), \
                     account_name = COALESCE(?, account_name), role = COALESCE(?, role), \
                     enterprise_id = COALESCE(?, enterprise_id), \
                     enterprise_name = COALESCE(?, enterprise_name), updated_at = ? WHERE id = ?",
                    a.account_id,
                    a.account_login,
                    a.account_name,
                    a.role,
                    a.enterprise_id,
                    a.enterprise_name,
                    at,
                    id,
                )
                .execute(conn)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    pub async fn record_token_refresh(
        &self,
        id: &str,
        access_token_expires_at: DateTime<Utc>,
        refresh_token_issued_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let refresh = (
            id.to_owned(),
            Millis::from(access_token_expires_at),
            time::opt(refresh_token_issued_at),
            Millis::from(at),
        );
        self.write(refresh, |(id, expires_at, issued_at, at), conn| {
            Box::pin(async move {
                let done = sqlx::query!(
                    // A row another process disconnected stays disconnected.
                    "UPDATE connections SET access_token_expires_at = ?, \
                     refresh_token_issued_at = COALESCE(?, refresh_token_issued_at), \
                     state = 'connected', state_reason = NULL, updated_at = ? \
                     WHERE id = ? AND state != 'disconnected'",
                    expires_at,
                    issued_at,
                    at,
                    id,
                )
                .execute(conn)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    /// Removes the connection with its API test history. Call log rows stay
    /// (they carry no foreign key) and age out with retention.
    pub async fn delete_connection(&self, id: &str) -> StoreResult<bool> {
        self.write(id.to_owned(), |id, conn| {
            Box::pin(async move {
                let done = sqlx::query!("DELETE FROM connections WHERE id = ?", id)
                    .execute(conn)
                    .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }
}
