//! Validators: given a candidate span (the bytes a detector's candidate regex
//! matched), say whether it is a real value of that kind. Shared by the
//! engine and the benchmark's regex baseline.

use super::DetectorId;

pub fn validate(detector: DetectorId, value: &[u8]) -> bool {
    match detector {
        DetectorId::CreditCard => card(value),
        DetectorId::UsSsn => ssn(value),
        DetectorId::Iban => iban(value),
        DetectorId::Email => email(value),
        DetectorId::Phone => phone(value),
        // The candidate shape is the whole rule for these two.
        DetectorId::AwsAccessKey => value.len() == 20,
        DetectorId::PrivateKey => value.starts_with(b"-----BEGIN "),
    }
}

fn digits(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect()
}

/// Lengths of the groups `value` splits into at `sep`, and whether every
/// separator is the same byte.
fn groups(value: &[u8], seps: &[u8]) -> Option<Vec<usize>> {
    let mut used = None;
    for &b in value.iter().filter(|b| seps.contains(b)) {
        if *used.get_or_insert(b) != b {
            return None;
        }
    }
    Some(match used {
        None => vec![value.len()],
        Some(sep) => value.split(|&b| b == sep).map(<[u8]>::len).collect(),
    })
}

pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = d as u32;
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

/// The lengths a network issues, as a bit per digit count.
const fn lengths(min: u32, max: u32) -> u32 {
    (1 << (max + 1)) - (1 << min)
}

const fn length(n: u32) -> u32 {
    1 << n
}

/// A card network's numbers: those whose first `digits` digits lie in
/// `lo..=hi`, at the lengths in `lengths`.
struct Issuer {
    digits: u32,
    lo: u32,
    hi: u32,
    lengths: u32,
}

const fn issuer(digits: u32, lo: u32, hi: u32, lengths: u32) -> Issuer {
    Issuer {
        digits,
        lo,
        hi,
        lengths,
    }
}

/// Every issuer range in use whose numbers carry a Luhn check digit (the
/// networks' published IIN ranges, as ISO/IEC 7812 lists collect them;
/// UzCard, Humo and Napas carry none, so a Luhn rule cannot tell theirs
/// from any number and they are left out).
/// Ranges overlap (Maestro's 56–69 holds Discover, UnionPay, RuPay …); a
/// number passes when any row takes it.
const ISSUERS: &[Issuer] = &[
    issuer(1, 1, 1, length(15)),                                 // UATP
    issuer(4, 1946, 1946, length(16) | length(18) | length(19)), // GPN (Indonesia)
    issuer(4, 2200, 2204, lengths(16, 19)),                      // Mir
    issuer(4, 2205, 2205, length(16)),                           // BORICA
    issuer(4, 2221, 2720, length(16)),                           // Mastercard 2-series
    issuer(3, 300, 305, lengths(14, 19)),                        // Diners Club
    issuer(3, 309, 309, lengths(14, 19)),                        // Diners Club
    issuer(2, 31, 31, length(19)),                               // China T-Union
    issuer(2, 34, 34, length(15)),                               // American Express
    issuer(2, 37, 37, length(15)),                               // American Express
    issuer(4, 3528, 3589, lengths(16, 19)),                      // JCB
    issuer(2, 36, 36, lengths(14, 19)),                          // Diners Club
    issuer(2, 38, 39, lengths(14, 19)),                          // Diners Club
    issuer(1, 4, 4, length(13) | length(16) | length(19)),       // Visa (Dankort 4571)
    issuer(2, 50, 50, lengths(12, 19)),                          // Maestro
    issuer(4, 5019, 5019, length(16)),                           // Dankort
    issuer(2, 51, 55, length(16)),                               // Mastercard
    issuer(2, 56, 69, lengths(12, 19)),                          // Maestro
    issuer(4, 6011, 6011, lengths(16, 19)),                      // Discover
    issuer(6, 622126, 622925, lengths(16, 19)),                  // Discover (UnionPay co-brand)
    issuer(2, 62, 62, lengths(16, 19)),                          // UnionPay
    issuer(3, 644, 649, lengths(16, 19)),                        // Discover
    issuer(2, 65, 65, lengths(16, 19)),                          // Discover, RuPay, Troy
    issuer(2, 81, 82, length(16)),                               // RuPay
    issuer(4, 9792, 9792, length(16)),                           // Troy
];

/// Whether some network issues numbers of this prefix at this length.
fn card_issuer(d: &[u8]) -> bool {
    let six = d[..6].iter().fold(0u32, |acc, &x| acc * 10 + x as u32);
    let len = d.len() as u32;
    ISSUERS.iter().any(|i| {
        let prefix = six / 10u32.pow(6 - i.digits);
        i.lengths & (1 << len) != 0 && (i.lo..=i.hi).contains(&prefix)
    })
}

/// 12–19 digits, one kind of separator in the usual groupings, a known
/// issuer prefix and the Luhn check.
pub fn card(value: &[u8]) -> bool {
    let d = digits(value);
    if !(12..=19).contains(&d.len()) {
        return false;
    }
    let Some(g) = groups(value, b" -") else {
        return false;
    };
    let grouped_ok = match g.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true, // Amex, Diners
        [4, 5, 6] => true,             // UATP
        [init @ .., last] => init.iter().all(|&n| n == 4) && (1..=4).contains(last),
        [] => false,
    };
    grouped_ok && card_issuer(&d) && luhn(&d)
}

/// `AAA-GG-SSSS`, or with spaces or dots, or none (without a keyword nearby
/// these are low confidence): area not 000, 666 or 900–999, group not 00,
/// serial not 0000.
pub fn ssn(value: &[u8]) -> bool {
    let d = digits(value);
    if d.len() != 9 {
        return false;
    }
    match groups(value, b"-. ").as_deref() {
        Some([9]) | Some([3, 2, 4]) => {}
        _ => return false,
    }
    let area = d[0] as u32 * 100 + d[1] as u32 * 10 + d[2] as u32;
    let group = d[3] * 10 + d[4];
    let serial = d[5..].iter().fold(0u32, |acc, &x| acc * 10 + x as u32);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// IBAN length per country: the SWIFT IBAN registry (release 101, December
/// 2025: 89 countries), then countries whose banks issue IBANs outside it.
fn iban_length(country: &[u8]) -> Option<usize> {
    const REGISTRY: &[(&[u8; 2], usize)] = &[
        (b"AD", 24),
        (b"AE", 23),
        (b"AL", 28),
        (b"AT", 20),
        (b"AZ", 28),
        (b"BA", 20),
        (b"BE", 16),
        (b"BG", 22),
        (b"BH", 22),
        (b"BI", 27),
        (b"BR", 29),
        (b"BY", 28),
        (b"CH", 21),
        (b"CR", 22),
        (b"CY", 28),
        (b"CZ", 24),
        (b"DE", 22),
        (b"DJ", 27),
        (b"DK", 18),
        (b"DO", 28),
        (b"EE", 20),
        (b"EG", 29),
        (b"ES", 24),
        (b"FI", 18),
        (b"FK", 18),
        (b"FO", 18),
        (b"FR", 27),
        (b"GB", 22),
        (b"GE", 22),
        (b"GI", 23),
        (b"GL", 18),
        (b"GR", 27),
        (b"GT", 28),
        (b"HN", 28),
        (b"HR", 21),
        (b"HU", 28),
        (b"IE", 22),
        (b"IL", 23),
        (b"IQ", 23),
        (b"IS", 26),
        (b"IT", 27),
        (b"JO", 30),
        (b"KW", 30),
        (b"KZ", 20),
        (b"LB", 28),
        (b"LC", 32),
        (b"LI", 21),
        (b"LT", 20),
        (b"LU", 20),
        (b"LV", 21),
        (b"LY", 25),
        (b"MC", 27),
        (b"MD", 24),
        (b"ME", 22),
        (b"MK", 19),
        (b"MN", 20),
        (b"MR", 27),
        (b"MT", 31),
        (b"MU", 30),
        (b"NI", 28),
        (b"NL", 18),
        (b"NO", 15),
        (b"OM", 23),
        (b"PK", 24),
        (b"PL", 28),
        (b"PS", 29),
        (b"PT", 25),
        (b"QA", 29),
        (b"RO", 24),
        (b"RS", 22),
        (b"RU", 33),
        (b"SA", 24),
        (b"SC", 31),
        (b"SD", 18),
        (b"SE", 24),
        (b"SI", 19),
        (b"SK", 24),
        (b"SM", 27),
        (b"SO", 23),
        (b"ST", 25),
        (b"SV", 28),
        (b"TL", 23),
        (b"TN", 24),
        (b"TR", 26),
        (b"UA", 29),
        (b"VA", 22),
        (b"VG", 24),
        (b"XK", 20),
        (b"YE", 30),
    ];
    // Algeria, Iran, Morocco and the CFA franc zones: national IBANs, the same
    // ISO 13616 check, listed by the IBAN services but not by SWIFT.
    const NATIONAL: &[(&[u8; 2], usize)] = &[
        (b"BF", 28),
        (b"BJ", 28),
        (b"CF", 27),
        (b"CG", 27),
        (b"CI", 28),
        (b"CM", 27),
        (b"CV", 25),
        (b"DZ", 26),
        (b"GA", 27),
        (b"GQ", 27),
        (b"GW", 25),
        (b"IR", 26),
        (b"KM", 27),
        (b"MA", 28),
        (b"MG", 27),
        (b"ML", 28),
        (b"MZ", 25),
        (b"NE", 28),
        (b"SN", 28),
        (b"TD", 27),
        (b"TG", 28),
    ];
    REGISTRY
        .iter()
        .chain(NATIONAL)
        .find(|(cc, _)| &cc[..] == country)
        .map(|&(_, len)| len)
}

/// Per-country length, then mod-97 over the rearranged characters; grouped
/// in fours throughout or not at all.
pub fn iban(value: &[u8]) -> bool {
    let Some(g) = groups(value, b" ") else {
        return false;
    };
    if let [init @ .., _] = g.as_slice() {
        if g.len() > 1 && !init.iter().all(|&n| n == 4) {
            return false;
        }
    }
    let compact: Vec<u8> = value.iter().copied().filter(|&b| b != b' ').collect();
    if compact.len() < 5 || iban_length(&compact[..2]) != Some(compact.len()) {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in compact[4..].iter().chain(&compact[..4]) {
        let v = match b {
            b'0'..=b'9' => (b - b'0') as u32,
            b'A'..=b'Z' => (b - b'A') as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Whether the card candidate `text[start..end]` is part of a valid IBAN
/// printed in groups of four (`DE89 5018 0000 0009 1234 56`): those digits
/// are the account's, and a wide issuer range (Maestro's 12–19 digits from
/// 50 and 56–69) would otherwise read one card in many IBANs.
pub fn inside_iban(text: &[u8], start: usize, end: usize) -> bool {
    let alnum = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let group = |i: usize| text.get(i..i + 4).is_some_and(|g| g.iter().all(alnum));
    // Back over `XXXX ` groups to each possible head `[A-Z]{2}[0-9]{2}`.
    let mut s = start;
    for _ in 0..8 {
        if s < 5 || text[s - 1] != b' ' || !group(s - 5) {
            return false;
        }
        s -= 5;
        let head = &text[s..s + 4];
        let is_head = head[..2].iter().all(u8::is_ascii_uppercase)
            && head[2..].iter().all(u8::is_ascii_digit)
            && (s == 0 || !super::scan::is_word(text[s - 1]));
        if !is_head {
            continue;
        }
        // The IBAN from that head: groups of four, the last one 1–4 long.
        let mut e = s + 4;
        while text.get(e) == Some(&b' ') && e - s < 40 {
            let n = text[e + 1..]
                .iter()
                .take(4)
                .take_while(|b| alnum(b))
                .count();
            if n == 0 {
                break;
            }
            e += 1 + n;
            if n < 4 {
                break;
            }
        }
        if e >= end && (e == text.len() || !super::scan::is_word(text[e])) && iban(&text[s..e]) {
            return true;
        }
    }
    false
}

/// RFC-ish `local@domain.tld`: a local part without leading, trailing or
/// doubled dots; labels without edge hyphens (punycode `xn--` labels
/// included); a TLD of letters (`.international` too) or in punycode
/// (`.xn--p1ai`).
pub fn email(value: &[u8]) -> bool {
    let Some(at) = value.iter().position(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&value[..at], &value[at + 1..]);
    if local.is_empty()
        || local.len() > 64
        || local.starts_with(b".")
        || local.ends_with(b".")
        || local.windows(2).any(|w| w == b"..")
    {
        return false;
    }
    if domain.len() > 253 {
        return false;
    }
    let labels: Vec<&[u8]> = domain.split(|&b| b == b'.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with(b"-") && !l.ends_with(b"-"))
        && tld_ok(tld)
}

fn tld_ok(tld: &[u8]) -> bool {
    let punycode = tld.len() > 4 && tld[..4].eq_ignore_ascii_case(b"xn--");
    punycode || (tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic))
}

/// NANP: area code and exchange start with 2–9; `+1` numbers are NANP;
/// other `+CC` numbers have 8–15 digits. A bare form keeps one separator.
pub fn phone(value: &[u8]) -> bool {
    let d = digits(value);
    let nanp = |n: &[u8]| n.len() == 10 && n[0] >= 2 && n[3] >= 2;
    if value.first() == Some(&b'+') {
        return if d.first() == Some(&1) {
            nanp(&d[1..])
        } else {
            (8..=15).contains(&d.len())
        };
    }
    if value.first() != Some(&b'(') {
        // `415-555-0123`, `415.555.0123`, `415 555 0123`: the same separator twice.
        if value.len() != 12 || value[3] != value[7] {
            return false;
        }
    }
    nanp(&d)
}
