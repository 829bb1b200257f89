//! Keyword confidence: a match is High when a keyword of its detector's kind
//! (or, for cards, an expiry date) ends within the 300 characters before it
//! or starts within the 300 after it (at most 300 characters between them).
//! Keywords must start a word. The match's own characters do not count,
//! so a key's `PRIVATE KEY` header does not vouch for itself. One
//! case-insensitive automaton holds every keyword; it runs only over the
//! windows of validated matches, so its cost follows matches, not text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{Confidence, DetectorId};

/// Characters of context on each side of a match.
pub(super) const WINDOW_CHARS: usize = 300;
/// The same window in bytes at worst (four-byte characters).
pub(super) const WINDOW_BYTES: usize = 4 * WINDOW_CHARS;

fn keywords(detector: DetectorId) -> &'static [&'static str] {
    match detector {
        DetectorId::CreditCard => &[
            "card",
            "credit",
            "debit",
            "visa",
            "mastercard",
            "amex",
            "american express",
            "discover",
            "jcb",
            "diners",
            "cvv",
            "cvc",
            "ccn",
            "cc#",
            "payment",
            "expiry",
            "expiration",
            "exp date",
            "valid thru",
        ],
        DetectorId::UsSsn => &[
            "ssn",
            "ss#",
            "social security",
            "social sec",
            "taxpayer",
            "tax id",
        ],
        DetectorId::Iban => &["iban", "bic", "swift", "sepa", "bank", "account"],
        DetectorId::Email => &["email", "e-mail", "mail", "contact"],
        DetectorId::Phone => &["phone", "tel", "mobile", "cell", "fax", "call", "contact"],
        DetectorId::AwsAccessKey => &[
            "aws",
            "amazon",
            "access key",
            "access_key",
            "accesskey",
            "secret",
            "iam",
            "key id",
            "key_id",
            "credentials",
        ],
        DetectorId::PrivateKey => &[
            "ssh",
            "pem",
            "id_rsa",
            "id_ecdsa",
            "id_ed25519",
            "deploy key",
            "passphrase",
            "keyfile",
            "key file",
        ],
    }
}

pub(super) struct Keywords {
    automaton: AhoCorasick,
    /// Per pattern: a bit per detector it vouches for.
    owners: Vec<u8>,
}

impl Keywords {
    pub(super) fn new() -> Self {
        let mut patterns: Vec<&'static str> = Vec::new();
        let mut owners: Vec<u8> = Vec::new();
        for detector in DetectorId::ALL {
            for &word in keywords(detector) {
                let bit = 1u8 << detector.index();
                match patterns.iter().position(|&p| p == word) {
                    Some(i) => owners[i] |= bit,
                    None => {
                        patterns.push(word);
                        owners.push(bit);
                    }
                }
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("the keyword list is a valid automaton");
        Keywords { automaton, owners }
    }

    pub(super) fn confidence(
        &self,
        detector: DetectorId,
        text: &[u8],
        start: usize,
        end: usize,
    ) -> Confidence {
        let near = Near::new(text, start, end);
        let keyword = self.has_keyword(detector, text, &near);
        let expiry = || detector == DetectorId::CreditCard && has_expiry(text, &near);
        if keyword || expiry() {
            Confidence::High
        } else {
            Confidence::Low
        }
    }

    fn has_keyword(&self, detector: DetectorId, text: &[u8], near: &Near) -> bool {
        let bit = 1u8 << detector.index();
        let vouches = |offset: usize, m: aho_corasick::Match| {
            let (s, e) = (offset + m.start(), offset + m.end());
            self.owners[m.pattern().as_usize()] & bit != 0
                && (s == 0 || !text[s - 1].is_ascii_alphanumeric())
                && near.holds(s, e)
        };
        let (before, after) = near.search_ranges(MAX_KEYWORD);
        [before, after].into_iter().any(|(lo, hi)| {
            self.automaton
                .find_overlapping_iter(&text[lo..hi])
                .any(|m| vouches(lo, m))
        })
    }

    /// A 40-character secret access key (base64 alphabet, mixed case, a run
    /// of exactly 40) within 300 characters of the match.
    pub(super) fn secret_nearby(&self, text: &[u8], start: usize, end: usize) -> bool {
        let near = Near::new(text, start, end);
        let (before, after) = near.search_ranges(SECRET_LEN);
        [before, after].into_iter().any(|(lo, hi)| {
            (lo..hi).any(|i| {
                if !secret_byte(text[i]) || (i > 0 && secret_byte(text[i - 1])) {
                    return false;
                }
                let limit = text.len().min(i + SECRET_LEN + 1);
                let run_end = (i..limit).find(|&k| !secret_byte(text[k])).unwrap_or(limit);
                let run = &text[i..run_end];
                run.len() == SECRET_LEN
                    && near.holds(i, run_end)
                    && run.iter().any(u8::is_ascii_uppercase)
                    && run.iter().any(u8::is_ascii_lowercase)
            })
        })
    }
}

/// The longest keyword, in bytes (all are ASCII).
const MAX_KEYWORD: usize = 32;
const SECRET_LEN: usize = 40;

/// What counts as near a match `start..end`: a span on either side whose
/// nearer end is at most 300 characters away, outside the match itself.
struct Near {
    lo: usize,
    start: usize,
    end: usize,
    hi: usize,
    len: usize,
}

impl Near {
    fn new(text: &[u8], start: usize, end: usize) -> Self {
        let (lo, hi) = window(text, start, end);
        Near {
            lo,
            start,
            end,
            hi,
            len: text.len(),
        }
    }

    fn holds(&self, s: usize, e: usize) -> bool {
        (e <= self.start && e >= self.lo) || (s >= self.end && s <= self.hi)
    }

    /// Byte ranges to search for spans up to `longest` bytes long.
    fn search_ranges(&self, longest: usize) -> ((usize, usize), (usize, usize)) {
        (
            (self.lo.saturating_sub(longest), self.start),
            (self.end, (self.hi + longest).min(self.len)),
        )
    }
}

/// Where the 300 characters before `start` begin and those after `end` end.
fn window(text: &[u8], start: usize, end: usize) -> (usize, usize) {
    let is_char_start = |b: u8| (b as i8) >= -64;
    let mut lo = start;
    for _ in 0..WINDOW_CHARS {
        if lo == 0 {
            break;
        }
        lo -= 1;
        while lo > 0 && !is_char_start(text[lo]) {
            lo -= 1;
        }
    }
    let mut hi = end;
    for _ in 0..WINDOW_CHARS {
        if hi == text.len() {
            break;
        }
        hi += 1;
        while hi < text.len() && !is_char_start(text[hi]) {
            hi += 1;
        }
    }
    (lo, hi)
}

fn secret_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'/' || b == b'+'
}

/// `MM/YY` or `MM/YYYY` (month 01–12), not inside a longer number, near the match.
fn has_expiry(text: &[u8], near: &Near) -> bool {
    let digit = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
    let (before, after) = near.search_ranges(8);
    [before, after].into_iter().any(|(lo, hi)| {
        (lo..hi).any(|slash| {
            if text[slash] != b'/' || slash < 2 || !digit(slash - 2) || !digit(slash - 1) {
                return false;
            }
            if slash >= 3 && digit(slash - 3) {
                return false;
            }
            let month = (text[slash - 2] - b'0') * 10 + (text[slash - 1] - b'0');
            let year_digits = (slash + 1..text.len().min(slash + 6))
                .take_while(|&k| digit(k))
                .count();
            (1..=12).contains(&month)
                && (year_digits == 2 || year_digits == 4)
                && near.holds(slash - 2, slash + 1 + year_digits)
        })
    })
}
