use std::sync::Arc;

use super::validators::{self, luhn};
use super::*;

fn engine() -> Engine {
    Engine::new()
}

fn counts(report: &Report, detector: DetectorId) -> (u64, u64) {
    report.get(detector).map_or((0, 0), |d| (d.high, d.low))
}

fn total(report: &Report, detector: DetectorId) -> u64 {
    let (h, l) = counts(report, detector);
    h + l
}

/// Appends the Luhn check digit.
fn with_luhn(body: &str) -> String {
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|n| luhn(&n.bytes().map(|b| b - b'0').collect::<Vec<_>>()))
        .unwrap()
}

/// Computes an IBAN's check digits for `country` and `bban`.
fn iban_for(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rem = 0u32;
    for b in rearranged.bytes() {
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

// ---- validators: accept / reject tables ----

#[test]
fn card_validator_table() {
    let accept = [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555555555554444",
        "378282246310005",
        "3782 822463 10005",
        "6011111111111117",
        "3530111333300000",
        "30569309025904",
        "38520000023237",
        "4222222222222",
    ];
    for v in accept {
        assert!(validators::card(v.as_bytes()), "should accept {v}");
    }
    let mc2 = with_luhn("222100000000000");
    assert!(validators::card(mc2.as_bytes()), "{mc2}");
    let reject = [
        "4111111111111112",     // Luhn fails
        "4111 1111 1111 1112",  // Luhn fails, grouped
        "4111 1111-1111 1111",  // mixed separators
        "41 111111 1111 1111",  // odd grouping
        "1234567812345670",     // UATP numbers have 15 digits
        "411111111111",         // 12 digits (Visa has 13, 16 or 19)
        "41111111111111111111", // 20 digits
        "37828224631000",       // Amex with 14 digits
    ];
    for v in reject {
        assert!(!validators::card(v.as_bytes()), "should reject {v}");
    }
    assert!(!validators::card(with_luhn("999999999999999").as_bytes()));
}

/// Every network's range at the lengths it issues, each with its Luhn
/// digit; the same prefixes at other lengths, or just outside the range, fail.
#[test]
fn card_issuer_ranges() {
    // (issuer, a prefix inside its range, lengths issued)
    let inside: &[(&str, &str, &[usize])] = &[
        ("UATP", "1", &[15]),
        ("Maestro", "50", &[12, 13, 15, 19]),
        ("Maestro", "56", &[12, 16, 19]),
        ("Maestro", "6759", &[12, 18]),
        ("Maestro", "69", &[12]),
        ("Dankort", "5019", &[16]),
        ("Visa/Dankort", "4571", &[16]),
        ("Mir", "2200", &[16, 19]),
        ("Mir", "2204", &[16, 17]),
        ("UnionPay", "62", &[16, 17, 18, 19]),
        ("JCB", "3528", &[16, 19]),
        ("JCB", "3589", &[16]),
        ("Discover", "6011", &[16, 19]),
        ("Discover", "644", &[16]),
        ("Discover", "649", &[19]),
        ("Discover", "65", &[16]),
        ("Discover", "622126", &[16]),
        ("Discover", "622925", &[19]),
        ("Diners", "300", &[14, 16, 19]),
        ("Diners", "305", &[14]),
        ("Diners", "36", &[14, 19]),
        ("Diners", "38", &[14]),
        ("Diners", "39", &[16]),
        ("Amex", "34", &[15]),
        ("Amex", "37", &[15]),
        ("Visa", "4", &[13, 16, 19]),
        ("Mastercard", "51", &[16]),
        ("Mastercard", "55", &[16]),
        ("Mastercard", "2221", &[16]),
        ("Mastercard", "2720", &[16]),
        ("RuPay", "81", &[16]),
        ("China T-Union", "31", &[19]),
        ("Troy", "9792", &[16]),
    ];
    let number = |prefix: &str, len: usize| {
        let body: String = prefix
            .chars()
            .chain("73052918467305291846".chars())
            .take(len - 1)
            .collect();
        with_luhn(&body)
    };
    for (name, prefix, lengths) in inside {
        for &len in *lengths {
            let n = number(prefix, len);
            assert!(validators::card(n.as_bytes()), "{name} {n} ({len})");
        }
    }
    let outside: &[(&str, &str, usize)] = &[
        ("UATP at 16", "1", 16),
        ("Amex at 16", "34", 16),
        ("Visa at 15", "4", 15),
        ("Mastercard at 15", "51", 15),
        ("Mastercard at 19", "2720", 19),
        ("past Mastercard 2-series", "2721", 16),
        ("before Mastercard 2-series", "2220", 16),
        ("past Mir", "2206", 19),
        ("JCB at 15", "3528", 15),
        ("before JCB", "3527", 16),
        ("past Diners", "306", 14),
        ("Diners at 13", "36", 13),
        ("nobody's 7", "7", 16),
        ("nobody's 8", "80", 16),
        ("nobody's 9", "90", 16),
        ("UzCard: no Luhn digit to check", "8600", 16),
        ("Humo: no Luhn digit to check", "9860", 16),
        ("Maestro at 20", "50", 20),
        ("12 digits, not Maestro", "51", 12),
    ];
    for (what, prefix, len) in outside {
        let n = number(prefix, *len);
        assert!(!validators::card(n.as_bytes()), "{what}: {n}");
    }
    // Printed groupings of the shorter and longer numbers.
    let maestro12 = number("50", 12);
    let uatp = number("1", 15);
    for v in [
        format!(
            "{} {} {}",
            &maestro12[..4],
            &maestro12[4..8],
            &maestro12[8..]
        ),
        format!("{}-{}-{}", &uatp[..4], &uatp[4..9], &uatp[9..]),
        format!("{} {} {}", &uatp[..4], &uatp[4..9], &uatp[9..]),
    ] {
        assert!(validators::card(v.as_bytes()), "{v}");
    }
    let visa16 = number("4", 16);
    let odd = format!("{} {} {}", &visa16[..4], &visa16[4..9], &visa16[9..]);
    assert!(
        !validators::card(odd.as_bytes()),
        "4-5-7 is no grouping: {odd}"
    );
}

#[test]
fn ssn_validator_table() {
    for v in [
        "123-45-6789",
        "123 45 6789",
        "123.45.6789",
        "123456789",
        "899-99-9999",
    ] {
        assert!(validators::ssn(v.as_bytes()), "should accept {v}");
    }
    for v in [
        "000-12-3456", // area 000
        "666-12-3456", // area 666
        "900-12-3456", // area 9xx
        "999-12-3456",
        "123-00-4567", // group 00
        "123-45-0000", // serial 0000
        "123-45 6789", // mixed separators
        "123.45-6789",
        "123 45.6789",
        "000.12.3456",
        "666 12 3456",
        "123.00.4567",
        "123450000",
        "12-345-6789",
    ] {
        assert!(!validators::ssn(v.as_bytes()), "should reject {v}");
    }
}

#[test]
fn iban_validator_table() {
    for v in [
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "NL91ABNA0417164300",
        "FR1420041010050500013M02606",
        "NO9386011117947",
    ] {
        assert!(validators::iban(v.as_bytes()), "should accept {v}");
    }
    let short_de = iban_for("DE", "3704004405320130"); // 20 characters, DE needs 22
    assert!(validators::iban(
        iban_for("DE", "370400440532013000").as_bytes()
    ));
    // Every country added to the registry lately, each at its length.
    for (country, len) in [
        ("BI", 27),
        ("DJ", 27),
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
        ("DZ", 26),
    ] {
        let bban: String = "AB01234567890123456789012345678"
            .chars()
            .cycle()
            .skip(2)
            .take(len - 4)
            .collect();
        let good = iban_for(country, &bban);
        assert!(validators::iban(good.as_bytes()), "{good}");
        let grouped: Vec<String> = good
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        assert!(validators::iban(grouped.join(" ").as_bytes()));
        let long = iban_for(country, &format!("{bban}1"));
        let short = iban_for(country, &bban[1..]);
        for bad in [long, short] {
            assert!(!validators::iban(bad.as_bytes()), "wrong length {bad}");
        }
        let mut broken = good.clone().into_bytes();
        broken[3] = if broken[3] == b'9' {
            b'0'
        } else {
            broken[3] + 1
        };
        assert!(!validators::iban(&broken), "bad check digits");
    }
    for v in [
        "DE88370400440532013000",      // wrong check digits
        "DE89 3704 0044 0532 0130 01", // wrong check digits, grouped
        short_de.as_str(),             // right checksum, wrong length for DE
        "XX89370400440532013000",      // no such country
        "DE89 37040044 0532 0130 00",  // inconsistent grouping
    ] {
        assert!(!validators::iban(v.as_bytes()), "should reject {v}");
    }
}

#[test]
fn email_validator_table() {
    for v in [
        "john.doe@example.org",
        "a+b@sub.example.co.uk",
        "x_y%z@host-1.io",
        "anna@xn--mnchen-3ya.de",
        "ivan@xn--80a1acny.xn--p1ai",
        "info@example.international",
        "ops@sub.xn--fiqs8s",
    ] {
        assert!(validators::email(v.as_bytes()), "should accept {v}");
    }
    for v in [
        ".john@example.org",
        "john.@example.org",
        "john..doe@example.org",
        "john@example",
        "john@-example.org",
        "john@example.c0m",
        "john@example.c",
        "john@example.xn--",
        "john@xn--.org",
        "@example.org",
    ] {
        assert!(!validators::email(v.as_bytes()), "should reject {v}");
    }
}

#[test]
fn phone_validator_table() {
    for v in [
        "(415) 555-0123",
        "(415)555-0123",
        "415-555-0123",
        "415.555.0123",
        "415 555 0123",
        "+1 415 555 0123",
        "+1 (415) 555-0123",
        "+14155550123",
        "+44 20 7946 0958",
        "+4915123456789",
    ] {
        assert!(validators::phone(v.as_bytes()), "should accept {v}");
    }
    for v in [
        "(015) 555-0123", // area starts with 0
        "(115) 555-0123", // area starts with 1
        "115-555-0123",
        "415-155-0123", // exchange starts with 1
        "415-055-0123",
        "415-555.0123", // mixed separators
        "+1 015 555 0123",
        "+1 415 555 012", // +1 is NANP: 10 digits
        "+4412345",       // 7 digits
    ] {
        assert!(!validators::phone(v.as_bytes()), "should reject {v}");
    }
}

// ---- the engine: near-misses in running text ----

#[test]
fn near_misses_are_not_reported() {
    let text = "\
        card 4111 1111 1111 1112 declined. ssn 000-12-3456 666-12-3456 912-34-5678 \
        123-00-4567 123-45-0000. iban DE88370400440532013000 and DE89 3704 0044 0532 0130 \
        phone (015) 555-0123 115-555-0123 call 4155550123 total 12345.67 on 2026-01-02 \
        order 123456789012 id 98765-4321 amount 1,234,567.89 \
        aws AKIBIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLE1 xAKIAIOSFODNN7EXAMPLE \
        -----BEGIN PUBLIC KEY----- -----BEGIN CERTIFICATE----- -----BEGIN RSA PUBLIC KEY----- \
        mail john..doe@example.org nobody@localhost \
        card 5018 0000 0019 1234 56789 012346 2200 0000 0000 0005 ssn 000.12.3456 666 12 3456 \
        123.00.4567 iban RU0304452560040702810412345678901 SD8911123456789012 \
        mail ops@example.xn-- x@xn--.org";
    let report = engine().scan(text);
    assert_eq!(report.detectors, vec![], "{report:#?}");
}

#[test]
fn each_detector_finds_its_values() {
    let text = "\
        Visa 4111 1111 1111 1111, amex 378282246310005.\n\
        SSN: 123-45-6789\n\
        IBAN DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432\n\
        write to john.doe@example.org\n\
        phone (415) 555-0123 or +44 20 7946 0958\n\
        aws AKIAIOSFODNN7EXAMPLE\n\
        -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n";
    let report = engine().scan(text);
    assert_eq!(total(&report, DetectorId::CreditCard), 2);
    assert_eq!(total(&report, DetectorId::UsSsn), 1);
    assert_eq!(total(&report, DetectorId::Iban), 2);
    assert_eq!(total(&report, DetectorId::Email), 1);
    assert_eq!(total(&report, DetectorId::Phone), 2);
    assert_eq!(total(&report, DetectorId::AwsAccessKey), 1);
    assert_eq!(total(&report, DetectorId::PrivateKey), 1);
    let order: Vec<_> = report.detectors.iter().map(|d| d.detector).collect();
    assert_eq!(order, DetectorId::ALL.to_vec(), "reports follow ALL order");
    assert_eq!(report.chars, text.chars().count() as u64);
}

#[test]
fn no_card_inside_a_valid_iban() {
    let e = engine();
    // A German IBAN whose 18 account digits read as a Maestro number.
    let bban = (0..1000)
        .map(|k| format!("501800000009{k:06}"))
        .find(|b| luhn(&b.bytes().map(|x| x - b'0').collect::<Vec<_>>()))
        .unwrap();
    let iban = iban_for("DE", &bban);
    let grouped: Vec<String> = iban
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let grouped = grouped.join(" ");
    let digits = &grouped[5..];
    assert!(
        validators::card(digits.as_bytes()),
        "{digits} reads as a card"
    );
    let r = e.scan(&format!("Pay to {grouped} today"));
    assert_eq!(total(&r, DetectorId::Iban), 1, "{grouped}");
    assert_eq!(total(&r, DetectorId::CreditCard), 0, "{grouped}");
    // The same digits after an IBAN head whose check fails, or alone: a card.
    let broken = format!(
        "DE{} {digits}",
        if &iban[2..4] == "10" { "11" } else { "10" }
    );
    for text in [broken, digits.to_string(), format!("x {digits}")] {
        let r = e.scan(&format!("Pay to {text} today"));
        assert_eq!(total(&r, DetectorId::CreditCard), 1, "{text}");
    }
}

#[test]
fn ssn_in_every_spelling_is_low_without_a_keyword() {
    let e = engine();
    let spellings = "123-45-6789, 123 45 6789, 123.45.6789 and 123456789";
    let r = e.scan(&format!("ref {spellings}"));
    assert_eq!(counts(&r, DetectorId::UsSsn), (0, 4));
    let r = e.scan(&format!("SSN {spellings}"));
    assert_eq!(counts(&r, DetectorId::UsSsn), (4, 0));
    // Mixed separators and invalid parts stay out in every spelling.
    let r = e.scan("SSN 123.45-6789 123 45.6789 000.12.3456 666 12 3456 123450000");
    assert_eq!(total(&r, DetectorId::UsSsn), 0, "{r:#?}");
}

#[test]
fn new_formats_are_found() {
    let e = engine();
    let uatp = with_luhn("11112222333344");
    let maestro12 = with_luhn("50180000000");
    let unionpay19 = with_luhn("621234567890123456");
    let mir = with_luhn("220012345678901");
    let cards = format!(
        "{uatp} {} {} {} {}-{}-{} {maestro12} {unionpay19} {mir}",
        &uatp[..4],
        &uatp[4..9],
        &uatp[9..],
        &maestro12[..4],
        &maestro12[4..8],
        &maestro12[8..],
    );
    let r = e.scan(&format!("ref {cards}"));
    assert_eq!(counts(&r, DetectorId::CreditCard), (0, 6), "{cards}");
    let r = e.scan(&format!("card {cards}"));
    assert_eq!(counts(&r, DetectorId::CreditCard), (6, 0), "{cards}");

    let ru = iban_for("RU", "04452560040702810412345678901");
    let ye = iban_for("YE", "CBYE0001018861234567891234");
    let r = e.scan(&format!("to {ru} and {ye}."));
    assert_eq!(counts(&r, DetectorId::Iban), (0, 2), "{ru} {ye}");

    let r = e.scan("write to ivan@xn--80a1acny.xn--p1ai or anna@xn--mnchen-3ya.de or info@example.international");
    assert_eq!(total(&r, DetectorId::Email), 3);
}

// ---- confidence by keyword distance ----

#[test]
fn keyword_within_300_characters_is_high_beyond_is_low() {
    let e = engine();
    let card = "4111111111111111";
    for (gap, want) in [
        (299, Confidence::High),
        (300, Confidence::High),
        (301, Confidence::Low),
    ] {
        let pad = " ".repeat(gap);
        let before = format!("visa{pad}{card}");
        let after = format!("{card}{pad}visa");
        // Multi-byte characters count as one character each.
        let wide = format!("visa{}{card}", "é".repeat(gap));
        for text in [before, after, wide] {
            let (h, l) = counts(&e.scan(&text), DetectorId::CreditCard);
            let got = if h == 1 {
                Confidence::High
            } else {
                Confidence::Low
            };
            assert_eq!(h + l, 1);
            assert_eq!(got, want, "gap {gap}");
        }
    }
    // An expiry date vouches for a card; a keyword must start a word.
    assert_eq!(
        counts(
            &e.scan(&format!("{card} exp 09/28")),
            DetectorId::CreditCard
        ),
        (1, 0)
    );
    assert_eq!(
        counts(&e.scan(&format!("{card} discard")), DetectorId::CreditCard),
        (0, 1)
    );
    assert_eq!(
        counts(&e.scan(&format!("{card} 13/28")), DetectorId::CreditCard),
        (0, 1)
    );
}

#[test]
fn a_private_key_block_is_high_confidence_on_its_own() {
    let e = engine();
    let r = e.scan("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n");
    assert_eq!(counts(&r, DetectorId::PrivateKey), (1, 0));
    let r = e.scan("deploy key:\n-----BEGIN EC PRIVATE KEY-----\nMHcC\n");
    assert_eq!(counts(&r, DetectorId::PrivateKey), (1, 0));
    let r = e.scan("-----BEGIN ENCRYPTED PRIVATE KEY----- -----BEGIN PRIVATE KEY-----");
    assert_eq!(total(&r, DetectorId::PrivateKey), 2);
}

// ---- AWS secret nearby ----

#[test]
fn aws_secret_key_nearby() {
    let e = engine();
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(secret.len(), 40);
    let id = "AKIAIOSFODNN7EXAMPLE";
    let r = e.scan(&format!(
        "aws_access_key_id={id}\naws_secret_access_key={secret}\n"
    ));
    let d = r.get(DetectorId::AwsAccessKey).unwrap();
    assert!(d.secret_nearby && d.high == 1);
    let far = format!("{id}{}{secret}", " ".repeat(400));
    assert!(
        !e.scan(&far)
            .get(DetectorId::AwsAccessKey)
            .unwrap()
            .secret_nearby
    );
    let near = format!("{secret}{}{id}", " ".repeat(250));
    assert!(
        e.scan(&near)
            .get(DetectorId::AwsAccessKey)
            .unwrap()
            .secret_nearby
    );
    // 41 characters, or a lowercase-only run (a hex digest), is not a secret key.
    let long = format!("{id} {secret}X");
    assert!(
        !e.scan(&long)
            .get(DetectorId::AwsAccessKey)
            .unwrap()
            .secret_nearby
    );
    let hex = format!("{id} {}", "a".repeat(40));
    assert!(
        !e.scan(&hex)
            .get(DetectorId::AwsAccessKey)
            .unwrap()
            .secret_nearby
    );
}

// ---- masks ----

#[test]
fn masks_hide_the_value() {
    let cases = [
        (
            DetectorId::CreditCard,
            "4111 1111 1111 1234",
            "************1234",
            "41111111111",
        ),
        (DetectorId::UsSsn, "123-45-6789", "***-**-6789", "12345"),
        (
            DetectorId::Iban,
            "DE89370400440532013456",
            "DE** **** … 3456",
            "8937040044053201",
        ),
        (
            DetectorId::Email,
            "john.doe@example.org",
            "j***@example.org",
            "ohn.doe",
        ),
        (DetectorId::Phone, "(415) 555-0123", "***-***-0123", "415"),
        (
            DetectorId::AwsAccessKey,
            "AKIAIOSFODNN7EXAMPLE",
            "AKIA************MPLE",
            "IOSFODNN",
        ),
    ];
    for (detector, value, want, secret_part) in cases {
        let m = mask(detector, value);
        assert_eq!(m, want);
        assert!(!m.contains(value));
        assert!(
            !m.contains(secret_part),
            "{m} shows more than 4 secret characters"
        );
        let shown = m.chars().filter(char::is_ascii_alphanumeric).count();
        let allowed = match detector {
            DetectorId::Iban => 6,         // country code + 4
            DetectorId::AwsAccessKey => 8, // the public prefix + 4
            DetectorId::Email => 1 + "exampleorg".len(),
            _ => 4,
        };
        assert!(shown <= allowed, "{m}");
    }
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA";
    let m = mask(DetectorId::PrivateKey, key);
    assert_eq!(m, "-----BEGIN RSA PRIVATE KEY----- [redacted]");
    assert!(!m.contains("MIIE"));
    // Short or odd input never comes back whole.
    for d in DetectorId::ALL {
        for v in ["1234", "x", "AKIA1234"] {
            assert_ne!(mask(d, v), v, "{d:?}");
        }
    }
}

#[test]
fn detector_ids_round_trip() {
    for d in DetectorId::ALL {
        assert_eq!(DetectorId::parse(d.as_str()), Some(d));
        assert!(!d.label().is_empty());
    }
    assert_eq!(DetectorId::parse("nope"), None);
    assert!(Confidence::Low < Confidence::High);
    assert_eq!(Confidence::High.as_str(), "high");
}

// ---- the engine equals one regex pass per detector ----

/// A text dense with values, near-misses and awkward edges.
fn tricky_text() -> String {
    let mut t = String::new();
    for i in 0..6 {
        t.push_str(&format!(
            "Row {i}: card 4111-1111-1111-1111 exp 10/29, 5555555555554444 12 \
             4111 1111 1111 1111 2026; 41111111111111111111 and 4111 1111 1111 11112\n\
             ssn 123-45-6789 / 123 45 6789 / 0001-23-4567 / 123-45-67890 / x123-45-6789\n\
             DE89 3704 0044 0532 0130 00 BANK BE71 0961 2345 6769 FROM GB82WEST12345698765432X \
             NL91ABNA0417164300 ok RU0204452560040702810412345678901 YE15CBYE0001018861234567891234\n\
             5018 0000 0009 5018-0000-0009 501800000009 1234 56789 012345 1234-56789-0123456 \
             6011 0000 0000 0004 1 3056 9309 0259 04 123.45.6789 123.45 6789 665.12.3456.\n\
             a@b@c.com x.y+z@sub.example.org. @nobody foo@bar (at) \u{e9}l\u{e8}ve@\u{e9}cole.fr\n\
             +1 415-555-0123 (212) 555-0199 +1(415)555-0123 +44 20 7946 0958 +1 415-555-012 \
             415-555-0123-4567 (415)-555-0123 +33 1 23 45 67 89.\n\
             AKIAIOSFODNN7EXAMPLE ASIAY34FZKBOKMUTVV7A_AKIAIOSFODNN7EXAMPLE ------BEGIN PRIVATE KEY-----\n\
             secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \u{1F600} caf\u{e9}\n"
        ));
        t.push_str(&"lorem ipsum dolor sit amet ".repeat(i * 7));
    }
    t
}

fn regex_report(engine: &Engine, text: &str) -> Report {
    let mut builder = ReportBuilder::new();
    for detector in DetectorId::ALL {
        let re = regex::bytes::Regex::new(detector.candidate_regex()).unwrap();
        for m in re.find_iter(text.as_bytes()) {
            builder.record(engine, detector, text.as_bytes(), m.start(), m.end());
        }
    }
    builder.finish(char_count(text.as_bytes()))
}

#[test]
fn engine_matches_one_regex_pass_per_detector() {
    let e = engine();
    let text = tricky_text();
    let report = e.scan(&text);
    assert_eq!(report, regex_report(&e, &text));
    assert!(report.detectors.len() >= 6, "{report:#?}");
    // Candidate spans agree too, not only validated counts: every regex
    // candidate, valid or not, is one the engine parsed.
    for piece in [
        "4111 1111 1111 11112",
        "0001-23-4567",
        "12345-6789 123-456789 12345 6789 123.456789 12345.6789 SSN",
        "5018 0000 0009 5018 0000 0009 1 5018 0000 000 1234 56789 012345 1234 56789 01234",
        "1234 5678 9012 3456 7890 1234 5678 9012x 1234-5678-9012-",
        "3782-822463-10005 3782 822463 1000 4111-1111-1111-1111-111 4111 1111 1111 1111 1111",
        "DE89 3704 0044 0532 0130 00AB DE89370400440532013000_",
        "415-555-0123-4567",
        "a@b@c.com",
    ] {
        assert_eq!(e.scan(piece), regex_report(&e, piece), "{piece}");
    }
}

// ---- chunked input ----

fn chunked(engine: &Arc<Engine>, pieces: &[&str]) -> Report {
    let mut scanner = ChunkScanner::new(engine.clone());
    for p in pieces {
        scanner.push(p);
    }
    scanner.finish()
}

fn char_offsets(text: &str) -> Vec<usize> {
    (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect()
}

#[test]
fn chunk_split_at_every_offset_equals_whole_scan() {
    let e = Arc::new(engine());
    let text = tricky_text();
    let small = &text[..text.char_indices().nth(5000).unwrap().0];
    let whole = e.scan(small);
    assert!(!whole.detectors.is_empty());
    for i in char_offsets(small) {
        assert_eq!(
            chunked(&e, &[&small[..i], &small[i..]]),
            whole,
            "split at {i}"
        );
    }
}

#[test]
fn chunk_pieces_of_any_size_equal_whole_scan() {
    // Long enough that the scanner trims its buffer many times.
    let e = Arc::new(engine());
    let text = tricky_text().repeat(40);
    let whole = e.scan(&text);
    let offsets = char_offsets(&text);
    for size in [1usize, 2, 3, 7, 64, 333, 4095, 4097, 70_000] {
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < text.len() {
            let mut next = (at + size).min(text.len());
            while !text.is_char_boundary(next) {
                next += 1;
            }
            pieces.push(&text[at..next]);
            at = next;
        }
        assert_eq!(chunked(&e, &pieces), whole, "pieces of {size}");
    }
    // Pseudo-random split points (a fixed LCG, so failures reproduce).
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20 {
        let mut cuts: Vec<usize> = (0..12)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                offsets[(seed >> 33) as usize % offsets.len()]
            })
            .collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut at = 0;
        for c in cuts.into_iter().chain([text.len()]) {
            pieces.push(&text[at..c]);
            at = c;
        }
        assert_eq!(chunked(&e, &pieces), whole);
    }
}
