//! Ground truth: everything the generator planted, for scoring a scanner.

use serde::Serialize;

use crate::content::{NearMiss, Planted};
use crate::enterprise::{AccountKind, CollabStatus, COLLAB_ID_BASE};
use crate::state::Inner;

#[derive(Debug, Serialize)]
pub struct FileTruth {
    pub file_id: String,
    pub name: String,
    pub path: String,
    pub owner_login: String,
    pub version: u32,
    pub planted: Vec<Planted>,
    pub near_misses: Vec<NearMiss>,
}

#[derive(Debug, Serialize)]
pub struct SharedTruth {
    pub item_type: &'static str,
    pub item_id: String,
    /// Box user id of the item's owner: the `as-user` that sees it.
    pub owner_id: String,
    pub access: &'static str,
    pub is_password_enabled: bool,
    pub can_download: bool,
    /// RFC 3339, when the link was set to expire through the API.
    pub unshared_at: Option<String>,
}

/// A live file whose current version was uploaded through the API.
#[derive(Debug, Serialize)]
pub struct UploadTruth {
    pub file_id: String,
    pub name: String,
    pub path: String,
    pub owner_login: String,
    pub version: u32,
    pub sha1: String,
    pub size: u64,
}

#[derive(Debug, Serialize)]
pub struct CollabTruth {
    pub collaboration_id: String,
    pub item_type: &'static str,
    pub item_id: String,
    pub owner_id: String,
    /// Box user id of the collaborator: the `as-user` that reaches an item owned
    /// outside the enterprise.
    pub collaborator_id: String,
    pub collaborator_login: String,
    /// "internal" (a managed user) or "external" (outside the enterprise domain).
    pub kind: &'static str,
    pub role: &'static str,
    pub status: &'static str,
}

/// A live item owned outside the enterprise that a managed user reaches.
#[derive(Debug, Serialize)]
pub struct ExternalTruth {
    pub item_type: &'static str,
    pub item_id: String,
    pub owner_login: String,
}

#[derive(Debug, Serialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub files_total: usize,
    pub files_alive: usize,
    /// Live files carrying planted sensitive data or near-misses (current versions).
    pub files: Vec<FileTruth>,
    pub shared_links: Vec<SharedTruth>,
    /// Active collaborations (pending invites included), internal and external.
    pub collaborations: Vec<CollabTruth>,
    /// Live files whose current version came through the upload API.
    pub uploads: Vec<UploadTruth>,
    /// Live folders and files owned by accounts outside the enterprise.
    pub externally_owned: Vec<ExternalTruth>,
}

fn shared_truth(
    ent: &crate::enterprise::Enterprise,
    is_file: bool,
    item: u32,
) -> Option<SharedTruth> {
    let (access, s) = ent.link_of(is_file, item)?;
    let (item_id, owner) = if is_file {
        (ent.file_box_id(item), ent.file_owner(item))
    } else {
        (ent.folder_box_id(item), ent.folders.owner[item as usize])
    };
    Some(SharedTruth {
        item_type: if is_file { "file" } else { "folder" },
        item_id,
        owner_id: ent.accounts[owner as usize].id.to_string(),
        access: access.as_str(),
        is_password_enabled: s.password,
        can_download: crate::api::repr::link_can_download(access, &s),
        unshared_at: s.unshared_at.map(crate::api::repr::ts),
    })
}

pub fn ground_truth(inner: &Inner) -> GroundTruth {
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let n = ent.files.parent.len() as u32;
    let mut files = Vec::new();
    let mut shared_links = Vec::new();
    let mut uploads = Vec::new();
    let mut externally_owned = Vec::new();
    let mut alive = 0;
    for f in 0..n {
        if !ent.file_alive(f) {
            continue;
        }
        alive += 1;
        let plan = inner.file_plan(ent, f);
        if !plan.planted.is_empty() || !plan.near_misses.is_empty() {
            files.push(FileTruth {
                file_id: ent.file_box_id(f),
                name: ent.file_name(f),
                path: ent.file_path(f),
                owner_login: ent.accounts[ent.file_owner(f) as usize].login.clone(),
                version: ent.file_version(f),
                planted: plan.planted,
                near_misses: plan.near_misses,
            });
        }
        shared_links.extend(shared_truth(ent, true, f));
        if ent.file_externally_owned(f) {
            externally_owned.push(ExternalTruth {
                item_type: "file",
                item_id: ent.file_box_id(f),
                owner_login: ent.accounts[ent.file_owner(f) as usize].login.clone(),
            });
        }
        if let Some(s) = ent.file_stored(f) {
            uploads.push(UploadTruth {
                file_id: ent.file_box_id(f),
                name: ent.file_name(f),
                path: ent.file_path(f),
                owner_login: ent.accounts[ent.file_owner(f) as usize].login.clone(),
                version: ent.file_version(f),
                sha1: s.sha1.clone(),
                size: s.bytes.len() as u64,
            });
        }
    }
    for d in 0..ent.folders.parent.len() as u32 {
        if !ent.folder_trashed(d) {
            shared_links.extend(shared_truth(ent, false, d));
            // An outside owner's own root is never reached; the folders under it are.
            if ent.folder_externally_owned(d) && !ent.is_root(d) {
                externally_owned.push(ExternalTruth {
                    item_type: "folder",
                    item_id: ent.folder_box_id(d),
                    owner_login: ent.accounts[ent.folders.owner[d as usize] as usize]
                        .login
                        .clone(),
                });
            }
        }
    }
    let collaborations = ent
        .collabs
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.removed && collab_item_alive(ent, c))
        .map(|(ci, c)| {
            let (item_id, owner) = if c.item_is_file {
                (ent.file_box_id(c.item), ent.file_owner(c.item))
            } else {
                (
                    ent.folder_box_id(c.item),
                    ent.folders.owner[c.item as usize],
                )
            };
            let grantee = &ent.accounts[c.grantee as usize];
            CollabTruth {
                collaboration_id: (COLLAB_ID_BASE + ci as u64).to_string(),
                item_type: if c.item_is_file { "file" } else { "folder" },
                item_id,
                owner_id: ent.accounts[owner as usize].id.to_string(),
                collaborator_id: grantee.id.to_string(),
                collaborator_login: grantee.login.clone(),
                kind: if grantee.kind == AccountKind::Managed {
                    "internal"
                } else {
                    "external"
                },
                role: c.role,
                status: if c.status == CollabStatus::Pending {
                    "pending"
                } else {
                    "accepted"
                },
            }
        })
        .collect();
    GroundTruth {
        seed: ent.seed,
        files_total: n as usize,
        files_alive: alive,
        files,
        shared_links,
        collaborations,
        uploads,
        externally_owned,
    }
}

/// A collaboration on a deleted item is no longer served, so it is no longer truth.
fn collab_item_alive(ent: &crate::enterprise::Enterprise, c: &crate::enterprise::Collab) -> bool {
    if c.item_is_file {
        ent.file_alive(c.item)
    } else {
        !ent.folder_trashed(c.item)
    }
}
