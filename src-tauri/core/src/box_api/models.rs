//! The parts of Box's JSON the connector reads. Unknown fields are ignored;
//! fields Box may omit (mini representations) are optional.

use serde::Deserialize;

/// `fields` for `/users/me` and `/users`: role and enterprise are only in the
/// full representation, so they must be asked for.
pub const USER_FIELDS: &str = "id,type,name,login,role,status,enterprise";

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
    /// `admin`, `coadmin` or `user`.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub enterprise: Option<EnterpriseRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnterpriseRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A marker-paginated page of users (`usemarker=true`).
#[derive(Debug, Clone, Deserialize)]
pub struct UsersPage {
    #[serde(default)]
    pub entries: Vec<User>,
    #[serde(default)]
    pub next_marker: Option<String>,
}

/// A page of enterprise events. Entries are kept as JSON here; the events
/// module gives them types.
#[derive(Debug, Clone, Deserialize)]
pub struct EventsPage {
    #[serde(default)]
    pub chunk_size: Option<i64>,
    /// Box sends a string or a number.
    #[serde(default)]
    pub next_stream_position: Option<serde_json::Value>,
    #[serde(default)]
    pub entries: Vec<serde_json::Value>,
}

/// Box's error body (`{"type":"error","status","code","message",...}`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct BoxErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
}
