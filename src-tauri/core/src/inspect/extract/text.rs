//! Plain text, CSV, Markdown, JSON and HTML, streamed in bounded pieces.
//!
//! Bytes are decoded by encoding_rs: it sniffs a UTF-8 or UTF-16 BOM, keeps a
//! sequence split across two reads whole, and replaces invalid bytes with
//! U+FFFD instead of failing. Text, CSV and Markdown go out as decoded. JSON
//! goes out as its own text with string escapes decoded (`\n`, `\"`, `\u0034`):
//! keys and values stay side by side for the detectors' keyword window, and a
//! `\n` does not glue a letter to the digits after it. HTML goes out as its
//! visible text: tags, comments, `<script>` and `<style>` dropped, entities
//! decoded, block elements as line breaks.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use super::{io_reason, Deadline, Emitter, NotInspected, PieceBuf, PIECE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Filter {
    Plain,
    Json,
    Html,
}

/// Streams the file through `filter`; one part.
pub(super) fn extract(
    path: &Path,
    filter: Filter,
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<u32, NotInspected> {
    let file = File::open(path).map_err(|e| io_reason(&e))?;
    extract_reader(file, filter, deadline, out)?;
    Ok(1)
}

pub(super) fn extract_reader(
    mut input: impl Read,
    filter: Filter,
    deadline: &Deadline,
    out: &mut Emitter<'_>,
) -> Result<(), NotInspected> {
    // new_decoder() sniffs a BOM (UTF-8, UTF-16LE, UTF-16BE) and drops it.
    let mut decoder = encoding_rs::UTF_8.new_decoder();
    let mut raw = vec![0u8; PIECE];
    let mut decoded = String::with_capacity(3 * PIECE + 16);
    let mut json = JsonText::default();
    let mut html = HtmlText::default();
    let mut piece = PieceBuf::new();
    loop {
        deadline.check()?;
        let n = match input.read(&mut raw) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_reason(&e)),
        };
        let last = n == 0;
        decoded.clear();
        let mut src = &raw[..n];
        loop {
            let (result, read, _replaced) = decoder.decode_to_string(src, &mut decoded, last);
            src = &src[read..];
            if result == encoding_rs::CoderResult::InputEmpty {
                break;
            }
            decoded.reserve(PIECE);
        }
        match filter {
            Filter::Plain => out.emit(&decoded),
            Filter::Json => {
                for c in decoded.chars() {
                    json.feed(c, &mut piece, out);
                }
            }
            Filter::Html => {
                for c in decoded.chars() {
                    html.feed(c, &mut piece, out);
                }
            }
        }
        if last {
            break;
        }
    }
    if filter == Filter::Html {
        html.finish(&mut piece, out);
    }
    piece.flush(out);
    Ok(())
}

/// JSON as text with string escapes decoded; state survives piece boundaries.
#[derive(Default)]
struct JsonText {
    in_string: bool,
    escape: bool,
    /// Hex digits of a `\uXXXX` read so far, and their value.
    unicode: Option<(u8, u32)>,
    /// A high surrogate waiting for its low half.
    high_surrogate: Option<u32>,
}

impl JsonText {
    fn feed(&mut self, c: char, piece: &mut PieceBuf, out: &mut Emitter<'_>) {
        if let Some((digits, value)) = self.unicode {
            let Some(d) = c.to_digit(16) else {
                // A broken escape: keep what was there, go on as text.
                self.unicode = None;
                piece.push(char::REPLACEMENT_CHARACTER, out);
                self.feed(c, piece, out);
                return;
            };
            let value = value * 16 + d;
            if digits < 3 {
                self.unicode = Some((digits + 1, value));
                return;
            }
            self.unicode = None;
            self.code_unit(value, piece, out);
            return;
        }
        if self.escape {
            self.escape = false;
            let decoded = match c {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' | 'f' => ' ',
                'u' => {
                    self.unicode = Some((0, 0));
                    return;
                }
                other => other, // \" \\ \/
            };
            self.flush_surrogate(piece, out);
            piece.push(decoded, out);
            return;
        }
        if c == '\\' && self.in_string {
            // Maybe the low half of a pending surrogate follows.
            self.escape = true;
            return;
        }
        self.flush_surrogate(piece, out);
        match c {
            '"' => {
                self.in_string = !self.in_string;
                piece.push(c, out);
            }
            _ => piece.push(c, out),
        }
    }

    fn code_unit(&mut self, unit: u32, piece: &mut PieceBuf, out: &mut Emitter<'_>) {
        match unit {
            0xD800..=0xDBFF => {
                self.flush_surrogate(piece, out);
                self.high_surrogate = Some(unit);
            }
            0xDC00..=0xDFFF => {
                let c = match self.high_surrogate.take() {
                    Some(high) => {
                        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00))
                    }
                    None => None,
                };
                piece.push(c.unwrap_or(char::REPLACEMENT_CHARACTER), out);
            }
            _ => {
                self.flush_surrogate(piece, out);
                piece.push(
                    char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER),
                    out,
                );
            }
        }
    }

    fn flush_surrogate(&mut self, piece: &mut PieceBuf, out: &mut Emitter<'_>) {
        if self.high_surrogate.take().is_some() {
            piece.push(char::REPLACEMENT_CHARACTER, out);
        }
    }
}

/// Elements whose end starts a new line of visible text.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
];

/// Elements whose content is not visible text.
const RAW_TAGS: &[&str] = &["script", "style", "template", "noscript"];

/// Tag names longer than this are not ones we act on.
const MAX_TAG_NAME: usize = 16;
/// `&...;` longer than this is not an entity; it is kept as written.
const MAX_ENTITY: usize = 12;

#[derive(Default)]
enum HtmlState {
    #[default]
    Text,
    /// Just after `<`.
    TagOpen,
    /// Reading a tag's name.
    TagName { closing: bool, name: String },
    /// Inside a tag, after its name; `>` ends it unless quoted.
    InTag {
        quote: Option<char>,
        raw: Option<&'static str>,
    },
    /// After `<!`: a comment if `--` follows, else a declaration.
    Bang { dashes: u8 },
    /// Inside `<!-- ... -->`, counting the dashes just seen.
    Comment { dashes: u8 },
    /// Inside `<script>` and the like until the matching end tag.
    Raw { end: &'static str, matched: usize },
    /// After `&`.
    Entity(String),
}

/// A streaming tag stripper: visible text only, state kept across pieces.
#[derive(Default)]
struct HtmlText {
    state: HtmlState,
}

impl HtmlText {
    fn feed(&mut self, c: char, piece: &mut PieceBuf, out: &mut Emitter<'_>) {
        let state = std::mem::take(&mut self.state);
        self.state = match state {
            HtmlState::Text => match c {
                '<' => HtmlState::TagOpen,
                '&' => HtmlState::Entity(String::new()),
                _ => {
                    piece.push(c, out);
                    HtmlState::Text
                }
            },
            HtmlState::TagOpen => match c {
                '!' => HtmlState::Bang { dashes: 0 },
                '/' => HtmlState::TagName {
                    closing: true,
                    name: String::new(),
                },
                c if c.is_ascii_alphabetic() => HtmlState::TagName {
                    closing: false,
                    name: c.to_ascii_lowercase().to_string(),
                },
                '?' => HtmlState::InTag {
                    quote: None,
                    raw: None,
                },
                _ => {
                    // "a < b": not a tag.
                    piece.push('<', out);
                    self.state = HtmlState::Text;
                    return self.feed(c, piece, out);
                }
            },
            HtmlState::TagName { closing, mut name } => {
                if c.is_ascii_alphanumeric() || c == '-' || c == ':' {
                    if name.len() < MAX_TAG_NAME {
                        name.push(c.to_ascii_lowercase());
                    }
                    HtmlState::TagName { closing, name }
                } else {
                    if BLOCK_TAGS.contains(&name.as_str()) && !piece.at_line_start() {
                        piece.push('\n', out);
                    }
                    let raw = if closing {
                        None
                    } else {
                        RAW_TAGS.iter().copied().find(|t| *t == name)
                    };
                    let in_tag = HtmlState::InTag { quote: None, raw };
                    self.state = in_tag;
                    return self.feed(c, piece, out);
                }
            }
            HtmlState::InTag { quote, raw } => match (quote, c) {
                (None, '>') => match raw {
                    Some(end) => HtmlState::Raw { end, matched: 0 },
                    None => HtmlState::Text,
                },
                (None, '"' | '\'') => HtmlState::InTag {
                    quote: Some(c),
                    raw,
                },
                (Some(q), c) if q == c => HtmlState::InTag { quote: None, raw },
                _ => HtmlState::InTag { quote, raw },
            },
            HtmlState::Bang { dashes } => match (dashes, c) {
                (0, '-') => HtmlState::Bang { dashes: 1 },
                (1, '-') => HtmlState::Comment { dashes: 0 },
                (_, '>') => HtmlState::Text,
                _ => HtmlState::InTag {
                    quote: None,
                    raw: None,
                },
            },
            HtmlState::Comment { dashes } => match c {
                '-' => HtmlState::Comment {
                    dashes: dashes.saturating_add(1),
                },
                '>' if dashes >= 2 => HtmlState::Text,
                _ => HtmlState::Comment { dashes: 0 },
            },
            HtmlState::Raw { end, matched } => {
                // Looking for "</" + end, case-insensitively.
                let want = |i: usize| match i {
                    0 => '<',
                    1 => '/',
                    i => end.as_bytes()[i - 2] as char,
                };
                let lower = c.to_ascii_lowercase();
                if lower == want(matched) {
                    if matched + 1 == end.len() + 2 {
                        HtmlState::InTag {
                            quote: None,
                            raw: None,
                        }
                    } else {
                        HtmlState::Raw {
                            end,
                            matched: matched + 1,
                        }
                    }
                } else if c == '<' {
                    HtmlState::Raw { end, matched: 1 }
                } else {
                    HtmlState::Raw { end, matched: 0 }
                }
            }
            HtmlState::Entity(mut name) => {
                if c == ';' {
                    match decode_entity(&name) {
                        Some(decoded) => piece.push(decoded, out),
                        None => {
                            piece.push('&', out);
                            piece.push_str(&name, out);
                            piece.push(';', out);
                        }
                    }
                    HtmlState::Text
                } else if (c.is_ascii_alphanumeric() || c == '#') && name.len() < MAX_ENTITY {
                    name.push(c);
                    HtmlState::Entity(name)
                } else {
                    piece.push('&', out);
                    piece.push_str(&name, out);
                    self.state = HtmlState::Text;
                    return self.feed(c, piece, out);
                }
            }
        };
    }

    /// A dangling `&name` at the very end is text.
    fn finish(&mut self, piece: &mut PieceBuf, out: &mut Emitter<'_>) {
        if let HtmlState::Entity(name) = std::mem::take(&mut self.state) {
            piece.push('&', out);
            piece.push_str(&name, out);
        }
    }
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return Some(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "copy" => '©',
        "reg" => '®',
        _ => return None,
    })
}
