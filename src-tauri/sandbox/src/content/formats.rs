//! Containers for a document's lines: DOCX, XLSX, PPTX (OOXML zips of stored
//! entries), a text PDF, JSON and HTML; each padded to an exact byte size in a way
//! its format allows (XML or JSON whitespace, a PDF comment, trailing HTML blanks).

use std::io::{Cursor, Write};

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A PDF literal string body: backslash and parentheses escaped.
pub fn pdf_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const RELS_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const REL_DOC: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";

fn rels(items: &[(&str, &str, &str)]) -> String {
    let body: String = items
        .iter()
        .map(|(id, ty, target)| {
            format!("<Relationship Id=\"{id}\" Type=\"{ty}\" Target=\"{target}\"/>")
        })
        .collect();
    format!("{XML_HEAD}<Relationships xmlns=\"{RELS_NS}\">{body}</Relationships>")
}

fn content_types(overrides: &[(String, &str)]) -> String {
    let o: String = overrides
        .iter()
        .map(|(part, ty)| format!("<Override PartName=\"{part}\" ContentType=\"{ty}\"/>"))
        .collect();
    format!("{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>{o}</Types>")
}

/// A zip of stored entries whose last entry is padded (trailing XML whitespace) to `size`.
fn ooxml(entries: &[(String, String)], size: usize) -> Vec<u8> {
    let make = |pad: usize| -> Vec<u8> {
        let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (i, (name, body)) in entries.iter().enumerate() {
            zw.start_file(name.as_str(), opts).expect("zip entry");
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

pub fn docx(lines: &[String], size: usize) -> Vec<u8> {
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
        "{XML_HEAD}<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{paras}</w:body></w:document>"
    );
    let types = content_types(&[(
        "/word/document.xml".into(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    )]);
    ooxml(
        &[
            ("[Content_Types].xml".into(), types),
            (
                "_rels/.rels".into(),
                rels(&[("rId1", REL_DOC, "word/document.xml")]),
            ),
            ("word/document.xml".into(), document),
        ],
        size,
    )
}

pub fn xlsx(lines: &[String], size: usize) -> Vec<u8> {
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
        "{XML_HEAD}<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>{rows}</sheetData></worksheet>"
    );
    let types = content_types(&[
        (
            "/xl/workbook.xml".into(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        ),
        (
            "/xl/worksheets/sheet1.xml".into(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        ),
    ]);
    let workbook = format!("{XML_HEAD}<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>");
    ooxml(
        &[
            ("[Content_Types].xml".into(), types),
            (
                "_rels/.rels".into(),
                rels(&[("rId1", REL_DOC, "xl/workbook.xml")]),
            ),
            ("xl/workbook.xml".into(), workbook),
            (
                "xl/_rels/workbook.xml.rels".into(),
                rels(&[(
                    "rId1",
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet",
                    "worksheets/sheet1.xml",
                )]),
            ),
            ("xl/worksheets/sheet1.xml".into(), sheet),
        ],
        size,
    )
}

/// Lines per slide of a generated deck.
pub const LINES_PER_SLIDE: usize = 8;

const NS_PML: &str = "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"";
const EMPTY_TREE: &str = "<p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>";
const REL_BASE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

fn theme() -> String {
    let clr = |name: &str, rgb: &str| format!("<a:{name}><a:srgbClr val=\"{rgb}\"/></a:{name}>");
    let colors: String = [
        ("dk1", "000000"),
        ("lt1", "FFFFFF"),
        ("dk2", "1F497D"),
        ("lt2", "EEECE1"),
        ("accent1", "4F81BD"),
        ("accent2", "C0504D"),
        ("accent3", "9BBB59"),
        ("accent4", "8064A2"),
        ("accent5", "4BACC6"),
        ("accent6", "F79646"),
        ("hlink", "0000FF"),
        ("folHlink", "800080"),
    ]
    .iter()
    .map(|(n, v)| clr(n, v))
    .collect();
    let fill = "<a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>";
    let fills = fill.repeat(3);
    let line = format!("<a:ln w=\"9525\">{fill}</a:ln>").repeat(3);
    let effects = "<a:effectStyle><a:effectLst/></a:effectStyle>".repeat(3);
    format!(
        "{XML_HEAD}<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"Sandbox\"><a:themeElements><a:clrScheme name=\"Sandbox\">{colors}</a:clrScheme><a:fontScheme name=\"Sandbox\"><a:majorFont><a:latin typeface=\"Calibri\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:majorFont><a:minorFont><a:latin typeface=\"Calibri\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:minorFont></a:fontScheme><a:fmtScheme name=\"Sandbox\"><a:fillStyleLst>{fills}</a:fillStyleLst><a:lnStyleLst>{line}</a:lnStyleLst><a:effectStyleLst>{effects}</a:effectStyleLst><a:bgFillStyleLst>{fills}</a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>"
    )
}

fn slide(lines: &[String]) -> String {
    let paras: String = lines
        .iter()
        .map(|l| {
            format!(
                "<a:p><a:r><a:rPr lang=\"en-US\" dirty=\"0\"/><a:t>{}</a:t></a:r></a:p>",
                xml_escape(l)
            )
        })
        .collect();
    format!(
        "{XML_HEAD}<p:sld {NS_PML}><p:cSld><p:spTree>{EMPTY_TREE}<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"TextBox 1\"/><p:cNvSpPr txBox=\"1\"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x=\"457200\" y=\"457200\"/><a:ext cx=\"8229600\" cy=\"5943600\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr wrap=\"square\"/><a:lstStyle/>{paras}</p:txBody></p:sp></p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
    )
}

/// A deck with one master, one layout, one theme and `LINES_PER_SLIDE` lines a slide.
pub fn pptx(lines: &[String], size: usize) -> Vec<u8> {
    let slides: Vec<&[String]> = lines.chunks(LINES_PER_SLIDE).collect();
    let n = slides.len();
    let mut types = vec![
        (
            "/ppt/presentation.xml".to_string(),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        ),
        (
            "/ppt/slideMasters/slideMaster1.xml".into(),
            "application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml",
        ),
        (
            "/ppt/slideLayouts/slideLayout1.xml".into(),
            "application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml",
        ),
        (
            "/ppt/theme/theme1.xml".into(),
            "application/vnd.openxmlformats-officedocument.theme+xml",
        ),
    ];
    for i in 1..=n {
        types.push((
            format!("/ppt/slides/slide{i}.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.slide+xml",
        ));
    }
    let slide_ids: String = (1..=n)
        .map(|i| format!("<p:sldId id=\"{}\" r:id=\"rId{}\"/>", 255 + i, i + 2))
        .collect();
    let presentation = format!(
        "{XML_HEAD}<p:presentation {NS_PML} saveSubsetFonts=\"1\"><p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"rId1\"/></p:sldMasterIdLst><p:sldIdLst>{slide_ids}</p:sldIdLst><p:sldSz cx=\"9144000\" cy=\"6858000\" type=\"screen4x3\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/></p:presentation>"
    );
    let slide_rel = format!("{REL_BASE}/slide");
    let targets: Vec<String> = (1..=n).map(|i| format!("slides/slide{i}.xml")).collect();
    let ids: Vec<String> = (1..=n).map(|i| format!("rId{}", i + 2)).collect();
    let master_rel = format!("{REL_BASE}/slideMaster");
    let theme_rel = format!("{REL_BASE}/theme");
    let layout_rel = format!("{REL_BASE}/slideLayout");
    let mut pres_rels = vec![
        ("rId1", master_rel.as_str(), "slideMasters/slideMaster1.xml"),
        ("rId2", theme_rel.as_str(), "theme/theme1.xml"),
    ];
    for i in 0..n {
        pres_rels.push((ids[i].as_str(), slide_rel.as_str(), targets[i].as_str()));
    }
    let master = format!(
        "{XML_HEAD}<p:sldMaster {NS_PML}><p:cSld><p:spTree>{EMPTY_TREE}</p:spTree></p:cSld><p:clrMap bg1=\"lt1\" tx1=\"dk1\" bg2=\"lt2\" tx2=\"dk2\" accent1=\"accent1\" accent2=\"accent2\" accent3=\"accent3\" accent4=\"accent4\" accent5=\"accent5\" accent6=\"accent6\" hlink=\"hlink\" folHlink=\"folHlink\"/><p:sldLayoutIdLst><p:sldLayoutId id=\"2147483649\" r:id=\"rId1\"/></p:sldLayoutIdLst></p:sldMaster>"
    );
    let layout = format!(
        "{XML_HEAD}<p:sldLayout {NS_PML} type=\"blank\" preserve=\"1\"><p:cSld name=\"Blank\"><p:spTree>{EMPTY_TREE}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"
    );
    let mut entries: Vec<(String, String)> = vec![
        ("[Content_Types].xml".into(), content_types(&types)),
        (
            "_rels/.rels".into(),
            rels(&[("rId1", REL_DOC, "ppt/presentation.xml")]),
        ),
        ("ppt/presentation.xml".into(), presentation),
        ("ppt/_rels/presentation.xml.rels".into(), rels(&pres_rels)),
        ("ppt/slideMasters/slideMaster1.xml".into(), master),
        (
            "ppt/slideMasters/_rels/slideMaster1.xml.rels".into(),
            rels(&[
                ("rId1", &layout_rel, "../slideLayouts/slideLayout1.xml"),
                ("rId2", &theme_rel, "../theme/theme1.xml"),
            ]),
        ),
        ("ppt/slideLayouts/slideLayout1.xml".into(), layout),
        (
            "ppt/slideLayouts/_rels/slideLayout1.xml.rels".into(),
            rels(&[("rId1", &master_rel, "../slideMasters/slideMaster1.xml")]),
        ),
        ("ppt/theme/theme1.xml".into(), theme()),
    ];
    for (i, s) in slides.iter().enumerate() {
        let i = i + 1;
        entries.push((
            format!("ppt/slides/_rels/slide{i}.xml.rels"),
            rels(&[("rId1", &layout_rel, "../slideLayouts/slideLayout1.xml")]),
        ));
        entries.push((format!("ppt/slides/slide{i}.xml"), slide(s)));
    }
    ooxml(&entries, size)
}

/// Lines per PDF page (9 pt Helvetica, 13 pt leading, from y = 750 down).
pub const LINES_PER_PAGE: usize = 50;

/// A PDF 1.4 with one text line per `Tj`, Helvetica (a standard font: no embedding),
/// a classic xref table; padded by comment lines before the xref to reach `size`.
pub fn pdf(lines: &[String], size: usize) -> Vec<u8> {
    let pages: Vec<&[String]> = lines.chunks(LINES_PER_PAGE).collect();
    let make = |pad: usize, extra_newline: bool| -> Vec<u8> {
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::new();
        let mut obj = |out: &mut Vec<u8>, body: &[u8]| {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        };
        let kids: Vec<String> = (0..pages.len())
            .map(|i| format!("{} 0 R", 4 + 2 * i))
            .collect();
        obj(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
        obj(
            &mut out,
            format!(
                "<< /Type /Pages /Kids [{}] /Count {} >>",
                kids.join(" "),
                pages.len()
            )
            .as_bytes(),
        );
        obj(
            &mut out,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        );
        for (i, page) in pages.iter().enumerate() {
            obj(
                &mut out,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                    5 + 2 * i
                )
                .as_bytes(),
            );
            let mut stream = String::from("BT\n/F1 9 Tf\n40 750 Td\n");
            for l in page.iter() {
                stream.push_str(&format!("({}) Tj\n0 -13 Td\n", pdf_escape(l)));
            }
            stream.push_str("ET");
            obj(
                &mut out,
                format!(
                    "<< /Length {} >>\nstream\n{stream}\nendstream",
                    stream.len()
                )
                .as_bytes(),
            );
        }
        // Padding: whole comment lines, which every reader skips.
        let mut left = pad;
        while left > 0 {
            let n = left.min(80);
            if n == 1 {
                out.push(b'\n');
            } else {
                out.push(b'%');
                out.extend(std::iter::repeat_n(b' ', n - 2));
                out.push(b'\n');
            }
            left -= n;
        }
        let xref_at = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
        );
        for o in &offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
                offsets.len() + 1
            )
            .as_bytes(),
        );
        if extra_newline {
            out.push(b'\n');
        }
        out
    };
    let natural = make(0, false);
    if natural.len() >= size {
        return natural;
    }
    // The startxref number can gain a digit with the padding: settle on the exact size,
    // using one blank line after %%EOF when a digit boundary skips it.
    let mut pad = size - natural.len();
    for _ in 0..4 {
        let out = make(pad, false);
        match out.len().cmp(&size) {
            std::cmp::Ordering::Equal => return out,
            std::cmp::Ordering::Greater => pad -= out.len() - size,
            std::cmp::Ordering::Less => {
                let with = make(pad, true);
                if with.len() == size {
                    return with;
                }
                pad += size - out.len();
            }
        }
    }
    make(pad, false)
}

/// `{"title": …, "paragraphs": [lines…]}`, grown with filler paragraphs, then blanks.
pub fn json(
    title: &str,
    lines: &[String],
    filler: &mut dyn FnMut() -> String,
    size: usize,
) -> Vec<u8> {
    let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let mut out = format!("{{\n  \"title\": {},\n  \"paragraphs\": [", q(title));
    let tail = "\n  ],\n  \"format\": \"sandbox-notes\"\n}\n";
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\n    {}", q(l)));
    }
    loop {
        let next = format!(",\n    {}", q(&filler()));
        if out.len() + next.len() + tail.len() > size {
            break;
        }
        out.push_str(&next);
    }
    out.push_str(tail);
    let mut bytes = out.into_bytes();
    if bytes.len() < size {
        bytes.resize(size - 1, b' ');
        bytes.push(b'\n');
    }
    bytes
}

const HTML_STYLE: &str =
    "body { font-family: Georgia, serif; margin: auto; max-width: 40em; }\np { line-height: 1.5; }";
const HTML_SCRIPT: &str = "document.addEventListener('DOMContentLoaded', function () {\n  document.body.classList.add('ready');\n});";

/// A page: the title in `<h1>`, one `<p>` per line, plus a style and a script that carry
/// nothing an inspector should report; filler paragraphs, then blanks, to `size`.
pub fn html(
    title: &str,
    lines: &[String],
    filler: &mut dyn FnMut() -> String,
    size: usize,
) -> Vec<u8> {
    let t = xml_escape(title);
    let mut out = format!("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>\n{HTML_STYLE}\n</style>\n<script>\n{HTML_SCRIPT}\n</script>\n</head>\n<body>\n<h1>{t}</h1>\n");
    for l in lines {
        out.push_str(&format!("<p>{}</p>\n", xml_escape(l)));
    }
    let tail = "</body>\n</html>\n";
    loop {
        let next = format!("<p>{}</p>\n", xml_escape(&filler()));
        if out.len() + next.len() + tail.len() > size {
            break;
        }
        out.push_str(&next);
    }
    out.push_str(tail);
    let mut bytes = out.into_bytes();
    if bytes.len() < size {
        bytes.resize(size - 1, b' ');
        bytes.push(b'\n');
    }
    bytes
}
