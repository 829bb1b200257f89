//! admin_logs and admin_logs_streaming.

mod common;

use std::collections::{HashMap, HashSet};

use box_sandbox::SandboxConfig;
use common::*;
use serde_json::Value;

async fn page(sb: &box_sandbox::SandboxHandle, token: &str, q: &str) -> Value {
    let r = get(sb, token, &format!("/2.0/events?{q}"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

#[tokio::test]
async fn admin_logs_are_chronological_complete_and_filterable() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    let mut pos = "0".to_string();
    let mut all: Vec<Value> = Vec::new();
    loop {
        let p = page(
            &sb,
            &admin,
            &format!("stream_type=admin_logs&limit=500&stream_position={pos}"),
        )
        .await;
        let entries = p["entries"].as_array().unwrap().clone();
        assert!(entries.len() <= 500);
        assert_eq!(p["chunk_size"], entries.len());
        pos = p["next_stream_position"].as_str().unwrap().to_string();
        if entries.is_empty() {
            break;
        }
        all.extend(entries);
    }
    assert!(all.len() > 1000, "90 days of history: {}", all.len());
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = all
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "chronological");
    let ids: HashSet<_> = all
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), all.len(), "no duplicates in admin_logs");
    let age = chrono::Utc::now()
        .signed_duration_since(times[0])
        .num_days();
    assert!((85..=90).contains(&age), "oldest event {age} days old");
    let types: HashSet<_> = all
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    for t in [
        "UPLOAD",
        "EDIT",
        "SHARE",
        "COLLABORATION_INVITE",
        "PREVIEW",
        "DOWNLOAD",
        "LOGIN",
    ] {
        assert!(types.contains(t), "{t} missing from {types:?}");
    }

    // Date window and type filter.
    let after = (chrono::Utc::now() - chrono::Duration::days(10)).to_rfc3339();
    let before = (chrono::Utc::now() - chrono::Duration::days(5)).to_rfc3339();
    let url = format!("stream_type=admin_logs&limit=500&event_type=LOGIN,UPLOAD&created_after={}&created_before={}", urlenc(&after), urlenc(&before));
    let p = page(&sb, &admin, &url).await;
    let entries = p["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        assert!(["LOGIN", "UPLOAD"].contains(&e["event_type"].as_str().unwrap()));
        let t = chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap();
        assert!(
            t >= chrono::DateTime::parse_from_rfc3339(&after).unwrap()
                && t <= chrono::DateTime::parse_from_rfc3339(&before).unwrap()
        );
    }
    // "now" returns nothing and the latest position.
    let now = page(&sb, &admin, "stream_type=admin_logs&stream_position=now").await;
    assert_eq!(now["chunk_size"], 0);
    assert_eq!(now["next_stream_position"].as_str().unwrap(), pos);
    // Limits and roles.
    assert_eq!(
        page(&sb, &admin, "stream_type=admin_logs&limit=5000").await["entries"]
            .as_array()
            .unwrap()
            .len(),
        500
    );
    let (user, _) = login(&sb, "user").await;
    assert_eq!(
        get(&sb, &user, "/2.0/events?stream_type=admin_logs", &[])
            .await
            .status,
        403
    );
    assert_eq!(
        get(
            &sb,
            &admin,
            "/2.0/events?stream_type=admin_logs&created_after=yesterday",
            &[]
        )
        .await
        .status,
        400
    );
    sb.stop().await;
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn streaming_covers_14_days_with_duplicates_and_reordering() {
    let sb = start(SandboxConfig {
        streaming_disorder_rate: 0.2,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let mut pos = "0".to_string();
    let mut all: Vec<Value> = Vec::new();
    for _ in 0..1000 {
        let p = page(
            &sb,
            &admin,
            &format!("stream_type=admin_logs_streaming&limit=100&stream_position={pos}"),
        )
        .await;
        let entries = p["entries"].as_array().unwrap().clone();
        pos = p["next_stream_position"].as_str().unwrap().to_string();
        if entries.is_empty() {
            break;
        }
        all.extend(entries);
    }
    let oldest = all
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap())
        .min()
        .unwrap();
    assert!(chrono::Utc::now().signed_duration_since(oldest).num_days() <= 14);
    let ids: HashSet<_> = all
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert!(ids.len() < all.len(), "duplicates happen");
    let out_of_order = all
        .windows(2)
        .filter(|w| w[0]["created_at"].as_str() > w[1]["created_at"].as_str())
        .count();
    assert!(out_of_order > 0, "reordering happens");
    // De-duplicated, the stream equals admin_logs over the same window.
    let since = oldest.to_rfc3339();
    let mut reference = HashSet::new();
    let mut p2 = "0".to_string();
    loop {
        let p = page(
            &sb,
            &admin,
            &format!(
                "stream_type=admin_logs&limit=500&created_after={}&stream_position={p2}",
                urlenc(&since)
            ),
        )
        .await;
        p2 = p["next_stream_position"].as_str().unwrap().to_string();
        let entries = p["entries"].as_array().unwrap();
        if entries.is_empty() {
            break;
        }
        reference.extend(
            entries
                .iter()
                .map(|e| e["event_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(
        ids.iter().map(|s| s.to_string()).collect::<HashSet<_>>(),
        reference
    );
    sb.stop().await;
}

/// Events of a live batch, and for each file the last event about it (later events
/// could undo what an earlier one did).
fn last_event_per_file(entries: &[Value]) -> HashMap<String, &Value> {
    let mut last = HashMap::new();
    for e in entries
        .iter()
        .filter(|e| e["source"]["item_type"] == "file")
    {
        last.insert(e["source"]["item_id"].as_str().unwrap().to_string(), e);
    }
    last
}

async fn file_as_owner(
    sb: &box_sandbox::SandboxHandle,
    admin: &str,
    e: &Value,
    fields: &str,
) -> Resp {
    let id = e["source"]["item_id"].as_str().unwrap();
    let owner = e["source"]["owned_by"]["id"].as_str().unwrap();
    get(
        sb,
        admin,
        &format!("/2.0/files/{id}?fields={fields}"),
        &[("as-user", owner)],
    )
    .await
}

#[tokio::test]
async fn live_activity_changes_the_api_and_appends_events() {
    let sb = start(SandboxConfig {
        rate_limit_per_minute: 0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    // What the API served before: every file's etag and link, every collaboration.
    let mut before: HashMap<String, Value> = HashMap::new();
    for uid in managed_ids(&sb).await {
        for e in walk_owned(&sb, &admin, &uid, "etag,shared_link").await {
            if e["type"] == "file" {
                before.insert(e["id"].as_str().unwrap().to_string(), e);
            }
        }
    }
    let collabs_before: HashSet<String> = ground_truth_http(&sb).await["collaborations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["collaboration_id"].as_str().unwrap().to_string())
        .collect();
    let end = page(&sb, &admin, "stream_type=admin_logs&stream_position=now").await
        ["next_stream_position"]
        .as_str()
        .unwrap()
        .to_string();
    let truth_before = sb.ground_truth();
    let resp: Value = reqwest::Client::new()
        .post(format!("{}/_sandbox/activity", sb.base_url()))
        .json(&serde_json::json!({"count": 300}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(resp["applied"].as_u64().unwrap() > 200);
    let truth_after = sb.ground_truth();
    assert!(
        truth_after.files_total > truth_before.files_total,
        "uploads add files"
    );
    assert!(
        truth_after.files_alive < truth_after.files_total,
        "deletes remove files"
    );
    let fresh = page(
        &sb,
        &admin,
        &format!("stream_type=admin_logs&limit=500&stream_position={end}"),
    )
    .await;
    let entries = fresh["entries"].as_array().unwrap();
    let types: HashSet<_> = entries
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "EDIT",
        "UPLOAD",
        "SHARE",
        "UNSHARE",
        "COLLABORATION_INVITE",
        "PREVIEW",
        "DOWNLOAD",
        "DELETE",
    ] {
        assert!(types.contains(t), "{t} not in {types:?}");
    }

    let last = last_event_per_file(entries);
    let (mut edits, mut unshares) = (0, 0);
    for (id, e) in &last {
        let Some(old) = before.get(id) else { continue };
        match e["event_type"].as_str().unwrap() {
            "EDIT" => {
                let now = file_as_owner(&sb, &admin, e, "etag").await;
                assert_eq!(now.status, 200);
                assert_ne!(
                    now.body["etag"], old["etag"],
                    "an edited file has a new etag"
                );
                edits += 1;
            }
            "UNSHARE" => {
                let shared_in_batch = entries
                    .iter()
                    .any(|x| x["event_type"] == "SHARE" && x["source"]["item_id"] == id.as_str());
                assert!(
                    !old["shared_link"].is_null() || shared_in_batch,
                    "only shared files are unshared"
                );
                let now = file_as_owner(&sb, &admin, e, "shared_link").await;
                assert_eq!(now.status, 200);
                assert!(now.body["shared_link"].is_null(), "unshared: {}", now.text);
                unshares += 1;
            }
            _ => {}
        }
    }
    assert!(
        edits > 0 && unshares > 0,
        "{edits} edits, {unshares} unshares checked"
    );

    let mut invites = 0;
    for e in entries
        .iter()
        .filter(|e| e["event_type"] == "COLLABORATION_INVITE")
    {
        let collab = e["additional_details"]["collab_id"].as_str().unwrap();
        assert!(!collabs_before.contains(collab), "a new collaboration");
        let folder = e["source"]["item_id"].as_str().unwrap();
        let owner = e["source"]["owned_by"]["id"].as_str().unwrap();
        let r = get(
            &sb,
            &admin,
            &format!("/2.0/folders/{folder}/collaborations?limit=1000"),
            &[("as-user", owner)],
        )
        .await;
        if r.status == 404 {
            continue; // the folder went with a later delete
        }
        let served = r.body["entries"].as_array().unwrap();
        let found = served
            .iter()
            .find(|c| c["id"] == collab)
            .unwrap_or_else(|| {
                panic!(
                    "collaboration {collab} not served on folder {folder}: {}",
                    r.text
                )
            });
        assert_eq!(found["accessible_by"]["id"], e["accessible_by"]["id"]);
        invites += 1;
    }
    assert!(invites > 0);
    sb.stop().await;
}

#[tokio::test]
async fn live_mode_at_a_configured_rate_logs_events_the_api_reflects() {
    let rate = 20.0;
    // The activity runs one tick per 100 ms of its own; here the test ticks it, so
    // two seconds of activity take no time and always make the same number of steps.
    let sb = start(SandboxConfig {
        activity_per_second: rate,
        activity_manual_ticks: true,
        rate_limit_per_minute: 0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let start_pos = page(&sb, &admin, "stream_type=admin_logs&stream_position=now").await
        ["next_stream_position"]
        .as_str()
        .unwrap()
        .to_string();
    let ticked: Value = reqwest::Client::new()
        .post(format!("{}/_sandbox/activity/tick", sb.base_url()))
        .json(&serde_json::json!({"ticks": 20}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ticked["steps"], 40,
        "20 ticks of 100 ms at {rate}/s: {ticked}"
    );
    let fresh = page(
        &sb,
        &admin,
        &format!("stream_type=admin_logs&limit=500&stream_position={start_pos}"),
    )
    .await;
    let entries = fresh["entries"].as_array().unwrap();
    // Every applied change logged one event; a step may find nothing to do.
    assert_eq!(entries.len() as u64, ticked["applied"].as_u64().unwrap());
    assert!(entries.len() >= 20, "{} of 40 steps applied", entries.len());
    // Each file's last change is what the API serves now.
    let last = last_event_per_file(entries);
    let mut checked = 0;
    for e in last.values() {
        let at = e["created_at"].as_str().unwrap();
        match e["event_type"].as_str().unwrap() {
            "UPLOAD" => {
                let f = file_as_owner(&sb, &admin, e, "created_at").await;
                assert_eq!((f.status, f.body["created_at"].as_str()), (200, Some(at)));
            }
            "EDIT" => {
                let f = file_as_owner(&sb, &admin, e, "content_modified_at").await;
                assert_eq!(
                    (f.status, f.body["content_modified_at"].as_str()),
                    (200, Some(at))
                );
            }
            "DELETE" => {
                assert_eq!(file_as_owner(&sb, &admin, e, "id").await.status, 404);
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(
        checked > 0,
        "no content change among {} events",
        entries.len()
    );
    // A fraction of a change carries over to the next tick instead of being lost.
    let slow = reqwest::Client::new();
    slow.post(format!("{}/_sandbox/settings", sb.base_url()))
        .json(&serde_json::json!({"activity_per_second": 2.5}))
        .send()
        .await
        .unwrap();
    let r: Value = slow
        .post(format!("{}/_sandbox/activity/tick", sb.base_url()))
        .json(&serde_json::json!({"ticks": 8}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["steps"], 2, "0.25 a tick for 8 ticks: {r}");
    sb.stop().await;
}

#[tokio::test]
async fn streaming_pages_never_exceed_the_limit_even_with_many_duplicates() {
    let sb = start(SandboxConfig {
        streaming_disorder_rate: 1.0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let mut pos = "0".to_string();
    let (mut total, mut full_pages) = (0, 0);
    let mut ids = HashSet::new();
    for _ in 0..1000 {
        let p = page(
            &sb,
            &admin,
            &format!("stream_type=admin_logs_streaming&limit=500&stream_position={pos}"),
        )
        .await;
        let entries = p["entries"].as_array().unwrap();
        assert!(entries.len() <= 500, "a page of {}", entries.len());
        assert_eq!(p["chunk_size"], entries.len());
        pos = p["next_stream_position"].as_str().unwrap().to_string();
        if entries.is_empty() {
            break;
        }
        full_pages += usize::from(entries.len() == 500);
        total += entries.len();
        ids.extend(
            entries
                .iter()
                .map(|e| e["event_id"].as_str().unwrap().to_string()),
        );
    }
    assert!(full_pages > 0, "the limit was reached at least once");
    assert!(
        ids.len() * 5 < total * 4,
        "duplicates are frequent: {} unique of {total}",
        ids.len()
    );
    sb.stop().await;
}

#[tokio::test]
async fn history_agrees_with_the_files_the_api_serves() {
    let sb = start(SandboxConfig {
        rate_limit_per_minute: 0,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let mut history: Vec<Value> = Vec::new();
    let mut pos = "0".to_string();
    loop {
        let p = page(
            &sb,
            &admin,
            &format!("stream_type=admin_logs&limit=500&event_type=UPLOAD,EDIT,SHARE&stream_position={pos}"),
        )
        .await;
        pos = p["next_stream_position"].as_str().unwrap().to_string();
        let entries = p["entries"].as_array().unwrap();
        if entries.is_empty() {
            break;
        }
        history.extend(entries.iter().cloned());
    }
    let of_type = |t: &str| -> HashMap<String, Value> {
        history
            .iter()
            .filter(|e| e["event_type"] == t && e["source"]["item_type"] == "file")
            .map(|e| {
                (
                    e["source"]["item_id"].as_str().unwrap().to_string(),
                    e.clone(),
                )
            })
            .collect()
    };
    let (uploads, edits, shares) = (of_type("UPLOAD"), of_type("EDIT"), of_type("SHARE"));
    assert!(!uploads.is_empty() && !edits.is_empty() && !shares.is_empty());

    let ts = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let now = chrono::Utc::now();
    let days_ago = |v: &Value| now.signed_duration_since(ts(v)).num_hours() as f64 / 24.0;
    let (mut files, mut matched_uploads) = (0, 0);
    for uid in managed_ids(&sb).await {
        let walked = walk_owned(
            &sb,
            &admin,
            &uid,
            "created_at,content_modified_at,shared_link",
        )
        .await;
        for f in walked.iter().filter(|e| e["type"] == "file") {
            files += 1;
            let id = f["id"].as_str().unwrap();
            // Uploaded within the 90-day window <=> an UPLOAD event at the same instant.
            let age = days_ago(&f["created_at"]);
            match uploads.get(id) {
                Some(e) => {
                    assert_eq!(e["created_at"], f["created_at"], "upload of {id}");
                    matched_uploads += 1;
                }
                None => assert!(age > 89.9, "{id} uploaded {age:.1} days ago has no UPLOAD"),
            }
            if let Some(e) = edits.get(id) {
                assert_eq!(e["created_at"], f["content_modified_at"], "edit of {id}");
            }
            if let Some(e) = shares.get(id) {
                assert_eq!(
                    e["additional_details"]["shared_link_access"], f["shared_link"]["access"],
                    "share of {id}"
                );
            }
        }
    }
    // Files owned outside the enterprise have no history here: their owner's own log.
    let truth = sb.ground_truth();
    let outside = truth
        .externally_owned
        .iter()
        .filter(|x| x.item_type == "file")
        .count();
    assert_eq!(files + outside, truth.files_alive);
    // Every UPLOAD is of a file the API serves (history deletes nothing).
    assert_eq!(matched_uploads, uploads.len());
    sb.stop().await;
}
