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

/// Whether the issuer prefix fits the number's length.
fn card_issuer(d: &[u8]) -> bool {
    let prefix = |n: usize| d[..n].iter().fold(0u32, |acc, &x| acc * 10 + x as u32);
    let len = d.len();
    match d[0] {
        4 => matches!(len, 13 | 16 | 19),                     // Visa
        5 => (51..=55).contains(&prefix(2)) && len == 16,     // Mastercard
        2 => (2221..=2720).contains(&prefix(4)) && len == 16, // Mastercard 2-series
        3 if matches!(prefix(2), 34 | 37) => len == 15,       // Amex
        3 if (3528..=3589).contains(&prefix(4)) => (16..=19).contains(&len), // JCB
        3 if matches!(prefix(2), 36 | 38) || (300..=305).contains(&prefix(3)) => {
            (14..=19).contains(&len) // Diners
        }
        6 if prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)) => {
            (16..=19).contains(&len) // Discover
        }
        _ => false,
    }
}

/// 13–19 digits, one kind of separator in the usual groupings, a known
/// issuer prefix and the Luhn check.
pub fn card(value: &[u8]) -> bool {
    let d = digits(value);
    if !(13..=19).contains(&d.len()) {
        return false;
    }
    let Some(g) = groups(value, b" -") else {
        return false;
    };
    let grouped_ok = match g.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true, // Amex, Diners
        [init @ .., last] => init.iter().all(|&n| n == 4) && (1..=4).contains(last),
        [] => false,
    };
    grouped_ok && card_issuer(&d) && luhn(&d)
}

/// `AAA-GG-SSSS` (or with spaces, or none: the caller requires a keyword
/// then): area not 000, 666 or 900–999, group not 00, serial not 0000.
pub fn ssn(value: &[u8]) -> bool {
    let d = digits(value);
    if d.len() != 9 {
        return false;
    }
    match groups(value, b"- ").as_deref() {
        Some([9]) | Some([3, 2, 4]) => {}
        _ => return false,
    }
    let area = d[0] as u32 * 100 + d[1] as u32 * 10 + d[2] as u32;
    let group = d[3] * 10 + d[4];
    let serial = d[5..].iter().fold(0u32, |acc, &x| acc * 10 + x as u32);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

pub fn ssn_is_dashed(value: &[u8]) -> bool {
    value.contains(&b'-')
}

/// IBAN length per country (the SWIFT registry).
fn iban_length(country: &[u8]) -> Option<usize> {
    const TABLE: &[(&[u8; 2], usize)] = &[
        (b"AD", 24),
        (b"AE", 23),
        (b"AL", 28),
        (b"AT", 20),
        (b"AZ", 28),
        (b"BA", 20),
        (b"BE", 16),
        (b"BG", 22),
        (b"BH", 22),
        (b"BR", 29),
        (b"BY", 28),
        (b"CH", 21),
        (b"CR", 22),
        (b"CY", 28),
        (b"CZ", 24),
        (b"DE", 22),
        (b"DK", 18),
        (b"DO", 28),
        (b"EE", 20),
        (b"EG", 29),
        (b"ES", 24),
        (b"FI", 18),
        (b"FO", 18),
        (b"FR", 27),
        (b"GB", 22),
        (b"GE", 22),
        (b"GI", 23),
        (b"GL", 18),
        (b"GR", 27),
        (b"GT", 28),
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
        (b"MC", 27),
        (b"MD", 24),
        (b"ME", 22),
        (b"MK", 19),
        (b"MR", 27),
        (b"MT", 31),
        (b"MU", 30),
        (b"NL", 18),
        (b"NO", 15),
        (b"PK", 24),
        (b"PL", 28),
        (b"PS", 29),
        (b"PT", 25),
        (b"QA", 29),
        (b"RO", 24),
        (b"RS", 22),
        (b"SA", 24),
        (b"SC", 31),
        (b"SE", 24),
        (b"SI", 19),
        (b"SK", 24),
        (b"SM", 27),
        (b"ST", 25),
        (b"SV", 28),
        (b"TL", 23),
        (b"TN", 24),
        (b"TR", 26),
        (b"UA", 29),
        (b"VA", 22),
        (b"VG", 24),
        (b"XK", 20),
    ];
    TABLE
        .iter()
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

/// RFC-ish `local@domain.tld`: a local part without leading, trailing or
/// doubled dots; labels without edge hyphens; an alphabetic TLD.
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
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic)
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
