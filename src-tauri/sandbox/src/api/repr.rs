//! JSON representations of users, folders, files and collaborations, field by field,
//! so `fields` costs only what it asks for.

use serde_json::{json, Map, Value};

use crate::enterprise::{Access, AccountKind, Enterprise, LinkSettings};

pub fn ts(unix: i64) -> String {
    // Box writes an explicit offset ("+00:00"), not "Z".
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

pub fn user_mini(ent: &Enterprise, u: u32) -> Value {
    let a = &ent.accounts[u as usize];
    json!({"type": "user", "id": a.id.to_string(), "name": a.name, "login": a.login})
}

const USER_STANDARD: &[&str] = &[
    "type",
    "id",
    "name",
    "login",
    "created_at",
    "modified_at",
    "language",
    "timezone",
    "space_amount",
    "space_used",
    "max_upload_size",
    "status",
    "job_title",
    "phone",
    "address",
    "avatar_url",
];

pub fn user_field(ent: &Enterprise, u: u32, field: &str, base: &str) -> Option<Value> {
    let a = &ent.accounts[u as usize];
    let managed = a.kind == AccountKind::Managed;
    Some(match field {
        "type" => json!("user"),
        "id" => json!(a.id.to_string()),
        "name" => json!(a.name),
        "login" => json!(a.login),
        "created_at" => json!(ts(a.created_at)),
        "modified_at" => json!(ts(a.created_at + 86_400)),
        "language" => json!("en"),
        "timezone" => json!("America/Los_Angeles"),
        "space_amount" => json!(999_999_999_999_999i64),
        "space_used" => json!(if managed {
            1_000_000 + (a.id % 97) as i64 * 12_345_678
        } else {
            0
        }),
        "max_upload_size" => json!(5_368_709_120i64),
        "status" => json!("active"),
        "job_title" => json!(if managed { a.job_title.as_str() } else { "" }),
        "phone" => json!(""),
        "address" => json!(""),
        "avatar_url" => json!(format!("{base}/api/avatar/large/{}", a.id)),
        "notification_email" => Value::Null,
        "role" => json!(a.role.as_str()),
        "tracking_codes" => json!([]),
        "can_see_managed_users" => json!(managed && a.role != crate::enterprise::Role::User),
        "is_sync_enabled" => json!(true),
        "is_external_collab_restricted" => json!(false),
        "is_exempt_from_device_limits" => json!(false),
        "is_exempt_from_login_verification" => json!(false),
        // Accounts without an enterprise have none; the spec does not allow null here.
        "enterprise" if managed => json!({"type": "enterprise", "id": ent.id, "name": ent.name}),
        "my_tags" => json!([]),
        "hostname" => json!(format!("{base}/")),
        "is_platform_access_only" => json!(false),
        "external_app_user_id" => json!(""),
        _ => return None,
    })
}

/// `fields` given: type, id and what was asked. Absent: the standard representation.
pub fn select(
    fields: Option<&[String]>,
    standard: &[&str],
    mut get: impl FnMut(&str) -> Option<Value>,
) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, m: &mut Map<String, Value>| {
        if !m.contains_key(k) {
            if let Some(v) = get(k) {
                m.insert(k.to_string(), v);
            }
        }
    };
    match fields {
        Some(list) => {
            put("type", &mut m);
            put("id", &mut m);
            for f in list {
                put(f, &mut m);
            }
        }
        None => {
            for f in standard {
                put(f, &mut m);
            }
        }
    }
    Value::Object(m)
}

pub fn user(ent: &Enterprise, u: u32, fields: Option<&[String]>, base: &str) -> Value {
    select(fields, USER_STANDARD, |f| user_field(ent, u, f, base))
}

// ---- folders ----

fn folder_etag(ent: &Enterprise, f: u32) -> Value {
    ent.folder_etag(f)
        .map_or(Value::Null, |e| Value::String(e.to_string()))
}

pub fn folder_mini(ent: &Enterprise, f: u32) -> Value {
    json!({
        "type": "folder",
        "id": ent.folder_box_id(f),
        "sequence_id": folder_etag(ent, f),
        "etag": folder_etag(ent, f),
        "name": ent.folder_name(f),
    })
}

fn path_collection(ent: &Enterprise, ancestors: &[u32]) -> Value {
    let entries: Vec<Value> = ancestors.iter().map(|&a| folder_mini(ent, a)).collect();
    json!({"total_count": entries.len(), "entries": entries})
}

/// Whether a link lets people download: never for `collaborators` links.
pub fn link_can_download(access: Access, s: &LinkSettings) -> bool {
    access != Access::Collaborators && s.can_download.unwrap_or(true)
}

fn shared_link(
    (access, s): (Access, LinkSettings),
    base: &str,
    key: &str,
    is_file: bool,
    name: &str,
) -> Value {
    let can_download = link_can_download(access, &s);
    let can_edit = s.can_edit && can_download && is_file;
    json!({
        "url": format!("{base}/s/{key}"),
        "download_url": if is_file { json!(format!("{base}/shared/static/{key}.{}", name.rsplit('.').next().unwrap_or("bin"))) } else { Value::Null },
        "vanity_url": s.vanity_name.as_ref().map_or(Value::Null, |v| json!(format!("{base}/v/{v}"))),
        "vanity_name": s.vanity_name,
        "access": access.as_str(),
        "effective_access": access.as_str(),
        "effective_permission": if can_edit { "can_edit" } else if can_download { "can_download" } else { "can_preview" },
        "unshared_at": s.unshared_at.map_or(Value::Null, |t| json!(ts(t))),
        "is_password_enabled": s.password,
        "permissions": {"can_download": can_download, "can_preview": true, "can_edit": can_edit},
        "download_count": 0,
        "preview_count": 0,
    })
}

fn link_key(kind: u64, idx: u32, seed: u64) -> String {
    format!(
        "{:016x}{:016x}",
        crate::rng::h(seed, kind, idx as u64),
        crate::rng::h(seed, kind ^ 1, idx as u64)
    )
}

const FOLDER_STANDARD: &[&str] = &[
    "type",
    "id",
    "sequence_id",
    "etag",
    "name",
    "created_at",
    "modified_at",
    "description",
    "size",
    "path_collection",
    "created_by",
    "modified_by",
    "trashed_at",
    "purged_at",
    "content_created_at",
    "content_modified_at",
    "owned_by",
    "shared_link",
    "folder_upload_email",
    "parent",
    "item_status",
];

pub fn folder_field(ent: &Enterprise, f: u32, field: &str, base: &str) -> Option<Value> {
    let i = f as usize;
    let root = ent.is_root(f);
    let owner = ent.folders.owner[i];
    Some(match field {
        "type" => json!("folder"),
        "id" => json!(ent.folder_box_id(f)),
        "sequence_id" | "etag" => folder_etag(ent, f),
        "name" => json!(ent.folder_name(f)),
        "created_at" | "content_created_at" => {
            if root {
                Value::Null
            } else {
                json!(ts(ent.folders.created_at[i]))
            }
        }
        "modified_at" | "content_modified_at" => {
            if root {
                Value::Null
            } else {
                json!(ts(ent.folders.created_at[i]
                    .max(ent.folders.shared_at[i])
                    .max(ent.folders.changed.touched(f))))
            }
        }
        "description" => json!(ent.folders.changed.description(f).map_or("", |d| d)),
        "size" => {
            let (_, files) = ent.folder_items(f, owner);
            json!(files.iter().map(|&x| ent.file_size(x)).sum::<u64>())
        }
        "path_collection" => path_collection(ent, &ent.folder_ancestors(f)),
        "created_by" | "modified_by" | "owned_by" => user_mini(ent, owner),
        "trashed_at" | "purged_at" | "folder_upload_email" => Value::Null,
        "shared_link" => match ent.link_of(false, f) {
            Some(link) => shared_link(link, base, &link_key(0xD1, f, ent.seed), false, ""),
            None => Value::Null,
        },
        "parent" => {
            let p = ent.folders.parent[i];
            if p == crate::enterprise::NO_PARENT {
                Value::Null
            } else {
                folder_mini(ent, p)
            }
        }
        "item_status" => json!(if ent.folder_trashed(f) {
            "trashed"
        } else {
            "active"
        }),
        "has_collaborations" => json!(ent.has_collaborations(f, false)),
        "is_externally_owned" => json!(ent.folder_externally_owned(f)),
        "can_non_owners_invite" => json!(true),
        "is_collaboration_restricted_to_enterprise" => json!(false),
        "allowed_shared_link_access_levels" => json!(["open", "company", "collaborators"]),
        "allowed_invitee_roles" => json!([
            "editor",
            "viewer",
            "previewer",
            "uploader",
            "previewer uploader",
            "viewer uploader",
            "co-owner"
        ]),
        "is_accessible_via_shared_link" => json!(ent.folder_shared(f) == Some(Access::Open)),
        "can_non_owners_view_collaborators" => json!(true),
        _ => return None,
    })
}

pub fn folder(ent: &Enterprise, f: u32, fields: Option<&[String]>, base: &str) -> Value {
    select(fields, FOLDER_STANDARD, |x| folder_field(ent, f, x, base))
}

/// Entry of a folder listing without `fields`: the mini representation.
pub fn folder_entry(ent: &Enterprise, f: u32, fields: Option<&[String]>, base: &str) -> Value {
    select(
        fields,
        &["type", "id", "sequence_id", "etag", "name"],
        |x| folder_field(ent, f, x, base),
    )
}

// ---- files ----

const FILE_STANDARD: &[&str] = &[
    "type",
    "id",
    "file_version",
    "sequence_id",
    "etag",
    "sha1",
    "name",
    "description",
    "size",
    "path_collection",
    "created_at",
    "modified_at",
    "trashed_at",
    "purged_at",
    "content_created_at",
    "content_modified_at",
    "created_by",
    "modified_by",
    "owned_by",
    "shared_link",
    "parent",
    "item_status",
];

pub fn file_field(
    ent: &Enterprise,
    file: u32,
    field: &str,
    base: &str,
    sha1: &dyn Fn(u32) -> String,
) -> Option<Value> {
    let i = file as usize;
    let version = ent.file_version(file);
    let owner = ent.file_owner(file);
    Some(match field {
        "type" => json!("file"),
        "id" => json!(ent.file_box_id(file)),
        "etag" | "sequence_id" => json!(ent.file_etag(file).to_string()),
        "sha1" => json!(sha1(file)),
        "file_version" => json!({
            "type": "file_version",
            "id": file_version_id(file, version),
            "sha1": sha1(file),
        }),
        "name" => json!(ent.file_name(file)),
        "description" => json!(ent.files.changed.description(file).map_or("", |d| d)),
        "size" => json!(ent.file_size(file)),
        "path_collection" => {
            let parent = ent.files.parent[i];
            let mut anc = ent.folder_ancestors(parent);
            anc.push(parent);
            path_collection(ent, &anc)
        }
        "created_at" | "content_created_at" => json!(ts(ent.files.created_at[i])),
        "modified_at" => json!(ts(ent.files.modified_at[i]
            .max(ent.files.shared_at[i])
            .max(ent.files.changed.touched(file)))),
        "content_modified_at" => json!(ts(ent.files.modified_at[i])),
        "trashed_at" | "purged_at" | "expires_at" | "lock" | "disposition_at" => Value::Null,
        "created_by" | "owned_by" => user_mini(ent, owner),
        "modified_by" => user_mini(ent, ent.files.modified_by[i]),
        "shared_link" => match ent.link_of(true, file) {
            Some(link) => shared_link(
                link,
                base,
                &link_key(0xF1, file, ent.seed),
                true,
                &ent.file_name(file),
            ),
            None => Value::Null,
        },
        "parent" => folder_mini(ent, ent.files.parent[i]),
        "item_status" => json!(if ent.files.trashed[i] {
            "trashed"
        } else {
            "active"
        }),
        "version_number" => json!(version.to_string()),
        "comment_count" => json!(0),
        "extension" => {
            let name = ent.file_name(file);
            json!(name.rsplit_once('.').map_or("", |(_, e)| e).to_string())
        }
        "is_package" => json!(false),
        "has_collaborations" => json!(ent.has_collaborations(file, true)),
        "is_externally_owned" => json!(ent.file_externally_owned(file)),
        "is_accessible_via_shared_link" => json!(ent.file_shared(file) == Some(Access::Open)),
        "allowed_invitee_roles" => json!([
            "editor",
            "viewer",
            "previewer",
            "uploader",
            "previewer uploader",
            "viewer uploader",
            "co-owner"
        ]),
        "uploader_display_name" => json!(ent.accounts[owner as usize].name),
        _ => return None,
    })
}

pub fn file(
    ent: &Enterprise,
    f: u32,
    fields: Option<&[String]>,
    base: &str,
    sha1: &dyn Fn(u32) -> String,
) -> Value {
    select(fields, FILE_STANDARD, |x| file_field(ent, f, x, base, sha1))
}

pub fn file_entry(
    ent: &Enterprise,
    f: u32,
    fields: Option<&[String]>,
    base: &str,
    sha1: &dyn Fn(u32) -> String,
) -> Value {
    select(
        fields,
        &[
            "type",
            "id",
            "file_version",
            "sequence_id",
            "etag",
            "sha1",
            "name",
        ],
        |x| file_field(ent, f, x, base, sha1),
    )
}

pub fn file_version_id(file: u32, version: u32) -> String {
    (crate::enterprise::FILE_ID_BASE * 2 + (file as u64) * 64 + version as u64).to_string()
}
