//! Governance that no user can turn against the admin, against the sandbox
//! through Box's own API: a look-alike quarantine folder a user shares with
//! the admin captures nothing; a quarantine or a restore whose move Box
//! refuses takes the owner's invitation back and says where the item is;
//! a holding folder that is not the admin's receives nothing; an audit
//! entry another process holds is not sent from here.

use std::collections::BTreeSet;
use std::sync::Arc;

use box_connector_e2e::scan::*;
use box_sandbox::enterprise::Role;
use box_sandbox::SandboxHandle;
use connector_core::box_api::{BoxClient, RequestOptions, User};
use connector_core::govern::plan::{Journal, QUARANTINE_FOLDER, VAR_HOLDING};
use connector_core::govern::{self, lease, Admin, Governor};
use connector_core::inspect::findings::FindingPolicy;
use connector_core::ipc::govern::{ActionKind, ActionRequest, AuditEntry, AuditState, ItemType};
use connector_core::store::governance::{AuditClaim, AuditLease, AuditUpdate};
use connector_core::store::{Millis, Store};
use reqwest::Method;
use serde_json::{json, Value};

async fn governor(client: &Arc<BoxClient>, store: &Store, me: &User) -> Governor {
    let mut domains: BTreeSet<String> = store
        .enterprise_domains(CONNECTION)
        .await
        .unwrap()
        .into_iter()
        .collect();
    if let Some((_, d)) = me.login.as_deref().and_then(|l| l.rsplit_once('@')) {
        domains.insert(d.to_owned());
    }
    Governor {
        client: client.clone(),
        store: store.clone(),
        connection_id: CONNECTION.into(),
        admin: Admin {
            id: me.id.clone(),
            login: me.login.clone(),
            role: me.role.clone(),
        },
        can_write: true,
        policy: FindingPolicy {
            internal_domains: domains,
            detectors: Default::default(),
        },
        actor: govern::actor_label(me.login.as_deref()),
    }
}

fn request(kind: ActionKind, item_id: &str) -> ActionRequest {
    ActionRequest {
        kind,
        item_type: ItemType::File,
        item_id: item_id.into(),
        access: None,
        disable_download: false,
        expires_at: None,
        collaboration_id: None,
    }
}

async fn preview_and_confirm(g: &Governor, req: ActionRequest) -> (Vec<String>, AuditEntry) {
    let preview = g.preview(&req, "p".into()).await.unwrap();
    assert!(preview.preview.refused.is_none(), "{:?}", preview.preview);
    let id = g
        .record_pending(&preview.preview, None, None)
        .await
        .unwrap();
    (
        preview.preview.warnings,
        g.perform_pending(id).await.unwrap(),
    )
}

/// A request as a Box client sends it (a user's own client, or the admin's).
async fn post(client: &BoxClient, path: &str, body: Value) -> Value {
    client
        .send_json::<Value>(Method::POST, path, Some(&body), &RequestOptions::default())
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e:?}"))
        .fresh()
        .unwrap()
}

/// Files owned by plain users with no link and no collaborator of their
/// own (a quarantine of one is: folders, invitation, move, take back).
fn plain_files(sb: &SandboxHandle) -> Vec<(String, String)> {
    let t = sb.ground_truth();
    let shared: BTreeSet<&str> = t
        .shared_links
        .iter()
        .map(|l| l.item_id.as_str())
        .chain(t.collaborations.iter().map(|c| c.item_id.as_str()))
        .collect();
    let world = sb.state().world.read().unwrap();
    let ent = &world.ent;
    t.files
        .iter()
        .filter(|f| !shared.contains(f.file_id.as_str()))
        .filter(|f| {
            ent.find_login(&f.owner_login)
                .is_some_and(|o| ent.accounts[o as usize].role == Role::User)
        })
        .map(|f| (f.file_id.clone(), f.owner_login.clone()))
        .collect()
}

/// Where a file is: its folder's id, that folder's owner's login and parent's id.
fn place_of(sb: &SandboxHandle, file_id: &str) -> (String, String, String) {
    let world = sb.state().world.read().unwrap();
    let ent = &world.ent;
    let f = ent.parse_file_id(file_id).unwrap();
    let folder = ent.files.parent[f as usize];
    let owner = ent.folders.owner[folder as usize];
    let parent = ent.folders.parent[folder as usize];
    (
        ent.folder_box_id(folder),
        ent.accounts[owner as usize].login.clone(),
        // A root has no parent.
        if ent.is_root(folder) {
            String::new()
        } else {
            ent.folder_box_id(parent)
        },
    )
}

fn file_name(sb: &SandboxHandle, file_id: &str) -> String {
    let world = sb.state().world.read().unwrap();
    let f = world.ent.parse_file_id(file_id).unwrap();
    world.ent.file_name(f)
}

/// Live collaborations on a folder, by grantee login.
fn folder_collaborators(sb: &SandboxHandle, folder_id: &str) -> Vec<String> {
    sb.ground_truth()
        .collaborations
        .iter()
        .filter(|c| c.item_type == "folder" && c.item_id == folder_id)
        .map(|c| c.collaborator_login.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_look_alike_quarantine_folder_shared_with_the_admin_captures_nothing() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let files = plain_files(&sb);
    let (file, owner) = files[0].clone();
    let trapper = files
        .iter()
        .map(|(_, o)| o.clone())
        .find(|o| *o != owner)
        .expect("another user");

    // A user makes a folder of the quarantine's name and invites the admin
    // as editor: Box then shows it in the admin's root.
    let (theirs, _, _) = client_for(&sb, &trapper).await;
    let trap = post(
        &theirs,
        "/folders",
        json!({"name": QUARANTINE_FOLDER, "parent": {"id": "0"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        &theirs,
        "/collaborations",
        json!({"item": {"type": "folder", "id": trap}, "accessible_by": {"type": "user", "id": me.id}, "role": "editor"}),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    run_to_idle(&scanner(&client, &store, &me, listing_only_config()), 3).await;
    let g = governor(&client, &store, &me).await;
    let (warnings, entry) = preview_and_confirm(&g, request(ActionKind::Quarantine, &file)).await;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("ignored") && w.contains(&trapper)),
        "the preview says a look-alike exists and is ignored: {warnings:?}"
    );
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");

    // In a holding folder of the admin's, in a quarantine folder of the
    // admin's in the admin's root; nothing went into the trap.
    let admin_login = me.login.clone().unwrap();
    let (holding, holding_owner, quarantine) = place_of(&sb, &file);
    assert_eq!(holding_owner, admin_login);
    let (quarantine_owner, quarantine_parent) = {
        let world = sb.state().world.read().unwrap();
        let ent = &world.ent;
        let admin = ent.find_login(&admin_login).unwrap();
        let q = ent.parse_folder_id(&quarantine, admin).unwrap();
        let trap = ent.parse_folder_id(&trap, admin).unwrap();
        assert!(
            ent.folders.children[trap as usize].is_empty(),
            "the trap holds nothing"
        );
        (
            ent.accounts[ent.folders.owner[q as usize] as usize]
                .login
                .clone(),
            ent.folder_box_id(ent.folders.parent[q as usize]),
        )
    };
    assert_ne!(quarantine, trap);
    assert_eq!(quarantine_owner, admin_login);
    assert_eq!(quarantine_parent, "0", "in the admin's root");
    assert!(
        folder_collaborators(&sb, &holding).is_empty(),
        "the owner's invitation went"
    );
    assert_eq!(
        store
            .quarantine_folder(CONNECTION)
            .await
            .unwrap()
            .as_deref(),
        Some(quarantine.as_str()),
        "remembered by id"
    );

    // Even remembered wrongly, a folder the admin does not own is not used.
    store
        .set_quarantine_folder(CONNECTION, &trap, Millis::from(chrono::Utc::now()))
        .await
        .unwrap();
    let (next, _) = files
        .iter()
        .find(|(f, o)| *f != file && *o != trapper)
        .cloned()
        .unwrap();
    let (_, entry) = preview_and_confirm(&g, request(ActionKind::Quarantine, &next)).await;
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    let (_, _, next_quarantine) = place_of(&sb, &next);
    assert_eq!(next_quarantine, quarantine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_quarantine_or_restore_takes_the_invitation_back_and_says_where_the_item_is() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    run_to_idle(&scanner(&client, &store, &me, listing_only_config()), 3).await;
    let g = governor(&client, &store, &me).await;
    let files = plain_files(&sb);

    // Quarantine: the admin's holding folder already holds an item of the
    // file's name, so Box refuses the move (409).
    let (file, owner) = files[0].clone();
    let (home, _, _) = place_of(&sb, &file);
    let quarantine = post(
        &client,
        "/folders",
        json!({"name": QUARANTINE_FOLDER, "parent": {"id": "0"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let holding = post(
        &client,
        "/folders",
        json!({"name": format!("file-{file}"), "parent": {"id": quarantine}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        &client,
        "/folders",
        json!({"name": file_name(&sb, &file), "parent": {"id": holding}}),
    )
    .await;
    let (_, entry) = preview_and_confirm(&g, request(ActionKind::Quarantine, &file)).await;
    assert_eq!(entry.state, AuditState::Failed, "{entry:?}");
    let error = entry.error.clone().unwrap();
    assert!(error.hint.contains("stays where it was"), "{error:?}");
    assert!(error.hint.contains("was taken back"), "{error:?}");
    assert!(
        entry
            .box_answer
            .iter()
            .any(|a| a.starts_with("DELETE /collaborations/")),
        "{entry:?}"
    );
    assert_eq!(place_of(&sb, &file).0, home, "not moved");
    assert!(
        folder_collaborators(&sb, &holding).is_empty(),
        "{owner} is no longer invited to the holding folder"
    );
    assert!(store
        .quarantined(CONNECTION, "file", &file)
        .await
        .unwrap()
        .is_none());

    // Restore: the owner put an item of the file's name where it was.
    let (file, owner) = files[1].clone();
    let (home, _, _) = place_of(&sb, &file);
    let (_, entry) = preview_and_confirm(&g, request(ActionKind::Quarantine, &file)).await;
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    let (holding, _, _) = place_of(&sb, &file);
    let (theirs, _, _) = client_for(&sb, &owner).await;
    post(
        &theirs,
        "/folders",
        json!({"name": file_name(&sb, &file), "parent": {"id": home}}),
    )
    .await;
    let (_, entry) = preview_and_confirm(&g, request(ActionKind::Restore, &file)).await;
    assert_eq!(entry.state, AuditState::Failed, "{entry:?}");
    let error = entry.error.clone().unwrap();
    assert!(
        error.hint.contains(&format!(
            "still in your folder {QUARANTINE_FOLDER}/file-{file}"
        )),
        "{error:?}"
    );
    assert!(
        error.hint.contains(&format!("folder id {holding}")),
        "{error:?}"
    );
    assert!(
        error
            .hint
            .contains(&format!("move it yourself in Box to folder {home}")),
        "{error:?}"
    );
    assert!(error.hint.contains("was taken back"), "{error:?}");
    assert_eq!(place_of(&sb, &file).0, holding, "still in quarantine");
    assert!(
        folder_collaborators(&sb, &holding).is_empty(),
        "{owner} is not left co-owner of the holding folder"
    );
    assert!(store
        .quarantined(CONNECTION, "file", &file)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_is_moved_into_a_holding_folder_the_admin_does_not_own() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    run_to_idle(&scanner(&client, &store, &me, listing_only_config()), 3).await;
    let g = governor(&client, &store, &me).await;
    let files = plain_files(&sb);
    let (file, owner) = files[0].clone();
    let (home, _, _) = place_of(&sb, &file);
    let trapper = files
        .iter()
        .map(|(_, o)| o.clone())
        .find(|o| *o != owner)
        .unwrap();
    let (theirs, _, _) = client_for(&sb, &trapper).await;
    let trap = post(
        &theirs,
        "/folders",
        json!({"name": format!("file-{file}"), "parent": {"id": "0"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // An entry interrupted just before its move, whose journal names the
    // user's folder as the holding folder (as a tampered or stale record would).
    let preview = g
        .preview(&request(ActionKind::Quarantine, &file), "p".into())
        .await
        .unwrap();
    let id = g
        .record_pending(&preview.preview, None, None)
        .await
        .unwrap();
    let mut journal: Journal = preview.journal.clone();
    journal.vars.insert(VAR_HOLDING.into(), trap.clone());
    let before_move = journal
        .steps
        .iter()
        .position(|s| matches!(s, govern::plan::Step::Move { .. }))
        .unwrap();
    journal.steps.truncate(before_move + 1);
    store
        .update_audit(AuditUpdate {
            audit_id: id,
            state: "sending".into(),
            steps: serde_json::to_string(&journal).unwrap(),
            steps_done: before_move as i64,
            box_answer: "[]".into(),
            after: None,
            error: None,
            finished_at: None,
            recovered: false,
        })
        .await
        .unwrap();
    let puts = requests.total();
    let entry = g.resume(id).await.unwrap();
    assert_eq!(entry.state, AuditState::Failed, "{entry:?}");
    let error = entry.error.unwrap();
    assert!(error.message.contains("not yours"), "{error:?}");
    assert_eq!(place_of(&sb, &file).0, home, "nothing moved");
    assert!(requests.total() > puts, "Box was asked who owns the folder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_entry_another_live_process_holds_is_not_sent_from_here() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    run_to_idle(&scanner(&client, &store, &me, listing_only_config()), 3).await;
    let g = governor(&client, &store, &me).await;
    let links: Vec<String> = {
        let t = sb.ground_truth();
        let collabs: BTreeSet<&str> = t
            .collaborations
            .iter()
            .map(|c| c.item_id.as_str())
            .collect();
        let world = sb.state().world.read().unwrap();
        let ent = &world.ent;
        t.shared_links
            .iter()
            .filter(|l| l.item_type == "file" && !collabs.contains(l.item_id.as_str()))
            .filter(|l| {
                ent.account_index_by_id(&l.owner_id)
                    .is_some_and(|o| ent.accounts[o as usize].role == Role::User)
            })
            .map(|l| l.item_id.clone())
            .take(3)
            .collect()
    };
    let pending = |file: String| {
        let g = &g;
        async move {
            let p = g
                .preview(&request(ActionKind::RemoveLink, &file), "p".into())
                .await
                .unwrap();
            g.record_pending(&p.preview, None, None).await.unwrap()
        }
    };
    let now = chrono::Utc::now();
    let lease = |host: &str, pid: i64, expires_in: chrono::Duration| AuditLease {
        token: format!("{host} {pid}"),
        host: host.into(),
        pid,
        expires_at: Millis::from(now + expires_in),
    };
    let claim = |id: i64, l: AuditLease| {
        let store = store.clone();
        async move {
            store
                .claim_audit(id, l, Millis::from(now), lease::alive)
                .await
                .unwrap()
        }
    };

    // Held by a live process on another host: nothing is sent from here.
    let held = pending(links[0].clone()).await;
    let other = lease(
        "another-host",
        i64::from(std::process::id()),
        chrono::Duration::minutes(5),
    );
    assert_eq!(claim(held, other).await, AuditClaim::Claimed);
    let sent = requests.total();
    assert_eq!(g.resume(held).await.unwrap().state, AuditState::Pending);
    assert_eq!(
        g.perform_pending(held).await.unwrap().state,
        AuditState::Pending
    );
    assert_eq!(requests.total(), sent, "not a request for a held entry");
    let ours = lease(&lease::this_host(), 1, chrono::Duration::minutes(5));
    assert!(
        matches!(claim(held, ours).await, AuditClaim::HeldBy { ref host, .. } if host == "another-host"),
        "a second claim waits"
    );

    // A holder of this host that died (a crash): taken over at once.
    let crashed = pending(links[1].clone()).await;
    let dead = lease(
        &lease::this_host(),
        i64::from(u32::MAX),
        chrono::Duration::minutes(5),
    );
    assert_eq!(claim(crashed, dead).await, AuditClaim::Claimed);
    assert_eq!(g.resume(crashed).await.unwrap().state, AuditState::Done);

    // An expired lease of another host: taken over too.
    let expired = pending(links[2].clone()).await;
    let old = lease("another-host", 1, chrono::Duration::minutes(-1));
    assert_eq!(claim(expired, old).await, AuditClaim::Claimed);
    assert_eq!(g.resume(expired).await.unwrap().state, AuditState::Done);
    // A finished entry has no holder and nothing to claim.
    assert_eq!(
        claim(expired, lease("x", 1, chrono::Duration::minutes(5))).await,
        AuditClaim::Finished
    );
    let holders: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE audit_id IN (?, ?) AND lease_token IS NOT NULL",
    )
    .bind(crashed)
    .bind(expired)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(holders, 0, "a finished entry lets go of its lease");
}
