//! Walk the enterprise as a scanner written from Box's docs would, and check that what
//! it finds matches the ground truth: every file reachable, planted data really in the
//! downloaded bytes of every type (DOCX/XLSX/PPTX/PDF/JSON/HTML too), near-misses
//! present but invalid, content owned outside the enterprise reached through the
//! managed user it is collaborated to.

mod common;

use box_sandbox::content::{valid_for, valid_kinds, SensitiveKind};
use box_sandbox::SandboxConfig;
use common::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

const FIELDS: &str = "type,id,etag,sha1,name,size,modified_at,content_modified_at,owned_by,shared_link,parent,path_collection,is_externally_owned";

/// Every entry (files and folders) below the user's root.
async fn walk(sb: &box_sandbox::SandboxHandle, token: &str, user: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut queue = vec!["0".to_string()];
    while let Some(folder) = queue.pop() {
        let mut marker = String::new();
        loop {
            let path = format!("/2.0/folders/{folder}/items?usemarker=true&limit=1000&fields={FIELDS}&marker={marker}");
            let r = get(sb, token, &path, &[("as-user", user)]).await;
            assert_eq!(r.status, 200, "{}", r.text);
            for e in r.body["entries"].as_array().unwrap() {
                if e["type"] == "folder" {
                    queue.push(e["id"].as_str().unwrap().to_string());
                }
                items.push(e.clone());
            }
            match r.body["next_marker"].as_str() {
                Some(m) if !m.is_empty() => marker = m.to_string(),
                _ => break,
            }
        }
    }
    items
}

#[tokio::test]
async fn a_scanner_finds_exactly_the_ground_truth() {
    let cfg = SandboxConfig {
        users: 6,
        coadmins: 1,
        files: 900,
        sensitive_rate: 0.3,
        ..SandboxConfig::default()
    };
    let sb = start(cfg).await;
    let (admin, _) = login(&sb, "admin").await;
    let truth = sb.ground_truth();
    let users = get(
        &sb,
        &admin,
        "/2.0/users?user_type=managed&usemarker=true&limit=1000",
        &[],
    )
    .await
    .body;
    // Each file once, with the managed user whose walk reached it.
    let mut seen: HashMap<String, (Value, String)> = HashMap::new();
    let mut external_seen = HashSet::new();
    let managed: HashSet<&str> = users["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    for u in users["entries"].as_array().unwrap() {
        let uid = u["id"].as_str().unwrap();
        for e in walk(&sb, &admin, uid).await {
            let owner = e["owned_by"]["id"].as_str().unwrap();
            let outside = !managed.contains(owner);
            assert_eq!(e["is_externally_owned"], outside, "{e}");
            if outside {
                external_seen.insert((
                    e["type"].as_str().unwrap().to_string(),
                    e["id"].as_str().unwrap().to_string(),
                    e["owned_by"]["login"].as_str().unwrap().to_string(),
                ));
            }
            if e["type"] != "file" {
                continue;
            }
            // Owned files once; collaborated folders show up under several users, and
            // files owned outside the enterprise only under a collaborator.
            if owner == uid {
                let id = e["id"].as_str().unwrap().to_string();
                assert!(seen.insert(id, (e, uid.to_string())).is_none());
            } else if outside {
                let id = e["id"].as_str().unwrap().to_string();
                seen.entry(id).or_insert((e, uid.to_string()));
            }
        }
    }
    assert_eq!(
        seen.len(),
        truth.files_alive,
        "every live file is reachable exactly once"
    );
    let external_truth: HashSet<_> = truth
        .externally_owned
        .iter()
        .map(|x| {
            (
                x.item_type.to_string(),
                x.item_id.clone(),
                x.owner_login.clone(),
            )
        })
        .collect();
    assert_eq!(
        external_seen, external_truth,
        "externally owned items, as served"
    );
    assert!(
        external_truth.iter().any(|x| x.0 == "folder")
            && external_truth.iter().any(|x| x.0 == "file")
    );
    assert!(
        truth.files.len() > 30,
        "some files carry planted data: {}",
        truth.files.len()
    );

    let client = reqwest::Client::new();
    let mut by_ext: HashMap<String, usize> = HashMap::new();
    for t in &truth.files {
        let (entry, walker) = &seen[&t.file_id];
        let r = get(
            &sb,
            &admin,
            &format!("/2.0/files/{}/content", t.file_id),
            &[("as-user", walker)],
        )
        .await;
        assert_eq!(r.status, 302);
        let url = r.headers["location"].to_str().unwrap();
        let bytes = client.get(url).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(
            bytes.len() as u64,
            entry["size"].as_u64().unwrap(),
            "size matches content"
        );
        let sha1 = {
            use sha1::Digest;
            sha1::Sha1::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        assert_eq!(entry["sha1"], sha1.as_str());
        let ext = t.name.rsplit_once('.').unwrap().1;
        *by_ext.entry(ext.to_string()).or_default() += 1;
        let text = extract::extract(ext, &bytes);
        for p in &t.planted {
            for line in p.value.lines() {
                assert!(text.contains(line), "{line} missing from {}", t.name);
            }
            assert_eq!(valid_kinds(&p.value), vec![p.kind], "{}", p.value);
        }
        for n in &t.near_misses {
            for line in n.value.lines() {
                assert!(text.contains(line), "{line} missing from {}", t.name);
            }
            assert!(!valid_for(n.kind, &n.value) && valid_kinds(&n.value).is_empty());
        }
    }
    for ext in ["txt", "csv", "json", "html", "docx", "xlsx", "pptx", "pdf"] {
        assert!(
            by_ext.get(ext).copied().unwrap_or(0) > 2,
            "{ext}: {by_ext:?}"
        );
    }
    let kinds: HashSet<SensitiveKind> = truth
        .files
        .iter()
        .flat_map(|f| f.planted.iter().map(|p| p.kind))
        .collect();
    assert_eq!(kinds.len(), 7, "every sensitive kind is planted: {kinds:?}");
    sb.stop().await;
}
