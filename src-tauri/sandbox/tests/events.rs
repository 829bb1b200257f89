//! admin_logs and admin_logs_streaming.

mod common;

use std::collections::HashSet;

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

#[tokio::test]
async fn live_activity_changes_the_api_and_appends_events() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    let end = page(&sb, &admin, "stream_type=admin_logs&stream_position=now").await
        ["next_stream_position"]
        .as_str()
        .unwrap()
        .to_string();
    let before = sb.ground_truth();
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
    let after = sb.ground_truth();
    assert!(after.files_total > before.files_total, "uploads add files");
    assert!(
        after.files_alive < after.files_total,
        "deletes remove files"
    );
    let fresh = page(
        &sb,
        &admin,
        &format!("stream_type=admin_logs&limit=500&stream_position={end}"),
    )
    .await;
    let types: HashSet<_> = fresh["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_string())
        .collect();
    for t in ["EDIT", "UPLOAD", "SHARE", "PREVIEW", "DOWNLOAD", "DELETE"] {
        assert!(types.contains(t), "{t} not in {types:?}");
    }
    // An edited file serves a new etag.
    let edit = fresh["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "EDIT")
        .unwrap();
    let fid = edit["source"]["item_id"].as_str().unwrap();
    let owner = edit["source"]["owned_by"]["id"].as_str().unwrap();
    let f = get(
        &sb,
        &admin,
        &format!("/2.0/files/{fid}"),
        &[("as-user", owner)],
    )
    .await;
    if f.status == 200 {
        assert_ne!(f.body["etag"], "0", "an edited file has a later version");
    }
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
