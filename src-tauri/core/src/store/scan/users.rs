//! `scan_users`: the managed users as the users listing gave them, and
//! where each one's walk stands.

use std::collections::HashMap;

use sqlx::sqlite::SqliteConnection;

use super::counts::{count_in, InventoryCounts};
use super::root_folder_id;
use crate::store::{Millis, Store, StoreResult};

/// A managed user as the users listing gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUser {
    pub user_id: String,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    /// Set when this connection may not walk the user's content.
    pub skip_reason: Option<String>,
}

/// Marks the user's walk done if no folder of theirs is left to list in
/// `generation`. Returns whether it changed now.
pub(crate) async fn settle_user_in(
    conn: &mut SqliteConnection,
    connection_id: &str,
    user_id: &str,
    generation: i64,
) -> StoreResult<bool> {
    let left = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM folders WHERE connection_id = ? AND walk_user_id = ?
               AND walk_state IN ('pending', 'listing') AND walk_generation = ?) AS "left!: bool""#,
        connection_id,
        user_id,
        generation
    )
    .fetch_one(&mut *conn)
    .await?;
    if left {
        return Ok(false);
    }
    let done = sqlx::query!(
        "UPDATE scan_users SET walk_state = 'done'
         WHERE connection_id = ? AND user_id = ? AND walk_state IN ('pending', 'walking')",
        connection_id,
        user_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    count_in(
        conn,
        connection_id,
        InventoryCounts {
            users_done: done,
            ..Default::default()
        },
    )
    .await?;
    Ok(done > 0)
}

impl Store {
    /// Saves one page of managed users and the listing's next marker (or
    /// its end) in one transaction; each new user's root joins the frontier.
    pub async fn save_users_page(
        &self,
        connection_id: &str,
        users: Vec<ListedUser>,
        next_marker: Option<String>,
        generation: i64,
        now: Millis,
    ) -> StoreResult<()> {
        let data = (
            connection_id.to_owned(),
            users,
            next_marker,
            generation,
            now,
        );
        self.write(data, |(id, users, marker, generation, now), conn| {
            Box::pin(async move {
                let mut delta = InventoryCounts::default();
                for u in users {
                    let state = if u.skip_reason.is_some() {
                        "skipped"
                    } else {
                        "pending"
                    };
                    let added = sqlx::query!(
                        "INSERT INTO scan_users (connection_id, user_id, login, name, role, status,
                             walk_state, skip_reason, generation)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        id,
                        u.user_id,
                        u.login,
                        u.name,
                        u.role,
                        u.status,
                        state,
                        u.skip_reason,
                        generation
                    )
                    .execute(&mut *conn)
                    .await?
                    .rows_affected() as i64;
                    delta.users_total += added;
                    if added == 0 {
                        continue;
                    }
                    if u.skip_reason.is_some() {
                        delta.users_done += 1;
                        continue;
                    }
                    let root = root_folder_id(&u.user_id);
                    delta.folders_total += sqlx::query!(
                        "INSERT INTO folders (connection_id, folder_id, name, path, owner_id,
                             owner_login, walk_user_id, walk_state, walk_generation, discovered_at)
                         VALUES (?, ?, 'All Files', 'All Files', ?, ?, ?, 'pending', ?, ?)
                         ON CONFLICT DO NOTHING",
                        id,
                        root,
                        u.user_id,
                        u.login,
                        u.user_id,
                        generation,
                        now
                    )
                    .execute(&mut *conn)
                    .await?
                    .rows_affected() as i64;
                }
                let listed_at = marker.is_none().then_some(*now);
                sqlx::query!(
                    "UPDATE scan_state SET users_marker = ?, users_listed_at = ?, updated_at = ?
                     WHERE connection_id = ?",
                    marker,
                    listed_at,
                    now,
                    id
                )
                .execute(&mut *conn)
                .await?;
                count_in(conn, id, delta).await
            })
        })
        .await
    }

    /// Users whose walk is not finished in `generation`.
    pub async fn users_to_walk(
        &self,
        connection_id: &str,
        generation: i64,
    ) -> StoreResult<Vec<String>> {
        let rows = sqlx::query_scalar!(
            "SELECT user_id FROM scan_users WHERE connection_id = ? AND generation = ?
                 AND walk_state IN ('pending', 'walking') ORDER BY user_id",
            connection_id,
            generation
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }

    /// Users this connection does not walk, with why.
    pub async fn skipped_users(&self, connection_id: &str) -> StoreResult<HashMap<String, String>> {
        let rows = sqlx::query!(
            r#"SELECT user_id, skip_reason AS "skip_reason!" FROM scan_users
               WHERE connection_id = ? AND walk_state = 'skipped'"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        Ok(self
            .noted(rows)?
            .into_iter()
            .map(|r| (r.user_id, r.skip_reason))
            .collect())
    }

    /// Settles a user with nothing (left) to list.
    pub async fn settle_user(
        &self,
        connection_id: &str,
        user_id: &str,
        generation: i64,
    ) -> StoreResult<bool> {
        let data = (connection_id.to_owned(), user_id.to_owned(), generation);
        self.write(data, |(id, user, generation), conn| {
            Box::pin(settle_user_in(conn, id, user, *generation))
        })
        .await
    }

    /// The login domains of the enterprise's users (lower case).
    pub async fn enterprise_domains(&self, connection_id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query_scalar!(
            r#"SELECT DISTINCT lower(substr(login, instr(login, '@') + 1)) AS "domain!: String"
               FROM scan_users WHERE connection_id = ? AND instr(login, '@') > 0"#,
            connection_id
        )
        .fetch_all(self.pool())
        .await;
        self.noted(rows)
    }
}
