//! Ground truth: everything the generator planted, for scoring a scanner.

use serde::Serialize;

use crate::content::{NearMiss, Planted};
use crate::enterprise::{AccountKind, CollabStatus};
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
    pub access: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ExternalCollabTruth {
    pub item_type: &'static str,
    pub item_id: String,
    pub collaborator_login: String,
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
    pub external_collaborations: Vec<ExternalCollabTruth>,
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
                access: a.as_str(),
            });
        }
    }
    for d in 0..ent.folders.parent.len() as u32 {
        if let Some(a) = ent.folder_shared(d).filter(|_| !ent.folder_trashed(d)) {
            shared_links.push(SharedTruth {
                item_type: "folder",
                item_id: ent.folder_box_id(d),
                access: a.as_str(),
            });
        }
    }
    let external_collaborations = ent
        .collabs
        .iter()
        .filter(|c| !c.removed && ent.accounts[c.grantee as usize].kind != AccountKind::Managed)
        .map(|c| ExternalCollabTruth {
            item_type: if c.item_is_file { "file" } else { "folder" },
            item_id: if c.item_is_file {
                ent.file_box_id(c.item)
            } else {
                ent.folder_box_id(c.item)
            },
            collaborator_login: ent.accounts[c.grantee as usize].login.clone(),
            status: if c.status == CollabStatus::Pending {
                "pending"
            } else {
                "accepted"
            },
        })
        .collect();
    GroundTruth {
        seed: ent.seed,
        files_total: n as usize,
        files_alive: alive,
        files,
        shared_links,
        external_collaborations,
    }
}
