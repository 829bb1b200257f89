//! Governance through the real `box-connector-cli` against a real sandbox,
//! as an admin would use it: turn governance on, find the public links on
//! files holding card numbers, preview (nothing sent), confirm, rescan and
//! see the findings close, read and export the audit log. And a process
//! killed between Box's answer and the audit's record: the next command
//! finishes the action from what Box says, without a second change.
//! Run under `scripts/with-keyring.sh` (real Secret Service).

use std::collections::BTreeSet;

use box_connector_e2e::connect::{describe, require_keyring, run, stdout_json, TestSandbox, World};
use box_sandbox::SandboxConfig;
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

    // Reading the log sends nothing: the entry is shown unfinished.
    let requests = sandbox.handle.state().stats.lock().unwrap().total;
    let out = cli_ok(&world, &sandbox, &["--json", "audit"]).await;
    let log = stdout_json(&out);
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["state"], "sending", "{log}");
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
    assert_eq!(
        sandbox.handle.state().stats.lock().unwrap().total,
        requests,
        "audit and audit export send nothing to Box"
    );

    // `audit resume` finishes it from what Box says (the crashed process's
    // lease died with it).
    let out = cli_ok(&world, &sandbox, &["--json", "audit", "resume"]).await;
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

    // A rule the admin set to act does not act on what matches already:
    // it says so, and offers those matches as a bulk preview.
    let mut args = vec![
        "policy",
        "add",
        "Card links, fixed",
        "--action",
        "remove-link",
        "--auto-act",
    ];
    args.extend(rule);
    let added = cli_ok(&world, &sandbox, &args).await;
    let text = String::from_utf8_lossy(&added.stdout);
    assert!(text.contains("policy backlog"), "{text}");
    let acting = stdout_json(&cli_ok(&world, &sandbox, &["--json", "policy", "list"]).await)
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["auto_act"] == true)
        .unwrap()["policy_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let alerts = stdout_json(&cli_ok(&world, &sandbox, &["--json", "policy", "run"]).await);
    let alerts = alerts.as_array().unwrap();
    assert_eq!(alerts.len(), matching);
    assert!(
        alerts.iter().all(|a| a["audit_id"].is_null()
            && a["note"]
                .as_str()
                .is_some_and(|n| n.contains("before the policy was enabled"))),
        "{alerts:?}"
    );
    assert_eq!(link_puts(&sandbox), puts, "nothing acted on by itself");
    let backlog =
        stdout_json(&cli_ok(&world, &sandbox, &["--json", "policy", "backlog", &acting]).await);
    assert!(backlog["will_change"].as_u64().unwrap() > 0, "{backlog}");
    assert_eq!(link_puts(&sandbox), puts, "a preview sends nothing");
    let done = stdout_json(
        &cli_ok(
            &world,
            &sandbox,
            &["--json", "policy", "backlog", &acting, "--yes"],
        )
        .await,
    );
    assert_eq!(done["done"], backlog["will_change"], "{done}");
    assert_eq!(done["failed"], 0, "{done}");
    cli_ok(&world, &sandbox, &["scan", "--until-idle"]).await;
    assert!(card_links(&world, &sandbox).await.is_empty());
}

/// A token of `login`'s own, as the sandbox's OAuth would give it.
fn user_token(sandbox: &TestSandbox, login: &str) -> String {
    sandbox.handle.issue_tokens(login).access_token
}

/// `login` changes a file through Box's API (`PUT /files/{id}`).
async fn put_file(sandbox: &TestSandbox, login: &str, file_id: &str, body: serde_json::Value) {
    let resp = reqwest::Client::new()
        .put(format!("{}/2.0/files/{file_id}", sandbox.handle.base_url()))
        .bearer_auth(user_token(sandbox, login))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
}

/// Files holding card numbers with no link or collaborator of their own
/// (nor one on their folder), owned by plain users: (id, owner's login).
fn unshared_card_files(sandbox: &TestSandbox) -> Vec<(String, String)> {
    let t = sandbox.handle.ground_truth();
    let shared: BTreeSet<&str> = t
        .shared_links
        .iter()
        .map(|l| l.item_id.as_str())
        .chain(t.collaborations.iter().map(|c| c.item_id.as_str()))
        .collect();
    let world = sandbox.handle.state().world.read().unwrap();
    let ent = &world.ent;
    t.files
        .iter()
        .filter(|f| {
            f.planted
                .iter()
                .any(|p| p.kind == box_sandbox::content::SensitiveKind::CreditCard)
        })
        .filter(|f| !shared.contains(f.file_id.as_str()))
        .filter(|f| {
            let i = ent.parse_file_id(&f.file_id).unwrap();
            let folder = ent.files.parent[i as usize];
            ent.link_of(false, folder).is_none()
                && ent
                    .collabs_by_item
                    .get(&(false, folder))
                    .is_none_or(|c| c.is_empty())
        })
        .filter(|f| {
            ent.find_login(&f.owner_login).is_some_and(|o| {
                ent.accounts[o as usize].role == box_sandbox::enterprise::Role::User
            })
        })
        .map(|f| (f.file_id.clone(), f.owner_login.clone()))
        .collect()
}

fn has_link(sandbox: &TestSandbox, file_id: &str) -> bool {
    sandbox
        .handle
        .ground_truth()
        .shared_links
        .iter()
        .any(|l| l.item_type == "file" && l.item_id == file_id)
}

/// Stops a `scan --follow` as a service manager would (SIGTERM).
fn stop(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_headless_scanner_runs_the_acting_policies_on_new_findings_under_their_daily_cap() {
    require_keyring();
    let sandbox = TestSandbox::start(sandbox_config()).await;
    let world = governed(&sandbox, "govern-follow").await;
    cli_ok(
        &world,
        &sandbox,
        &["settings", "set", "scan.poll_interval_secs", "1"],
    )
    .await;
    let existing = card_links(&world, &sandbox).await.len();
    assert!(existing > 0);
    let card_files = unshared_card_files(&sandbox);
    assert!(card_files.len() >= 3, "{card_files:?}");
    cli_ok(
        &world,
        &sandbox,
        &[
            "policy",
            "add",
            "Card links, fixed",
            "--kind",
            "public_link",
            "--file-has",
            "credit_card",
            "--action",
            "remove-link",
            "--auto-act",
            "--daily-cap",
            "2",
        ],
    )
    .await;
    let puts = link_puts(&sandbox);

    // Only the headless scanner runs: no window, no `policy run`.
    let mut scan = world.cli(&sandbox, "");
    scan.args(["scan", "--follow"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut follower = scan.spawn().unwrap();
    // Its first evaluation sees the old matches (and leaves them alone).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let shared = &card_files[..3];
    let started = std::time::Instant::now();
    for (file, owner) in shared {
        put_file(
            &sandbox,
            owner,
            file,
            serde_json::json!({"shared_link": {"access": "open"}}),
        )
        .await;
    }
    let gone = |s: &TestSandbox| shared.iter().filter(|(f, _)| !has_link(s, f)).count();
    while gone(&sandbox) < 2 && started.elapsed() < std::time::Duration::from_secs(60) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let took = started.elapsed();
    // A little longer: the third must stay (the cap), whatever the timing.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    stop(&mut follower);
    assert_eq!(gone(&sandbox), 2, "two links removed, the third capped");
    assert!(
        took < std::time::Duration::from_secs(15),
        "removed {took:?} after the share (poll interval 1 s)"
    );
    assert_eq!(
        link_puts(&sandbox),
        puts + 3 + 2,
        "three shares, and the two removals: only new matches were acted on"
    );

    let alerts = stdout_json(&cli_ok(&world, &sandbox, &["--json", "policy", "alerts"]).await);
    let alerts = alerts.as_array().unwrap();
    let noted = |words: &str| {
        alerts
            .iter()
            .filter(|a| a["note"].as_str().is_some_and(|n| n.contains(words)))
            .count()
    };
    assert_eq!(alerts.iter().filter(|a| a["audit_id"].is_i64()).count(), 2);
    assert_eq!(noted("daily cap (2 actions"), 1, "{alerts:?}");
    assert_eq!(
        noted("before the policy was enabled"),
        existing,
        "{alerts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exports_show_hostile_names_and_logins_as_text() {
    require_keyring();
    let sandbox = TestSandbox::start(sandbox_config()).await;
    // A user whose login starts like a formula, and a file they name like one.
    let (file, owner) = unshared_card_files(&sandbox)[0].clone();
    let hostile_name = "=HYPERLINK(\"evil.example\",\"open me\").txt";
    put_file(
        &sandbox,
        &owner,
        &file,
        serde_json::json!({"name": hostile_name, "shared_link": {"access": "open"}}),
    )
    .await;
    let hostile_login = format!("=2+5@{}", owner.split_once('@').unwrap().1);
    {
        let mut world = sandbox.handle.state().world.write().unwrap();
        let i = world.ent.find_login(&owner).unwrap();
        world.ent.accounts[i as usize].login = hostile_login.clone();
    }
    let world = governed(&sandbox, "govern-csv").await;
    cli_ok(
        &world,
        &sandbox,
        &["--json", "act", "remove-link", &file, "--yes"],
    )
    .await;

    let findings = world.dir.path().join("findings.csv");
    let audit = world.dir.path().join("audit.csv");
    cli_ok(
        &world,
        &sandbox,
        &[
            "export",
            "--format",
            "csv",
            "--out",
            findings.to_str().unwrap(),
        ],
    )
    .await;
    cli_ok(
        &world,
        &sandbox,
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--out",
            audit.to_str().unwrap(),
        ],
    )
    .await;
    for path in [&findings, &audit] {
        let mut cells = Vec::new();
        for record in csv::Reader::from_path(path).unwrap().records() {
            cells.extend(record.unwrap().iter().map(str::to_owned));
        }
        let text = std::fs::read_to_string(path).unwrap();
        assert!(cells.iter().any(|c| c.contains(hostile_name)), "{text}");
        assert!(
            cells.contains(&format!("'{hostile_login}")),
            "the login is text in {}: {text}",
            path.display()
        );
        for cell in &cells {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {cell:?} in {}",
                path.display()
            );
        }
    }
}
