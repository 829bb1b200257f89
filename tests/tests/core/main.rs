//! Core against the sandbox, in-process: the connect flow through `App`,
//! the Box client's failure handling, the event feed, the scan, inspection
//! and governance. One test binary; each module is one area's tests
//! (`cargo test -p box-connector-e2e --test core scan_full::`). Keychain
//! tests need `scripts/with-keyring.sh`.

mod connect_app;
mod connect_box_api;
mod connect_enterprise;
mod events_feed;
mod events_reliability;
mod govern_actions;
mod govern_safety;
mod governance_scopes;
mod inspect_accuracy;
mod inspect_lifecycle;
mod scan_downloads;
mod scan_events;
mod scan_full;
