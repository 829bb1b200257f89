//! Extraction speed (DOCX, XLSX, PDF) and peak memory (a 500 MB text file).
//!
//! `cargo bench -p connector-core --bench extract_bench`
//!
//! Inputs are generated in the run, in a temporary folder. Each speed is
//! printed with a baseline measured in the same run on the same file
//! (inflating the zip entries into nothing; loading the PDF without reading
//! its pages; reading the text file raw), so figures compare across machines.
//! Peak memory is measured in a child process (VmHWM is process-wide): its
//! resident size before extracting is the idle figure.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

use connector_core::inspect::extract::{extract_file, Deadline, FileType, Limits};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const TEXT_MB: u64 = 500;
const RSS_TARGET_MB: f64 = 100.0;
const MB: f64 = 1024.0 * 1024.0;

const WORDS: &[&str] = &[
    "quarterly",
    "invoice",
    "customer",
    "shipment",
    "ledger",
    "account",
    "review",
    "budget",
    "forecast",
    "meeting",
    "policy",
    "renewal",
    "contract",
    "vendor",
    "approval",
    "summary",
    "the",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "from",
    "at",
    "as",
];

/// A small deterministic generator (xorshift), so runs are comparable.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn line(&mut self, out: &mut String) {
        out.clear();
        let words = 8 + self.next() % 8;
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
            if self.next().is_multiple_of(5) {
                out.push_str(&format!(" {}", self.next() % 100_000));
            }
        }
        if self.next().is_multiple_of(500) {
            out.push_str(" card 4111 1111 1111 1111");
        }
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--rss-child" {
        return rss_child(Path::new(&args[2]));
    }
    let dir = tempfile::tempdir()?;
    println!(
        "extract_bench (inputs generated in {})",
        dir.path().display()
    );

    // Memory first, in a child: nothing else has touched this process's peak.
    let text = dir.path().join("big.txt");
    write_text(&text, TEXT_MB << 20)?;
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("--rss-child")
        .arg(&text)
        .output()?;
    let report = String::from_utf8_lossy(&out.stdout);
    print!("{report}");
    let above = report
        .lines()
        .find_map(|l| l.strip_prefix("rss_above_idle_mb="))
        .and_then(|v| v.trim().parse::<f64>().ok());
    match above {
        Some(mb) => println!(
            "peak RSS above idle, {TEXT_MB} MB text: {mb:.1} MB (target < {RSS_TARGET_MB} MB): {}",
            if mb < RSS_TARGET_MB { "PASS" } else { "MISSED" }
        ),
        None => println!(
            "peak RSS: child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
    let raw = time(|| raw_read(&text))?;
    let extracted = time(|| extract_counted(&text, FileType::Text))?;
    report_speed("text (500 MB)", &text, raw, extracted, "raw read")?;
    std::fs::remove_file(&text)?;

    let docx = dir.path().join("bench.docx");
    let xml = write_docx(&docx, 40 << 20)?;
    let inflate = time(|| inflate_all(&docx))?;
    let extracted = time(|| extract_counted(&docx, FileType::Docx))?;
    println!("docx: {:.1} MB of XML", xml as f64 / MB);
    report_speed("docx", &docx, inflate, extracted, "inflate only")?;

    let xlsx = dir.path().join("bench.xlsx");
    let xml = write_xlsx(&xlsx, 40 << 20)?;
    let inflate = time(|| inflate_all(&xlsx))?;
    let extracted = time(|| extract_counted(&xlsx, FileType::Xlsx))?;
    println!("xlsx: {:.1} MB of XML", xml as f64 / MB);
    report_speed("xlsx", &xlsx, inflate, extracted, "inflate only")?;

    let pdf = dir.path().join("bench.pdf");
    let pages = write_pdf(&pdf, 20 << 20)?;
    let load = time(|| {
        pdf_extract::Document::load(&pdf)
            .map(|doc| doc.get_pages().len() as u64)
            .map_err(io::Error::other)
    })?;
    let extracted = time(|| extract_counted(&pdf, FileType::Pdf))?;
    println!("pdf: {pages} pages");
    report_speed("pdf", &pdf, load, extracted, "lopdf load only")?;
    Ok(())
}

/// Seconds taken and the figure returned (characters, bytes, pages).
fn time(f: impl FnOnce() -> io::Result<u64>) -> io::Result<(f64, u64)> {
    let start = Instant::now();
    let n = f()?;
    Ok((start.elapsed().as_secs_f64(), n))
}

fn report_speed(
    what: &str,
    path: &Path,
    baseline: (f64, u64),
    extracted: (f64, u64),
    baseline_name: &str,
) -> io::Result<()> {
    let size = std::fs::metadata(path)?.len() as f64 / MB;
    let (secs, chars) = extracted;
    println!(
        "{what}: file {size:.1} MB, {:.1} M chars out in {secs:.2} s = {:.1} MB/s of file, {:.1} M chars/s; \
         baseline ({baseline_name}) {:.2} s = {:.1} MB/s; extraction takes {:.2}x the baseline's time",
        chars as f64 / 1e6,
        size / secs,
        chars as f64 / 1e6 / secs,
        baseline.0,
        size / baseline.0,
        secs / baseline.0,
    );
    Ok(())
}

fn extract_counted(path: &Path, ft: FileType) -> io::Result<u64> {
    let mut chars = 0u64;
    let stats = extract_file(
        path,
        ft,
        &Limits::default(),
        &Deadline::never(),
        &mut |piece| chars += piece.chars().count() as u64,
    )
    .map_err(|e| io::Error::other(e.message()))?;
    assert_eq!(stats.chars, chars);
    Ok(chars)
}

fn raw_read(path: &Path) -> io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

fn inflate_all(path: &Path) -> io::Result<u64> {
    let mut zip =
        zip::ZipArchive::new(io::BufReader::new(File::open(path)?)).map_err(io::Error::other)?;
    let mut total = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(io::Error::other)?;
        total += io::copy(&mut entry, &mut io::sink())?;
    }
    Ok(total)
}

/// The child: idle resident size, then the extraction, then the peak.
fn rss_child(path: &Path) -> io::Result<()> {
    let idle = status_kb("VmRSS:");
    let start = Instant::now();
    let chars = extract_counted(path, FileType::Text)?;
    let secs = start.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM:");
    println!(
        "rss child: {:.1} M chars in {secs:.2} s; VmRSS idle {:.1} MB, VmHWM {:.1} MB",
        chars as f64 / 1e6,
        idle as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!("rss_above_idle_mb={:.1}", (peak - idle) as f64 / 1024.0);
    Ok(())
}

fn status_kb(field: &str) -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn write_text(path: &Path, bytes: u64) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut gen = Gen(0x9E37_79B9_7F4A_7C15);
    let mut line = String::new();
    let mut written = 0u64;
    while written < bytes {
        gen.line(&mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true)
}

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// A DOCX whose body holds about `xml_bytes` of paragraphs; returns the XML size.
fn write_docx(path: &Path, xml_bytes: u64) -> io::Result<u64> {
    let mut zip = ZipWriter::new(BufWriter::new(File::create(path)?));
    zip.start_file("word/document.xml", deflated())?;
    let head = format!("{XML_HEAD}<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>");
    zip.write_all(head.as_bytes())?;
    let mut written = head.len() as u64;
    let mut gen = Gen(7);
    let mut line = String::new();
    let mut para = String::new();
    while written < xml_bytes {
        gen.line(&mut line);
        para.clear();
        para.push_str("<w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">");
        para.push_str(&line);
        para.push_str("</w:t></w:r></w:p>");
        zip.write_all(para.as_bytes())?;
        written += para.len() as u64;
    }
    zip.write_all(b"</w:body></w:document>")?;
    zip.finish()?;
    Ok(written)
}

/// An XLSX of one sheet with shared strings and numbers, about `xml_bytes`.
fn write_xlsx(path: &Path, xml_bytes: u64) -> io::Result<u64> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let pkg = "http://schemas.openxmlformats.org/package/2006/relationships";
    let mut zip = ZipWriter::new(BufWriter::new(File::create(path)?));
    let small = [
        ("[Content_Types].xml", format!("{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>")),
        ("_rels/.rels", format!("{XML_HEAD}<Relationships xmlns=\"{pkg}\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>")),
        ("xl/workbook.xml", format!("{XML_HEAD}<workbook xmlns=\"{main}\" xmlns:r=\"{rel}\"><sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>")),
        ("xl/_rels/workbook.xml.rels", format!("{XML_HEAD}<Relationships xmlns=\"{pkg}\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{rel}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>")),
    ];
    for (name, body) in &small {
        zip.start_file(*name, deflated())?;
        zip.write_all(body.as_bytes())?;
    }
    // 20,000 distinct shared strings, referenced over and over.
    const STRINGS: u64 = 20_000;
    let mut gen = Gen(11);
    let mut line = String::new();
    let mut written = 0u64;
    zip.start_file("xl/sharedStrings.xml", deflated())?;
    let mut sst =
        format!("{XML_HEAD}<sst xmlns=\"{main}\" count=\"{STRINGS}\" uniqueCount=\"{STRINGS}\">");
    for _ in 0..STRINGS {
        gen.line(&mut line);
        sst.push_str(&format!("<si><t>{line}</t></si>"));
    }
    sst.push_str("</sst>");
    written += sst.len() as u64;
    zip.write_all(sst.as_bytes())?;
    zip.start_file("xl/worksheets/sheet1.xml", deflated())?;
    let head = format!("{XML_HEAD}<worksheet xmlns=\"{main}\"><sheetData>");
    zip.write_all(head.as_bytes())?;
    let mut row = 0u64;
    let mut xml = String::new();
    while written < xml_bytes {
        row += 1;
        xml.clear();
        xml.push_str(&format!(
            "<row r=\"{row}\"><c r=\"A{row}\" t=\"s\"><v>{}</v></c><c r=\"B{row}\"><v>{}</v></c><c r=\"C{row}\"><v>{}.{}</v></c><c r=\"D{row}\" t=\"s\"><v>{}</v></c></row>",
            gen.next() % STRINGS,
            gen.next() % 1_000_000,
            gen.next() % 100_000,
            gen.next() % 100,
            gen.next() % STRINGS,
        ));
        written += xml.len() as u64;
        zip.write_all(xml.as_bytes())?;
    }
    zip.write_all(b"</sheetData></worksheet>")?;
    zip.finish()?;
    Ok(written)
}

/// A text PDF (Helvetica, uncompressed content streams) of about `bytes`,
/// written object by object with the xref offsets counted; returns pages.
fn write_pdf(path: &Path, bytes: u64) -> io::Result<u64> {
    const LINES_PER_PAGE: usize = 50;
    let mut gen = Gen(13);
    let mut line = String::new();
    // Contents first, so the page count is known when the tree is written.
    let mut contents = Vec::new();
    let mut total = 0u64;
    while total < bytes {
        let mut stream = String::from("BT /F1 10 Tf 40 780 Td 14 TL\n");
        for _ in 0..LINES_PER_PAGE {
            gen.line(&mut line);
            stream.push('(');
            stream.push_str(&line);
            stream.push_str(") Tj T*\n");
        }
        stream.push_str("ET");
        total += stream.len() as u64;
        contents.push(stream);
    }
    let pages = contents.len();
    let mut out = CountingWriter::new(BufWriter::new(File::create(path)?));
    let mut offsets: Vec<u64> = Vec::new();
    out.write_all(b"%PDF-1.4\n")?;
    // 1 catalog, 2 page tree, 3 font, then per page: page, content.
    let page_id = |i: usize| 4 + 2 * i;
    let mut object = |out: &mut CountingWriter<_>, id: usize, body: &str| -> io::Result<()> {
        assert_eq!(offsets.len() + 1, id);
        offsets.push(out.count);
        write!(out, "{id} 0 obj\n{body}\nendobj\n")
    };
    object(&mut out, 1, "<< /Type /Catalog /Pages 2 0 R >>")?;
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", page_id(i))).collect();
    object(
        &mut out,
        2,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
    )?;
    object(
        &mut out,
        3,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )?;
    for (i, stream) in contents.iter().enumerate() {
        let id = page_id(i);
        object(
            &mut out,
            id,
            &format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>", id + 1),
        )?;
        object(
            &mut out,
            id + 1,
            &format!(
                "<< /Length {} >>\nstream\n{stream}\nendstream",
                stream.len()
            ),
        )?;
    }
    let xref = out.count;
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1)?;
    for off in &offsets {
        writeln!(out, "{off:010} 00000 n ")?;
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        offsets.len() + 1
    )?;
    out.flush()?;
    Ok(pages as u64)
}

struct CountingWriter<W> {
    inner: W,
    count: u64,
}
impl<W> CountingWriter<W> {
    fn new(inner: W) -> Self {
        CountingWriter { inner, count: 0 }
    }
}
impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
