//! Users, roles and as-user.

mod common;

use std::collections::HashSet;

use box_sandbox::SandboxConfig;
use common::*;

#[tokio::test]
async fn roles_gate_user_listing_and_as_user() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    let (coadmin, _) = login(&sb, "coadmin").await;
    let (user, _) = login(&sb, "user").await;
    let all = get(&sb, &admin, "/2.0/users?fields=role,login&limit=1000", &[])
        .await
        .body;
    let id_of = |role: &str, nth: usize| {
        all["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["role"] == role)
            .nth(nth)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (admin_id, co1, co2, plain) = (
        id_of("admin", 0),
        id_of("coadmin", 0),
        id_of("coadmin", 1),
        id_of("user", 0),
    );

    assert_eq!(get(&sb, &user, "/2.0/users", &[]).await.status, 403);
    assert_eq!(get(&sb, &coadmin, "/2.0/users", &[]).await.status, 200);

    // Admin may act as anyone managed.
    for id in [&co1, &plain] {
        let r = get(&sb, &admin, "/2.0/users/me", &[("as-user", id)]).await;
        assert_eq!((r.status, r.body["id"].as_str()), (200, Some(id.as_str())));
    }
    // A co-admin may act as plain users, never as the admin or another co-admin.
    assert_eq!(
        get(&sb, &coadmin, "/2.0/users/me", &[("as-user", &plain)])
            .await
            .status,
        200
    );
    assert_eq!(
        get(&sb, &coadmin, "/2.0/users/me", &[("as-user", &admin_id)])
            .await
            .status,
        403
    );
    let other_co = if get(&sb, &coadmin, "/2.0/users/me", &[]).await.body["id"] == co1.as_str() {
        &co2
    } else {
        &co1
    };
    let r = get(&sb, &coadmin, "/2.0/users/me", &[("as-user", other_co)]).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["type"], "error");
    assert_eq!(r.body["code"], "forbidden");
    // A plain user may not use as-user at all.
    assert_eq!(
        get(&sb, &user, "/2.0/users/me", &[("as-user", &plain)])
            .await
            .status,
        403
    );
    sb.stop().await;
}

#[tokio::test]
async fn marker_and_offset_pagination_like_box() {
    let sb = start(SandboxConfig {
        users: 57,
        files: 100,
        ..SandboxConfig::default()
    })
    .await;
    let (admin, _) = login(&sb, "admin").await;
    let mut seen = HashSet::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &marker {
            None => "/2.0/users?user_type=managed&usemarker=True&limit=10".to_string(),
            Some(m) => format!("/2.0/users?user_type=managed&usemarker=1&limit=10&marker={m}"),
        };
        let r = get(&sb, &admin, &path, &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            r.body.get("total_count").is_none(),
            "marker pages carry no total_count"
        );
        for e in r.body["entries"].as_array().unwrap() {
            assert!(
                seen.insert(e["id"].as_str().unwrap().to_string()),
                "duplicate user"
            );
        }
        pages += 1;
        match r.body["next_marker"].as_str() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    assert_eq!((seen.len(), pages), (57, 6));

    let r = get(&sb, &admin, "/2.0/users?offset=50&limit=5000", &[]).await;
    assert_eq!(r.body["total_count"], 57);
    assert_eq!(r.body["limit"], 1000, "limit is capped at 1000");
    assert_eq!(r.body["entries"].as_array().unwrap().len(), 7);
    assert_eq!(
        get(&sb, &admin, "/2.0/users?offset=10001", &[])
            .await
            .status,
        400
    );
    assert_eq!(
        get(&sb, &admin, "/2.0/users?offset=10000", &[])
            .await
            .status,
        200
    );
    assert_eq!(
        get(&sb, &admin, "/2.0/users?usemarker=maybe", &[])
            .await
            .status,
        400
    );
    assert_eq!(
        get(&sb, &admin, "/2.0/users?usemarker=true&marker=garbage", &[])
            .await
            .status,
        400
    );
    sb.stop().await;
}

#[tokio::test]
async fn external_users_only_by_exact_login() {
    let sb = start(small()).await;
    let (admin, _) = login(&sb, "admin").await;
    let managed = get(&sb, &admin, "/2.0/users?limit=1000", &[]).await.body;
    assert!(managed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["login"].as_str().unwrap().ends_with("@northwind.example")));
    assert_eq!(managed["total_count"], 12);

    let accounts: Vec<serde_json::Value> =
        reqwest::get(format!("{}/_sandbox/accounts", sb.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let external = accounts
        .iter()
        .find(|a| a["kind"] == "external")
        .expect("an external identity");
    let ext_login = external["login"].as_str().unwrap();
    let logins = |body: &serde_json::Value| -> Vec<String> {
        body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["login"].as_str().unwrap().to_string())
            .collect()
    };
    let search = |term: &str, user_type: &str| {
        let term: String = url::form_urlencoded::byte_serialize(term.as_bytes()).collect();
        format!("/2.0/users?fields=login&user_type={user_type}&filter_term={term}")
    };
    // The exact login finds that user, and only that user.
    for user_type in ["all", "external"] {
        let r = get(&sb, &admin, &search(ext_login, user_type), &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(logins(&r.body), vec![ext_login.to_string()], "{user_type}");
        assert_eq!(r.body["entries"][0]["id"], external["id"]);
    }
    // A partial login does not, and managed-only searches never do.
    let partial = &ext_login[..ext_login.len() - 3];
    for (term, user_type) in [
        (partial, "all"),
        (partial, "external"),
        (ext_login, "managed"),
    ] {
        let r = get(&sb, &admin, &search(term, user_type), &[]).await;
        assert!(
            !logins(&r.body).iter().any(|l| l == ext_login),
            "{term} ({user_type}) found the external user"
        );
    }
    // Managed users match by the start of their login.
    let someone = managed["entries"][3]["login"].as_str().unwrap();
    let r = get(&sb, &admin, &search(&someone[..4], "managed"), &[]).await;
    assert!(logins(&r.body).iter().any(|l| l == someone));
    sb.stop().await;
}
