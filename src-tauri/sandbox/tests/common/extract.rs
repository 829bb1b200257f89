//! Text of a downloaded file as an inspector would extract it: a small reader per
//! format (zip + XML runs for OOXML, `Tj` strings for PDF after checking its xref),
//! shared by the content unit tests and the walk over the HTTP API.

use std::io::Read;

/// Text of a built file as an inspector would extract it (a small reader per format).
pub fn extract(ext: &str, bytes: &[u8]) -> String {
    match ext {
        "txt" | "md" | "csv" => String::from_utf8(bytes.to_vec()).unwrap(),
        "json" => {
            let v: serde_json::Value = serde_json::from_slice(bytes).expect("valid JSON");
            let mut out = Vec::new();
            collect_strings(&v, &mut out);
            out.join("\n")
        }
        "html" => {
            let s = String::from_utf8(bytes.to_vec()).unwrap();
            let body = &s[s.find("<body>").expect("a body")..];
            unescape(&strip_tags(body))
        }
        "docx" => xml_text(&zip_part(bytes, "word/document.xml"), "w:t"),
        "xlsx" => xml_text(&zip_part(bytes, "xl/worksheets/sheet1.xml"), "t"),
        "pptx" => {
            let mut out = String::new();
            for i in 1.. {
                let name = format!("ppt/slides/slide{i}.xml");
                if !zip_names(bytes).contains(&name) {
                    break;
                }
                out.push_str(&xml_text(&zip_part(bytes, &name), "a:t"));
            }
            out
        }
        "pdf" => pdf_text(bytes),
        _ => String::new(),
    }
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push('\n');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

pub fn zip_names(bytes: &[u8]) -> Vec<String> {
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a real zip");
    zip.file_names().map(str::to_string).collect()
}

pub fn zip_part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a real zip");
    let mut out = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the zip"))
        .read_to_string(&mut out)
        .unwrap();
    out
}

/// Text runs of `<tag …>text</tag>`, one line each.
fn xml_text(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        // `<t` must not match `<tr`…: the tag name ends at '>' or ' '.
        if !after.starts_with(['>', ' ']) {
            rest = after;
            continue;
        }
        let start = after.find('>').unwrap() + 1;
        let end = after.find(&close).expect("closed run");
        out.push_str(&unescape(&after[start..end]));
        out.push('\n');
        rest = &after[end..];
    }
    out
}

/// Checks the PDF's structure (xref offsets, stream lengths, trailer) and returns the
/// strings of its `Tj` operators, one line each, in page order.
fn pdf_text(bytes: &[u8]) -> String {
    // One char per byte, so string offsets are file offsets.
    let s: String = bytes
        .iter()
        .map(|&b| if b < 128 { b as char } else { '?' })
        .collect();
    assert!(bytes.starts_with(b"%PDF-1.4\n"));
    assert!(s.trim_end().ends_with("%%EOF"));
    let sx = s.rfind("startxref\n").expect("startxref") + "startxref\n".len();
    let xref_at: usize = s[sx..].lines().next().unwrap().parse().unwrap();
    assert!(
        s[xref_at..].starts_with("xref\n0 "),
        "startxref points at the xref"
    );
    let table: Vec<&str> = s[xref_at..].lines().collect();
    let count: usize = table[1].split(' ').nth(1).unwrap().parse().unwrap();
    for (n, row) in table[3..2 + count].iter().enumerate() {
        let off: usize = row[..10].parse().unwrap();
        assert_eq!(row.len(), 19, "xref rows are 20 bytes with their EOL");
        assert!(
            s[off..].starts_with(&format!("{} 0 obj\n", n + 1)),
            "xref offset of object {}",
            n + 1
        );
    }
    let mut out = String::new();
    let mut rest = &s[..];
    while let Some(i) = rest.find("/Length ") {
        let after = &rest[i + 8..];
        let len: usize = after[..after.find(' ').unwrap()].parse().unwrap();
        let body_at = after.find("stream\n").unwrap() + 7;
        let body = &after[body_at..body_at + len];
        assert!(
            after[body_at + len..].starts_with("\nendstream"),
            "stream /Length is exact"
        );
        for line in body.lines().filter(|l| l.ends_with(") Tj")) {
            let lit = &line[1..line.len() - 4];
            out.push_str(
                &lit.replace("\\(", "(")
                    .replace("\\)", ")")
                    .replace("\\\\", "\\"),
            );
            out.push('\n');
        }
        rest = &after[body_at + len..];
    }
    out
}
