//! From an action request and the item's state to what will change (the
//! preview) and the requests that change it (the steps). Pure: no I/O, so
//! what the preview shows is what the steps do, and both are tested here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::item::{CollabState, ItemState, LinkState};
use crate::error::{ErrorCode, UserError};
use crate::ipc::govern::{ActionKind, ActionRequest, ItemType, LinkAccess, PlannedChange};

/// The folder quarantined items go to, in the admin's root.
pub const QUARANTINE_FOLDER: &str = "Box Connector Quarantine";

/// What a shared link is set to (`PUT …{"shared_link": …}`); no password:
/// the app never learns one, and Box keeps the one set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkBody {
    pub access: String,
    pub can_download: bool,
    pub can_edit: bool,
    pub unshared_at: Option<String>,
}

impl LinkBody {
    pub fn json(&self) -> serde_json::Value {
        let mut link = json!({
            "access": self.access,
            "permissions": {"can_download": self.can_download, "can_edit": self.can_edit},
        });
        if let Some(t) = &self.unshared_at {
            link["unshared_at"] = json!(t);
        }
        link
    }

    fn holds_on(&self, link: Option<&LinkState>) -> bool {
        link.is_some_and(|l| {
            l.access == self.access
                && l.can_download == self.can_download
                && l.can_edit == self.can_edit
                && l.unshared_at.as_deref().map(normal_time)
                    == self.unshared_at.as_deref().map(normal_time)
        })
    }
}

fn normal_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp().to_string())
        .unwrap_or_else(|_| t.to_owned())
}

/// Where a move goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Destination {
    /// The item's holding folder in the quarantine (made by an earlier step).
    Holding,
    Folder {
        id: String,
    },
}

/// One request to Box. `as_user`: the owner (`None`: the admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    SetLink {
        item_type: ItemType,
        item_id: String,
        as_user: Option<String>,
        /// `None`: remove the link.
        link: Option<LinkBody>,
    },
    RemoveCollaboration {
        collaboration_id: String,
        as_user: Option<String>,
    },
    /// The admin's quarantine folder (made if missing).
    EnsureQuarantineFolder,
    /// The item's own folder inside it (made if missing).
    EnsureHoldingFolder { name: String },
    /// The admin invites the owner to the holding folder, so the owner may
    /// move the item in or out.
    InviteToHolding { user_id: String, role: String },
    Move {
        item_type: ItemType,
        item_id: String,
        as_user: Option<String>,
        destination: Destination,
    },
    /// The admin takes the owner's invitation back.
    RemoveHoldingInvite,
    Collaborate {
        item_type: ItemType,
        item_id: String,
        as_user: Option<String>,
        login: String,
        role: String,
    },
}

/// The steps, and what earlier steps learned (folder and invitation ids).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub steps: Vec<Step>,
    pub vars: BTreeMap<String, String>,
}

pub const VAR_QUARANTINE: &str = "quarantine_folder_id";
pub const VAR_HOLDING: &str = "holding_folder_id";
pub const VAR_HOLDING_INVITE: &str = "holding_collaboration_id";
/// The link as Box answered the `SetLink` step (JSON of a `LinkState`).
pub const VAR_LINK_AFTER: &str = "link_after";

/// What is known about who acts and on whose item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Governance on and `root_readwrite` granted.
    pub can_write: bool,
    pub admin_id: String,
    /// The connected account's role: `admin`, `coadmin` or `user`.
    pub admin_role: Option<String>,
    /// The owner's role in the enterprise, `None` when the owner is not a
    /// managed user the scan listed.
    pub owner_role: Option<String>,
}

/// A quarantined item's record, for `Restore`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub holding_folder_id: String,
    pub original_parent_id: String,
    pub original_owner_id: String,
    /// The item as it was before the quarantine.
    pub before: ItemState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub changes: Vec<PlannedChange>,
    pub journal: Journal,
    pub warnings: Vec<String>,
    /// The login the item's changes are sent as.
    pub acting_as: Option<String>,
}

fn refused(message: impl Into<String>, hint: impl Into<String>) -> UserError {
    UserError::new(ErrorCode::ActionRefused, message, hint)
}

/// Why the connected account may not act on this item, checked before
/// anything is sent. `owner_id` is whose item it is (the original owner for
/// a quarantined one).
pub fn refusal(
    auth: &Authority,
    owner_id: Option<&str>,
    externally_owned: bool,
) -> Option<UserError> {
    if !auth.can_write {
        return Some(UserError::new(
            ErrorCode::GovernanceOff,
            "Governance is off: Box Connector signed in to read only.",
            "Turn governance on; Box asks you once more to allow Box Connector to change items (root_readwrite).",
        ));
    }
    match auth.admin_role.as_deref() {
        Some("admin") | Some("coadmin") => {}
        _ => return Some(refused(
            "This connection is a user's, not an admin's: it may not act on other users' items.",
            "Connect with the Box admin account (or a co-admin with \"Manage Users\").",
        )),
    }
    let Some(owner) = owner_id else {
        return Some(refused(
            "Box Connector does not know who owns this item.",
            "Let the scan reach it first, then try again.",
        ));
    };
    if externally_owned || (auth.owner_role.is_none() && owner != auth.admin_id) {
        return Some(refused(
            "The item is owned outside the enterprise: Box lets an admin act only as managed users.",
            "Ask its owner to change it, or remove the enterprise's collaborators from it.",
        ));
    }
    let owner_is_admin = matches!(auth.owner_role.as_deref(), Some("admin") | Some("coadmin"));
    if auth.admin_role.as_deref() == Some("coadmin") && owner_is_admin && owner != auth.admin_id {
        return Some(refused(
            "A co-admin may not act as the admin or another co-admin, who owns this item.",
            "Ask the Box admin to take this action, or connect with the admin account.",
        ));
    }
    None
}

fn item_words(s: &ItemState) -> String {
    let name = s.name.clone().unwrap_or_else(|| s.item_id.clone());
    match s.item_type {
        ItemType::File => name,
        ItemType::Folder => format!("folder {name}"),
    }
}

fn collab_words(c: &CollabState) -> String {
    format!(
        "{} ({}{})",
        c.login.as_deref().unwrap_or("an invitee"),
        c.role.as_deref().unwrap_or("collaborator"),
        if c.status.as_deref() == Some("pending") {
            ", pending"
        } else {
            ""
        }
    )
}

fn access_of(s: &str) -> Option<LinkAccess> {
    match s {
        "open" => Some(LinkAccess::Open),
        "company" => Some(LinkAccess::Company),
        "collaborators" => Some(LinkAccess::Collaborators),
        _ => None,
    }
}

fn as_owner(state: &ItemState, admin_id: &str) -> Option<String> {
    state.owner_id.clone().filter(|o| o != admin_id)
}

fn remove_link(state: &ItemState, as_user: &Option<String>, p: &mut Planned) {
    if let Some(link) = &state.link {
        p.changes.push(PlannedChange {
            description: format!("Remove the {} of {}", link.describe(), item_words(state)),
            target: "shared_link".into(),
            before: json!(link),
            after: serde_json::Value::Null,
        });
        p.journal.steps.push(Step::SetLink {
            item_type: state.item_type,
            item_id: state.item_id.clone(),
            as_user: as_user.clone(),
            link: None,
        });
    }
}

fn remove_collab(state: &ItemState, c: &CollabState, as_user: &Option<String>, p: &mut Planned) {
    p.changes.push(PlannedChange {
        description: format!(
            "Remove collaborator {} from {}",
            collab_words(c),
            item_words(state)
        ),
        target: format!("collaboration:{}", c.collaboration_id),
        before: json!(c),
        after: serde_json::Value::Null,
    });
    p.journal.steps.push(Step::RemoveCollaboration {
        collaboration_id: c.collaboration_id.clone(),
        as_user: as_user.clone(),
    });
}

/// The holding folder's name: one per item, so a restore finds it again.
pub fn holding_name(item_type: ItemType, item_id: &str) -> String {
    format!("{}-{item_id}", item_type.as_str())
}

/// What `req` changes on an item in `state`. An empty `changes` means there
/// is nothing to do (nothing will be sent). `quarantined` is the record of
/// an earlier quarantine of this item, if any.
pub fn plan(
    req: &ActionRequest,
    state: &ItemState,
    admin_id: &str,
    quarantined: Option<&Quarantined>,
) -> Result<Planned, UserError> {
    let as_user = as_owner(state, admin_id);
    let mut p = Planned {
        changes: Vec::new(),
        journal: Journal::default(),
        warnings: Vec::new(),
        acting_as: state.owner_login.clone(),
    };
    if quarantined.is_some() && req.kind != ActionKind::Restore {
        p.warnings
            .push("The item is in quarantine: restore it first to change it where it was.".into());
        return Ok(p);
    }
    if state.item_type == ItemType::Folder
        && state.link.is_some()
        && matches!(req.kind, ActionKind::RemoveLink | ActionKind::RestrictLink)
    {
        p.warnings.push(format!(
            "The link of {} reaches everything inside it: every file in it changes with it.",
            item_words(state)
        ));
    }
    match req.kind {
        ActionKind::RemoveLink => remove_link(state, &as_user, &mut p),
        ActionKind::RestrictLink => {
            let Some(link) = &state.link else {
                return Ok(p);
            };
            let current = access_of(&link.access).unwrap_or(LinkAccess::Open);
            let access = match req.access {
                Some(a) if a < current => {
                    return Err(UserError::new(
                        ErrorCode::InvalidInput,
                        format!(
                            "Restricting cannot widen the link from {} to {}.",
                            current.as_str(),
                            a.as_str()
                        ),
                        "Choose company or collaborators, or leave the access as it is.",
                    ))
                }
                Some(a) => a,
                None => current,
            };
            let expires = req.expires_at.map(|t| t.to_rfc3339());
            let sooner = match (&expires, &link.unshared_at) {
                (Some(new), Some(old)) => normal_time(new) < normal_time(old),
                (Some(_), None) => true,
                _ => false,
            };
            // A collaborators-only link has no download or edit permission to give.
            let narrow = access == LinkAccess::Collaborators;
            let body = LinkBody {
                access: access.as_str().into(),
                can_download: link.can_download && !req.disable_download && !narrow,
                can_edit: link.can_edit && !narrow,
                unshared_at: if sooner {
                    expires
                } else {
                    link.unshared_at.clone()
                },
            };
            if !body.holds_on(Some(link)) {
                let mut what = Vec::new();
                if access != current {
                    what.push(format!("access {} → {}", current.as_str(), access.as_str()));
                }
                if link.can_download && !body.can_download {
                    what.push("download off".to_owned());
                }
                if link.can_edit && !body.can_edit {
                    what.push("editing off".to_owned());
                }
                if sooner {
                    what.push(format!(
                        "expires {}",
                        body.unshared_at.as_deref().unwrap_or_default()
                    ));
                }
                let after = LinkState {
                    access: body.access.clone(),
                    can_download: body.can_download,
                    can_edit: body.can_edit,
                    unshared_at: body.unshared_at.clone(),
                    password: link.password,
                };
                p.changes.push(PlannedChange {
                    description: format!(
                        "Restrict the {} of {}: {}",
                        link.describe(),
                        item_words(state),
                        what.join("; ")
                    ),
                    target: "shared_link".into(),
                    before: json!(link),
                    after: json!(after),
                });
                p.journal.steps.push(Step::SetLink {
                    item_type: state.item_type,
                    item_id: state.item_id.clone(),
                    as_user: as_user.clone(),
                    link: Some(body),
                });
            }
        }
        ActionKind::RemoveCollaborator => {
            let Some(id) = req.collaboration_id.as_deref() else {
                return Err(UserError::new(
                    ErrorCode::InvalidInput,
                    "Which collaboration to remove was not given.",
                    "Pass the collaboration's id (the finding's details show it).",
                ));
            };
            if let Some(c) = state
                .collaborations
                .iter()
                .find(|c| c.collaboration_id == id)
            {
                remove_collab(state, c, &as_user, &mut p);
            }
        }
        ActionKind::RemoveExternal => {
            for c in state.external_collaborations() {
                remove_collab(state, c, &as_user, &mut p);
            }
        }
        ActionKind::Quarantine => {
            let Some(owner) = state.owner_id.clone() else {
                return Ok(p);
            };
            let Some(parent) = state.parent_id.clone() else {
                return Ok(p);
            };
            remove_link(state, &as_user, &mut p);
            for c in &state.collaborations {
                remove_collab(state, c, &as_user, &mut p);
            }
            let holding = holding_name(state.item_type, &state.item_id);
            p.changes.push(PlannedChange {
                description: format!(
                    "Move {} from {} into your folder {QUARANTINE_FOLDER}/{holding}: {} loses access until it is restored",
                    item_words(state),
                    state.path.as_deref().unwrap_or("its folder"),
                    state.owner_login.as_deref().unwrap_or("its owner"),
                ),
                target: "location".into(),
                before: json!({"parent_id": parent, "path": state.path, "owner_login": state.owner_login}),
                after: json!({"folder": format!("{QUARANTINE_FOLDER}/{holding}"), "owner": "you"}),
            });
            let as_owner = (owner != admin_id).then(|| owner.clone());
            let steps = &mut p.journal.steps;
            // Links and collaborators first, while the owner still holds the item.
            let sharing: Vec<Step> = std::mem::take(steps);
            steps.push(Step::EnsureQuarantineFolder);
            steps.push(Step::EnsureHoldingFolder { name: holding });
            if as_owner.is_some() {
                steps.push(Step::InviteToHolding {
                    user_id: owner.clone(),
                    role: "editor".into(),
                });
            }
            steps.extend(sharing);
            steps.push(Step::Move {
                item_type: state.item_type,
                item_id: state.item_id.clone(),
                as_user: as_owner.clone(),
                destination: Destination::Holding,
            });
            if as_owner.is_some() {
                steps.push(Step::RemoveHoldingInvite);
            }
        }
        ActionKind::Restore => {
            let Some(q) = quarantined else {
                return Err(refused(
                    "This item is not in Box Connector's quarantine.",
                    "Only items quarantined from this app can be restored here.",
                ));
            };
            let owner = q.original_owner_id.clone();
            let as_owner = (owner != admin_id).then(|| owner.clone());
            p.acting_as = q.before.owner_login.clone();
            p.journal
                .vars
                .insert(VAR_HOLDING.into(), q.holding_folder_id.clone());
            p.changes.push(PlannedChange {
                description: format!(
                    "Move {} back to {} ({} owns it again)",
                    item_words(state),
                    q.before.path.as_deref().unwrap_or("where it was"),
                    q.before.owner_login.as_deref().unwrap_or("its owner"),
                ),
                target: "location".into(),
                before: json!({"parent_id": state.parent_id, "path": state.path}),
                after: json!({"parent_id": q.original_parent_id, "path": q.before.path, "owner_login": q.before.owner_login}),
            });
            if as_owner.is_some() {
                p.journal.steps.push(Step::InviteToHolding {
                    user_id: owner.clone(),
                    role: "co-owner".into(),
                });
            }
            p.journal.steps.push(Step::Move {
                item_type: state.item_type,
                item_id: state.item_id.clone(),
                as_user: as_owner.clone(),
                destination: Destination::Folder {
                    id: q.original_parent_id.clone(),
                },
            });
            if as_owner.is_some() {
                p.journal.steps.push(Step::RemoveHoldingInvite);
            }
            if let Some(link) = &q.before.link {
                let body = LinkBody {
                    access: link.access.clone(),
                    can_download: link.can_download,
                    can_edit: link.can_edit,
                    unshared_at: link.unshared_at.clone(),
                };
                p.changes.push(PlannedChange {
                    description: format!("Put back the {} (with a new URL)", link.describe()),
                    target: "shared_link".into(),
                    before: serde_json::Value::Null,
                    after: json!(link),
                });
                if link.password {
                    p.warnings.push(
                        "The link had a password; Box never tells it, so set it again in Box."
                            .into(),
                    );
                }
                p.journal.steps.push(Step::SetLink {
                    item_type: state.item_type,
                    item_id: state.item_id.clone(),
                    as_user: as_owner.clone(),
                    link: Some(body),
                });
            }
            for c in &q.before.collaborations {
                let (Some(login), Some(role)) = (&c.login, &c.role) else {
                    p.warnings.push(format!(
                        "Collaboration {} cannot be put back (no login or role was recorded).",
                        c.collaboration_id
                    ));
                    continue;
                };
                p.changes.push(PlannedChange {
                    description: format!("Invite {} again as {role}", login),
                    target: format!("collaborator:{login}"),
                    before: serde_json::Value::Null,
                    after: json!(c),
                });
                p.journal.steps.push(Step::Collaborate {
                    item_type: state.item_type,
                    item_id: state.item_id.clone(),
                    as_user: as_owner.clone(),
                    login: login.clone(),
                    role: role.clone(),
                });
            }
        }
    }
    Ok(p)
}

/// The changes of `live` that the admin saw in `previewed` (by target):
/// an item re-read just before sending is changed no further than shown.
pub fn within_preview(live: Planned, previewed: &[PlannedChange]) -> Planned {
    let shown: std::collections::HashSet<&str> =
        previewed.iter().map(|c| c.target.as_str()).collect();
    if live
        .changes
        .iter()
        .all(|c| shown.contains(c.target.as_str()))
    {
        return live;
    }
    // Keep the steps whose change was shown; folder steps belong to the move.
    let mut kept = Planned {
        changes: Vec::new(),
        journal: Journal {
            steps: Vec::new(),
            vars: live.journal.vars.clone(),
        },
        warnings: live.warnings.clone(),
        acting_as: live.acting_as.clone(),
    };
    for c in &live.changes {
        if shown.contains(c.target.as_str()) {
            kept.changes.push(c.clone());
        } else {
            kept.warnings.push(format!(
                "Not done, as it was not in the preview: {}",
                c.description
            ));
        }
    }
    let keep_move = shown.contains("location");
    for s in live.journal.steps {
        let keep = match &s {
            Step::SetLink { .. } => shown.contains("shared_link"),
            Step::RemoveCollaboration {
                collaboration_id, ..
            } => shown.contains(format!("collaboration:{collaboration_id}").as_str()),
            Step::Collaborate { login, .. } => {
                shown.contains(format!("collaborator:{login}").as_str())
            }
            _ => keep_move,
        };
        if keep {
            kept.journal.steps.push(s);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ItemState {
        ItemState {
            item_type: ItemType::File,
            item_id: "101".into(),
            name: Some("Q3.xlsx".into()),
            path: Some("All Files/Finance/Q3.xlsx".into()),
            owner_id: Some("7".into()),
            owner_login: Some("ann@acme.com".into()),
            parent_id: Some("55".into()),
            link: Some(LinkState {
                access: "open".into(),
                can_download: true,
                can_edit: false,
                unshared_at: None,
                password: false,
            }),
            collaborations: vec![
                CollabState {
                    collaboration_id: "c1".into(),
                    login: Some("eve@gmail.com".into()),
                    grantee_type: Some("user".into()),
                    grantee_id: Some("900".into()),
                    role: Some("editor".into()),
                    status: Some("accepted".into()),
                    external: true,
                },
                CollabState {
                    collaboration_id: "c2".into(),
                    login: Some("bob@acme.com".into()),
                    grantee_type: Some("user".into()),
                    grantee_id: Some("8".into()),
                    role: Some("viewer".into()),
                    status: Some("accepted".into()),
                    external: false,
                },
            ],
            externally_owned: false,
        }
    }

    fn req(kind: ActionKind) -> ActionRequest {
        ActionRequest {
            kind,
            item_type: ItemType::File,
            item_id: "101".into(),
            access: None,
            disable_download: false,
            expires_at: None,
            collaboration_id: None,
        }
    }

    fn auth() -> Authority {
        Authority {
            can_write: true,
            admin_id: "1".into(),
            admin_role: Some("admin".into()),
            owner_role: Some("user".into()),
        }
    }

    #[test]
    fn removing_a_link_changes_only_the_link_as_the_owner() {
        let p = plan(&req(ActionKind::RemoveLink), &state(), "1", None).unwrap();
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].target, "shared_link");
        assert!(p.changes[0]
            .description
            .contains("open link (can download)"));
        assert_eq!(
            p.journal.steps,
            vec![Step::SetLink {
                item_type: ItemType::File,
                item_id: "101".into(),
                as_user: Some("7".into()),
                link: None
            }]
        );
        let mut no_link = state();
        no_link.link = None;
        let p = plan(&req(ActionKind::RemoveLink), &no_link, "1", None).unwrap();
        assert!(p.changes.is_empty() && p.journal.steps.is_empty());
    }

    #[test]
    fn restricting_narrows_and_never_widens() {
        let mut r = req(ActionKind::RestrictLink);
        r.access = Some(LinkAccess::Company);
        r.disable_download = true;
        let p = plan(&r, &state(), "1", None).unwrap();
        let Step::SetLink {
            link: Some(body), ..
        } = &p.journal.steps[0]
        else {
            panic!("{:?}", p.journal.steps)
        };
        assert_eq!(body.access, "company");
        assert!(!body.can_download);
        assert!(p.changes[0]
            .description
            .contains("access open → company; download off"));

        let mut company = state();
        company.link.as_mut().unwrap().access = "company".into();
        r.access = Some(LinkAccess::Open);
        let err = plan(&r, &company, "1", None).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);

        // Already as asked: nothing to send.
        let mut done = state();
        done.link = Some(LinkState {
            access: "company".into(),
            can_download: false,
            can_edit: false,
            unshared_at: None,
            password: false,
        });
        r.access = Some(LinkAccess::Company);
        assert!(plan(&r, &done, "1", None).unwrap().changes.is_empty());
    }

    #[test]
    fn remove_external_takes_only_outside_logins() {
        let p = plan(&req(ActionKind::RemoveExternal), &state(), "1", None).unwrap();
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].target, "collaboration:c1");
        assert!(p.changes[0].description.contains("eve@gmail.com (editor)"));
    }

    #[test]
    fn quarantine_clears_sharing_before_the_move_and_takes_the_invite_back() {
        let p = plan(&req(ActionKind::Quarantine), &state(), "1", None).unwrap();
        let ops: Vec<&str> = p
            .journal
            .steps
            .iter()
            .map(|s| match s {
                Step::EnsureQuarantineFolder => "quarantine",
                Step::EnsureHoldingFolder { .. } => "holding",
                Step::InviteToHolding { .. } => "invite",
                Step::SetLink { .. } => "link",
                Step::RemoveCollaboration { .. } => "uncollab",
                Step::Move { .. } => "move",
                Step::RemoveHoldingInvite => "uninvite",
                Step::Collaborate { .. } => "collab",
            })
            .collect();
        assert_eq!(
            ops,
            [
                "quarantine",
                "holding",
                "invite",
                "link",
                "uncollab",
                "uncollab",
                "move",
                "uninvite"
            ]
        );
        assert_eq!(p.changes.len(), 4, "link, two collaborators, location");
    }

    #[test]
    fn restore_puts_back_what_was_recorded() {
        let before = state();
        let mut now = state();
        now.link = None;
        now.collaborations.clear();
        now.owner_id = Some("1".into());
        now.parent_id = Some("999".into());
        let q = Quarantined {
            holding_folder_id: "999".into(),
            original_parent_id: "55".into(),
            original_owner_id: "7".into(),
            before,
        };
        let p = plan(&req(ActionKind::Restore), &now, "1", Some(&q)).unwrap();
        assert!(p.journal.steps.contains(&Step::Move {
            item_type: ItemType::File,
            item_id: "101".into(),
            as_user: Some("7".into()),
            destination: Destination::Folder { id: "55".into() }
        }));
        let invites = p
            .journal
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Collaborate { .. }))
            .count();
        assert_eq!(invites, 2);
        assert_eq!(
            p.journal.vars.get(VAR_HOLDING).map(String::as_str),
            Some("999")
        );
        // Restoring what is not quarantined is refused.
        assert!(plan(&req(ActionKind::Restore), &state(), "1", None).is_err());
    }

    #[test]
    fn roles_that_may_not_act_are_refused_before_anything_is_sent() {
        assert!(refusal(&auth(), Some("7"), false).is_none());
        let off = Authority {
            can_write: false,
            ..auth()
        };
        assert_eq!(
            refusal(&off, Some("7"), false).unwrap().code,
            ErrorCode::GovernanceOff
        );
        let user = Authority {
            admin_role: Some("user".into()),
            ..auth()
        };
        assert_eq!(
            refusal(&user, Some("7"), false).unwrap().code,
            ErrorCode::ActionRefused
        );
        assert!(refusal(&auth(), Some("7"), true).is_some(), "owned outside");
        let coadmin_on_admin = Authority {
            admin_role: Some("coadmin".into()),
            owner_role: Some("admin".into()),
            ..auth()
        };
        assert!(refusal(&coadmin_on_admin, Some("7"), false)
            .unwrap()
            .message
            .contains("co-admin"));
        let coadmin_on_user = Authority {
            admin_role: Some("coadmin".into()),
            ..auth()
        };
        assert!(refusal(&coadmin_on_user, Some("7"), false).is_none());
    }

    #[test]
    fn a_live_plan_is_cut_to_what_the_preview_showed() {
        let shown = plan(&req(ActionKind::RemoveExternal), &state(), "1", None)
            .unwrap()
            .changes;
        let mut later = state();
        later.collaborations.push(CollabState {
            collaboration_id: "c3".into(),
            login: Some("mallory@evil.example".into()),
            grantee_type: Some("user".into()),
            grantee_id: Some("901".into()),
            role: Some("viewer".into()),
            status: Some("accepted".into()),
            external: true,
        });
        let live = plan(&req(ActionKind::RemoveExternal), &later, "1", None).unwrap();
        assert_eq!(live.changes.len(), 2);
        let cut = within_preview(live, &shown);
        assert_eq!(cut.changes.len(), 1);
        assert_eq!(cut.journal.steps.len(), 1);
        assert!(cut.warnings[0].contains("mallory@evil.example"));
    }
}
