//! JSON API routes, one module per resource.

pub(crate) mod connectors;
mod facebook_callbacks;
mod health;
pub(crate) mod metrics;
mod oauth;
pub(crate) mod observability;
pub(crate) mod session;
mod syncs;
mod teams;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(observability::router())
        .merge(session::router())
        .merge(teams::router())
        .merge(syncs::router())
        .merge(metrics::router())
        .merge(connectors::router())
        .merge(oauth::router())
        .merge(facebook_callbacks::router())
        .fallback(not_found)
}

/// Health, readiness and metrics only: what a worker-only process serves.
pub fn ops_router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(observability::router())
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> crate::ApiError {
    crate::ApiError::NotFound(format!("No route for {}.", uri.path()))
}
