//! The OpenAPI document (`GET /api/v1/openapi.json`). Routes are registered through
//! `utoipa_axum::OpenApiRouter`, so a JSON route cannot exist without its entry here: the
//! router and the document are built by the same calls.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::SESSION_COOKIE;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "adsync",
        description = "Facebook Ads metrics per team: connect once, synced insights, metrics queries. \
                       Errors are RFC 9457 problem documents (application/problem+json).",
    ),
    modifiers(&Security),
    paths(crate::routes::proxy::proxy),
    tags(
        (name = "health", description = "Liveness, readiness and Prometheus metrics"),
        (name = "session", description = "Signing in and out (session cookie)"),
        (name = "teams", description = "The caller's teams"),
        (name = "connectors", description = "Owners connect and disconnect Facebook Ads"),
        (name = "syncs", description = "Sync runs: progress and manual resyncs"),
        (name = "metrics", description = "Synced numbers"),
        (name = "facebook", description = "Callbacks Facebook calls"),
        (name = "alerts", description = "Webhooks owners register for the team's alerts, and their deliveries"),
    )
)]
pub struct ApiDoc;

/// Session cookie (browsers) or `Authorization: Bearer <api token>` (scripts).
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
