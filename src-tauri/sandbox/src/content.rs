//! File contents, derived from (seed, file index, version): plain text, CSV, real
//! DOCX/XLSX (OOXML zips) and opaque binaries. Text-like files carry sensitive data
//! at a known rate plus near-misses that a correct detector must reject; `plan`
//! returns exactly what was planted, which is the ground truth.

use std::io::{Cursor, Write};

use serde::Serialize;

use crate::names;
use crate::rng::{h, Draw};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Txt,
    Md,
    Csv,
    Docx,
    Xlsx,
    Pdf,
    Jpg,
    Png,
    Mp4,
}

impl Kind {
    pub fn ext(self) -> &'static str {
        match self {
            Kind::Txt => "txt",
            Kind::Md => "md",
            Kind::Csv => "csv",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Pdf => "pdf",
            Kind::Jpg => "jpg",
            Kind::Png => "png",
            Kind::Mp4 => "mp4",
        }
    }
    pub fn is_text_like(self) -> bool {
        matches!(
            self,
            Kind::Txt | Kind::Md | Kind::Csv | Kind::Docx | Kind::Xlsx
        )
    }
}

/// Extension mix of a typical enterprise, by weight.
const KIND_WEIGHTS: &[(Kind, u64)] = &[
    (Kind::Txt, 16),
    (Kind::Md, 4),
    (Kind::Csv, 12),
    (Kind::Docx, 18),
    (Kind::Xlsx, 14),
    (Kind::Pdf, 16),
    (Kind::Jpg, 10),
    (Kind::Png, 7),
    (Kind::Mp4, 3),
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

/// Byte size of a file version, known without building its content.
pub fn declared_size(seed: u64, file: u32, version: u32, kind: Kind) -> u64 {
    let mut d = Draw::new(seed, 0x517E ^ ((version as u64) << 32), file as u64);
    match kind {
        Kind::Txt | Kind::Md | Kind::Csv => d.log_range(1_536, 48_000),
        Kind::Docx | Kind::Xlsx => d.log_range(16_000, 96_000),
        Kind::Pdf | Kind::Jpg | Kind::Png => d.log_range(4_000, 400_000),
        Kind::Mp4 => d.log_range(100_000, 600_000),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveKind {
    CreditCard,
    UsSsn,
    Iban,
    Email,
    AwsAccessKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NearMissKind {
    /// 16 digits shaped like a card number that fail the Luhn check.
    LuhnFailingCard,
    /// SSN-shaped with an area number that is never issued (000, 666, 9xx).
    InvalidSsnArea,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planted {
    pub kind: SensitiveKind,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearMiss {
    pub kind: NearMissKind,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub planted: Vec<Planted>,
    pub near_misses: Vec<NearMiss>,
}

/// What a file version carries (empty for binaries and clean files).
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
    if d.chance(sensitive_rate) {
        for _ in 0..1 + d.below(3) {
            let kind = *d.pick(&[
                SensitiveKind::CreditCard,
                SensitiveKind::UsSsn,
                SensitiveKind::Iban,
                SensitiveKind::Email,
                SensitiveKind::AwsAccessKey,
            ]);
            let value = match kind {
                SensitiveKind::CreditCard => card_number(&mut d, true),
                SensitiveKind::UsSsn => ssn(&mut d, true),
                SensitiveKind::Iban => iban(&mut d),
                SensitiveKind::Email => email(&mut d),
                SensitiveKind::AwsAccessKey => aws_key(&mut d),
            };
            out.planted.push(Planted { kind, value });
        }
    }
    if d.chance(near_miss_rate) {
        for _ in 0..1 + d.below(2) {
            if d.chance(0.5) {
                out.near_misses.push(NearMiss {
                    kind: NearMissKind::LuhnFailingCard,
                    value: card_number(&mut d, false),
                });
            } else {
                out.near_misses.push(NearMiss {
                    kind: NearMissKind::InvalidSsnArea,
                    value: ssn(&mut d, false),
                });
            }
        }
    }
    out
}

pub fn luhn_valid(digits: &str) -> bool {
    let ds: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if ds.len() < 12 {
        return false;
    }
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn card_number(d: &mut Draw, valid: bool) -> String {
    // Visa (4…), Mastercard (51–55…) or Amex (37…, 15 digits).
    let mut digits: Vec<u32> = match d.below(3) {
        0 => vec![4],
        1 => vec![5, 1 + d.below(5) as u32],
        _ => vec![3, 7],
    };
    let len = if digits[0] == 3 { 15 } else { 16 };
    while digits.len() < len - 1 {
        digits.push(d.below(10) as u32);
    }
    // Luhn check digit over the payload.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 0 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    digits.push(if valid {
        check
    } else {
        (check + 1 + d.below(9) as u32) % 10
    });
    let s: String = digits
        .iter()
        .map(|x| char::from_digit(*x, 10).unwrap())
        .collect();
    match (len, d.below(3)) {
        (16, 0) => format!("{} {} {} {}", &s[0..4], &s[4..8], &s[8..12], &s[12..16]),
        (16, 1) => format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16]),
        _ => s,
    }
}

fn ssn(d: &mut Draw, valid: bool) -> String {
    let area = if valid {
        loop {
            let a = d.range(1, 900);
            if a != 666 {
                break a;
            }
        }
    } else {
        match d.below(3) {
            0 => 0,
            1 => 666,
            _ => d.range(900, 1000),
        }
    };
    format!(
        "{:03}-{:02}-{:04}",
        area,
        d.range(1, 100),
        d.range(1, 10_000)
    )
}

fn iban(d: &mut Draw) -> String {
    let (country, bban) = if d.chance(0.5) {
        (
            "DE",
            (0..18)
                .map(|_| char::from(b'0' + d.below(10) as u8))
                .collect::<String>(),
        )
    } else {
        let bank: String = (0..4)
            .map(|_| char::from(b'A' + d.below(26) as u8))
            .collect();
        let acct: String = (0..14)
            .map(|_| char::from(b'0' + d.below(10) as u8))
            .collect();
        ("GB", format!("{bank}{acct}"))
    };
    let check = 98 - iban_mod97(&format!("{bban}{country}00"));
    let raw = format!("{country}{check:02}{bban}");
    // Printed in groups of four, as on paper.
    raw.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// ISO 7064 mod 97 of an IBAN rearranged string (letters as 10..35).
pub fn iban_mod97(s: &str) -> u32 {
    let mut r: u32 = 0;
    for c in s.chars() {
        let v = if c.is_ascii_digit() {
            c as u32 - '0' as u32
        } else {
            c.to_ascii_uppercase() as u32 - 'A' as u32 + 10
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r
}

pub fn iban_valid(iban: &str) -> bool {
    let s: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() < 15 {
        return false;
    }
    iban_mod97(&format!("{}{}", &s[4..], &s[..4])) == 1
}

fn email(d: &mut Draw) -> String {
    let first = d.pick(names::FIRST).to_ascii_lowercase();
    let last = d.pick(names::LAST).to_ascii_lowercase();
    let domain = d.pick(&["example.org", "mail.example.net", "customer.example.com"]);
    format!("{first}.{last}@{domain}")
}

fn aws_key(d: &mut Draw) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = (0..16)
        .map(|_| ALPHA[d.below(32) as usize] as char)
        .collect();
    format!("AKIA{tail}")
}

fn sensitive_line(p: &Planted) -> String {
    match p.kind {
        SensitiveKind::CreditCard => format!("Card on file: {}", p.value),
        SensitiveKind::UsSsn => format!("Employee SSN: {}", p.value),
        SensitiveKind::Iban => format!("Wire transfer to IBAN {}", p.value),
        SensitiveKind::Email => format!("Contact: {}", p.value),
        SensitiveKind::AwsAccessKey => format!("aws_access_key_id = {}", p.value),
    }
}

fn near_miss_line(n: &NearMiss) -> String {
    match n.kind {
        NearMissKind::LuhnFailingCard => format!("Order reference: {}", n.value),
        NearMissKind::InvalidSsnArea => format!("Case number: {}", n.value),
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

/// Lines of a document: title, planted values and near-misses mixed into prose.
fn lines(
    seed: u64,
    file: u32,
    version: u32,
    title: &str,
    plan: &Plan,
    count: usize,
) -> Vec<String> {
    let mut d = Draw::new(seed, 0x7E47 ^ ((version as u64) << 32), file as u64);
    let mut specials: Vec<String> = plan.planted.iter().map(sensitive_line).collect();
    specials.extend(plan.near_misses.iter().map(near_miss_line));
    let mut out = vec![title.to_string()];
    for _ in 0..count {
        out.push(filler_sentence(&mut d));
    }
    // Spread the special lines over the first lines, which always survive padding.
    for s in specials {
        let at = 1 + d.below(out.len().min(6) as u64) as usize;
        out.insert(at, s);
    }
    out
}

/// The bytes of a file version; its length is always `declared_size`.
pub fn build(seed: u64, file: u32, version: u32, kind: Kind, title: &str, plan: &Plan) -> Vec<u8> {
    let size = declared_size(seed, file, version, kind) as usize;
    match kind {
        Kind::Txt | Kind::Md => {
            let ls = lines(seed, file, version, title, plan, 8);
            let mut text = ls.join("\n");
            text.push('\n');
            pad_text(text.into_bytes(), size, seed, file)
        }
        Kind::Csv => {
            let mut d = Draw::new(seed, 0xC5F0 ^ ((version as u64) << 32), file as u64);
            let mut text = String::from("id,name,department,amount,notes\n");
            let mut specials: Vec<String> = plan.planted.iter().map(|p| p.value.clone()).collect();
            specials.extend(plan.near_misses.iter().map(|n| n.value.clone()));
            for row in 1..=8 + specials.len() {
                let name = format!("{} {}", d.pick(names::FIRST), d.pick(names::LAST));
                let dept = d.pick(names::TOP_FOLDERS);
                let amount = format!("{}.{:02}", d.range(10, 99_999), d.below(100));
                let notes = if row <= specials.len() {
                    specials[row - 1].clone()
                } else {
                    filler_sentence(&mut d)
                };
                text.push_str(&format!("{row},{name},{dept},{amount},\"{notes}\"\n"));
            }
            pad_text(text.into_bytes(), size, seed, file)
        }
        Kind::Docx => {
            let ls = lines(seed, file, version, title, plan, 20);
            docx(&ls, size)
        }
        Kind::Xlsx => {
            let ls = lines(seed, file, version, title, plan, 20);
            xlsx(&ls, size)
        }
        Kind::Pdf | Kind::Jpg | Kind::Png | Kind::Mp4 => binary(seed, file, version, kind, size),
    }
}

/// Pad prose with filler words (never digits, so nothing new can match) or cut it.
fn pad_text(mut bytes: Vec<u8>, size: usize, seed: u64, file: u32) -> Vec<u8> {
    let mut d = Draw::new(seed, 0xFAD, file as u64);
    while bytes.len() < size {
        let s = filler_sentence(&mut d);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(b'\n');
    }
    bytes.truncate(size);
    if let Some(last) = bytes.last_mut() {
        *last = b'\n';
    }
    bytes
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A zip of stored entries whose last entry is padded (trailing XML whitespace) to `size`.
fn ooxml(entries: &[(&str, String)], size: usize) -> Vec<u8> {
    let make = |pad: usize| -> Vec<u8> {
        let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (i, (name, body)) in entries.iter().enumerate() {
            zw.start_file(*name, opts).expect("zip entry");
            zw.write_all(body.as_bytes()).expect("zip write");
            if i + 1 == entries.len() {
                zw.write_all(&vec![b' '; pad]).expect("zip pad");
            }
        }
        zw.finish().expect("zip finish").into_inner()
    };
    let natural = make(0);
    if natural.len() >= size {
        return natural;
    }
    make(size - natural.len())
}

fn docx(lines: &[String], size: usize) -> Vec<u8> {
    let paras: String = lines
        .iter()
        .map(|l| {
            format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                xml_escape(l)
            )
        })
        .collect();
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{paras}</w:body></w:document>"
    );
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>";
    ooxml(
        &[
            ("[Content_Types].xml", content_types.into()),
            ("_rels/.rels", rels.into()),
            ("word/document.xml", document),
        ],
        size,
    )
}

fn xlsx(lines: &[String], size: usize) -> Vec<u8> {
    let rows: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let r = i + 1;
            format!(
                "<row r=\"{r}\"><c r=\"A{r}\" t=\"inlineStr\"><is><t>Row {r}</t></is></c><c r=\"B{r}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c></row>",
                xml_escape(l)
            )
        })
        .collect();
    let sheet = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>{rows}</sheetData></worksheet>"
    );
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
    let workbook = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    let wb_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
    ooxml(
        &[
            ("[Content_Types].xml", content_types.into()),
            ("_rels/.rels", rels.into()),
            ("xl/workbook.xml", workbook.into()),
            ("xl/_rels/workbook.xml.rels", wb_rels.into()),
            ("xl/worksheets/sheet1.xml", sheet),
        ],
        size,
    )
}

fn binary(seed: u64, file: u32, version: u32, kind: Kind, size: usize) -> Vec<u8> {
    let magic: &[u8] = match kind {
        Kind::Pdf => b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n",
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
mod tests {
    use super::*;

    #[test]
    fn validators_know_good_from_bad() {
        assert!(luhn_valid("4539 1488 0343 6467"));
        assert!(!luhn_valid("4539 1488 0343 6468"));
        assert!(iban_valid("DE89 3704 0044 0532 0130 00"));
        assert!(!iban_valid("DE88 3704 0044 0532 0130 00"));
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
    }

    #[test]
    fn planted_values_are_valid_and_near_misses_are_not() {
        let (mut planted, mut misses) = (0, 0);
        for file in 0..4000 {
            let p = plan(7, file, 1, Kind::Txt, 0.5, 0.5);
            for x in &p.planted {
                planted += 1;
                match x.kind {
                    SensitiveKind::CreditCard => assert!(luhn_valid(&x.value), "{}", x.value),
                    SensitiveKind::Iban => assert!(iban_valid(&x.value), "{}", x.value),
                    SensitiveKind::UsSsn => {
                        let area: u32 = x.value[..3].parse().unwrap();
                        assert!(area > 0 && area != 666 && area < 900, "{}", x.value);
                    }
                    _ => {}
                }
            }
            for n in &p.near_misses {
                misses += 1;
                match n.kind {
                    NearMissKind::LuhnFailingCard => assert!(!luhn_valid(&n.value), "{}", n.value),
                    NearMissKind::InvalidSsnArea => {
                        let area: u32 = n.value[..3].parse().unwrap();
                        assert!(area == 0 || area == 666 || area >= 900, "{}", n.value);
                    }
                }
            }
        }
        assert!(planted > 1500 && misses > 1000, "{planted} {misses}");
    }

    #[test]
    fn the_planting_rate_is_the_configured_one() {
        let n = 20_000;
        let hit = (0..n)
            .filter(|&f| !plan(3, f, 1, Kind::Csv, 0.1, 0.0).planted.is_empty())
            .count();
        let rate = hit as f64 / n as f64;
        assert!((0.09..0.11).contains(&rate), "{rate}");
        assert!(
            plan(3, 1, 1, Kind::Jpg, 1.0, 1.0) == Plan::default(),
            "binaries carry nothing"
        );
    }

    #[test]
    fn content_length_is_the_declared_size_for_every_kind() {
        for file in 0..60 {
            for kind in [
                Kind::Txt,
                Kind::Md,
                Kind::Csv,
                Kind::Docx,
                Kind::Xlsx,
                Kind::Pdf,
                Kind::Png,
            ] {
                let p = plan(1, file, 2, kind, 0.5, 0.5);
                let bytes = build(1, file, 2, kind, "Title", &p);
                assert_eq!(
                    bytes.len() as u64,
                    declared_size(1, file, 2, kind),
                    "{kind:?} {file}"
                );
            }
        }
    }

    #[test]
    fn a_new_version_has_new_content() {
        let p1 = plan(1, 5, 1, Kind::Txt, 0.5, 0.5);
        let p2 = plan(1, 5, 2, Kind::Txt, 0.5, 0.5);
        assert_ne!(
            build(1, 5, 1, Kind::Txt, "T", &p1),
            build(1, 5, 2, Kind::Txt, "T", &p2)
        );
        assert_eq!(
            build(1, 5, 1, Kind::Txt, "T", &p1),
            build(1, 5, 1, Kind::Txt, "T", &p1)
        );
    }
}
