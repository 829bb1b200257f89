//! Findings over time, against the sandbox through Box's own write API: a
//! link, a folder's link and an external collaborator each open a finding
//! when their live event is rescanned, and close it (history kept, with the
//! scans that opened and closed it) once Box says they are gone. A second
//! walk of everything downloads nothing: every content is known by sha1.

use std::sync::Arc;
use std::time::Duration;

use box_connector_e2e::scan::*;
use connector_core::box_api::{BoxClient, RequestOptions};
use connector_core::events::{EventFeed, EventsConfig};
use connector_core::scan::{CancellationToken, Scanner};
use connector_core::store::Store;
use serde_json::{json, Value};

struct Live {
    feed: EventFeed,
    scan: Arc<Scanner>,
    stop: CancellationToken,
    running: tokio::task::JoinHandle<Result<(), connector_core::UserError>>,
}

impl Live {
    async fn start(client: &Arc<BoxClient>, store: &Store, scan: Arc<Scanner>) -> Live {
        let feed = EventFeed::new(
            client.clone(),
            store.clone(),
            CONNECTION.into(),
            EventsConfig {
                backfill_days: 1,
                ..EventsConfig::default()
            },
            connector_core::clock::SharedClock::system(),
        );
        feed.start().await.unwrap();
        let stop = CancellationToken::new();
        let running = {
            let (scan, stop) = (scan.clone(), stop.clone());
            tokio::spawn(async move { scan.run(false, stop).await })
        };
        Live {
            feed,
            scan,
            stop,
            running,
        }
    }

    /// Reads the live stream and wakes the scanner, until `done` holds.
    async fn until<F, Fut>(&self, what: &str, mut done: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                self.feed.poll_live_once().await.unwrap();
                self.scan.waker().notify_one();
                if done().await {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
    }

    async fn stop(self) {
        self.stop.cancel();
        self.running.await.unwrap().unwrap();
    }
}

#[derive(Debug, sqlx::FromRow)]
struct Finding {
    finding_id: i64,
    severity: String,
    reached_via: String,
    closed_at: Option<i64>,
    opened_scan_id: Option<i64>,
    closed_scan_id: Option<i64>,
}

async fn finding(store: &Store, file_id: &str, kind: &str, via_key: &str) -> Option<Finding> {
    sqlx::query_as(
        "SELECT finding_id, severity, reached_via, closed_at, opened_scan_id, closed_scan_id
         FROM findings WHERE connection_id = ? AND file_id = ? AND kind = ? AND via_key = ?
         ORDER BY finding_id DESC LIMIT 1",
    )
    .bind(CONNECTION)
    .bind(file_id)
    .bind(kind)
    .bind(via_key)
    .fetch_optional(store.pool())
    .await
    .unwrap()
}

async fn history(store: &Store, finding_id: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT change FROM finding_history WHERE finding_id = ? ORDER BY id")
        .bind(finding_id)
        .fetch_all(store.pool())
        .await
        .unwrap()
}

async fn open_findings(store: &Store, file_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM findings WHERE connection_id = ? AND file_id = ? AND closed_at IS NULL",
    )
    .bind(CONNECTION)
    .bind(file_id)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

async fn put(client: &BoxClient, path: &str, body: Value, as_user: &str) {
    let _: Value = client
        .send_json(
            reqwest::Method::PUT,
            path,
            Some(&body),
            &RequestOptions::default().as_user(as_user),
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
}

/// A scanned file nothing exposes yet, with its owner.
async fn quiet_file(store: &Store) -> (String, String) {
    sqlx::query_as(
        "SELECT f.file_id, f.owner_id FROM files f
         WHERE f.connection_id = ?1 AND f.last_scanned_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM findings x WHERE x.connection_id = ?1
                           AND x.file_id = f.file_id AND x.closed_at IS NULL)
         ORDER BY f.file_id LIMIT 1",
    )
    .bind(CONNECTION)
    .fetch_one(store.pool())
    .await
    .expect("a file with no findings")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_and_an_external_collaborator_open_findings_that_close_when_box_says_they_are_gone()
{
    let sb = start_sandbox(small_enterprise()).await;
    let (client, requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = Arc::new(scanner(&client, &store, &me, quick_config()));
    run_to_idle(&scan, 1).await;
    let live = Live::start(&client, &store, scan.clone()).await;

    // A link that allows editing: the most severe exposure.
    let (file, owner) = quiet_file(&store).await;
    put(
        &client,
        &format!("/files/{file}"),
        json!({"shared_link": {"access": "open", "permissions": {"can_download": true, "can_edit": true}}}),
        &owner,
    )
    .await;
    let key = format!("link:file:{file}");
    live.until("the public link's finding", || async {
        finding(&store, &file, "public_link", &key)
            .await
            .is_some_and(|f| f.closed_at.is_none())
    })
    .await;
    let opened = finding(&store, &file, "public_link", &key).await.unwrap();
    assert_eq!(opened.severity, "critical", "{opened:?}");
    assert!(
        opened.reached_via.contains("its own open link"),
        "{opened:?}"
    );

    put(
        &client,
        &format!("/files/{file}"),
        json!({"shared_link": null}),
        &owner,
    )
    .await;
    live.until("the public link's finding closes", || async {
        finding(&store, &file, "public_link", &key)
            .await
            .is_some_and(|f| f.closed_at.is_some())
    })
    .await;
    let closed = finding(&store, &file, "public_link", &key).await.unwrap();
    assert_eq!(closed.finding_id, opened.finding_id, "the same row closes");
    assert!(closed.closed_scan_id.is_some() && closed.closed_scan_id != closed.opened_scan_id);
    let changes = history(&store, closed.finding_id).await;
    assert_eq!(changes.first().map(String::as_str), Some("opened"));
    assert_eq!(changes.last().map(String::as_str), Some("closed"));
    assert_eq!(open_findings(&store, &file).await, 0);

    // An editor from outside the enterprise.
    let collab: Value = client
        .send_json(
            reqwest::Method::POST,
            "/collaborations",
            Some(&json!({
                "item": {"type": "file", "id": file},
                "accessible_by": {"type": "user", "login": "outsider@elsewhere.example"},
                "role": "editor"
            })),
            &RequestOptions::default().as_user(&owner),
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    let collab_id = collab["id"].as_str().unwrap().to_owned();
    let key = format!("collab:{collab_id}");
    live.until("the external collaborator's finding", || async {
        finding(&store, &file, "external_collaborator", &key)
            .await
            .is_some_and(|f| f.closed_at.is_none())
    })
    .await;
    let external = finding(&store, &file, "external_collaborator", &key)
        .await
        .unwrap();
    assert_eq!(external.severity, "high");
    assert!(
        external
            .reached_via
            .contains("outsider@elsewhere.example (editor"),
        "{external:?}"
    );
    client
        .send_empty(
            reqwest::Method::DELETE,
            &format!("/collaborations/{collab_id}"),
            &RequestOptions::default().as_user(&owner),
        )
        .await
        .unwrap();
    live.until("the external collaborator's finding closes", || async {
        finding(&store, &file, "external_collaborator", &key)
            .await
            .is_some_and(|f| f.closed_at.is_some())
    })
    .await;
    live.stop().await;

    // A new walk of every tree finds every content already inspected.
    let contents_before = content_requests(&requests);
    store
        .start_generation(
            CONNECTION,
            connector_core::store::Millis::from(chrono::Utc::now()),
        )
        .await
        .unwrap();
    run_to_idle(&scan, 1).await;
    assert_eq!(
        content_requests(&requests),
        contents_before,
        "a rescan of unchanged files downloads nothing"
    );
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_link_reaches_every_file_inside_and_closes_with_it() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = Arc::new(scanner(&client, &store, &me, quick_config()));
    run_to_idle(&scan, 1).await;

    // A folder without a link whose files (directly inside) nothing exposes.
    let (folder, owner): (String, String) = sqlx::query_as(
        "SELECT d.folder_id, d.owner_id FROM folders d
         WHERE d.connection_id = ?1 AND d.folder_id NOT LIKE 'root:%' AND d.shared_link IS NULL
           AND d.owner_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM files f WHERE f.connection_id = ?1 AND f.parent_id = d.folder_id)
           AND NOT EXISTS (SELECT 1 FROM files f JOIN findings x ON x.file_id = f.file_id
                           WHERE f.connection_id = ?1 AND f.parent_id = d.folder_id
                             AND x.kind = 'public_link' AND x.closed_at IS NULL)
         ORDER BY d.folder_id LIMIT 1",
    )
    .bind(CONNECTION)
    .fetch_one(store.pool())
    .await
    .expect("a quiet folder");
    let inside: Vec<String> = sqlx::query_scalar(
        "WITH RECURSIVE under(id) AS (SELECT ?2 UNION SELECT f.folder_id FROM folders f
             JOIN under ON f.parent_id = under.id WHERE f.connection_id = ?1)
         SELECT file_id FROM files WHERE connection_id = ?1 AND parent_id IN (SELECT id FROM under)",
    )
    .bind(CONNECTION)
    .bind(&folder)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(!inside.is_empty());

    let live = Live::start(&client, &store, scan.clone()).await;
    put(
        &client,
        &format!("/folders/{folder}"),
        json!({"shared_link": {"access": "open"}}),
        &owner,
    )
    .await;
    let key = format!("link:folder:{folder}");
    let open_under = |closed: bool| {
        let (store, key) = (store.clone(), key.clone());
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM findings WHERE connection_id = ? AND kind = 'public_link'
                 AND via_key = ? AND (closed_at IS NOT NULL) = ?",
            )
            .bind(CONNECTION)
            .bind(&key)
            .bind(closed)
            .fetch_one(store.pool())
            .await
            .unwrap()
        }
    };
    live.until("every file inside is public", || async {
        open_under(false).await == inside.len() as i64
    })
    .await;
    let one = finding(&store, &inside[0], "public_link", &key)
        .await
        .unwrap();
    assert!(one.reached_via.contains("of folder"), "{one:?}");

    put(
        &client,
        &format!("/folders/{folder}"),
        json!({"shared_link": null}),
        &owner,
    )
    .await;
    live.until("they all close", || async {
        open_under(false).await == 0 && open_under(true).await == inside.len() as i64
    })
    .await;
    live.stop().await;
    sb.stop().await;
}

fn content_requests(requests: &Requests) -> u64 {
    requests
        .by_endpoint
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with("/content"))
        .map(|(_, n)| n)
        .sum()
}

/// A .docx whose one entry inflates to 20 MiB of zeros (ratio ≈ 1000).
fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..20 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_cost_themselves_a_visible_state_never_the_scan() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, requests, me) = client_for(&sb, "admin").await;
    let user = me.id.clone();
    let mut office_encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    office_encrypted.resize(4096, 0);
    let hostile = [
        ("bomb.docx", zip_bomb(), "zip_bomb"),
        ("locked.docx", office_encrypted, "password_protected"),
        (
            "broken.pdf",
            b"%PDF-1.4\n1 0 obj << /Type /Catalog".to_vec(),
            "corrupt",
        ),
        ("truncated.xlsx", zip_bomb()[..600].to_vec(), "corrupt"),
        ("firmware.bin", vec![0x7f; 2048], "unknown_type"),
    ];
    let mut ids = Vec::new();
    for (name, bytes, code) in &hostile {
        ids.push((upload(&sb, &user, name, bytes).await, *name, *code));
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = scanner(&client, &store, &me, quick_config());
    run_to_idle(&scan, 1).await;

    for (id, name, code) in &ids {
        let (state, got): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT inspect_state, inspect_code FROM files WHERE connection_id = ? AND file_id = ?",
        )
        .bind(CONNECTION)
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            (state.as_deref(), got.as_deref()),
            (Some("not_inspected"), Some(*code)),
            "{name}"
        );
        let history: Vec<String> = sqlx::query_scalar(
            "SELECT outcome FROM inspections WHERE connection_id = ? AND file_id = ?",
        )
        .bind(CONNECTION)
        .bind(id)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(history, ["not_inspected"], "{name}");
    }
    let reasons: std::collections::BTreeMap<String, u64> = store
        .not_inspected_reasons(CONNECTION)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (_, _, code) in &ids {
        assert!(
            reasons.get(*code).copied().unwrap_or(0) >= 1,
            "{code}: {reasons:?}"
        );
    }
    // The rest of the enterprise was inspected as usual.
    let depth = store.queue_depth(CONNECTION).await.unwrap();
    assert_eq!((depth.queued, depth.failed), (0, 0));
    let counts = store.inspection_counts(CONNECTION).await.unwrap();
    assert!(counts.files_inspected > 100, "{counts:?}");
    // One content request per downloaded content, and none for a type the
    // app cannot read (nothing of it was read).
    assert_eq!(content_requests(&requests), counts.downloads);
    let bin = &ids.iter().find(|i| i.1 == "firmware.bin").unwrap().0;
    let bin_bytes: i64 =
        sqlx::query_scalar("SELECT bytes FROM inspections WHERE connection_id = ? AND file_id = ?")
            .bind(CONNECTION)
            .bind(bin)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(bin_bytes, 0);
    sb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_is_inspected_again_from_its_event_and_its_findings_follow_it() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, requests, me) = client_for(&sb, "admin").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = Arc::new(scanner(&client, &store, &me, quick_config()));
    // A plain text file nothing is found in, owned by the admin.
    let file = upload(
        &sb,
        &me.id,
        "notes.txt",
        b"Minutes of the weekly meeting.\n",
    )
    .await;
    run_to_idle(&scan, 1).await;
    assert_eq!(open_findings(&store, &file).await, 0);
    let live = Live::start(&client, &store, scan.clone()).await;

    let before = content_requests(&requests);
    new_version(
        &sb,
        &me.id,
        &file,
        "notes.txt",
        b"Minutes. Card on file: 4111 1111 1111 1111, exp 04/29. Employee SSN 123-45-6789.\n",
    )
    .await;
    let card = |store: Store, file: String| async move {
        finding(&store, &file, "sensitive_content", "content").await
    };
    live.until("the new version's card and SSN", || async {
        open_findings(&store, &file).await == 2
    })
    .await;
    assert_eq!(
        content_requests(&requests) - before,
        1,
        "one download for the new content"
    );
    let samples: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT detector, masked_sample, confidence FROM findings
         WHERE connection_id = ? AND file_id = ? AND closed_at IS NULL ORDER BY detector",
    )
    .bind(CONNECTION)
    .bind(&file)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(samples.len(), 2);
    assert_eq!(samples[0].0, "credit_card");
    assert!(
        samples[0].1.ends_with("1111") && !samples[0].1.contains("4111"),
        "{samples:?}"
    );
    assert_eq!(samples[1].0, "us_ssn");
    assert_eq!(samples[1].1, "***-**-6789");
    assert!(samples.iter().all(|s| s.2 == "high"));

    // The next version is clean again: both close, history kept.
    new_version(
        &sb,
        &me.id,
        &file,
        "notes.txt",
        b"Minutes, nothing sensitive.\n",
    )
    .await;
    live.until("the findings close", || async {
        open_findings(&store, &file).await == 0
    })
    .await;
    let closed = card(store.clone(), file.clone()).await.unwrap();
    assert!(closed.closed_at.is_some());
    let changes = history(&store, closed.finding_id).await;
    assert_eq!(changes.first().map(String::as_str), Some("opened"));
    assert_eq!(changes.last().map(String::as_str), Some("closed"));
    let inspections: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM inspections WHERE connection_id = ? AND file_id = ? ORDER BY id",
    )
    .bind(CONNECTION)
    .bind(&file)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        inspections,
        ["inspected", "inspected", "inspected"],
        "each version once"
    );
    live.stop().await;
    sb.stop().await;
}
