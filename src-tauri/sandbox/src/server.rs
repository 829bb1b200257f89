//! The router: Box's paths, the `/2.0` gate, and the sandbox-only control surface.

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

use crate::api;
use crate::control;
use crate::oauth;
use crate::state::Inner;

pub fn router(inner: Arc<Inner>) -> Router {
    let api = Router::new()
        .route("/2.0/users/me", get(api::users::me))
        .route("/2.0/users", get(api::users::list))
        .route_layer(from_fn_with_state(inner.clone(), api::gate));
    Router::new()
        .route(
            "/api/oauth2/authorize",
            get(oauth::authorize_page).post(oauth::authorize_submit),
        )
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/revoke", post(oauth::revoke))
        .merge(api)
        .merge(control::router())
        .with_state(inner)
}
