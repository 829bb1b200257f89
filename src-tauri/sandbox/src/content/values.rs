//! Sensitive values and their near-misses, generated from a `Draw`, and the
//! validators that tell them apart (the same rules a correct detector applies).

use base64::Engine;

use super::SensitiveKind;
use crate::names;
use crate::rng::Draw;

const BASE32_UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// ---- validators ----

pub fn luhn_valid(digits: &str) -> bool {
    let ds: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if ds.len() < 12 {
        return false;
    }
    luhn_sum(&ds, false).is_multiple_of(10)
}

/// Luhn sum; `payload` doubles the last digit (a number still missing its check digit).
fn luhn_sum(ds: &[u32], payload: bool) -> u32 {
    ds.iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if (i % 2 == 1) != payload {
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
        .sum()
}

/// Digits of `s` if it is digits in groups split by one consistent separator (or none).
fn grouped_digits(s: &str) -> Option<String> {
    let seps: Vec<char> = s.chars().filter(|c| !c.is_ascii_digit()).collect();
    if seps.iter().any(|&c| c != ' ' && c != '-') || seps.windows(2).any(|w| w[0] != w[1]) {
        return None;
    }
    if s.starts_with([' ', '-']) || s.ends_with([' ', '-']) || s.contains("  ") || s.contains("--")
    {
        return None;
    }
    Some(s.chars().filter(|c| c.is_ascii_digit()).collect())
}

/// Whether a network issues numbers with this prefix at this length (the
/// ISO/IEC 7812 ranges in use whose numbers carry a Luhn digit).
fn issuer_known(d: &str) -> bool {
    let p = |n: usize| d.get(..n).and_then(|x| x.parse::<u32>().ok()).unwrap_or(0);
    let in_ = |n: usize, lo: u32, hi: u32| (lo..=hi).contains(&p(n));
    match d.len() {
        12 => in_(2, 50, 50) || in_(2, 56, 69),
        13 => d.starts_with('4') || in_(2, 50, 50) || in_(2, 56, 69),
        14 => {
            in_(3, 300, 305)
                || in_(3, 309, 309)
                || in_(2, 36, 36)
                || in_(2, 38, 39)
                || in_(2, 50, 50)
                || in_(2, 56, 69)
        }
        15 => {
            d.starts_with('1')
                || matches!(p(2), 34 | 37)
                || in_(3, 300, 305)
                || in_(3, 309, 309)
                || in_(2, 36, 36)
                || in_(2, 38, 39)
                || in_(2, 50, 50)
                || in_(2, 56, 69)
        }
        16..=19 => {
            let sixteen = d.len() == 16;
            (d.starts_with('4') && d.len() != 17 && d.len() != 18)
                || (sixteen && (in_(2, 51, 55) || in_(4, 2221, 2720) || in_(4, 2205, 2205)))
                || (sixteen && (in_(2, 81, 82) || matches!(p(4), 5019 | 9792)))
                || (d.len() != 17 && p(4) == 1946)
                || (d.len() == 19 && p(2) == 31)
                || in_(4, 2200, 2204)
                || in_(4, 3528, 3589)
                || in_(3, 300, 305)
                || in_(3, 309, 309)
                || in_(2, 36, 36)
                || in_(2, 38, 39)
                || in_(2, 50, 50)
                || in_(2, 56, 69)
        }
        _ => false,
    }
}

/// Payment card: 12–19 digits, Luhn, a network that issues that prefix at
/// that length, consistent separators.
pub fn card_valid(s: &str) -> bool {
    match grouped_digits(s) {
        Some(d) => (12..=19).contains(&d.len()) && luhn_valid(&d) && issuer_known(&d),
        None => false,
    }
}

/// US SSN `AAA-GG-SSSS`, `AAA GG SSSS`, `AAA.GG.SSSS` or `AAAGGSSSS`: area
/// not 000/666/900–999, group not 00, serial not 0000.
pub fn ssn_valid(s: &str) -> bool {
    let parts: Vec<&str> = match s.bytes().find(|b| !b.is_ascii_digit()) {
        None if s.len() == 9 => vec![&s[..3], &s[3..5], &s[5..]],
        None => return false,
        Some(sep) if matches!(sep, b'-' | b' ' | b'.') => s.split(sep as char).collect(),
        Some(_) => return false,
    };
    let [a, g, sr] = parts[..] else {
        return false;
    };
    let digits = |x: &str, n: usize| x.len() == n && x.bytes().all(|b| b.is_ascii_digit());
    if !(digits(a, 3) && digits(g, 2) && digits(sr, 4)) {
        return false;
    }
    let area: u32 = a.parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && g != "00" && sr != "0000"
}

/// Lengths of the IBAN countries the sandbox plants (a detector knows them all).
fn iban_length(country: &str) -> Option<usize> {
    IBAN_COUNTRIES
        .iter()
        .chain(&NEW_IBAN_COUNTRIES)
        .find(|(c, _)| *c == country)
        .map(|&(_, len)| len)
}

const IBAN_COUNTRIES: [(&str, usize); 19] = [
    ("NO", 15),
    ("BE", 16),
    ("DK", 18),
    ("FI", 18),
    ("NL", 18),
    ("AT", 20),
    ("LU", 20),
    ("CH", 21),
    ("DE", 22),
    ("GB", 22),
    ("IE", 22),
    ("AD", 24),
    ("CZ", 24),
    ("ES", 24),
    ("SE", 24),
    ("PT", 25),
    ("FR", 27),
    ("IT", 27),
    ("PL", 28),
];

/// Countries the SWIFT registry added lately (releases 89–101), and Algeria,
/// whose banks issue IBANs outside it.
pub(super) const NEW_IBAN_COUNTRIES: [(&str, usize); 13] = [
    ("BI", 27),
    ("DJ", 27),
    ("DZ", 26),
    ("FK", 18),
    ("HN", 28),
    ("LY", 25),
    ("MN", 20),
    ("NI", 28),
    ("OM", 23),
    ("RU", 33),
    ("SD", 18),
    ("SO", 23),
    ("YE", 30),
];

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
    if s.len() < 15 || !s.is_ascii() || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    if iban_length(&s[..2]) != Some(s.len()) || !s[2..4].bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    iban_mod97(&format!("{}{}", &s[4..], &s[..4])) == 1
}

/// NANP `(415) 555-0123`, `415-555-0123`, `415.555.0123`, `+1 415 555 0123` with area
/// and exchange starting 2–9, or `+CC …` E.164 with 8–15 digits.
pub fn phone_valid(s: &str) -> bool {
    let nanp = |rest: &str| -> bool {
        let d: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
        let shape_ok = {
            let b = rest.as_bytes();
            let is = |i: usize, c: u8| b.get(i) == Some(&c);
            let digits_at = |r: std::ops::Range<usize>| {
                r.clone()
                    .all(|i| b.get(i).is_some_and(|x| x.is_ascii_digit()))
                    && b.len() >= r.end
            };
            if rest.len() == 14 && is(0, b'(') && is(4, b')') && is(5, b' ') && is(9, b'-') {
                digits_at(1..4) && digits_at(6..9) && digits_at(10..14)
            } else if rest.len() == 12 {
                let sep = b[3];
                matches!(sep, b'-' | b'.' | b' ')
                    && is(7, sep)
                    && digits_at(0..3)
                    && digits_at(4..7)
                    && digits_at(8..12)
            } else {
                false
            }
        };
        shape_ok && d.len() == 10 && d.as_bytes()[0] >= b'2' && d.as_bytes()[3] >= b'2'
    };
    if let Some(rest) = s.strip_prefix("+1 ") {
        return nanp(rest);
    }
    if let Some(rest) = s.strip_prefix('+') {
        let ok_chars = rest.chars().all(|c| c.is_ascii_digit() || c == ' ');
        let d: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
        return ok_chars && (8..=15).contains(&d.len()) && !d.starts_with(['0', '1']);
    }
    nanp(s)
}

pub fn aws_key_valid(s: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA",
    ];
    s.len() == 20
        && PREFIXES.iter().any(|p| s.starts_with(p))
        && s[4..].bytes().all(|b| BASE32_UPPER.contains(&b))
}

pub fn private_key_valid(s: &str) -> bool {
    ["", "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "]
        .iter()
        .any(|k| s.starts_with(&format!("-----BEGIN {k}PRIVATE KEY-----")))
}

pub fn email_valid(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || "._-+".contains(c);
    // A TLD is letters (`.international`) or punycode (`.xn--p1ai`).
    let tld_ok = |tld: &str| {
        (tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
            || (tld.len() > 4 && tld.starts_with("xn--") && !tld.ends_with('-'))
    };
    !local.is_empty()
        && local.chars().all(ok)
        && domain.contains('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        && domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && domain.rsplit('.').next().is_some_and(tld_ok)
}

pub fn valid_for(kind: SensitiveKind, s: &str) -> bool {
    match kind {
        SensitiveKind::CreditCard => card_valid(s),
        SensitiveKind::UsSsn => ssn_valid(s),
        SensitiveKind::Iban => iban_valid(s),
        SensitiveKind::Email => email_valid(s),
        SensitiveKind::Phone => phone_valid(s),
        SensitiveKind::AwsAccessKey => aws_key_valid(s),
        SensitiveKind::PrivateKey => private_key_valid(s),
    }
}

/// Kinds whose validator accepts `s` (a planted value: exactly its own; a near-miss: none).
pub fn valid_kinds(s: &str) -> Vec<SensitiveKind> {
    SensitiveKind::ALL
        .into_iter()
        .filter(|&k| valid_for(k, s))
        .collect()
}

// ---- generators ----

fn digit_string(d: &mut Draw, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + d.below(10) as u8))
        .collect()
}

fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for &n in sizes {
        out.push(&s[at..at + n]);
        at += n;
    }
    out.join(sep)
}

/// Visa 16, Mastercard 16 (51–55 or 2221–2720) or Amex 15, spaced, dashed or bare.
pub fn card_number(d: &mut Draw, valid: bool) -> String {
    let mut digits: Vec<u32> = match d.below(4) {
        0 => vec![4],
        1 => vec![5, 1 + d.below(5) as u32],
        2 => {
            let p = d.range(2221, 2721) as u32;
            vec![p / 1000, p / 100 % 10, p / 10 % 10, p % 10]
        }
        _ => vec![3, if d.chance(0.5) { 4 } else { 7 }],
    };
    let amex = digits[0] == 3;
    let len = if amex { 15 } else { 16 };
    while digits.len() < len - 1 {
        digits.push(d.below(10) as u32);
    }
    let check = (10 - luhn_sum(&digits, true) % 10) % 10;
    digits.push(if valid {
        check
    } else {
        (check + 1 + d.below(9) as u32) % 10
    });
    let s: String = digits
        .iter()
        .map(|x| char::from_digit(*x, 10).unwrap())
        .collect();
    let sizes: &[usize] = if amex { &[4, 6, 5] } else { &[4, 4, 4, 4] };
    match d.below(3) {
        0 => group(&s, sizes, " "),
        1 => group(&s, sizes, "-"),
        _ => s,
    }
}

pub fn ssn(d: &mut Draw) -> String {
    let area = loop {
        let a = d.range(1, 900);
        if a != 666 {
            break a;
        }
    };
    format!(
        "{:03}-{:02}-{:04}",
        area,
        d.range(1, 100),
        d.range(1, 10_000)
    )
}

/// An SSN with exactly one never-issued part: area (000, 666, 9xx), group 00 or serial 0000.
pub fn invalid_ssn(d: &mut Draw, part: u8) -> String {
    let mut parts: Vec<String> = ssn(d).split('-').map(str::to_string).collect();
    match part {
        0 => {
            parts[0] = match d.below(3) {
                0 => "000".into(),
                1 => "666".into(),
                _ => d.range(900, 1000).to_string(),
            }
        }
        1 => parts[1] = "00".into(),
        _ => parts[2] = "0000".into(),
    }
    parts.join("-")
}

/// Whether grouped digits inside `s` could pass for a payment card (IBANs must not).
fn hides_a_card(s: &str) -> bool {
    let groups: Vec<&str> = s.split(' ').collect();
    (0..groups.len()).any(|a| {
        (a + 1..=groups.len()).any(|b| {
            let run = groups[a..b].join(" ");
            run.bytes().all(|c| c.is_ascii_digit() || c == b' ') && card_valid(&run)
        })
    })
}

/// An IBAN (DE, GB, FR or NL) printed in groups of four; `valid: false` breaks the check digits.
pub fn iban(d: &mut Draw, valid: bool) -> String {
    loop {
        let letters = |d: &mut Draw, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'A' + d.below(26) as u8))
                .collect()
        };
        let (country, bban) = match d.below(4) {
            0 => ("DE", digit_string(d, 18)),
            1 => ("GB", format!("{}{}", letters(d, 4), digit_string(d, 14))),
            2 => ("FR", digit_string(d, 23)),
            _ => ("NL", format!("{}{}", letters(d, 4), digit_string(d, 10))),
        };
        let good = 98 - iban_mod97(&format!("{bban}{country}00"));
        let check = if valid {
            good
        } else {
            loop {
                let c = d.range(2, 99) as u32;
                if c != good {
                    break c;
                }
            }
        };
        let raw = format!("{country}{check:02}{bban}");
        let printed = raw
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        // Random bank codes could spell a word; random digits could hide a card.
        if !hides_a_card(&printed) && !super::has_keyword(&printed) {
            return printed;
        }
    }
}

pub fn email(d: &mut Draw) -> String {
    let first = d.pick(names::FIRST).to_ascii_lowercase();
    let last = d.pick(names::LAST).to_ascii_lowercase();
    let domain = d.pick(&[
        "example.org",
        "corp.example.net",
        "northwind-partners.example",
    ]);
    format!("{first}.{last}@{domain}")
}

// ---- formats beyond the classic ones (issue 16): other card networks,
// SSNs without dashes, IBANs of countries new to the registry, emails on
// internationalised domains and long TLDs ----

/// Networks beyond Visa 16 / Mastercard / Amex: prefixes they issue, the
/// lengths, and how their cards print.
const MORE_NETWORKS: &[(&[&str], &[usize])] = &[
    (&["1"], &[15]), // UATP, printed 4-5-6
    (
        &[
            "5018", "5020", "5038", "5893", "6304", "6759", "6761", "6763",
        ],
        &[12, 13, 16, 19],
    ), // Maestro
    (&["5019", "4571"], &[16]), // Dankort
    (&["2200", "2201", "2202", "2203", "2204"], &[16]), // Mir
    (&["62"], &[16, 17, 18, 19]), // UnionPay
    (&["3528", "3566", "3589"], &[16, 19]), // JCB
    (&["6011", "644", "649", "65", "622126", "622925"], &[16, 19]), // Discover
    (&["300", "305", "36", "38", "39"], &[14]), // Diners, printed 4-6-4
    (&["4"], &[13, 19]), // Visa
];

/// Digits `prefix` + random + a Luhn digit (wrong when `valid` is false),
/// printed in its network's groups with spaces or dashes, or bare.
fn card_with(d: &mut Draw, prefix: &str, len: usize, valid: bool) -> String {
    let mut digits: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).collect();
    while digits.len() < len - 1 {
        digits.push(d.below(10) as u32);
    }
    let check = (10 - luhn_sum(&digits, true) % 10) % 10;
    digits.push(if valid {
        check
    } else {
        (check + 1 + d.below(9) as u32) % 10
    });
    let s: String = digits
        .iter()
        .map(|x| char::from_digit(*x, 10).unwrap())
        .collect();
    let sizes: Vec<usize> = match (prefix, len) {
        ("1", 15) => vec![4, 5, 6],
        (_, 14) => vec![4, 6, 4],
        _ => (0..len).step_by(4).map(|at| (len - at).min(4)).collect(),
    };
    match d.below(3) {
        0 => group(&s, &sizes, " "),
        1 => group(&s, &sizes, "-"),
        _ => s,
    }
}

/// A card of a network `card_number` never makes; `valid: false` breaks its Luhn digit.
pub fn card_number_more(d: &mut Draw, valid: bool) -> String {
    let (prefixes, lengths) = *d.pick(MORE_NETWORKS);
    let prefix = *d.pick(prefixes);
    let len = *d.pick(lengths);
    card_with(d, prefix, len, valid)
}

/// Passes Luhn, but no network issues that prefix at that length (UATP or
/// Amex at 16 digits, 7, 80, 90, just past Mastercard's 2-series).
pub fn unknown_issuer_card(d: &mut Draw) -> String {
    let prefix = *d.pick(&["10", "34", "37", "7", "80", "90", "2721"]);
    card_with(d, prefix, 16, true)
}

/// The same SSN with spaces, dots or no separator.
pub fn restyle_ssn(d: &mut Draw, ssn: &str) -> String {
    let sep = *d.pick(&[" ", ".", ""]);
    ssn.replace('-', sep)
}

/// A `len`-character IBAN of `country` with the right check digits, or
/// with `check` when it is wrong.
fn iban_printed(d: &mut Draw, country: &str, len: usize, check: Option<u32>) -> String {
    // Bank codes of letters where the registry has them.
    let letters = match country {
        "HN" | "NI" | "YE" => 4,
        "FK" => 2,
        _ => 0,
    };
    let bban: String = (0..len - 4)
        .map(|i| {
            if i < letters {
                char::from(b'A' + d.below(26) as u8)
            } else {
                char::from(b'0' + d.below(10) as u8)
            }
        })
        .collect();
    let good = 98 - iban_mod97(&format!("{bban}{country}00"));
    let check = match check {
        Some(c) if c != good => c,
        Some(_) if good == 98 => 97,
        Some(_) => good + 1,
        None => good,
    };
    let raw = format!("{country}{check:02}{bban}");
    if d.chance(0.3) {
        return raw;
    }
    raw.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An IBAN of a country new to the registry, in groups of four or
/// compact; `valid: false` breaks the check digits.
pub fn iban_more(d: &mut Draw, valid: bool) -> String {
    loop {
        let (country, len) = *d.pick(&NEW_IBAN_COUNTRIES);
        let check = (!valid).then(|| d.range(2, 99) as u32);
        let printed = iban_printed(d, country, len, check);
        if !hides_a_card(&printed) && !super::has_keyword(&printed) {
            return printed;
        }
    }
}

/// Right check digits, but one character more or fewer than the country's IBANs have.
pub fn iban_wrong_length(d: &mut Draw) -> String {
    loop {
        let (country, len) = *d.pick(&NEW_IBAN_COUNTRIES);
        let len = if d.chance(0.5) { len + 1 } else { len - 1 };
        let printed = iban_printed(d, country, len, None);
        if !hides_a_card(&printed) && !super::has_keyword(&printed) {
            return printed;
        }
    }
}

/// Domains in punycode (`müller.example`, `испытание.рф`, `例え.テスト`) or
/// under a long TLD.
const MORE_DOMAINS: &[&str] = &[
    "xn--mller-kva.example",
    "xn--80akhbyknj4f.xn--p1ai",
    "xn--r8jz45g.xn--zckzah",
    "northwind.international",
    "studio.example.photography",
];

pub fn email_more(d: &mut Draw) -> String {
    let first = d.pick(names::FIRST).to_ascii_lowercase();
    let last = d.pick(names::LAST).to_ascii_lowercase();
    format!("{first}.{last}@{}", d.pick(MORE_DOMAINS))
}

/// An address whose TLD is no TLD: a digit in it, one letter, or a bare `xn--`.
pub fn email_bad_tld(d: &mut Draw) -> String {
    let first = d.pick(names::FIRST).to_ascii_lowercase();
    let domain = d.pick(&["example.c0m", "northwind.x", "example.xn--", "studio.4u"]);
    format!("{first}@{domain}")
}

/// `value` (made by the classic generators) in one of the newer formats of its kind.
pub fn restyled(d: &mut Draw, kind: SensitiveKind, value: String) -> String {
    match kind {
        SensitiveKind::CreditCard => card_number_more(d, true),
        SensitiveKind::UsSsn => restyle_ssn(d, &value),
        SensitiveKind::Iban => iban_more(d, true),
        SensitiveKind::Email => email_more(d),
        _ => value,
    }
}

/// A fictional number: NANP 555-01xx in its usual spellings, or a UK Ofcom drama number.
pub fn phone(d: &mut Draw) -> String {
    let area = loop {
        let a = d.range(201, 990);
        // N11 codes are service codes, not areas.
        if a % 100 != 11 {
            break a;
        }
    };
    let line = 100 + d.below(100);
    match d.below(5) {
        0 => format!("({area}) 555-0{line}"),
        1 => format!("{area}-555-0{line}"),
        2 => format!("+1 {area} 555 0{line}"),
        3 => format!("{area}.555.0{line}"),
        _ => format!("+44 20 7946 0{}", d.range(100, 1000)),
    }
}

/// NANP-shaped with an area code starting 0 or 1 (never assigned).
pub fn invalid_phone(d: &mut Draw) -> String {
    let area = format!("{}{:02}", d.below(2), d.below(100));
    let line = 100 + d.below(100);
    match d.below(3) {
        0 => format!("({area}) 555-0{line}"),
        1 => format!("{area}-555-0{line}"),
        _ => format!("{area}.555.0{line}"),
    }
}

fn base32_tail(d: &mut Draw, n: usize) -> String {
    (0..n)
        .map(|_| BASE32_UPPER[d.below(32) as usize] as char)
        .collect()
}

pub fn aws_key(d: &mut Draw) -> String {
    format!("AKIA{}", base32_tail(d, 16))
}

/// Shaped like an access key id, with a prefix AWS never issues.
pub fn invalid_aws_key(d: &mut Draw) -> String {
    let prefix = *d.pick(&["AKIB", "AKIE", "AKAI", "BKIA", "AXIA"]);
    format!("{prefix}{}", base32_tail(d, 16))
}

pub fn aws_secret(d: &mut Draw) -> String {
    (0..40)
        .map(|_| BASE64_CHARS[d.below(64) as usize] as char)
        .collect()
}

fn pem(label: &str, der: &[u8], width: usize) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(width)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----",
        body.join("\n")
    )
}

fn random_bytes(d: &mut Draw, prefix: &[u8], n: usize) -> Vec<u8> {
    let mut out = prefix.to_vec();
    while out.len() < n {
        out.push(d.below(256) as u8);
    }
    out
}

/// A PEM RSA key (DER SEQUENCE header, so it starts `MII…`) or an OpenSSH key block.
pub fn private_key(d: &mut Draw) -> String {
    if d.chance(0.5) {
        let der = random_bytes(d, &[0x30, 0x82, 0x01, 0x7d, 0x02, 0x01, 0x00], 384);
        pem("RSA PRIVATE KEY", &der, 64)
    } else {
        let der = random_bytes(d, b"openssh-key-v1\0\0\0\0\x04none", 250);
        pem("OPENSSH PRIVATE KEY", &der, 70)
    }
}

/// A public key: looks like key material, is not a secret.
pub fn public_key(d: &mut Draw) -> String {
    let der = random_bytes(d, &[0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09], 200);
    pem("PUBLIC KEY", &der, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_know_good_from_bad() {
        assert!(luhn_valid("4539 1488 0343 6467"));
        assert!(!luhn_valid("4539 1488 0343 6468"));
        assert!(card_valid("4539-1488-0343-6467"));
        assert!(!card_valid("4539-1488 0343-6467"), "mixed separators");
        assert!(card_valid("378282246310005"));
        assert!(iban_valid("DE89 3704 0044 0532 0130 00"));
        assert!(!iban_valid("DE88 3704 0044 0532 0130 00"));
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(ssn_valid("123-45-6789"));
        for spelling in ["123 45 6789", "123.45.6789", "123456789"] {
            assert!(ssn_valid(spelling), "{spelling}");
        }
        assert!(card_valid("5018 0000 0009"), "Maestro, 12 digits");
        assert!(card_valid("1234 56789 012346") == luhn_valid("123456789012346"));
        assert!(luhn_valid("3400 0000 0000 0000") && !card_valid("3400 0000 0000 0000"));
        assert!(email_valid("anna@xn--mller-kva.example"));
        assert!(email_valid("ivan@xn--80akhbyknj4f.xn--p1ai"));
        assert!(!email_valid("anna@example.c0m") && !email_valid("anna@example.xn--"));
        assert!(iban_valid("RU02 0445 2560 0407 0281 0412 3456 7890 1"));
        for bad in [
            "123-45 6789",
            "123.45-6789",
            "12345678",
            "000-45-6789",
            "666-45-6789",
            "901-45-6789",
            "123-00-6789",
            "123-45-0000",
        ] {
            assert!(!ssn_valid(bad), "{bad}");
        }
        for good in [
            "(415) 555-0123",
            "415-555-0123",
            "415.555.0123",
            "+1 415 555 0123",
            "+44 20 7946 0958",
        ] {
            assert!(phone_valid(good), "{good}");
        }
        for bad in [
            "(015) 555-0123",
            "115-555-0123",
            "415-155-0123",
            "4155550123",
            "12345.67",
        ] {
            assert!(!phone_valid(bad), "{bad}");
        }
        assert!(aws_key_valid("AKIAIOSFODNN7EXAMPLE"));
        assert!(!aws_key_valid("AKIBIOSFODNN7EXAMPLE"));
        assert!(!private_key_valid("-----BEGIN PUBLIC KEY-----"));
        assert!(private_key_valid(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"
        ));
    }
}
