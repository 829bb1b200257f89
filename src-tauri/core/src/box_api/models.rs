//! The parts of Box's JSON the connector reads (shapes from Box's OpenAPI
//! spec). Unknown fields are ignored; fields Box may omit (mini
//! representations, `fields=` selections) are optional; enums Box may grow
//! have an `Other` arm so a new value never fails a whole page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// `fields` for `/users/me` and `/users`: role and enterprise are only in the
/// full representation, so they must be asked for.
pub const USER_FIELDS: &str = "id,type,name,login,role,status,enterprise";

/// `fields` for files and folder listings: everything a scan needs, so no
/// file needs a second call (BOX-FACTS "Listing users and files").
pub const ITEM_FIELDS: &str = "type,id,etag,sha1,name,size,modified_at,content_modified_at,\
owned_by,shared_link,parent,path_collection,has_collaborations,is_externally_owned,item_status";

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

/// `User--Mini`: who owns, created or collaborates.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MiniUser {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
}

/// A marker-paginated page (`usemarker=true`, or the collaboration
/// listings' plain `marker`).
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub entries: Vec<T>,
    /// Absent, `null` or `""` on the last page.
    #[serde(default)]
    pub next_marker: Option<String>,
}

pub type UsersPage = Page<User>;

/// `Folder--Mini`, as in `parent` and `path_collection`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FolderRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub etag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PathCollection {
    #[serde(default)]
    pub total_count: Option<u64>,
    #[serde(default)]
    pub entries: Vec<FolderRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedLinkAccess {
    Open,
    Company,
    Collaborators,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedLinkPermissions {
    #[serde(default)]
    pub can_download: Option<bool>,
    #[serde(default)]
    pub can_preview: Option<bool>,
    #[serde(default)]
    pub can_edit: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedLink {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub download_url: Option<String>,
    /// What was asked for; `effective_access` may be stricter (enterprise policy).
    #[serde(default)]
    pub access: Option<SharedLinkAccess>,
    #[serde(default)]
    pub effective_access: Option<SharedLinkAccess>,
    #[serde(default)]
    pub effective_permission: Option<String>,
    #[serde(default)]
    pub permissions: Option<SharedLinkPermissions>,
    #[serde(default)]
    pub unshared_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub is_password_enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct File {
    pub id: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub sha1: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub content_modified_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub owned_by: Option<MiniUser>,
    #[serde(default)]
    pub shared_link: Option<SharedLink>,
    #[serde(default)]
    pub parent: Option<FolderRef>,
    #[serde(default)]
    pub path_collection: Option<PathCollection>,
    #[serde(default)]
    pub has_collaborations: Option<bool>,
    #[serde(default)]
    pub is_externally_owned: Option<bool>,
    /// `active`, `trashed` or `deleted`.
    #[serde(default)]
    pub item_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Folder {
    pub id: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub owned_by: Option<MiniUser>,
    #[serde(default)]
    pub shared_link: Option<SharedLink>,
    #[serde(default)]
    pub parent: Option<FolderRef>,
    #[serde(default)]
    pub path_collection: Option<PathCollection>,
    #[serde(default)]
    pub has_collaborations: Option<bool>,
    #[serde(default)]
    pub is_externally_owned: Option<bool>,
    #[serde(default)]
    pub item_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebLink {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub shared_link: Option<SharedLink>,
}

/// An entry of a folder listing, by its `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    File(File),
    Folder(Folder),
    WebLink(WebLink),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CollaborationRole {
    #[serde(rename = "editor")]
    Editor,
    #[serde(rename = "viewer")]
    Viewer,
    #[serde(rename = "previewer")]
    Previewer,
    #[serde(rename = "uploader")]
    Uploader,
    #[serde(rename = "previewer uploader")]
    PreviewerUploader,
    #[serde(rename = "viewer uploader")]
    ViewerUploader,
    #[serde(rename = "co-owner")]
    CoOwner,
    #[serde(rename = "owner")]
    Owner,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollaborationStatus {
    Accepted,
    Pending,
    Rejected,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MiniGroup {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub group_type: Option<String>,
}

/// Who a collaboration grants access to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Grantee {
    User(MiniUser),
    Group(MiniGroup),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Collaboration {
    pub id: String,
    /// `null` for an invite not yet accepted by someone without a Box account.
    #[serde(default)]
    pub accessible_by: Option<Grantee>,
    /// Pending invites: the address invited.
    #[serde(default)]
    pub invite_email: Option<String>,
    #[serde(default)]
    pub role: Option<CollaborationRole>,
    #[serde(default)]
    pub status: Option<CollaborationStatus>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_by: Option<MiniUser>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

impl Collaboration {
    /// The collaborator's login (a user's, or the invited address).
    pub fn login(&self) -> Option<&str> {
        match &self.accessible_by {
            Some(Grantee::User(u)) => u.login.as_deref().or(self.invite_email.as_deref()),
            _ => self.invite_email.as_deref(),
        }
    }
}

/// A stream position: Box sends a string or a number; kept as the string
/// to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPosition(pub String);

impl<'de> Deserialize<'de> for StreamPosition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Whole(u64),
            Signed(i64),
        }
        Ok(StreamPosition(match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Whole(n) => n.to_string(),
            Raw::Signed(n) => n.to_string(),
        }))
    }
}

impl std::fmt::Display for StreamPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One enterprise (or user) event. `source` is whatever Box put there (an
/// item, a user, a group...); `item_type` / `item_id` are read from it where
/// present (`admin_logs` writes `item_type`/`item_id`, the user stream a
/// full item with `type`/`id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub created_by: Option<MiniUser>,
    pub source: Option<serde_json::Value>,
    pub item_type: Option<String>,
    pub item_id: Option<String>,
    pub ip_address: Option<String>,
    pub additional_details: Option<serde_json::Value>,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            event_id: Option<String>,
            #[serde(default)]
            event_type: Option<String>,
            #[serde(default)]
            created_at: Option<DateTime<Utc>>,
            #[serde(default)]
            created_by: Option<MiniUser>,
            #[serde(default)]
            source: Option<serde_json::Value>,
            #[serde(default)]
            ip_address: Option<String>,
            #[serde(default)]
            additional_details: Option<serde_json::Value>,
        }
        let raw = Raw::deserialize(d)?;
        let text = |keys: &[&str]| {
            let source = raw.source.as_ref()?;
            keys.iter().find_map(|k| match source.get(k)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let item_type = text(&["item_type", "type"]);
        let item_id = text(&["item_id", "id"]);
        Ok(Event {
            event_id: raw.event_id,
            event_type: raw.event_type,
            created_at: raw.created_at,
            created_by: raw.created_by,
            item_type,
            item_id,
            source: raw.source.filter(|s| !s.is_null()),
            ip_address: raw.ip_address,
            additional_details: raw.additional_details,
        })
    }
}

/// A page of events.
#[derive(Debug, Clone, Deserialize)]
pub struct EventsPage {
    #[serde(default)]
    pub chunk_size: Option<i64>,
    #[serde(default)]
    pub next_stream_position: Option<StreamPosition>,
    #[serde(default)]
    pub entries: Vec<Event>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_positions_come_as_strings_or_numbers() {
        for body in [
            r#"{"chunk_size":0,"next_stream_position":"1152922976252290886","entries":[]}"#,
            r#"{"chunk_size":0,"next_stream_position":1152922976252290886,"entries":[]}"#,
        ] {
            let page: EventsPage = serde_json::from_str(body).unwrap();
            assert_eq!(
                page.next_stream_position,
                Some(StreamPosition("1152922976252290886".into()))
            );
        }
    }

    #[test]
    fn events_keep_source_loose_and_read_the_item_from_it() {
        let admin_log = r#"{"type":"event","event_id":"e1","event_type":"SHARE",
            "created_at":"2025-01-02T03:04:05-08:00","created_by":{"type":"user","id":"2","name":"Anonymous User"},
            "source":{"item_type":"file","item_id":"123","item_name":"a.txt","parent":{"type":"folder","id":"0"}},
            "additional_details":{"shared_link_access":"open"}}"#;
        let e: Event = serde_json::from_str(admin_log).unwrap();
        assert_eq!(e.item_type.as_deref(), Some("file"));
        assert_eq!(e.item_id.as_deref(), Some("123"));
        assert_eq!(e.created_by.unwrap().id, "2");
        assert_eq!(
            e.created_at.unwrap().to_rfc3339(),
            "2025-01-02T11:04:05+00:00"
        );
        assert_eq!(e.source.unwrap()["item_name"], "a.txt");
        let user_stream = r#"{"event_id":"e2","source":{"type":"folder","id":"77"}}"#;
        let e: Event = serde_json::from_str(user_stream).unwrap();
        assert_eq!(
            (e.item_type.as_deref(), e.item_id.as_deref()),
            (Some("folder"), Some("77"))
        );
        let no_source: Event = serde_json::from_str(r#"{"source":null}"#).unwrap();
        assert_eq!((no_source.source, no_source.item_id), (None, None));
    }

    #[test]
    fn folder_entries_are_typed_by_their_type() {
        let page: Page<Item> = serde_json::from_str(
            r#"{"entries":[
                {"type":"file","id":"1","etag":"0","sha1":"ab","size":12,
                 "owned_by":{"type":"user","id":"9","login":"o@x.com"},
                 "shared_link":{"access":"open","effective_access":"company","unshared_at":null,
                   "is_password_enabled":false,"permissions":{"can_download":true,"can_preview":true,"can_edit":false}},
                 "has_collaborations":true,"is_externally_owned":false,
                 "path_collection":{"total_count":1,"entries":[{"type":"folder","id":"0","name":"All Files"}]}},
                {"type":"folder","id":"2","name":"f"},
                {"type":"web_link","id":"3","url":"https://example.com"},
                {"type":"something_new","id":"4"}
            ],"next_marker":""}"#,
        )
        .unwrap();
        let Item::File(f) = &page.entries[0] else {
            panic!("{:?}", page.entries[0])
        };
        let link = f.shared_link.as_ref().unwrap();
        assert_eq!(link.access, Some(SharedLinkAccess::Open));
        assert_eq!(link.effective_access, Some(SharedLinkAccess::Company));
        assert_eq!(link.permissions.as_ref().unwrap().can_download, Some(true));
        assert_eq!(f.path_collection.as_ref().unwrap().entries[0].id, "0");
        assert!(matches!(page.entries[1], Item::Folder(_)));
        assert!(matches!(page.entries[2], Item::WebLink(_)));
        assert_eq!(page.entries[3], Item::Other);
    }

    #[test]
    fn collaborations_name_their_grantee() {
        let c: Collaboration = serde_json::from_str(
            r#"{"type":"collaboration","id":"5","role":"previewer uploader","status":"pending",
                "accessible_by":{"type":"user","id":"8","login":"ext@other.com"},"invite_email":null}"#,
        )
        .unwrap();
        assert_eq!(c.role, Some(CollaborationRole::PreviewerUploader));
        assert_eq!(c.status, Some(CollaborationStatus::Pending));
        assert_eq!(c.login(), Some("ext@other.com"));
        let g: Collaboration = serde_json::from_str(
            r#"{"id":"6","role":"editor","accessible_by":{"type":"group","id":"g1","name":"Sales"}}"#,
        )
        .unwrap();
        assert!(matches!(g.accessible_by, Some(Grantee::Group(_))));
    }
}
