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
}

#[derive(Debug, Serialize)]
pub struct CollabTruth {
    pub collaboration_id: String,
    pub item_type: &'static str,
    pub item_id: String,
    pub owner_id: String,
    pub collaborator_login: String,
    /// "internal" (a managed user) or "external" (outside the enterprise domain).
    pub kind: &'static str,
    pub role: &'static str,
    pub status: &'static str,
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
}

pub fn ground_truth(inner: &Inner) -> GroundTruth {
    let world = inner.world.read().unwrap();
    let ent = &world.ent;
    let n = ent.files.parent.len() as u32;
    let mut files = Vec::new();
    let mut shared_links = Vec::new();
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
        if let Some(a) = ent.file_shared(f) {
            shared_links.push(SharedTruth {
                item_type: "file",
                item_id: ent.file_box_id(f),
                owner_id: ent.accounts[ent.file_owner(f) as usize].id.to_string(),
                access: a.as_str(),
            });
        }
    }
    for d in 0..ent.folders.parent.len() as u32 {
        if let Some(a) = ent.folder_shared(d).filter(|_| !ent.folder_trashed(d)) {
            shared_links.push(SharedTruth {
                item_type: "folder",
                item_id: ent.folder_box_id(d),
                owner_id: ent.accounts[ent.folders.owner[d as usize] as usize]
                    .id
                    .to_string(),
                access: a.as_str(),
            });
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
