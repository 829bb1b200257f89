//! Shared helpers for the end-to-end tests.

/// Drives the real app window (shell engineer).
pub mod webdriver;
