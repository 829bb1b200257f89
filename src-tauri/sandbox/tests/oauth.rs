//! OAuth as BOX-FACTS.md describes it.

mod common;

use std::time::Duration;

use base64::Engine;
use box_sandbox::browser::{sign_in, Decision};
use box_sandbox::{Rotation, SandboxConfig};
use common::*;
use sha2::Digest;

/// Moves the sandbox's token clock forward, as a test would over HTTP.
async fn advance_clock(sb: &box_sandbox::SandboxHandle, secs: u64) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/_sandbox/clock", sb.base_url()))
        .json(&serde_json::json!({ "advance_secs": secs }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn consent_page_carries_the_request_and_lists_admin_first() {
    let sb = start(small()).await;
    let url = authorize_url(
        &sb,
        "http://127.0.0.1:4567/callback",
        "xyz",
        &[("scope", "root_readonly")],
    );
    let html = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\" action=\"/api/oauth2/authorize\">"),
        "{html}"
    );
    assert!(html.contains("<input type=\"hidden\" name=\"state\" value=\"xyz\">"));
    assert!(html.contains(
        "<input type=\"hidden\" name=\"redirect_uri\" value=\"http://127.0.0.1:4567/callback\">"
    ));
    assert!(html.contains("<button name=\"decision\" value=\"allow\">Allow</button>"));
    assert!(html.contains("<button name=\"decision\" value=\"deny\">Deny</button>"));
    let select = &html[html.find("<select name=\"login\">").expect("select")..];
    let roles: Vec<&str> = select
        .match_indices("data-role=\"")
        .map(|(i, _)| &select[i + 11..i + 11 + select[i + 11..].find('"').unwrap()])
        .collect();
    assert_eq!(roles[0], "admin");
    let first_user = roles.iter().position(|r| *r == "user").unwrap();
    assert!(
        roles[..first_user].iter().skip(1).all(|r| *r == "coadmin"),
        "{roles:?}"
    );
    assert!(roles.iter().filter(|r| **r == "coadmin").count() == 2);
    sb.stop().await;
}

#[tokio::test]
async fn allow_then_exchange_then_me_is_the_chosen_account() {
    let sb = start(small()).await;
    for (login, role) in [("admin", "admin"), ("coadmin", "coadmin"), ("user", "user")] {
        let (access, _) = common::login(&sb, login).await;
        let me = get(
            &sb,
            &access,
            "/2.0/users/me?fields=role,login,enterprise",
            &[],
        )
        .await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body["role"], role);
        assert_eq!(me.body["enterprise"]["type"], "enterprise");
    }
    // Without fields the role is not part of the representation.
    let (access, _) = common::login(&sb, "admin").await;
    let me = get(&sb, &access, "/2.0/users/me", &[]).await;
    assert!(
        me.body.get("role").is_none() && me.body["login"].as_str().unwrap().starts_with("admin@")
    );
    sb.stop().await;
}

#[tokio::test]
async fn login_by_email_and_personal_account_has_no_enterprise() {
    let sb = start(small()).await;
    let (access, _) = common::login(&sb, "personal").await;
    let me = get(&sb, &access, "/2.0/users/me?fields=enterprise,login", &[]).await;
    assert!(
        me.body.get("enterprise").is_none(),
        "no enterprise: {}",
        me.text
    );
    let users = get(&sb, &access, "/2.0/users", &[]).await;
    assert_eq!(users.status, 403);
    assert_eq!(
        users.body["message"],
        "User cannot access this feature without having an enterprise"
    );
    let (admin, _) = common::login(&sb, "admin").await;
    let list = get(&sb, &admin, "/2.0/users?limit=5", &[]).await;
    let email = list.body["entries"][3]["login"]
        .as_str()
        .unwrap()
        .to_string();
    let (access, _) = common::login(&sb, &email).await;
    assert_eq!(
        get(&sb, &access, "/2.0/users/me", &[]).await.body["login"],
        email.as_str()
    );
    sb.stop().await;
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_state() {
    let sb = start(small()).await;
    let (redirect, _t) = callback_server().await;
    let body = sign_in(
        &authorize_url(&sb, &redirect, "s1", &[]),
        Decision::Deny,
        "admin",
    )
    .await
    .unwrap();
    let q = query_map(&body);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "s1");
    assert!(!q.contains_key("code"));
    sb.stop().await;
}

#[tokio::test]
async fn auto_approve_redirects_at_once_as_login_as() {
    let sb = start(SandboxConfig {
        auto_approve: true,
        login_as: "coadmin".into(),
        ..small()
    })
    .await;
    let (redirect, _t) = callback_server().await;
    let url = authorize_url(&sb, &redirect, "s2", &[]);
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let (code, redirect) = code_for(&sb, "ignored-with-auto-approve", &[]).await;
    let (_, tok) = exchange(&sb, &code, &redirect).await;
    let me = get(
        &sb,
        tok["access_token"].as_str().unwrap(),
        "/2.0/users/me?fields=role",
        &[],
    )
    .await;
    assert_eq!(me.body["role"], "coadmin");
    sb.stop().await;
}

#[tokio::test]
async fn codes_are_single_use_and_expire() {
    let sb = start(SandboxConfig {
        auth_code_ttl: Duration::from_secs(30),
        ..small()
    })
    .await;
    let (code, redirect) = code_for(&sb, "admin", &[]).await;
    assert_eq!(exchange(&sb, &code, &redirect).await.0, 200);
    let (status, body) = exchange(&sb, &code, &redirect).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Inside its 30 seconds a code works...
    let (code, redirect) = code_for(&sb, "admin", &[]).await;
    advance_clock(&sb, 25).await;
    assert_eq!(exchange(&sb, &code, &redirect).await.0, 200);
    // ...after them it does not.
    let (code, redirect) = code_for(&sb, "admin", &[]).await;
    advance_clock(&sb, 31).await;
    let (status, body) = exchange(&sb, &code, &redirect).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_description"],
        "The authorization code has expired"
    );
    sb.stop().await;
}

#[tokio::test]
async fn redirect_uri_loopback_any_port_but_same_path_and_scheme() {
    let sb = start(small()).await;
    let ok = reqwest::get(authorize_url(
        &sb,
        "http://127.0.0.1:61234/callback",
        "s",
        &[],
    ))
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    for bad in [
        "http://127.0.0.1:61234/other",
        "https://127.0.0.1:61234/callback",
        "http://evil.example/callback",
        "http://127.0.0.1:61234/callback?x=1",
    ] {
        let resp = reqwest::get(authorize_url(&sb, bad, "s", &[]))
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{bad} must be refused");
    }
    // The token request must repeat the redirect_uri of the authorize request.
    let (code, _) = code_for(&sb, "admin", &[]).await;
    let (status, _) = exchange(&sb, &code, "http://127.0.0.1:1/callback").await;
    assert_eq!(status, 400);
    sb.stop().await;
}

#[tokio::test]
async fn pkce_s256_is_enforced_when_a_challenge_was_sent() {
    let sb = start(small()).await;
    let verifier = "a-verifier-that-is-long-enough-to-be-valid-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let form = |code: &str, redirect: &str, v: Option<&str>| {
        let mut f = vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".into(), code.into()),
            ("client_id".into(), "sandbox-client".into()),
            ("client_secret".into(), "sandbox-secret".into()),
            ("redirect_uri".into(), redirect.into()),
        ];
        if let Some(v) = v {
            f.push(("code_verifier".into(), v.into()));
        }
        f
    };
    for v in [
        None,
        Some("wrong-verifier-wrong-verifier-wrong-verifier-000"),
    ] {
        let (code, redirect) = code_for(&sb, "admin", &pkce).await;
        let f = form(&code, &redirect, v);
        let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (status, body) = token_call(&sb, &f).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{v:?}"
        );
    }
    let (code, redirect) = code_for(&sb, "admin", &pkce).await;
    let f = form(&code, &redirect, Some(verifier));
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(token_call(&sb, &f).await.0, 200);
    // "plain" is not accepted.
    let (redirect, _t) = callback_server().await;
    let body = sign_in(
        &authorize_url(
            &sb,
            &redirect,
            "s",
            &[
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain"),
            ],
        ),
        Decision::Allow,
        "admin",
    )
    .await;
    assert_eq!(query_map(&body.unwrap())["error"], "invalid_request");
    sb.stop().await;
}

#[tokio::test]
async fn strict_rotation_kills_the_used_refresh_token() {
    let sb = start(small()).await;
    let (_, rt1) = login(&sb, "admin").await;
    let (status, pair2) = refresh(&sb, &rt1).await;
    assert_eq!(status, 200);
    let rt2 = pair2["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_eq!(pair2["token_type"], "bearer");
    assert!((3590..=3600).contains(&pair2["expires_in"].as_i64().unwrap()));
    let (status, body) = refresh(&sb, &rt1).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_grant", "error_description": "Invalid refresh token"})
    );
    assert_eq!(refresh(&sb, rt2).await.0, 200);
    sb.stop().await;
}

#[tokio::test]
async fn grace_rotation_returns_the_same_pair_until_the_new_token_is_used() {
    let sb = start(SandboxConfig {
        rotation: Rotation::Grace,
        ..small()
    })
    .await;
    let (_, rt1) = login(&sb, "admin").await;
    let (_, p2) = refresh(&sb, &rt1).await;
    let (status, p2_again) = refresh(&sb, &rt1).await;
    assert_eq!(status, 200);
    assert_eq!(p2["access_token"], p2_again["access_token"]);
    assert_eq!(p2["refresh_token"], p2_again["refresh_token"]);
    let (status, _) = refresh(&sb, p2["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        refresh(&sb, &rt1).await.0,
        400,
        "old token dies once the new one is used"
    );
    sb.stop().await;
}

#[tokio::test]
async fn revoke_ends_the_grant_and_ttl_expires_access_tokens() {
    let sb = start(SandboxConfig {
        access_token_ttl: Duration::from_secs(60),
        ..small()
    })
    .await;
    let (access, rt) = login(&sb, "admin").await;
    assert_eq!(get(&sb, &access, "/2.0/users/me", &[]).await.status, 200);
    advance_clock(&sb, 50).await;
    assert_eq!(get(&sb, &access, "/2.0/users/me", &[]).await.status, 200);
    advance_clock(&sb, 11).await;
    let r = get(&sb, &access, "/2.0/users/me", &[]).await;
    assert_eq!(r.status, 401);
    assert!(r.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let (_, pair) = refresh(&sb, &rt).await;
    let access2 = pair["access_token"].as_str().unwrap();
    assert_eq!(get(&sb, access2, "/2.0/users/me", &[]).await.status, 200);
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/revoke", sb.base_url()))
        .form(&[
            ("token", access2),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(get(&sb, access2, "/2.0/users/me", &[]).await.status, 401);
    assert_eq!(
        refresh(&sb, pair["refresh_token"].as_str().unwrap())
            .await
            .0,
        400,
        "revoking the access token ends its refresh token too"
    );
    sb.stop().await;
}

#[tokio::test]
async fn wrong_client_secret_and_disabled_app() {
    let sb = start(SandboxConfig {
        disable_unpublished_apps: true,
        ..small()
    })
    .await;
    let (redirect, _t) = callback_server().await;
    let err = sign_in(
        &authorize_url(&sb, &redirect, "s", &[]),
        Decision::Allow,
        "admin",
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("Disabled by Administrator"),
        "{err:#}"
    );
    let (status, body) = token_call(
        &sb,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    sb.stop().await;

    let sb = start(small()).await;
    let (status, body) = token_call(
        &sb,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "sandbox-client"),
            ("client_secret", "nope"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client"))
    );
    sb.stop().await;
}

#[tokio::test]
async fn token_request_must_repeat_the_authorize_redirect_uri_when_required() {
    let sb = start(SandboxConfig {
        require_token_redirect_uri: true,
        ..small()
    })
    .await;
    let (code, _) = code_for(&sb, "admin", &[]).await;
    let (status, body) = exchange_without_redirect(&sb, &code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "missing redirect_uri: {body}"
    );
    // Another port is another URI: any-port applies to the registered URI only.
    let (code, redirect) = code_for(&sb, "admin", &[]).await;
    let port = url::Url::parse(&redirect).unwrap().port().unwrap();
    let other = redirect.replace(&format!(":{port}/"), &format!(":{}/", port ^ 1));
    let (status, body) = exchange(&sb, &code, &other).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (code, redirect) = code_for(&sb, "admin", &[]).await;
    assert_eq!(exchange(&sb, &code, &redirect).await.0, 200);
    sb.stop().await;
}

#[tokio::test]
async fn by_default_a_token_request_without_redirect_uri_is_accepted_as_box_does() {
    // Box's token schema has no redirect_uri and Box's own SDK never sends one.
    let sb = start(small()).await;
    let (code, _) = code_for(&sb, "admin", &[]).await;
    let (status, body) = exchange_without_redirect(&sb, &code).await;
    assert_eq!(status, 200, "{body}");
    sb.stop().await;
}

#[tokio::test]
async fn revoking_either_token_kind_ends_the_grant_and_only_that_grant() {
    let sb = start(small()).await;
    for kind in ["access", "refresh"] {
        let (access, rt) = login(&sb, "admin").await;
        let (other_access, other_rt) = login(&sb, "admin").await;
        let target = if kind == "access" { &access } else { &rt };
        assert_eq!(revoke(&sb, target).await, 200);
        assert_eq!(
            get(&sb, &access, "/2.0/users/me", &[]).await.status,
            401,
            "revoking the {kind} token ends the access token"
        );
        let (status, body) = refresh(&sb, &rt).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "revoking the {kind} token ends the refresh token"
        );
        // Another sign-in of the same account is another grant.
        assert_eq!(
            get(&sb, &other_access, "/2.0/users/me", &[]).await.status,
            200
        );
        assert_eq!(refresh(&sb, &other_rt).await.0, 200);
    }
    sb.stop().await;
}

#[tokio::test]
async fn refresh_tokens_expire_after_their_ttl() {
    let sb = start(SandboxConfig {
        refresh_token_ttl: Duration::from_secs(100),
        ..small()
    })
    .await;
    let (_, rt) = login(&sb, "admin").await;
    advance_clock(&sb, 90).await;
    let (status, pair) = refresh(&sb, &rt).await;
    assert_eq!(status, 200, "a refresh token inside its life works: {pair}");
    advance_clock(&sb, 101).await;
    let (status, body) = refresh(&sb, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_grant", "error_description": "Refresh token has expired"})
    );
    assert_eq!(status, 400);
    sb.stop().await;
}

#[tokio::test]
async fn the_clock_only_moves_forward_and_says_where_it_is() {
    let sb = start(small()).await;
    let before: serde_json::Value = reqwest::get(format!("{}/_sandbox/clock", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before["offset_secs"], 0);
    let after = advance_clock(&sb, 3600).await;
    assert_eq!(after["offset_secs"], 3600);
    assert!(after["now"].as_i64().unwrap() >= before["now"].as_i64().unwrap() + 3600);
    let back = reqwest::Client::new()
        .post(format!("{}/_sandbox/clock", sb.base_url()))
        .json(&serde_json::json!({ "advance_secs": -10 }))
        .send()
        .await
        .unwrap();
    assert!(back.status().is_client_error(), "{}", back.status());
    sb.stop().await;
}

#[tokio::test]
async fn each_sign_in_is_one_live_grant_and_rotation_keeps_it_one() {
    let sb = start(small()).await;
    let live = || {
        sb.state()
            .tokens
            .lock()
            .unwrap()
            .live_grants("sandbox-client")
    };
    let (_, rt1) = login(&sb, "admin").await;
    assert_eq!(live(), 1);
    let (_, pair) = refresh(&sb, &rt1).await;
    let rt2 = pair["refresh_token"].as_str().unwrap();
    assert_eq!(live(), 1, "a refresh continues the grant");
    {
        let tokens = sb.state().tokens.lock().unwrap();
        assert!(tokens.refresh_token_is_live(rt2));
        assert!(!tokens.refresh_token_is_live(&rt1), "spent");
    }
    let (_, other_rt) = login(&sb, "admin").await;
    assert_eq!(live(), 2, "a second sign-in is a second grant");
    assert_eq!(revoke(&sb, &other_rt).await, 200);
    assert_eq!(live(), 1);
    sb.stop().await;
}

#[tokio::test]
async fn an_unknown_scope_is_refused_on_the_redirect() {
    let sb = start(small()).await;
    let (redirect, _t) = callback_server().await;
    let body = sign_in(
        &authorize_url(
            &sb,
            &redirect,
            "s",
            &[("scope", "root_readonly fly_to_the_moon")],
        ),
        Decision::Allow,
        "admin",
    )
    .await;
    let q = query_map(&body.unwrap());
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("invalid_scope", "s")
    );
    assert!(!q.contains_key("code"));
    sb.stop().await;
}

/// Asserts Box's insufficient-scope answer: 403, its body and its challenge.
fn assert_insufficient_scope(r: &Resp, what: &str) {
    assert_eq!(r.status, 403, "{what}: {}", r.text);
    assert_eq!(r.body["code"], "insufficient_scope", "{what}");
    assert_eq!(
        r.body["message"],
        "The request requires higher privileges than provided by the access token."
    );
    assert_eq!(
        r.headers["www-authenticate"].to_str().unwrap(),
        "Bearer realm=\"Service\", error=\"insufficient_scope\", error_description=\"The request requires higher privileges than provided by the access token.\""
    );
}

#[tokio::test]
async fn scope_narrows_the_grant_for_good_and_writes_need_root_readwrite() {
    let sb = start(SandboxConfig {
        rate_limit_per_minute: 0,
        ..small()
    })
    .await;
    let read_only = "root_readonly manage_managed_users manage_enterprise_properties";
    let (ro, rt) = login_scoped(&sb, "admin", read_only).await;
    for path in [
        "/2.0/users/me",
        "/2.0/folders/0/items",
        "/2.0/users?user_type=managed",
        "/2.0/events?stream_type=admin_logs&limit=1",
    ] {
        assert_eq!(get(&sb, &ro, path, &[]).await.status, 200, "{path}");
    }
    let file = get(&sb, &ro, "/2.0/folders/0/items?limit=1000", &[])
        .await
        .body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "file")
        .map(|e| e["id"].as_str().unwrap().to_string());
    let file = file.unwrap_or_else(|| "1000000000000".into());
    let upload = multipart(&[
        (
            "attributes",
            None,
            br#"{"name":"a.txt","parent":{"id":"0"}}"#,
        ),
        ("file", Some("a.txt"), b"a"),
    ]);
    // Every write, malformed or not, is refused before its body is read.
    type Body = Option<(String, Vec<u8>)>;
    let writes: Vec<(&str, String, Body)> = vec![
        (
            "POST",
            "/2.0/folders".into(),
            json_body(&serde_json::json!({})),
        ),
        (
            "POST",
            "/2.0/folders".into(),
            Some(("application/json".into(), b"{not json".to_vec())),
        ),
        (
            "PUT",
            format!("/2.0/files/{file}"),
            json_body(&serde_json::json!({"name": "b.txt"})),
        ),
        ("DELETE", format!("/2.0/files/{file}"), None),
        (
            "PUT",
            "/2.0/folders/0".into(),
            json_body(&serde_json::json!({})),
        ),
        (
            "POST",
            "/2.0/collaborations".into(),
            json_body(&serde_json::json!({})),
        ),
        ("DELETE", "/2.0/collaborations/40000000000".into(), None),
        (
            "POST",
            "/api/2.0/files/content".into(),
            Some(upload.clone()),
        ),
        (
            "POST",
            format!("/api/2.0/files/{file}/content"),
            Some(upload.clone()),
        ),
    ];
    for (method, path, body) in &writes {
        let r = send(&sb, &ro, method, path, &[], body.clone()).await;
        assert_insufficient_scope(&r, &format!("{method} {path}"));
    }
    // The refreshed grant is just as narrow.
    let (status, pair) = refresh(&sb, &rt).await;
    assert_eq!(status, 200, "{pair}");
    let again = pair["access_token"].as_str().unwrap();
    let r = send(
        &sb,
        again,
        "POST",
        "/2.0/folders",
        &[],
        json_body(&serde_json::json!({})),
    )
    .await;
    assert_insufficient_scope(&r, "after a refresh");
    assert_eq!(get(&sb, again, "/2.0/folders/0", &[]).await.status, 200);

    // Without a file scope even reads of files and folders are refused.
    let (users_only, _) = login_scoped(&sb, "admin", "manage_managed_users").await;
    assert_insufficient_scope(&get(&sb, &users_only, "/2.0/folders/0", &[]).await, "read");
    assert_insufficient_scope(
        &get(&sb, &users_only, &format!("/2.0/files/{file}"), &[]).await,
        "read",
    );
    assert_eq!(
        get(&sb, &users_only, "/2.0/users?user_type=managed", &[])
            .await
            .status,
        200
    );

    // With root_readwrite, or without `scope` (the app's scopes: all), the same
    // malformed write reaches the route and is a 400.
    let (rw, _) = login_scoped(
        &sb,
        "admin",
        "root_readwrite manage_managed_users manage_enterprise_properties",
    )
    .await;
    let (all, _) = login(&sb, "admin").await;
    for token in [&rw, &all] {
        let r = send(
            &sb,
            token,
            "POST",
            "/2.0/folders",
            &[],
            json_body(&serde_json::json!({})),
        )
        .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("bad_request")),
            "{}",
            r.text
        );
        assert_eq!(get(&sb, token, "/2.0/folders/0", &[]).await.status, 200);
    }
    sb.stop().await;
}
