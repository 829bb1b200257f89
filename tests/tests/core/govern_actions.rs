//! Governance against the sandbox, through Box's own write API: each action
//! changes exactly what its preview showed and nothing else (checked in the
//! sandbox's ground truth), its finding closes after the rescan, and the
//! audit log holds the before and after; an action interrupted after Box
//! made the change is finished without a second change; a role that may not
//! act sends nothing; a bulk action over 1,000 items with 10% injected
//! faults ends with every item changed once or reported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use box_connector_e2e::scan::*;
use box_sandbox::{SandboxConfig, SandboxHandle};
use connector_core::box_api::{BoxClient, RequestOptions, User};
use connector_core::error::ErrorCode;
use connector_core::govern::{self, Admin, Governor};
use connector_core::inspect::findings::FindingPolicy;
use connector_core::ipc::govern::{
    ActionKind, ActionRequest, AuditEntry, AuditState, ItemType, LinkAccess,
};
use connector_core::store::governance::AuditUpdate;
use connector_core::store::Store;

async fn governor(client: &Arc<BoxClient>, store: &Store, me: &User, can_write: bool) -> Governor {
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
        can_write,
        policy: FindingPolicy {
            internal_domains: domains,
            detectors: Default::default(),
        },
        actor: govern::actor_label(me.login.as_deref()),
    }
}

/// Preview from what Box says now, then confirm: as the window does.
async fn preview_and_confirm(
    g: &Governor,
    req: ActionRequest,
) -> (govern::PreviewRecord, AuditEntry) {
    let preview = g.preview(&req, "p".into()).await.unwrap();
    let id = g
        .record_pending(&preview.preview, None, None)
        .await
        .unwrap();
    let entry = if preview.preview.refused.is_some() {
        g.entry(id).await.unwrap()
    } else {
        g.perform_pending(id).await.unwrap()
    };
    (preview, entry)
}

fn request(kind: ActionKind, item_type: ItemType, item_id: &str) -> ActionRequest {
    ActionRequest {
        kind,
        item_type,
        item_id: item_id.into(),
        access: None,
        disable_download: false,
        expires_at: None,
        collaboration_id: None,
    }
}

/// Links and collaborations of the whole enterprise, as the sandbox holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sharing {
    links: BTreeMap<(String, String), (String, bool)>,
    collabs: BTreeMap<String, (String, String, String, String)>,
}

fn sharing(sb: &SandboxHandle) -> Sharing {
    let t = sb.ground_truth();
    Sharing {
        links: t
            .shared_links
            .iter()
            .map(|l| {
                (
                    (l.item_type.to_string(), l.item_id.clone()),
                    (l.access.to_string(), l.can_download),
                )
            })
            .collect(),
        collabs: t
            .collaborations
            .iter()
            .map(|c| {
                (
                    c.collaboration_id.clone(),
                    (
                        c.item_type.to_string(),
                        c.item_id.clone(),
                        c.collaborator_login.clone(),
                        c.role.to_string(),
                    ),
                )
            })
            .collect(),
    }
}

async fn open_findings_of(store: &Store, item_id: &str, kind: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM findings WHERE connection_id = ? AND closed_at IS NULL
           AND kind = ? AND (file_id = ? OR via_item_id = ?)",
    )
    .bind(CONNECTION)
    .bind(kind)
    .bind(item_id)
    .bind(item_id)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// A file with its own link of `access` and no collaborators, that the
/// admin may act on (owned by a plain user).
fn file_with_own_link(sb: &SandboxHandle, access: &str) -> String {
    let t = sb.ground_truth();
    let world = sb.state().world.read().unwrap();
    let ent = &world.ent;
    let with_collabs: BTreeSet<&str> = t
        .collaborations
        .iter()
        .map(|c| c.item_id.as_str())
        .collect();
    t.shared_links
        .iter()
        .filter(|l| {
            l.item_type == "file"
                && l.access == access
                && !with_collabs.contains(l.item_id.as_str())
        })
        .find(|l| {
            ent.account_index_by_id(&l.owner_id).is_some_and(|o| {
                ent.accounts[o as usize].role == box_sandbox::enterprise::Role::User
            })
        })
        .map(|l| l.item_id.clone())
        .expect("a file with its own link")
}

async fn scanned(
    config: SandboxConfig,
) -> (
    tempfile::TempDir,
    SandboxHandle,
    Arc<BoxClient>,
    Arc<Requests>,
    User,
    Store,
) {
    let sb = start_sandbox(config).await;
    let (client, requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = scanner(&client, &store, &me, listing_only_config());
    run_to_idle(&scan, 3).await;
    (dir, sb, client, requests, me, store)
}

async fn rescan(client: &Arc<BoxClient>, store: &Store, me: &User) {
    let scan = scanner(client, store, me, listing_only_config());
    run_to_idle(&scan, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_action_changes_exactly_what_its_preview_showed_and_its_finding_closes() {
    let (_dir, sb, client, _requests, me, store) = scanned(small_enterprise()).await;
    let g = governor(&client, &store, &me, true).await;

    // remove-link on a file's own open link.
    let file = file_with_own_link(&sb, "open");
    assert_eq!(open_findings_of(&store, &file, "public_link").await, 1);
    let before = sharing(&sb);
    let (preview, entry) =
        preview_and_confirm(&g, request(ActionKind::RemoveLink, ItemType::File, &file)).await;
    assert_eq!(preview.preview.changes.len(), 1, "{:?}", preview.preview);
    assert_eq!(preview.preview.changes[0].target, "shared_link");
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    let mut expected = before.clone();
    expected.links.remove(&("file".into(), file.clone()));
    assert_eq!(sharing(&sb), expected, "only that link went");
    assert_eq!(entry.before["shared_link"]["access"], "open");
    assert!(entry.after["shared_link"].is_null(), "{:?}", entry.after);
    assert_eq!(entry.acting_as, preview.preview.acting_as);
    rescan(&client, &store, &me).await;
    assert_eq!(
        open_findings_of(&store, &file, "public_link").await,
        0,
        "closed from Box's answer"
    );

    // restrict-link: open → company, download off.
    let file = file_with_own_link(&sb, "open");
    let before = sharing(&sb);
    let mut req = request(ActionKind::RestrictLink, ItemType::File, &file);
    req.access = Some(LinkAccess::Company);
    req.disable_download = true;
    let (preview, entry) = preview_and_confirm(&g, req).await;
    assert_eq!(preview.preview.changes.len(), 1);
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    let mut expected = before.clone();
    expected
        .links
        .insert(("file".into(), file.clone()), ("company".into(), false));
    assert_eq!(sharing(&sb), expected);
    rescan(&client, &store, &me).await;
    assert_eq!(open_findings_of(&store, &file, "public_link").await, 0);

    // remove-external on the item with the most external collaborators.
    let (item_type, item_id) = {
        let truth = sb.ground_truth();
        let mut by_item: BTreeMap<(String, String), usize> = BTreeMap::new();
        for c in truth.collaborations.iter().filter(|c| c.kind == "external") {
            *by_item
                .entry((c.item_type.to_string(), c.item_id.clone()))
                .or_default() += 1;
        }
        by_item
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(k, _)| k)
            .expect("external collaborators")
    };
    let item_type = ItemType::parse(&item_type).unwrap();
    let before = sharing(&sb);
    let (preview, entry) =
        preview_and_confirm(&g, request(ActionKind::RemoveExternal, item_type, &item_id)).await;
    assert_eq!(
        entry.state,
        AuditState::Done,
        "{entry:?} {:?}",
        preview.preview
    );
    let removed: BTreeSet<String> = preview
        .preview
        .changes
        .iter()
        .map(|c| c.target.trim_start_matches("collaboration:").to_owned())
        .collect();
    assert!(!removed.is_empty());
    let mut expected = before.clone();
    expected.collabs.retain(|id, _| !removed.contains(id));
    assert_eq!(
        sharing(&sb),
        expected,
        "exactly the previewed collaborators went"
    );
    let left_external = sb
        .ground_truth()
        .collaborations
        .iter()
        .filter(|c| c.item_id == item_id && c.kind == "external")
        .count();
    assert_eq!(left_external, 0);
    rescan(&client, &store, &me).await;
    assert_eq!(
        open_findings_of(&store, &item_id, "external_collaborator").await,
        0,
        "the external-collaborator findings closed"
    );

    // The same again changes nothing and sends nothing.
    let (preview, entry) =
        preview_and_confirm(&g, request(ActionKind::RemoveExternal, item_type, &item_id)).await;
    assert!(preview.preview.changes.is_empty());
    assert_eq!(entry.state, AuditState::Unchanged);

    // Every entry is in the log, newest first, and survives the findings closing.
    let log = store.audit_page(&Default::default(), 100, 0).await.unwrap();
    assert_eq!(log.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quarantine_moves_the_item_to_the_admin_and_restore_puts_it_back_with_its_sharing() {
    let (_dir, sb, client, _requests, me, store) = scanned(small_enterprise()).await;
    let g = governor(&client, &store, &me, true).await;
    // A file with its own link and collaborators.
    let (file, owner_login) = {
        let t = sb.ground_truth();
        let linked: BTreeSet<&str> = t
            .shared_links
            .iter()
            .filter(|l| l.item_type == "file")
            .map(|l| l.item_id.as_str())
            .collect();
        let world = sb.state().world.read().unwrap();
        let ent = &world.ent;
        let c = t
            .collaborations
            .iter()
            .filter(|c| c.item_type == "file" && linked.contains(c.item_id.as_str()))
            .find(|c| {
                ent.account_index_by_id(&c.owner_id).is_some_and(|o| {
                    ent.accounts[o as usize].role == box_sandbox::enterprise::Role::User
                })
            })
            .or_else(|| t.collaborations.iter().find(|c| c.item_type == "file"))
            .expect("a file with collaborators");
        let owner = t
            .files
            .iter()
            .find(|f| f.file_id == c.item_id)
            .unwrap()
            .owner_login
            .clone();
        (c.item_id.clone(), owner)
    };
    let before = sharing(&sb);
    let (preview, entry) =
        preview_and_confirm(&g, request(ActionKind::Quarantine, ItemType::File, &file)).await;
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    assert!(preview
        .preview
        .changes
        .iter()
        .any(|c| c.target == "location"));
    let owner_now = sb
        .ground_truth()
        .files
        .iter()
        .find(|f| f.file_id == file)
        .unwrap()
        .owner_login
        .clone();
    assert_eq!(
        Some(owner_now.as_str()),
        me.login.as_deref(),
        "the admin holds it"
    );
    let after = sharing(&sb);
    assert!(!after.links.contains_key(&("file".into(), file.clone())));
    assert!(
        after.collabs.values().all(|c| c.1 != file),
        "no collaborator left on it"
    );
    // Nothing else changed but the quarantine's own (removed) invitation.
    let mut rest = before.clone();
    rest.links.remove(&("file".into(), file.clone()));
    rest.collabs.retain(|_, c| c.1 != file);
    let mut after_rest = after.clone();
    after_rest
        .collabs
        .retain(|_, c| !c.2.eq_ignore_ascii_case(&owner_login) || c.1 == file);
    assert_eq!(after_rest.links, rest.links);

    let (_, restored) =
        preview_and_confirm(&g, request(ActionKind::Restore, ItemType::File, &file)).await;
    assert_eq!(restored.state, AuditState::Done, "{restored:?}");
    let t = sb.ground_truth();
    assert_eq!(
        t.files
            .iter()
            .find(|f| f.file_id == file)
            .unwrap()
            .owner_login,
        owner_login
    );
    let back = sharing(&sb);
    assert_eq!(
        back.links.get(&("file".into(), file.clone())),
        before.links.get(&("file".into(), file.clone())),
        "its link is back as it was"
    );
    let logins = |s: &Sharing| -> BTreeSet<(String, String)> {
        s.collabs
            .values()
            .filter(|c| c.1 == file)
            .map(|c| (c.2.to_ascii_lowercase(), c.3.clone()))
            .collect()
    };
    assert_eq!(logins(&back), logins(&before), "its collaborators are back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_action_cut_off_after_box_changed_the_item_is_finished_without_a_second_change() {
    let (_dir, sb, client, _requests, me, store) = scanned(small_enterprise()).await;
    let g = governor(&client, &store, &me, true).await;
    let file = file_with_own_link(&sb, "open");
    let req = request(ActionKind::RemoveLink, ItemType::File, &file);
    let state = g.read_now(ItemType::File, &file).await.unwrap();
    let preview = g.preview_on(&req, state, "p".into()).await.unwrap();
    let audit_id = g
        .record_pending(&preview.preview, None, None)
        .await
        .unwrap();
    // What a process killed between Box's answer and the audit's record
    // leaves: the row says "sending", step 0 not confirmed, and Box has the change.
    let owner = preview.before.as_ref().unwrap().owner_id.clone().unwrap();
    client
        .send_json::<serde_json::Value>(
            reqwest::Method::PUT,
            &format!("/files/{file}"),
            Some(&serde_json::json!({"shared_link": null})),
            &RequestOptions::default().as_user(owner),
        )
        .await
        .unwrap();
    store
        .update_audit(AuditUpdate {
            audit_id,
            state: "sending".into(),
            steps: serde_json::to_string(&preview.journal).unwrap(),
            steps_done: 0,
            box_answer: "[]".into(),
            after: None,
            error: None,
            finished_at: None,
            recovered: false,
        })
        .await
        .unwrap();
    let puts_before = sandbox_calls(&sb, "PUT /2.0/files/{file_id}");

    // With governance off, a start leaves it waiting and sends nothing.
    let off = governor(&client, &store, &me, false).await;
    let waiting = off.resume_all().await.unwrap();
    assert_eq!(waiting[0].state, AuditState::Sending);
    assert_eq!(sandbox_calls(&sb, "PUT /2.0/files/{file_id}"), puts_before);

    // The next start with governance on finishes it.
    let resumed = g.resume_all().await.unwrap();
    assert_eq!(resumed.len(), 1);
    let entry = &resumed[0];
    assert_eq!(entry.state, AuditState::Done, "{entry:?}");
    assert!(entry.recovered);
    assert!(
        entry.box_answer[0].contains("already so in Box"),
        "{:?}",
        entry.box_answer
    );
    let puts_after = sandbox_calls(&sb, "PUT /2.0/files/{file_id}");
    assert_eq!(puts_after, puts_before, "no second PUT");
    let unshares = unshare_events(&sb, &file);
    assert_eq!(unshares, 1, "Box logged one change");
    assert!(
        g.resume_all().await.unwrap().is_empty(),
        "nothing left to resume"
    );
}

/// Requests the sandbox answered for one route ("PUT /2.0/files/{file_id}").
fn sandbox_calls(sb: &SandboxHandle, route: &str) -> u64 {
    sb.state()
        .stats
        .lock()
        .unwrap()
        .by_endpoint
        .get(route)
        .copied()
        .unwrap_or(0)
}

/// Requests the sandbox answered that could change something.
fn sandbox_writes(sb: &SandboxHandle) -> u64 {
    sb.state()
        .stats
        .lock()
        .unwrap()
        .by_endpoint
        .iter()
        .filter(|(k, _)| !k.starts_with("GET "))
        .map(|(_, n)| n)
        .sum()
}

fn unshare_events(sb: &SandboxHandle, file_id: &str) -> usize {
    let world = sb.state().world.read().unwrap();
    let idx = world.ent.parse_file_id(file_id).unwrap();
    world
        .events
        .entries
        .iter()
        .filter(|e| {
            e.kind == box_sandbox::events::EventKind::Unshare
                && e.subject == box_sandbox::events::Subject::File(idx)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_role_that_may_not_act_sends_nothing() {
    let (_dir, sb, client, _requests, me, store) = scanned(small_enterprise()).await;
    let file = file_with_own_link(&sb, "open");
    let before = sharing(&sb);
    let writes_before = sandbox_writes(&sb);

    // Governance off (no write scope): refused before anything is sent.
    let off = governor(&client, &store, &me, false).await;
    let (preview, entry) =
        preview_and_confirm(&off, request(ActionKind::RemoveLink, ItemType::File, &file)).await;
    assert_eq!(
        preview.preview.refused.as_ref().unwrap().code,
        ErrorCode::GovernanceOff
    );
    assert_eq!(entry.state, AuditState::Refused);

    // A co-admin on an item the admin owns.
    let (co_client, _, co_me) = client_for(&sb, "coadmin").await;
    let co = governor(&co_client, &store, &co_me, true).await;
    let admin_file = {
        let t = sb.ground_truth();
        t.files
            .iter()
            .find(|f| Some(f.owner_login.as_str()) == me.login.as_deref())
            .map(|f| f.file_id.clone())
            .expect("the admin owns files")
    };
    let (preview, entry) = preview_and_confirm(
        &co,
        request(ActionKind::Quarantine, ItemType::File, &admin_file),
    )
    .await;
    let why = preview.preview.refused.as_ref().expect("refused");
    assert_eq!(why.code, ErrorCode::ActionRefused);
    assert!(why.message.contains("co-admin"), "{why:?}");
    assert_eq!(entry.state, AuditState::Refused);

    // An item owned outside the enterprise.
    let outside = sb
        .ground_truth()
        .externally_owned
        .iter()
        .find(|e| e.item_type == "folder")
        .map(|e| e.item_id.clone());
    if let Some(folder) = outside {
        let (preview, _) = preview_and_confirm(
            &off,
            request(ActionKind::RemoveLink, ItemType::Folder, &folder),
        )
        .await;
        assert!(preview.preview.refused.is_some());
        let on = governor(&client, &store, &me, true).await;
        let state = on.read_stored(ItemType::Folder, &folder).await.unwrap();
        let p = on
            .preview_on(
                &request(ActionKind::RemoveLink, ItemType::Folder, &folder),
                state,
                "p".into(),
            )
            .await
            .unwrap();
        assert!(
            p.preview
                .refused
                .as_ref()
                .is_some_and(|e| e.message.contains("outside")),
            "{:?}",
            p.preview.refused
        );
    }

    assert_eq!(sandbox_writes(&sb), writes_before, "no write reached Box");
    assert_eq!(sharing(&sb), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bulk_action_over_a_thousand_items_with_faults_changes_each_once_or_reports_it() {
    let config = SandboxConfig {
        files: 1_500,
        shared_link_rate: 1.0,
        ..small_enterprise()
    };
    let (_dir, sb, client, _requests, me, store) = scanned(config).await;
    let g = Arc::new(governor(&client, &store, &me, true).await);
    // Every link finding's item, from the store (as the bulk preview does).
    let findings = store
        .findings_after(CONNECTION, &Default::default(), 0, 100_000)
        .await
        .unwrap();
    let mut targets = BTreeSet::new();
    for f in &findings {
        if let Some(req) = govern::policy::action_for(ActionKind::RemoveLink, f) {
            targets.insert((req.item_type.as_str(), req.item_id.clone()));
        }
    }
    assert!(targets.len() >= 1_000, "only {} items", targets.len());
    let batch = store
        .create_batch(
            CONNECTION,
            "remove-link",
            "{}",
            targets.len() as i64,
            chrono::Utc::now().into(),
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (t, id) in &targets {
        let req = request(ActionKind::RemoveLink, ItemType::parse(t).unwrap(), id);
        let state = g.read_stored(req.item_type, id).await.unwrap();
        let p = g.preview_on(&req, state, String::new()).await.unwrap();
        ids.push(
            g.record_pending(&p.preview, Some(batch), None)
                .await
                .unwrap(),
        );
    }
    // One request in ten fails: 500s, resets, truncated answers (after Box acted).
    {
        let mut control = sb.state().control.lock().unwrap();
        control.faults.p500 = 0.04;
        control.faults.p503 = 0.02;
        control.faults.p_reset = 0.02;
        control.faults.p_truncate = 0.02;
    }
    use futures_util::StreamExt;
    let results: Vec<_> = futures_util::stream::iter(ids.clone().into_iter().map(|id| {
        let g = g.clone();
        async move { g.resume(id).await }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    // A step whose answer was lost and that Box could not be asked about
    // is left for the next start: run that start with the faults on too.
    let interrupted = results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|e| !e.state.is_final()))
        .count();
    eprintln!("{interrupted} left for the next start");
    g.resume_all().await.unwrap();
    sb.state().control.lock().unwrap().faults = Default::default();
    g.resume_all().await.unwrap();

    let counts = store.batch_counts(batch).await.unwrap();
    eprintln!("{counts:?}");
    assert_eq!(counts.recorded as usize, targets.len());
    assert_eq!(counts.unfinished, 0, "every item finished or reported");
    assert!(counts.failed > 0 || counts.done as usize == targets.len());
    let links = sharing(&sb).links;
    let log = store
        .audit_page(
            &connector_core::store::governance::AuditQuery {
                batch_id: Some(batch),
                ..Default::default()
            },
            100_000,
            0,
        )
        .await
        .unwrap();
    let world_events: BTreeMap<(String, String), usize> = {
        let world = sb.state().world.read().unwrap();
        let mut m = BTreeMap::new();
        for e in &world.events.entries {
            if e.kind != box_sandbox::events::EventKind::Unshare {
                continue;
            }
            let key = match e.subject {
                box_sandbox::events::Subject::File(i) => {
                    ("file".to_string(), world.ent.file_box_id(i))
                }
                box_sandbox::events::Subject::Folder(i) => {
                    ("folder".to_string(), world.ent.folder_box_id(i))
                }
                _ => continue,
            };
            *m.entry(key).or_default() += 1;
        }
        m
    };
    for r in &log {
        let key = (r.item_type.clone(), r.item_id.clone());
        let unshares = world_events.get(&key).copied().unwrap_or(0);
        match r.state.as_str() {
            "done" => {
                assert!(
                    !links.contains_key(&key),
                    "{key:?} done but its link is there"
                );
                assert_eq!(unshares, 1, "{key:?} changed once");
            }
            "failed" => {
                assert!(r.error_message.is_some(), "a failure says why");
                assert!(unshares <= 1, "{key:?}");
            }
            "unchanged" => assert_eq!(unshares, 0, "{key:?}"),
            other => panic!("{key:?} ended {other}"),
        }
    }
    eprintln!(
        "bulk: {} items, {} done, {} failed, {} unchanged",
        targets.len(),
        counts.done,
        counts.failed,
        counts.unchanged
    );
}
