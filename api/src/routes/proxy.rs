//! `GET /api/v1/teams/{team}/connectors/{provider}/proxy/{path}`: a GET of the provider's API
//! as the team (its owner, by session or API token), for what adsync does not model. The
//! team's token stays inside: sent as a header, taken out of the answer (see
//! [`Connector::get_as_team`](adsync_connect::Connector::get_as_team)).

use adsync_connect::ProxyError;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::auth::TeamOwner;
use crate::routes::connectors::connect_error;
use crate::{ApiError, AppState};

/// The provider's JSON answer as it sent it (for Facebook, `data` and `paging`, or a node's
/// fields), the team's token replaced by `[redacted]` wherever it appeared.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the answer, which the provider writes
pub struct ProviderAnswer(std::collections::HashMap<String, serde_json::Value>);

pub const ROUTE: &str = "/api/v1/teams/{team}/connectors/{provider}/proxy/{*path}";

/// Calls the provider's API as the team (owners; a session or the owner's API token): a GET of
/// `path` (for Facebook relative to the Graph API version, e.g. `act_1/campaigns`; it may hold
/// `/`) with the query as given, answered with the provider's JSON. The team's token is never
/// in the answer. Routed outside the OpenAPI router (the path is a wildcard), documented here.
#[utoipa::path(get, path = "/api/v1/teams/{team}/connectors/{provider}/proxy/{path}", tag = "connectors",
    security(("session" = []), ("api_token" = [])),
    params(
        ("team" = i64, Path, description = "Team id"),
        ("provider" = String, Path, description = "`facebook`"),
        ("path" = String, Path, description = "The provider's API path, e.g. `act_1/campaigns` or `me/adaccounts`"),
    ),
    responses(
        (status = 200, description = "The provider's answer, as it sent it", body = ProviderAnswer, content_type = "application/json"),
        (status = 400, description = "A path or query adsync does not send (`..`, `access_token`), or one the provider refused", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner of this team, or the provider refused the permission", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team for the caller, no such provider, or no connection", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The token stopped working: the owner must connect again", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "The provider's rate limit; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The provider did not answer usefully", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn proxy(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    Path((_, provider, path)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let connector = state
        .connector
        .as_ref()
        .filter(|c| c.provider().spec().platform == provider)
        .ok_or_else(|| ApiError::NotFound(format!("No connector {provider:?} is configured on this server.")))?;
    let query: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let body = connector
        .get_as_team(&state.gate, owner.team, &path, &query)
        .await
        .map_err(proxy_error)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

fn proxy_error(e: ProxyError) -> ApiError {
    match e {
        ProxyError::Connect(c) => connect_error(c),
        ProxyError::BadRequest(m) => ApiError::BadRequest(m),
        e @ ProxyError::NeedsReconnect { .. } => ApiError::Conflict(e.to_string()),
        e @ ProxyError::Refused { .. } => ApiError::Forbidden(e.to_string()),
        e @ ProxyError::RateLimited { retry_after, .. } => ApiError::TooManyRequests {
            detail: e.to_string(),
            retry_after_secs: retry_after.as_secs().max(1),
        },
        e @ ProxyError::Unavailable { .. } => ApiError::Unavailable(e.to_string()),
    }
}
