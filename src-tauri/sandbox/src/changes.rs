//! Changes made through Box's write API. Each one checks what Box checks (who may,
//! names, etags), changes the enterprise, bumps the etag where Box does and logs the
//! events Box logs, all under the one write lock the live activity also takes, so
//! readers see either the state before or the state after.
//!
//! Permissions: changing an item (rename, move, shared link, delete, collaborators)
//! needs its owner or a co-owner; uploading into a folder or a new version also
//! admits editors and uploaders, as on Box. An item the user cannot see is a 404, one
//! they see but may not change a 403 (`access_denied_insufficient_permissions`).

use serde_json::{json, Value};

use crate::content::Kind;
use crate::enterprise::{
    Access, Account, AccountKind, Collab, CollabStatus, Enterprise, LinkSettings, Role, Stored,
    USER_ID_BASE,
};
use crate::error::ApiError;
use crate::events::{Event, EventKind, Snapshot, Subject};
use crate::state::{Inner, World};

/// Roles that may change an item itself.
const MANAGE: &[&str] = &["owner", "co-owner"];
/// Roles that may put content into a folder or upload a new version of a file.
const WRITE: &[&str] = &[
    "owner",
    "co-owner",
    "editor",
    "uploader",
    "viewer uploader",
    "previewer uploader",
];
const NEW_VERSION: &[&str] = &["owner", "co-owner", "editor"];
/// Roles `POST /collaborations` accepts (the spec's enum; `owner` is not granted so).
pub const INVITABLE: &[&str] = &[
    "editor",
    "viewer",
    "previewer",
    "uploader",
    "previewer uploader",
    "viewer uploader",
    "co-owner",
];

/// Box's enterprise default for a link created without `access` (an admin setting).
pub const DEFAULT_LINK_ACCESS: Access = Access::Company;

/// What `PUT /files/{id}` and `PUT /folders/{id}` may change.
#[derive(Debug, Default)]
pub struct ItemUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Box id of the new parent folder ("0": the acting user's root).
    pub parent: Option<String>,
    /// Absent: untouched; `Some(None)`: remove the link; `Some(Some(..))`: create or change.
    pub shared_link: Option<Option<LinkRequest>>,
}

/// The `shared_link` object of an update; each field absent keeps what the link has.
#[derive(Debug, Default, Clone)]
pub struct LinkRequest {
    pub access: Option<Access>,
    pub password: Option<Option<String>>,
    pub unshared_at: Option<Option<i64>>,
    pub can_download: Option<bool>,
    pub can_edit: Option<bool>,
    pub vanity_name: Option<Option<String>>,
}

/// Who a collaboration is for.
#[derive(Debug, Clone)]
pub enum Grantee {
    Id(String),
    Login(String),
}

/// One write, by one acting user, at one instant.
pub struct Writer<'a> {
    /// For the sha1s of generated files (cached there).
    pub inner: &'a Inner,
    pub world: &'a mut World,
    pub actor: u32,
    pub now: i64,
}

/// 412 unless `if-match` (when sent) names the current etag.
pub fn check_if_match(etag: u32, if_match: Option<&str>) -> Result<(), ApiError> {
    let Some(h) = if_match else { return Ok(()) };
    let etag = etag.to_string();
    if h.split(',')
        .any(|t| t.trim() == "*" || t.trim().trim_matches('"') == etag)
    {
        Ok(())
    } else {
        Err(ApiError::precondition_failed())
    }
}

/// Box's rules for item names: 1–255 characters, no slashes, no trailing space,
/// nothing non-printable, not "." or "..".
pub fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.chars().count() > 255 {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "item_name_too_long",
            "Item name is too long",
        ));
    }
    let invalid = name.is_empty()
        || name == "."
        || name == ".."
        || name.ends_with(' ')
        || name.contains(['/', '\\'])
        || name.chars().any(|c| c.is_control());
    if invalid {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "item_name_invalid",
            "Item name invalid",
        ));
    }
    Ok(())
}

/// Box's password rule: at least 8 characters, with a number, an upper-case letter or
/// a character that is neither.
fn validate_password(p: &str) -> Result<(), ApiError> {
    let strong = p.chars().count() >= 8
        && p.chars()
            .any(|c| c.is_ascii_digit() || c.is_uppercase() || !c.is_alphanumeric());
    if strong {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "Password must be at least eight characters long and include a number, an upper case letter or a special character",
        ))
    }
}

pub fn require_role(
    ent: &Enterprise,
    user: u32,
    item: u32,
    is_file: bool,
    allowed: &[&str],
) -> Result<(), ApiError> {
    match ent.role_on(user, item, is_file) {
        Some(r) if allowed.contains(&r) => Ok(()),
        _ => Err(ApiError::insufficient_permissions()),
    }
}

/// Kind of an uploaded file from its name, for what the sandbox generates if the live
/// activity later edits it.
pub fn kind_from_name(name: &str) -> Kind {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    Kind::ALL
        .into_iter()
        .find(|k| k.ext() == ext)
        .unwrap_or(Kind::Pdf)
}

/// The file mini Box puts in `context_info.conflicts` of an upload's 409.
pub fn file_conflict(ent: &Enterprise, f: u32, sha1: &str) -> Value {
    let etag = ent.file_etag(f).to_string();
    json!({
        "type": "file",
        "id": ent.file_box_id(f),
        "file_version": {
            "type": "file_version",
            "id": crate::api::repr::file_version_id(f, ent.file_version(f)),
            "sha1": sha1,
        },
        "sequence_id": etag,
        "etag": etag,
        "sha1": sha1,
        "name": ent.file_name(f),
    })
}

/// The item of a folder named `name` (any letter case), other than `except`.
pub fn name_clash(
    ent: &Enterprise,
    folder: u32,
    name: &str,
    except: (bool, u32),
) -> Option<(bool, u32)> {
    let want = name.to_lowercase();
    let same = |n: String| n.to_lowercase() == want;
    let sub = ent.folders.children[folder as usize]
        .iter()
        .copied()
        .filter(|&c| !ent.folders.trashed[c as usize] && ent.folders.parent[c as usize] == folder)
        .find(|&c| (false, c) != except && same(ent.folder_name(c)));
    if let Some(c) = sub {
        return Some((false, c));
    }
    let owner = ent.folders.owner[folder as usize];
    let (_, files) = ent.folder_items(folder, owner);
    files
        .into_iter()
        .find(|&f| (true, f) != except && same(ent.file_name(f)))
        .map(|f| (true, f))
}

fn snapshot(ent: &Enterprise, subject: Subject) -> Option<Snapshot> {
    match subject {
        Subject::File(f) => Some(Snapshot {
            name: ent.file_name(f),
            parent: ent.files.parent[f as usize],
            owner: ent.file_owner(f),
        }),
        Subject::Folder(d) => Some(Snapshot {
            name: ent.folder_name(d),
            parent: ent.folders.parent[d as usize],
            owner: ent.folders.owner[d as usize],
        }),
        Subject::User => None,
    }
}

impl Writer<'_> {
    fn ent(&self) -> &Enterprise {
        &self.world.ent
    }

    /// Log an event about the item as it is now.
    fn log(&mut self, kind: EventKind, subject: Subject, extra: u32) {
        let e = Event {
            at: self.now,
            kind,
            actor: self.actor,
            subject,
            extra,
        };
        match snapshot(&self.world.ent, subject) {
            Some(s) => self.world.events.push_snapshot(e, s),
            None => self.world.events.push(e),
        };
    }

    fn name_in_use(&self, clash: (bool, u32)) -> ApiError {
        let ent = self.ent();
        let conflict = match clash {
            (true, f) => file_conflict(ent, f, &self.inner.file_sha1(ent, f)),
            (false, d) => crate::api::repr::folder_mini(ent, d),
        };
        ApiError::name_in_use(json!([conflict]))
    }

    /// Resolve a destination folder: visible (else 404) and writable (else 403).
    fn destination(&self, id: &str) -> Result<u32, ApiError> {
        let dest = crate::api::folders::visible_folder(self.ent(), id, self.actor)?;
        require_role(self.ent(), self.actor, dest, false, WRITE)?;
        Ok(dest)
    }

    /// The link an update asks for, validated against the current one. `None`: no change.
    #[allow(clippy::type_complexity)]
    fn link_change(
        &self,
        is_file: bool,
        item: u32,
        req: &Option<LinkRequest>,
    ) -> Result<Option<Option<(Access, LinkSettings)>>, ApiError> {
        let current = self.ent().link_of(is_file, item);
        let Some(req) = req else {
            return Ok(current.is_some().then_some(None));
        };
        let (mut access, mut s) = current
            .clone()
            .unwrap_or((DEFAULT_LINK_ACCESS, LinkSettings::default()));
        if let Some(a) = req.access {
            access = a;
        }
        match &req.password {
            Some(Some(p)) => {
                if access != Access::Open {
                    return Err(ApiError::bad_request(
                        "A password can only be set when access is set to open",
                    ));
                }
                validate_password(p)?;
                s.password = true;
            }
            Some(None) => s.password = false,
            None => {}
        }
        if access != Access::Open {
            s.password = false;
        }
        match req.unshared_at {
            Some(Some(t)) if t <= self.now => {
                return Err(ApiError::bad_request("unshared_at must be in the future"));
            }
            Some(t) => s.unshared_at = t,
            None => {}
        }
        if let Some(d) = req.can_download {
            if d && access == Access::Collaborators {
                return Err(ApiError::bad_request(
                    "can_download can only be set when access is open or company",
                ));
            }
            s.can_download = Some(d);
        }
        if access == Access::Collaborators {
            s.can_download = None;
        }
        if let Some(e) = req.can_edit {
            if e && (!is_file || !crate::api::repr::link_can_download(access, &s)) {
                return Err(ApiError::bad_request(
                    "can_edit can only be true for a file whose link allows downloads",
                ));
            }
            s.can_edit = e;
        }
        if !crate::api::repr::link_can_download(access, &s) {
            s.can_edit = false;
        }
        if let Some(v) = &req.vanity_name {
            s.vanity_name = v.clone();
        }
        let next = Some((access, s));
        Ok((next != current).then_some(next))
    }

    /// Set or remove a link (already validated) and log SHARE, ITEM_SHARED_UPDATE or UNSHARE.
    fn apply_link(&mut self, is_file: bool, item: u32, next: Option<(Access, LinkSettings)>) {
        let had = self.ent().link_of(is_file, item).is_some();
        let now = self.now;
        let ent = &mut self.world.ent;
        let access = next.as_ref().map(|(a, _)| *a);
        if is_file {
            ent.set_file_shared(item, access, now);
        } else {
            ent.set_folder_shared(item, access, now);
        }
        if let Some((_, s)) = &next {
            if *s == LinkSettings::default() {
                ent.links.remove(&(is_file, item));
            } else {
                ent.links.insert((is_file, item), s.clone());
            }
        }
        let subject = if is_file {
            Subject::File(item)
        } else {
            Subject::Folder(item)
        };
        let (kind, extra) = match (had, access) {
            (false, Some(a)) => (EventKind::Share, Access::code(Some(a))),
            (true, Some(a)) => (EventKind::ItemSharedUpdate, Access::code(Some(a))),
            (_, None) => (EventKind::Unshare, 0),
        };
        self.log(kind, subject, extra as u32);
    }

    /// Move a file to another folder: the listings follow its parent.
    fn move_file_to(&mut self, f: u32, dest: u32) {
        let ent = &mut self.world.ent;
        let old = ent.files.parent[f as usize];
        if let Some(list) = ent.folders.extra_files.get_mut(&old) {
            list.retain(|&x| x != f);
        }
        ent.files.parent[f as usize] = dest;
        let (a, b) = ent.folders.file_range[dest as usize];
        if !(a..b).contains(&f) {
            ent.folders.extra_files.entry(dest).or_default().push(f);
        }
    }

    /// Move a folder: its subtree follows, and takes the owner of where it lands.
    fn move_folder_to(&mut self, d: u32, dest: u32) {
        let ent = &mut self.world.ent;
        let old = ent.folders.parent[d as usize];
        ent.folders.children[old as usize].retain(|&x| x != d);
        ent.folders.children[dest as usize].push(d);
        ent.folders.parent[d as usize] = dest;
        // Names of generated folders depend on their depth: keep the name it has.
        let name = ent.folder_name(d);
        ent.folders.changed.names.insert(d, name);
        let owner = ent.folders.owner[dest as usize];
        let mut stack = vec![d];
        while let Some(x) = stack.pop() {
            ent.folders.owner[x as usize] = owner;
            stack.extend(ent.folders.children[x as usize].iter().copied());
        }
    }

    pub fn update_file(&mut self, f: u32, u: &ItemUpdate) -> Result<(), ApiError> {
        require_role(self.ent(), self.actor, f, true, MANAGE)?;
        let ent = self.ent();
        let current_name = ent.file_name(f);
        let new_name = match &u.name {
            Some(n) if *n != current_name => {
                validate_name(n)?;
                Some(n.clone())
            }
            _ => None,
        };
        let parent = ent.files.parent[f as usize];
        let dest = match &u.parent {
            Some(id) => Some(self.destination(id)?).filter(|&d| d != parent),
            None => None,
        };
        if new_name.is_some() || dest.is_some() {
            let name = new_name.as_deref().unwrap_or(&current_name);
            if let Some(c) = name_clash(self.ent(), dest.unwrap_or(parent), name, (true, f)) {
                return Err(self.name_in_use(c));
            }
        }
        let link = match &u.shared_link {
            Some(req) => self.link_change(true, f, req)?,
            None => None,
        };
        let description = u
            .description
            .clone()
            .filter(|d| Some(d) != self.ent().files.changed.description(f));
        let mut changed = false;
        if let Some(n) = new_name {
            self.world.ent.files.changed.names.insert(f, n);
            self.log(EventKind::Rename, Subject::File(f), 0);
            changed = true;
        }
        if let Some(d) = dest {
            self.move_file_to(f, d);
            self.log(EventKind::Move, Subject::File(f), 0);
            changed = true;
        }
        if let Some(d) = description {
            self.world.ent.files.changed.descriptions.insert(f, d);
            changed = true;
        }
        if let Some(next) = link {
            self.apply_link(true, f, next);
            changed = true;
        }
        if changed {
            self.world.ent.files.changed.touch(f, self.now);
        }
        Ok(())
    }

    pub fn update_folder(&mut self, d: u32, u: &ItemUpdate) -> Result<(), ApiError> {
        if self.ent().is_root(d) {
            return Err(ApiError::insufficient_permissions());
        }
        require_role(self.ent(), self.actor, d, false, MANAGE)?;
        let ent = self.ent();
        let current_name = ent.folder_name(d);
        let new_name = match &u.name {
            Some(n) if *n != current_name => {
                validate_name(n)?;
                Some(n.clone())
            }
            _ => None,
        };
        let parent = ent.folders.parent[d as usize];
        let dest = match &u.parent {
            Some(id) => Some(self.destination(id)?).filter(|&x| x != parent),
            None => None,
        };
        if let Some(dest) = dest {
            let ent = self.ent();
            if dest == d || ent.folder_ancestors(dest).contains(&d) {
                return Err(ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "cyclical_folder_structure",
                    "Folder move creates cyclical folder structure",
                ));
            }
        }
        if new_name.is_some() || dest.is_some() {
            let name = new_name.as_deref().unwrap_or(&current_name);
            if let Some(c) = name_clash(self.ent(), dest.unwrap_or(parent), name, (false, d)) {
                return Err(self.name_in_use(c));
            }
        }
        let link = match &u.shared_link {
            Some(req) => self.link_change(false, d, req)?,
            None => None,
        };
        let description = u
            .description
            .clone()
            .filter(|x| Some(x) != self.ent().folders.changed.description(d));
        let mut changed = false;
        if let Some(n) = new_name {
            self.world.ent.folders.changed.names.insert(d, n);
            self.log(EventKind::Rename, Subject::Folder(d), 0);
            changed = true;
        }
        if let Some(dest) = dest {
            self.move_folder_to(d, dest);
            self.log(EventKind::Move, Subject::Folder(d), 0);
            changed = true;
        }
        if let Some(x) = description {
            self.world.ent.folders.changed.descriptions.insert(d, x);
            changed = true;
        }
        if let Some(next) = link {
            self.apply_link(false, d, next);
            changed = true;
        }
        if changed {
            self.world.ent.folders.changed.touch(d, self.now);
        }
        Ok(())
    }

    /// Move a file to the trash: it leaves every listing and answers 404.
    pub fn delete_file(&mut self, f: u32) -> Result<(), ApiError> {
        require_role(self.ent(), self.actor, f, true, MANAGE)?;
        self.log(EventKind::Delete, Subject::File(f), 0);
        let ent = &mut self.world.ent;
        ent.files.trashed[f as usize] = true;
        ent.files.changed.touch(f, self.now);
        Ok(())
    }

    /// A new file in `folder` (already resolved and visible) with uploaded bytes.
    pub fn upload(
        &mut self,
        folder: u32,
        name: &str,
        bytes: bytes::Bytes,
        sha1: String,
    ) -> Result<u32, ApiError> {
        require_role(self.ent(), self.actor, folder, false, WRITE)?;
        validate_name(name)?;
        if let Some(c) = name_clash(self.ent(), folder, name, (true, u32::MAX)) {
            let ent = self.ent();
            let conflict = match c {
                // An upload's 409 carries the one conflicting file, not a list.
                (true, f) => file_conflict(ent, f, &self.inner.file_sha1(ent, f)),
                (false, d) => crate::api::repr::folder_mini(ent, d),
            };
            return Err(ApiError::name_in_use(conflict));
        }
        let (now, actor) = (self.now, self.actor);
        let ent = &mut self.world.ent;
        let f = ent.add_file(folder, now, actor);
        ent.files.changed.names.insert(f, name.to_string());
        ent.files.kinds.insert(f, kind_from_name(name));
        ent.files.stored.insert(
            f,
            Stored {
                version: 1,
                bytes,
                sha1,
            },
        );
        self.log(EventKind::Upload, Subject::File(f), 0);
        Ok(f)
    }

    /// A new empty folder in `parent` (already resolved and visible). Box logs
    /// a created folder as `UPLOAD` with the folder as its source.
    pub fn create_folder(&mut self, parent: u32, name: &str) -> Result<u32, ApiError> {
        require_role(self.ent(), self.actor, parent, false, WRITE)?;
        validate_name(name)?;
        if let Some(c) = name_clash(self.ent(), parent, name, (false, u32::MAX)) {
            return Err(self.name_in_use(c));
        }
        let now = self.now;
        let d = self.world.ent.add_folder(parent, name, now);
        self.log(EventKind::Upload, Subject::Folder(d), 0);
        Ok(d)
    }

    /// A new version of `f` with uploaded bytes, optionally renaming it.
    pub fn new_version(
        &mut self,
        f: u32,
        name: Option<&str>,
        bytes: bytes::Bytes,
        sha1: String,
        event: EventKind,
    ) -> Result<(), ApiError> {
        require_role(self.ent(), self.actor, f, true, NEW_VERSION)?;
        let rename = name.filter(|n| *n != self.ent().file_name(f));
        if let Some(n) = rename {
            validate_name(n)?;
            let parent = self.ent().files.parent[f as usize];
            if let Some(c) = name_clash(self.ent(), parent, n, (true, f)) {
                return Err(self.name_in_use(c));
            }
        }
        let (now, actor) = (self.now, self.actor);
        let ent = &mut self.world.ent;
        let i = f as usize;
        ent.files.version[i] = ent.files.version[i].saturating_add(1);
        ent.files.modified_at[i] = now;
        ent.files.modified_by[i] = actor;
        let version = ent.file_version(f);
        ent.files.stored.insert(
            f,
            Stored {
                version,
                bytes,
                sha1,
            },
        );
        if let Some(n) = rename {
            ent.files.changed.names.insert(f, n.to_string());
            ent.files.changed.touch(f, now);
        }
        self.log(event, Subject::File(f), 0);
        if rename.is_some() {
            self.log(EventKind::Rename, Subject::File(f), 0);
        }
        Ok(())
    }

    /// Invite a user to an item (already resolved and visible); returns the collaboration.
    pub fn collaborate(
        &mut self,
        is_file: bool,
        item: u32,
        grantee: &Grantee,
        role: &str,
    ) -> Result<u32, ApiError> {
        if !is_file && self.ent().is_root(item) {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "collaborations_not_available_on_root_folder",
                "Root folder cannot be collaborated",
            ));
        }
        require_role(self.ent(), self.actor, item, is_file, MANAGE)?;
        let Some(role) = INVITABLE.iter().copied().find(|r| *r == role) else {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{role}' for 'role'"
            )));
        };
        let g = self.resolve_grantee(grantee)?;
        let ent = self.ent();
        let owner = if is_file {
            ent.file_owner(item)
        } else {
            ent.folders.owner[item as usize]
        };
        if g == owner {
            return Err(ApiError::bad_request(
                "The owner of an item cannot be invited to it",
            ));
        }
        let already = ent
            .collabs_by_item
            .get(&(is_file, item))
            .into_iter()
            .flatten()
            .any(|&c| {
                let c = &ent.collabs[c as usize];
                c.grantee == g && !c.removed
            });
        if already {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "user_already_collaborator",
                "User is already a collaborator",
            ));
        }
        // Managed users are in at once; anyone else has an invite to accept.
        let status = if ent.accounts[g as usize].kind == AccountKind::Managed {
            CollabStatus::Accepted
        } else {
            CollabStatus::Pending
        };
        let ci = self.world.ent.add_collab(Collab {
            item,
            item_is_file: is_file,
            grantee: g,
            role,
            status,
            created_at: self.now,
            created_by: self.actor,
            removed: false,
        });
        let subject = if is_file {
            Subject::File(item)
        } else {
            Subject::Folder(item)
        };
        self.log(EventKind::CollaborationInvite, subject, ci);
        Ok(ci)
    }

    /// An account for a grantee: by id (404 when unknown), or by login, inviting a new
    /// outside identity when no account has it.
    fn resolve_grantee(&mut self, g: &Grantee) -> Result<u32, ApiError> {
        let ent = &mut self.world.ent;
        match g {
            Grantee::Id(id) => ent
                .account_index_by_id(id.trim())
                .ok_or_else(|| ApiError::not_found("Not Found")),
            Grantee::Login(login) => {
                let login = login.trim();
                if !login.contains('@') || login.contains(char::is_whitespace) {
                    return Err(ApiError::bad_request(format!(
                        "Invalid value '{login}' for 'login'"
                    )));
                }
                if let Some(i) = ent
                    .accounts
                    .iter()
                    .position(|a| a.login.eq_ignore_ascii_case(login))
                {
                    return Ok(i as u32);
                }
                let idx = ent.accounts.len() as u32;
                ent.accounts.push(Account {
                    id: USER_ID_BASE + idx as u64,
                    name: login.split('@').next().unwrap_or(login).to_string(),
                    login: login.to_ascii_lowercase(),
                    role: Role::User,
                    kind: AccountKind::External,
                    created_at: self.now,
                    job_title: String::new(),
                });
                Ok(idx)
            }
        }
    }

    /// Remove a collaboration: the item's owner or a co-owner may, and so may the
    /// collaborator themselves.
    pub fn uncollaborate(&mut self, ci: u32) -> Result<(), ApiError> {
        let ent = self.ent();
        let not_found = || ApiError::not_found("Not Found");
        let c = ent.collabs.get(ci as usize).ok_or_else(not_found)?;
        let alive = if c.item_is_file {
            ent.file_alive(c.item)
        } else {
            !ent.folder_trashed(c.item)
        };
        if c.removed || !alive {
            return Err(not_found());
        }
        let (item, is_file) = (c.item, c.item_is_file);
        if c.grantee != self.actor {
            let sees = if is_file {
                ent.can_see_file(self.actor, item)
            } else {
                ent.can_see_folder(self.actor, item)
            };
            if !sees {
                return Err(not_found());
            }
            require_role(ent, self.actor, item, is_file, MANAGE)?;
        }
        self.world.ent.collabs[ci as usize].removed = true;
        let subject = if is_file {
            Subject::File(item)
        } else {
            Subject::Folder(item)
        };
        self.log(EventKind::CollaborationRemove, subject, ci);
        Ok(())
    }
}
