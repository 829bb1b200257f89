//! Governance through the real `box-connector-cli` against a real sandbox,
//! as an admin would use it: turn governance on, find the public links on
//! files holding card numbers, preview (nothing sent), confirm, rescan and
//! see the findings close, read and export the audit log. And a process
//! killed between Box's answer and the audit's record: the next command
//! finishes the action from what Box says, without a second change.
//! Run under `scripts/with-keyring.sh` (real Secret Service).

mod connect_support;

use std::collections::BTreeSet;

use box_sandbox::SandboxConfig;
use connect_support::{describe, require_keyring, run, stdout_json, TestSandbox, World};
use connector_core::auth::failpoint;

fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        users: 10,
        files: 400,
        history_days: 2,
        reads_per_user_per_day: 0.0,
        activity_per_second: 0.0,
        auto_approve: true,
        ..SandboxConfig::default()
    }
}

async fn cli_ok(world: &World, sandbox: &TestSandbox, args: &[&str]) -> std::process::Output {
    let mut cmd = world.cli(sandbox, "");
    cmd.args(args);
    let out = run(cmd).await;
    assert!(out.status.success(), "{args:?}: {}", describe(&out));
    out
}

async fn governed(sandbox: &TestSandbox, name: &str) -> World {
    let world = World::new(name);
    cli_ok(&world, sandbox, &["connect", "--datacenter", "sandbox"]).await;
    cli_ok(&world, sandbox, &["governance", "on"]).await;
    cli_ok(&world, sandbox, &["scan", "--until-idle"]).await;
    world
}

/// Public links on files holding card numbers, as `findings --json` lists them.
async fn card_links(world: &World, sandbox: &TestSandbox) -> Vec<serde_json::Value> {
    let out = cli_ok(
        world,
        sandbox,
        &[
            "--json",
            "findings",
            "--kind",
            "public_link",
            "--file-has",
            "credit_card",
            "--limit",
            "1000",
        ],
    )
    .await;
    stdout_json(&out).as_array().cloned().unwrap_or_default()
}

fn unshares(sandbox: &TestSandbox) -> usize {
    let world = sandbox.handle.state().world.read().unwrap();
    world
        .events
        .entries
        .iter()
        .filter(|e| e.kind == box_sandbox::events::EventKind::Unshare)
        .count()
}

fn link_puts(sandbox: &TestSandbox) -> u64 {
    let stats = sandbox.handle.state().stats.lock().unwrap();
    ["PUT /2.0/files/{file_id}", "PUT /2.0/folders/{folder_id}"]
        .iter()
        .map(|k| stats.by_endpoint.get(*k).copied().unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_removes_the_public_links_on_card_files_and_the_findings_close() {
    require_keyring();
    let sandbox = TestSandbox::start(sandbox_config()).await;
    let world = governed(&sandbox, "govern-cli").await;
    let findings = card_links(&world, &sandbox).await;
    assert!(
        !findings.is_empty(),
        "the sandbox plants cards behind open links"
    );
    // The items whose links reach those files (a file's own, or a folder's).
    let mut items = BTreeSet::new();
    for f in &findings {
        let t = f["reached_via"].as_str().unwrap_or_default();
        let via = sqlx_free_via(&world, f["finding_id"].as_i64().unwrap()).await;
        assert!(!t.is_empty());
        items.insert(via);
    }

    let puts = link_puts(&sandbox);
    for (item_type, item_id) in &items {
        let mut args = vec!["act", "remove-link", item_id.as_str()];
        if item_type == "folder" {
            args.push("--folder");
        }
        // Without --yes: the preview, and nothing sent.
        let out = cli_ok(&world, &sandbox, &args).await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Will change") && text.contains("Nothing was sent"),
            "{text}"
        );
    }
    assert_eq!(link_puts(&sandbox), puts, "previews send no change");
    for (item_type, item_id) in &items {
        let mut args = vec!["--json", "act", "remove-link", item_id.as_str(), "--yes"];
        if item_type == "folder" {
            args.push("--folder");
        }
        let out = cli_ok(&world, &sandbox, &args).await;
        let entries = stdout_json(&out);
        assert_eq!(entries[0]["state"], "done", "{entries}");
        assert_eq!(entries[0]["before"]["shared_link"]["access"], "open");
        assert!(entries[0]["after"]["shared_link"].is_null());
    }
    assert_eq!(
        link_puts(&sandbox),
        puts + items.len() as u64,
        "one change per item"
    );
    cli_ok(&world, &sandbox, &["scan", "--until-idle"]).await;
    assert!(
        card_links(&world, &sandbox).await.is_empty(),
        "the findings closed"
    );

    let out = cli_ok(&world, &sandbox, &["--json", "audit"]).await;
    assert_eq!(stdout_json(&out).as_array().unwrap().len(), items.len());
    let csv = world.dir.path().join("audit.csv");
    cli_ok(
        &world,
        &sandbox,
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    )
    .await;
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), items.len() + 1, "{text}");
    assert!(!text.contains("/s/"), "no link URL in the export");
}

/// The item whose link a finding is reached through.
async fn sqlx_free_via(world: &World, finding_id: i64) -> (String, String) {
    use sqlx::{Connection, Row};
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(
            world
                .data_dir()
                .join(connector_core::store::DATABASE_FILE_NAME),
        )
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let row = sqlx::query("SELECT via_item_type, via_item_id FROM findings WHERE finding_id = ?")
        .bind(finding_id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_between_sending_and_recording_is_finished_without_a_second_change() {
    require_keyring();
    let sandbox = TestSandbox::start(sandbox_config()).await;
    let world = governed(&sandbox, "govern-crash").await;
    let out = cli_ok(
        &world,
        &sandbox,
        &[
            "--json",
            "findings",
            "--kind",
            "public_link",
            "--limit",
            "1000",
        ],
    )
    .await;
    let own = stdout_json(&out)
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["reached_via"]
                .as_str()
                .unwrap_or_default()
                .starts_with("its own")
        })
        .cloned()
        .expect("a file with its own open link");
    let file = own["file_id"].as_str().unwrap().to_owned();
    let (unshares_before, puts_before) = (unshares(&sandbox), link_puts(&sandbox));

    let mut cmd = world.cli(&sandbox, "");
    cmd.env(failpoint::ENV, failpoint::AFTER_SEND_BEFORE_RECORD)
        .args(["act", "remove-link", &file, "--yes"]);
    let crashed = run(cmd).await;
    assert!(
        !crashed.status.success(),
        "the failpoint aborts: {}",
        describe(&crashed)
    );
    assert_eq!(
        unshares(&sandbox),
        unshares_before + 1,
        "Box made the change"
    );

    // The next command finds the unfinished entry and finishes it from Box.
    let out = cli_ok(&world, &sandbox, &["--json", "audit"]).await;
    let log = stdout_json(&out);
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["state"], "done", "{log}");
    assert_eq!(entries[0]["recovered"], true);
    assert_eq!(unshares(&sandbox), unshares_before + 1, "no second change");
    assert_eq!(link_puts(&sandbox), puts_before + 1, "no second request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_policy_raises_alerts_and_acts_only_where_the_admin_opted_in() {
    require_keyring();
    let sandbox = TestSandbox::start(sandbox_config()).await;
    let world = governed(&sandbox, "govern-policy").await;
    let matching = card_links(&world, &sandbox).await.len();
    assert!(matching > 0);
    let rule = ["--kind", "public_link", "--file-has", "credit_card"];

    // A dry run counts what the rule matches today, and raises nothing.
    let mut args = vec!["--json", "policy", "test"];
    args.extend(rule);
    let dry = stdout_json(&cli_ok(&world, &sandbox, &args).await);
    assert_eq!(dry["matched"], matching as u64, "{dry}");

    // An alerting rule: alerts, no change in Box.
    let puts = link_puts(&sandbox);
    let mut args = vec!["policy", "add", "Card links"];
    args.extend(rule);
    cli_ok(&world, &sandbox, &args).await;
    let alerts = stdout_json(&cli_ok(&world, &sandbox, &["--json", "policy", "run"]).await);
    assert_eq!(alerts.as_array().unwrap().len(), matching, "{alerts}");
    assert!(alerts
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["audit_id"].is_null()));
    assert_eq!(
        link_puts(&sandbox),
        puts,
        "an alerting rule changes nothing"
    );
    // Once per finding: running again raises none.
    let again = stdout_json(&cli_ok(&world, &sandbox, &["--json", "policy", "run"]).await);
    assert!(again.as_array().unwrap().is_empty(), "{again}");

    // A rule the admin set to act: each match is fixed, and recorded.
    let mut args = vec![
        "policy",
        "add",
        "Card links, fixed",
        "--action",
        "remove-link",
        "--auto-act",
    ];
    args.extend(rule);
    cli_ok(&world, &sandbox, &args).await;
    let acted = stdout_json(&cli_ok(&world, &sandbox, &["--json", "policy", "run"]).await);
    let acted = acted.as_array().unwrap();
    assert_eq!(acted.len(), matching);
    assert!(acted.iter().all(|a| a["audit_id"].is_i64()), "{acted:?}");
    assert!(link_puts(&sandbox) > puts);
    cli_ok(&world, &sandbox, &["scan", "--until-idle"]).await;
    assert!(card_links(&world, &sandbox).await.is_empty());
    let log = stdout_json(&cli_ok(&world, &sandbox, &["--json", "audit"]).await);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| e["policy_id"].is_i64() && e["state"] != "failed"),
        "{log}"
    );
}
