//! What the benchmarks share: a token vault in memory (a bench has no
//! keychain to talk to) and reading `--name value` from the command line.
//! Each bench includes this with `#[path = "support/mod.rs"] mod support;`.

// Each bench uses the part it needs.
#![allow(dead_code)]

use std::sync::Mutex;

use connector_core::auth::{TokenSet, TokenVault};
use connector_core::UserError;

/// Tokens held in memory for the bench's client.
pub struct MemoryVault(pub Mutex<Option<TokenSet>>);

impl TokenVault for MemoryVault {
    fn load(&self) -> Result<Option<TokenSet>, UserError> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn save(&self, tokens: &TokenSet) -> Result<(), UserError> {
        *self.0.lock().unwrap() = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), UserError> {
        *self.0.lock().unwrap() = None;
        Ok(())
    }
}

/// `--name value` from the command line, else `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
