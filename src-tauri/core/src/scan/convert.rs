//! Box's JSON → the inventory's records. Shared links are kept as the JSON
//! Box sent (the next issue's exposure checks read all of it).

use serde_json::Value;

use crate::box_api::models::{
    Collaboration, CollaborationRole, CollaborationStatus, File, Folder, Grantee, Item,
    PathCollection,
};
use crate::store::scan::{root_folder_id, CollaborationRecord, ListedFile, ListedFolder};
use crate::store::Millis;

/// One listing entry, typed.
pub enum Entry {
    File(ListedFile),
    Folder(ListedFolder),
    /// Web links and types this version does not know: nothing to scan.
    Other,
}

fn shared_link_of(raw: &Value) -> Option<String> {
    raw.get("shared_link")
        .filter(|v| !v.is_null())
        .map(Value::to_string)
}

fn path_of(pc: &Option<PathCollection>, name: &Option<String>) -> Option<String> {
    let pc = pc.as_ref()?;
    let mut parts: Vec<&str> = pc
        .entries
        .iter()
        .map(|f| f.name.as_deref().unwrap_or(""))
        .collect();
    parts.push(name.as_deref().unwrap_or(""));
    Some(parts.join("/"))
}

/// A listing entry; `parent_id` is the frontier id of the folder listed.
pub fn entry(raw: Value, parent_id: &str) -> Result<Entry, serde_json::Error> {
    let shared_link = shared_link_of(&raw);
    Ok(match serde_json::from_value::<Item>(raw)? {
        Item::File(f) => Entry::File(ListedFile {
            parent_id: Some(parent_id.to_owned()),
            shared_link,
            ..file(f)
        }),
        Item::Folder(d) => Entry::Folder(ListedFolder {
            parent_id: Some(parent_id.to_owned()),
            shared_link,
            ..folder(d)
        }),
        Item::WebLink(_) | Item::Other => Entry::Other,
    })
}

/// A file as `GET /files/{id}` gave it (`raw` for its shared link).
pub fn fetched_file(raw: Value) -> Result<ListedFile, serde_json::Error> {
    let shared_link = shared_link_of(&raw);
    let f: File = serde_json::from_value(raw)?;
    let mut listed = ListedFile {
        shared_link,
        ..file(f)
    };
    // Box calls each user's root "0": the inventory keys it by its owner.
    if listed.parent_id.as_deref() == Some("0") {
        listed.parent_id = listed.owner_id.as_deref().map(root_folder_id);
    }
    Ok(listed)
}

pub fn fetched_folder(raw: Value) -> Result<ListedFolder, serde_json::Error> {
    let shared_link = shared_link_of(&raw);
    let d: Folder = serde_json::from_value(raw)?;
    Ok(ListedFolder {
        shared_link,
        ..folder(d)
    })
}

fn file(f: File) -> ListedFile {
    ListedFile {
        path: path_of(&f.path_collection, &f.name),
        parent_id: f.parent.map(|p| p.id),
        owner_id: f.owned_by.as_ref().map(|o| o.id.clone()),
        owner_login: f.owned_by.and_then(|o| o.login),
        etag: f.etag,
        sha1: f.sha1,
        size: f.size.map(|s| s.min(i64::MAX as u64) as i64),
        modified_at: f.modified_at.map(Millis::from),
        content_modified_at: f.content_modified_at.map(Millis::from),
        shared_link: None,
        has_collaborations: f.has_collaborations,
        is_externally_owned: f.is_externally_owned,
        name: f.name,
        file_id: f.id,
    }
}

fn folder(d: Folder) -> ListedFolder {
    ListedFolder {
        path: path_of(&d.path_collection, &d.name),
        parent_id: d.parent.map(|p| p.id),
        owner_id: d.owned_by.as_ref().map(|o| o.id.clone()),
        owner_login: d.owned_by.and_then(|o| o.login),
        etag: d.etag,
        shared_link: None,
        has_collaborations: d.has_collaborations,
        is_externally_owned: d.is_externally_owned,
        name: d.name,
        folder_id: d.id,
    }
}

fn role_name(role: CollaborationRole) -> &'static str {
    match role {
        CollaborationRole::Editor => "editor",
        CollaborationRole::Viewer => "viewer",
        CollaborationRole::Previewer => "previewer",
        CollaborationRole::Uploader => "uploader",
        CollaborationRole::PreviewerUploader => "previewer uploader",
        CollaborationRole::ViewerUploader => "viewer uploader",
        CollaborationRole::CoOwner => "co-owner",
        CollaborationRole::Owner => "owner",
        CollaborationRole::Other => "other",
    }
}

fn status_name(status: CollaborationStatus) -> &'static str {
    match status {
        CollaborationStatus::Accepted => "accepted",
        CollaborationStatus::Pending => "pending",
        CollaborationStatus::Rejected => "rejected",
        CollaborationStatus::Other => "other",
    }
}

pub fn collaboration(c: &Collaboration) -> CollaborationRecord {
    let (grantee_type, grantee_id, name) = match &c.accessible_by {
        Some(Grantee::User(u)) => (Some("user"), Some(u.id.clone()), u.name.clone()),
        Some(Grantee::Group(g)) => (Some("group"), Some(g.id.clone()), g.name.clone()),
        Some(Grantee::Other) | None => (None, None, None),
    };
    CollaborationRecord {
        collaboration_id: c.id.clone(),
        grantee_type: grantee_type.map(str::to_owned),
        grantee_id,
        login: c.login().map(str::to_owned),
        name,
        role: c.role.map(|r| role_name(r).to_owned()),
        status: c.status.map(|s| status_name(s).to_owned()),
        expires_at: c.expires_at.map(Millis::from),
        created_at: c.created_at.map(Millis::from),
    }
}
