//! A hostile corpus, generated: files built to crash, hang or exhaust a
//! reader, as any user of an enterprise can upload them. Each says what the
//! scan may make of it; none may cost more than itself.

use std::io::Write;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

pub struct HostileFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    /// `inspect_code`s the file may end with (`None`: read to the end).
    pub expect: &'static [Option<&'static str>],
}

/// Everything here, sized for a test: `bomb_mb` is what the flate bomb and
/// the huge shared string inflate to (keep it above the readers' memory limit).
pub fn corpus(bomb_mb: usize) -> Vec<HostileFile> {
    corpus_sized(bomb_mb, bomb_mb)
}

/// [`corpus`] with the flate bomb (cheap at any size: written by hand) and
/// the shared string (compressed for real) sized apart.
pub fn corpus_sized(bomb_mb: usize, string_mb: usize) -> Vec<HostileFile> {
    const CRASH: &[Option<&str>] = &[Some("extractor_crashed"), Some("limit_exceeded")];
    const BROKEN: &[Option<&str>] = &[
        Some("corrupt"),
        Some("extractor_crashed"),
        Some("limit_exceeded"),
        Some("extractor_failed"),
        None,
    ];
    vec![
        HostileFile {
            name: "self-drawing.pdf",
            bytes: self_drawing_pdf(),
            expect: CRASH,
        },
        HostileFile {
            name: "deep-xobjects.pdf",
            bytes: deep_xobject_pdf(20_000),
            expect: CRASH,
        },
        HostileFile {
            name: "parent-cycle.pdf",
            bytes: parent_cycle_pdf(),
            expect: BROKEN,
        },
        HostileFile {
            name: "flate-bomb.pdf",
            bytes: flate_bomb_pdf(bomb_mb),
            expect: &[Some("limit_exceeded")],
        },
        HostileFile {
            name: "huge-shared-string.xlsx",
            bytes: huge_shared_string_xlsx(string_mb),
            expect: &[Some("zip_bomb"), Some("limit_exceeded")],
        },
        HostileFile {
            name: "nested-100k.docx",
            bytes: nested_docx(100_000),
            expect: &[None, Some("corrupt")],
        },
        HostileFile {
            name: "entries-100k.docx",
            bytes: many_entries_zip(100_000),
            expect: &[Some("zip_bomb")],
        },
        HostileFile {
            name: "truncated.docx",
            bytes: {
                let whole = nested_docx(10);
                whole[..whole.len() / 2].to_vec()
            },
            expect: &[Some("corrupt")],
        },
        HostileFile {
            name: "empty.pdf",
            bytes: Vec::new(),
            expect: &[Some("corrupt")],
        },
        HostileFile {
            name: "encrypted.docx",
            bytes: {
                let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
                cfb.resize(4096, 0);
                cfb
            },
            expect: &[Some("password_protected")],
        },
        HostileFile {
            name: "size-lies.docx",
            bytes: size_lying_docx(),
            expect: &[Some("zip_bomb"), Some("corrupt")],
        },
    ]
}

/// A PDF from numbered object bodies, with a correct cross-reference table.
pub fn pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for at in offsets {
        out.extend_from_slice(format!("{at:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> String {
    format!(
        "<< {dict} /Length {} >>\nstream\n{}\nendstream",
        data.len(),
        String::from_utf8_lossy(data)
    )
}

/// A page whose Form XObject draws itself: naive readers recurse for ever.
pub fn self_drawing_pdf() -> Vec<u8> {
    pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
         /Resources << /XObject << /X0 4 0 R >> >> /Contents 5 0 R >>"
            .into(),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X0 4 0 R >> >>",
            b"/X0 Do",
        ),
        stream("", b"/X0 Do"),
    ])
}

/// A chain of `depth` Form XObjects, each drawing the next.
pub fn deep_xobject_pdf(depth: usize) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
         /Resources << /XObject << /X0 5 0 R >> >> /Contents 4 0 R >>"
            .to_string(),
        stream("", b"/X0 Do"),
    ];
    for level in 0..depth {
        let next = objects.len() + 2; // this one is objects.len() + 1
        let body = if level + 1 < depth {
            stream(
                &format!(
                    "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X0 {next} 0 R >> >>"
                ),
                b"/X0 Do",
            )
        } else {
            stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10]", b"BT ET")
        };
        objects.push(body);
    }
    pdf(&objects)
}

/// A page tree whose nodes are each other's parent and kid.
pub fn parent_cycle_pdf() -> Vec<u8> {
    pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 3 0 R >>".into(),
        "<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>".into(),
    ])
}

/// One page whose content stream inflates to `mb` MiB of spaces.
pub fn flate_bomb_pdf(mb: usize) -> Vec<u8> {
    let deflated = deflate_repeated(b' ', mb << 20);
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [&[u8]; 3] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    offsets.push(out.len());
    out.extend_from_slice(
        format!(
            "4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            deflated.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&deflated);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for at in offsets {
        out.extend_from_slice(format!("{at:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// A zlib stream of `len` copies of `byte`, written directly as fixed-Huffman
/// deflate (one literal, then length-258 distance-1 copies): a gigabyte costs
/// about a megabyte and no compression time.
pub fn deflate_repeated(byte: u8, len: usize) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = fixed Huffman
    let literal = |bits: &mut BitWriter, b: u8| {
        // Literals 0..=143: 8-bit codes from 0x30; 144..=255: 9-bit from 0x190.
        if b < 144 {
            bits.put_rev(0x30 + b as u32, 8);
        } else {
            bits.put_rev(0x190 + (b as u32 - 144), 9);
        }
    };
    literal(&mut bits, byte);
    let mut left = len.saturating_sub(1);
    while left >= 258 {
        bits.put_rev(0xC5, 8); // length code 285 = 258, 8-bit code 11000101
        bits.put_rev(0, 5); // distance code 0 = 1
        left -= 258;
    }
    for _ in 0..left {
        literal(&mut bits, byte);
    }
    bits.put_rev(0, 7); // end of block (256): 7-bit 0000000
    let deflate = bits.finish();
    let mut out = vec![0x78, 0x01];
    out.extend_from_slice(&deflate);
    let adler = adler32_repeated(byte, len);
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// Adler-32 of `len` copies of `byte`, in closed form: after n bytes
/// a = 1 + n·byte and b = n + byte·n(n+1)/2 (mod 65521).
fn adler32_repeated(byte: u8, len: usize) -> u32 {
    const MOD: u128 = 65_521;
    let (n, c) = (len as u128, byte as u128);
    let a = (1 + n * c) % MOD;
    let b = (n + c * (n * (n + 1) / 2)) % MOD;
    ((b << 16) | a) as u32
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// `count` low bits of `value`, least significant first (header fields).
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= (value as u64) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn put_rev(&mut self, code: u32, count: u32) {
        let mut reversed = 0;
        for i in 0..count {
            reversed |= ((code >> i) & 1) << (count - 1 - i);
        }
        self.put(reversed, count);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn ooxml(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// An XLSX whose one shared string is `mb` MiB long.
pub fn huge_shared_string_xlsx(mb: usize) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    let small: [(&str, &str); 3] = [
        ("[Content_Types].xml", "<Types/>"),
        ("xl/workbook.xml", "<workbook><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
        ("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData></worksheet>"),
    ];
    for (name, data) in small {
        zip.start_file(name, options).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.start_file("xl/sharedStrings.xml", options).unwrap();
    zip.write_all(b"<sst count=\"1\" uniqueCount=\"1\"><si><t>")
        .unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..mb {
        zip.write_all(&chunk).unwrap();
    }
    zip.write_all(b"</t></si></sst>").unwrap();
    zip.finish().unwrap().into_inner()
}

/// A DOCX whose paragraph is nested `depth` elements deep.
pub fn nested_docx(depth: usize) -> Vec<u8> {
    let mut doc = String::from("<w:document xmlns:w=\"w\"><w:body>");
    // Attributes that differ keep the zip's ratio honest, so it is the
    // nesting the reader meets, not the zip-bomb guard.
    let mut seed = 0x9E37_79B9u32;
    for _ in 0..depth {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        doc.push_str(&format!("<w:p w:rsidR=\"{seed:08X}\">"));
    }
    doc.push_str("<w:r><w:t>deep</w:t></w:r>");
    doc.push_str(&"</w:p>".repeat(depth));
    doc.push_str("</w:body></w:document>");
    ooxml(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", doc.as_bytes()),
    ])
}

/// A zip (named .docx) with `n` empty entries.
pub fn many_entries_zip(n: usize) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    for i in 0..n {
        zip.start_file(format!("e/{i}"), options).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A DOCX whose document entry says it inflates to 64 bytes and inflates
/// to 8 MiB (sizes patched in both headers).
pub fn size_lying_docx() -> Vec<u8> {
    let body = vec![b' '; 8 << 20];
    let mut bytes = ooxml(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", &body),
    ]);
    let real = (body.len() as u32).to_le_bytes();
    let lie = 64u32.to_le_bytes();
    // Every little-endian occurrence of the real size is a header field.
    let mut i = 0;
    while i + 4 <= bytes.len() {
        if bytes[i..i + 4] == real {
            bytes[i..i + 4].copy_from_slice(&lie);
        }
        i += 1;
    }
    bytes
}

/// An ordinary DOCX whose one paragraph is `text`.
pub fn docx_with(text: &str) -> Vec<u8> {
    let doc = format!(
        "<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    );
    ooxml(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", doc.as_bytes()),
    ])
}

/// An ordinary one-page PDF that shows `text`.
pub fn pdf_with(text: &str) -> Vec<u8> {
    let content = format!(
        "BT /F1 12 Tf 40 700 Td ({}) Tj ET",
        text.replace(['(', ')'], "")
    );
    pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .into(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ])
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    /// The hand-written stream is a real zlib stream of exactly that text.
    #[test]
    fn the_hand_made_bomb_inflates_to_what_it_says() {
        for len in [0usize, 1, 257, 258, 259, 100_000] {
            let z = super::deflate_repeated(b' ', len.max(1));
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&z[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, vec![b' '; len.max(1)], "{len}");
        }
    }
}
