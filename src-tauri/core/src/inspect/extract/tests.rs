//! Fixtures are built here: real OOXML zips written with the zip crate, a
//! hand-written one-page PDF with computed xref offsets, text in several
//! encodings. Each type must yield its planted line.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;

const CARD_LINE: &str = "Card on file: 4111 1111 1111 1111";

fn extract_all(
    path: &Path,
    ft: FileType,
    limits: &Limits,
) -> Result<(String, ExtractStats), NotInspected> {
    let mut text = String::new();
    let stats = extract_file(path, ft, limits, &Deadline::never(), &mut |piece| {
        text.push_str(piece)
    })?;
    Ok((text, stats))
}

fn extract_ok(path: &Path, ft: FileType) -> (String, ExtractStats) {
    extract_all(path, ft, &Limits::default()).expect("extracts")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn zip_bytes(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, body) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn paragraphs(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| format!("<w:p><w:r><w:t xml:space=\"preserve\">{l}</w:t></w:r></w:p>"))
        .collect()
}

fn docx(body_lines: &[&str], header: &str) -> Vec<u8> {
    let document = format!(
        "{XML_HEAD}<w:document xmlns:w=\"{W_NS}\"><w:body>{}</w:body></w:document>",
        paragraphs(body_lines)
    );
    let header = format!(
        "{XML_HEAD}<w:hdr xmlns:w=\"{W_NS}\">{}</w:hdr>",
        paragraphs(&[header])
    );
    zip_bytes(&[
        ("[Content_Types].xml", format!("{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>").into_bytes()),
        ("word/document.xml", document.into_bytes()),
        ("word/header1.xml", header.into_bytes()),
    ])
}

fn pptx(slides: &[(u32, &str)]) -> Vec<u8> {
    let a = "http://schemas.openxmlformats.org/drawingml/2006/main";
    let p = "http://schemas.openxmlformats.org/presentationml/2006/main";
    let mut entries = vec![(
        "ppt/presentation.xml".to_string(),
        format!("{XML_HEAD}<p:presentation xmlns:p=\"{p}\"/>").into_bytes(),
    )];
    for (n, text) in slides {
        let xml = format!(
            "{XML_HEAD}<p:sld xmlns:a=\"{a}\" xmlns:p=\"{p}\"><p:cSld><p:spTree><p:sp><p:txBody>\
             <a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
        );
        entries.push((format!("ppt/slides/slide{n}.xml"), xml.into_bytes()));
    }
    let refs: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    zip_bytes(&refs)
}

/// A two-sheet workbook: a shared string, an inline string and a card number
/// stored as a number on the first sheet, an SSN on the second.
fn xlsx() -> Vec<u8> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let pkg = "http://schemas.openxmlformats.org/package/2006/relationships";
    let sheet = |rows: &str| {
        format!("{XML_HEAD}<worksheet xmlns=\"{main}\"><sheetData>{rows}</sheetData></worksheet>")
            .into_bytes()
    };
    zip_bytes(&[
        ("[Content_Types].xml", format!("{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/></Types>").into_bytes()),
        ("_rels/.rels", format!("{XML_HEAD}<Relationships xmlns=\"{pkg}\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>").into_bytes()),
        ("xl/workbook.xml", format!("{XML_HEAD}<workbook xmlns=\"{main}\" xmlns:r=\"{rel}\"><sheets><sheet name=\"Cards\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"People\" sheetId=\"2\" r:id=\"rId2\"/></sheets></workbook>").into_bytes()),
        ("xl/_rels/workbook.xml.rels", format!("{XML_HEAD}<Relationships xmlns=\"{pkg}\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet2.xml\"/><Relationship Id=\"rId3\" Type=\"{rel}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>").into_bytes()),
        ("xl/sharedStrings.xml", format!("{XML_HEAD}<sst xmlns=\"{main}\" count=\"2\" uniqueCount=\"2\"><si><t>{CARD_LINE}</t></si><si><t>Name</t></si></sst>").into_bytes()),
        ("xl/worksheets/sheet1.xml", sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"inlineStr\"><is><t>inline note</t></is></c></row><row r=\"2\"><c r=\"A2\"><v>4012888888881881</v></c></row>")),
        ("xl/worksheets/sheet2.xml", sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>1</v></c><c r=\"B1\" t=\"str\"><v>SSN 123-45-6789</v></c></row>")),
    ])
}

/// A one-page PDF in Helvetica with two text lines; `encrypt` adds a
/// standard security handler whose user password is not empty.
fn pdf(lines: &[&str], encrypt: bool) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
    for line in lines {
        content.push_str(&format!("({line}) Tj T*\n"));
    }
    content.push_str("ET");
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    if encrypt {
        let h32 = "7A".repeat(32);
        objects.push(format!(
            "<< /Filter /Standard /V 1 /R 2 /O <{h32}> /U <{}> /P -44 >>",
            "3C".repeat(32)
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        table.push_str(&format!("{off:010} 00000 n \n"));
    }
    let extra = if encrypt {
        format!(" /Encrypt 6 0 R /ID [<{0}> <{0}>]", "11".repeat(16))
    } else {
        String::new()
    };
    table.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R{extra} >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.extend_from_slice(table.as_bytes());
    out
}

#[test]
fn docx_yields_body_and_header_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.docx",
        &docx(&["Quarterly notes", CARD_LINE], "Header: SSN 123-45-6789"),
    );
    assert_eq!(
        file_type("a.docx", &std::fs::read(&path).unwrap()),
        Ok(FileType::Docx)
    );
    let (text, stats) = extract_ok(&path, FileType::Docx);
    assert!(
        text.contains(&format!("Quarterly notes\n{CARD_LINE}\n")),
        "{text:?}"
    );
    assert!(text.contains("Header: SSN 123-45-6789"), "{text:?}");
    assert_eq!(stats.parts, 2);
    assert_eq!(stats.chars, text.chars().count() as u64);
}

#[test]
fn docx_keeps_tracked_deletions_tabs_and_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let document = format!(
        "{XML_HEAD}<w:document xmlns:w=\"{W_NS}\"><w:body><w:p><w:r><w:t>IBAN</w:t><w:tab/><w:t>DE89 3704</w:t></w:r>\
         <w:r><w:t xml:space=\"preserve\"> 0044 0532 0130 00</w:t><w:br/><w:t>next &amp; last</w:t></w:r></w:p>\
         <w:p><w:del><w:r><w:delText>{CARD_LINE}</w:delText></w:r></w:del></w:p></w:body></w:document>"
    );
    let path = write(
        dir.path(),
        "t.docx",
        &zip_bytes(&[("word/document.xml", document.into_bytes())]),
    );
    let (text, stats) = extract_ok(&path, FileType::Docx);
    assert_eq!(
        text,
        format!("IBAN\tDE89 3704 0044 0532 0130 00\nnext & last\n{CARD_LINE}\n")
    );
    assert_eq!(stats.parts, 1);
}

#[test]
fn pptx_yields_slides_in_number_order() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = pptx(&[(10, "tenth"), (2, CARD_LINE), (1, "first")]);
    let path = write(dir.path(), "deck.pptx", &bytes);
    let (text, stats) = extract_ok(&path, FileType::Pptx);
    assert_eq!(text, format!("first\n{CARD_LINE}\ntenth\n"));
    assert_eq!(stats.parts, 3);
}

#[test]
fn xlsx_yields_every_sheet_with_shared_strings_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "book.xlsx", &xlsx());
    let (text, stats) = extract_ok(&path, FileType::Xlsx);
    assert!(
        text.contains(&format!("{CARD_LINE}\tinline note\n4012888888881881")),
        "{text:?}"
    );
    assert!(text.contains("Name\tSSN 123-45-6789"), "{text:?}");
    assert_eq!(stats.parts, 2);
}

#[test]
fn pdf_yields_its_page_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "doc.pdf",
        &pdf(&[CARD_LINE, "Exp 12/29"], false),
    );
    assert_eq!(
        file_type("doc.pdf", &std::fs::read(&path).unwrap()),
        Ok(FileType::Pdf)
    );
    let (text, stats) = extract_ok(&path, FileType::Pdf);
    assert!(text.contains(CARD_LINE), "{text:?}");
    assert!(text.contains("Exp 12/29"), "{text:?}");
    assert_eq!(stats.parts, 1);
}

#[test]
fn encrypted_pdf_is_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "locked.pdf", &pdf(&[CARD_LINE], true));
    assert_eq!(
        extract_all(&path, FileType::Pdf, &Limits::default()).unwrap_err(),
        NotInspected::Encrypted
    );
}

#[test]
fn truncated_or_garbage_pdf_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let whole = pdf(&[CARD_LINE], false);
    let cut = write(dir.path(), "cut.pdf", &whole[..whole.len() / 3]);
    let err = extract_all(&cut, FileType::Pdf, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "corrupt", "{err:?}");
    let junk = write(
        dir.path(),
        "junk.pdf",
        b"%PDF-1.7\n\x00\x01garbage all the way",
    );
    let err = extract_all(&junk, FileType::Pdf, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "corrupt", "{err:?}");
}

#[test]
fn plain_csv_markdown_pass_through() {
    let dir = tempfile::tempdir().unwrap();
    for (name, ft) in [
        ("a.txt", FileType::Text),
        ("a.csv", FileType::Csv),
        ("a.md", FileType::Markdown),
    ] {
        let body = format!("id,amount\n1,12345.67\n{CARD_LINE}\n");
        let path = write(dir.path(), name, body.as_bytes());
        assert_eq!(file_type(name, body.as_bytes()), Ok(ft));
        assert_eq!(extract_ok(&path, ft).0, body);
    }
}

/// Hands out one byte per read: every multi-byte sequence is split.
struct Trickle<R>(R);
impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

fn extract_stream(bytes: &[u8], filter: text::Filter) -> String {
    let mut text = String::new();
    let mut sink = |piece: &str| text.push_str(piece);
    let mut out = Emitter::new(&mut sink);
    text::extract_reader(Trickle(bytes), filter, &Deadline::never(), &mut out).unwrap();
    text
}

#[test]
fn utf8_split_across_reads_and_invalid_bytes_are_replaced() {
    let mut bytes = "Kärtchen € 𝄞 ".as_bytes().to_vec();
    bytes.extend_from_slice(&[0xFF, 0xC3]);
    bytes.extend_from_slice(b" ok");
    assert_eq!(
        extract_stream(&bytes, text::Filter::Plain),
        "Kärtchen € 𝄞 \u{FFFD}\u{FFFD} ok"
    );
}

#[test]
fn utf16_with_bom_is_decoded() {
    let line = format!("{CARD_LINE} ✓");
    let mut le = vec![0xFF, 0xFE];
    le.extend(line.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let mut be = vec![0xFE, 0xFF];
    be.extend(line.encode_utf16().flat_map(|u| u.to_be_bytes()));
    assert_eq!(file_type("le.txt", &le), Ok(FileType::Text));
    assert_eq!(extract_stream(&le, text::Filter::Plain), line);
    assert_eq!(extract_stream(&be, text::Filter::Plain), line);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "le.txt", &le);
    assert_eq!(extract_ok(&path, FileType::Text).0, line);
}

#[test]
fn json_keeps_keys_and_values_with_escapes_decoded() {
    let json = r#"{"note":"Card on file:\n4111 1111 1111 1111","ssn":"\u0031\u0032\u0033-45-6789","clef":"\ud834\udd1e \"q\""}"#;
    let text = extract_stream(json.as_bytes(), text::Filter::Json);
    assert_eq!(
        text,
        "{\"note\":\"Card on file:\n4111 1111 1111 1111\",\"ssn\":\"123-45-6789\",\"clef\":\"𝄞 \"q\"\"}"
    );
}

#[test]
fn html_gives_visible_text_only() {
    let html = "<!DOCTYPE html><html><head><title>Billing</title><style>p { color: red } </style>\
        <script>var card = '5555 5555 5555 4444'; if (a < b) {}</script></head>\
        <body><!-- hidden 378282246310005 --><p class=\"x\" data-x='a>b'>Card&nbsp;on file: <b>4111</b> 1111 1111 1111</p>\
        <div>Tom &amp; Jerry &lt;3 &#52;&#x32; a < b &bogus; AT&T</div></body></html>";
    let text = extract_stream(html.as_bytes(), text::Filter::Html);
    assert_eq!(
        text,
        "Billing\nCard on file: 4111 1111 1111 1111\nTom & Jerry <3 42 a < b &bogus; AT&T\n"
    );
}

#[test]
fn unknown_or_contradicting_types_are_refused() {
    let unknown = |name: &str, head: &[u8]| match file_type(name, head) {
        Err(NotInspected::UnknownType(why)) => why,
        other => panic!("{name}: {other:?}"),
    };
    assert!(unknown("photo.png", b"\x89PNG").contains(".png"));
    assert!(unknown("README", b"hello").contains("no extension"));
    assert!(unknown("notes.txt", b"\x89PNG\r\n").contains("binary"));
    assert!(unknown("report.docx", b"%PDF-1.4").contains("docx"));
    assert!(unknown("scan.pdf", b"PK\x03\x04").contains("pdf"));
    // Planning before a download: the extension alone; the magic is
    // confirmed by extract_file once the bytes are there.
    assert_eq!(file_type("scan.pdf", b""), Ok(FileType::Pdf));
    let dir = tempfile::tempdir().unwrap();
    let fake = write(dir.path(), "scan.pdf", b"PK\x03\x04 not a pdf");
    let err = extract_all(&fake, FileType::Pdf, &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, NotInspected::UnknownType(why) if why.contains("not a PDF")),
        "{err:?}"
    );
    let png = write(dir.path(), "notes.txt", b"\x89PNG\r\n\x1a\n\0\0");
    assert_eq!(
        extract_all(&png, FileType::Text, &Limits::default())
            .unwrap_err()
            .code(),
        "unknown_type"
    );
    assert!(unknown("data.csv", b"a,b\x00c").contains("binary"));
    assert_eq!(file_type("Report.DOCX", b"PK\x03\x04"), Ok(FileType::Docx));
    assert_eq!(file_type("page.htm", b"<html>"), Ok(FileType::Html));
    assert_eq!(file_type("empty.json", b""), Ok(FileType::Json));
}

#[test]
fn password_protected_office_file_is_said_so() {
    // How Office saves a password-protected .docx: an OLE compound file.
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.resize(4096, 0);
    for name in ["secret.docx", "secret.xlsx", "secret.pptx"] {
        assert_eq!(file_type(name, &cfb), Err(NotInspected::PasswordProtected));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "secret.docx", &cfb);
    assert_eq!(
        extract_all(&path, FileType::Docx, &Limits::default()).unwrap_err(),
        NotInspected::PasswordProtected
    );
}

/// Sets the "encrypted" flag of every entry, in local and central headers.
fn mark_encrypted(mut bytes: Vec<u8>) -> Vec<u8> {
    for (sig, flag_at) in [(b"PK\x03\x04", 6), (b"PK\x01\x02", 8)] {
        let starts: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == sig)
            .map(|(i, _)| i)
            .collect();
        for i in starts {
            bytes[i + flag_at] |= 1;
        }
    }
    bytes
}

#[test]
fn encrypted_zip_entry_is_password_protected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "enc.docx",
        &mark_encrypted(docx(&[CARD_LINE], "h")),
    );
    assert_eq!(
        extract_all(&path, FileType::Docx, &Limits::default()).unwrap_err(),
        NotInspected::PasswordProtected
    );
}

#[test]
fn truncated_or_garbage_zip_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let whole = docx(&[CARD_LINE], "h");
    let cut = write(dir.path(), "cut.docx", &whole[..whole.len() / 2]);
    assert_eq!(
        extract_all(&cut, FileType::Docx, &Limits::default())
            .unwrap_err()
            .code(),
        "corrupt"
    );
    let junk = write(
        dir.path(),
        "junk.xlsx",
        b"PK\x03\x04 this is not really a zip",
    );
    assert_eq!(
        extract_all(&junk, FileType::Xlsx, &Limits::default())
            .unwrap_err()
            .code(),
        "corrupt"
    );
    let no_body = write(
        dir.path(),
        "empty.docx",
        &zip_bytes(&[("x.txt", b"x".to_vec())]),
    );
    assert_eq!(
        extract_all(&no_body, FileType::Docx, &Limits::default())
            .unwrap_err()
            .code(),
        "corrupt"
    );
    let bad_xml = zip_bytes(&[(
        "word/document.xml",
        b"<w:document><w:t>unclosed <<".to_vec(),
    )]);
    let bad_xml = write(dir.path(), "bad.docx", &bad_xml);
    assert_eq!(
        extract_all(&bad_xml, FileType::Docx, &Limits::default())
            .unwrap_err()
            .code(),
        "corrupt"
    );
}

fn zeros_docx(mb: usize) -> Vec<u8> {
    let mut body =
        format!("{XML_HEAD}<w:document xmlns:w=\"{W_NS}\"><w:body><w:p><w:r><w:t>").into_bytes();
    body.resize(body.len() + mb * 1024 * 1024, b' ');
    body.extend_from_slice(b"</w:t></w:r></w:p></w:body></w:document>");
    zip_bytes(&[("word/document.xml", body)])
}

#[test]
fn zip_bomb_is_refused_before_inflating() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = zeros_docx(64);
    assert!(
        bomb.len() < 200 * 1024,
        "the fixture is a small file: {}",
        bomb.len()
    );
    let path = write(dir.path(), "bomb.docx", &bomb);
    let err = extract_all(&path, FileType::Docx, &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, NotInspected::ZipBomb(why) if why.contains("declares")),
        "{err:?}"
    );
}

/// Rewrites every entry's declared uncompressed size to `size`.
fn lie_about_size(mut bytes: Vec<u8>, size: u32) -> Vec<u8> {
    for (sig, size_at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let starts: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == sig)
            .map(|(i, _)| i)
            .collect();
        for i in starts {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
        }
    }
    bytes
}

#[test]
fn zip_bomb_that_lies_about_its_size_stops_while_inflating() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "liar.docx",
        &lie_about_size(zeros_docx(64), 4096),
    );
    let err = extract_all(&path, FileType::Docx, &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, NotInspected::ZipBomb(why) if why.contains("past the 4096 bytes")),
        "{err:?}"
    );
    // calamine inflates by itself: the guard's pass over every entry stops it first.
    let mut book = xlsx();
    book = zip_bytes_with_extra(book, zeros_docx(64));
    let path = write(dir.path(), "liar.xlsx", &lie_about_size(book, 4096));
    let err = extract_all(&path, FileType::Xlsx, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "zip_bomb", "{err:?}");
}

/// A copy of the zip `base` with the entries of `extra` added.
fn zip_bytes_with_extra(base: Vec<u8>, extra: Vec<u8>) -> Vec<u8> {
    let mut entries = Vec::new();
    for bytes in [base, extra] {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let mut body = Vec::new();
            entry.read_to_end(&mut body).unwrap();
            entries.push((entry.name().to_string(), body));
        }
    }
    let refs: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    zip_bytes(&refs)
}

#[test]
fn entry_count_and_total_size_limits_hold() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.docx", &docx(&[CARD_LINE], "h"));
    let few = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    let err = extract_all(&path, FileType::Docx, &few).unwrap_err();
    assert!(
        matches!(&err, NotInspected::ZipBomb(why) if why.contains("3 entries")),
        "{err:?}"
    );
    let small = Limits {
        max_expanded_bytes: 100,
        ..Limits::default()
    };
    let err = extract_all(&path, FileType::Docx, &small).unwrap_err();
    assert_eq!(err.code(), "zip_bomb", "{err:?}");
}

#[test]
fn a_passed_deadline_stops_extraction() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.txt", CARD_LINE.as_bytes());
    let deadline = Deadline::after(Duration::ZERO);
    let err = extract_file(
        &path,
        FileType::Text,
        &Limits::default(),
        &deadline,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err, NotInspected::Timeout);
    let cancelled = Deadline::never();
    cancelled.cancel();
    assert_eq!(cancelled.check(), Err(NotInspected::Timeout));
}

#[test]
fn codes_and_messages_are_stable_and_clear() {
    let all = [
        NotInspected::UnknownType("files ending .png are not read".into()),
        NotInspected::Encrypted,
        NotInspected::PasswordProtected,
        NotInspected::Corrupt("it ends early".into()),
        NotInspected::ZipBomb("x".into()),
        NotInspected::TooLarge { size: 10, cap: 5 },
        NotInspected::Timeout,
        NotInspected::Panicked,
        NotInspected::Crashed("stack overflow".into()),
        NotInspected::LimitExceeded("memory (1024 MB)".into()),
        NotInspected::Unavailable("x".into()),
    ];
    let codes: Vec<&str> = all.iter().map(NotInspected::code).collect();
    assert_eq!(
        codes,
        [
            "unknown_type",
            "encrypted",
            "password_protected",
            "corrupt",
            "zip_bomb",
            "too_large",
            "timeout",
            "extractor_failed",
            "extractor_crashed",
            "limit_exceeded",
            "unavailable"
        ]
    );
    for reason in &all {
        assert_eq!(
            reason.is_transient(),
            NotInspected::code_is_transient(reason.code()),
            "{reason:?}"
        );
        assert_eq!(
            reason.is_transient(),
            matches!(reason, NotInspected::Timeout | NotInspected::Unavailable(_))
        );
        assert_eq!(reason.to_string(), reason.message());
        assert!(reason.message().ends_with('.'));
    }
}
