//! JSON API routes, one module per resource.

pub(crate) mod connectors;
mod facebook_callbacks;
mod health;
pub(crate) mod metrics;
mod oauth;
pub(crate) mod observability;
pub(crate) mod proxy;
pub(crate) mod session;
pub(crate) mod settings;
mod syncs;
mod teams;
pub(crate) mod webhooks;

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::openapi::ApiDoc;

/// The API routes and their OpenAPI document, built by the same registrations.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(observability::router())
        .merge(session::router())
        .merge(teams::router())
        .merge(settings::router())
        .merge(syncs::router())
        .merge(metrics::router())
        .merge(connectors::router())
        .merge(oauth::router())
        .merge(facebook_callbacks::router())
        .merge(webhooks::router())
        .routes(routes!(openapi_json))
        .split_for_parts()
}

/// The OpenAPI document as served (rendered once per process).
pub fn openapi_document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| documented().1.to_pretty_json().unwrap_or_default())
}

pub fn router() -> Router<AppState> {
    documented()
        .0
        // A wildcard path, which the OpenAPI router does not take (documented in `ApiDoc`).
        .route(proxy::ROUTE, axum::routing::get(proxy::proxy))
        .fallback(not_found)
}

/// An OpenAPI 3.1 document (its own schema is the OpenAPI specification's).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the answer, which utoipa writes
struct OpenApiDocument {
    #[schema(example = "3.1.0")]
    openapi: String,
    #[schema(value_type = Object)]
    info: serde_json::Value,
    #[schema(value_type = Object)]
    paths: serde_json::Value,
}

/// This document: every route of the JSON API with its parameters, bodies and problems.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health", responses(
    (status = 200, description = "OpenAPI 3.1 document", body = OpenApiDocument)
))]
async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_document())
}

/// Health, readiness and metrics only: what a worker-only process serves.
pub fn ops_router() -> Router<AppState> {
    let (health, _) = OpenApiRouter::new()
        .merge(health::router())
        .merge(observability::router())
        .split_for_parts();
    health.fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> crate::ApiError {
    crate::ApiError::NotFound(format!("No route for {}.", uri.path()))
}
