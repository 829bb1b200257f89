//! Rate limits, injected faults and the `/_sandbox/` control surface.

mod common;

use std::time::{Duration, Instant};

use box_sandbox::{Faults, SandboxConfig};
use common::*;
use serde_json::{json, Value};

async fn control(sb: &box_sandbox::SandboxHandle, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/_sandbox/{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn rate_limit_answers_429_with_lower_case_retry_after_per_user() {
    let sb = start(SandboxConfig {
        rate_limit_per_minute: 30,
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let (user, _) = login(&sb, "user").await;
    let mut ok = 0;
    let mut limited = None;
    let started = Instant::now();
    for _ in 0..40 {
        let r = get(&sb, &admin, "/2.0/users/me", &[]).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        ok += 1;
    }
    // A minute's worth, plus what refilled (0.5/s) while the loop ran on a busy machine.
    let refilled = (started.elapsed().as_secs_f64() * 0.5).floor() as u32;
    assert!((30..=30 + refilled).contains(&ok), "{ok} calls before 429");
    let r = limited.expect("429 after the limit");
    // HTTP/1.1 header names go on the wire as written; reqwest lower-cases them anyway,
    // so check the raw value exists and is whole seconds.
    let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&secs), "{secs}");
    assert_eq!(r.body["code"], "too_many_requests");
    // Another user is not affected.
    assert_eq!(get(&sb, &user, "/2.0/users/me", &[]).await.status, 200);
    sb.stop().await;
}

#[tokio::test]
async fn as_user_calls_count_against_the_setting_choice() {
    for charge_target in [true, false] {
        let sb = start(SandboxConfig {
            rate_limit_per_minute: 5,
            as_user_counts_against_target: charge_target,
            ..small()
        })
        .await;
        let (admin, _) = login(&sb, "admin").await;
        let (user, _) = login(&sb, "user").await;
        let uid = get(&sb, &user, "/2.0/users/me", &[]).await.body["id"]
            .as_str()
            .unwrap()
            .to_string();
        for _ in 0..4 {
            assert_eq!(
                get(&sb, &admin, "/2.0/users/me", &[("as-user", &uid)])
                    .await
                    .status,
                200
            );
        }
        // The user made 1 call, the admin 4 more as the user.
        let user_status = get(&sb, &user, "/2.0/users/me", &[]).await.status;
        let admin_status = get(&sb, &admin, "/2.0/users/me", &[]).await.status;
        if charge_target {
            assert_eq!((user_status, admin_status), (429, 200));
        } else {
            assert_eq!((user_status, admin_status), (200, 200));
            assert_eq!(
                get(&sb, &admin, "/2.0/users/me", &[]).await.status,
                429,
                "the admin paid for the as-user calls"
            );
        }
        sb.stop().await;
    }
}

#[tokio::test]
async fn faults_set_at_runtime_fail_calls_the_way_networks_do() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    let client = reqwest::Client::new();
    let me = format!("{}/2.0/users/me", sb.base_url());

    control(&sb, "faults", json!({"p502": 1.0})).await;
    assert_eq!(get(&sb, &admin, "/2.0/users/me", &[]).await.status, 502);

    control(&sb, "faults", json!({"p429_burst": 1.0, "burst_len": 3})).await;
    assert_eq!(
        get(&sb, &admin, "/2.0/users/me", &[]).await.status,
        429,
        "a burst has begun"
    );
    control(&sb, "faults", json!({})).await;
    assert_eq!(
        get(&sb, &admin, "/2.0/users/me", &[]).await.status,
        200,
        "clearing faults ends a burst"
    );
    let sb_faults = Faults {
        p429_burst: 1.0,
        burst_len: 3,
        ..Faults::default()
    };
    control(&sb, "faults", serde_json::to_value(&sb_faults).unwrap()).await;
    let first = get(&sb, &admin, "/2.0/users/me", &[]).await;
    assert_eq!(first.status, 429);
    assert!(first.headers.contains_key("retry-after"));
    control(&sb, "faults", json!({"latency_ms": 300})).await;
    let t = Instant::now();
    assert_eq!(get(&sb, &admin, "/2.0/users/me", &[]).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    control(&sb, "faults", json!({"p_reset": 1.0})).await;
    let outcome = match client.get(&me).bearer_auth(&admin).send().await {
        Err(e) => Err(e),
        Ok(r) => r.bytes().await.map(|_| ()),
    };
    assert!(
        outcome.is_err(),
        "a reset connection is an error for the client"
    );

    control(&sb, "faults", json!({"p_truncate": 1.0})).await;
    // A fresh client: the reset killed the pooled connection.
    let resp = reqwest::Client::new()
        .get(&me)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.bytes().await.is_err(),
        "a truncated body fails to read"
    );

    control(&sb, "faults", json!({})).await;
    assert_eq!(get(&sb, &admin, "/2.0/users/me", &[]).await.status, 200);
    sb.stop().await;
}

#[tokio::test]
async fn a_burst_is_burst_len_429s_in_a_row_then_success() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    control(&sb, "faults", json!({"p429_burst": 1.0, "burst_len": 4})).await;
    let first = get(&sb, &admin, "/2.0/users/me", &[]).await;
    assert_eq!(first.status, 429, "this call starts the burst");
    // No new bursts from here on, but the one running must play out.
    sb.state().control.lock().unwrap().faults.p429_burst = 0.0;
    for n in 2..=4 {
        let r = get(&sb, &admin, "/2.0/users/me", &[]).await;
        assert_eq!(r.status, 429, "429 number {n} of the burst");
        assert_eq!(r.headers["retry-after"], "1");
    }
    for _ in 0..2 {
        assert_eq!(get(&sb, &admin, "/2.0/users/me", &[]).await.status, 200);
    }
    sb.stop().await;
}

#[tokio::test]
async fn faults_in_the_config_apply_from_the_first_call() {
    let sb = start(SandboxConfig {
        faults: Faults {
            p503: 1.0,
            ..Faults::default()
        },
        ..small()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let r = get(&sb, &admin, "/2.0/users/me", &[]).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (503, Some("unavailable"))
    );
    control(&sb, "faults", json!({})).await;
    assert_eq!(get(&sb, &admin, "/2.0/users/me", &[]).await.status, 200);
    sb.stop().await;
}

#[tokio::test]
async fn control_expires_and_revokes_tokens_disables_apps_and_counts() {
    let sb = start(small()).await;
    let (admin, rt) = login(&sb, "admin").await;
    assert_eq!(control(&sb, "tokens/expire", json!({})).await.status(), 204);
    assert_eq!(get(&sb, &admin, "/2.0/users/me", &[]).await.status, 401);
    let (status, pair) = refresh(&sb, &rt).await;
    assert_eq!(status, 200, "expired access tokens refresh fine");
    let access = pair["access_token"].as_str().unwrap().to_string();
    assert_eq!(get(&sb, &access, "/2.0/users/me", &[]).await.status, 200);
    control(&sb, "tokens/revoke", json!({})).await;
    assert_eq!(get(&sb, &access, "/2.0/users/me", &[]).await.status, 401);
    assert_eq!(
        refresh(&sb, pair["refresh_token"].as_str().unwrap())
            .await
            .1["error"],
        "invalid_grant"
    );

    // Disable unpublished apps at runtime; an exception re-enables the client.
    control(&sb, "settings", json!({"disable_unpublished_apps": true})).await;
    let page = reqwest::get(authorize_url(&sb, "http://127.0.0.1:1/callback", "s", &[]))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Disabled by Administrator"));
    control(
        &sb,
        "settings",
        json!({"app_exceptions": ["sandbox-client"]}),
    )
    .await;
    let (access, _) = login(&sb, "admin").await;

    control(&sb, "stats/reset", json!({})).await;
    for _ in 0..3 {
        get(&sb, &access, "/2.0/users/me", &[]).await;
    }
    get(&sb, &access, "/2.0/folders/0/items", &[]).await;
    let stats: Value = reqwest::get(format!("{}/_sandbox/stats", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["by_endpoint"]["GET /2.0/users/me"], 3);
    assert_eq!(
        stats["by_endpoint"]["GET /2.0/folders/{folder_id}/items"],
        1
    );
    let me = get(&sb, &access, "/2.0/users/me", &[]).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(stats["by_user"][&me], 4);
    sb.stop().await;
}

fn state_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("box-sandbox-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn tokens_survive_a_restart_with_state_path_and_only_digests_reach_the_disk() {
    let dir = state_dir("state");
    let path = dir.join("issued-tokens.json");
    let cfg = SandboxConfig {
        state_path: Some(path.clone()),
        ..small()
    };
    let sb = start(cfg.clone()).await;
    let (code, redirect) = code_for(&sb, "admin", &[]).await;
    let (_, first) = exchange(&sb, &code, &redirect).await;
    let (access1, rt1) = (
        first["access_token"].as_str().unwrap().to_string(),
        first["refresh_token"].as_str().unwrap().to_string(),
    );
    let (status, second) = refresh(&sb, &rt1).await;
    assert_eq!(status, 200);
    let (access2, rt2) = (
        second["access_token"].as_str().unwrap().to_string(),
        second["refresh_token"].as_str().unwrap().to_string(),
    );
    sb.stop().await;

    let on_disk = std::fs::read_to_string(&path).expect("state file written");
    for secret in [&code, &access1, &rt1, &access2, &rt2] {
        assert!(
            !on_disk.contains(secret.as_str()),
            "a token in clear on disk: {on_disk}"
        );
    }
    assert!(on_disk.contains(&box_sandbox::tokens::digest(&access2)));

    let sb = start(cfg).await;
    for access in [&access1, &access2] {
        assert_eq!(
            get(&sb, access, "/2.0/users/me", &[]).await.status,
            200,
            "access token still valid after a restart"
        );
    }
    assert_eq!(refresh(&sb, &rt2).await.0, 200, "refresh token still valid");
    assert_eq!(
        refresh(&sb, &rt1).await.1["error"],
        "invalid_grant",
        "the used one stays dead"
    );
    sb.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_state_file_with_tokens_in_clear_is_rewritten_as_digests() {
    // What versions before digests wrote: the tokens themselves as keys.
    let dir = state_dir("legacy");
    let path = dir.join("issued-tokens.json");
    let far = chrono::Utc::now().timestamp() + 3600;
    let (access, rt) = (
        "LegacyAccessToken0123456789abcdef",
        "LegacyRefreshToken0123456789abcdef",
    );
    let legacy = json!({
        "access": {access: {"user": 0, "client_id": "sandbox-client", "expires_at": far, "grant": 1}},
        "refresh": {rt: {"user": 0, "client_id": "sandbox-client", "expires_at": far, "grant": 1, "used": false, "successor": null}},
        "next_grant": 1
    });
    std::fs::write(&path, legacy.to_string()).unwrap();
    let sb = start(SandboxConfig {
        state_path: Some(path.clone()),
        ..small()
    })
    .await;
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        !on_disk.contains(access) && !on_disk.contains(rt),
        "rewritten at start: {on_disk}"
    );
    assert_eq!(get(&sb, access, "/2.0/users/me", &[]).await.status, 200);
    assert_eq!(refresh(&sb, rt).await.0, 200);
    sb.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
