//! An item's sharing as an action sees it: its link, its own collaborators,
//! where it is and who owns it. Read from Box just before acting (and again
//! after, for the audit's "after"), or from the store for a bulk preview.
//! A link's URL is never kept: it grants access on its own.

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::box_api::models::{
    CollaborationRole, CollaborationStatus, FolderRef, Grantee, MiniUser, PathCollection,
    SharedLink,
};
use crate::box_api::{ApiError, ApiErrorKind, BoxClient, Fetched, RequestOptions};
use crate::inspect::findings::{FindingPolicy, LinkFacts};
use crate::ipc::govern::ItemType;
use crate::store::CollaborationRecord;

/// What an action may change on an item, as Box said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkState {
    pub access: String,
    pub can_download: bool,
    pub can_edit: bool,
    pub unshared_at: Option<String>,
    pub password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollabState {
    pub collaboration_id: String,
    pub login: Option<String>,
    pub grantee_type: Option<String>,
    pub grantee_id: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    /// The login's domain is outside the enterprise.
    pub external: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    pub item_type: ItemType,
    pub item_id: String,
    pub name: Option<String>,
    pub path: Option<String>,
    pub owner_id: Option<String>,
    pub owner_login: Option<String>,
    pub parent_id: Option<String>,
    pub link: Option<LinkState>,
    /// The item's own collaborations (a folder's reach what is inside too).
    pub collaborations: Vec<CollabState>,
    pub externally_owned: bool,
}

impl ItemState {
    /// What the audit keeps as "before" and "after": sharing and place.
    pub fn sharing(&self) -> serde_json::Value {
        serde_json::json!({
            "owner_login": self.owner_login,
            "parent_id": self.parent_id,
            "path": self.path,
            "shared_link": self.link,
            "collaborations": self.collaborations,
        })
    }

    pub fn external_collaborations(&self) -> impl Iterator<Item = &CollabState> {
        self.collaborations.iter().filter(|c| c.external)
    }
}

impl LinkState {
    pub fn from_facts(f: &LinkFacts) -> LinkState {
        LinkState {
            access: f.access.clone(),
            can_download: f.can_download,
            can_edit: f.can_edit,
            unshared_at: f.unshared_at.clone(),
            password: f.password,
        }
    }

    pub fn from_box(link: &SharedLink) -> LinkState {
        let access = link
            .effective_access
            .or(link.access)
            .map(|a| {
                serde_json::to_value(AccessName(a))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "other".into())
            })
            .unwrap_or_else(|| "other".into());
        let perms = link.permissions.as_ref();
        LinkState {
            access,
            can_download: perms.and_then(|p| p.can_download).unwrap_or(false),
            can_edit: perms.and_then(|p| p.can_edit).unwrap_or(false),
            unshared_at: link.unshared_at.map(|t| t.to_rfc3339()),
            password: link.is_password_enabled.unwrap_or(false),
        }
    }

    /// "open link (can download, can edit)".
    pub fn describe(&self) -> String {
        let mut what = vec![];
        if self.can_download {
            what.push("can download".to_owned());
        }
        if self.can_edit {
            what.push("can edit".to_owned());
        }
        if self.password {
            what.push("password".to_owned());
        }
        if let Some(t) = &self.unshared_at {
            what.push(format!("expires {t}"));
        }
        if what.is_empty() {
            format!("{} link", self.access)
        } else {
            format!("{} link ({})", self.access, what.join(", "))
        }
    }
}

/// Serializes Box's access enum by its wire name.
struct AccessName(crate::box_api::models::SharedLinkAccess);

impl Serialize for AccessName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use crate::box_api::models::SharedLinkAccess as A;
        s.serialize_str(match self.0 {
            A::Open => "open",
            A::Company => "company",
            A::Collaborators => "collaborators",
            A::Other => "other",
        })
    }
}

fn role_name(role: CollaborationRole) -> &'static str {
    use CollaborationRole as R;
    match role {
        R::Editor => "editor",
        R::Viewer => "viewer",
        R::Previewer => "previewer",
        R::Uploader => "uploader",
        R::PreviewerUploader => "previewer uploader",
        R::ViewerUploader => "viewer uploader",
        R::CoOwner => "co-owner",
        R::Owner => "owner",
        R::Other => "other",
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

pub fn collab_of_record(c: &CollaborationRecord, policy: &FindingPolicy) -> CollabState {
    CollabState {
        collaboration_id: c.collaboration_id.clone(),
        external: c.login.as_deref().is_some_and(|l| policy.is_external(l)),
        login: c.login.clone(),
        grantee_type: c.grantee_type.clone(),
        // Left out as before: only a live read (the holding folder's
        // invitation) needs one.
        grantee_id: None,
        role: c.role.clone(),
        status: c.status.clone(),
    }
}

/// What an action reads of a file or a folder (the same fields on both).
#[derive(Deserialize)]
struct Sharing {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    owned_by: Option<MiniUser>,
    #[serde(default)]
    parent: Option<FolderRef>,
    #[serde(default)]
    path_collection: Option<PathCollection>,
    #[serde(default)]
    shared_link: Option<SharedLink>,
    #[serde(default)]
    has_collaborations: Option<bool>,
    #[serde(default)]
    is_externally_owned: Option<bool>,
}

/// Fields an action reads; no `sha1` or sizes, nothing it does not need.
const FIELDS: &str =
    "type,id,etag,name,owned_by,parent,path_collection,shared_link,has_collaborations,is_externally_owned";

/// The item as Box says it is now, read as `as_user` (`None`: the admin).
/// `Ok(None)` when Box says 404 (gone, or not visible to that user).
pub async fn read_live(
    client: &BoxClient,
    item_type: ItemType,
    item_id: &str,
    as_user: Option<&str>,
    policy: &FindingPolicy,
) -> Result<Option<ItemState>, ApiError> {
    let mut options = RequestOptions::default().fields(FIELDS).urgent();
    options.as_user = as_user.map(str::to_owned);
    let path = match item_type {
        ItemType::File => format!("/files/{item_id}"),
        ItemType::Folder => format!("/folders/{item_id}"),
    };
    let fetched = match client.get_json::<Sharing>(&path, &[], &options).await {
        Err(e) if e.kind == ApiErrorKind::NotFound => return Ok(None),
        other => other?,
    };
    let Fetched::Fresh(Sharing {
        name,
        owned_by: owner,
        parent,
        path_collection,
        shared_link: link,
        has_collaborations: has_collabs,
        is_externally_owned: ext,
    }) = fetched
    else {
        return Ok(None);
    };
    let collab_options = RequestOptions {
        as_user: options.as_user.clone(),
        urgent: true,
        ..RequestOptions::default()
    };
    let collaborations = if has_collabs.unwrap_or(true) {
        let listed: Vec<_> = match item_type {
            ItemType::File => {
                client
                    .file_collaborations(item_id, &collab_options)
                    .try_collect()
                    .await?
            }
            ItemType::Folder => {
                client
                    .folder_collaborations(item_id, &collab_options)
                    .try_collect()
                    .await?
            }
        };
        listed
            .into_iter()
            .map(|c| {
                let login = c.login().map(str::to_owned);
                let (grantee_type, grantee_id) = match &c.accessible_by {
                    Some(Grantee::User(u)) => (Some("user".to_owned()), Some(u.id.clone())),
                    Some(Grantee::Group(g)) => (Some("group".to_owned()), Some(g.id.clone())),
                    _ => (None, None),
                };
                CollabState {
                    collaboration_id: c.id,
                    external: login.as_deref().is_some_and(|l| policy.is_external(l)),
                    login,
                    grantee_type,
                    grantee_id,
                    role: c.role.map(role_name).map(str::to_owned),
                    status: c.status.map(status_name).map(str::to_owned),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let path = path_collection.map(|pc| {
        let mut parts: Vec<String> = pc
            .entries
            .iter()
            .map(|f| f.name.clone().unwrap_or_default())
            .collect();
        parts.push(name.clone().unwrap_or_default());
        parts.join("/")
    });
    Ok(Some(ItemState {
        item_type,
        item_id: item_id.to_owned(),
        name,
        path,
        owner_id: owner.as_ref().map(|o| o.id.clone()),
        owner_login: owner.and_then(|o| o.login),
        parent_id: parent.map(|p| p.id),
        link: link.as_ref().map(LinkState::from_box),
        collaborations,
        externally_owned: ext.unwrap_or(false),
    }))
}
