//! The router: Box's paths (the API and its upload server), the gate every API call
//! passes, and the sandbox-only control surface.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::api;
use crate::control;
use crate::oauth;
use crate::state::Inner;

/// Every `/2.0` route must be in the route table the conformance test checks.
fn listed(method: &str, path: &'static str) -> &'static str {
    assert!(
        crate::routes::ROUTES
            .iter()
            .any(|r| r.method == method && r.served_path == path),
        "{method} {path} is served but missing from routes::ROUTES"
    );
    path
}

pub fn router(inner: Arc<Inner>) -> Router {
    let api = Router::new()
        .route(listed("GET", "/2.0/users/me"), get(api::users::me))
        .route(listed("GET", "/2.0/users"), get(api::users::list))
        .route(
            listed("GET", "/2.0/folders/{folder_id}"),
            get(api::folders::get_folder),
        )
        .route(
            listed("GET", "/2.0/folders/{folder_id}/items"),
            get(api::folders::items),
        )
        .route(
            listed("GET", "/2.0/folders/{folder_id}/collaborations"),
            get(api::collaborations::of_folder),
        )
        .route(
            listed("GET", "/2.0/files/{file_id}"),
            get(api::files::get_file),
        )
        .route(
            listed("GET", "/2.0/files/{file_id}/content"),
            get(api::files::content),
        )
        .route(
            listed("GET", "/2.0/files/{file_id}/collaborations"),
            get(api::collaborations::of_file),
        )
        .route(listed("GET", "/2.0/events"), get(api::events::events))
        .route(
            listed("PUT", "/2.0/files/{file_id}"),
            put(api::update::put_file),
        )
        .route(
            listed("DELETE", "/2.0/files/{file_id}"),
            delete(api::update::delete_file),
        )
        .route(
            listed("PUT", "/2.0/folders/{folder_id}"),
            put(api::update::put_folder),
        )
        .route(
            listed("POST", "/2.0/collaborations"),
            post(api::collaborations::create),
        )
        .route(
            listed("DELETE", "/2.0/collaborations/{collaboration_id}"),
            delete(api::collaborations::delete),
        )
        .route(
            listed("GET", "/2.0/collaborations/{collaboration_id}"),
            get(api::collaborations::get_one),
        )
        .route(listed("POST", "/2.0/folders"), post(api::folders::create))
        .route(
            listed("POST", "/api/2.0/files/content"),
            post(api::uploads::upload_file)
                .layer(DefaultBodyLimit::max(api::uploads::UPLOAD_LIMIT)),
        )
        .route(
            listed("POST", "/api/2.0/files/{file_id}/content"),
            post(api::uploads::upload_version)
                .layer(DefaultBodyLimit::max(api::uploads::UPLOAD_LIMIT)),
        )
        .route_layer(from_fn_with_state(inner.clone(), api::gate));
    Router::new()
        .route(
            "/api/oauth2/authorize",
            get(oauth::authorize_page).post(oauth::authorize_submit),
        )
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/revoke", post(oauth::revoke))
        .route(
            "/d/{file_id}/{version}/{expires}/{sig}",
            get(api::files::download),
        )
        .merge(api)
        .merge(control::router())
        .with_state(inner)
}
