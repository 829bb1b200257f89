//! connector-core: everything Box Connector does, with no Tauri dependency,
//! so the desktop shell, the CLI and the tests all drive the same code.

pub(crate) mod api_test;
pub mod app;
pub mod auth;
pub mod box_api;
pub mod clock;
pub mod datacenter;
pub mod error;
pub mod events;
pub mod govern;
pub mod health;
pub mod inspect;
pub mod ipc;
pub mod keychain;
pub mod scan;
pub mod store;
/// Test support: core's own tests, and other crates' with the `testing` feature.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod wording;

pub use error::{ErrorCode, UserError};
