//! JSON API routes, one module per resource.

mod health;
pub(crate) mod session;
mod syncs;
mod teams;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(session::router())
        .merge(teams::router())
        .merge(syncs::router())
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> crate::ApiError {
    crate::ApiError::NotFound(format!("No route for {}.", uri.path()))
}
