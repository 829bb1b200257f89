//! Inspection: what each scanned file exposes and what it holds.
//! `detect` finds sensitive values in text (one pass, validators, keyword
//! confidence); `extract` turns a downloaded file into text under limits.
//! Neither touches Box or the store: the scan's workers call them.

pub mod detect;
pub mod extract;
