//! The real `box-connector-cli` binary against the sandbox, as an admin
//! uses it: a broken database, the connect flow, governance, a scan killed
//! and started again, and the CLI refreshing beside the app. One test
//! binary; each module is one area's tests
//! (`cargo test -p box-connector-e2e --test cli connect_cli::`). Keychain
//! tests need `scripts/with-keyring.sh`.

mod cli_database;
mod connect_cli;
mod govern_cli;
mod scan_reliability;
mod token_race;
