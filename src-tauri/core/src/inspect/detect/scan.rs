//! The one-pass candidate finder. A block of 64 bytes at a time is first
//! checked for any trigger byte (a digit, 'A', '@', '(', '+', '-'); prose,
//! mostly lowercase, rarely has one and costs a few vector instructions per
//! block. Otherwise the block's class masks (and the next block's, for
//! shapes that run past its end) are combined with shifts into the positions
//! where some detector's shape can start (`triggers`): most digit runs (ids,
//! amounts, dates) never reach a parser. At each such trigger a small hand
//! parser finds exactly the span the detector's `candidate_regex` would
//! match there (leftmost-first, greedy), and `ReportBuilder::record`
//! validates it.
//! Per detector, the next candidate may not start before the previous one
//! ended, as with a regex's non-overlapping matches.

use super::{DetectorId, Engine, ReportBuilder};

/// Where each detector may match next (byte offsets into the scanned buffer).
#[derive(Clone, Default)]
pub(super) struct ScanState {
    next: [usize; 7],
}

impl ScanState {
    /// The buffer lost its first `cut` bytes.
    pub(super) fn shift(&mut self, cut: usize) {
        for n in &mut self.next {
            *n = n.saturating_sub(cut);
        }
    }
}

const BLOCK: usize = 64;

/// Per 64-byte block, bit k says what byte k is. Bytes past the text's end
/// are zero (no class), as `Scanner::byte` reads them.
#[derive(Clone, Copy, Default)]
struct Masks {
    digit: u64,
    upper: u64,
    space: u64,
    dash: u64,
    dot: u64,
    a: u64,
    at: u64,
    /// `(` or `+`: a phone opening.
    open: u64,
}

impl Masks {
    #[inline]
    fn at(text: &[u8], base: usize) -> Masks {
        #[cfg(target_arch = "x86_64")]
        if base + BLOCK <= text.len() {
            // SAFETY: SSE2 is part of x86_64; the loads read exactly 64 bytes of `text`.
            return unsafe { masks_sse2(&text[base..base + BLOCK]) };
        }
        let mut m = Masks::default();
        for (k, &b) in text.iter().skip(base).take(BLOCK).enumerate() {
            let bit = 1u64 << k;
            let set = |mask: &mut u64, on: bool| *mask |= bit & (on as u64).wrapping_neg();
            set(&mut m.digit, b.is_ascii_digit());
            set(&mut m.upper, b.is_ascii_uppercase());
            set(&mut m.space, b == b' ');
            set(&mut m.dash, b == b'-');
            set(&mut m.dot, b == b'.');
            set(&mut m.a, b == b'A');
            set(&mut m.at, b == b'@');
            set(&mut m.open, b == b'(' || b == b'+');
        }
        m
    }
}

/// Whether the full block at `base` holds no trigger byte at all (no digit,
/// none of `A@(+-`): prose mostly, which then costs one pass of compares.
#[inline]
fn quiet(text: &[u8], base: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if base + BLOCK <= text.len() {
        // SAFETY: SSE2 is part of x86_64; the loads read exactly 64 bytes of `text`.
        return unsafe { quiet_sse2(&text[base..base + BLOCK]) };
    }
    false
}

#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn quiet_sse2(block: &[u8]) -> bool {
    use std::arch::x86_64::*;
    // SAFETY: the caller passes exactly 64 bytes; loads are unaligned.
    unsafe {
        let bias_digit = _mm_set1_epi8(0x80u8.wrapping_sub(b'0') as i8);
        let ten = _mm_set1_epi8((0x80u8 + 10) as i8);
        let [dash, a, at, open, plus] =
            [b'-', b'A', b'@', b'(', b'+'].map(|c| _mm_set1_epi8(c as i8));
        let mut any = _mm_setzero_si128();
        for i in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * i) as *const __m128i);
            let hit = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmplt_epi8(_mm_add_epi8(v, bias_digit), ten),
                    _mm_cmpeq_epi8(v, dash),
                ),
                _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, at)),
                    _mm_or_si128(_mm_cmpeq_epi8(v, open), _mm_cmpeq_epi8(v, plus)),
                ),
            );
            any = _mm_or_si128(any, hit);
        }
        _mm_movemask_epi8(any) == 0
    }
}

/// How many UTF-8 characters `bytes` holds (bytes that are not
/// continuation bytes): bytecount picks SSE2 or AVX2 at run time.
pub(super) fn char_starts(bytes: &[u8]) -> u64 {
    bytecount::num_chars(bytes) as u64
}

#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn masks_sse2(block: &[u8]) -> Masks {
    use std::arch::x86_64::*;
    // SAFETY: the caller passes exactly 64 bytes; loads are unaligned.
    unsafe {
        let bias_digit = _mm_set1_epi8(0x80u8.wrapping_sub(b'0') as i8);
        let bias_upper = _mm_set1_epi8(0x80u8.wrapping_sub(b'A') as i8);
        let ten = _mm_set1_epi8((0x80u8 + 10) as i8);
        let twenty_six = _mm_set1_epi8((0x80u8 + 26) as i8);
        let [space, dash, dot, a, at, open, plus] =
            [b' ', b'-', b'.', b'A', b'@', b'(', b'+'].map(|c| _mm_set1_epi8(c as i8));
        let mut m = Masks::default();
        for i in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * i) as *const __m128i);
            let bits = |x: __m128i| ((_mm_movemask_epi8(x) as u32 & 0xffff) as u64) << (16 * i);
            // b - c < n, as a signed compare after biasing by 0x80.
            m.digit |= bits(_mm_cmplt_epi8(_mm_add_epi8(v, bias_digit), ten));
            m.upper |= bits(_mm_cmplt_epi8(_mm_add_epi8(v, bias_upper), twenty_six));
            m.space |= bits(_mm_cmpeq_epi8(v, space));
            m.dash |= bits(_mm_cmpeq_epi8(v, dash));
            m.dot |= bits(_mm_cmpeq_epi8(v, dot));
            m.a |= bits(_mm_cmpeq_epi8(v, a));
            m.at |= bits(_mm_cmpeq_epi8(v, at));
            m.open |= bits(_mm_or_si128(
                _mm_cmpeq_epi8(v, open),
                _mm_cmpeq_epi8(v, plus),
            ));
        }
        m
    }
}

/// Which bytes of a block are worth a parser: a superset of the positions
/// where some parser can return a span, from the block's masks and the next
/// block's (for shapes that run past the end). Most digit runs (ids,
/// amounts, dates, times) fit no detector's shape and never reach a parser.
/// Returns (digit-run starts, other triggers).
fn triggers(cur: &Masks, next: &Masks, prev_digit: bool, prev_upper: [bool; 2]) -> (u64, u64) {
    let wide = |c: u64, n: u64| c as u128 | (n as u128) << 64;
    let d = wide(cur.digit, next.digit);
    let u = wide(cur.upper, next.upper);
    let dash = wide(cur.dash, next.dash);
    // `[- ]` for cards, `[-. ]` for SSNs and phones.
    let s2 = dash | wide(cur.space, next.space);
    let s3 = s2 | wide(cur.dot, next.dot);
    // dN: bit p when bytes p..p+N are all digits.
    let d2 = d & d >> 1;
    let d3 = d2 & d >> 2;
    let d4 = d2 & d2 >> 2;
    let d5 = d4 & d >> 4;
    let d6 = d4 & d2 >> 4;
    let d9 = d4 & d5 >> 4;
    let d12 = d9 & d3 >> 9;
    let card = d12 | (d4 & s2 >> 4 & d4 >> 5);
    let ssn = (d9 & !(d >> 9))
        | (d3 & s3 >> 3 & d6 >> 4)
        | (d5 & s3 >> 5 & d4 >> 6)
        | (d3 & s3 >> 3 & d2 >> 4 & s3 >> 6 & d4 >> 7);
    let phone = d3 & s3 >> 3 & d3 >> 4 & s3 >> 7 & d4 >> 8;
    let starts = cur.digit & !(cur.digit << 1 | prev_digit as u64);
    // `[A-Z]{2}[0-9]{2}`: the two bytes before the run are uppercase.
    let up1 = cur.upper << 1 | prev_upper[0] as u64;
    let up2 = cur.upper << 2 | (prev_upper[0] as u64) << 1 | prev_upper[1] as u64;
    let iban = starts & up1 & up2 & (d >> 1) as u64;
    let digit = starts & ((card | ssn | phone) as u64) | iban;
    // An AWS prefix is four uppercase letters, a PEM header five dashes, a
    // phone opening is followed by a digit.
    let aws = cur.a & (u >> 1 & u >> 2 & u >> 3) as u64;
    let pem = cur.dash & (dash >> 1 & dash >> 2 & dash >> 3 & dash >> 4) as u64;
    let open = cur.open & (d >> 1) as u64;
    (digit, aws | pem | open | cur.at)
}

/// Processes every trigger at a position in `from..to`. `text` may extend
/// beyond both ends: parsers and keyword windows read the context there.
pub(super) fn scan_range(
    engine: &Engine,
    text: &[u8],
    from: usize,
    to: usize,
    state: &mut ScanState,
    out: &mut ReportBuilder,
) {
    let mut scanner = Scanner {
        engine,
        text,
        state,
        out,
    };
    let mut base = from;
    // The masks of the block at `base`, when the previous block computed them.
    let mut ahead: Option<Masks> = None;
    while base < to {
        let cur = match ahead.take() {
            Some(masks) => masks,
            None if quiet(text, base) => {
                base += BLOCK;
                continue;
            }
            None => Masks::at(text, base),
        };
        let next = Masks::at(text, base + BLOCK);
        let before = |k: usize, class: fn(&u8) -> bool| base >= k && class(&text[base - k]);
        let (digit, other) = triggers(
            &cur,
            &next,
            before(1, u8::is_ascii_digit),
            [
                before(1, u8::is_ascii_uppercase),
                before(2, u8::is_ascii_uppercase),
            ],
        );
        let live = if to - base >= BLOCK {
            !0
        } else {
            (1u64 << (to - base)) - 1
        };
        let mut m = (digit | other) & live;
        while m != 0 {
            let k = m.trailing_zeros() as usize;
            m &= m - 1;
            let p = base + k;
            if (digit >> k) & 1 == 1 {
                let run = (!((cur.digit as u128 | (next.digit as u128) << 64) >> k))
                    .trailing_zeros() as usize;
                scanner.at_digit_start(p, run);
            } else {
                scanner.at_other(p);
            }
        }
        // A next block without trigger bytes is done; else its masks are ready.
        if next.digit | next.a | next.at | next.open | next.dash == 0 {
            base += 2 * BLOCK;
        } else {
            ahead = Some(next);
            base += BLOCK;
        }
    }
}

pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Scanner<'a> {
    engine: &'a Engine,
    text: &'a [u8],
    state: &'a mut ScanState,
    out: &'a mut ReportBuilder,
}

impl Scanner<'_> {
    fn byte(&self, i: usize) -> u8 {
        self.text.get(i).copied().unwrap_or(0)
    }

    fn digit(&self, i: usize) -> bool {
        self.byte(i).is_ascii_digit()
    }

    /// `\b` after a word byte at `i - 1`: the text ends or a non-word byte follows.
    fn boundary_after(&self, i: usize) -> bool {
        !is_word(self.byte(i))
    }

    /// `\b` before a word byte at `i`.
    fn boundary_before(&self, i: usize) -> bool {
        i == 0 || !is_word(self.text[i - 1])
    }

    fn digits_at(&self, i: usize, n: usize) -> bool {
        (i..i + n).all(|k| self.digit(k))
    }

    fn emit(&mut self, detector: DetectorId, start: usize, end: usize) {
        if start < self.state.next[detector.index()] {
            return;
        }
        self.state.next[detector.index()] = end;
        self.out
            .record(self.engine, detector, self.text, start, end);
    }

    fn free(&self, detector: DetectorId, start: usize) -> bool {
        start >= self.state.next[detector.index()]
    }

    /// A trigger byte other than a digit.
    fn at_other(&mut self, p: usize) {
        let found = match self.text[p] {
            b'A' if self.boundary_before(p) => {
                self.aws(p).map(|end| (DetectorId::AwsAccessKey, end))
            }
            b'@' => {
                self.at_at_sign(p);
                None
            }
            b'(' => self.phone_paren(p).map(|end| (DetectorId::Phone, end)),
            b'+' => self.phone_plus(p).map(|end| (DetectorId::Phone, end)),
            b'-' if self.byte(p + 1) == b'-' => {
                self.private_key(p).map(|end| (DetectorId::PrivateKey, end))
            }
            _ => None,
        };
        if let Some((detector, end)) = found {
            self.emit(detector, p, end);
        }
    }

    /// A digit whose previous byte is not a digit, starting a run of `run`.
    fn at_digit_start(&mut self, p: usize, run: usize) {
        let prev = if p == 0 { 0 } else { self.text[p - 1] };
        if prev.is_ascii_uppercase() {
            // `[A-Z]{2}[0-9]{2}`: an IBAN starts two bytes back.
            if p >= 2 && self.text[p - 2].is_ascii_uppercase() {
                let s = p - 2;
                if self.boundary_before(s) && self.free(DetectorId::Iban, s) {
                    if let Some(end) = self.iban(s) {
                        self.emit(DetectorId::Iban, s, end);
                    }
                }
            }
            return;
        }
        if is_word(prev) {
            return;
        }
        // Most numbers (ids, amounts, dates, times) fit no detector's first
        // group: a card starts with 4 digits and a separator or 12+ digits,
        // an SSN with 9 digits or 3 or 5 and a separator, a phone with 3.
        let sep = matches!(self.byte(p + run), b' ' | b'-' | b'.');
        if !(run >= 12 || run == 9 || (matches!(run, 3..=5) && sep)) {
            return;
        }
        if self.free(DetectorId::CreditCard, p) {
            if let Some(end) = self.card(p) {
                self.emit(DetectorId::CreditCard, p, end);
            }
        }
        if self.free(DetectorId::UsSsn, p) {
            if let Some(end) = self.ssn(p) {
                self.emit(DetectorId::UsSsn, p, end);
            }
        }
        if self.free(DetectorId::Phone, p) {
            if let Some(end) = self.nanp_body(p) {
                self.emit(DetectorId::Phone, p, end);
            }
        }
    }

    /// `(?:SEP?[0-9]){min,max}\b` after the digit at `p - 1`, greedy: the
    /// longest count whose last digit is followed by a `\b`.
    fn digit_run(&self, mut i: usize, seps: &[u8], min: usize, max: usize) -> Option<usize> {
        let mut best = None;
        for count in 1..=max {
            if self.digit(i) {
                i += 1;
            } else if seps.contains(&self.byte(i)) && self.digit(i + 1) {
                i += 2;
            } else {
                break;
            }
            if count >= min && self.boundary_after(i) {
                best = Some(i);
            }
        }
        best
    }

    /// `[0-9]{min,max}\b` at `i`, greedy: the longest run that ends on a boundary.
    fn digits_then_boundary(&self, i: usize, min: usize, max: usize) -> Option<usize> {
        let run = (i..i + max).take_while(|&k| self.digit(k)).count();
        (min..=run)
            .rev()
            .map(|n| i + n)
            .find(|&end| self.boundary_after(end))
    }

    /// The card regex (see `candidate_regex`): 12–19 digits, or 4-4-4(-4)
    /// groups (12–19 digits), or 4-6-4/4-6-5, or 4-5-6, one separator
    /// throughout.
    fn card(&self, p: usize) -> Option<usize> {
        let run = (p..p + 20).take_while(|&k| self.digit(k)).count();
        if run >= 12 {
            return if run <= 19 && self.boundary_after(p + run) {
                Some(p + run)
            } else {
                None
            };
        }
        if run != 4 {
            return None;
        }
        let sep = self.byte(p + 4);
        if sep != b' ' && sep != b'-' {
            return None;
        }
        let group = |i: usize, n: usize| self.byte(i) == sep && self.digits_at(i + 1, n);
        if group(p + 4, 4) && group(p + 9, 4) {
            let q = p + 14;
            if group(q, 4) && self.byte(q + 5) == sep {
                if let Some(end) = self.digits_then_boundary(q + 6, 1, 3) {
                    return Some(end);
                }
            }
            if self.byte(q) == sep {
                if let Some(end) = self.digits_then_boundary(q + 1, 1, 4) {
                    return Some(end);
                }
            }
            return self.boundary_after(q).then_some(q);
        }
        if group(p + 4, 6) && self.byte(p + 11) == sep {
            return self.digits_then_boundary(p + 12, 4, 5);
        }
        if group(p + 4, 5) && self.byte(p + 10) == sep {
            return self.digits_then_boundary(p + 11, 6, 6);
        }
        None
    }

    /// `\b[0-9]{3}[-. ]?[0-9]{2}[-. ]?[0-9]{4}\b`
    fn ssn(&self, p: usize) -> Option<usize> {
        let sep = |i: usize| matches!(self.byte(i), b'-' | b'.' | b' ') as usize;
        if !self.digits_at(p, 3) {
            return None;
        }
        let mut i = p + 3;
        i += sep(i);
        if !self.digits_at(i, 2) {
            return None;
        }
        i += 2;
        i += sep(i);
        if !self.digits_at(i, 4) {
            return None;
        }
        i += 4;
        self.boundary_after(i).then_some(i)
    }

    /// `[0-9]{3}[-. ][0-9]{4}\b` at `i`.
    fn exchange_line(&self, i: usize) -> Option<usize> {
        (self.digits_at(i, 3)
            && matches!(self.byte(i + 3), b'-' | b'.' | b' ')
            && self.digits_at(i + 4, 4)
            && self.boundary_after(i + 8))
        .then_some(i + 8)
    }

    /// `\([0-9]{3}\) ?` at `i`: where the exchange starts.
    fn paren_area(&self, i: usize) -> Option<usize> {
        if self.byte(i) != b'(' || !self.digits_at(i + 1, 3) || self.byte(i + 4) != b')' {
            return None;
        }
        let j = i + 5;
        Some(if self.byte(j) == b' ' && self.digit(j + 1) {
            j + 1
        } else {
            j
        })
    }

    /// `\([0-9]{3}\) ?[0-9]{3}[-. ][0-9]{4}\b`
    fn phone_paren(&self, p: usize) -> Option<usize> {
        self.exchange_line(self.paren_area(p)?)
    }

    /// `\b[0-9]{3}[-. ][0-9]{3}[-. ][0-9]{4}\b`
    fn nanp_body(&self, p: usize) -> Option<usize> {
        if !self.digits_at(p, 3) || !matches!(self.byte(p + 3), b'-' | b'.' | b' ') {
            return None;
        }
        self.exchange_line(p + 4)
    }

    /// `\+1[ .-]?(?:\([0-9]{3}\) ?|[0-9]{3}[-. ])[0-9]{3}[-. ][0-9]{4}\b`,
    /// else `\+[1-9](?:[ .-]?[0-9]){7,14}\b`.
    fn phone_plus(&self, p: usize) -> Option<usize> {
        if self.byte(p + 1) == b'1' {
            let mut i = p + 2;
            let after_sep = i + 1;
            if matches!(self.byte(i), b' ' | b'.' | b'-')
                && (self.byte(after_sep) == b'(' || self.digit(after_sep))
            {
                i = after_sep;
            }
            let exchange = if self.byte(i) == b'(' {
                self.paren_area(i)
            } else if self.digits_at(i, 3) && matches!(self.byte(i + 3), b'-' | b'.' | b' ') {
                Some(i + 4)
            } else {
                None
            };
            if let Some(end) = exchange.and_then(|x| self.exchange_line(x)) {
                return Some(end);
            }
        }
        if !matches!(self.byte(p + 1), b'1'..=b'9') {
            return None;
        }
        self.digit_run(p + 2, b" .-", 7, 14)
    }

    /// `\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`,
    /// trying group counts and tail lengths in the regex's priority order.
    fn iban(&self, s: usize) -> Option<usize> {
        if !self.digits_at(s + 2, 2) {
            return None;
        }
        let alnum = |i: usize| {
            let b = self.byte(i);
            b.is_ascii_uppercase() || b.is_ascii_digit()
        };
        let run4 = |i: usize| (i..i + 4).all(alnum);
        let mut ends = [0usize; 8];
        let mut groups = 0;
        let mut i = s + 4;
        while groups < 7 {
            let start = if self.byte(i) == b' ' { i + 1 } else { i };
            if !run4(start) {
                break;
            }
            i = start + 4;
            groups += 1;
            ends[groups] = i;
        }
        for g in (2..=groups).rev() {
            let e = ends[g];
            let tail = if self.byte(e) == b' ' { e + 1 } else { e };
            let avail = (tail..tail + 4).take_while(|&k| alnum(k)).count();
            for len in (1..=avail).rev() {
                if self.boundary_after(tail + len) {
                    return Some(tail + len);
                }
            }
            if self.boundary_after(e) {
                return Some(e);
            }
        }
        None
    }

    /// `[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,10}`
    fn at_at_sign(&mut self, at: usize) {
        let local =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
        let label = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
        let floor = self.state.next[DetectorId::Email.index()].max(at.saturating_sub(64));
        let mut start = at;
        while start > floor && local(self.text[start - 1]) {
            start -= 1;
        }
        if start == at {
            return;
        }
        let run = |i: usize| (i..).take_while(|&k| label(self.byte(k))).take(64).count();
        let first = run(at + 1);
        if first == 0 || first > 63 || self.byte(at + 1 + first) != b'.' {
            return;
        }
        let mut end = at + 1 + first;
        let mut labels = 0;
        while labels < 10 && self.byte(end) == b'.' {
            let n = run(end + 1).min(63);
            if n == 0 {
                break;
            }
            end += 1 + n;
            labels += 1;
            if label(self.byte(end)) {
                break; // the label ran past 63 bytes: the regex stops inside it
            }
        }
        if labels > 0 {
            self.emit(DetectorId::Email, start, end);
        }
    }

    /// `\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}\b`
    fn aws(&self, p: usize) -> Option<usize> {
        const PREFIXES: [&[u8; 4]; 8] = [
            b"AKIA", b"ASIA", b"AGPA", b"AIDA", b"AROA", b"ANPA", b"ANVA", b"AIPA",
        ];
        let head = self.text.get(p..p + 20)?;
        if !PREFIXES.iter().any(|pre| head.starts_with(&pre[..])) {
            return None;
        }
        let body_ok = head[4..]
            .iter()
            .all(|&b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        (body_ok && self.boundary_after(p + 20)).then_some(p + 20)
    }

    /// `-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----`
    fn private_key(&self, p: usize) -> Option<usize> {
        const HEAD: &[u8] = b"-----BEGIN ";
        const TAIL: &[u8] = b"PRIVATE KEY-----";
        let rest = self.text.get(p..)?;
        if !rest.starts_with(HEAD) {
            return None;
        }
        let mut i = HEAD.len();
        for kind in [&b"RSA "[..], b"EC ", b"DSA ", b"OPENSSH ", b"ENCRYPTED "] {
            if rest[i..].starts_with(kind) && rest[i + kind.len()..].starts_with(TAIL) {
                i += kind.len();
                break;
            }
        }
        rest[i..].starts_with(TAIL).then_some(p + i + TAIL.len())
    }
}

/// The longest candidate any parser can return, in bytes (an email with ten
/// 63-byte labels), and how far back one can start before its trigger.
pub(super) const MAX_CANDIDATE: usize = 64 + 1 + 11 * 64;
pub(super) const MAX_LOOKBACK: usize = 64;
