//! Detector accuracy: precision and recall per detector over a labelled
//! corpus, at both settings of `detect.<detector>.min_confidence` (every
//! match, or only those with a keyword nearby). The corpus has two parts:
//! - the sandbox's documents: values of every format (card networks, SSN
//!   spellings, IBAN countries, punycode domains …) with and without their
//!   keyword, and near-misses, labelled by the generator's ground truth;
//! - look-alikes people write that hold nothing sensitive: order and
//!   tracking numbers, EAN-13 barcodes, IMEIs, ISINs, ZIP+4 codes, dates,
//!   amounts, versions, sometimes beside a word such as "payment" or
//!   "account". A look-alike that passes every check (a 9-digit order number
//!   whose digits make a valid SSN, a reference number that passes Luhn
//!   under an issuer prefix) counts against precision: that is the price of
//!   each rule, and `min_confidence` is the admin's answer to it.
//!
//! `cargo bench -p connector-core --bench detect_accuracy [-- DOCS]`

use box_sandbox::content::{self, Kind, SensitiveKind};
use connector_core::inspect::detect::{DetectorId, Engine, Report};

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

fn detector_of(kind: SensitiveKind) -> DetectorId {
    match kind {
        SensitiveKind::CreditCard => DetectorId::CreditCard,
        SensitiveKind::UsSsn => DetectorId::UsSsn,
        SensitiveKind::Iban => DetectorId::Iban,
        SensitiveKind::Email => DetectorId::Email,
        SensitiveKind::Phone => DetectorId::Phone,
        SensitiveKind::AwsAccessKey => DetectorId::AwsAccessKey,
        SensitiveKind::PrivateKey => DetectorId::PrivateKey,
    }
}

/// True and false positives and false negatives of one detector.
#[derive(Clone, Copy, Default)]
struct Tally {
    tp: u64,
    fp: u64,
    fn_: u64,
}

impl Tally {
    /// One document: `expected` values hold, `found` were reported.
    fn add(&mut self, expected: u64, found: u64) {
        let tp = expected.min(found);
        self.tp += tp;
        self.fp += found - tp;
        self.fn_ += expected - tp;
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Per detector: every match counts, and only high-confidence ones count.
#[derive(Default)]
struct Score {
    all: [Tally; 7],
    high: [Tally; 7],
    expected: [u64; 7],
}

impl Score {
    fn add(&mut self, expected: &[u64; 7], report: &Report) {
        for d in DetectorId::ALL {
            let i = d as usize;
            let (high, low) = report.get(d).map_or((0, 0), |r| (r.high, r.low));
            self.all[i].add(expected[i], high + low);
            self.high[i].add(expected[i], high);
            self.expected[i] += expected[i];
        }
    }
}

const WORDS: &[&str] = &[
    "the",
    "team",
    "reviewed",
    "the",
    "quarterly",
    "plan",
    "and",
    "agreed",
    "to",
    "ship",
    "before",
    "closing",
    "see",
    "attached",
    "summary",
    "for",
    "details",
    "on",
    "the",
    "timeline",
    "budget",
    "approval",
    "pending",
    "review",
    "next",
    "steps",
    "with",
    "vendor",
    "shipment",
    "invoice",
];

fn prose(rng: &mut Rng, out: &mut String) {
    for _ in 0..8 + rng.below(16) {
        let word = *rng.pick(WORDS);
        out.push_str(word);
        out.push(' ');
    }
}

/// An EAN-13 barcode (weights 1 and 3, not Luhn).
fn ean13(rng: &mut Rng) -> String {
    let body = format!(
        "{}{}",
        rng.pick(&["400", "401", "500", "590", "690", "760", "978", "890"]),
        rng.digits(9)
    );
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| (b - b'0') as u32 * if i % 2 == 1 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// An IMEI: 15 digits with a Luhn digit, by design.
fn imei(rng: &mut Rng) -> String {
    let body = format!("{}{}", rng.pick(&["35", "86", "01", "99"]), rng.digits(12));
    (0..10)
        .map(|c| format!("{body}{c}"))
        .find(|n| {
            let d: Vec<u8> = n.bytes().map(|b| b - b'0').collect();
            connector_core::inspect::detect::validators::luhn(&d)
        })
        .unwrap_or(body)
}

/// One line of numbers that are not what any detector looks for, and what
/// kind of number it is.
fn look_alike(rng: &mut Rng) -> (&'static str, String) {
    // Sometimes a word that some detector takes as its keyword stands beside it.
    let label = |rng: &mut Rng, plain: &'static str, keyword: &'static str| {
        if rng.below(4) == 0 {
            keyword
        } else {
            plain
        }
    };
    let (long, mid) = (12 + rng.below(8) as usize, 8 + rng.below(4) as usize);
    match rng.below(12) {
        0 => (
            "order number, 9 digits",
            format!("Order {} shipped", rng.digits(9)),
        ),
        1 => (
            "reference number, 12-19 digits",
            format!(
                "{} reference {}",
                label(rng, "Shipment", "Payment"),
                rng.digits(long)
            ),
        ),
        2 => ("EAN-13 barcode", format!("Barcode {}", ean13(rng))),
        3 => ("IMEI", format!("Device IMEI {}", imei(rng))),
        4 => (
            "ZIP+4 code",
            format!(
                "{} {}-{}",
                label(rng, "Deliver to ZIP", "Mail to ZIP"),
                rng.digits(5),
                rng.digits(4)
            ),
        ),
        5 => (
            "tracking number 4-4-4",
            format!(
                "Tracking {} {} {}",
                rng.digits(4),
                rng.digits(4),
                rng.digits(4)
            ),
        ),
        6 => (
            "ISIN",
            format!(
                "Fund ISIN {}{}",
                rng.pick(&["US", "DE", "FR", "GB", "IE", "LU"]),
                rng.digits(10)
            ),
        ),
        7 => (
            "amount and date",
            format!(
                "{} total {}.{:02} due 2026-{:02}-{:02}",
                label(rng, "Invoice", "Card"),
                rng.below(100_000),
                rng.below(100),
                1 + rng.below(12),
                1 + rng.below(28)
            ),
        ),
        8 => (
            "ledger number, 8-11 digits",
            format!("{} {}", label(rng, "Ledger", "Account"), rng.digits(mid)),
        ),
        9 => (
            "version and build",
            format!(
                "release {}.{}.{} build {}",
                rng.below(10),
                rng.below(30),
                rng.below(2000),
                rng.digits(6)
            ),
        ),
        10 => (
            "ticket 3-6",
            format!("Ticket {}-{}", rng.digits(3), rng.digits(6)),
        ),
        _ => (
            "serial 4-8",
            format!("Serial {} {}", rng.digits(4), rng.digits(8)),
        ),
    }
}

/// How each planted value is written, for recall per format.
fn format_of(kind: SensitiveKind, value: &str) -> &'static str {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    match kind {
        SensitiveKind::CreditCard => {
            let classic = (digits.len() == 16
                && matches!(digits.as_bytes()[0], b'2' | b'4' | b'5'))
                || (digits.len() == 15 && (digits.starts_with("34") || digits.starts_with("37")));
            if classic {
                "card: Visa 16 / Mastercard / Amex"
            } else {
                "card: other networks and lengths"
            }
        }
        SensitiveKind::UsSsn if value.contains('-') => "SSN: AAA-GG-SSSS",
        SensitiveKind::UsSsn => "SSN: spaces, dots, none",
        SensitiveKind::Iban if ["DE", "GB", "FR", "NL"].contains(&&value[..2]) => {
            "IBAN: DE, GB, FR, NL"
        }
        SensitiveKind::Iban => "IBAN: countries new to the registry",
        SensitiveKind::Email
            if value.contains("xn--")
                || [".international", ".photography"]
                    .iter()
                    .any(|tld| value.ends_with(tld)) =>
        {
            "email: punycode, long TLDs"
        }
        SensitiveKind::Email => "email: ASCII domains",
        SensitiveKind::Phone => "phone",
        SensitiveKind::AwsAccessKey => "AWS access key",
        SensitiveKind::PrivateKey => "private key",
    }
}

fn main() {
    let docs: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3000);
    let engine = Engine::new();
    let mut sandbox = Score::default();
    let mut lookalikes = Score::default();
    // Recall per format: each planted value alone in filler, found or not.
    let mut formats: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    let (mut planted_n, mut near_n) = (0usize, 0usize);
    for file in 0..docs {
        let plan = content::plan(2026, file, 1, Kind::Txt, 0.6, 0.6);
        let bytes = content::build(2026, file, 1, Kind::Txt, "Quarterly review", &plan);
        let text = String::from_utf8_lossy(&bytes);
        let mut expected = [0u64; 7];
        for p in &plan.planted {
            expected[detector_of(p.kind) as usize] += 1;
            let alone = engine.scan(&format!(
                "Notes for the review. {} See the attached plan.",
                p.value
            ));
            let found = alone
                .get(detector_of(p.kind))
                .is_some_and(|r| r.high + r.low > 0);
            let e = formats.entry(format_of(p.kind, &p.value)).or_default();
            e.0 += 1;
            e.1 += found as u64;
        }
        planted_n += plan.planted.len();
        near_n += plan.near_misses.len();
        sandbox.add(&expected, &engine.scan(&text));
    }
    // Each look-alike in a sentence of its own, so each is judged alone.
    let mut rng = Rng(0x5EED_AC0C_2026_0016);
    let lines = docs as u64 * 4;
    let mut by_kind: std::collections::BTreeMap<&str, (u64, u64, u64, Vec<&str>)> =
        Default::default();
    for _ in 0..lines {
        let (kind, line) = look_alike(&mut rng);
        let mut text = String::new();
        prose(&mut rng, &mut text);
        text.push_str(&line);
        text.push_str(". ");
        prose(&mut rng, &mut text);
        let report = engine.scan(&text);
        lookalikes.add(&[0; 7], &report);
        let e = by_kind.entry(kind).or_default();
        e.0 += 1;
        e.1 += !report.detectors.is_empty() as u64;
        e.2 += report.detectors.iter().any(|d| d.high > 0) as u64;
        for d in &report.detectors {
            if !e.3.contains(&d.detector.as_str()) {
                e.3.push(d.detector.as_str());
            }
        }
    }
    println!(
        "labelled corpus: {docs} sandbox documents ({planted_n} values, {near_n} near-misses) \
         and {lines} look-alike numbers (ids, barcodes, IMEIs, ISINs, ZIP+4, amounts …)"
    );
    let mut both = Score::default();
    for i in 0..7 {
        for (dst, a, b) in [
            (&mut both.all[i], sandbox.all[i], lookalikes.all[i]),
            (&mut both.high[i], sandbox.high[i], lookalikes.high[i]),
        ] {
            *dst = Tally {
                tp: a.tp + b.tp,
                fp: a.fp + b.fp,
                fn_: a.fn_ + b.fn_,
            };
        }
        both.expected[i] = sandbox.expected[i];
    }
    println!(
        "{:<16} {:>7} | {:>28} | {:>28} | {:>18}",
        "", "", "every match (min_conf. 0)", "keyword nearby (min_conf. 1)", "sandbox part only"
    );
    println!(
        "{:<16} {:>7} | {:>6} {:>10} {:>10} | {:>6} {:>10} {:>10} | {:>8} {:>9}",
        "detector",
        "values",
        "found",
        "precision",
        "recall",
        "found",
        "precision",
        "recall",
        "precision",
        "recall"
    );
    for d in DetectorId::ALL {
        let i = d as usize;
        let (a, h, s) = (both.all[i], both.high[i], sandbox.all[i]);
        println!(
            "{:<16} {:>7} | {:>6} {:>9.1}% {:>9.1}% | {:>6} {:>9.1}% {:>9.1}% | {:>8.1}% {:>8.1}%",
            d.as_str(),
            both.expected[i],
            a.tp + a.fp,
            100.0 * a.precision(),
            100.0 * a.recall(),
            h.tp + h.fp,
            100.0 * h.precision(),
            100.0 * h.recall(),
            100.0 * s.precision(),
            100.0 * s.recall(),
        );
    }
    println!("recall per format (each value alone in a sentence, no keyword):");
    for (format, (n, found)) in &formats {
        println!(
            "  {format:<38} {found:>6} / {n:<6} {:>6.1}%",
            100.0 * ratio(*found, *n)
        );
    }
    println!("look-alikes reported (every match / keyword nearby), as which detector:");
    for (kind, (n, reported, high, detectors)) in &by_kind {
        println!(
            "  {kind:<32} {:>6.1}% / {:>5.1}% of {n:<5} {}",
            100.0 * ratio(*reported, *n),
            100.0 * ratio(*high, *n),
            detectors.join(", ")
        );
    }
}
