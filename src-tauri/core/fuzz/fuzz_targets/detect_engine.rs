#![no_main]
//! The detector engine on arbitrary text, and a property: text that
//! arrives in pieces (split where the input says) finds exactly what the
//! whole text finds.

use std::sync::Arc;

use connector_core::inspect::detect::{ChunkScanner, Engine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static ENGINE: std::sync::OnceLock<Arc<Engine>> = std::sync::OnceLock::new();
    let engine = ENGINE.get_or_init(|| Arc::new(Engine::new()));
    let Some((&cuts, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let whole = engine.scan(&text);
    let mut scanner = ChunkScanner::new(engine.clone());
    let step = (cuts as usize).max(1);
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + step).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        scanner.push(&text[at..end]);
        at = end;
    }
    assert_eq!(scanner.finish(), whole, "pieces and the whole text agree");
});
