//! The write API: each change is served by the read routes, bumps the etag where Box
//! does, shows in the ground truth and is logged in both enterprise streams; wrong
//! part order, name conflicts, unknown ids and non-owners get Box's errors.

mod common;

use std::collections::HashSet;

use box_sandbox::SandboxConfig;
use common::*;
use serde_json::{json, Value};
use sha1::Digest;

fn cfg() -> SandboxConfig {
    SandboxConfig {
        rate_limit_per_minute: 0,
        ..small()
    }
}

fn sha1_hex(b: &[u8]) -> String {
    sha1::Sha1::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

async fn position(sb: &box_sandbox::SandboxHandle, admin: &str) -> u64 {
    let r = get(
        sb,
        admin,
        "/2.0/events?stream_type=admin_logs&stream_position=now",
        &[],
    )
    .await;
    r.body["next_stream_position"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Every entry of `stream` after `from`, paged to the end; streaming duplicates dropped.
async fn events_since(
    sb: &box_sandbox::SandboxHandle,
    admin: &str,
    stream: &str,
    from: u64,
) -> Vec<Value> {
    let (mut pos, mut out, mut seen) = (from.to_string(), Vec::new(), HashSet::new());
    loop {
        let r = get(
            sb,
            admin,
            &format!("/2.0/events?stream_type={stream}&limit=500&stream_position={pos}"),
            &[],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let entries = r.body["entries"].as_array().unwrap().clone();
        let next = r.body["next_stream_position"].as_str().unwrap().to_string();
        assert!(
            next.parse::<u64>().unwrap() >= pos.parse::<u64>().unwrap(),
            "positions never go back"
        );
        for e in entries.iter() {
            if seen.insert(e["event_id"].as_str().unwrap().to_string()) {
                out.push(e.clone());
            }
        }
        if entries.is_empty() {
            return out;
        }
        pos = next;
    }
}

/// The events since `from`, in both streams, as (type, item id) — which must agree.
async fn logged(sb: &box_sandbox::SandboxHandle, admin: &str, from: u64) -> Vec<Value> {
    let logs = events_since(sb, admin, "admin_logs", from).await;
    let streaming = events_since(sb, admin, "admin_logs_streaming", from).await;
    let ids = |v: &[Value]| -> HashSet<String> {
        v.iter()
            .map(|e| e["event_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&logs),
        ids(&streaming),
        "both streams carry the same events"
    );
    logs
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect()
}

/// A plain user's id and one folder they own below their root.
async fn user_and_folder(
    sb: &box_sandbox::SandboxHandle,
    admin: &str,
    nth: usize,
) -> (String, String) {
    let accounts: Vec<Value> = reqwest::get(format!("{}/_sandbox/accounts", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uid = accounts
        .iter()
        .filter(|a| a["kind"] == "managed" && a["role"] == "user")
        .nth(nth)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let root = get(
        sb,
        admin,
        "/2.0/folders/0/items?limit=1000&fields=owned_by,name",
        &[("as-user", &uid)],
    )
    .await;
    let folder = root.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "folder" && e["owned_by"]["id"] == uid.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (uid, folder)
}

async fn listing_ids(
    sb: &box_sandbox::SandboxHandle,
    admin: &str,
    uid: &str,
    folder: &str,
) -> Vec<String> {
    let r = get(
        sb,
        admin,
        &format!("/2.0/folders/{folder}/items?limit=1000&usemarker=true"),
        &[("as-user", uid)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_upload_is_served_downloaded_and_logged_in_both_streams() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let from = position(&sb, &admin).await;
    let bytes = b"quarterly numbers: 4111 1111 1111 1111\n".to_vec();
    let r = upload(
        &sb,
        &admin,
        &folder,
        "Q3 report.txt",
        &bytes,
        &[("as-user", &uid)],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["total_count"], 1);
    let file = &r.body["entries"][0];
    let id = file["id"].as_str().unwrap().to_string();
    assert_eq!(file["name"], "Q3 report.txt");
    assert_eq!(file["sha1"], sha1_hex(&bytes).as_str());
    assert_eq!(file["size"], bytes.len() as u64);
    assert_eq!(file["parent"]["id"], folder.as_str());
    assert_eq!(file["owned_by"]["id"], uid.as_str());
    assert_eq!(file["etag"], "0");

    let got = get(
        &sb,
        &admin,
        &format!("/2.0/files/{id}"),
        &[("as-user", &uid)],
    )
    .await;
    assert_eq!((got.status, &got.body["sha1"]), (200, &file["sha1"]));
    assert!(listing_ids(&sb, &admin, &uid, &folder).await.contains(&id));

    // Served back byte for byte through the download redirect, and logged as a DOWNLOAD.
    let c = get(
        &sb,
        &admin,
        &format!("/2.0/files/{id}/content"),
        &[("as-user", &uid)],
    )
    .await;
    assert_eq!(c.status, 302);
    let location = c.headers["location"].to_str().unwrap();
    let served = reqwest::get(location).await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), bytes.as_slice());

    let events = logged(&sb, &admin, from).await;
    assert_eq!(types(&events), ["UPLOAD", "DOWNLOAD"]);
    let up = &events[0];
    assert_eq!(up["source"]["item_type"], "file");
    assert_eq!(up["source"]["item_id"], id.as_str());
    assert_eq!(up["source"]["item_name"], "Q3 report.txt");
    assert_eq!(up["source"]["parent"]["id"], folder.as_str());
    assert_eq!(up["source"]["owned_by"]["id"], uid.as_str());
    assert_eq!(
        up["created_by"]["id"],
        uid.as_str(),
        "the acting user, not the token's admin"
    );
    assert_eq!(events[1]["additional_details"]["size"], bytes.len() as u64);

    let truth = ground_truth_http(&sb).await;
    let mine = truth["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["file_id"] == id.as_str())
        .expect("the upload is in the ground truth");
    assert_eq!(mine["sha1"], sha1_hex(&bytes).as_str());
    assert!(mine["path"].as_str().unwrap().ends_with("/Q3 report.txt"));
    sb.stop().await;
}

#[tokio::test]
async fn a_new_version_changes_sha1_etag_and_version_and_logs_the_configured_event() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let first = upload(&sb, &admin, &folder, "plan.md", b"v1", &[("as-user", &uid)]).await;
    let id = first.body["entries"][0]["id"].as_str().unwrap().to_string();
    let from = position(&sb, &admin).await;

    let stale = upload_version(
        &sb,
        &admin,
        &id,
        "plan.md",
        b"v2",
        &[("as-user", &uid), ("if-match", "7")],
    )
    .await;
    assert_eq!(
        (stale.status, stale.body["code"].as_str()),
        (412, Some("precondition_failed"))
    );
    let v2 = upload_version(
        &sb,
        &admin,
        &id,
        "plan.md",
        b"v2",
        &[("as-user", &uid), ("if-match", "0")],
    )
    .await;
    assert_eq!(v2.status, 200, "{}", v2.text);
    let f = &v2.body["entries"][0];
    assert_eq!(f["sha1"], sha1_hex(b"v2").as_str());
    assert_eq!(f["etag"], "1");
    assert_ne!(
        f["file_version"]["id"],
        first.body["entries"][0]["file_version"]["id"]
    );
    assert_eq!(f["file_version"]["sha1"], sha1_hex(b"v2").as_str());

    // Box has not said whether a new version logs EDIT or UPLOAD: a setting, EDIT by default.
    reqwest::Client::new()
        .post(format!("{}/_sandbox/settings", sb.base_url()))
        .json(&json!({"new_version_event": "UPLOAD"}))
        .send()
        .await
        .unwrap();
    let v3 = upload_version(&sb, &admin, &id, "plan v3.md", b"v3", &[("as-user", &uid)]).await;
    assert_eq!(v3.status, 200, "{}", v3.text);
    assert_eq!(
        v3.body["entries"][0]["name"], "plan v3.md",
        "a version may rename"
    );

    let c = get(
        &sb,
        &admin,
        &format!("/2.0/files/{id}/content"),
        &[("as-user", &uid)],
    )
    .await;
    let served = reqwest::get(c.headers["location"].to_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(served.as_ref(), b"v3");
    let events = logged(&sb, &admin, from).await;
    assert_eq!(types(&events), ["EDIT", "UPLOAD", "RENAME", "DOWNLOAD"]);
    assert_eq!(events[2]["source"]["item_name"], "plan v3.md");
    sb.stop().await;
}

#[tokio::test]
async fn wrong_part_order_conflicts_and_unknown_parents_get_box_errors_and_log_nothing() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let as_user = [("as-user", uid.as_str())];
    let first = upload(&sb, &admin, &folder, "Budget.xlsx", b"x", &as_user).await;
    assert_eq!(first.status, 201);
    let from = position(&sb, &admin).await;

    let attrs = json!({"name": "late.txt", "parent": {"id": folder}}).to_string();
    let body = multipart(&[
        ("file", Some("late.txt"), b"x"),
        ("attributes", None, attrs.as_bytes()),
    ]);
    let r = send(
        &sb,
        &admin,
        "POST",
        "/api/2.0/files/content",
        &as_user,
        Some(body),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("metadata_after_file_contents")),
        "{}",
        r.text
    );

    let dup = upload(&sb, &admin, &folder, "budget.XLSX", b"y", &as_user).await;
    assert_eq!(
        (dup.status, dup.body["code"].as_str()),
        (409, Some("item_name_in_use")),
        "{}",
        dup.text
    );
    let conflict = &dup.body["context_info"]["conflicts"];
    assert_eq!(conflict["id"], first.body["entries"][0]["id"]);
    assert_eq!(conflict["sha1"], sha1_hex(b"x").as_str());

    let nowhere = upload(&sb, &admin, "123", "a.txt", b"x", &as_user).await;
    assert_eq!(
        (nowhere.status, nowhere.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let bad_name = upload(&sb, &admin, &folder, "a/b.txt", b"x", &as_user).await;
    assert_eq!(
        (bad_name.status, bad_name.body["code"].as_str()),
        (400, Some("item_name_invalid"))
    );
    let no_attrs = send(
        &sb,
        &admin,
        "POST",
        "/api/2.0/files/content",
        &as_user,
        Some(multipart(&[("file", Some("a"), b"x")])),
    )
    .await;
    assert_eq!(no_attrs.status, 400);
    let digest = upload(
        &sb,
        &admin,
        &folder,
        "d.txt",
        b"x",
        &[("as-user", &uid), ("content-md5", "0000")],
    )
    .await;
    assert_eq!(
        (digest.status, digest.body["code"].as_str()),
        (400, Some("bad_digest"))
    );
    let good_digest = upload(
        &sb,
        &admin,
        &folder,
        "d.txt",
        b"x",
        &[("as-user", &uid), ("content-md5", &sha1_hex(b"x"))],
    )
    .await;
    assert_eq!(good_digest.status, 201);
    let unknown_version = upload_version(&sb, &admin, "1999999999999", "a", b"x", &as_user).await;
    assert_eq!(unknown_version.status, 404);

    assert_eq!(
        types(&logged(&sb, &admin, from).await),
        ["UPLOAD"],
        "only the good upload is logged"
    );
    sb.stop().await;
}

#[tokio::test]
async fn rename_and_move_bump_etags_emit_events_and_show_in_listings() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let as_user = [("as-user", uid.as_str())];
    let up = upload(&sb, &admin, &folder, "draft.txt", b"d", &as_user).await;
    let id = up.body["entries"][0]["id"].as_str().unwrap().to_string();
    let other = upload(&sb, &admin, &folder, "other.txt", b"o", &as_user).await;
    assert_eq!(other.status, 201);
    let from = position(&sb, &admin).await;

    let rename = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/files/{id}?fields=name,etag"),
        &as_user,
        json_body(&json!({"name": "final.txt"})),
    )
    .await;
    assert_eq!(rename.status, 200, "{}", rename.text);
    assert_eq!(
        rename.body,
        json!({"type": "file", "id": id, "name": "final.txt", "etag": "1"}),
        "fields honoured"
    );
    let stale = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/files/{id}"),
        &[("as-user", &uid), ("if-match", "0")],
        json_body(&json!({"name": "x.txt"})),
    )
    .await;
    assert_eq!(stale.status, 412);
    let clash = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/files/{id}"),
        &as_user,
        json_body(&json!({"name": "OTHER.txt"})),
    )
    .await;
    assert_eq!(
        (clash.status, clash.body["code"].as_str()),
        (409, Some("item_name_in_use"))
    );

    // Move into a sibling folder of the same user.
    let root = get(
        &sb,
        &admin,
        "/2.0/folders/0/items?limit=1000&fields=owned_by",
        &as_user,
    )
    .await;
    let dest = root.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["type"] == "folder"
                && e["owned_by"]["id"] == uid.as_str()
                && e["id"] != folder.as_str()
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mv = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/files/{id}?fields=parent,etag,path_collection"),
        &as_user,
        json_body(&json!({"parent": {"id": dest}})),
    )
    .await;
    assert_eq!(mv.status, 200, "{}", mv.text);
    assert_eq!(mv.body["parent"]["id"], dest.as_str());
    assert_eq!(mv.body["etag"], "2");
    assert_eq!(
        mv.body["path_collection"]["entries"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["id"],
        dest.as_str()
    );
    assert!(!listing_ids(&sb, &admin, &uid, &folder).await.contains(&id));
    assert!(listing_ids(&sb, &admin, &uid, &dest).await.contains(&id));

    // Folders: rename, then a move into itself is refused.
    let before = get(
        &sb,
        &admin,
        &format!("/2.0/folders/{dest}?fields=etag,name"),
        &as_user,
    )
    .await;
    let fr = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/folders/{dest}?fields=etag,name"),
        &as_user,
        json_body(&json!({"name": "Renamed Folder"})),
    )
    .await;
    assert_eq!(fr.status, 200, "{}", fr.text);
    assert_eq!(fr.body["name"], "Renamed Folder");
    assert_ne!(
        fr.body["etag"], before.body["etag"],
        "a renamed folder has a new etag"
    );
    let moved_file = get(
        &sb,
        &admin,
        &format!("/2.0/files/{id}?fields=parent"),
        &as_user,
    )
    .await;
    assert_eq!(
        moved_file.body["parent"]["name"], "Renamed Folder",
        "children see the new name"
    );
    let cyc = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/folders/{dest}"),
        &as_user,
        json_body(&json!({"parent": {"id": dest}})),
    )
    .await;
    assert_eq!(
        (cyc.status, cyc.body["code"].as_str()),
        (400, Some("cyclical_folder_structure"))
    );
    let fm = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/folders/{dest}?fields=parent"),
        &as_user,
        json_body(&json!({"parent": {"id": folder}})),
    )
    .await;
    assert_eq!(
        (fm.status, fm.body["parent"]["id"].as_str()),
        (200, Some(folder.as_str())),
        "{}",
        fm.text
    );
    assert!(listing_ids(&sb, &admin, &uid, &folder)
        .await
        .contains(&dest));

    let events = logged(&sb, &admin, from).await;
    assert_eq!(types(&events), ["RENAME", "MOVE", "RENAME", "MOVE"]);
    assert_eq!(events[0]["source"]["item_name"], "final.txt");
    assert_eq!(events[1]["source"]["parent"]["id"], dest.as_str());
    assert_eq!(events[1]["source"]["item_name"], "final.txt");
    assert_eq!(
        (
            events[2]["source"]["item_type"].as_str(),
            events[2]["source"]["item_name"].as_str()
        ),
        (Some("folder"), Some("Renamed Folder"))
    );
    assert_eq!(events[3]["source"]["parent"]["id"], folder.as_str());
    assert!(events.iter().all(|e| e["created_by"]["id"] == uid.as_str()));
    let truth = ground_truth_http(&sb).await;
    let t = truth["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["file_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(t["name"], "final.txt");
    assert!(
        t["path"]
            .as_str()
            .unwrap()
            .ends_with("/Renamed Folder/final.txt"),
        "{t}"
    );
    sb.stop().await;
}

#[tokio::test]
async fn shared_links_are_created_changed_and_removed_with_their_events() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let as_user = [("as-user", uid.as_str())];
    let up = upload(&sb, &admin, &folder, "share me.pdf", b"%PDF", &as_user).await;
    let id = up.body["entries"][0]["id"].as_str().unwrap().to_string();
    let from = position(&sb, &admin).await;
    let put = |body: Value| {
        let (sb, admin, id, uid) = (&sb, &admin, id.clone(), uid.clone());
        async move {
            send(
                sb,
                admin,
                "PUT",
                &format!("/2.0/files/{id}?fields=shared_link,etag"),
                &[("as-user", &uid)],
                json_body(&body),
            )
            .await
        }
    };
    let truth_link = |truth: &Value| {
        truth["shared_links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["item_id"] == id.as_str())
            .cloned()
    };

    let created = put(json!({"shared_link": {"access": "open", "password": "Secret-123", "unshared_at": "2099-01-01T00:00:00+00:00", "permissions": {"can_download": false}}})).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let link = &created.body["shared_link"];
    assert_eq!(link["access"], "open");
    assert_eq!(link["is_password_enabled"], true);
    assert_eq!(link["unshared_at"], "2099-01-01T00:00:00+00:00");
    assert_eq!(link["permissions"]["can_download"], false);
    assert_eq!(link["effective_permission"], "can_preview");
    assert_eq!(created.body["etag"], "1", "a new link is a new etag");
    let t = truth_link(&ground_truth_http(&sb).await).expect("in the ground truth");
    assert_eq!(
        (t["access"].as_str(), t["is_password_enabled"].as_bool()),
        (Some("open"), Some(true))
    );

    let weak = put(json!({"shared_link": {"password": "short"}})).await;
    assert_eq!(weak.status, 400);
    let pw_company =
        put(json!({"shared_link": {"access": "company", "password": "Secret-123"}})).await;
    assert_eq!(pw_company.status, 400, "passwords only on open links");
    let edit_collab = put(
        json!({"shared_link": {"access": "collaborators", "permissions": {"can_download": true}}}),
    )
    .await;
    assert_eq!(edit_collab.status, 400);

    let changed = put(json!({"shared_link": {"access": "company", "permissions": {"can_download": true, "can_edit": true}}})).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let link = &changed.body["shared_link"];
    assert_eq!(
        (
            link["access"].as_str(),
            link["is_password_enabled"].as_bool()
        ),
        (Some("company"), Some(false))
    );
    assert_eq!(link["permissions"]["can_edit"], true);
    assert_eq!(link["effective_permission"], "can_edit");
    assert_eq!(changed.body["etag"], "2");
    let same = put(json!({"shared_link": {"access": "company"}})).await;
    assert_eq!(same.body["etag"], "2", "no change, no new etag");

    let removed = put(json!({"shared_link": null})).await;
    assert_eq!(
        (removed.status, &removed.body["shared_link"]),
        (200, &Value::Null)
    );
    assert!(truth_link(&ground_truth_http(&sb).await).is_none());
    let listed = get(
        &sb,
        &admin,
        &format!("/2.0/folders/{folder}/items?limit=1000&fields=shared_link"),
        &as_user,
    )
    .await;
    let entry = listed.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(entry["shared_link"].is_null());

    // A folder link without `access` takes the enterprise default.
    let fl = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/folders/{folder}?fields=shared_link"),
        &as_user,
        json_body(&json!({"shared_link": {}})),
    )
    .await;
    assert_eq!(
        (fl.status, fl.body["shared_link"]["access"].as_str()),
        (200, Some("company")),
        "{}",
        fl.text
    );
    let folder_edit = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/folders/{folder}"),
        &as_user,
        json_body(&json!({"shared_link": {"permissions": {"can_edit": true}}})),
    )
    .await;
    assert_eq!(
        folder_edit.status, 400,
        "folders cannot have editable links"
    );

    let events = logged(&sb, &admin, from).await;
    assert_eq!(
        types(&events),
        ["SHARE", "ITEM_SHARED_UPDATE", "UNSHARE", "SHARE"]
    );
    assert_eq!(
        events[0]["additional_details"]["shared_link_access"],
        "open"
    );
    assert_eq!(
        events[1]["additional_details"]["shared_link_access"],
        "company"
    );
    assert_eq!(events[3]["source"]["item_type"], "folder");
    sb.stop().await;
}

#[tokio::test]
async fn a_deleted_file_leaves_every_read_route_and_logs_delete() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let as_user = [("as-user", uid.as_str())];
    let ids = listing_ids(&sb, &admin, &uid, &folder).await;
    let victim = ids
        .iter()
        .find(|i| i.len() > 12)
        .expect("a generated file")
        .clone();
    let alive_before = ground_truth_http(&sb).await["files_alive"]
        .as_u64()
        .unwrap();
    let from = position(&sb, &admin).await;
    let stale = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/files/{victim}"),
        &[("as-user", &uid), ("if-match", "99")],
        None,
    )
    .await;
    assert_eq!(stale.status, 412);
    let del = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/files/{victim}"),
        &as_user,
        None,
    )
    .await;
    assert_eq!((del.status, del.text.as_str()), (204, ""));
    let gone = get(&sb, &admin, &format!("/2.0/files/{victim}"), &as_user).await;
    assert_eq!(
        (gone.status, gone.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let again = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/files/{victim}"),
        &as_user,
        None,
    )
    .await;
    assert_eq!(again.status, 404);
    assert!(!listing_ids(&sb, &admin, &uid, &folder)
        .await
        .contains(&victim));
    assert_eq!(
        ground_truth_http(&sb).await["files_alive"]
            .as_u64()
            .unwrap(),
        alive_before - 1
    );
    let events = logged(&sb, &admin, from).await;
    assert_eq!(types(&events), ["DELETE"]);
    assert_eq!(events[0]["source"]["item_id"], victim.as_str());
    sb.stop().await;
}

#[tokio::test]
async fn collaborations_are_added_by_login_or_id_and_removed() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let (other, _) = user_and_folder(&sb, &admin, 1).await;
    let as_user = [("as-user", uid.as_str())];
    let from = position(&sb, &admin).await;
    let invite = |by: Value, role: &str| {
        let body =
            json!({"item": {"type": "folder", "id": folder}, "accessible_by": by, "role": role});
        let (sb, admin, uid) = (&sb, &admin, uid.clone());
        async move {
            send(
                sb,
                admin,
                "POST",
                "/2.0/collaborations",
                &[("as-user", &uid)],
                json_body(&body),
            )
            .await
        }
    };
    let ext = invite(
        json!({"type": "user", "login": "Partner@Outside-Firm.example"}),
        "editor",
    )
    .await;
    assert_eq!(ext.status, 201, "{}", ext.text);
    assert_eq!(
        (ext.body["status"].as_str(), ext.body["role"].as_str()),
        (Some("pending"), Some("editor"))
    );
    assert_eq!(
        ext.body["accessible_by"]["login"],
        "partner@outside-firm.example"
    );
    let internal = invite(json!({"type": "user", "id": other}), "viewer").await;
    assert_eq!(
        (internal.status, internal.body["status"].as_str()),
        (201, Some("accepted")),
        "{}",
        internal.text
    );
    let dup = invite(json!({"type": "user", "id": other}), "editor").await;
    assert_eq!(
        (dup.status, dup.body["code"].as_str()),
        (400, Some("user_already_collaborator"))
    );
    let bad_role = invite(json!({"type": "user", "login": "x@y.example"}), "owner").await;
    assert_eq!(bad_role.status, 400);
    let unknown = invite(json!({"type": "user", "id": "99999999999"}), "viewer").await;
    assert_eq!(unknown.status, 404);
    let root = send(&sb, &admin, "POST", "/2.0/collaborations", &as_user, json_body(&json!({"item": {"type": "folder", "id": "0"}, "accessible_by": {"type": "user", "id": other}, "role": "viewer"}))).await;
    assert_eq!(
        (root.status, root.body["code"].as_str()),
        (400, Some("collaborations_not_available_on_root_folder"))
    );

    let listed = get(
        &sb,
        &admin,
        &format!("/2.0/folders/{folder}/collaborations"),
        &as_user,
    )
    .await;
    let ids: Vec<&str> = listed.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let (ext_id, int_id) = (
        ext.body["id"].as_str().unwrap(),
        internal.body["id"].as_str().unwrap(),
    );
    assert!(ids.contains(&ext_id) && ids.contains(&int_id));
    let theirs = get(
        &sb,
        &admin,
        "/2.0/folders/0/items?limit=1000",
        &[("as-user", &other)],
    )
    .await;
    assert!(
        theirs.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == folder.as_str()),
        "an accepted collaborator sees the folder in their root"
    );
    let truth = ground_truth_http(&sb).await;
    let t = truth["collaborations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["collaboration_id"] == ext_id)
        .unwrap()
        .clone();
    assert_eq!(
        (t["kind"].as_str(), t["status"].as_str()),
        (Some("external"), Some("pending"))
    );

    let del = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/collaborations/{ext_id}"),
        &as_user,
        None,
    )
    .await;
    assert_eq!(del.status, 204, "{}", del.text);
    let again = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/collaborations/{ext_id}"),
        &as_user,
        None,
    )
    .await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (404, Some("not_found"))
    );
    // The collaborator may leave on their own.
    let leave = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/collaborations/{int_id}"),
        &[("as-user", &other)],
        None,
    )
    .await;
    assert_eq!(leave.status, 204, "{}", leave.text);
    let listed = get(
        &sb,
        &admin,
        &format!("/2.0/folders/{folder}/collaborations"),
        &as_user,
    )
    .await;
    assert!(listed.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != ext_id && c["id"] != int_id));
    let truth = ground_truth_http(&sb).await;
    assert!(truth["collaborations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["collaboration_id"] != ext_id));

    let events = logged(&sb, &admin, from).await;
    assert_eq!(
        types(&events),
        [
            "COLLABORATION_INVITE",
            "COLLABORATION_INVITE",
            "COLLABORATION_REMOVE",
            "COLLABORATION_REMOVE"
        ]
    );
    assert_eq!(events[0]["additional_details"]["collab_id"], ext_id);
    assert_eq!(
        events[0]["accessible_by"]["login"],
        "partner@outside-firm.example"
    );
    assert_eq!(
        events[3]["created_by"]["id"],
        other.as_str(),
        "the leaver removed it"
    );
    sb.stop().await;
}

#[tokio::test]
async fn non_owners_get_404_when_blind_and_403_when_they_only_view() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (owner, folder) = user_and_folder(&sb, &admin, 0).await;
    let (viewer, _) = user_and_folder(&sb, &admin, 1).await;
    let (coowner, _) = user_and_folder(&sb, &admin, 2).await;
    let up = upload(
        &sb,
        &admin,
        &folder,
        "owned.txt",
        b"o",
        &[("as-user", &owner)],
    )
    .await;
    let id = up.body["entries"][0]["id"].as_str().unwrap().to_string();
    let rename = |who: String| {
        let (sb, admin, id) = (&sb, &admin, id.clone());
        async move {
            send(
                sb,
                admin,
                "PUT",
                &format!("/2.0/files/{id}"),
                &[("as-user", &who)],
                json_body(&json!({"name": format!("by {who}.txt")})),
            )
            .await
        }
    };
    // Not collaborated: the file does not exist for them.
    let blind = rename(viewer.clone()).await;
    assert_eq!(
        (blind.status, blind.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let blind_del = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/files/{id}"),
        &[("as-user", &viewer)],
        None,
    )
    .await;
    assert_eq!(blind_del.status, 404);
    let blind_up = upload(&sb, &admin, &folder, "x.txt", b"x", &[("as-user", &viewer)]).await;
    assert_eq!(blind_up.status, 404);

    for (who, role) in [(&viewer, "viewer"), (&coowner, "co-owner")] {
        let r = send(&sb, &admin, "POST", "/2.0/collaborations", &[("as-user", &owner)], json_body(&json!({"item": {"type": "folder", "id": folder}, "accessible_by": {"type": "user", "id": who}, "role": role}))).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let denied = rename(viewer.clone()).await;
    assert_eq!(
        (denied.status, denied.body["code"].as_str()),
        (403, Some("access_denied_insufficient_permissions")),
        "{}",
        denied.text
    );
    let denied_del = send(
        &sb,
        &admin,
        "DELETE",
        &format!("/2.0/files/{id}"),
        &[("as-user", &viewer)],
        None,
    )
    .await;
    assert_eq!(denied_del.status, 403);
    let denied_up = upload(&sb, &admin, &folder, "x.txt", b"x", &[("as-user", &viewer)]).await;
    assert_eq!(denied_up.status, 403);
    let denied_share = send(
        &sb,
        &admin,
        "PUT",
        &format!("/2.0/files/{id}"),
        &[("as-user", &viewer)],
        json_body(&json!({"shared_link": {"access": "open"}})),
    )
    .await;
    assert_eq!(denied_share.status, 403);
    let denied_invite = send(&sb, &admin, "POST", "/2.0/collaborations", &[("as-user", &viewer)], json_body(&json!({"item": {"type": "file", "id": id}, "accessible_by": {"type": "user", "login": "a@b.example"}, "role": "viewer"}))).await;
    assert_eq!(denied_invite.status, 403);
    let still = get(
        &sb,
        &admin,
        &format!("/2.0/files/{id}?fields=name"),
        &[("as-user", &owner)],
    )
    .await;
    assert_eq!(
        still.body["name"], "owned.txt",
        "refused changes change nothing"
    );

    let allowed = rename(coowner.clone()).await;
    assert_eq!(allowed.status, 200, "a co-owner may: {}", allowed.text);
    let co_up = upload(
        &sb,
        &admin,
        &folder,
        "co.txt",
        b"c",
        &[("as-user", &coowner)],
    )
    .await;
    assert_eq!(
        (
            co_up.status,
            co_up.body["entries"][0]["owned_by"]["id"].as_str()
        ),
        (201, Some(owner.as_str())),
        "content in a folder belongs to its owner"
    );
    sb.stop().await;
}

/// One writer's run against the raw base URL (tasks cannot share the handle).
async fn write_loop(
    base: String,
    token: String,
    uid: String,
    folder: String,
    w: usize,
) -> Vec<(String, u16)> {
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for k in 0..10 {
        let name = format!("w{w}-{k}.txt");
        let attrs = json!({"name": name, "parent": {"id": folder}}).to_string();
        let (ct, body) = multipart(&[
            ("attributes", None, attrs.as_bytes()),
            ("file", Some(&name), name.as_bytes()),
        ]);
        let r = client
            .post(format!("{base}/api/2.0/files/content"))
            .bearer_auth(&token)
            .header("as-user", &uid)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        let id = v["entries"][0]["id"].as_str().unwrap().to_string();
        let rn = client
            .put(format!("{base}/2.0/files/{id}"))
            .bearer_auth(&token)
            .header("as-user", &uid)
            .json(&json!({"name": format!("r-{name}")}))
            .send()
            .await
            .unwrap();
        let status = rn.status().as_u16();
        // A read in between: listings answer whole while others write.
        let l = client
            .get(format!("{base}/2.0/folders/{folder}/items?limit=1000"))
            .bearer_auth(&token)
            .header("as-user", &uid)
            .send()
            .await
            .unwrap();
        assert_eq!(l.status(), 200);
        out.push((id, status));
    }
    out
}

#[tokio::test]
async fn writes_interleave_safely_with_live_activity_and_reads() {
    let sb = start(SandboxConfig {
        activity_per_second: 200.0,
        ..cfg()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let from = position(&sb, &admin).await;
    let tasks: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(write_loop(
                sb.base_url(),
                admin.clone(),
                uid.clone(),
                folder.clone(),
                w,
            ))
        })
        .collect();
    let mut written = Vec::new();
    for t in tasks {
        written.extend(t.await.unwrap());
    }
    let events = events_since(&sb, &admin, "admin_logs", from).await;
    let mut last = String::new();
    for e in &events {
        let at = e["created_at"].as_str().unwrap().to_string();
        assert!(at >= last, "created_at never goes back along the stream");
        last = at;
    }
    for (id, status) in &written {
        let kinds: Vec<&str> = events
            .iter()
            .filter(|e| e["source"]["item_id"] == id.as_str())
            .map(|e| e["event_type"].as_str().unwrap())
            .collect();
        match status {
            200 => assert!(
                kinds.starts_with(&["UPLOAD"]) && kinds.contains(&"RENAME"),
                "{id}: {kinds:?}"
            ),
            // The live activity may delete a fresh upload before its rename.
            404 => assert!(kinds.contains(&"DELETE"), "{id}: {kinds:?}"),
            s => panic!("rename answered {s}"),
        }
    }
    sb.stop().await;
}

/// The items a user sees in a folder, by id.
async fn sees(sb: &box_sandbox::SandboxHandle, admin: &str, uid: &str, path: &str) -> u16 {
    get(sb, admin, path, &[("as-user", uid)]).await.status
}

#[tokio::test]
async fn folders_are_created_with_box_name_rules_conflicts_and_an_upload_event() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let (other, _) = user_and_folder(&sb, &admin, 1).await;
    let as_user = [("as-user", uid.as_str())];
    let from = position(&sb, &admin).await;
    let create = |body: Value, who: String, fields: &'static str| {
        let sb = &sb;
        let admin = admin.clone();
        async move {
            send(
                sb,
                &admin,
                "POST",
                &format!("/2.0/folders{fields}"),
                &[("as-user", &who)],
                json_body(&body),
            )
            .await
        }
    };

    let made = create(
        json!({"name": "Contracts 2026", "parent": {"id": folder}}),
        uid.clone(),
        "",
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_string();
    assert_eq!(made.body["type"], "folder");
    assert_eq!(made.body["name"], "Contracts 2026");
    assert_eq!(made.body["parent"]["id"], folder.as_str());
    assert_eq!(made.body["owned_by"]["id"], uid.as_str());
    assert_eq!(made.body["etag"], "1");
    assert!(listing_ids(&sb, &admin, &uid, &folder).await.contains(&id));
    let served = get(&sb, &admin, &format!("/2.0/folders/{id}"), &as_user).await;
    assert_eq!(
        (
            served.status,
            served.body["item_collection"]["total_count"].as_u64()
        ),
        (200, Some(0)),
        "{}",
        served.text
    );
    // `fields` as on every read: type, id and what was asked.
    let slim = create(
        json!({"name": "Slim", "parent": {"id": "0"}}),
        uid.clone(),
        "?fields=name",
    )
    .await;
    assert_eq!(slim.status, 201, "{}", slim.text);
    let keys: HashSet<&str> = slim
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, HashSet::from(["type", "id", "name"]));
    // It can hold uploads at once.
    let up = upload(&sb, &admin, &id, "inside.txt", b"hi", &as_user).await;
    assert_eq!(up.status, 201, "{}", up.text);

    // A name in use (any letter case), by a folder or by a file, is a 409 naming it.
    let clash = create(
        json!({"name": "contracts 2026", "parent": {"id": folder}}),
        uid.clone(),
        "",
    )
    .await;
    assert_eq!(
        (clash.status, clash.body["code"].as_str()),
        (409, Some("item_name_in_use")),
        "{}",
        clash.text
    );
    let conflicts = clash.body["context_info"]["conflicts"].as_array().unwrap();
    assert_eq!(
        (conflicts[0]["type"].as_str(), conflicts[0]["id"].as_str()),
        (Some("folder"), Some(id.as_str()))
    );
    let file_clash = create(
        json!({"name": "INSIDE.txt", "parent": {"id": id}}),
        uid.clone(),
        "",
    )
    .await;
    assert_eq!(file_clash.status, 409, "{}", file_clash.text);
    assert_eq!(
        file_clash.body["context_info"]["conflicts"][0]["type"],
        "file"
    );
    for (name, code) in [
        ("", "item_name_invalid"),
        ("a/b", "item_name_invalid"),
        ("trailing ", "item_name_invalid"),
        ("..", "item_name_invalid"),
    ] {
        let r = create(
            json!({"name": name, "parent": {"id": folder}}),
            uid.clone(),
            "",
        )
        .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some(code)),
            "{name:?}"
        );
    }
    let long = create(
        json!({"name": "x".repeat(256), "parent": {"id": folder}}),
        uid.clone(),
        "",
    )
    .await;
    assert_eq!(long.body["code"], "item_name_too_long");
    for body in [
        json!({}),
        json!({"name": "x"}),
        json!({"parent": {"id": folder}}),
    ] {
        let r = create(body, uid.clone(), "").await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("bad_request"))
        );
    }
    // Someone who cannot see the parent gets 404; a viewer gets 403.
    let blind = create(
        json!({"name": "x", "parent": {"id": folder}}),
        other.clone(),
        "",
    )
    .await;
    assert_eq!(blind.status, 404, "{}", blind.text);
    let invite = send(
        &sb,
        &admin,
        "POST",
        "/2.0/collaborations",
        &as_user,
        json_body(&json!({"item": {"type": "folder", "id": folder}, "accessible_by": {"type": "user", "id": other}, "role": "viewer"})),
    )
    .await;
    assert_eq!(invite.status, 201, "{}", invite.text);
    let viewer = create(
        json!({"name": "x", "parent": {"id": folder}}),
        other.clone(),
        "",
    )
    .await;
    assert_eq!(
        (viewer.status, viewer.body["code"].as_str()),
        (403, Some("access_denied_insufficient_permissions"))
    );
    // An editor may: the folder is the parent's owner's, as on Box.
    let role = send(
        &sb,
        &admin,
        "DELETE",
        &format!(
            "/2.0/collaborations/{}",
            invite.body["id"].as_str().unwrap()
        ),
        &as_user,
        None,
    )
    .await;
    assert_eq!(role.status, 204);
    let editor = send(
        &sb,
        &admin,
        "POST",
        "/2.0/collaborations",
        &as_user,
        json_body(&json!({"item": {"type": "folder", "id": folder}, "accessible_by": {"type": "user", "id": other}, "role": "editor"})),
    )
    .await;
    assert_eq!(editor.status, 201);
    let by_editor = create(
        json!({"name": "From a colleague", "parent": {"id": folder}}),
        other.clone(),
        "",
    )
    .await;
    assert_eq!(by_editor.status, 201, "{}", by_editor.text);
    assert_eq!(by_editor.body["owned_by"]["id"], uid.as_str());

    let events = logged(&sb, &admin, from).await;
    let uploads: Vec<&Value> = events
        .iter()
        .filter(|e| e["event_type"] == "UPLOAD" && e["source"]["item_type"] == "folder")
        .collect();
    assert_eq!(
        uploads.len(),
        3,
        "one UPLOAD per created folder: {events:?}"
    );
    assert_eq!(uploads[0]["source"]["item_id"], id.as_str());
    assert_eq!(uploads[0]["source"]["item_name"], "Contracts 2026");
    assert_eq!(uploads[0]["source"]["parent"]["id"], folder.as_str());
    assert_eq!(uploads[0]["created_by"]["id"], uid.as_str());
    assert_eq!(uploads[2]["created_by"]["id"], other.as_str());
    sb.stop().await;
}

#[tokio::test]
async fn a_collaboration_reads_back_until_it_is_removed() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (uid, folder) = user_and_folder(&sb, &admin, 0).await;
    let (other, _) = user_and_folder(&sb, &admin, 1).await;
    let (stranger, _) = user_and_folder(&sb, &admin, 2).await;
    let as_user = [("as-user", uid.as_str())];
    let made = send(
        &sb,
        &admin,
        "POST",
        "/2.0/collaborations",
        &as_user,
        json_body(&json!({"item": {"type": "folder", "id": folder}, "accessible_by": {"type": "user", "id": other}, "role": "editor"})),
    )
    .await;
    assert_eq!(made.status, 201);
    let cid = made.body["id"].as_str().unwrap().to_string();
    let path = format!("/2.0/collaborations/{cid}");
    let read = get(&sb, &admin, &path, &as_user).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body, made.body, "the same collaboration as created");
    let theirs = get(
        &sb,
        &admin,
        &format!("{path}?fields=role"),
        &[("as-user", &other)],
    )
    .await;
    assert_eq!(
        (
            theirs.status,
            theirs.body["role"].as_str(),
            theirs.body.get("item")
        ),
        (200, Some("editor"), None)
    );
    assert_eq!(
        sees(&sb, &admin, &stranger, &path).await,
        404,
        "not theirs to see"
    );
    assert_eq!(sees(&sb, &admin, &uid, "/2.0/collaborations/12").await, 404);
    assert_eq!(
        sees(&sb, &admin, &uid, "/2.0/collaborations/abc").await,
        404
    );
    let del = send(&sb, &admin, "DELETE", &path, &as_user, None).await;
    assert_eq!(del.status, 204);
    let gone = get(&sb, &admin, &path, &as_user).await;
    assert_eq!(
        (gone.status, gone.body["code"].as_str()),
        (404, Some("not_found"))
    );
    sb.stop().await;
}

/// The quarantine of CONTRACT10.md, step by step through HTTP: ownership moves to
/// the admin's holding folder and back, and the owner loses and regains access.
#[tokio::test]
async fn quarantine_and_restore_move_items_and_their_ownership_both_ways() {
    let sb = start(cfg()).await;
    let (admin, _) = login(&sb, "admin").await;
    let me = get(&sb, &admin, "/2.0/users/me", &[]).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (uid, home) = user_and_folder(&sb, &admin, 0).await;
    let owner = [("as-user", uid.as_str())];
    let post = |path: &'static str, body: Value, headers: Vec<(&'static str, String)>| {
        let (sb, admin) = (&sb, admin.clone());
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send(sb, &admin, "POST", path, &h, json_body(&body)).await
        }
    };
    let put = |path: String, body: Value| {
        let (sb, admin, uid) = (&sb, admin.clone(), uid.clone());
        async move {
            send(
                sb,
                &admin,
                "PUT",
                &path,
                &[("as-user", &uid)],
                json_body(&body),
            )
            .await
        }
    };

    // Q in the admin's root; a second create is a 409 naming it, to reuse.
    let q_body = json!({"name": "Box Connector Quarantine", "parent": {"id": "0"}});
    let q = post("/2.0/folders", q_body.clone(), vec![]).await;
    assert_eq!(q.status, 201, "{}", q.text);
    let q_id = q.body["id"].as_str().unwrap().to_string();
    assert_eq!(q.body["owned_by"]["id"], me.as_str());
    let again = post("/2.0/folders", q_body, vec![]).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        again.body["context_info"]["conflicts"][0]["id"],
        q_id.as_str()
    );

    // A file of the owner's with a link, and one of their folders.
    let up = upload(
        &sb,
        &admin,
        &home,
        "payroll.csv",
        b"4111 1111 1111 1111",
        &owner,
    )
    .await;
    assert_eq!(up.status, 201);
    let file = up.body["entries"][0]["id"].as_str().unwrap().to_string();
    let linked = put(
        format!("/2.0/files/{file}"),
        json!({"shared_link": {"access": "open"}}),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    let sub = post(
        "/2.0/folders",
        json!({"name": "Exports", "parent": {"id": home}}),
        vec![("as-user", uid.clone())],
    )
    .await;
    assert_eq!(sub.status, 201);
    let folder = sub.body["id"].as_str().unwrap().to_string();
    let inner = upload(&sb, &admin, &folder, "inner.txt", b"x", &owner).await;
    let inner_file = inner.body["entries"][0]["id"].as_str().unwrap().to_string();

    for (kind, id, old_parent) in [
        ("file", file.clone(), home.clone()),
        ("folder", folder.clone(), home.clone()),
    ] {
        let url = format!("/2.0/{kind}s/{id}");
        // The holding folder, and the owner invited as editor: usable at once.
        let hold = post(
            "/2.0/folders",
            json!({"name": format!("{kind}-{id}"), "parent": {"id": q_id}}),
            vec![],
        )
        .await;
        assert_eq!(hold.status, 201, "{}", hold.text);
        let hold_id = hold.body["id"].as_str().unwrap().to_string();
        let invite = |role: &'static str| {
            post(
                "/2.0/collaborations",
                json!({"item": {"type": "folder", "id": hold_id}, "accessible_by": {"type": "user", "id": uid}, "role": role}),
                vec![],
            )
        };
        let editor = invite("editor").await;
        assert_eq!(
            (editor.status, editor.body["status"].as_str()),
            (201, Some("accepted")),
            "{}",
            editor.text
        );
        // As the owner: the link goes, the item moves in, and the admin owns it.
        let unlinked = put(url.clone(), json!({"shared_link": null})).await;
        assert_eq!(unlinked.status, 200, "{}", unlinked.text);
        let moved = put(
            format!("{url}?fields=owned_by,parent,shared_link"),
            json!({"parent": {"id": hold_id}}),
        )
        .await;
        assert_eq!(moved.status, 200, "{}", moved.text);
        assert_eq!(
            moved.body["owned_by"]["id"],
            me.as_str(),
            "{kind}: the admin owns it now"
        );
        assert_eq!(moved.body["parent"]["id"], hold_id.as_str());
        assert!(moved.body["shared_link"].is_null());
        if kind == "folder" {
            let f = get(
                &sb,
                &admin,
                &format!("/2.0/files/{inner_file}?fields=owned_by"),
                &[],
            )
            .await;
            assert_eq!(
                f.body["owned_by"]["id"],
                me.as_str(),
                "what is inside goes along"
            );
        }
        // The admin removes the owner's collaboration: the owner no longer sees it.
        let cid = editor.body["id"].as_str().unwrap();
        let removed = send(
            &sb,
            &admin,
            "DELETE",
            &format!("/2.0/collaborations/{cid}"),
            &[],
            None,
        )
        .await;
        assert_eq!(removed.status, 204);
        assert_eq!(
            sees(&sb, &admin, &uid, &url).await,
            404,
            "{kind} hidden from its owner"
        );
        assert_eq!(
            sees(&sb, &admin, &uid, &format!("/2.0/collaborations/{cid}")).await,
            404
        );

        // Restore: the owner as co-owner of the holding folder moves it back.
        let co = invite("co-owner").await;
        assert_eq!(
            (co.status, co.body["status"].as_str()),
            (201, Some("accepted")),
            "{}",
            co.text
        );
        let back = put(
            format!("{url}?fields=owned_by,parent"),
            json!({"parent": {"id": old_parent}}),
        )
        .await;
        assert_eq!(back.status, 200, "{}", back.text);
        assert_eq!(
            back.body["owned_by"]["id"],
            uid.as_str(),
            "{kind}: the owner owns it again"
        );
        assert_eq!(back.body["parent"]["id"], old_parent.as_str());
        let relinked = put(url.clone(), json!({"shared_link": {"access": "open"}})).await;
        assert_eq!(relinked.status, 200);
        let cid = co.body["id"].as_str().unwrap();
        let done = send(
            &sb,
            &admin,
            "DELETE",
            &format!("/2.0/collaborations/{cid}"),
            &[],
            None,
        )
        .await;
        assert_eq!(done.status, 204);
        assert_eq!(
            sees(&sb, &admin, &uid, &url).await,
            200,
            "{kind} back with its owner"
        );
    }
    let f = get(
        &sb,
        &admin,
        &format!("/2.0/files/{inner_file}?fields=owned_by"),
        &owner,
    )
    .await;
    assert_eq!(f.body["owned_by"]["id"], uid.as_str());

    // A co-admin may not act as the admin, quarantine or not.
    let (coadmin, _) = login(&sb, "coadmin").await;
    let refused = get(&sb, &coadmin, "/2.0/folders/0", &[("as-user", &me)]).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    sb.stop().await;
}
