//! Folders, files, content downloads, collaborations and shared links.

mod common;

use std::collections::HashSet;

use box_sandbox::SandboxConfig;
use common::*;

#[tokio::test]
async fn folder_items_paginate_by_marker_and_offset_with_fields() {
    let sb = start(SandboxConfig {
        users: 3,
        coadmins: 1,
        files: 12000,
        folder_depth: 1,
        folder_fanout: 2,
        ..SandboxConfig::default()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let root = get(&sb, &admin, "/2.0/folders/0", &[]).await;
    assert_eq!(root.status, 200);
    assert_eq!(root.body["id"], "0");
    let total = root.body["item_collection"]["total_count"]
        .as_u64()
        .unwrap() as usize;
    assert!(total > 1000, "root holds more than a page: {total}");

    let mut ids = Vec::new();
    let mut marker = String::new();
    loop {
        let r = get(&sb, &admin, &format!("/2.0/folders/0/items?usemarker=TRUE&limit=1000&marker={marker}&fields=name,sha1,shared_link,path_collection,owned_by"), &[]).await;
        assert_eq!(r.status, 200);
        let entries = r.body["entries"].as_array().unwrap();
        assert!(entries.len() <= 1000);
        for e in entries {
            ids.push(e["id"].as_str().unwrap().to_string());
            assert!(e.get("shared_link").is_some() && e.get("path_collection").is_some());
            assert!(e.get("size").is_none(), "only the asked fields");
        }
        match r.body["next_marker"].as_str() {
            Some(m) => marker = m.to_string(),
            None => break,
        }
    }
    assert_eq!(ids.len(), total);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), total);

    let page = get(
        &sb,
        &admin,
        "/2.0/folders/0/items?offset=1000&limit=5000",
        &[],
    )
    .await;
    assert_eq!(page.body["limit"], 1000);
    assert_eq!(page.body["offset"], 1000);
    assert_eq!(page.body["entries"][0]["id"], ids[1000].as_str());
    assert_eq!(
        get(&sb, &admin, "/2.0/folders/0/items?limit=0", &[])
            .await
            .status,
        400
    );
    assert_eq!(
        get(
            &sb,
            &admin,
            "/2.0/folders/0/items?usemarker=true&marker=bogus",
            &[]
        )
        .await
        .status,
        400
    );
    assert_eq!(
        get(&sb, &admin, "/2.0/folders/999/items", &[]).await.status,
        404
    );
    sb.stop().await;
}

#[tokio::test]
async fn other_users_folders_need_as_user() {
    // No collaborations, so nothing of the user's is shared with the admin.
    let sb = start(SandboxConfig {
        collaboration_rate: 0.0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let (user, _) = login(&sb, "user").await;
    let theirs = get(&sb, &user, "/2.0/folders/0/items?limit=1", &[])
        .await
        .body["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        get(&sb, &admin, &format!("/2.0/folders/{theirs}"), &[])
            .await
            .status,
        404
    );
    let uid = get(&sb, &user, "/2.0/users/me", &[]).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = get(
        &sb,
        &admin,
        &format!("/2.0/folders/{theirs}?fields=owned_by,path_collection"),
        &[("as-user", &uid)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["owned_by"]["id"], uid.as_str());
    assert_eq!(r.body["path_collection"]["entries"][0]["id"], "0");
    sb.stop().await;
}

#[tokio::test]
async fn file_etag_if_none_match_and_ranged_download() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    let items = get(
        &sb,
        &admin,
        "/2.0/folders/0/items?limit=1000&fields=size,etag",
        &[],
    )
    .await
    .body;
    let file = items["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "file")
        .expect("a file in root")
        .clone();
    let id = file["id"].as_str().unwrap();
    let full = get(&sb, &admin, &format!("/2.0/files/{id}"), &[]).await;
    assert_eq!(full.status, 200);
    let etag = full.body["etag"].as_str().unwrap().to_string();
    assert_eq!(full.body["file_version"]["sha1"], full.body["sha1"]);
    assert_eq!(
        get(
            &sb,
            &admin,
            &format!("/2.0/files/{id}"),
            &[("if-none-match", &etag)]
        )
        .await
        .status,
        304
    );
    assert_eq!(
        get(
            &sb,
            &admin,
            &format!("/2.0/files/{id}"),
            &[("if-none-match", "\"9999\"")]
        )
        .await
        .status,
        200
    );

    let r = get(&sb, &admin, &format!("/2.0/files/{id}/content"), &[]).await;
    assert_eq!(r.status, 302);
    let url = r.headers["location"].to_str().unwrap().to_string();
    assert!(url.starts_with(&sb.base_url()));
    let client = reqwest::Client::new();
    let all = client
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(all.len() as u64, file["size"].as_u64().unwrap());
    let part = client
        .get(&url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-19/{}", all.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap(), all.slice(10..20));
    let tail = client
        .get(&url)
        .header("range", "bytes=-5")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(tail, all.slice(all.len() - 5..));
    assert_eq!(
        client
            .get(&url)
            .header("range", format!("bytes={}-", all.len() + 10))
            .send()
            .await
            .unwrap()
            .status(),
        416
    );
    // A tampered link is refused.
    assert_eq!(
        client.get(format!("{url}0")).send().await.unwrap().status(),
        403
    );
    sb.stop().await;
}

#[tokio::test]
async fn collaborations_and_shared_links_match_ground_truth() {
    let sb = start(SandboxConfig {
        collaboration_rate: 0.6,
        shared_link_rate: 0.2,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let truth = sb.ground_truth();
    assert!(!truth.external_collaborations.is_empty());
    let accounts: Vec<serde_json::Value> =
        reqwest::get(format!("{}/_sandbox/accounts", sb.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let mut checked = 0;
    for ext in truth
        .external_collaborations
        .iter()
        .filter(|c| c.item_type == "folder")
        .take(5)
    {
        // Find the owner: try each managed user until the folder is visible.
        let mut found = false;
        for a in accounts.iter().filter(|a| a["kind"] == "managed") {
            let r = get(
                &sb,
                &admin,
                &format!("/2.0/folders/{}/collaborations?limit=1", ext.item_id),
                &[("as-user", a["id"].as_str().unwrap())],
            )
            .await;
            if r.status != 200 {
                continue;
            }
            // Walk all pages with markers.
            let mut logins = Vec::new();
            let mut body = r.body;
            loop {
                for e in body["entries"].as_array().unwrap() {
                    logins.push((
                        e["accessible_by"]["login"].as_str().unwrap().to_string(),
                        e["status"].as_str().unwrap().to_string(),
                    ));
                }
                match body["next_marker"].as_str() {
                    Some(m) => {
                        body = get(
                            &sb,
                            &admin,
                            &format!(
                                "/2.0/folders/{}/collaborations?limit=1&marker={m}",
                                ext.item_id
                            ),
                            &[("as-user", a["id"].as_str().unwrap())],
                        )
                        .await
                        .body
                    }
                    None => break,
                }
            }
            assert!(
                logins.contains(&(ext.collaborator_login.clone(), ext.status.to_string())),
                "{logins:?} vs {}",
                ext.collaborator_login
            );
            assert!(!ext.collaborator_login.ends_with("@northwind.example"));
            found = true;
            break;
        }
        assert!(found);
        checked += 1;
    }
    assert!(checked > 0);
    let open = truth
        .shared_links
        .iter()
        .filter(|s| s.access == "open")
        .count();
    let company = truth
        .shared_links
        .iter()
        .filter(|s| s.access == "company")
        .count();
    assert!(open > 0 && company > 0, "both link kinds exist");
    sb.stop().await;
}
