//! A team's connectors (owners only): state, connect, disconnect, events.

use adsync_common::ids::TeamId;
use adsync_connect::{ConnectError, Connector, FACEBOOK};
use adsync_storage::connections::{self, AdAccount};
use adsync_storage::events::{self, Event};
use adsync_storage::sync_runs::{self, SyncRun};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::TeamOwner;
use crate::extract::ApiQuery;
use crate::paging::{self, ListParams};
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connectors))
        .routes(routes!(list_events))
        .routes(routes!(start_connect))
        .routes(routes!(disconnect))
        .routes(routes!(choose_ad_accounts))
}

/// The ad accounts to sync.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdAccountChoice {
    /// Ids (`act_<n>` or `<n>`) of the connected accounts to sync; the others are not synced
    /// and their synced data is deleted.
    pub synced: Vec<String>,
}

/// Chooses which of the connected ad accounts are synced (owners only). Unchosen accounts
/// keep no data: what they had is deleted at once.
#[utoipa::path(put, path = "/api/v1/teams/{team}/connectors/facebook/ad-accounts", tag = "connectors", security(("session" = []), ("api_token" = [])),
    params(("team" = i64, Path, description = "Team id")), request_body = AdAccountChoice, responses(
    (status = 200, description = "The team's ad accounts", body = AdAccountList),
    (status = 400, description = "An id that is not one of the team's connected ad accounts, or a bad body", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such team for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn choose_ad_accounts(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    crate::extract::ApiJson(choice): crate::extract::ApiJson<AdAccountChoice>,
) -> Result<axum::Json<AdAccountList>, ApiError> {
    let ad_accounts = choose(&state, owner.team, &choice.synced).await?;
    Ok(axum::Json(AdAccountList { ad_accounts }))
}

/// Saves the choice of synced accounts, for the API and the page.
pub async fn choose(state: &AppState, team: TeamId, synced: &[String]) -> Result<Vec<AdAccount>, ApiError> {
    let synced: Vec<String> = synced
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    match connections::choose_synced_accounts(&state.db, team, &synced).await {
        Err(adsync_storage::StorageError::NotFound) => Err(ApiError::BadRequest(
            "synced: name only ad accounts of this team's connection (act_<n> or <n>)".into(),
        )),
        other => Ok(other?),
    }
}

/// One platform's card, as the API and the page show it. Never carries a token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectorView {
    pub platform: &'static str,
    /// Whether this server has the platform's app credentials.
    pub configured: bool,
    /// `not_connected`, `connected`, `needs_reconnect` or `revoked`.
    pub status: &'static str,
    pub status_detail: Option<String>,
    pub external_user: Option<ExternalUser>,
    pub ad_accounts: Vec<AdAccount>,
    pub connected_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_sync: Option<SyncRun>,
    /// Other teams connected through the same Facebook user's grant: disconnecting here
    /// then leaves the grant in place at Facebook (its revoke is per user and app).
    pub grant_shared_with_teams: usize,
}

/// The platform's user whose grant the connection uses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExternalUser {
    pub id: String,
    pub name: Option<String>,
}

/// The team's connectors.
#[derive(Serialize, utoipa::ToSchema)]
struct ConnectorList {
    connectors: Vec<ConnectorView>,
}

/// One page of the connection event log.
#[derive(Serialize, utoipa::ToSchema)]
struct EventPage {
    events: Vec<Event>,
    /// The `cursor` for older events; `null` on the last page.
    next_cursor: Option<String>,
}

/// The team's ad accounts after a choice.
#[derive(Serialize, utoipa::ToSchema)]
struct AdAccountList {
    ad_accounts: Vec<AdAccount>,
}

/// Where to send the browser for Facebook's consent.
#[derive(Serialize, utoipa::ToSchema)]
struct AuthorizeUrl {
    authorize_url: String,
}

/// What a disconnect did.
#[derive(Serialize, utoipa::ToSchema)]
struct Disconnected {
    /// `not_connected`.
    status: &'static str,
    /// Whether Facebook revoked the grant (not when other teams still use it).
    revoked_at_provider: bool,
    /// Other teams connected through the same grant, which is left in place for them.
    grant_kept_for_other_teams: usize,
    /// Synced data stays (disconnecting deletes tokens only).
    data_kept: bool,
}

pub async fn facebook_view(state: &AppState, team: TeamId) -> Result<ConnectorView, ApiError> {
    let conn = connections::get(&state.db, team, FACEBOOK.platform).await?;
    let last_sync = sync_runs::list(&state.db, team, 1).await?.into_iter().next();
    let ad_accounts = match &conn {
        Some(_) => connections::active_ad_accounts(&state.db, team).await?,
        None => Vec::new(),
    };
    let grant_shared_with_teams = match (&conn, &state.connector) {
        (Some(c), Some(connector)) if c.token_ciphertext.is_some() => {
            connector.teams_sharing_grant(c).await.map_err(connect_error)?
        }
        _ => 0,
    };
    Ok(ConnectorView {
        grant_shared_with_teams,
        platform: FACEBOOK.platform,
        configured: state.connector.is_some(),
        status: conn.as_ref().map(|c| c.status.as_str()).unwrap_or("not_connected"),
        status_detail: conn.as_ref().and_then(|c| c.status_detail.clone()),
        external_user: conn.as_ref().map(|c| ExternalUser {
            id: c.external_user_id.clone(),
            name: c.external_user_name.clone(),
        }),
        ad_accounts,
        connected_at: conn.as_ref().map(|c| c.connected_at),
        expires_at: conn.as_ref().and_then(|c| c.token_expires_at),
        last_sync,
    })
}

/// One entry per platform: status, Facebook user, ad accounts, expiry, last sync. Owners only.
#[utoipa::path(get, path = "/api/v1/teams/{team}/connectors", tag = "connectors", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")), responses(
    (status = 200, description = "One card per platform", body = ConnectorList), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn list_connectors(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<axum::Json<ConnectorList>, ApiError> {
    let fb = facebook_view(&state, owner.team).await?;
    Ok(axum::Json(ConnectorList { connectors: vec![fb] }))
}

/// The connection event log (created, recovered, failed, removed, ...), newest first;
/// `limit` at a time, `next_cursor` for older ones.
#[utoipa::path(get, path = "/api/v1/teams/{team}/connectors/events", tag = "connectors", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id"), ListParams), responses(
    (status = 200, description = "A page of events", body = EventPage), (status = 400, description = "A bad `cursor` or `limit`", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn list_events(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<EventPage>, ApiError> {
    let limit = p.limit()?;
    let found = events::list_before(&state.db, owner.team, p.before()?, limit as i64 + 1).await?;
    let (events, next_cursor) = paging::page(found, limit, |e| e.id);
    Ok(axum::Json(EventPage { events, next_cursor }))
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

/// Starts the OAuth flow: a single-use state bound to the caller and team (10 minutes).
#[utoipa::path(post, path = "/api/v1/teams/{team}/connectors/facebook/connect", tag = "connectors", security(("session" = []), ("api_token" = [])),
    params(("team" = i64, Path, description = "Team id")), responses(
    (status = 200, description = "Send the browser to `authorize_url`", body = AuthorizeUrl), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "No Facebook app configured on this server", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn start_connect(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<axum::Json<AuthorizeUrl>, ApiError> {
    let url = connector(&state)?
        .start(owner.team, owner.user, &connectors_page(owner.team))
        .await
        .map_err(connect_error)?;
    Ok(axum::Json(AuthorizeUrl {
        authorize_url: url.to_string(),
    }))
}

/// Revokes the token at Facebook (unless the same Facebook user's grant still connects another
/// team: Facebook revokes per user and app), deletes it locally, keeps the synced data.
#[utoipa::path(delete, path = "/api/v1/teams/{team}/connectors/facebook", tag = "connectors", security(("session" = []), ("api_token" = [])),
    params(("team" = i64, Path, description = "Team id")), responses(
    (status = 200, description = "Disconnected", body = Disconnected), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not connected, or no such team for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "No Facebook app configured on this server", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn disconnect(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<(StatusCode, axum::Json<Disconnected>), ApiError> {
    let outcome = connector(&state)?
        .disconnect(owner.team, owner.user)
        .await
        .map_err(connect_error)?;
    Ok((
        StatusCode::OK,
        axum::Json(Disconnected {
            status: "not_connected",
            revoked_at_provider: outcome.revoked_at_provider,
            grant_kept_for_other_teams: outcome.grant_kept_for,
            data_kept: true,
        }),
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
