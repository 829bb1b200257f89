//! What reading files in child processes costs (`make bench`).
//!
//! 1. Throughput: the same mix of small files (text, CSV, DOCX, PDF, each
//!    with sensitive values) read and detected in this process, then through
//!    warm children (`ExtractorPool`), at the same concurrency; files/s of
//!    each and the ratio (target: children within 10 % of in-process).
//! 2. Memory: 500 MB text files and the hostile corpus (flate bomb, huge
//!    shared string, self-drawing PDF …) read at once by the default pool
//!    (1024 MB per reader): this process's peak RSS plus the readers' (the
//!    largest reader's peak times the readers that ran at once), against
//!    the 1.5 GiB target.
//!
//! `cargo bench -p box-connector-e2e --bench isolation_bench [-- --rounds 5 --big-mb 500]`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use box_connector_e2e::hostile;
use box_connector_e2e::readers::PeakSampler;
use connector_core::inspect::detect::Engine;
use connector_core::inspect::extract::{file_type, Deadline, FileType, Limits};
use connector_core::inspect::isolation::{self, ExtractorPool, PoolConfig};
use connector_core::testing::arg;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

const PROSE: &str = "Quarterly review of the regional office: invoices, shipments and the \
    renewal of the vendor contract were approved by the budget committee. ";

/// The mix: text, CSV, DOCX and PDF of about `kb` KiB each, a card number
/// and an SSN with their keywords in every one.
fn write_mix(dir: &Path, per_type: usize, kb: usize) -> std::io::Result<Vec<(PathBuf, FileType)>> {
    let mut out = Vec::new();
    let body = |i: usize| {
        let mut text = format!(
            "Card on file 4111 1111 1111 1111 exp 04/29, SSN 123-45-{:04}\n",
            1000 + i
        );
        while text.len() < kb * 1024 {
            text.push_str(PROSE);
        }
        text
    };
    for i in 0..per_type {
        let text = body(i);
        let path = dir.join(format!("note-{i}.txt"));
        std::fs::write(&path, &text)?;
        out.push(path);
        let path = dir.join(format!("table-{i}.csv"));
        let csv: String = text
            .split(". ")
            .map(|s| format!("{i},\"{}\",ok\n", s.replace('"', "")))
            .collect();
        std::fs::write(&path, csv)?;
        out.push(path);
        let path = dir.join(format!("memo-{i}.docx"));
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path)?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", options)?;
        zip.write_all(b"<Types/>")?;
        zip.start_file("word/document.xml", options)?;
        zip.write_all(b"<w:document xmlns:w=\"w\"><w:body>")?;
        for line in text.split(". ") {
            write!(zip, "<w:p><w:r><w:t>{line}</w:t></w:r></w:p>")?;
        }
        zip.write_all(b"</w:body></w:document>")?;
        zip.finish()?;
        out.push(path);
        let path = dir.join(format!("report-{i}.pdf"));
        let shown: Vec<&str> = text.split(". ").take(400).collect();
        std::fs::write(&path, hostile::pdf_with(&shown.join(". ")))?;
        out.push(path);
    }
    Ok(out
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let ft = file_type(&name, &[]).expect("a readable type");
            (p, ft)
        })
        .collect())
}

/// Reads every file of `files`, `rounds` times over, `concurrency` at a
/// time, in this process: seconds taken and kinds found.
fn in_process(files: &[(PathBuf, FileType)], rounds: usize, concurrency: usize) -> (f64, usize) {
    let engine = Arc::new(Engine::new());
    let limits = Limits::default();
    let total = files.len() * rounds;
    let started = Instant::now();
    let found = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..concurrency)
            .map(|t| {
                let (engine, limits) = (engine.clone(), limits.clone());
                scope.spawn(move || {
                    let mut found = 0;
                    for (i, (path, ft)) in files.iter().cycle().take(total).enumerate() {
                        if i % concurrency == t {
                            let read = isolation::read_in_process(
                                &engine,
                                path,
                                *ft,
                                &limits,
                                &Deadline::never(),
                            )
                            .expect("the mix reads");
                            found += read.matches.len();
                        }
                    }
                    found
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    (started.elapsed().as_secs_f64(), found)
}

/// The same through the pool's warm children.
async fn in_children(
    pool: &Arc<ExtractorPool>,
    files: &[(PathBuf, FileType)],
    rounds: usize,
    concurrency: usize,
) -> Result<(f64, usize), BenchError> {
    let total = files.len() * rounds;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let pool = pool.clone();
        let mine: Vec<_> = files
            .iter()
            .cycle()
            .take(total)
            .enumerate()
            .filter(|(i, _)| i % concurrency == t)
            .map(|(_, f)| f.clone())
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut found = 0;
            for (path, ft) in mine {
                let read = pool.read(&path, ft, &Limits::default()).await;
                found += read.expect("the mix reads").matches.len();
            }
            found
        }));
    }
    let mut found = 0;
    for t in tasks {
        found += t.await?;
    }
    Ok((started.elapsed().as_secs_f64(), found))
}

/// In process and in children, alternated three times; the best pass of
/// each (the least disturbed by the rest of the machine) is compared.
async fn throughput(
    files: &[(PathBuf, FileType)],
    rounds: usize,
    concurrency: usize,
) -> Result<(), BenchError> {
    let pool = Arc::new(ExtractorPool::new(PoolConfig {
        children: concurrency,
        ..PoolConfig::default()
    }));
    // Warm: the children start before the clock does, as in a running scan.
    in_children(
        &pool,
        &files[..concurrency.min(files.len())],
        1,
        concurrency,
    )
    .await?;
    let (mut best_in, mut best_out) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let (t_in, found_in) = in_process(files, rounds, concurrency);
        let (t_out, found_out) = in_children(&pool, files, rounds, concurrency).await?;
        assert_eq!(found_in, found_out, "both ways find the same");
        best_in = best_in.min(t_in);
        best_out = best_out.min(t_out);
    }
    let total = files.len() * rounds;
    let (rate_in, rate_out) = (total as f64 / best_in, total as f64 / best_out);
    println!(
        "throughput, {total} files ({} distinct: text, CSV, DOCX, PDF of ~24 KiB), {concurrency} at once, \
         best of 3 alternated passes: in process {rate_in:.0} files/s, in warm children {rate_out:.0} \
         files/s = {:.3}× (target ≥ 0.90); {:.0} µs more per file",
        files.len(),
        rate_out / rate_in,
        (best_out - best_in) / total as f64 * 1e6 * concurrency as f64
    );
    Ok(())
}

async fn memory(dir: &Path, big_mb: usize) -> Result<(), BenchError> {
    let idle = status_mib("VmRSS");
    let mut files: Vec<(PathBuf, FileType)> = Vec::new();
    for i in 0..2 {
        let path = dir.join(format!("big-{i}.txt"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let line = format!("{PROSE}\n");
        let mut written = 0;
        let mut n = 0u64;
        while written < big_mb << 20 {
            if n.is_multiple_of(10_000) {
                writeln!(f, "Card on file 4111 1111 1111 1111 exp 04/29")?;
            }
            f.write_all(line.as_bytes())?;
            written += line.len();
            n += 1;
        }
        f.flush()?;
        files.push((path, FileType::Text));
    }
    for h in hostile::corpus(2048) {
        let path = dir.join(h.name);
        std::fs::write(&path, &h.bytes)?;
        if let Ok(ft) = file_type(h.name, &[]) {
            files.push((path, ft));
        }
    }
    let config = PoolConfig::default();
    let (children, limit) = (config.children, config.max_memory_mb);
    let pool = Arc::new(ExtractorPool::new(config));
    let started = Instant::now();
    // VmHWM is per process: the sum over the readers is sampled.
    let sampler = PeakSampler::start("isolation_bench");
    let tasks: Vec<_> = files
        .into_iter()
        .map(|(path, ft)| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let outcome = match pool.read(&path, ft, &Limits::default()).await {
                    Ok(read) => format!("read, {} kinds found", read.matches.len()),
                    Err(why) => why.code().to_owned(),
                };
                (name, outcome)
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await?);
    }
    let (readers, together) = sampler.stop();
    let own = status_mib("VmHWM");
    println!(
        "memory, two {big_mb} MB text files + the hostile corpus (2 GB flate bomb …), {children} readers \
         at {limit} MB each, {:.1} s: this process and its readers together peak at {together:.0} MiB \
         (sampled every 5 ms; target < 1536); this process alone {own:.0} MiB ({idle:.0} idle), the \
         readers together {readers:.0} MiB (worst case, every reader at its limit: {:.0} MiB)",
        started.elapsed().as_secs_f64(),
        own + (limit as f64) * children as f64
    );
    for (name, outcome) in outcomes {
        println!("    {name}: {outcome}");
    }
    Ok(())
}

fn main() -> Result<(), BenchError> {
    // This binary is its own reader, as the app and the CLI are.
    isolation::serve_if_requested();
    let rounds: usize = arg("--rounds", 5);
    let big_mb: usize = arg("--big-mb", 500);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let mix = write_mix(dir.path(), 25, 24)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        throughput(&mix, rounds, 1).await?;
        throughput(&mix, rounds, cores).await?;
        memory(dir.path(), big_mb).await
    })
}
