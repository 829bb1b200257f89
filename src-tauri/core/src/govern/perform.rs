//! Sending an action's steps to Box. Each step is recorded in the audit row
//! before the next is sent; a step whose answer was lost (the process died,
//! the network dropped, Box answered 5xx) is first checked against what Box
//! now says, and sent again only if its change is not there, so no change
//! is made twice.
//!
//! Folders the admin's items are moved into are the admin's own: the
//! quarantine folder is the one the app made (remembered by id), never a
//! folder of that name someone else owns and shared with the admin, and a
//! holding folder is checked to be the admin's, inside it, before a move.

use reqwest::Method;
use serde_json::{json, Value};

use super::item::{read_live, ItemState, LinkState};
use super::plan::{
    Destination, Journal, Step, QUARANTINE_FOLDER, VAR_HOLDING, VAR_HOLDING_INVITE, VAR_LINK_AFTER,
    VAR_QUARANTINE,
};
use crate::box_api::models::{Item, SharedLink};
use crate::box_api::{ApiError, ApiErrorKind, BoxClient, RequestOptions};
use crate::error::{ErrorCode, UserError};
use crate::inspect::findings::FindingPolicy;
use crate::ipc::govern::ItemType;

/// How often a step whose change is verifiably not there is sent again.
pub const MAX_SENDS: u32 = 3;
/// Names tried for a folder whose name someone else's folder has taken
/// ("Box Connector Quarantine", then "… 2", "… 3" …).
const MAX_NAMES: u32 = 5;

fn numbered(name: &str, n: u32) -> String {
    if n == 1 {
        name.to_owned()
    } else {
        format!("{name} {n}")
    }
}

/// How one step ended.
#[derive(Debug)]
pub enum StepOutcome {
    /// Box made the change (or had made it already): the line for the audit.
    Done(String),
    /// Box said no (4xx): nothing changed.
    Refused(ApiError),
    /// No answer, and no way to tell: left for the next start.
    Unknown(ApiError),
    /// Not sent: a check before it failed (a folder is not the admin's).
    Stopped(UserError),
}

pub struct Sender<'a> {
    pub client: &'a BoxClient,
    pub policy: &'a FindingPolicy,
    /// The connected admin: the owner every quarantine folder must have.
    pub admin_id: &'a str,
    /// The quarantine folder the app made earlier (from the store), if any.
    pub quarantine_folder: Option<String>,
}

/// Why a step was not sent: the folder is not one the admin owns.
#[derive(Debug)]
enum Check {
    Api(ApiError),
    Stopped(UserError),
}

impl From<ApiError> for Check {
    fn from(e: ApiError) -> Self {
        Check::Api(e)
    }
}

fn not_the_admins(what: &str, id: &str, owner: Option<&str>) -> UserError {
    UserError::new(
        ErrorCode::ActionRefused,
        format!(
            "The {what} {id} is not yours (owned by {}): nothing was moved into it.",
            owner.unwrap_or("someone else")
        ),
        "Preview the quarantine again: Box Connector then uses a folder of its own in your root.",
    )
}

fn options(as_user: &Option<String>) -> RequestOptions {
    RequestOptions {
        as_user: as_user.clone(),
        urgent: true,
        ..RequestOptions::default()
    }
}

fn item_path(t: ItemType, id: &str) -> String {
    match t {
        ItemType::File => format!("/files/{id}"),
        ItemType::Folder => format!("/folders/{id}"),
    }
}

/// A failure after which the change may or may not have been made.
fn outcome_unknown(e: &ApiError) -> bool {
    matches!(
        e.kind,
        ApiErrorKind::Unavailable | ApiErrorKind::Network | ApiErrorKind::Malformed
    )
}

fn folder_line(made: bool, what: &str, id: &str) -> String {
    if made {
        line("POST", "/folders", &format!("{what} {id} made"))
    } else {
        format!("{what} {id} already there")
    }
}

fn line(method: &str, path: &str, what: &str) -> String {
    format!("{method} {path}: {what}")
}

fn missing(var: &str) -> ApiError {
    ApiError::from(UserError::new(
        ErrorCode::Internal,
        format!("An earlier step's result ({var}) is missing from the audit entry."),
        "Report this; the action stopped before sending anything more.",
    ))
}

impl Sender<'_> {
    /// Sends `step` (first checking whether its change is there already when
    /// `verify_first`), up to [`MAX_SENDS`] times while the answer is lost.
    pub async fn run(&self, step: &Step, journal: &mut Journal, verify_first: bool) -> StepOutcome {
        if verify_first {
            match self.holds(step, journal).await {
                Ok(true) => {
                    return StepOutcome::Done(format!("{}: already so in Box", step_name(step)))
                }
                Ok(false) => {}
                Err(e) => return StepOutcome::Unknown(e),
            }
        }
        let mut last = None;
        for _ in 0..MAX_SENDS {
            match self.send(step, journal).await {
                Ok(line) => return StepOutcome::Done(line),
                Err(Check::Stopped(why)) => return StepOutcome::Stopped(why),
                Err(Check::Api(e)) if outcome_unknown(&e) => {
                    match self.holds(step, journal).await {
                        Ok(true) => {
                            return StepOutcome::Done(format!(
                                "{}: answer lost ({}); Box shows it done",
                                step_name(step),
                                e.status
                                    .map(|s| s.to_string())
                                    .unwrap_or_else(|| "no answer".into())
                            ))
                        }
                        Ok(false) => last = Some(e),
                        // Box cannot be asked either: leave it for later.
                        Err(_) => return StepOutcome::Unknown(e),
                    }
                }
                Err(Check::Api(e)) => return StepOutcome::Refused(e),
            }
        }
        StepOutcome::Refused(last.expect("at least one send"))
    }

    async fn send(&self, step: &Step, journal: &mut Journal) -> Result<String, Check> {
        let c = self.client;
        match step {
            Step::SetLink {
                item_type,
                item_id,
                as_user,
                link,
            } => {
                let path = item_path(*item_type, item_id);
                let body = json!({"shared_link": link.as_ref().map(|l| l.json())});
                let answer = c
                    .send_json::<Value>(Method::PUT, &path, Some(&body), &options(as_user))
                    .await?
                    .fresh()
                    .unwrap_or_default();
                // Box answers with the item: its link is the "after" (no read back).
                if let Ok(Some(l)) =
                    serde_json::from_value::<Option<SharedLink>>(answer["shared_link"].clone())
                {
                    let state = LinkState::from_box(&l);
                    journal.vars.insert(
                        VAR_LINK_AFTER.into(),
                        serde_json::to_string(&state).unwrap_or_default(),
                    );
                }
                Ok(line(
                    "PUT",
                    &path,
                    if link.is_some() {
                        "link set"
                    } else {
                        "link removed"
                    },
                ))
            }
            Step::RemoveCollaboration {
                collaboration_id,
                as_user,
            } => Ok(self.delete_collaboration(collaboration_id, as_user).await?),
            Step::EnsureQuarantineFolder => {
                let (id, made) = self.ensure_quarantine_folder().await?;
                let l = folder_line(made, "quarantine folder", &id);
                journal.vars.insert(VAR_QUARANTINE.into(), id);
                Ok(l)
            }
            Step::EnsureHoldingFolder { name } => {
                let parent = journal
                    .vars
                    .get(VAR_QUARANTINE)
                    .cloned()
                    .ok_or_else(|| missing(VAR_QUARANTINE))?;
                let (id, made) = self.ensure_folder(&parent, name).await?;
                let l = folder_line(made, "holding folder", &id);
                journal.vars.insert(VAR_HOLDING.into(), id);
                Ok(l)
            }
            Step::InviteToHolding { user_id, role } => {
                let holding = journal
                    .vars
                    .get(VAR_HOLDING)
                    .cloned()
                    .ok_or_else(|| missing(VAR_HOLDING))?;
                if let Some(existing) = self.invite_on(&holding, user_id, role).await? {
                    journal.vars.insert(VAR_HOLDING_INVITE.into(), existing);
                    return Ok(line("POST", "/collaborations", "owner already invited"));
                }
                let body = json!({
                    "item": {"type": "folder", "id": holding},
                    "accessible_by": {"type": "user", "id": user_id},
                    "role": role,
                });
                let made: Value = c
                    .send_json(
                        Method::POST,
                        "/collaborations",
                        Some(&body),
                        &options(&None),
                    )
                    .await?
                    .fresh()
                    .unwrap_or_default();
                let id = made["id"].as_str().map(str::to_owned).unwrap_or_default();
                journal.vars.insert(VAR_HOLDING_INVITE.into(), id.clone());
                Ok(line(
                    "POST",
                    "/collaborations",
                    &format!("owner invited as {role} ({id})"),
                ))
            }
            Step::Move {
                item_type,
                item_id,
                as_user,
                destination,
            } => {
                let to = self.destination(destination, journal)?;
                if *destination == Destination::Holding {
                    self.check_holding(&to, journal).await?;
                }
                let path = item_path(*item_type, item_id);
                let body = json!({"parent": {"id": to}});
                c.send_json::<Value>(Method::PUT, &path, Some(&body), &options(as_user))
                    .await?;
                Ok(line("PUT", &path, &format!("moved to folder {to}")))
            }
            Step::RemoveHoldingInvite => {
                let Some(id) = journal.vars.get(VAR_HOLDING_INVITE).cloned() else {
                    return Ok("no invitation to take back".into());
                };
                Ok(self.delete_collaboration(&id, &None).await?)
            }
            Step::Collaborate {
                item_type,
                item_id,
                as_user,
                login,
                role,
            } => {
                let body = json!({
                    "item": {"type": item_type.as_str(), "id": item_id},
                    "accessible_by": {"type": "user", "login": login},
                    "role": role,
                });
                c.send_json::<Value>(
                    Method::POST,
                    "/collaborations",
                    Some(&body),
                    &options(as_user),
                )
                .await?;
                Ok(line(
                    "POST",
                    "/collaborations",
                    &format!("{login} invited as {role}"),
                ))
            }
        }
    }

    async fn delete_collaboration(
        &self,
        id: &str,
        as_user: &Option<String>,
    ) -> Result<String, ApiError> {
        let path = format!("/collaborations/{id}");
        match self
            .client
            .send_empty(Method::DELETE, &path, &options(as_user))
            .await
        {
            Ok(()) => Ok(line("DELETE", &path, "removed")),
            // Gone already: a lost answer to an earlier send, or someone else.
            Err(e) if e.kind == ApiErrorKind::NotFound => Ok(line("DELETE", &path, "already gone")),
            Err(e) => Err(e),
        }
    }

    /// The folder `name` in `parent` (the admin's), made if missing; and
    /// whether it was made now. A folder of that name the admin does not
    /// own is never taken: one is made beside it under a name of its own.
    async fn ensure_folder(&self, parent: &str, name: &str) -> Result<(String, bool), ApiError> {
        if let Some(id) = self.find_folder(parent, name).await? {
            return Ok((id, false));
        }
        let mut last = None;
        for n in 1..=MAX_NAMES {
            let name_n = numbered(name, n);
            if n > 1 {
                if let Some(id) = self.find_folder(parent, &name_n).await? {
                    return Ok((id, false));
                }
            }
            let body = json!({"name": name_n, "parent": {"id": parent}});
            match self
                .client
                .send_json::<Value>(Method::POST, "/folders", Some(&body), &options(&None))
                .await
            {
                Ok(made) => {
                    let id = made.fresh().unwrap_or_default()["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    return Ok((id, true));
                }
                Err(e) if e.kind == ApiErrorKind::Conflict => {
                    // Ours after all (a lost answer, another process): take it.
                    if let Some(id) = self.find_folder(parent, &name_n).await? {
                        return Ok((id, false));
                    }
                    // Someone else's of that name: the next name.
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("at least one name was tried"))
    }

    /// The quarantine folder: the one the app made (if it is still the
    /// admin's), else a folder of that name in the admin's root that the
    /// admin owns and shares with no one, else a new one.
    async fn ensure_quarantine_folder(&self) -> Result<(String, bool), ApiError> {
        if let Some(id) = self.known_quarantine_folder().await? {
            return Ok((id, false));
        }
        self.ensure_folder("0", QUARANTINE_FOLDER).await
    }

    /// The remembered quarantine folder, if Box still shows it as the
    /// admin's and unshared.
    async fn known_quarantine_folder(&self) -> Result<Option<String>, ApiError> {
        let Some(id) = &self.quarantine_folder else {
            return Ok(None);
        };
        let state = read_live(self.client, ItemType::Folder, id, None, self.policy).await?;
        Ok(state
            .filter(|s| s.owner_id.as_deref() == Some(self.admin_id) && s.collaborations.is_empty())
            .map(|_| id.clone()))
    }

    /// A folder named `name` in `parent` that the admin owns and that has
    /// no collaborators (a folder someone else shared with the admin shows
    /// in the admin's root too: it is never taken).
    async fn find_folder(&self, parent: &str, name: &str) -> Result<Option<String>, ApiError> {
        Ok(self
            .folders_named(parent, name)
            .await?
            .into_iter()
            .find(|(_, owner, shared)| owner.as_deref() == Some(self.admin_id) && !shared)
            .map(|(id, _, _)| id))
    }

    /// Folders named `name` (as Box compares: case aside) in `parent`: id,
    /// owner's id, whether it has collaborators.
    async fn folders_named(
        &self,
        parent: &str,
        name: &str,
    ) -> Result<Vec<(String, Option<String>, bool)>, ApiError> {
        use futures_util::TryStreamExt;
        let options = RequestOptions::default()
            .fields("type,id,name,owned_by,has_collaborations")
            .urgent();
        let items: Vec<_> = self
            .client
            .folder_items(parent, &options)
            .try_collect()
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|i| match i {
                Item::Folder(f)
                    if f.name
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase() == name.to_lowercase()) =>
                {
                    Some((
                        f.id,
                        f.owned_by.map(|o| o.id),
                        f.has_collaborations.unwrap_or(false),
                    ))
                }
                _ => None,
            })
            .collect())
    }

    /// Folders named like the quarantine folder in the admin's root that
    /// someone else owns: their owners' logins (for the preview's warning).
    pub async fn look_alike_quarantine_folders(&self) -> Result<Vec<String>, ApiError> {
        use futures_util::TryStreamExt;
        let options = RequestOptions::default()
            .fields("type,id,name,owned_by")
            .urgent();
        let items: Vec<_> = self
            .client
            .folder_items("0", &options)
            .try_collect()
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|i| match i {
                Item::Folder(f)
                    if f.name.as_deref().is_some_and(|n| {
                        n.to_lowercase()
                            .starts_with(&QUARANTINE_FOLDER.to_lowercase())
                    }) && f.owned_by.as_ref().map(|o| o.id.as_str()) != Some(self.admin_id) =>
                {
                    Some(
                        f.owned_by
                            .and_then(|o| o.login.or(o.name))
                            .unwrap_or_else(|| "someone else".into()),
                    )
                }
                _ => None,
            })
            .collect())
    }

    /// The holding folder must be the admin's, inside the quarantine
    /// folder, before anything is moved into it.
    async fn check_holding(&self, holding: &str, journal: &Journal) -> Result<(), Check> {
        let state = read_live(self.client, ItemType::Folder, holding, None, self.policy).await?;
        let Some(state) = state else {
            return Err(Check::Stopped(not_the_admins(
                "holding folder",
                holding,
                None,
            )));
        };
        let inside = journal
            .vars
            .get(VAR_QUARANTINE)
            .is_none_or(|q| state.parent_id.as_ref() == Some(q));
        if state.owner_id.as_deref() != Some(self.admin_id) || !inside {
            return Err(Check::Stopped(not_the_admins(
                "holding folder",
                holding,
                state.owner_login.as_deref(),
            )));
        }
        Ok(())
    }

    /// The id of `user_id`'s collaboration on the holding folder with `role`.
    async fn invite_on(
        &self,
        holding: &str,
        user_id: &str,
        role: &str,
    ) -> Result<Option<String>, ApiError> {
        let state = read_live(self.client, ItemType::Folder, holding, None, self.policy).await?;
        Ok(state.and_then(|s| {
            s.collaborations
                .into_iter()
                .find(|c| {
                    c.grantee_id.as_deref() == Some(user_id) && c.role.as_deref() == Some(role)
                })
                .map(|c| c.collaboration_id)
        }))
    }

    // ApiError is what every step returns; boxing it here alone buys nothing.
    #[allow(clippy::result_large_err)]
    fn destination(&self, d: &Destination, journal: &Journal) -> Result<String, ApiError> {
        match d {
            Destination::Folder { id } => Ok(id.clone()),
            Destination::Holding => journal
                .vars
                .get(VAR_HOLDING)
                .cloned()
                .ok_or_else(|| missing(VAR_HOLDING)),
        }
    }

    /// The item wherever it is now: as the owner, else as the admin (a
    /// quarantined item is the admin's).
    pub async fn locate(
        &self,
        item_type: ItemType,
        item_id: &str,
        as_user: &Option<String>,
    ) -> Result<Option<ItemState>, ApiError> {
        if as_user.is_some() {
            if let Some(s) = read_live(
                self.client,
                item_type,
                item_id,
                as_user.as_deref(),
                self.policy,
            )
            .await?
            {
                return Ok(Some(s));
            }
        }
        read_live(self.client, item_type, item_id, None, self.policy).await
    }

    /// Whether the step's change is in Box already.
    async fn holds(&self, step: &Step, journal: &mut Journal) -> Result<bool, ApiError> {
        match step {
            Step::SetLink {
                item_type,
                item_id,
                as_user,
                link,
            } => {
                let Some(s) = self.locate(*item_type, item_id, as_user).await? else {
                    return Ok(false);
                };
                Ok(match link {
                    None => s.link.is_none(),
                    Some(body) => s.link.as_ref().is_some_and(|l| {
                        l.access == body.access
                            && l.can_download == body.can_download
                            && l.can_edit == body.can_edit
                    }),
                })
            }
            // A DELETE of what is gone answers 404, taken as done: safe to resend.
            Step::RemoveCollaboration { .. } | Step::RemoveHoldingInvite => Ok(false),
            Step::EnsureQuarantineFolder => {
                let found = match self.known_quarantine_folder().await? {
                    Some(id) => Some(id),
                    None => self.find_folder("0", QUARANTINE_FOLDER).await?,
                };
                if let Some(id) = &found {
                    journal.vars.insert(VAR_QUARANTINE.into(), id.clone());
                }
                Ok(found.is_some())
            }
            Step::EnsureHoldingFolder { name } => {
                let Some(parent) = journal.vars.get(VAR_QUARANTINE).cloned() else {
                    return Ok(false);
                };
                let found = self.find_folder(&parent, name).await?;
                if let Some(id) = &found {
                    journal.vars.insert(VAR_HOLDING.into(), id.clone());
                }
                Ok(found.is_some())
            }
            Step::InviteToHolding { user_id, role } => {
                let Some(holding) = journal.vars.get(VAR_HOLDING).cloned() else {
                    return Ok(false);
                };
                let found = self.invite_on(&holding, user_id, role).await?;
                if let Some(id) = &found {
                    journal.vars.insert(VAR_HOLDING_INVITE.into(), id.clone());
                }
                Ok(found.is_some())
            }
            Step::Move {
                item_type,
                item_id,
                as_user,
                destination,
            } => {
                let to = self.destination(destination, journal)?;
                let s = self.locate(*item_type, item_id, as_user).await?;
                Ok(s.is_some_and(|s| s.parent_id.as_deref() == Some(to.as_str())))
            }
            Step::Collaborate {
                item_type,
                item_id,
                as_user,
                login,
                ..
            } => {
                let s = self.locate(*item_type, item_id, as_user).await?;
                Ok(s.is_some_and(|s| {
                    s.collaborations.iter().any(|c| {
                        c.login
                            .as_deref()
                            .is_some_and(|l| l.eq_ignore_ascii_case(login))
                    })
                }))
            }
        }
    }
}

pub fn step_name(step: &Step) -> &'static str {
    match step {
        Step::SetLink { link: None, .. } => "remove link",
        Step::SetLink { .. } => "set link",
        Step::RemoveCollaboration { .. } => "remove collaboration",
        Step::EnsureQuarantineFolder => "quarantine folder",
        Step::EnsureHoldingFolder { .. } => "holding folder",
        Step::InviteToHolding { .. } => "invite owner to holding folder",
        Step::Move { .. } => "move",
        Step::RemoveHoldingInvite => "take back owner's invitation",
        Step::Collaborate { .. } => "invite collaborator",
    }
}
