//! Store tests, each on a real SQLite file in its own temp dir.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::Connection;

use super::*;

mod connections_and_calls;
mod finding_signals;
mod opening;
mod timestamps;
mod writing;

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(DATABASE_FILE_NAME)
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .expect("valid timestamp")
}

fn sample_connection(id: &str) -> ConnectionRecord {
    ConnectionRecord {
        id: id.to_owned(),
        datacenter_id: "sandbox".into(),
        client_id: "sandbox-client".into(),
        authorize_url: "http://127.0.0.1:1/api/oauth2/authorize".into(),
        token_url: "http://127.0.0.1:1/oauth2/token".into(),
        revoke_url: "http://127.0.0.1:1/oauth2/revoke".into(),
        api_url: "http://127.0.0.1:1/2.0".into(),
        account_id: Some("11446498".into()),
        account_login: Some("admin@example.com".into()),
        account_name: Some("Ada Admin".into()),
        role: Some("admin".into()),
        enterprise_id: Some("4242".into()),
        enterprise_name: Some("Example Corp".into()),
        state: ConnectionState::Connected,
        state_reason: None,
        connected_at: at(1_764_000_000),
        access_token_expires_at: Some(at(1_764_003_600)),
        refresh_token_issued_at: Some(at(1_764_000_000)),
        last_success_at: None,
        updated_at: at(1_764_000_000),
        scopes: Some("root_readonly manage_managed_users".into()),
    }
}

fn call(connection: &str, at_secs: i64, status: Option<u16>, latency_ms: u32) -> ApiCallRecord {
    ApiCallRecord {
        connection_id: Some(connection.to_owned()),
        at: at(at_secs),
        method: "GET".into(),
        endpoint: "/2.0/users/me".into(),
        status,
        latency_ms,
        rate_limited: status == Some(429),
        error_code: status.filter(|s| *s >= 400).map(|s| format!("http_{s}")),
    }
}

/// Name, size and content hash of every file in the database's folder
/// except the opener's (empty) lock file.
fn folder_fingerprint(path: &Path) -> Vec<(PathBuf, usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files: Vec<(PathBuf, usize, u64)> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|ext| ext != "lock"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            (p, bytes.len(), hasher.finish())
        })
        .collect();
    files.sort();
    files
}

fn sidecars(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().expect("has parent");
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p != path)
        .collect();
    names.sort();
    names
}

/// A database carrying every migration this binary knows plus a later one,
/// as a newer Box Connector would leave it.
async fn make_newer_database(path: &Path) -> i64 {
    let store = Store::open(path).await.expect("open");
    let future = latest_schema_version() + 1_000_000;
    let mut tx = store.begin_write().await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (?, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .bind(future)
    .execute(&mut *tx)
    .await
    .expect("insert future migration");
    tx.commit().await.unwrap();
    store.close().await;
    future
}
