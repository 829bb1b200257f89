//! Text that arrives in pieces. The scanner keeps a buffer and processes
//! triggers only where the whole candidate and its 300-character windows are
//! already in it (`HOLD` bytes of lookahead), keeping `KEEP` bytes behind for
//! look-back; each trigger is processed exactly once, so the report equals
//! `Engine::scan` of the concatenated text wherever it was split.

use std::sync::Arc;

use super::keywords::WINDOW_BYTES;
use super::scan::{self, ScanState, MAX_CANDIDATE, MAX_LOOKBACK};
use super::{char_count, Engine, Report, ReportBuilder};

/// Lookahead a trigger needs: its candidate, the window after it, and the
/// bytes past the window that spans reaching into it (keywords, a
/// 40-character secret) and boundary checks read.
const HOLD: usize = MAX_CANDIDATE + WINDOW_BYTES + 128;
/// Look-back a trigger needs: a candidate starting before it, the window
/// before that, and a byte for the keyword boundary.
const KEEP: usize = MAX_LOOKBACK + WINDOW_BYTES + 128;
/// Trim the buffer only once this much is done, so moves stay rare.
const TRIM_AT: usize = 64 * 1024;

pub struct ChunkScanner {
    engine: Arc<Engine>,
    buf: Vec<u8>,
    /// Triggers before this buffer offset are processed.
    scanned: usize,
    state: ScanState,
    builder: ReportBuilder,
    chars: u64,
}

impl ChunkScanner {
    pub fn new(engine: Arc<Engine>) -> Self {
        ChunkScanner {
            engine,
            buf: Vec::new(),
            scanned: 0,
            state: ScanState::default(),
            builder: ReportBuilder::new(),
            chars: 0,
        }
    }

    pub fn push(&mut self, text: &str) {
        self.chars += char_count(text.as_bytes());
        self.buf.extend_from_slice(text.as_bytes());
        let ready = self.buf.len().saturating_sub(HOLD);
        if ready > self.scanned {
            self.scan_to(ready);
        }
        if self.scanned > TRIM_AT + KEEP {
            let cut = self.scanned - KEEP;
            self.buf.drain(..cut);
            self.scanned -= cut;
            self.state.shift(cut);
        }
    }

    pub fn finish(mut self) -> Report {
        let end = self.buf.len();
        self.scan_to(end);
        self.builder.finish(self.chars)
    }

    fn scan_to(&mut self, to: usize) {
        scan::scan_range(
            &self.engine,
            &self.buf,
            self.scanned,
            to,
            &mut self.state,
            &mut self.builder,
        );
        self.scanned = to;
    }
}
