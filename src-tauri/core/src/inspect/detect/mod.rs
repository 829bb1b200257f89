//! Sensitive-value detectors: one forward pass over the text finds candidates
//! for all seven detectors (`scan`), validators confirm them (`validators`),
//! keywords of the detector's kind within 300 characters decide the
//! confidence (`keywords`), and only masked samples leave (`mask`).
//! `ChunkScanner` gives the same report for text that arrives in pieces.
//!
//! Each detector's candidates are exactly the leftmost-first, non-overlapping
//! matches of the regex in `candidate_regex`, so a regex pass per detector
//! (the benchmark's baseline) finds the same values as the one-pass engine.

mod chunk;
mod keywords;
mod mask;
mod scan;
pub mod validators;

#[cfg(test)]
mod tests;

pub use chunk::ChunkScanner;
pub use mask::mask;

use keywords::Keywords;

/// The detectors, in the order reports list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DetectorId {
    CreditCard,
    UsSsn,
    Iban,
    Email,
    Phone,
    AwsAccessKey,
    PrivateKey,
}

impl DetectorId {
    pub const ALL: [DetectorId; 7] = [
        DetectorId::CreditCard,
        DetectorId::UsSsn,
        DetectorId::Iban,
        DetectorId::Email,
        DetectorId::Phone,
        DetectorId::AwsAccessKey,
        DetectorId::PrivateKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DetectorId::CreditCard => "credit_card",
            DetectorId::UsSsn => "us_ssn",
            DetectorId::Iban => "iban",
            DetectorId::Email => "email",
            DetectorId::Phone => "phone",
            DetectorId::AwsAccessKey => "aws_access_key",
            DetectorId::PrivateKey => "private_key",
        }
    }

    pub fn parse(s: &str) -> Option<DetectorId> {
        DetectorId::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DetectorId::CreditCard => "Payment card",
            DetectorId::UsSsn => "US Social Security number",
            DetectorId::Iban => "IBAN",
            DetectorId::Email => "Email address",
            DetectorId::Phone => "Phone number",
            DetectorId::AwsAccessKey => "AWS access key",
            DetectorId::PrivateKey => "Private key",
        }
    }

    /// The regex (ASCII, `regex::bytes` syntax) whose leftmost-first matches
    /// are this detector's candidates; the engine finds the same spans by hand.
    pub fn candidate_regex(self) -> &'static str {
        match self {
            DetectorId::CreditCard => concat!(
                r"(?-u)\b(?:[0-9]{12,19}",
                r"|[0-9]{4}(?: [0-9]{4}){2}(?: [0-9]{4} [0-9]{1,3}| [0-9]{1,4})?",
                r"|[0-9]{4}(?:-[0-9]{4}){2}(?:-[0-9]{4}-[0-9]{1,3}|-[0-9]{1,4})?",
                r"|[0-9]{4} [0-9]{6} [0-9]{4,5}|[0-9]{4}-[0-9]{6}-[0-9]{4,5}",
                r"|[0-9]{4} [0-9]{5} [0-9]{6}|[0-9]{4}-[0-9]{5}-[0-9]{6})\b",
            ),
            DetectorId::UsSsn => r"(?-u)\b[0-9]{3}[-. ]?[0-9]{2}[-. ]?[0-9]{4}\b",
            DetectorId::Iban => {
                r"(?-u)\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"
            }
            DetectorId::Email => {
                r"(?-u)[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,10}"
            }
            DetectorId::Phone => concat!(
                r"(?-u)\+1[ .-]?(?:\([0-9]{3}\) ?|[0-9]{3}[-. ])[0-9]{3}[-. ][0-9]{4}\b",
                r"|\+[1-9](?:[ .-]?[0-9]){7,14}\b",
                r"|\([0-9]{3}\) ?[0-9]{3}[-. ][0-9]{4}\b",
                r"|\b[0-9]{3}[-. ][0-9]{3}[-. ][0-9]{4}\b",
            ),
            DetectorId::AwsAccessKey => {
                r"(?-u)\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}\b"
            }
            DetectorId::PrivateKey => {
                r"(?-u)-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----"
            }
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How sure a match is: High when a keyword of its kind stands within 300
/// characters before or after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Confidence {
    Low,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::High => "high",
        }
    }
}

/// What one text holds: only detectors with at least one match, in `ALL` order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub chars: u64,
    pub detectors: Vec<DetectorReport>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectorReport {
    pub detector: DetectorId,
    pub high: u64,
    pub low: u64,
    /// Masked, first high-confidence match.
    pub sample_high: Option<String>,
    /// Masked, first low-confidence match.
    pub sample_low: Option<String>,
    /// aws_access_key: a 40-character secret key stands within 300 characters.
    pub secret_nearby: bool,
}

impl Report {
    pub fn get(&self, detector: DetectorId) -> Option<&DetectorReport> {
        self.detectors.iter().find(|d| d.detector == detector)
    }
}

/// The compiled detectors (the keyword automaton); build once and share.
pub struct Engine {
    keywords: Keywords,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    pub fn new() -> Self {
        Engine {
            keywords: Keywords::new(),
        }
    }

    /// Scans a whole text in one pass.
    pub fn scan(&self, text: &str) -> Report {
        let bytes = text.as_bytes();
        let mut state = scan::ScanState::default();
        let mut builder = ReportBuilder::new();
        scan::scan_range(self, bytes, 0, bytes.len(), &mut state, &mut builder);
        builder.finish(char_count(bytes))
    }

    /// The confidence of the candidate `text[start..end]` of `detector`.
    pub fn confidence(
        &self,
        detector: DetectorId,
        text: &[u8],
        start: usize,
        end: usize,
    ) -> Confidence {
        // A PEM header is as specific as evidence gets: no keyword needed.
        if detector == DetectorId::PrivateKey {
            return Confidence::High;
        }
        self.keywords.confidence(detector, text, start, end)
    }
}

/// Counts UTF-8 characters (bytes that are not continuation bytes).
pub fn char_count(bytes: &[u8]) -> u64 {
    scan::char_starts(bytes)
}

#[derive(Clone, Default)]
struct Tally {
    high: u64,
    low: u64,
    sample_high: Option<String>,
    sample_low: Option<String>,
    secret_nearby: bool,
}

/// Turns candidates into a `Report`: the validators (and no card inside a
/// valid IBAN), the keyword confidence, counts, masked samples. The engine and the
/// benchmark's regex baseline both feed it, so they judge alike.
#[derive(Clone, Default)]
pub struct ReportBuilder {
    tallies: [Tally; 7],
}

impl ReportBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the candidate `text[start..end]` of `detector` if it validates;
    /// candidates of one detector must come in text order.
    pub fn record(
        &mut self,
        engine: &Engine,
        detector: DetectorId,
        text: &[u8],
        start: usize,
        end: usize,
    ) -> bool {
        let value = &text[start..end];
        if !validators::validate(detector, value) {
            return false;
        }
        if detector == DetectorId::CreditCard && validators::inside_iban(text, start, end) {
            return false;
        }
        let confidence = engine.confidence(detector, text, start, end);
        let tally = &mut self.tallies[detector.index()];
        let sample = match confidence {
            Confidence::High => {
                tally.high += 1;
                &mut tally.sample_high
            }
            Confidence::Low => {
                tally.low += 1;
                &mut tally.sample_low
            }
        };
        if sample.is_none() {
            *sample = Some(mask(detector, &String::from_utf8_lossy(value)));
        }
        if detector == DetectorId::AwsAccessKey && !tally.secret_nearby {
            tally.secret_nearby = engine.keywords.secret_nearby(text, start, end);
        }
        true
    }

    pub fn finish(self, chars: u64) -> Report {
        let detectors = DetectorId::ALL
            .into_iter()
            .zip(self.tallies)
            .filter(|(_, t)| t.high + t.low > 0)
            .map(|(detector, t)| DetectorReport {
                detector,
                high: t.high,
                low: t.low,
                sample_high: t.sample_high,
                sample_low: t.sample_low,
                secret_nearby: t.secret_nearby,
            })
            .collect();
        Report { chars, detectors }
    }
}
