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

pub const ROUTE: &str = "/api/v1/teams/{team}/connectors/{provider}/proxy/{*path}";

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
