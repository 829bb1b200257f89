//! Shared helpers for the end-to-end tests and benches: one home for what
//! the test binaries in `tests/tests/*/` have in common.

/// Drives the real app window (shell engineer).
pub mod webdriver;
/// What the window tests share (sign-in, a sandbox that can go away).
pub mod window;

mod bins;
/// The connect flow's world: a counting proxy in front of the sandbox, the
/// real CLI, a private data dir and keychain service.
pub mod connect;
/// The event feed against a small sandbox, and the sandbox's log as truth.
pub mod events;
/// Files built to crash, hang or exhaust a reader.
pub mod hostile;
/// The scan's reading children: count and memory.
pub mod readers;
/// A sandbox in-process and a client signed in to it.
pub mod sandbox;
/// The scanner against the sandbox, and what a complete scan must find.
pub mod scan;
pub use bins::{bins, use_cli_as_extractor, Bins};
