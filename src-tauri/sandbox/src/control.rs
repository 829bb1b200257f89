//! Sandbox-only control endpoints under `/_sandbox/`.

use std::sync::Arc;

use axum::Router;

use crate::state::Inner;

pub fn router() -> Router<Arc<Inner>> {
    Router::new()
}
