//! A team's connectors (owners only): state, connect, disconnect, events.

use adsync_common::connect::{ConnectError, Connector};
use adsync_common::ids::TeamId;
use adsync_common::storage::connections::{self, AdAccount};
use adsync_common::storage::events::{self, Event};
use adsync_common::storage::sync_runs::{self, SyncRun};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::TeamOwner;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams/{team}/connectors", get(list_connectors))
        .route("/api/v1/teams/{team}/connectors/events", get(list_events))
        .route("/api/v1/teams/{team}/connectors/facebook/connect", post(start_connect))
        .route("/api/v1/teams/{team}/connectors/facebook", delete(disconnect))
}

/// One platform's card, as the API and the page show it. Never carries a token.
#[derive(Debug, Serialize)]
pub struct ConnectorView {
    pub platform: &'static str,
    pub configured: bool,
    pub status: &'static str,
    pub status_detail: Option<String>,
    pub external_user: Option<Value>,
    pub ad_accounts: Vec<AdAccount>,
    pub connected_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_sync: Option<SyncRun>,
}

pub async fn facebook_view(state: &AppState, team: TeamId) -> Result<ConnectorView, ApiError> {
    let conn = connections::get(&state.db, team, "facebook").await?;
    let last_sync = sync_runs::list(&state.db, team, 1).await?.into_iter().next();
    let ad_accounts = match &conn {
        Some(_) => connections::active_ad_accounts(&state.db, team).await?,
        None => Vec::new(),
    };
    Ok(ConnectorView {
        platform: "facebook",
        configured: state.connector.is_some(),
        status: conn.as_ref().map(|c| c.status.as_str()).unwrap_or("not_connected"),
        status_detail: conn.as_ref().and_then(|c| c.status_detail.clone()),
        external_user: conn
            .as_ref()
            .map(|c| json!({"id": c.external_user_id, "name": c.external_user_name})),
        ad_accounts,
        connected_at: conn.as_ref().map(|c| c.connected_at),
        expires_at: conn.as_ref().and_then(|c| c.token_expires_at),
        last_sync,
    })
}

async fn list_connectors(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<axum::Json<Value>, ApiError> {
    let fb = facebook_view(&state, owner.team).await?;
    Ok(axum::Json(json!({ "connectors": [fb] })))
}

async fn list_events(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<axum::Json<Vec<Event>>, ApiError> {
    Ok(axum::Json(events::list(&state.db, owner.team, 100).await?))
}

pub fn connector(state: &AppState) -> Result<&Connector, ApiError> {
    state.connector.as_ref().ok_or_else(|| {
        ApiError::Conflict("Facebook is not configured on this server (FACEBOOK_APP_ID / FACEBOOK_APP_SECRET).".into())
    })
}

/// Where the browser returns after the dialog.
pub fn connectors_page(team: TeamId) -> String {
    format!("/teams/{team}/connectors")
}

async fn start_connect(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<axum::Json<Value>, ApiError> {
    let url = connector(&state)?
        .start(owner.team, owner.user, &connectors_page(owner.team))
        .await
        .map_err(connect_error)?;
    Ok(axum::Json(json!({ "authorize_url": url.as_str() })))
}

async fn disconnect(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let outcome = connector(&state)?
        .disconnect(owner.team, owner.user)
        .await
        .map_err(connect_error)?;
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({ "status": "not_connected", "revoked_at_provider": outcome.revoked_at_provider, "data_kept": true }),
        ),
    ))
}

pub fn connect_error(e: ConnectError) -> ApiError {
    match e {
        ConnectError::Storage(s) => s.into(),
        ConnectError::Crypto(c) => ApiError::internal(c),
        ConnectError::NotConnected { .. } => ApiError::NotFound(e.to_string()),
        ConnectError::NotConfigured { .. } => ApiError::Conflict(e.to_string()),
        ConnectError::ProviderUnavailable { .. } => ApiError::Unavailable(e.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    }
}
