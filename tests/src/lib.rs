//! Shared helpers for the end-to-end tests.

/// Drives the real app window (shell engineer).
pub mod webdriver;
/// What the window tests share (sign-in, a sandbox that can go away).
pub mod window;

mod bins;
/// Files built to crash, hang or exhaust a reader.
pub mod hostile;
/// The scan's reading children: count and memory.
pub mod readers;
pub use bins::{bins, use_cli_as_extractor, Bins};
