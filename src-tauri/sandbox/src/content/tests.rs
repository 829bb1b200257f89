use super::*;

#[path = "../../tests/common/extract.rs"]
mod extract;
use extract::{zip_names, zip_part};

fn extract(kind: Kind, bytes: &[u8]) -> String {
    extract::extract(kind.ext(), bytes)
}

/// A keyword of the value's own kind (what makes it high confidence).
fn own_keyword(kind: SensitiveKind, window: &str) -> bool {
    let w = window.to_ascii_lowercase();
    match kind {
        SensitiveKind::CreditCard => w.contains("card"),
        SensitiveKind::UsSsn => w.contains("ssn"),
        SensitiveKind::Iban => w.contains("iban"),
        SensitiveKind::Email => w.contains("email"),
        SensitiveKind::Phone => w.contains("phone"),
        SensitiveKind::AwsAccessKey => w.contains("aws_access_key_id"),
        SensitiveKind::PrivateKey => w.contains("private key"),
    }
}

fn around(text: &str, at: usize, len: usize) -> &str {
    let mut a = at.saturating_sub(300);
    let mut b = (at + len + 300).min(text.len());
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    while !text.is_char_boundary(b) {
        b += 1;
    }
    &text[a..b]
}

const TEXT_KINDS: [Kind; 9] = [
    Kind::Txt,
    Kind::Md,
    Kind::Csv,
    Kind::Json,
    Kind::Html,
    Kind::Docx,
    Kind::Xlsx,
    Kind::Pptx,
    Kind::Pdf,
];

#[test]
fn planted_values_are_valid_for_their_kind_only_and_near_misses_for_none() {
    let (mut planted, mut misses) = (0, 0);
    let mut reasons = std::collections::HashSet::new();
    for file in 0..4000 {
        let p = plan(7, file, 1, Kind::Txt, 0.5, 0.5);
        for x in &p.planted {
            planted += 1;
            assert_eq!(valid_kinds(&x.value), vec![x.kind], "{}", x.value);
        }
        for n in &p.near_misses {
            misses += 1;
            reasons.insert(n.reason as u8);
            assert_eq!(n.kind, n.reason.imitates());
            assert!(
                valid_kinds(&n.value).is_empty(),
                "{:?} {}",
                n.reason,
                n.value
            );
        }
    }
    assert!(planted > 1500 && misses > 1000, "{planted} {misses}");
    assert_eq!(
        reasons.len(),
        NearMissKind::ALL.len(),
        "every near-miss is made"
    );
}

#[test]
fn values_come_in_every_format_and_confidence() {
    let all: Vec<Plan> = (0..3000)
        .map(|f| plan(11, f, 1, Kind::Txt, 1.0, 0.0))
        .collect();
    let values = |k: SensitiveKind| {
        all.iter()
            .flat_map(|p| p.planted.iter())
            .filter(move |x| x.kind == k)
            .map(|x| x.value.clone())
    };
    let cards: Vec<String> = values(SensitiveKind::CreditCard).collect();
    for (what, test) in [
        (
            "visa 16",
            &(|c: &String| c.starts_with('4') && c.replace(['-', ' '], "").len() == 16)
                as &dyn Fn(&String) -> bool,
        ),
        ("mc 16", &|c: &String| {
            c.starts_with('5') || c.starts_with('2')
        }),
        ("amex 15", &|c: &String| {
            c.replace(['-', ' '], "").len() == 15
        }),
        ("spaces", &|c: &String| c.contains(' ')),
        ("dashes", &|c: &String| c.contains('-')),
        ("bare", &|c: &String| c.bytes().all(|b| b.is_ascii_digit())),
    ] {
        assert!(cards.iter().any(test), "{what}");
    }
    let phones: Vec<String> = values(SensitiveKind::Phone).collect();
    for shape in ["(", "+1 ", "+44 ", "."] {
        assert!(phones.iter().any(|p| p.contains(shape)), "{shape}");
    }
    assert!(phones.iter().any(|p| p.len() == 12 && p.contains('-')));
    let keys: Vec<String> = values(SensitiveKind::PrivateKey).collect();
    assert!(keys
        .iter()
        .any(|k| k.starts_with("-----BEGIN RSA PRIVATE KEY-----\nMII")));
    assert!(keys
        .iter()
        .any(|k| k.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n")));
    let flat: Vec<&Planted> = all.iter().flat_map(|p| p.planted.iter()).collect();
    assert!(flat.iter().any(|p| p.confidence == Confidence::Low));
    assert!(flat.iter().any(|p| p.confidence == Confidence::High));
    assert!(flat.iter().any(|p| p.secret_nearby));
    assert!(flat
        .iter()
        .all(|p| p.kind != SensitiveKind::PrivateKey || p.confidence == Confidence::High));
    assert!(flat
        .iter()
        .all(|p| !p.secret_nearby || p.kind == SensitiveKind::AwsAccessKey));
}

#[test]
fn newer_formats_come_in_every_kind() {
    let all: Vec<Plan> = (0..3000)
        .map(|f| plan(13, f, 1, Kind::Txt, 1.0, 1.0))
        .collect();
    let planted: Vec<&Planted> = all.iter().flat_map(|p| p.planted.iter()).collect();
    let of = |k: SensitiveKind| -> Vec<String> {
        planted
            .iter()
            .filter(|p| p.kind == k)
            .map(|p| p.value.clone())
            .collect()
    };
    let digits = |v: &str| -> String { v.chars().filter(char::is_ascii_digit).collect() };
    let cards = of(SensitiveKind::CreditCard);
    for (what, prefixes, len) in [
        ("UATP", &["1"][..], 15),
        ("Maestro 12", &["50", "58", "63", "67"][..], 12),
        ("Maestro 19", &["50", "58", "63", "67"][..], 19),
        ("Dankort", &["5019"][..], 16),
        ("Mir", &["2200", "2201", "2202", "2203", "2204"][..], 16),
        ("UnionPay 19", &["62"][..], 19),
        ("JCB", &["35"][..], 16),
        ("Discover", &["6011", "644", "649", "65"][..], 16),
        ("Diners 14", &["30", "36", "38", "39"][..], 14),
        ("Visa 13", &["4"][..], 13),
        ("Visa 19", &["4"][..], 19),
    ] {
        assert!(
            cards.iter().any(|c| {
                let d = digits(c);
                d.len() == len && prefixes.iter().any(|p| d.starts_with(p))
            }),
            "{what}"
        );
    }
    assert!(
        cards
            .iter()
            .any(|c| c.len() == 17 && c.as_bytes()[4] == b' ' && c.as_bytes()[10] == b' '),
        "UATP 4-5-6"
    );
    let ssns = of(SensitiveKind::UsSsn);
    for shape in [
        |s: &str| s.contains('-'),
        |s: &str| s.contains(' '),
        |s: &str| s.contains('.'),
        |s: &str| s.len() == 9,
    ] {
        assert!(ssns.iter().any(|s| shape(s)));
    }
    let ibans = of(SensitiveKind::Iban);
    for (country, _) in values::NEW_IBAN_COUNTRIES {
        assert!(ibans.iter().any(|i| i.starts_with(country)), "{country}");
    }
    assert!(ibans.iter().any(|i| !i.contains(' ')), "compact IBANs");
    let emails = of(SensitiveKind::Email);
    assert!(emails.iter().any(|e| e.ends_with(".xn--p1ai")));
    assert!(emails.iter().any(|e| e.contains("@xn--")));
    assert!(emails.iter().any(|e| e.ends_with(".international")));
    // Near-misses of the newer formats, each rejected by every validator.
    let misses: Vec<&NearMiss> = all.iter().flat_map(|p| p.near_misses.iter()).collect();
    for reason in [
        NearMissKind::CardUnknownIssuer,
        NearMissKind::IbanWrongLength,
        NearMissKind::EmailBadTld,
    ] {
        assert!(misses.iter().any(|n| n.reason == reason), "{reason:?}");
    }
    assert!(misses
        .iter()
        .any(|n| n.kind == SensitiveKind::UsSsn && !n.value.contains('-')));
    assert!(misses
        .iter()
        .any(|n| n.reason == NearMissKind::LuhnFailingCard && digits(&n.value).starts_with('1')));
    for n in misses {
        assert!(
            valid_kinds(&n.value).is_empty(),
            "{:?} {}",
            n.reason,
            n.value
        );
    }
    for p in planted {
        assert_eq!(valid_kinds(&p.value), vec![p.kind], "{}", p.value);
    }
}

#[test]
fn the_planting_rate_is_the_configured_one() {
    let n = 20_000;
    let hit = (0..n)
        .filter(|&f| !plan(3, f, 1, Kind::Csv, 0.1, 0.0).planted.is_empty())
        .count();
    let rate = hit as f64 / n as f64;
    assert!((0.09..0.11).contains(&rate), "{rate}");
    for k in [Kind::Jpg, Kind::Png, Kind::Mp4] {
        assert!(
            plan(3, 1, 1, k, 1.0, 1.0) == Plan::default(),
            "binaries carry nothing"
        );
    }
}

#[test]
fn content_length_is_the_declared_size_for_every_kind() {
    for file in 0..150 {
        for kind in Kind::ALL {
            for rate in [0.0, 0.5, 1.0] {
                let p = plan(1, file, 2, kind, rate, rate);
                let bytes = build(1, file, 2, kind, "Quarterly Payroll 00042.txt", &p);
                assert_eq!(
                    bytes.len() as u64,
                    declared_size(1, file, 2, kind),
                    "{kind:?} {file} {rate}"
                );
            }
        }
    }
}

#[test]
fn every_text_kind_parses_and_holds_exactly_its_plan() {
    let mut checked = std::collections::HashMap::<(Kind, Confidence), usize>::new();
    for file in 0..240 {
        for kind in TEXT_KINDS {
            let p = plan(5, file, 1, kind, 0.8, 0.6);
            let title = "Quarterly Payroll 00042";
            let bytes = build(5, file, 1, kind, title, &p);
            let text = extract(kind, &bytes);
            if kind != Kind::Csv {
                assert!(text.contains(title), "{kind:?}: title missing");
            }
            for x in &p.planted {
                for line in x.value.lines() {
                    assert!(text.contains(line), "{kind:?} {file}: {line} missing");
                }
                let first = x.value.lines().next().unwrap();
                let at = text.find(first).unwrap();
                let window = around(&text, at, x.value.len());
                match x.confidence {
                    Confidence::High => assert!(
                        own_keyword(x.kind, window),
                        "{kind:?} {file}: no keyword near {first}"
                    ),
                    Confidence::Low => assert!(
                        !has_keyword(window),
                        "{kind:?} {file}: a keyword near bare {first}: {window:?}"
                    ),
                }
                if x.secret_nearby {
                    let after = &text[at..(at + 300).min(text.len())];
                    let secret = x.secret.as_deref().unwrap();
                    assert!(after.contains(&format!("aws_secret_access_key = {secret}")));
                }
                *checked.entry((kind, x.confidence)).or_default() += 1;
            }
            for n in &p.near_misses {
                for line in n.value.lines() {
                    assert!(text.contains(line), "{kind:?}: near-miss {line} missing");
                }
            }
        }
    }
    for kind in TEXT_KINDS {
        for c in [Confidence::Low, Confidence::High] {
            assert!(
                checked.get(&(kind, c)).copied().unwrap_or(0) > 5,
                "{kind:?} {c:?}"
            );
        }
    }
}

#[test]
fn the_pdf_is_text_with_every_line_in_a_tj_and_pages_of_fixed_length() {
    let p = plan(9, 3, 1, Kind::Pdf, 1.0, 1.0);
    let bytes = build(9, 3, 1, Kind::Pdf, "Annual Report 00003.pdf", &p);
    let s = String::from_utf8_lossy(&bytes);
    assert!(s.contains("/BaseFont /Helvetica"));
    for x in &p.planted {
        for line in x.value.lines() {
            assert!(s.contains(&format!("{}) Tj", pdf_escape(line))), "{line}");
        }
    }
    let ls = lines(9, 3, 1, "Annual Report 00003.pdf", &p, 30);
    let pages = ls.len().div_ceil(LINES_PER_PAGE);
    assert!(s.contains(&format!("/Count {pages} >>")));
    assert_eq!(s.matches("/Type /Page ").count(), pages);
}

#[test]
fn the_pptx_is_a_deck_whose_slides_are_listed_typed_and_linked() {
    let p = plan(9, 4, 1, Kind::Pptx, 1.0, 1.0);
    let title = "Team Presentation 00004.pptx";
    let bytes = build(9, 4, 1, Kind::Pptx, title, &p);
    let names = zip_names(&bytes);
    let n = lines(9, 4, 1, title, &p, 24)
        .len()
        .div_ceil(LINES_PER_SLIDE);
    let types = zip_part(&bytes, "[Content_Types].xml");
    let pres = zip_part(&bytes, "ppt/presentation.xml");
    let rels = zip_part(&bytes, "ppt/_rels/presentation.xml.rels");
    assert_eq!(pres.matches("<p:sldId ").count(), n);
    for i in 1..=n {
        assert!(names.contains(&format!("ppt/slides/slide{i}.xml")));
        assert!(names.contains(&format!("ppt/slides/_rels/slide{i}.xml.rels")));
        assert!(types.contains(&format!("/ppt/slides/slide{i}.xml\"")));
        assert!(rels.contains(&format!("Target=\"slides/slide{i}.xml\"")));
    }
    for part in [
        "ppt/slideMasters/slideMaster1.xml",
        "ppt/slideLayouts/slideLayout1.xml",
        "ppt/theme/theme1.xml",
        "_rels/.rels",
    ] {
        assert!(names.contains(&part.to_string()), "{part}");
    }
    // Slides in order give the document's lines in order.
    let text = extract(Kind::Pptx, &bytes);
    assert!(text.starts_with(title));
}

#[test]
fn html_script_and_style_carry_nothing_and_json_is_an_object_of_lines() {
    let p = plan(9, 5, 1, Kind::Html, 1.0, 0.0);
    let html = String::from_utf8(build(9, 5, 1, Kind::Html, "T", &p)).unwrap();
    for (open, close) in [("<script>", "</script>"), ("<style>", "</style>")] {
        let a = html.find(open).unwrap() + open.len();
        let b = html.find(close).unwrap();
        let inner = &html[a..b];
        assert!(!has_keyword(inner) && !inner.contains('@'), "{inner}");
        assert!(valid_kinds(inner).is_empty());
    }
    let json = build(
        9,
        6,
        1,
        Kind::Json,
        "T",
        &plan(9, 6, 1, Kind::Json, 1.0, 0.0),
    );
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert!(v["paragraphs"].as_array().unwrap().len() > 8);
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
