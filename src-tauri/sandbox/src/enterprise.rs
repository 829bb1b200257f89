//! The generated enterprise: accounts, folder trees, files, collaborations, shared links.
//!
//! Storage is struct-of-arrays with small integers; names, contents, hashes and ids are
//! derived from (seed, index) on demand, so a million files fit in a few tens of MB.

use std::collections::HashMap;

use crate::config::SandboxConfig;
use crate::content::{self, Kind};
use crate::names;
use crate::rng::{h, unit, Draw};

pub const ENTERPRISE_DOMAIN: &str = "northwind.example";
pub const USER_ID_BASE: u64 = 30_000_000;
pub const FOLDER_ID_BASE: u64 = 200_000_000_000;
pub const FILE_ID_BASE: u64 = 1_000_000_000_000;
pub const COLLAB_ID_BASE: u64 = 40_000_000_000;
pub const NO_PARENT: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Coadmin,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coadmin => "coadmin",
            Role::User => "user",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A managed user of the enterprise.
    Managed,
    /// A collaborator from outside the enterprise domain.
    External,
    /// A free account without an enterprise.
    Personal,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: u64,
    pub name: String,
    pub login: String,
    pub role: Role,
    pub kind: AccountKind,
    pub created_at: i64,
    pub job_title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Open,
    Company,
    Collaborators,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Open => "open",
            Access::Company => "company",
            Access::Collaborators => "collaborators",
        }
    }
    pub fn parse(s: &str) -> Option<Access> {
        [Access::Open, Access::Company, Access::Collaborators]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
    pub fn code(a: Option<Access>) -> u8 {
        match a {
            None => 0,
            Some(Access::Open) => 1,
            Some(Access::Company) => 2,
            Some(Access::Collaborators) => 3,
        }
    }
    pub fn from_code(c: u8) -> Option<Access> {
        match c {
            1 => Some(Access::Open),
            2 => Some(Access::Company),
            3 => Some(Access::Collaborators),
            _ => None,
        }
    }
}

/// Folders; index 0..accounts are each managed user's root ("0" in the API).
#[derive(Default)]
pub struct Folders {
    pub parent: Vec<u32>,
    pub owner: Vec<u32>,
    pub depth: Vec<u8>,
    pub name_code: Vec<u16>,
    pub created_at: Vec<i64>,
    pub shared: Vec<u8>,
    pub shared_at: Vec<i64>,
    pub children: Vec<Vec<u32>>,
    /// Generated files of a folder are one contiguous range of file indexes.
    pub file_range: Vec<(u32, u32)>,
    /// Files added later (live activity, uploads) or moved in from another folder.
    pub extra_files: HashMap<u32, Vec<u32>>,
    pub trashed: Vec<bool>,
    /// What the write API changed; sparse, so an untouched enterprise pays nothing.
    pub changed: Changed,
}

/// Files; one entry per file index, everything else is derived.
#[derive(Default)]
pub struct Files {
    pub parent: Vec<u32>,
    pub created_at: Vec<i64>,
    pub modified_at: Vec<i64>,
    pub version: Vec<u16>,
    pub shared: Vec<u8>,
    pub shared_at: Vec<i64>,
    pub trashed: Vec<bool>,
    pub modified_by: Vec<u32>,
    /// What the write API changed; sparse, so an untouched enterprise pays nothing.
    pub changed: Changed,
    /// Content stored by uploads, for the version it was uploaded as.
    pub stored: HashMap<u32, Stored>,
    /// Kinds of uploaded files, from their names (generated ones derive it from the seed).
    pub kinds: HashMap<u32, Kind>,
}

/// Per-item overrides written through the API, for files or folders alike.
#[derive(Default)]
pub struct Changed {
    /// Names given by uploads and renames; the rest derive from the seed.
    pub names: HashMap<u32, String>,
    pub descriptions: HashMap<u32, String>,
    /// Etag bumps from metadata changes (rename, move, shared link, description);
    /// a file's new content versions bump its etag on top of these.
    pub etag_bumps: HashMap<u32, u32>,
    /// When the item's metadata last changed (its `modified_at`).
    pub touched_at: HashMap<u32, i64>,
}

impl Changed {
    fn get<V>(map: &HashMap<u32, V>, k: u32) -> Option<&V> {
        // Listings read these per entry: skip hashing while nothing was written.
        if map.is_empty() {
            None
        } else {
            map.get(&k)
        }
    }
    pub fn name(&self, k: u32) -> Option<&String> {
        Self::get(&self.names, k)
    }
    pub fn description(&self, k: u32) -> Option<&String> {
        Self::get(&self.descriptions, k)
    }
    pub fn bumps(&self, k: u32) -> u32 {
        Self::get(&self.etag_bumps, k).copied().unwrap_or(0)
    }
    pub fn touched(&self, k: u32) -> i64 {
        Self::get(&self.touched_at, k).copied().unwrap_or(0)
    }
    /// Record a metadata change: new etag, new `modified_at`.
    pub fn touch(&mut self, k: u32, at: i64) {
        *self.etag_bumps.entry(k).or_default() += 1;
        self.touched_at.insert(k, at);
    }
}

/// The bytes of one uploaded version, with the sha1 Box reports for it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub version: u32,
    pub bytes: bytes::Bytes,
    pub sha1: String,
}

/// Shared-link settings set through the API; generated links use the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkSettings {
    pub password: bool,
    pub unshared_at: Option<i64>,
    /// None: downloadable unless the access is `collaborators`.
    pub can_download: Option<bool>,
    pub can_edit: bool,
    pub vanity_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollabStatus {
    Accepted,
    Pending,
}

#[derive(Debug, Clone)]
pub struct Collab {
    pub item: u32,
    pub item_is_file: bool,
    pub grantee: u32,
    pub role: &'static str,
    pub status: CollabStatus,
    pub created_at: i64,
    pub created_by: u32,
    pub removed: bool,
}

pub struct Enterprise {
    pub seed: u64,
    pub id: String,
    pub name: String,
    /// The instant the enterprise was generated for (all generated times are before it).
    pub anchor: i64,
    pub accounts: Vec<Account>,
    pub managed: usize,
    pub folders: Folders,
    pub files: Files,
    pub collabs: Vec<Collab>,
    pub collabs_by_item: HashMap<(bool, u32), Vec<u32>>,
    /// Non-default shared-link settings, by (is_file, index).
    pub links: HashMap<(bool, u32), LinkSettings>,
}

const DAY: i64 = 86_400;

impl Enterprise {
    pub fn generate(cfg: &SandboxConfig, anchor: i64) -> Enterprise {
        let seed = cfg.seed;
        let accounts = generate_accounts(cfg, anchor);
        let managed = accounts
            .iter()
            .filter(|a| a.kind == AccountKind::Managed)
            .count();
        let mut ent = Enterprise {
            seed,
            id: format!("{}", 7_000_000 + seed % 1_000_000),
            name: "Northwind Sandbox".into(),
            anchor,
            accounts,
            managed,
            folders: Folders::default(),
            files: Files::default(),
            collabs: Vec::new(),
            collabs_by_item: HashMap::new(),
            links: HashMap::new(),
        };
        ent.generate_folders(cfg);
        let external_folders = ent.generate_external_folders(cfg);
        ent.generate_files(cfg);
        ent.generate_collaborations(cfg);
        ent.collaborate_external_folders(&external_folders);
        ent
    }

    fn push_folder(
        &mut self,
        parent: u32,
        owner: u32,
        depth: u8,
        name_code: u16,
        created: i64,
    ) -> u32 {
        let f = &mut self.folders;
        let idx = f.parent.len() as u32;
        f.parent.push(parent);
        f.owner.push(owner);
        f.depth.push(depth);
        f.name_code.push(name_code);
        f.created_at.push(created);
        f.shared.push(0);
        f.shared_at.push(0);
        f.children.push(Vec::new());
        f.file_range.push((0, 0));
        f.trashed.push(false);
        if parent != NO_PARENT {
            f.children[parent as usize].push(idx);
        }
        idx
    }

    fn generate_folders(&mut self, cfg: &SandboxConfig) {
        let seed = self.seed;
        // Roots first so that root index == account index.
        for u in 0..self.managed as u32 {
            let created = self.accounts[u as usize].created_at;
            self.push_folder(NO_PARENT, u, 0, 0, created);
        }
        for u in 0..self.managed as u32 {
            let mut level = vec![u];
            for depth in 1..=cfg.folder_depth.max(1) as u8 {
                let mut next = Vec::new();
                for &p in &level {
                    let mut d = Draw::new(seed, 0xF01D, p as u64);
                    let list_len = if depth == 1 {
                        names::TOP_FOLDERS.len()
                    } else {
                        names::SUB_FOLDERS.len()
                    };
                    let start = d.below(list_len as u64) as usize;
                    for c in 0..cfg.folder_fanout.max(1) as usize {
                        let code = ((start + c) % list_len) as u16;
                        let parent_created = self.folders.created_at[p as usize];
                        let created = parent_created + d.range(DAY as u64, 60 * DAY as u64) as i64;
                        let created = created.min(self.anchor - 200 * DAY);
                        let idx = self.push_folder(p, u, depth, code, created);
                        if d.chance(cfg.shared_link_rate) {
                            self.folders.shared[idx as usize] =
                                Access::code(Some(pick_access(&mut d)));
                            self.folders.shared_at[idx as usize] =
                                self.anchor - d.range(DAY as u64, 300 * DAY as u64) as i64;
                        }
                        next.push(idx);
                    }
                }
                level = next;
            }
        }
    }

    /// Folders owned by external identities: each under its owner's own root (which no
    /// API id reaches), so the folder's parent is "All Files" as a collaborator sees it.
    fn generate_external_folders(&mut self, cfg: &SandboxConfig) -> Vec<u32> {
        let externals: Vec<u32> = (0..self.accounts.len() as u32)
            .filter(|&a| self.accounts[a as usize].kind == AccountKind::External)
            .collect();
        let mut out = Vec::new();
        for (k, &owner) in externals
            .iter()
            .take(cfg.external_owned_folders)
            .enumerate()
        {
            let mut d = Draw::new(self.seed, 0xE0F, k as u64);
            let created = self.accounts[owner as usize].created_at;
            let root = self.push_folder(NO_PARENT, owner, 0, 0, created);
            let code = d.below(names::EXTERNAL_FOLDERS.len() as u64) as u16;
            let at = (created + d.range(DAY as u64, 90 * DAY as u64) as i64)
                .min(self.anchor - 200 * DAY);
            out.push(self.push_folder(root, owner, 1, code, at));
        }
        out
    }

    /// Each external folder is collaborated (accepted) to one managed user, so it shows
    /// in that user's root as Box shows a folder shared with them.
    fn collaborate_external_folders(&mut self, folders: &[u32]) {
        for (k, &f) in folders.iter().enumerate() {
            let mut d = Draw::new(self.seed, 0xE0C, k as u64);
            let grantee = d.below(self.managed as u64) as u32;
            let owner = self.folders.owner[f as usize];
            let created =
                self.folders.created_at[f as usize] + d.range(DAY as u64, 30 * DAY as u64) as i64;
            self.add_collab(Collab {
                item: f,
                item_is_file: false,
                grantee,
                role: if d.chance(0.5) { "editor" } else { "viewer" },
                status: CollabStatus::Accepted,
                created_at: created.min(self.anchor - DAY),
                created_by: owner,
                removed: false,
            });
        }
    }

    /// Whether an account is outside the enterprise (its content is externally owned).
    pub fn is_external_account(&self, account: u32) -> bool {
        self.accounts[account as usize].kind != AccountKind::Managed
    }

    pub fn folder_externally_owned(&self, folder: u32) -> bool {
        self.is_external_account(self.folders.owner[folder as usize])
    }

    pub fn file_externally_owned(&self, file: u32) -> bool {
        self.is_external_account(self.file_owner(file))
    }

    fn generate_files(&mut self, cfg: &SandboxConfig) {
        let seed = self.seed;
        let n_folders = self.folders.parent.len();
        // Weight each folder, then give it a contiguous block of file indexes. An
        // external root holds nothing (no one reaches it); an external folder a few.
        let weights: Vec<f64> = (0..n_folders)
            .map(|f| {
                match (
                    f >= self.managed && self.is_root(f as u32),
                    self.folder_externally_owned(f as u32),
                ) {
                    (true, _) => 0.0,
                    (false, true) => 3.0,
                    _ => 0.3 + 1.4 * unit(h(seed, 0xB10C, f as u64)),
                }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let n = cfg.files;
        let mut acc = 0.0;
        let mut start = 0usize;
        let files = &mut self.files;
        files.parent.reserve_exact(n);
        files.created_at.reserve_exact(n);
        files.modified_at.reserve_exact(n);
        files.version.reserve_exact(n);
        files.shared.reserve_exact(n);
        files.shared_at.reserve_exact(n);
        files.trashed.reserve_exact(n);
        files.modified_by.reserve_exact(n);
        for (f, w) in weights.iter().enumerate() {
            acc += w;
            let end = if f + 1 == n_folders {
                n
            } else {
                ((acc / total) * n as f64) as usize
            };
            let end = end.max(start).min(n);
            self.folders.file_range[f] = (start as u32, end as u32);
            let owner = self.folders.owner[f];
            // Links on outside content are the outside owner's business: none generated.
            let link_rate = if self.accounts[owner as usize].kind == AccountKind::Managed {
                cfg.shared_link_rate
            } else {
                0.0
            };
            for i in start..end {
                let mut d = Draw::new(seed, 0xF11E, i as u64);
                let created = self.anchor - d.range(60, 730 * DAY as u64) as i64;
                let (version, modified) = if d.chance(0.35) {
                    let age = (self.anchor - created) as u64;
                    (
                        2 + d.below(4) as u16,
                        created + d.range(60, age.max(61)) as i64,
                    )
                } else {
                    (1, created)
                };
                files.parent.push(f as u32);
                files.created_at.push(created);
                files.modified_at.push(modified);
                files.version.push(version);
                if d.chance(link_rate) {
                    files.shared.push(Access::code(Some(pick_access(&mut d))));
                    let age = (self.anchor - created) as u64;
                    files
                        .shared_at
                        .push(created + d.range(1, age.max(2)) as i64);
                } else {
                    files.shared.push(0);
                    files.shared_at.push(0);
                }
                files.trashed.push(false);
                files.modified_by.push(owner);
            }
            start = end;
        }
    }

    fn generate_collaborations(&mut self, cfg: &SandboxConfig) {
        let seed = self.seed;
        let externals: Vec<u32> = (0..self.accounts.len() as u32)
            .filter(|&a| self.accounts[a as usize].kind == AccountKind::External)
            .collect();
        let managed = self.managed as u32;
        // Folder collaborations (not on roots), plus a few on single files.
        for f in managed..self.folders.parent.len() as u32 {
            let mut d = Draw::new(seed, 0xC011, f as u64);
            if !d.chance(cfg.collaboration_rate) || self.folder_externally_owned(f) {
                continue;
            }
            let owner = self.folders.owner[f as usize];
            let count = 1 + d.below(3);
            for _ in 0..count {
                let external = !externals.is_empty() && d.chance(cfg.external_collaboration_rate);
                let grantee = if external {
                    *d.pick(&externals)
                } else {
                    let g = d.below(managed as u64) as u32;
                    if g == owner {
                        continue;
                    }
                    g
                };
                if self
                    .collabs
                    .iter()
                    .rev()
                    .take(3)
                    .any(|c| c.item == f && !c.item_is_file && c.grantee == grantee)
                {
                    continue;
                }
                let status = if external && d.chance(0.3) {
                    CollabStatus::Pending
                } else {
                    CollabStatus::Accepted
                };
                let role = *d.pick(&[
                    "editor",
                    "viewer",
                    "previewer",
                    "co-owner",
                    "viewer uploader",
                ]);
                let created = self.anchor - d.range(DAY as u64, 400 * DAY as u64) as i64;
                self.add_collab(Collab {
                    item: f,
                    item_is_file: false,
                    grantee,
                    role,
                    status,
                    created_at: created,
                    created_by: owner,
                    removed: false,
                });
            }
        }
        let nfiles = self.files.parent.len() as u64;
        let file_collabs = (nfiles as f64 * cfg.collaboration_rate * 0.01) as u64;
        for k in 0..file_collabs {
            let mut d = Draw::new(seed, 0xC012, k);
            let file = d.below(nfiles) as u32;
            let owner = self.file_owner(file);
            if self.is_external_account(owner) {
                continue;
            }
            let external = !externals.is_empty() && d.chance(cfg.external_collaboration_rate);
            let grantee = if external {
                *d.pick(&externals)
            } else {
                d.below(managed as u64) as u32
            };
            if grantee == owner || self.collabs_by_item.contains_key(&(true, file)) {
                continue;
            }
            let created =
                self.files.created_at[file as usize] + d.range(60, 30 * DAY as u64) as i64;
            self.add_collab(Collab {
                item: file,
                item_is_file: true,
                grantee,
                role: "viewer",
                status: CollabStatus::Accepted,
                created_at: created.min(self.anchor - 60),
                created_by: owner,
                removed: false,
            });
        }
    }

    pub fn add_collab(&mut self, c: Collab) -> u32 {
        let idx = self.collabs.len() as u32;
        self.collabs_by_item
            .entry((c.item_is_file, c.item))
            .or_default()
            .push(idx);
        self.collabs.push(c);
        idx
    }

    // ---- derived facts ----

    pub fn file_owner(&self, file: u32) -> u32 {
        self.folders.owner[self.files.parent[file as usize] as usize]
    }

    pub fn file_kind(&self, file: u32) -> Kind {
        match Changed::get(&self.files.kinds, file) {
            Some(k) => *k,
            None => content::kind_of(self.seed, file),
        }
    }

    pub fn file_name(&self, file: u32) -> String {
        match self.files.changed.name(file) {
            Some(n) => n.clone(),
            None => self.generated_file_name(file),
        }
    }

    /// The name the generator gave a file: generated content is derived from it, so a
    /// rename changes neither the bytes nor the sha1.
    pub fn generated_file_name(&self, file: u32) -> String {
        let mut d = Draw::new(self.seed, 0x4A3E, file as u64);
        let adj = d.pick(names::ADJ);
        let noun = d.pick(names::NOUN);
        format!("{adj} {noun} {:05}.{}", file, self.file_kind(file).ext())
    }

    pub fn file_version(&self, file: u32) -> u32 {
        self.files.version[file as usize] as u32
    }

    /// Uploaded bytes of the current version, if it was uploaded.
    pub fn file_stored(&self, file: u32) -> Option<&Stored> {
        Changed::get(&self.files.stored, file).filter(|s| s.version == self.file_version(file))
    }

    /// `etag` and `sequence_id`: every content version and metadata change bumps it.
    pub fn file_etag(&self, file: u32) -> u32 {
        self.file_version(file) - 1 + self.files.changed.bumps(file)
    }

    /// `etag` of a folder; a root has none.
    pub fn folder_etag(&self, folder: u32) -> Option<u32> {
        (!self.is_root(folder)).then(|| 1 + self.folders.changed.bumps(folder))
    }

    pub fn file_size(&self, file: u32) -> u64 {
        if let Some(s) = self.file_stored(file) {
            return s.bytes.len() as u64;
        }
        content::declared_size(
            self.seed,
            file,
            self.file_version(file),
            self.file_kind(file),
        )
    }

    pub fn file_shared(&self, file: u32) -> Option<Access> {
        Access::from_code(self.files.shared[file as usize])
    }

    pub fn folder_shared(&self, folder: u32) -> Option<Access> {
        Access::from_code(self.folders.shared[folder as usize])
    }

    pub fn set_file_shared(&mut self, file: u32, access: Option<Access>, at: i64) {
        self.files.shared[file as usize] = Access::code(access);
        self.files.shared_at[file as usize] = at;
        // Settings belong to the link they were made for; a caller with new ones adds them.
        if !self.links.is_empty() {
            self.links.remove(&(true, file));
        }
    }

    pub fn set_folder_shared(&mut self, folder: u32, access: Option<Access>, at: i64) {
        self.folders.shared[folder as usize] = Access::code(access);
        self.folders.shared_at[folder as usize] = at;
        if !self.links.is_empty() {
            self.links.remove(&(false, folder));
        }
    }

    /// An item's shared link with its settings, if it has one.
    pub fn link_of(&self, is_file: bool, item: u32) -> Option<(Access, LinkSettings)> {
        let access = if is_file {
            self.file_shared(item)
        } else {
            self.folder_shared(item)
        }?;
        let settings = if self.links.is_empty() {
            LinkSettings::default()
        } else {
            self.links
                .get(&(is_file, item))
                .cloned()
                .unwrap_or_default()
        };
        Some((access, settings))
    }

    pub fn is_root(&self, folder: u32) -> bool {
        self.folders.parent[folder as usize] == NO_PARENT
    }

    pub fn folder_name(&self, folder: u32) -> String {
        let i = folder as usize;
        if self.is_root(folder) {
            return "All Files".into();
        }
        if let Some(n) = self.folders.changed.name(folder) {
            return n.clone();
        }
        let code = self.folders.name_code[i] as usize;
        if self.folders.depth[i] == 1 && self.folder_externally_owned(folder) {
            names::EXTERNAL_FOLDERS[code].to_string()
        } else if self.folders.depth[i] == 1 {
            names::TOP_FOLDERS[code].to_string()
        } else {
            names::SUB_FOLDERS[code].to_string()
        }
    }

    /// Box id of a folder as seen by anyone: a root is "0".
    pub fn folder_box_id(&self, folder: u32) -> String {
        if self.is_root(folder) {
            "0".into()
        } else {
            (FOLDER_ID_BASE + folder as u64).to_string()
        }
    }

    pub fn file_box_id(&self, file: u32) -> String {
        (FILE_ID_BASE + file as u64).to_string()
    }

    pub fn parse_file_id(&self, id: &str) -> Option<u32> {
        let n: u64 = id.parse().ok()?;
        let idx = n.checked_sub(FILE_ID_BASE)?;
        (idx < self.files.parent.len() as u64).then_some(idx as u32)
    }

    /// Folder index for an API folder id, "0" meaning the acting user's root.
    pub fn parse_folder_id(&self, id: &str, acting: u32) -> Option<u32> {
        if id == "0" {
            return ((acting as usize) < self.managed).then_some(acting);
        }
        let n: u64 = id.parse().ok()?;
        let idx = n.checked_sub(FOLDER_ID_BASE)?;
        (idx < self.folders.parent.len() as u64
            && idx >= self.managed as u64
            && !self.is_root(idx as u32))
        .then_some(idx as u32)
    }

    /// Ancestors from the root down to the direct parent of `folder` (exclusive).
    pub fn folder_ancestors(&self, folder: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut p = self.folders.parent[folder as usize];
        while p != NO_PARENT {
            out.push(p);
            p = self.folders.parent[p as usize];
        }
        out.reverse();
        out
    }

    pub fn folder_trashed(&self, folder: u32) -> bool {
        let mut f = folder;
        loop {
            if self.folders.trashed[f as usize] {
                return true;
            }
            let p = self.folders.parent[f as usize];
            if p == NO_PARENT {
                return false;
            }
            f = p;
        }
    }

    pub fn file_alive(&self, file: u32) -> bool {
        !self.files.trashed[file as usize] && !self.folder_trashed(self.files.parent[file as usize])
    }

    /// Active collaborations granting `user` access to this item or an ancestor folder.
    pub fn has_collab_access(&self, user: u32, item: u32, is_file: bool) -> bool {
        let granted = |key: (bool, u32)| {
            self.collabs_by_item.get(&key).is_some_and(|v| {
                v.iter().any(|&c| {
                    let c = &self.collabs[c as usize];
                    c.grantee == user && !c.removed && c.status == CollabStatus::Accepted
                })
            })
        };
        let mut folder = if is_file {
            if granted((true, item)) {
                return true;
            }
            self.files.parent[item as usize]
        } else {
            item
        };
        loop {
            if granted((false, folder)) {
                return true;
            }
            let p = self.folders.parent[folder as usize];
            if p == NO_PARENT {
                return false;
            }
            folder = p;
        }
    }

    pub fn can_see_folder(&self, user: u32, folder: u32) -> bool {
        self.folders.owner[folder as usize] == user || self.has_collab_access(user, folder, false)
    }

    pub fn can_see_file(&self, user: u32, file: u32) -> bool {
        self.file_owner(file) == user || self.has_collab_access(user, file, true)
    }

    /// The user's role on an item: "owner", or the strongest accepted collaboration
    /// on it or on a folder above it (a folder's collaborators reach everything inside).
    pub fn role_on(&self, user: u32, item: u32, is_file: bool) -> Option<&'static str> {
        let owner = if is_file {
            self.file_owner(item)
        } else {
            self.folders.owner[item as usize]
        };
        if owner == user {
            return Some("owner");
        }
        let mut best: Option<&'static str> = None;
        let mut consider = |key: (bool, u32)| {
            for &c in self.collabs_by_item.get(&key).into_iter().flatten() {
                let c = &self.collabs[c as usize];
                let held = c.grantee == user && !c.removed && c.status == CollabStatus::Accepted;
                if held && best.is_none_or(|b| role_rank(c.role) > role_rank(b)) {
                    best = Some(c.role);
                }
            }
        };
        let mut folder = if is_file {
            consider((true, item));
            self.files.parent[item as usize]
        } else {
            item
        };
        loop {
            consider((false, folder));
            let p = self.folders.parent[folder as usize];
            if p == NO_PARENT {
                return best;
            }
            folder = p;
        }
    }

    /// Active (not removed) collaborations directly on an item.
    pub fn has_collaborations(&self, item: u32, is_file: bool) -> bool {
        self.collabs_by_item
            .get(&(is_file, item))
            .is_some_and(|v| v.iter().any(|&c| !self.collabs[c as usize].removed))
    }

    /// Items of a folder as the listing shows them: sub-folders, then files.
    /// A user's root also shows folders collaborated with them.
    pub fn folder_items(&self, folder: u32, viewer: u32) -> (Vec<u32>, Vec<u32>) {
        let mut subfolders: Vec<u32> = self.folders.children[folder as usize]
            .iter()
            .copied()
            .filter(|&c| !self.folders.trashed[c as usize])
            .collect();
        if self.is_root(folder) {
            for c in &self.collabs {
                if !c.item_is_file
                    && c.grantee == viewer
                    && !c.removed
                    && c.status == CollabStatus::Accepted
                    && !self.folder_trashed(c.item)
                    && !subfolders.contains(&c.item)
                {
                    subfolders.push(c.item);
                }
            }
        }
        let (a, b) = self.folders.file_range[folder as usize];
        // A file moved away keeps its place in the generated range: its parent says where it is.
        let here =
            |i: u32| !self.files.trashed[i as usize] && self.files.parent[i as usize] == folder;
        let mut files: Vec<u32> = (a..b).filter(|&i| here(i)).collect();
        if let Some(extra) = self.folders.extra_files.get(&folder) {
            files.extend(extra.iter().copied().filter(|&i| here(i)));
        }
        (subfolders, files)
    }

    /// Path strings for ground truth and logs.
    pub fn file_path(&self, file: u32) -> String {
        let parent = self.files.parent[file as usize];
        let mut parts: Vec<String> = self
            .folder_ancestors(parent)
            .iter()
            .map(|&f| self.folder_name(f))
            .collect();
        parts.push(self.folder_name(parent));
        parts.push(self.file_name(file));
        parts.join("/")
    }

    /// Append a new, empty folder (created through the API) under `parent`:
    /// it belongs to the parent's owner, as everything in a folder does.
    pub fn add_folder(&mut self, parent: u32, name: &str, at: i64) -> u32 {
        let owner = self.folders.owner[parent as usize];
        let depth = self.folders.depth[parent as usize].saturating_add(1);
        let idx = self.push_folder(parent, owner, depth, 0, at);
        self.folders.changed.names.insert(idx, name.to_string());
        idx
    }

    /// Append a new file (live upload) to a folder.
    pub fn add_file(&mut self, folder: u32, at: i64, by: u32) -> u32 {
        let idx = self.files.parent.len() as u32;
        self.files.parent.push(folder);
        self.files.created_at.push(at);
        self.files.modified_at.push(at);
        self.files.version.push(1);
        self.files.shared.push(0);
        self.files.shared_at.push(0);
        self.files.trashed.push(false);
        self.files.modified_by.push(by);
        self.folders
            .extra_files
            .entry(folder)
            .or_default()
            .push(idx);
        idx
    }

    pub fn account_index_by_id(&self, id: &str) -> Option<u32> {
        let n: u64 = id.parse().ok()?;
        let idx = n.checked_sub(USER_ID_BASE)?;
        (idx < self.accounts.len() as u64).then_some(idx as u32)
    }

    /// Resolve "admin" | "coadmin" | "user" | "personal" | a login email to an account.
    pub fn find_login(&self, login: &str) -> Option<u32> {
        let want = login.trim().to_ascii_lowercase();
        let by_role = |role: Role| {
            self.accounts
                .iter()
                .position(|a| a.kind == AccountKind::Managed && a.role == role)
                .map(|i| i as u32)
        };
        match want.as_str() {
            "admin" => by_role(Role::Admin),
            "coadmin" | "co-admin" => by_role(Role::Coadmin),
            "user" => by_role(Role::User),
            "personal" => self
                .accounts
                .iter()
                .position(|a| a.kind == AccountKind::Personal)
                .map(|i| i as u32),
            _ => self
                .accounts
                .iter()
                .position(|a| {
                    a.login.eq_ignore_ascii_case(&want) && a.kind != AccountKind::External
                })
                .map(|i| i as u32),
        }
    }
}

/// Strength of a collaboration role, for picking the strongest one a user holds.
pub fn role_rank(role: &str) -> u8 {
    match role {
        "owner" => 8,
        "co-owner" => 7,
        "editor" => 6,
        "viewer uploader" => 5,
        "previewer uploader" => 4,
        "viewer" => 3,
        "previewer" => 2,
        "uploader" => 1,
        _ => 0,
    }
}

fn pick_access(d: &mut Draw) -> Access {
    let r = d.below(100);
    if r < 35 {
        Access::Open
    } else if r < 75 {
        Access::Company
    } else {
        Access::Collaborators
    }
}

fn generate_accounts(cfg: &SandboxConfig, anchor: i64) -> Vec<Account> {
    let mut out = Vec::new();
    let mut used = std::collections::HashSet::new();
    let users = cfg.users.max(1);
    let coadmins = cfg.coadmins.min(users.saturating_sub(1));
    let total = users + cfg.external_users + 1;
    for i in 0..total {
        let mut d = Draw::new(cfg.seed, 0xACC7, i as u64);
        let first = *d.pick(names::FIRST);
        let last = *d.pick(names::LAST);
        let (kind, role) = if i == 0 {
            (AccountKind::Managed, Role::Admin)
        } else if i <= coadmins {
            (AccountKind::Managed, Role::Coadmin)
        } else if i < users {
            (AccountKind::Managed, Role::User)
        } else if i < users + cfg.external_users {
            (AccountKind::External, Role::User)
        } else {
            (AccountKind::Personal, Role::User)
        };
        let domain = match kind {
            AccountKind::Managed => ENTERPRISE_DOMAIN.to_string(),
            AccountKind::External => d.pick(names::EXTERNAL_DOMAINS).to_string(),
            AccountKind::Personal => "personal-mail.example".to_string(),
        };
        let mut local = format!(
            "{}.{}",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase()
        );
        if i == 0 {
            local = "admin".into();
        }
        let mut login = format!("{local}@{domain}");
        let mut k = 2;
        while !used.insert(login.clone()) {
            login = format!("{local}{k}@{domain}");
            k += 1;
        }
        out.push(Account {
            id: USER_ID_BASE + i as u64,
            name: format!("{first} {last}"),
            login,
            role,
            kind,
            created_at: anchor - (800 + d.below(1500)) as i64 * DAY,
            job_title: d.pick(names::JOBS).to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ent(seed: u64, files: usize) -> Enterprise {
        Enterprise::generate(
            &SandboxConfig {
                seed,
                files,
                ..SandboxConfig::default()
            },
            1_750_000_000,
        )
    }

    #[test]
    fn same_seed_same_enterprise_other_seed_other_enterprise() {
        let (a, b, c) = (ent(5, 3000), ent(5, 3000), ent(6, 3000));
        let names = |e: &Enterprise| {
            (0..3000)
                .map(|f| (e.file_name(f), e.file_size(f), e.file_owner(f)))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(names(&a), names(&c));
        assert_eq!(
            a.accounts.iter().map(|x| &x.login).collect::<Vec<_>>(),
            b.accounts.iter().map(|x| &x.login).collect::<Vec<_>>()
        );
        assert_eq!(a.collabs.len(), b.collabs.len());
    }

    #[test]
    fn roles_trees_and_files_are_laid_out_as_configured() {
        let e = Enterprise::generate(
            &SandboxConfig {
                users: 10,
                coadmins: 3,
                external_users: 2,
                files: 5000,
                folder_depth: 2,
                folder_fanout: 4,
                ..SandboxConfig::default()
            },
            1_750_000_000,
        );
        let managed: Vec<_> = e
            .accounts
            .iter()
            .filter(|a| a.kind == AccountKind::Managed)
            .collect();
        assert_eq!(managed.len(), 10);
        assert_eq!(managed[0].role, Role::Admin);
        assert_eq!(
            managed.iter().filter(|a| a.role == Role::Coadmin).count(),
            3
        );
        assert_eq!(
            e.accounts
                .iter()
                .filter(|a| a.kind == AccountKind::External)
                .count(),
            2
        );
        // Per user: a root, 4 top folders, 16 below them; per external owner of a
        // folder: a root no one reaches and the folder.
        let managed_folders = (0..e.folders.parent.len() as u32)
            .filter(|&f| !e.folder_externally_owned(f))
            .count();
        assert_eq!(managed_folders, 10 * (1 + 4 + 16));
        assert_eq!(e.folders.parent.len(), managed_folders + 2 * 2);
        assert_eq!(e.files.parent.len(), 5000);
        let covered: u32 = e.folders.file_range.iter().map(|(a, b)| b - a).sum();
        assert_eq!(covered, 5000, "every file is in exactly one folder range");
        // Names are unique within a folder.
        for f in 0..e.folders.parent.len() as u32 {
            let (a, b) = e.folders.file_range[f as usize];
            let names: std::collections::HashSet<_> = (a..b).map(|x| e.file_name(x)).collect();
            assert_eq!(names.len(), (b - a) as usize);
        }
    }
}
