//! The hostile corpus (`box_connector_e2e::hostile`) uploaded by an ordinary
//! user while the scan runs: every file ends with a state that says why,
//! the scan completes and goes on to find the next ordinary card number,
//! the readers' memory stays bounded, no reader process outlives the scan,
//! and a restart on the same store scans on without a crash.

use std::sync::Arc;
use std::time::Duration;

use box_connector_e2e::hostile;
use box_connector_e2e::readers::{live_readers, PeakSampler};
use box_connector_e2e::scan::*;
use connector_core::events::{EventFeed, EventsConfig};
use connector_core::scan::{CancellationToken, ScanConfig};

/// What the flate bomb and the huge string inflate to, and the readers'
/// memory limit below it.
const BOMB_MB: usize = 512;
const READER_MEMORY_MB: u64 = 192;

fn hostile_config() -> ScanConfig {
    let mut config = quick_config();
    config.content.readers.max_memory_mb = READER_MEMORY_MB;
    config.content.limits.timeout = Duration::from_secs(5);
    // A reader that hangs is tried again once, then set aside.
    config.max_attempts = 2;
    config
}

async fn file_state(
    store: &connector_core::store::Store,
    file_id: &str,
) -> (Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT inspect_state, inspect_code FROM files WHERE connection_id = ? AND file_id = ?",
    )
    .bind(CONNECTION)
    .bind(file_id)
    .fetch_optional(store.pool())
    .await
    .unwrap()
    .unwrap_or((None, None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_corpus_uploaded_mid_scan_costs_each_file_itself_never_the_scan() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let user = {
        let world = sb.state().world.read().unwrap();
        let index = world.ent.find_login("user").expect("an ordinary user");
        (box_sandbox::enterprise::USER_ID_BASE + u64::from(index)).to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let scan = Arc::new(scanner(&client, &store, &me, hostile_config()));
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
    let sampler = PeakSampler::start("box-connector");
    let stop = CancellationToken::new();
    let running = {
        let (scan, stop) = (scan.clone(), stop.clone());
        tokio::spawn(async move { scan.run(false, stop).await })
    };

    // Mid-scan, an ordinary user uploads the corpus, then a card number.
    let corpus = hostile::corpus(BOMB_MB);
    let mut uploaded = Vec::new();
    for file in &corpus {
        uploaded.push(upload(&sb, &user, file.name, &file.bytes).await);
    }
    let card = upload(
        &sb,
        &user,
        "after-the-corpus.txt",
        b"Card on file: 4111 1111 1111 1111, exp 04/29.\n",
    )
    .await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            !running.is_finished(),
            "the scanner stopped: {:?}",
            running.await
        );
        feed.poll_live_once().await.unwrap();
        scan.waker().notify_one();
        let mut settled = 0;
        for id in uploaded.iter().chain([&card]) {
            if file_state(&store, id).await.0.is_some() || failed(&store, id).await.is_some() {
                settled += 1;
            }
        }
        if settled == uploaded.len() + 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{settled} of {} files settled",
            uploaded.len() + 1
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for (file, id) in corpus.iter().zip(&uploaded) {
        let (state, code) = file_state(&store, id).await;
        let set_aside = failed(&store, id).await;
        let got = match state.as_deref() {
            Some("inspected") => None,
            _ => code.clone(),
        };
        assert!(
            file.expect.contains(&got.as_deref()) || set_aside.is_some(),
            "{}: state {state:?} code {code:?} (expected one of {:?}); queue: {set_aside:?}",
            file.name,
            file.expect
        );
        eprintln!("{}: {state:?} {code:?} {set_aside:?}", file.name);
    }
    let findings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM findings WHERE connection_id = ? AND file_id = ? \
         AND detector = 'credit_card' AND closed_at IS NULL",
    )
    .bind(CONNECTION)
    .bind(&card)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(
        findings, 1,
        "the ordinary card file after the corpus is found"
    );

    // The readers stayed inside their limits (each its own program's
    // mapping on top), all of them together.
    let (readers, together) = sampler.stop();
    let children = hostile_config().content.readers.children as f64;
    eprintln!("readers' peak RSS together: {readers:.0} MiB, with the test: {together:.0} MiB");
    assert!(
        readers < children * (READER_MEMORY_MB as f64 + 64.0),
        "{readers:.0} MiB"
    );

    stop.cancel();
    running.await.unwrap().unwrap();
    drop(scan);
    for _ in 0..50 {
        if live_readers("box-connector") == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        live_readers("box-connector"),
        0,
        "no reader outlives its scanner"
    );

    // A restart on the same store: every hostile file is read again from
    // scratch (nothing transient was kept), and it goes on to idle.
    let again = scanner(&client, &store, &me, hostile_config());
    store.retry_failed(CONNECTION).await.unwrap();
    run_to_idle(&again, 1).await;
    sb.stop().await;
}

/// The queue's `failed` row for a file, with its last error.
async fn failed(store: &connector_core::store::Store, file_id: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT last_error FROM scan_queue WHERE connection_id = ? AND item_id = ? AND state = 'failed'",
    )
    .bind(CONNECTION)
    .bind(file_id)
    .fetch_optional(store.pool())
    .await
    .unwrap()
    .flatten()
}

/// Broken files at random: ordinary documents with a card number, cut short,
/// with bytes flipped or chunks repeated, and the corpus among them. The
/// scan ends, every file says what became of it, and the intact card files
/// are all found. `scripts/soak.sh` raises `HOSTILE_SOAK_FILES`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_random_mix_of_broken_files_never_stops_the_scan() {
    let files: usize = std::env::var("HOSTILE_SOAK_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let card = "Card on file: 4111 1111 1111 1111, exp 04/29.";
    let sound: Vec<(&str, Vec<u8>)> = vec![
        ("memo.docx", hostile::docx_with(card)),
        ("report.pdf", hostile::pdf_with(card)),
        ("notes.txt", card.as_bytes().to_vec()),
    ];
    let corpus = hostile::corpus(64);
    let (mut uploaded, mut intact_cards) = (Vec::new(), Vec::new());
    for i in 0..files {
        let (name, mut bytes) = match next() % 4 {
            0 => {
                let h = &corpus[next() as usize % corpus.len()];
                (h.name.to_owned(), h.bytes.clone())
            }
            _ => {
                let (name, bytes) = &sound[next() as usize % sound.len()];
                (name.to_string(), bytes.clone())
            }
        };
        let intact = match next() % 4 {
            0 if !bytes.is_empty() => {
                let at = next() as usize % bytes.len();
                bytes.truncate(at);
                false
            }
            1 if !bytes.is_empty() => {
                for _ in 0..1 + next() % 16 {
                    let at = next() as usize % bytes.len();
                    bytes[at] ^= 1 << (next() % 8);
                }
                false
            }
            2 if bytes.len() > 64 => {
                let at = next() as usize % (bytes.len() - 32);
                let chunk = bytes[at..at + 32].to_vec();
                bytes.splice(
                    at..at,
                    chunk
                        .iter()
                        .cycle()
                        .take(32 * (1 + next() as usize % 64))
                        .copied(),
                );
                false
            }
            _ => true,
        };
        let name = format!("{i:03}-{name}");
        let id = upload(&sb, &me.id, &name, &bytes).await;
        if intact && sound.iter().any(|(n, b)| name.ends_with(n) && *b == bytes) {
            intact_cards.push(id.clone());
        }
        uploaded.push((name, id));
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open_store_in(dir.path()).await;
    let mut config = hostile_config();
    // A mangled file that makes its reader spin is stopped sooner.
    config.content.limits.timeout = Duration::from_secs(2);
    let started = std::time::Instant::now();
    let scan = scanner(&client, &store, &me, config);
    run_to_idle(&scan, 1).await;
    eprintln!("scanned in {:.1} s", started.elapsed().as_secs_f64());
    for (name, id) in &uploaded {
        let (state, _) = file_state(&store, id).await;
        assert!(
            state.is_some() || failed(&store, id).await.is_some(),
            "{name} has no state"
        );
    }
    for id in &intact_cards {
        let found: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM findings WHERE connection_id = ? AND file_id = ? \
             AND detector = 'credit_card' AND closed_at IS NULL",
        )
        .bind(CONNECTION)
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(found, 1, "intact card file {id}");
    }
    eprintln!(
        "{} broken and hostile files, {} intact card files found",
        uploaded.len() - intact_cards.len(),
        intact_cards.len()
    );
    drop(scan);
    sb.stop().await;
}

/// Files in flight are bounded by their bytes: with a budget that holds one
/// file, one at a time; with the default, many at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_budget_bounds_the_files_read_at_once() {
    let sb = start_sandbox(small_enterprise()).await;
    let (client, _requests, me) = client_for(&sb, "admin").await;
    let mut peaks = Vec::new();
    for budget in [1u64, 1 << 30] {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store_in(dir.path()).await;
        let mut config = quick_config();
        config.content.memory_budget_bytes = budget;
        let scan = scanner(&client, &store, &me, config);
        run_to_idle(&scan, 1).await;
        let counts = store.inspection_counts(CONNECTION).await.unwrap();
        assert!(counts.downloads > 10, "{counts:?}");
        peaks.push(scan.content_peak_in_flight());
    }
    assert_eq!(peaks[0], 1, "a budget of one file reads one at a time");
    assert!(
        peaks[1] > 1,
        "the default budget reads several at once: {peaks:?}"
    );
    sb.stop().await;
}
