//! Folders, files, content downloads, collaborations and shared links.

mod common;

use std::collections::{HashMap, HashSet};

use box_sandbox::SandboxConfig;
use common::*;
use serde_json::Value;

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
    // A range this host does not serve (several, reversed) is ignored: all of it.
    for ignored in ["bytes=0-1,5-6", "bytes=9-3"] {
        let r = client
            .get(&url)
            .header("range", ignored)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{ignored}");
        assert_eq!(r.bytes().await.unwrap(), all, "{ignored}");
    }
    // A tampered link is refused.
    assert_eq!(
        client.get(format!("{url}0")).send().await.unwrap().status(),
        403
    );
    sb.stop().await;
}

async fn set_faults(sb: &box_sandbox::SandboxHandle, faults: Value) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/_sandbox/faults", sb.base_url()))
        .json(&faults)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The download faults: a bandwidth cap paces each body, and a cut breaks
/// (or stalls) the next N bodies after so many bytes, with the full length
/// announced so the client can tell and resume.
#[tokio::test]
async fn download_faults_cap_the_rate_and_cut_the_body() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    let items = get(
        &sb,
        &admin,
        "/2.0/folders/0/items?limit=1000&fields=size",
        &[],
    )
    .await
    .body;
    let file = items["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "file")
        .max_by_key(|e| e["size"].as_u64())
        .expect("a file in root")
        .clone();
    let id = file["id"].as_str().unwrap();
    let size = file["size"].as_u64().unwrap();
    assert!(size >= 1000, "{size}");
    let r = get(&sb, &admin, &format!("/2.0/files/{id}/content"), &[]).await;
    let url = r.headers["location"].to_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let all = client
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    // The cap: a body of `size` bytes at `kbps` takes size / (kbps·125) seconds.
    let wanted = std::time::Duration::from_millis(600);
    let kbps = (size * 8).div_ceil(wanted.as_millis() as u64);
    let set = serde_json::json!({ "bandwidth_kbps": kbps });
    assert_eq!(set_faults(&sb, set).await, 200);
    let started = std::time::Instant::now();
    let capped = client
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(capped, all);
    assert!(took >= wanted * 9 / 10, "{took:?}");
    // A range is capped too.
    let half = size / 2;
    let started = std::time::Instant::now();
    let part = client
        .get(&url)
        .header("range", format!("bytes={half}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), all.slice(half as usize..));
    let took = started.elapsed();
    assert!(took >= wanted * 4 / 10, "{took:?}");

    // Two cuts: the next two bodies break after 100 bytes, the third is whole.
    let set = serde_json::json!({ "download_cuts": 2, "download_cut_after_bytes": 100 });
    assert_eq!(set_faults(&sb, set).await, 200);
    for _ in 0..2 {
        let mut r = client.get(&url).send().await.unwrap();
        assert_eq!(
            r.content_length(),
            Some(size),
            "the full length is announced"
        );
        let mut got = Vec::new();
        let broke = loop {
            match r.chunk().await {
                Ok(Some(c)) => got.extend_from_slice(&c),
                Ok(None) => break false,
                Err(_) => break true,
            }
        };
        assert!(broke, "the body is cut");
        assert_eq!(got, all.slice(..100));
    }
    assert_eq!(
        client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        all
    );

    // A stalling cut keeps the connection open and sends nothing more.
    let set = serde_json::json!({
        "download_cuts": 1, "download_cut_after_bytes": 100, "download_cut_stalls": true
    });
    assert_eq!(set_faults(&sb, set).await, 200);
    let mut r = client.get(&url).send().await.unwrap();
    let mut got = Vec::new();
    let wait = std::time::Duration::from_millis(300);
    while let Ok(chunk) = tokio::time::timeout(wait, r.chunk()).await {
        got.extend_from_slice(&chunk.unwrap().expect("no end while stalled"));
    }
    assert_eq!(got, all.slice(..100));
    sb.stop().await;
}

/// All collaborations of an item as the API serves them to its owner, one per page.
async fn collaborations_of(
    sb: &box_sandbox::SandboxHandle,
    admin: &str,
    item_type: &str,
    item_id: &str,
    owner: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut marker = String::new();
    loop {
        let r = get(
            sb,
            admin,
            &format!("/2.0/{item_type}s/{item_id}/collaborations?limit=1&marker={marker}"),
            &[("as-user", owner)],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        out.extend(r.body["entries"].as_array().unwrap().iter().cloned());
        match r.body["next_marker"].as_str() {
            Some(m) if !m.is_empty() => marker = m.to_string(),
            _ => return out,
        }
    }
}

#[tokio::test]
async fn ground_truth_over_http_lists_internal_and_external_collaborations_as_served() {
    let sb = start(SandboxConfig {
        collaboration_rate: 0.6,
        rate_limit_per_minute: 0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let truth = ground_truth_http(&sb).await;
    let collabs = truth["collaborations"].as_array().unwrap();
    let (mut internal, mut external) = (0, 0);
    for c in collabs {
        let login = c["collaborator_login"].as_str().unwrap();
        match c["kind"].as_str().unwrap() {
            "internal" => {
                internal += 1;
                assert!(login.ends_with("@northwind.example"), "{login}");
            }
            "external" => {
                external += 1;
                assert!(!login.ends_with("@northwind.example"), "{login}");
            }
            other => panic!("kind {other}"),
        }
    }
    assert!(
        internal > 0 && external > 0,
        "{internal} internal, {external} external"
    );

    // Every item's collaborations in the API are exactly the truth's, kinds included.
    let mut by_item: HashMap<(String, String, String), Vec<&Value>> = HashMap::new();
    for c in collabs {
        let key = (
            c["item_type"].as_str().unwrap().to_string(),
            c["item_id"].as_str().unwrap().to_string(),
            c["owner_id"].as_str().unwrap().to_string(),
        );
        by_item.entry(key).or_default().push(c);
    }
    let mut checked_kinds = HashSet::new();
    let managed: HashSet<String> = managed_ids(&sb).await.into_iter().collect();
    // Items owned outside the enterprise are listed to their managed collaborator.
    let outside: Vec<_> = by_item
        .iter()
        .filter(|((_, _, owner), _)| !managed.contains(owner))
        .collect();
    assert!(!outside.is_empty(), "outside folders are collaborated in");
    for ((item_type, item_id, owner), expected) in by_item.iter().take(40).chain(outside) {
        let viewer = if managed.contains(owner) {
            owner.as_str()
        } else {
            expected[0]["collaborator_id"].as_str().unwrap()
        };
        let served = collaborations_of(&sb, &admin, item_type, item_id, viewer).await;
        let served: HashSet<(String, String, String, String)> = served
            .iter()
            .map(|e| {
                (
                    e["id"].as_str().unwrap().to_string(),
                    e["accessible_by"]["login"].as_str().unwrap().to_string(),
                    e["status"].as_str().unwrap().to_string(),
                    e["role"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected: HashSet<(String, String, String, String)> = expected
            .iter()
            .map(|c| {
                checked_kinds.insert(c["kind"].as_str().unwrap().to_string());
                (
                    c["collaboration_id"].as_str().unwrap().to_string(),
                    c["collaborator_login"].as_str().unwrap().to_string(),
                    c["status"].as_str().unwrap().to_string(),
                    c["role"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(served, expected, "{item_type} {item_id}");
    }
    assert_eq!(checked_kinds.len(), 2, "both kinds compared with the API");
    sb.stop().await;
}

#[tokio::test]
async fn shared_links_in_listings_match_ground_truth_at_the_configured_rates() {
    let (link_rate, collab_rate, external_rate) = (0.2, 0.5, 0.3);
    let sb = start(SandboxConfig {
        seed: 11,
        shared_link_rate: link_rate,
        collaboration_rate: collab_rate,
        external_collaboration_rate: external_rate,
        rate_limit_per_minute: 0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let mut served = HashSet::new();
    let (mut files, mut folders, mut shared_files, mut shared_folders) = (0, 0, 0, 0);
    for uid in managed_ids(&sb).await {
        for e in walk_owned(&sb, &admin, &uid, "shared_link").await {
            let is_file = e["type"] == "file";
            if is_file {
                files += 1;
            } else {
                folders += 1;
            }
            let link = &e["shared_link"];
            if link.is_null() {
                continue;
            }
            if is_file {
                shared_files += 1;
            } else {
                shared_folders += 1;
            }
            assert!(link["url"].as_str().unwrap().starts_with("http"), "{link}");
            served.insert((
                e["type"].as_str().unwrap().to_string(),
                e["id"].as_str().unwrap().to_string(),
                uid.clone(),
                link["access"].as_str().unwrap().to_string(),
            ));
        }
    }
    let truth = ground_truth_http(&sb).await;
    let expected: HashSet<(String, String, String, String)> = truth["shared_links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["item_type"].as_str().unwrap().to_string(),
                s["item_id"].as_str().unwrap().to_string(),
                s["owner_id"].as_str().unwrap().to_string(),
                s["access"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(served, expected, "the API serves exactly the planted links");
    // Files owned outside the enterprise are walked by a collaborator, not an owner.
    let outside = truth["externally_owned"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["item_type"] == "file")
        .count();
    assert!(outside > 0);
    assert_eq!(
        files + outside,
        truth["files_alive"].as_u64().unwrap() as usize
    );

    // Rates near the configured ones (seeded, so the tolerance only absorbs sampling).
    let near = |what: &str, got: f64, want: f64, tol: f64| {
        assert!((got - want).abs() <= tol, "{what}: {got:.3} vs {want}");
    };
    near(
        "file links",
        shared_files as f64 / files as f64,
        link_rate,
        0.04,
    );
    near(
        "folder links",
        shared_folders as f64 / folders as f64,
        link_rate,
        0.06,
    );
    for (access, share) in [("open", 0.35), ("company", 0.40), ("collaborators", 0.25)] {
        let n = served.iter().filter(|s| s.3 == access).count();
        near(access, n as f64 / served.len() as f64, share, 0.08);
    }
    let collabs = truth["collaborations"].as_array().unwrap();
    let collaborated_folders: HashSet<&str> = collabs
        .iter()
        .filter(|c| c["item_type"] == "folder")
        .map(|c| c["item_id"].as_str().unwrap())
        .collect();
    near(
        "folders with collaborations",
        collaborated_folders.len() as f64 / folders as f64,
        collab_rate,
        0.07,
    );
    let external = collabs.iter().filter(|c| c["kind"] == "external").count();
    near(
        "external collaborations",
        external as f64 / collabs.len() as f64,
        external_rate,
        0.07,
    );
    sb.stop().await;
}

/// A folder an outside account owns and shares with a managed user is in that user's
/// root, and every read route says it and its files are owned outside the enterprise.
#[tokio::test]
async fn externally_owned_content_is_reached_through_its_collaborator() {
    let sb = start(SandboxConfig {
        rate_limit_per_minute: 0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let truth = ground_truth_http(&sb).await;
    let outside = truth["externally_owned"].as_array().unwrap();
    let folders: Vec<&Value> = outside
        .iter()
        .filter(|x| x["item_type"] == "folder")
        .collect();
    assert_eq!(folders.len(), 2, "{outside:?}");
    let managed: HashSet<String> = managed_ids(&sb).await.into_iter().collect();
    for folder in folders {
        let id = folder["item_id"].as_str().unwrap();
        let collab = truth["collaborations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["item_id"] == id)
            .expect("collaborated in");
        assert_eq!(collab["status"], "accepted");
        let user = collab["collaborator_id"].as_str().unwrap();
        assert!(managed.contains(user));
        assert!(!managed.contains(collab["owner_id"].as_str().unwrap()));
        let as_user = [("as-user", user)];
        let fields = "is_externally_owned,owned_by,parent,path_collection";
        let root = get(
            &sb,
            &admin,
            &format!("/2.0/folders/0/items?limit=1000&fields={fields}"),
            &as_user,
        )
        .await;
        let entry = root.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap_or_else(|| panic!("{id} in the collaborator's root"))
            .clone();
        assert_eq!(entry["is_externally_owned"], true);
        assert_eq!(entry["owned_by"]["login"], folder["owner_login"]);
        let got = get(
            &sb,
            &admin,
            &format!("/2.0/folders/{id}?fields={fields}"),
            &as_user,
        )
        .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body["is_externally_owned"], true);
        assert_eq!(got.body["parent"]["id"], "0", "seen from All Files");
        let items = get(
            &sb,
            &admin,
            &format!("/2.0/folders/{id}/items?fields=is_externally_owned,owned_by"),
            &as_user,
        )
        .await;
        let files = items.body["entries"].as_array().unwrap();
        assert!(!files.is_empty(), "the outside folder holds files");
        for f in files {
            assert_eq!(f["is_externally_owned"], true);
            let fid = f["id"].as_str().unwrap();
            assert!(
                outside.iter().any(|x| x["item_id"] == fid),
                "{fid} in the truth"
            );
            let one = get(
                &sb,
                &admin,
                &format!("/2.0/files/{fid}?fields=is_externally_owned"),
                &as_user,
            )
            .await;
            assert_eq!(one.body["is_externally_owned"], true);
            let content = get(&sb, &admin, &format!("/2.0/files/{fid}/content"), &as_user).await;
            assert_eq!(content.status, 302, "the collaborator downloads it");
        }
        // A managed user it is not shared with does not see it.
        let other = managed.iter().find(|m| m.as_str() != user).unwrap();
        let hidden = get(
            &sb,
            &admin,
            &format!("/2.0/folders/{id}"),
            &[("as-user", other)],
        )
        .await;
        assert_eq!(hidden.status, 404);
    }
    // Content owned inside the enterprise is not externally owned.
    let own = get(
        &sb,
        &admin,
        "/2.0/folders/0/items?fields=is_externally_owned,owned_by",
        &[],
    )
    .await;
    for e in own.body["entries"].as_array().unwrap() {
        let owner = e["owned_by"]["id"].as_str().unwrap();
        assert_eq!(e["is_externally_owned"], !managed.contains(owner), "{e}");
    }
    sb.stop().await;
}
