//! Inspection: what each scanned file exposes and what it holds.
//! `detect` finds sensitive values in text (one pass, validators, keyword
//! confidence); `extract` turns a downloaded file into text under limits.
//! Neither touches Box or the store: `content` downloads and hands them to
//! child processes (`isolation`) for the scan's workers, `exposure` and
//! `findings` hold the rules.

pub mod content;
pub mod detect;
pub mod exposure;
pub mod extract;
pub mod findings;
pub mod isolation;
