//! The real app window over WebDriver: the first screen, connecting, the
//! findings, governance and the hostile corpus. `#[ignore]`d so a quick
//! `cargo test` skips them; `scripts/e2e.sh` runs them one at a time under
//! Xvfb (`E2E_FILTER=govern_ scripts/e2e.sh` for some).

mod connect;
mod findings;
mod first_screen;
mod govern;
mod hostile;
