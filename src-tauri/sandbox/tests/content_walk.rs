//! Walk the enterprise as a scanner written from Box's docs would, and check that what
//! it finds matches the ground truth: every file reachable, planted data really in the
//! downloaded bytes (also inside DOCX/XLSX), near-misses present but invalid.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Read;

use box_sandbox::content::{iban_valid, luhn_valid, NearMissKind, SensitiveKind};
use box_sandbox::SandboxConfig;
use common::*;
use serde_json::Value;

const FIELDS: &str = "type,id,etag,sha1,name,size,modified_at,content_modified_at,owned_by,shared_link,parent,path_collection";

async fn walk(sb: &box_sandbox::SandboxHandle, token: &str, user: &str) -> Vec<Value> {
    let mut files = Vec::new();
    let mut queue = vec!["0".to_string()];
    while let Some(folder) = queue.pop() {
        let mut marker = String::new();
        loop {
            let path = format!("/2.0/folders/{folder}/items?usemarker=true&limit=1000&fields={FIELDS}&marker={marker}");
            let r = get(sb, token, &path, &[("as-user", user)]).await;
            assert_eq!(r.status, 200, "{}", r.text);
            for e in r.body["entries"].as_array().unwrap() {
                match e["type"].as_str().unwrap() {
                    "folder" => queue.push(e["id"].as_str().unwrap().to_string()),
                    _ => files.push(e.clone()),
                }
            }
            match r.body["next_marker"].as_str() {
                Some(m) if !m.is_empty() => marker = m.to_string(),
                _ => break,
            }
        }
    }
    files
}

fn text_of_ooxml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a real zip");
    let mut out = String::new();
    for name in ["word/document.xml", "xl/worksheets/sheet1.xml"] {
        if let Ok(mut f) = zip.by_name(name) {
            f.read_to_string(&mut out).unwrap();
        }
    }
    assert!(!out.is_empty(), "OOXML without a document part");
    out
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
    let mut seen = HashMap::new();
    for u in users["entries"].as_array().unwrap() {
        let uid = u["id"].as_str().unwrap();
        for f in walk(&sb, &admin, uid).await {
            // Owned files only: collaborated folders show up under several users.
            if f["owned_by"]["id"] == uid {
                assert!(seen
                    .insert(f["id"].as_str().unwrap().to_string(), f)
                    .is_none());
            }
        }
    }
    assert_eq!(
        seen.len(),
        truth.files_alive,
        "every live file is reachable exactly once"
    );
    assert!(
        truth.files.len() > 30,
        "some files carry planted data: {}",
        truth.files.len()
    );

    let client = reqwest::Client::new();
    let mut by_kind: HashMap<&str, usize> = HashMap::new();
    for t in &truth.files {
        let entry = &seen[&t.file_id];
        let owner = entry["owned_by"]["id"].as_str().unwrap();
        let r = get(
            &sb,
            &admin,
            &format!("/2.0/files/{}/content", t.file_id),
            &[("as-user", owner)],
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
        let text = if t.name.ends_with(".docx") || t.name.ends_with(".xlsx") {
            *by_kind.entry("ooxml").or_default() += 1;
            text_of_ooxml(&bytes)
        } else {
            *by_kind.entry("plain").or_default() += 1;
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        for p in &t.planted {
            assert!(
                text.contains(&p.value),
                "{} missing from {}",
                p.value,
                t.name
            );
            match p.kind {
                SensitiveKind::CreditCard => assert!(luhn_valid(&p.value)),
                SensitiveKind::Iban => assert!(iban_valid(&p.value), "{}", p.value),
                SensitiveKind::UsSsn => {
                    let area: u32 = p.value[..3].parse().unwrap();
                    assert!(area != 0 && area != 666 && area < 900);
                }
                SensitiveKind::AwsAccessKey => {
                    assert!(p.value.starts_with("AKIA") && p.value.len() == 20)
                }
                SensitiveKind::Email => assert!(p.value.contains('@')),
            }
        }
        for n in &t.near_misses {
            assert!(text.contains(&n.value));
            match n.kind {
                NearMissKind::LuhnFailingCard => assert!(!luhn_valid(&n.value)),
                NearMissKind::InvalidSsnArea => {
                    let area: u32 = n.value[..3].parse().unwrap();
                    assert!(area == 0 || area == 666 || area >= 900);
                }
            }
        }
    }
    assert!(by_kind["ooxml"] > 5 && by_kind["plain"] > 5, "{by_kind:?}");
    let kinds: HashSet<_> = truth
        .files
        .iter()
        .flat_map(|f| f.planted.iter().map(|p| format!("{:?}", p.kind)))
        .collect();
    assert_eq!(kinds.len(), 5, "every sensitive kind is planted: {kinds:?}");
    sb.stop().await;
}
