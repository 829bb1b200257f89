//! The standalone `box-sandbox` binary: its first line of output and that its flags
//! take effect, seen only over HTTP as a client would.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use box_sandbox::browser::{sign_in, Decision};
use common::{callback_server, query_map};
use serde_json::{json, Value};

/// Kills the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const LATENCY_MS: u64 = 150;

/// Spawn the binary and read its first line of output.
fn spawn() -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_box-sandbox"))
        .args([
            "--port", "0", "--seed", "7", "--users", "5", "--files", "200",
        ])
        .args([
            "--client-id",
            "X",
            "--client-secret",
            "Y",
            "--rotation",
            "strict",
        ])
        .args(["--rate-limit-per-minute", "60"])
        .args(["--fault-latency-ms", &LATENCY_MS.to_string()])
        .args([
            "--fault-bandwidth-kbps",
            "800",
            "--fault-download-cuts",
            "2",
        ])
        .args([
            "--fault-download-cut-after-bytes",
            "300",
            "--fault-download-cut-stalls",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("box-sandbox runs");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    (server, first)
}

async fn token_call(base: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth2/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn authorize_url(base: &str, client_id: &str, redirect: &str) -> String {
    let mut url = url::Url::parse(&format!("{base}/api/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "s");
    url.to_string()
}

/// Sign in as `login` with client X/Y; returns (access, refresh).
async fn login(base: &str, login: &str) -> (String, String) {
    let (redirect, _task) = callback_server().await;
    let body = sign_in(&authorize_url(base, "X", &redirect), Decision::Allow, login)
        .await
        .unwrap();
    let code = query_map(&body)["code"].clone();
    let (status, pair) = token_call(
        base,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "X"),
            ("client_secret", "Y"),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    (
        pair["access_token"].as_str().unwrap().to_string(),
        pair["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn api(base: &str, token: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_binary_announces_its_url_first_and_honours_its_flags() {
    let (_server, first) = tokio::task::spawn_blocking(spawn).await.unwrap();
    let first = first.trim_end_matches('\n');
    let port: u16 = first
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("first line: {first:?}"));
    assert_ne!(port, 0);
    let base = format!("http://127.0.0.1:{port}");

    // --seed, --files: the ground truth says so.
    let truth: Value = reqwest::get(format!("{base}/_sandbox/ground-truth"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (truth["seed"].as_u64(), truth["files_total"].as_u64()),
        (Some(7), Some(200))
    );

    // --client-id/--client-secret: the default client is unknown, a wrong secret fails.
    let page = reqwest::get(authorize_url(
        &base,
        "sandbox-client",
        "http://127.0.0.1:1/callback",
    ))
    .await
    .unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("invalid_client"));
    for (id, secret) in [("sandbox-client", "sandbox-secret"), ("X", "not-Y")] {
        let (status, body) = token_call(
            &base,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "r"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_client"))
        );
    }
    let (admin, rt) = login(&base, "admin").await;

    // --fault-latency-ms: set at start, visible in the control surface and in timing.
    let faults: Value = reqwest::get(format!("{base}/_sandbox/faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["latency_ms"], LATENCY_MS);
    // The download faults likewise (their effect: tests/items.rs).
    assert_eq!(
        (
            &faults["bandwidth_kbps"],
            &faults["download_cuts"],
            &faults["download_cut_after_bytes"],
            &faults["download_cut_stalls"]
        ),
        (&json!(800), &json!(2), &json!(300), &json!(true))
    );
    let t = Instant::now();
    let (status, users) = api(&base, &admin, "/2.0/users?limit=1000").await;
    assert!(t.elapsed() >= Duration::from_millis(LATENCY_MS));
    // --users: the admin and co-admins are among the 5 managed users.
    assert_eq!((status, users["total_count"].as_u64()), (200, Some(5)));
    reqwest::Client::new()
        .post(format!("{base}/_sandbox/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();

    // --rotation strict: a used refresh token is dead at once.
    let refresh = |rt: String| {
        let base = base.clone();
        async move {
            token_call(
                &base,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("client_id", "X"),
                    ("client_secret", "Y"),
                ],
            )
            .await
        }
    };
    assert_eq!(refresh(rt.clone()).await.0, 200);
    assert_eq!(refresh(rt).await.1["error"], "invalid_grant");

    // --rate-limit-per-minute 60, for a user who has made no call yet.
    let (user, _) = login(&base, "user").await;
    let started = Instant::now();
    let mut ok = 0;
    loop {
        let (status, _) = api(&base, &user, "/2.0/users/me").await;
        if status == 429 {
            break;
        }
        assert_eq!(status, 200);
        ok += 1;
        assert!(ok <= 200, "no 429 after {ok} calls");
    }
    let refilled = started.elapsed().as_secs() as u32 + 1;
    assert!((60..=60 + refilled).contains(&ok), "{ok} calls before 429");
}
