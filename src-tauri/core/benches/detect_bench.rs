//! Detector throughput on one core: a 200 MB mixed corpus (prose, CSV, logs,
//! code, sparse sensitive values) generated in the run, scanned by the
//! one-pass engine and by a baseline of one `regex` pass per detector fed to
//! the same validators and keyword confidence. Both must count the same.
//!
//! `cargo bench -p connector-core --bench detect_bench [-- MB]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_core::inspect::detect::{
    char_count, ChunkScanner, DetectorId, Engine, Report, ReportBuilder,
};

/// Appends one line of a kind of text.
type LineFn = fn(&mut Rng, &mut String);

/// xorshift64*: a fixed seed makes the same corpus every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| (b'0' + self.below(10) as u8) as char)
            .collect()
    }
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "had",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "report",
    "quarterly",
    "customer",
    "meeting",
    "project",
    "budget",
    "review",
    "schedule",
    "team",
    "policy",
    "document",
    "approval",
    "invoice",
    "shipment",
    "warehouse",
    "contract",
    "vendor",
    "analysis",
    "forecast",
    "revenue",
    "employee",
    "department",
    "training",
    "compliance",
];
const NAMES: &[&str] = &[
    "Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
];

fn prose_line(rng: &mut Rng, out: &mut String) {
    for s in 0..1 + rng.below(4) {
        let n = 6 + rng.below(14);
        for i in 0..n {
            let w = *rng.pick(WORDS);
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push_str(w);
            }
            if i + 1 < n {
                out.push_str(if rng.below(12) == 0 { ", " } else { " " });
            }
        }
        out.push_str(if s % 3 == 2 { "? " } else { ". " });
    }
    out.push('\n');
}

fn csv_line(rng: &mut Rng, out: &mut String) {
    let id = rng.below(10_000_000);
    let name = rng.pick(NAMES);
    let cents = rng.below(10_000_000);
    out.push_str(&format!(
        "{id},{name},{}.{:02},2026-{:02}-{:02},{},SKU-{},{}\n",
        cents / 100,
        cents % 100,
        1 + rng.below(12),
        1 + rng.below(28),
        rng.pick(&["paid", "open", "void", "late"]),
        rng.digits(6),
        rng.below(500),
    ));
}

fn log_line(rng: &mut Rng, out: &mut String) {
    out.push_str(&format!(
        "2026-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} [worker-{}] {} /api/2.0/files/{}/content {} {}ms req={:016x} ip=10.{}.{}.{}\n",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000),
        rng.pick(&["INFO", "WARN", "DEBUG", "ERROR"]),
        rng.below(16),
        rng.pick(&["GET", "PUT", "POST"]),
        rng.digits(10),
        rng.pick(&["200", "202", "404", "429"]),
        rng.below(3000),
        rng.next(),
        rng.below(256),
        rng.below(256),
        rng.below(256),
    ));
}

fn code_line(rng: &mut Rng, out: &mut String) {
    let lines = [
        "    let total = items.iter().map(|x| x.price * x.qty).sum::<u64>();\n",
        "    if (count > MAX_RETRIES) { return Err(Error::TooMany(count)); }\n",
        "fn parse_header(input: &str) -> Option<(String, usize)> {\n",
        "    // TODO: handle the -- separator and the -> arrow in old configs\n",
        "    for (i, row) in rows.enumerate() { sum += row[i] + 1; }\n",
        "const BUFFER_SIZE: usize = 64 * 1024; // Aligned to the page size\n",
        "    x = (a + b) * (c - d) / 2;  y += 0x1F; z = arr[idx - 1];\n",
        "import { useState, useEffect } from 'react';\n",
        "    assert_eq!(decode(\"AQID\"), vec![1, 2, 3]);\n",
        "}\n",
    ];
    let line = *rng.pick(&lines);
    out.push_str(line);
}

fn with_luhn(body: &str) -> String {
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|n| {
            let d: Vec<u8> = n.bytes().map(|b| b - b'0').collect();
            connector_core::inspect::detect::validators::luhn(&d)
        })
        .unwrap_or_default()
}

fn iban_for(country: &str, bban: &str) -> String {
    let mut rem = 0u32;
    for b in format!("{bban}{country}00").bytes() {
        let v = if b.is_ascii_digit() {
            (b - b'0') as u32
        } else {
            (b - b'A') as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    format!("{country}{:02}{bban}", 98 - rem)
}

/// One sensitive value (or near-miss), with or without its keyword.
fn planted_line(rng: &mut Rng, out: &mut String, planted: &mut [u64; 7]) {
    let keyword = rng.below(2) == 0;
    let k = rng.below(9);
    let (line, detector) = match k {
        0 => {
            let n = with_luhn(&format!("4{}", rng.digits(14)));
            let shown = if rng.below(2) == 0 {
                format!("{} {} {} {}", &n[..4], &n[4..8], &n[8..12], &n[12..])
            } else {
                n
            };
            (format!("{} {shown}", if keyword { "Visa card" } else { "ref" }), Some(DetectorId::CreditCard))
        }
        1 => (
            format!(
                "{} {:03}-{:02}-{:04}",
                if keyword { "SSN" } else { "no." },
                1 + rng.below(664),
                1 + rng.below(99),
                1 + rng.below(9999)
            ),
            Some(DetectorId::UsSsn),
        ),
        2 => (
            format!("{} {}", if keyword { "IBAN" } else { "to" }, iban_for("DE", &rng.digits(18))),
            Some(DetectorId::Iban),
        ),
        3 => (
            format!(
                "{} {}.{}@example.org",
                if keyword { "email" } else { "from" },
                rng.pick(NAMES).to_lowercase(),
                rng.below(1000)
            ),
            Some(DetectorId::Email),
        ),
        4 => (
            format!(
                "{} ({}{}) {}{}-{}",
                if keyword { "phone" } else { "at" },
                2 + rng.below(8),
                rng.digits(2),
                2 + rng.below(8),
                rng.digits(2),
                rng.digits(4)
            ),
            Some(DetectorId::Phone),
        ),
        5 => {
            let body: String = (0..16).map(|_| *rng.pick(&b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[..]) as char).collect();
            let line = if keyword {
                format!("aws_access_key_id = AKIA{body}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", rng.digits(10))
            } else {
                format!("id: AKIA{body}")
            };
            (line, Some(DetectorId::AwsAccessKey))
        }
        6 => (
            format!(
                "{}\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA{}\n-----END RSA PRIVATE KEY-----",
                if keyword { "ssh deploy key" } else { "blob" },
                rng.digits(40)
            ),
            Some(DetectorId::PrivateKey),
        ),
        7 => (format!("card 4{}1 declined", rng.digits(14)), None), // mostly Luhn-failing
        _ => (
            format!("id 666-{:02}-{:04} (015) 555-0123 AKIB{}", 1 + rng.below(99), 1 + rng.below(9999), "Q".repeat(16)),
            None,
        ),
    };
    if let Some(d) = detector {
        planted[d as usize] += 1;
    }
    out.push_str(&line);
    out.push('\n');
}

fn corpus(target: usize) -> (String, [u64; 7]) {
    let mut rng = Rng(0x5EED_2026_0901_0001);
    let mut out = String::with_capacity(target + 4096);
    let mut planted = [0u64; 7];
    let mut next_plant = 0;
    while out.len() < target {
        // Sections of a few KB of one kind, like files of one kind.
        let kind = rng.below(4);
        let section_end = out.len() + 2048 + rng.below(16 * 1024) as usize;
        while out.len() < section_end {
            match kind {
                0 => prose_line(&mut rng, &mut out),
                1 => csv_line(&mut rng, &mut out),
                2 => log_line(&mut rng, &mut out),
                _ => code_line(&mut rng, &mut out),
            }
            if out.len() >= next_plant {
                planted_line(&mut rng, &mut out, &mut planted);
                next_plant = out.len() + 8 * 1024 + rng.below(48 * 1024) as usize;
            }
        }
    }
    (out, planted)
}

fn baseline(engine: &Engine, regexes: &[(DetectorId, regex::bytes::Regex)], text: &str) -> Report {
    let bytes = text.as_bytes();
    let mut builder = ReportBuilder::new();
    for (detector, re) in regexes {
        for m in re.find_iter(bytes) {
            builder.record(engine, *detector, bytes, m.start(), m.end());
        }
    }
    builder.finish(char_count(bytes))
}

/// The best of `runs` timings, and the last result.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        last = Some(r);
    }
    (best, last.expect("at least one run"))
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let t = Instant::now();
    let (text, planted) = corpus(mb * 1_000_000);
    let size_mb = text.len() as f64 / 1e6;
    println!(
        "corpus: {size_mb:.1} MB (prose, CSV, logs, code; sparse values), generated in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let engine = Arc::new(Engine::new());
    let regexes: Vec<_> = DetectorId::ALL
        .into_iter()
        .map(|d| {
            (
                d,
                regex::bytes::Regex::new(d.candidate_regex()).expect("candidate regex"),
            )
        })
        .collect();

    // How fast this machine is right now (it is shared): a vectorised byte count.
    let (ref_time, newlines) = best(3, || text.bytes().filter(|&b| b == b'\n').count());
    println!(
        "machine reference: counting {newlines} newlines runs at {:.0} MB/s",
        size_mb / ref_time.as_secs_f64()
    );
    let (engine_time, engine_report) = best(3, || engine.scan(&text));
    let (chunk_time, chunk_report) = best(3, || {
        let mut s = ChunkScanner::new(engine.clone());
        let mut at = 0;
        while at < text.len() {
            let mut end = (at + 64 * 1024).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            s.push(&text[at..end]);
            at = end;
        }
        s.finish()
    });
    let (base_time, base_report) = best(2, || baseline(&engine, &regexes, &text));

    let rate = |d: Duration| size_mb / d.as_secs_f64();
    let (engine_rate, chunk_rate, base_rate) =
        (rate(engine_time), rate(chunk_time), rate(base_time));
    let ratio = engine_rate / base_rate;
    println!("engine (one pass, Engine::scan):            {engine_rate:8.0} MB/s");
    println!("engine (ChunkScanner, 64 KiB pieces):       {chunk_rate:8.0} MB/s");
    println!("baseline (7 regex passes, same validators): {base_rate:8.0} MB/s");
    println!("ratio engine / baseline:                    {ratio:8.2}x");
    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "detector", "planted", "high", "low", "base_hi", "base_lo", "secret"
    );
    for d in DetectorId::ALL {
        let e = engine_report.get(d);
        let b = base_report.get(d);
        println!(
            "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            d.as_str(),
            planted[d as usize],
            e.map_or(0, |r| r.high),
            e.map_or(0, |r| r.low),
            b.map_or(0, |r| r.high),
            b.map_or(0, |r| r.low),
            e.is_some_and(|r| r.secret_nearby),
        );
    }
    // Where the time goes: the engine over 20 MB of one kind at a time.
    let kinds: [(&str, LineFn); 4] = [
        ("prose", prose_line),
        ("csv", csv_line),
        ("logs", log_line),
        ("code", code_line),
    ];
    let per_kind: Vec<String> = kinds
        .iter()
        .map(|(name, line)| {
            let mut rng = Rng(7);
            let mut part = String::with_capacity(20_000_000 + 4096);
            while part.len() < 20_000_000 {
                line(&mut rng, &mut part);
            }
            let (t, _) = best(3, || engine.scan(&part));
            format!(
                "{name} {:.0} MB/s",
                part.len() as f64 / 1e6 / t.as_secs_f64()
            )
        })
        .collect();
    println!("engine by kind of text: {}", per_kind.join(", "));
    let same = engine_report == base_report && engine_report == chunk_report;
    println!(
        "engine, ChunkScanner and baseline reports identical: {}",
        if same { "yes" } else { "NO" }
    );
    let verdict = |ok: bool| if ok { "PASS" } else { "MISSED" };
    println!(
        "target >= 1000 MB/s on one core: {} ({engine_rate:.0} MB/s)",
        verdict(engine_rate >= 1000.0)
    );
    println!(
        "target >= 3x baseline:           {} ({ratio:.2}x)",
        verdict(ratio >= 3.0)
    );
    if !same {
        std::process::exit(1);
    }
}
