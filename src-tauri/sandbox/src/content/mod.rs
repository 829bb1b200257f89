//! File contents, derived from (seed, file index, version): plain text, Markdown, CSV,
//! JSON, HTML, real DOCX/XLSX/PPTX (OOXML zips), text PDFs and opaque binaries.
//! Text-like files carry sensitive data at a known rate, with a keyword of its kind
//! beside it (high confidence) or bare (low), plus near-misses that a correct
//! detector must reject; `plan` returns exactly what was planted: the ground truth.

mod formats;
mod values;

use serde::Serialize;

pub use formats::{pdf_escape, xml_escape, LINES_PER_PAGE, LINES_PER_SLIDE};
pub use values::{
    aws_key_valid, card_valid, email_valid, iban_mod97, iban_valid, luhn_valid, phone_valid,
    private_key_valid, ssn_valid, valid_for, valid_kinds,
};

use crate::names;
use crate::rng::{h, Draw};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Txt,
    Md,
    Csv,
    Json,
    Html,
    Docx,
    Xlsx,
    Pptx,
    Pdf,
    Jpg,
    Png,
    Mp4,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Txt,
        Kind::Md,
        Kind::Csv,
        Kind::Json,
        Kind::Html,
        Kind::Docx,
        Kind::Xlsx,
        Kind::Pptx,
        Kind::Pdf,
        Kind::Jpg,
        Kind::Png,
        Kind::Mp4,
    ];
    pub fn ext(self) -> &'static str {
        match self {
            Kind::Txt => "txt",
            Kind::Md => "md",
            Kind::Csv => "csv",
            Kind::Json => "json",
            Kind::Html => "html",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Pptx => "pptx",
            Kind::Pdf => "pdf",
            Kind::Jpg => "jpg",
            Kind::Png => "png",
            Kind::Mp4 => "mp4",
        }
    }
    /// Kinds that carry text (and so planted data); images and video never do.
    pub fn is_text_like(self) -> bool {
        !matches!(self, Kind::Jpg | Kind::Png | Kind::Mp4)
    }
}

/// Extension mix of a typical enterprise, by weight (sums to 100).
const KIND_WEIGHTS: &[(Kind, u64)] = &[
    (Kind::Txt, 11),
    (Kind::Md, 4),
    (Kind::Csv, 10),
    (Kind::Json, 4),
    (Kind::Html, 4),
    (Kind::Docx, 16),
    (Kind::Xlsx, 12),
    (Kind::Pptx, 8),
    (Kind::Pdf, 15),
    (Kind::Jpg, 9),
    (Kind::Png, 5),
    (Kind::Mp4, 2),
];

pub fn kind_of(seed: u64, file: u32) -> Kind {
    let total: u64 = KIND_WEIGHTS.iter().map(|(_, w)| w).sum();
    let mut r = h(seed, 0x0E47, file as u64) % total;
    for (k, w) in KIND_WEIGHTS {
        if r < *w {
            return *k;
        }
        r -= w;
    }
    Kind::Txt
}

/// Byte size of a file version, known without building its content. The lower bounds
/// leave room for the largest plan (three key blocks and two near-misses).
pub fn declared_size(seed: u64, file: u32, version: u32, kind: Kind) -> u64 {
    let mut d = Draw::new(seed, 0x517E ^ ((version as u64) << 32), file as u64);
    match kind {
        Kind::Txt | Kind::Md | Kind::Csv | Kind::Json | Kind::Html => d.log_range(6_000, 48_000),
        Kind::Docx | Kind::Xlsx => d.log_range(16_000, 96_000),
        Kind::Pptx => d.log_range(32_000, 128_000),
        Kind::Pdf => d.log_range(12_000, 400_000),
        Kind::Jpg | Kind::Png => d.log_range(4_000, 400_000),
        Kind::Mp4 => d.log_range(100_000, 600_000),
    }
}

/// Detector ids shared with the inspector and the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveKind {
    CreditCard,
    UsSsn,
    Iban,
    Email,
    Phone,
    AwsAccessKey,
    PrivateKey,
}

impl SensitiveKind {
    pub const ALL: [SensitiveKind; 7] = [
        SensitiveKind::CreditCard,
        SensitiveKind::UsSsn,
        SensitiveKind::Iban,
        SensitiveKind::Email,
        SensitiveKind::Phone,
        SensitiveKind::AwsAccessKey,
        SensitiveKind::PrivateKey,
    ];
    /// Kinds that can stand bare: a private key block names itself in its header.
    const BARE: [SensitiveKind; 6] = [
        SensitiveKind::CreditCard,
        SensitiveKind::UsSsn,
        SensitiveKind::Iban,
        SensitiveKind::Email,
        SensitiveKind::Phone,
        SensitiveKind::AwsAccessKey,
    ];
}

/// High: a keyword of the value's kind stands within 300 characters; low: no keyword
/// of any kind does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    High,
}

/// Why a near-miss is not the real thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NearMissKind {
    /// Shaped like a card number (issuer prefix, length, grouping) but fails Luhn.
    LuhnFailingCard,
    /// SSN-shaped with an area number that is never issued (000, 666, 9xx).
    InvalidSsnArea,
    /// SSN-shaped with group 00.
    InvalidSsnGroup,
    /// SSN-shaped with serial 0000.
    InvalidSsnSerial,
    /// An IBAN whose check digits are wrong.
    IbanBadCheck,
    /// NANP-shaped with an area code starting 0 or 1.
    PhoneBadArea,
    /// An access-key-like id with a prefix AWS never issues.
    AwsBadPrefix,
    /// A `BEGIN PUBLIC KEY` block: key material, not a secret.
    PublicKeyBlock,
    /// Passes Luhn, but no card network issues that prefix at that length.
    CardUnknownIssuer,
    /// Right check digits, but not the country's IBAN length.
    IbanWrongLength,
    /// An email address whose TLD cannot be one (`.c0m`, `.x`, `.xn--`).
    EmailBadTld,
}

impl NearMissKind {
    pub const ALL: [NearMissKind; 11] = [
        NearMissKind::LuhnFailingCard,
        NearMissKind::InvalidSsnArea,
        NearMissKind::InvalidSsnGroup,
        NearMissKind::InvalidSsnSerial,
        NearMissKind::IbanBadCheck,
        NearMissKind::PhoneBadArea,
        NearMissKind::AwsBadPrefix,
        NearMissKind::PublicKeyBlock,
        NearMissKind::CardUnknownIssuer,
        NearMissKind::IbanWrongLength,
        NearMissKind::EmailBadTld,
    ];
    /// The near-misses of the classic formats (drawn as before, so every
    /// file keeps the ones it had).
    const CLASSIC: [NearMissKind; 8] = [
        NearMissKind::LuhnFailingCard,
        NearMissKind::InvalidSsnArea,
        NearMissKind::InvalidSsnGroup,
        NearMissKind::InvalidSsnSerial,
        NearMissKind::IbanBadCheck,
        NearMissKind::PhoneBadArea,
        NearMissKind::AwsBadPrefix,
        NearMissKind::PublicKeyBlock,
    ];
    /// Near-misses of the newer formats: other card networks, SSNs without
    /// dashes, IBANs of countries new to the registry, odd TLDs.
    const FORMATS: [NearMissKind; 8] = [
        NearMissKind::LuhnFailingCard,
        NearMissKind::CardUnknownIssuer,
        NearMissKind::InvalidSsnArea,
        NearMissKind::InvalidSsnGroup,
        NearMissKind::InvalidSsnSerial,
        NearMissKind::IbanBadCheck,
        NearMissKind::IbanWrongLength,
        NearMissKind::EmailBadTld,
    ];
    /// The detector this near-miss imitates.
    pub fn imitates(self) -> SensitiveKind {
        match self {
            NearMissKind::LuhnFailingCard => SensitiveKind::CreditCard,
            NearMissKind::InvalidSsnArea
            | NearMissKind::InvalidSsnGroup
            | NearMissKind::InvalidSsnSerial => SensitiveKind::UsSsn,
            NearMissKind::IbanBadCheck => SensitiveKind::Iban,
            NearMissKind::PhoneBadArea => SensitiveKind::Phone,
            NearMissKind::AwsBadPrefix => SensitiveKind::AwsAccessKey,
            NearMissKind::PublicKeyBlock => SensitiveKind::PrivateKey,
            NearMissKind::CardUnknownIssuer => SensitiveKind::CreditCard,
            NearMissKind::IbanWrongLength => SensitiveKind::Iban,
            NearMissKind::EmailBadTld => SensitiveKind::Email,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planted {
    pub kind: SensitiveKind,
    pub value: String,
    pub confidence: Confidence,
    /// AWS keys: an `aws_secret_access_key` line stands within 300 characters.
    pub secret_nearby: bool,
    /// The secret key written beside an AWS key id (not a detector's target itself).
    #[serde(skip)]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearMiss {
    /// The detector it imitates (and which must not report it).
    pub kind: SensitiveKind,
    pub reason: NearMissKind,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub planted: Vec<Planted>,
    pub near_misses: Vec<NearMiss>,
}

/// What a file version carries (empty for binaries and clean files). A file's planted
/// values are all high or all low, so no keyword line sits near a bare value.
/// Half the values come in a newer format of their kind (another card network, an SSN
/// without dashes, an IBAN of a country new to the registry, a punycode domain), and
/// near-misses of the newer formats come at `near_miss_rate` too; both are drawn apart
/// from the classic ones, which stay what they were (but for an IBAN whose digit groups
/// now read as a card of the wider issuer ranges: it is drawn again).
pub fn plan(
    seed: u64,
    file: u32,
    version: u32,
    kind: Kind,
    sensitive_rate: f64,
    near_miss_rate: f64,
) -> Plan {
    let mut out = Plan::default();
    if !kind.is_text_like() {
        return out;
    }
    let mut d = Draw::new(seed, 0x5E45 ^ ((version as u64) << 32), file as u64);
    let mut x = Draw::new(seed, 0xF0A7 ^ ((version as u64) << 32), file as u64);
    if d.chance(sensitive_rate) {
        let high = d.chance(0.6);
        let kinds: &[SensitiveKind] = if high {
            &SensitiveKind::ALL
        } else {
            &SensitiveKind::BARE
        };
        for _ in 0..1 + d.below(3) {
            let kind = *d.pick(kinds);
            let value = match kind {
                SensitiveKind::CreditCard => values::card_number(&mut d, true),
                SensitiveKind::UsSsn => values::ssn(&mut d),
                SensitiveKind::Iban => values::iban(&mut d, true),
                SensitiveKind::Email => values::email(&mut d),
                SensitiveKind::Phone => values::phone(&mut d),
                SensitiveKind::AwsAccessKey => values::aws_key(&mut d),
                SensitiveKind::PrivateKey => values::private_key(&mut d),
            };
            let value = if x.chance(0.5) {
                values::restyled(&mut x, kind, value)
            } else {
                value
            };
            let secret = (high && kind == SensitiveKind::AwsAccessKey && d.chance(0.5))
                .then(|| values::aws_secret(&mut d));
            out.planted.push(Planted {
                kind,
                value,
                confidence: if high {
                    Confidence::High
                } else {
                    Confidence::Low
                },
                secret_nearby: secret.is_some(),
                secret,
            });
        }
    }
    if d.chance(near_miss_rate) {
        for _ in 0..1 + d.below(2) {
            let reason = *d.pick(&NearMissKind::CLASSIC);
            let value = match reason {
                NearMissKind::LuhnFailingCard => values::card_number(&mut d, false),
                NearMissKind::InvalidSsnArea => values::invalid_ssn(&mut d, 0),
                NearMissKind::InvalidSsnGroup => values::invalid_ssn(&mut d, 1),
                NearMissKind::InvalidSsnSerial => values::invalid_ssn(&mut d, 2),
                NearMissKind::IbanBadCheck => values::iban(&mut d, false),
                NearMissKind::PhoneBadArea => values::invalid_phone(&mut d),
                NearMissKind::AwsBadPrefix => values::invalid_aws_key(&mut d),
                NearMissKind::PublicKeyBlock => values::public_key(&mut d),
                _ => unreachable!("not a classic near-miss"),
            };
            out.near_misses.push(NearMiss {
                kind: reason.imitates(),
                reason,
                value,
            });
        }
    }
    if x.chance(near_miss_rate) {
        for _ in 0..1 + x.below(2) {
            let reason = *x.pick(&NearMissKind::FORMATS);
            let x = &mut x;
            let value = match reason {
                NearMissKind::LuhnFailingCard => values::card_number_more(x, false),
                NearMissKind::CardUnknownIssuer => values::unknown_issuer_card(x),
                NearMissKind::InvalidSsnArea => values::invalid_ssn(x, 0),
                NearMissKind::InvalidSsnGroup => values::invalid_ssn(x, 1),
                NearMissKind::InvalidSsnSerial => values::invalid_ssn(x, 2),
                NearMissKind::IbanBadCheck => values::iban_more(x, false),
                NearMissKind::IbanWrongLength => values::iban_wrong_length(x),
                NearMissKind::EmailBadTld => values::email_bad_tld(x),
                _ => unreachable!("not a near-miss of the newer formats"),
            };
            let value = match reason.imitates() {
                SensitiveKind::UsSsn => values::restyle_ssn(x, &value),
                _ => value,
            };
            out.near_misses.push(NearMiss {
                kind: reason.imitates(),
                reason,
                value,
            });
        }
    }
    out
}

/// Words that raise a match to high confidence with some DLP engine; a bare value has
/// none of them within 300 characters. Matched as whole tokens, case-insensitively.
pub const KEYWORDS: &[&str] = &[
    "card",
    "cards",
    "visa",
    "mastercard",
    "amex",
    "credit",
    "debit",
    "payment",
    "cvv",
    "exp",
    "expiry",
    "expires",
    "ssn",
    "social",
    "security",
    "iban",
    "bank",
    "account",
    "swift",
    "bic",
    "wire",
    "transfer",
    "routing",
    "phone",
    "tel",
    "telephone",
    "mobile",
    "cell",
    "call",
    "fax",
    "email",
    "mail",
    "contact",
    "aws",
    "access",
    "secret",
    "key",
    "keys",
    "private",
    "password",
    "token",
    "credential",
    "credentials",
    "passport",
    "tax",
    "number",
    "id",
];

/// Whether `text` holds any keyword of `KEYWORDS` as a token.
pub fn has_keyword(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|t| KEYWORDS.iter().any(|k| t.eq_ignore_ascii_case(k)))
}

/// The line(s) a planted value is written as: with its kind's keyword when high.
fn planted_text(p: &Planted) -> String {
    if p.confidence == Confidence::Low {
        return p.value.clone();
    }
    let v = &p.value;
    match p.kind {
        SensitiveKind::CreditCard => format!("Card on file: {v}"),
        SensitiveKind::UsSsn => format!("Employee SSN: {v}"),
        SensitiveKind::Iban => format!("Wire transfer to IBAN {v}"),
        SensitiveKind::Email => format!("Contact email: {v}"),
        SensitiveKind::Phone => format!("Office phone: {v}"),
        SensitiveKind::AwsAccessKey => match &p.secret {
            Some(s) => format!("aws_access_key_id = {v}\naws_secret_access_key = {s}"),
            None => format!("aws_access_key_id = {v}"),
        },
        SensitiveKind::PrivateKey => format!("Deployment private key:\n{v}"),
    }
}

fn near_miss_text(n: &NearMiss) -> String {
    let v = &n.value;
    match n.reason {
        NearMissKind::LuhnFailingCard => format!("Order reference: {v}"),
        NearMissKind::InvalidSsnArea
        | NearMissKind::InvalidSsnGroup
        | NearMissKind::InvalidSsnSerial => format!("Case number: {v}"),
        NearMissKind::IbanBadCheck => format!("Ledger code: {v}"),
        NearMissKind::PhoneBadArea => format!("Extension list: {v}"),
        NearMissKind::AwsBadPrefix => format!("Build tag: {v}"),
        NearMissKind::PublicKeyBlock => format!("Public half of the signing pair:\n{v}"),
        NearMissKind::CardUnknownIssuer => format!("Loyalty member: {v}"),
        NearMissKind::IbanWrongLength => format!("Ledger code: {v}"),
        NearMissKind::EmailBadTld => format!("Bounce address: {v}"),
    }
}

fn filler_sentence(d: &mut Draw) -> String {
    let n = 6 + d.below(10);
    let mut s: String = (0..n)
        .map(|_| *d.pick(names::FILLER))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(c) = s.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    s.push('.');
    s
}

/// Characters of filler between anything with a keyword (title, near-miss labels) and
/// the first bare value: more than the 300 a detector looks around a match.
const BARE_GAP: usize = 340;

/// Blocks of a document in order: the title, planted values and near-misses mixed into
/// prose. High-confidence plans go anywhere early; bare values come after `BARE_GAP`
/// characters of filler past the title and every near-miss.
fn blocks(
    seed: u64,
    file: u32,
    version: u32,
    title: &str,
    plan: &Plan,
    count: usize,
) -> Vec<String> {
    let mut d = Draw::new(seed, 0x7E47 ^ ((version as u64) << 32), file as u64);
    let mut out = vec![title.to_string()];
    let bare = plan.planted.iter().any(|p| p.confidence == Confidence::Low);
    if bare {
        for n in &plan.near_misses {
            out.push(near_miss_text(n));
            out.push(filler_sentence(&mut d));
        }
        let mut gap = 0;
        while gap < BARE_GAP {
            let s = filler_sentence(&mut d);
            gap += s.len() + 1;
            out.push(s);
        }
        for p in &plan.planted {
            out.push(planted_text(p));
            out.push(filler_sentence(&mut d));
        }
        for _ in 0..count {
            out.push(filler_sentence(&mut d));
        }
        return out;
    }
    for _ in 0..count {
        out.push(filler_sentence(&mut d));
    }
    let specials = plan
        .planted
        .iter()
        .map(planted_text)
        .chain(plan.near_misses.iter().map(near_miss_text));
    // Spread the special lines over the first lines, which always survive padding.
    for s in specials {
        let at = 1 + d.below(out.len().min(6) as u64) as usize;
        out.insert(at, s);
    }
    out
}

/// The document as single lines (a key block spans several).
fn lines(
    seed: u64,
    file: u32,
    version: u32,
    title: &str,
    plan: &Plan,
    count: usize,
) -> Vec<String> {
    blocks(seed, file, version, title, plan, count)
        .iter()
        .flat_map(|b| b.lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The bytes of a file version; its length is always `declared_size`.
pub fn build(seed: u64, file: u32, version: u32, kind: Kind, title: &str, plan: &Plan) -> Vec<u8> {
    let size = declared_size(seed, file, version, kind) as usize;
    let mut pad_draw = Draw::new(seed, 0xFAD, file as u64);
    let mut more = move || filler_sentence(&mut pad_draw);
    match kind {
        Kind::Txt | Kind::Md => {
            let ls = lines(seed, file, version, title, plan, 8);
            let mut text = ls.join("\n");
            text.push('\n');
            pad_text(text.into_bytes(), size, &mut more)
        }
        Kind::Csv => csv(seed, file, version, plan, size, &mut more),
        Kind::Json => {
            let ls = lines(seed, file, version, title, plan, 8);
            formats::json(title, &ls[1..], &mut more, size)
        }
        Kind::Html => {
            let ls = lines(seed, file, version, title, plan, 8);
            formats::html(title, &ls[1..], &mut more, size)
        }
        Kind::Docx => formats::docx(&lines(seed, file, version, title, plan, 20), size),
        Kind::Xlsx => formats::xlsx(&lines(seed, file, version, title, plan, 20), size),
        Kind::Pptx => formats::pptx(&lines(seed, file, version, title, plan, 24), size),
        Kind::Pdf => formats::pdf(&lines(seed, file, version, title, plan, 30), size),
        Kind::Jpg | Kind::Png | Kind::Mp4 => binary(seed, file, version, kind, size),
    }
}

/// Departments of the CSV rows: none is a keyword.
const DEPARTMENTS: &[&str] = &[
    "Design",
    "Operations",
    "Marketing",
    "Engineering",
    "Support",
    "Research",
];

/// A people export: the notes column holds the planted values (keyword lines when high;
/// bare, after a gap of filler rows, when low) and the near-misses.
fn csv(
    seed: u64,
    file: u32,
    version: u32,
    plan: &Plan,
    size: usize,
    more: &mut dyn FnMut() -> String,
) -> Vec<u8> {
    let mut d = Draw::new(seed, 0xC5F0 ^ ((version as u64) << 32), file as u64);
    let bare = plan.planted.iter().any(|p| p.confidence == Confidence::Low);
    let mut notes: Vec<String> = plan.near_misses.iter().map(near_miss_text).collect();
    let planted: Vec<String> = plan.planted.iter().map(planted_text).collect();
    if bare {
        let mut gap = 0;
        while gap < BARE_GAP {
            let s = filler_sentence(&mut d);
            gap += s.len() + 30;
            notes.push(s);
        }
        notes.extend(planted);
    } else {
        notes.splice(0..0, planted);
    }
    for _ in 0..8 {
        notes.push(filler_sentence(&mut d));
    }
    let mut text = String::from("row,name,department,amount,notes\n");
    for (i, note) in notes.iter().enumerate() {
        let name = format!("{} {}", d.pick(names::FIRST), d.pick(names::LAST));
        let dept = d.pick(DEPARTMENTS);
        let amount = format!("{}.{:02}", d.range(10, 99_999), d.below(100));
        text.push_str(&format!("{},{name},{dept},{amount},\"{note}\"\n", i + 1));
    }
    pad_text(text.into_bytes(), size, more)
}

/// Pad prose with filler sentences (never digits, so nothing new can match) or cut it.
fn pad_text(mut bytes: Vec<u8>, size: usize, more: &mut dyn FnMut() -> String) -> Vec<u8> {
    while bytes.len() < size {
        bytes.extend_from_slice(more().as_bytes());
        bytes.push(b'\n');
    }
    bytes.truncate(size);
    if let Some(last) = bytes.last_mut() {
        *last = b'\n';
    }
    bytes
}

fn binary(seed: u64, file: u32, version: u32, kind: Kind, size: usize) -> Vec<u8> {
    let magic: &[u8] = match kind {
        Kind::Jpg => b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00",
        Kind::Png => b"\x89PNG\r\n\x1a\n",
        _ => b"\x00\x00\x00\x18ftypmp42",
    };
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(magic);
    let mut x = h(seed, 0xB1B, ((version as u64) << 32) | file as u64);
    while out.len() < size {
        x = crate::rng::mix(x);
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(size);
    out
}

#[cfg(test)]
mod tests;
